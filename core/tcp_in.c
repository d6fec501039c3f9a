/* tcp_in.c - everything TCP receives: demultiplexing, the RFC 9293 state
 * machine, ACK processing with RTT samples, loss detection and recovery,
 * and the receive path with its delayed-ACK policy.
 *
 * Read, in this order:
 *   RFC 9293 3.10.7 (SEGMENT ARRIVES: this file follows it step by step),
 *     3.5 (open, simultaneous open), 3.6 (close), 3.8.6 (windows)
 *   RFC 5961 (RST and SYN acceptance, challenge ACKs, ACK range)
 *   RFC 7323 (PAWS, TS.Recent), RFC 2018 and RFC 2883 (SACK, D-SACK)
 *   RFC 5681 (dupacks, fast retransmit), RFC 6675 (SACK recovery),
 *   RFC 6582 (NewReno), RFC 6937 (PRR), RFC 6298 (RTT samples, Karn)
 *   RFC 1122 4.2.3.2 (delayed ACKs), RFC 2525 2.17 (data after close)
 * and where the RFCs leave a choice, Linux's tcp_input.c, tcp_minisocks.c
 * and tcp_ipv4.c, which is what lunet copies.
 *
 * Call chain:
 *   ln_ip_input -> deliver -> ln_tcp_input (parse, checksum, demux)
 *     -> TIME_WAIT / orphaned FIN_WAIT_2:   tw_process (tcp_timewait_state_process)
 *     -> connection:                        ln_tcp_process
 *          SYN_SENT:       syn_sent (3.10.7.3)
 *          synchronized:   established (3.10.7.4): PAWS, sequence, RST,
 *                          SYN, ACK (ack_process -> sack, rtt, recovery,
 *                          cwnd), text (data_queue -> ofo), FIN (fin)
 *          then ln_tcp_output (tcp_out.c) and ack_snd_check
 *     -> listener:                          ln_tcp_listen_input (tcp_listen.c)
 *     -> nobody:                            RST (3.10.7.1)
 *
 * Not implemented (Linux does them): urgent data (URG is ignored), TCP
 * Fast Open, ECN, tail-loss probes and RACK-TLP (Linux sends TLPs and
 * detects losses by time; lunet relies on dupacks/SACK and the RTO),
 * undo of spurious retransmissions (F-RTO, D-SACK based undo). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ip.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"
#include "wire.h"

#define TCP_MAX_QUICKACKS   16u     /* Linux: quick ACKs at the start */
#define TCP_COMP_SACK_NR    44u     /* tcp_comp_sack_nr */
#define TCP_COMP_SACK_DELAY LN_MSEC /* tcp_comp_sack_delay_ns */
#define TCP_FASTRETRANS_THRESH 3u
#define PAWS_24DAYS (24ull * 24 * 3600 * LN_SEC)
#define PAWS_MSL    (60 * LN_SEC)
/* The receive buffer a full-sized segment occupies: a veth skb holding a
 * 1500-byte frame has truesize 2304 in the reference runs (the window
 * ceiling 80 x 1024 = 131072 x 160/256 gives the ratio). */
#define TRUESIZE_OVERHEAD   856u

static ln_net *net_of(const ln_tcp_sock *s) { return s->st->node->net; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }
static uint32_t div_up(uint32_t a, uint32_t b) { return b ? (a + b - 1) / b : a; }

/* ---- small helpers --------------------------------------------------------------- */

/* Discard the segment (a drop: counted, and the DROP event shows the TCP
 * header, which the parse left just before the payload). */
static void seg_drop(ln_tcp_stack *st, ln_tcp_seg *seg, ln_drop_reason why)
{
    ln_pkt *p = seg->pkt;
    seg->pkt = NULL;
    if (!p) return;
    if (ln_pkt_headroom(p) >= seg->hlen) ln_pkt_push(p, seg->hlen);
    ln_net_drop(st->node->net, st->node, p->in_if, p, LN_LAYER_L4, why);
}

/* The segment was used up (not a drop). */
static void seg_done(ln_tcp_seg *seg)
{
    ln_pkt_free(seg->pkt);
    seg->pkt = NULL;
}

static bool paws_tick_older(uint32_t recent, uint32_t tsval, int32_t win)
{
    return (int32_t)(recent - tsval) > win;
}

/* Linux's __tcp_oow_rate_limited: one reply per tcp_invalid_ratelimit
 * (500 ms) to segments that do not fit, so a stream of them does not
 * become a stream of ACKs (the 2nd probe of reference 8 goes unanswered). */
static bool oow_rate_limited(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s);
    if (s->last_oow_ack && now + 1 - s->last_oow_ack < s->st->cfg.invalid_ratelimit) return true;
    s->last_oow_ack = now + 1;
    return false;
}

/* tcp_oow_rate_limited: data never is (it cannot be an ACK loop). */
static bool oow_limited(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    if (seg->len && !(seg->flags & LN_TCP_SYN)) return false;
    return oow_rate_limited(s);
}

/* RFC 5961 7: a per-second budget for the node, Linux's
 * tcp_challenge_ack_limit. */
bool ln_tcp_challenge_ok(ln_tcp_stack *st)
{
    ln_time now = ln_net_now(st->node->net);
    if (now - st->challenge_stamp >= LN_SEC || st->challenge_stamp == 0) {
        st->challenge_stamp = now ? now : 1;
        st->challenge_count = 0;
    }
    if (st->challenge_count >= st->cfg.challenge_ack_limit) return false;
    st->challenge_count++;
    return true;
}

/* RFC 5961 7: a challenge ACK, rate-limited per socket and per node. */
static void challenge_ack(ln_tcp_sock *s)
{
    if (oow_rate_limited(s)) return;
    if (!ln_tcp_challenge_ok(s->st)) return;
    LN_MIB_INC(s->st->node, TcpExtTCPChallengeACK);
    ln_tcp_send_ack(s);
}

/* Linux's tcp_incr_quickack / tcp_enter_quickack_mode: ACK the next
 * segments at once (about half a window's worth, at most 16). */
static void incr_quickack(ln_tcp_sock *s, uint32_t max)
{
    uint32_t q = s->rcv_wnd / (2u * umax(s->rcv_mss, 1));
    if (q == 0) q = 2;
    q = umin(q, max);
    if (q > s->quick) s->quick = (uint8_t)q;
}

static void enter_quickack(ln_tcp_sock *s)
{
    incr_quickack(s, TCP_MAX_QUICKACKS);
    s->flags &= ~LN_TF_PINGPONG;
    s->ato = s->st->cfg.delack_min;
}

static bool in_quickack(const ln_tcp_sock *s)
{
    return s->quick && !(s->flags & LN_TF_PINGPONG);
}

/* Record a D-SACK block (RFC 2883) for the next ACK, if D-SACK is on. */
static void dsack_set(ln_tcp_sock *s, ln_seq start, ln_seq end, bool old)
{
    if (!(s->flags & LN_TF_SACK) || !s->st->cfg.dsack || !ln_seq_lt(start, end)) return;
    if (old) LN_MIB_INC(s->st->node, TcpExtTCPDSACKOldSent);
    s->dsack.start = start;
    s->dsack.end = end;
    s->flags |= LN_TF_DSACK;
}

/* What the OFO queue found already held, as a D-SACK. */
static void dsack_from_ofo(ln_tcp_sock *s)
{
    if (s->ofo.have_dup) dsack_set(s, s->ofo.dup.start, s->ofo.dup.end, ln_seq_lt(s->ofo.dup.start, s->rcv_nxt));
}

/* Linux's tcp_send_dupack: an ACK for an unacceptable segment; a
 * retransmission of data we have also gets a D-SACK and quick ACKs. */
static void send_dupack(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    if (seg->len && ln_seq_lt(seg->seq, s->rcv_nxt)) {
        enter_quickack(s);
        ln_seq end = seg->seq + seg->len;
        if (ln_seq_gt(end, s->rcv_nxt)) end = s->rcv_nxt;
        dsack_set(s, seg->seq, end, true);
    }
    ln_tcp_send_ack(s);
}

/* Bytes the user has read: RCV.NXT less what waits and the FIN. */
static ln_seq copied_seq(const ln_tcp_sock *s)
{
    return s->rcv_nxt - s->rcv.len - ((s->flags & LN_TF_RCVD_FIN) ? 1 : 0);
}

/* Linux's tcp_measure_rcv_mss: learn the peer's segment size, and from
 * the first full one the payload/buffer ratio the window is computed with
 * (scaling_ratio: 128 until then, 160 for a 1448-byte segment). */
static void measure_rcv_mss(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    uint32_t len = seg->len, lss = s->last_seg_size;
    s->last_seg_size = 0;
    if (len >= s->rcv_mss) {
        if (len != s->rcv_mss) {
            uint32_t ratio = (uint32_t)(((uint64_t)len << 8) / (len + TRUESIZE_OVERHEAD));
            if (!ratio) ratio = 1;
            if (ratio != s->scaling_ratio) {
                s->scaling_ratio = (uint8_t)umin(ratio, 255);
                /* tcp_set_window_clamp(ln_tcp_win_from_space(rcvbuf)) */
                uint32_t clamp = umax(ln_tcp_win_from_space(s, s->rcvbuf), 2304 / 2);
                if (clamp < s->window_clamp) s->rcv_ssthresh = umin(s->rcv_ssthresh, clamp);
                s->window_clamp = clamp;
                if (s->window_clamp < s->rcvq_space) s->rcvq_space = s->window_clamp;
            }
        }
        s->rcv_mss = (uint16_t)umin(len, ln_tcp_advmss(s));
        return;
    }
    /* A short segment: a full one without PSH (the peer's real MSS may be
     * small), else note that the peer pushed. */
    uint32_t hlen = 20 + ((s->flags & LN_TF_TS) ? 12 : 0);
    uint32_t tot = len + seg->hlen;
    bool remnant = (seg->flags & (LN_TCP_FIN | LN_TCP_URG | LN_TCP_SYN | LN_TCP_PSH)) != 0;
    if (tot >= LN_TCP_MSS_DEFAULT + 20 || (tot >= LN_TCP_MIN_MSS + 20 && !remnant)) {
        uint32_t l = tot - hlen;
        s->last_seg_size = (uint16_t)l;
        if (l == lss) {
            s->rcv_mss = (uint16_t)l;
            return;
        }
    }
    if (s->ack_pending & LN_ACK_PUSHED) s->ack_pending |= LN_ACK_PUSHED2;
    s->ack_pending |= LN_ACK_PUSHED;
}

/* Linux's tcp_grow_window: the window offered grows (rcv_ssthresh) by two
 * segments per full segment received while the buffer allows (reference
 * 4: 63, 66, 69, 72, ... x 1024), and quick ACKs go on while it does. */
static void grow_window(ln_tcp_sock *s, uint32_t len)
{
    int32_t room = (int32_t)umin(s->window_clamp, ln_tcp_space(s)) - (int32_t)s->rcv_ssthresh;
    if (room <= 0) return;
    uint32_t truesize = len + TRUESIZE_OVERHEAD, incr = 0;
    if (ln_tcp_win_from_space(s, truesize) <= len) {
        incr = 2 * ln_tcp_advmss(s);
    } else {
        uint32_t t = ln_tcp_win_from_space(s, truesize) >> 1;
        uint32_t w = ln_tcp_win_from_space(s, s->st->cfg.rmem[2]) >> 1;
        while (s->rcv_ssthresh <= w) {
            if (t <= len) {
                incr = 2u * s->rcv_mss;
                break;
            }
            t >>= 1;
            w >>= 1;
        }
    }
    if (incr) {
        incr = umax(incr, 2 * len);
        s->rcv_ssthresh += umin((uint32_t)room, incr);
        s->quick |= 1;
    }
}

/* tcp_rcv_rtt_update: the receiver's RTT estimate (x8 us), which paces
 * receive-buffer autotuning and SACK compression. */
static void rcv_rtt_update(ln_tcp_sock *s, uint32_t sample, bool win_dep)
{
    uint32_t est = s->rcv_rtt_us;
    long m = (long)sample;
    if (est) {
        if (!win_dep) {
            m -= (long)(est >> 3);
            est = (uint32_t)((long)est + m);
        } else if ((uint32_t)(m << 3) < est) {
            est = (uint32_t)(m << 3);
        }
    } else {
        est = (uint32_t)(m << 3);
    }
    s->rcv_rtt_us = est ? est : 1;
}

/* tcp_rcv_rtt_measure: without timestamps, one window's worth of data
 * takes about an RTT to arrive. */
static void rcv_rtt_measure(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s);
    if (s->rcv_rtt_time) {
        if (ln_seq_lt(s->rcv_nxt, s->rcv_rtt_seq)) return;
        rcv_rtt_update(s, (uint32_t)((now - s->rcv_rtt_time) / LN_USEC), true);
    }
    s->rcv_rtt_seq = s->rcv_nxt + s->rcv_wnd;
    s->rcv_rtt_time = now ? now : 1;
}

/* tcp_rcv_rtt_measure_ts: with timestamps, from the echo in a full
 * segment (ms resolution, at least 1 ms). */
static void rcv_rtt_measure_ts(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    if (!seg->tsecr || seg->tsecr == s->rcv_tsecr) return;
    s->rcv_tsecr = seg->tsecr;
    if (seg->len < s->rcv_mss) return;
    int32_t delta = (int32_t)(ln_tcp_tsval(s->st, s->ts_offset) - seg->tsecr);
    if (delta < 0) return;
    if (delta == 0) delta = 1;
    rcv_rtt_update(s, (uint32_t)delta * 1000u, false);
}

/* Linux's tcp_event_data_recv: data arrived in order.  The first data
 * starts quick-ACK mode and the 40 ms ato; later the gaps between
 * segments tune ato; full segments grow the window. */
static void event_data_recv(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    ln_time now = ln_tcp_now(s);
    const ln_tcp_cfg *c = &s->st->cfg;
    s->ack_pending |= LN_ACK_SCHED;
    measure_rcv_mss(s, seg);
    if (!(s->flags & LN_TF_TS)) rcv_rtt_measure(s);
    if (!s->ato) {
        incr_quickack(s, TCP_MAX_QUICKACKS);
        s->ato = c->delack_min;
    } else {
        ln_time m = now - s->lrcvtime;
        if (m <= c->delack_min / 2) {
            s->ato = (s->ato >> 1) + c->delack_min / 2;
        } else if (m < s->ato) {
            s->ato = (s->ato >> 1) + m;
            if (s->ato > s->rto) s->ato = s->rto;
        } else if (m > s->rto) {
            /* The sender stalled: ACK quickly again. */
            incr_quickack(s, TCP_MAX_QUICKACKS);
        }
    }
    s->lrcvtime = now;
    if (seg->len >= 128) grow_window(s, seg->len);
}

void ln_tcp_rcv_space_adjust(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s);
    ln_time rtt = (ln_time)(s->rcv_rtt_us >> 3) * LN_USEC;
    if (!s->rcv_rtt_us || now - s->rcvq_time < rtt) return;
    ln_seq cs = copied_seq(s);
    uint32_t copied = (uint32_t)(cs - s->rcvq_seq);
    if (copied > s->rcvq_space && s->rcvq_space) {
        /* Linux's DRS: room for twice what the application read in the
         * last RTT, plus growth, up to tcp_rmem[2]. */
        if (!(s->flags & LN_TF_RCVBUF_LOCK)) {
            uint64_t rcvwin = ((uint64_t)copied << 1) + 16ull * ln_tcp_advmss(s);
            uint64_t grow = rcvwin * (copied - s->rcvq_space) / s->rcvq_space;
            rcvwin += grow << 1;
            uint64_t rcvbuf = (rcvwin << 8) / s->scaling_ratio;
            if (rcvbuf > s->st->cfg.rmem[2]) rcvbuf = s->st->cfg.rmem[2];
            if (rcvbuf > s->rcvbuf) {
                s->rcvbuf = (uint32_t)rcvbuf;
                s->window_clamp = ln_tcp_win_from_space(s, s->rcvbuf);
                ln_ring_set_limit(&s->rcv, s->rcvbuf);
            }
        }
        s->rcvq_space = copied;
    }
    s->rcvq_seq = cs;
    s->rcvq_time = now;
}

/* Linux's tcp_cleanup_rbuf: after a read, ACK if one is owed and the
 * reader has caught up, or announce a window that at least doubled (the
 * window update after a zero window, reference 8). */
void ln_tcp_cleanup_rbuf(ln_tcp_sock *s, uint32_t copied)
{
    if (s->state < LN_TCP_ESTABLISHED || s->state == LN_TCP_TIME_WAIT) return;
    bool now = false;
    if (s->ack_pending & LN_ACK_SCHED) {
        if ((uint32_t)(s->rcv_nxt - s->rcv_wup) > s->rcv_mss ||
            (copied > 0 &&
             ((s->ack_pending & LN_ACK_PUSHED2) ||
              ((s->ack_pending & LN_ACK_PUSHED) && !(s->flags & LN_TF_PINGPONG))) &&
             s->rcv.len == 0 && s->ofo.bytes == 0))
            now = true;
    }
    if (copied > 0 && !now && !(s->flags & LN_TF_RCVD_FIN)) {
        uint32_t cur = ln_tcp_receive_window(s);
        if (2 * cur <= s->window_clamp) {
            uint32_t nw = ln_tcp_raw_window(s);
            if (nw && nw >= 2 * cur) now = true;
        }
    }
    if (now) ln_tcp_send_ack(s);
}

/* Linux's __tcp_ack_snd_check: ACK now or later?  Now when more than
 * one full segment arrived and the window would not shrink ("every
 * second segment"), in quick-ACK mode, or when told to; with data out
 * of order, the first 3 duplicate ACKs go at once, later ones are
 * compressed (tcp_comp_sack_*); otherwise the delayed-ACK timer. */
static void ack_snd_check(ln_tcp_sock *s)
{
    if (!(s->ack_pending & LN_ACK_SCHED)) return;
    if (s->state < LN_TCP_ESTABLISHED || (s->flags & LN_TF_DEAD)) return;
    bool ofo = s->ofo.head != NULL;
    if (((uint32_t)(s->rcv_nxt - s->rcv_wup) > s->rcv_mss && ln_tcp_raw_window(s) >= s->rcv_wnd) ||
        in_quickack(s) || (s->ack_pending & LN_ACK_NOW)) {
        ln_tcp_send_ack(s);
        return;
    }
    if (!ofo) {
        ln_tcp_arm_delack(s);
        return;
    }
    if (!(s->flags & LN_TF_SACK) || s->compressed_ack >= TCP_COMP_SACK_NR) {
        ln_tcp_send_ack(s);
        return;
    }
    if (s->compressed_ack_rcv_nxt != s->rcv_nxt) {
        s->compressed_ack_rcv_nxt = s->rcv_nxt;
        s->dup_ack_counter = 0;
    }
    if (s->dup_ack_counter < TCP_FASTRETRANS_THRESH) {
        s->dup_ack_counter++;
        ln_tcp_send_ack(s);
        return;
    }
    s->compressed_ack++;
    if (s->ack_pending & LN_ACK_COMP) return;
    /* 5% of the RTT, at most 1 ms. */
    ln_time rtt = (ln_time)s->rcv_rtt_us * 125;   /* x8 us -> ns */
    if (s->srtt && (!rtt || s->srtt < rtt)) rtt = s->srtt;
    ln_time delay = rtt / 20;
    if (delay > TCP_COMP_SACK_DELAY) delay = TCP_COMP_SACK_DELAY;
    ln_time when = ln_tcp_now(s) + delay;
    if (ln_timer_armed(&s->t_delack) && s->t_delack.when <= when) return;
    s->ack_pending |= LN_ACK_COMP;
    ln_timer_arm(&net_of(s)->sim, &s->t_delack, when);
}

/* ---- the sender: ACK processing ---------------------------------------------------------- */

/* RTT samples from the send times of the newly acknowledged segments
 * (Linux's tcp_clean_rtx_queue): seq_rtt from the oldest (sets the RTO),
 * ca_rtt from the newest (min_rtt, the algorithm); none if any was
 * retransmitted (Karn's rule, RFC 6298 3), then the TS echo is used. */
static void rtt_from_ack(ln_tcp_sock *s, const ln_tcp_seg *seg, ln_seq ack, bool acked_data,
                         ln_time *ca_rtt)
{
    ln_time now = ln_tcp_now(s), first = 0, last = 0;
    bool rtx = false, any = false;
    while (s->txq_len) {
        ln_tcp_txts *e = &s->txq[s->txq_head];
        if (ln_seq_gt(e->end, ack)) break;
        if (e->rtx) {
            rtx = true;
        } else {
            if (!any) first = e->t;
            last = e->t;
            any = true;
        }
        s->txq_head = (s->txq_head + 1) & (s->txq_cap - 1);
        s->txq_len--;
    }
    ln_time seq_rtt = 0;
    *ca_rtt = 0;
    if (any && !rtx) {
        seq_rtt = now - first;
        *ca_rtt = now - last;
    } else if ((s->flags & LN_TF_TS) && seg->has_ts && seg->tsecr && acked_data) {
        /* RFC 7323 4.1: the echo times any segment, retransmitted or not. */
        int32_t d = (int32_t)(ln_tcp_tsval(s->st, s->ts_offset) - seg->tsecr);
        if (d >= 0) seq_rtt = *ca_rtt = (ln_time)(d ? d : 1) * LN_MSEC;
    }
    if (!seq_rtt && !*ca_rtt) return;
    if (!seq_rtt) seq_rtt = 1;
    ln_tcp_rtt_sample(s, seq_rtt);
    if (*ca_rtt && *ca_rtt < s->min_rtt) s->min_rtt = *ca_rtt;
    s->cc.min_rtt = s->min_rtt;
}

/* The cc fields the core keeps current for the algorithms. */
static void cc_sync(ln_tcp_sock *s)
{
    s->cc.snd_una = s->snd_una;
    s->cc.snd_nxt = s->snd_max;
    s->cc.srtt = s->srtt;
    s->cc.min_rtt = s->min_rtt == LN_NEVER ? 0 : s->min_rtt;
    s->cc.mss = s->mss_cache;
}

static void set_ca_state(ln_tcp_sock *s, ln_ca_state st)
{
    if (s->ca_state == st) return;
    s->ca_state = (uint8_t)st;
    s->cc_ops->set_state(&s->cc, st, ln_tcp_now(s));
}

/* RFC 5681 3.2 / RFC 6675 5 step 4: enter fast recovery (Linux's
 * tcp_enter_recovery + tcp_init_cwnd_reduction). */
static void enter_recovery(ln_tcp_sock *s, bool sacking)
{
    ln_node *n = s->st->node;
    if (sacking) LN_MIB_INC(n, TcpExtTCPSackRecovery);
    else LN_MIB_INC(n, TcpExtTCPRenoRecovery);
    cc_sync(s);
    s->prior_ssthresh = s->cc.ssthresh;
    s->prior_cwnd = s->cc.cwnd;
    s->cc.ssthresh = s->cc_ops->ssthresh(&s->cc, ln_tcp_now(s));
    s->cc.cwnd_cnt = 0;
    s->prr_delivered = s->prr_out = 0;
    s->recover_fs = s->prior_cwnd;
    s->high_seq = s->snd_max;            /* RFC 6582 "recover" */
    s->retrans_out = 0;
    if (s->sb) s->sb->high_rxt = s->snd_una;
    s->lost_out = sacking ? 0 : 1;       /* without SACK: the head is lost */
    set_ca_state(s, LN_CA_RECOVERY);
}

/* RFC 6937 PRR as Linux's tcp_cwnd_reduction: while the pipe is above
 * ssthresh, send in proportion to what is delivered (ssthresh /
 * RecoverFS); below it, slow-start back up to ssthresh.  The first ACK
 * always allows the fast retransmit. */
static void prr(ln_tcp_sock *s, uint32_t newly, bool una_advanced)
{
    if (!newly || !s->prior_cwnd) {
        if (s->prr_out) return;
    }
    uint32_t in_flight = ln_tcp_in_flight(s);
    int64_t delta = (int64_t)s->cc.ssthresh - in_flight, sndcnt;
    s->prr_delivered += newly;
    if (delta < 0) {
        uint64_t dividend = (uint64_t)s->cc.ssthresh * s->prr_delivered + s->prior_cwnd - 1;
        sndcnt = (int64_t)(dividend / s->prior_cwnd) - s->prr_out;
    } else {
        sndcnt = (int64_t)s->prr_delivered - s->prr_out;
        if (sndcnt < newly) sndcnt = newly;
        if (una_advanced) sndcnt++;
        if (sndcnt > delta) sndcnt = delta;
    }
    if (sndcnt < (s->prr_out ? 0 : 1)) sndcnt = s->prr_out ? 0 : 1;
    if (sndcnt < 0) sndcnt = 0;
    s->cc.cwnd = in_flight + (uint32_t)sndcnt;
    if (!s->cc.cwnd) s->cc.cwnd = 1;
}

/* Leave recovery: cwnd = ssthresh (Linux's tcp_end_cwnd_reduction,
 * RFC 6582 step 3 "full acknowledgment", RFC 6675 5 step "exits"). */
static void end_recovery(ln_tcp_sock *s)
{
    if (s->cc.ssthresh < LN_TCP_INFINITE_SSTHRESH) s->cc.cwnd = s->cc.ssthresh;
    s->cc.cwnd_cnt = 0;
    s->dupacks = 0;
    s->lost_out = s->retrans_out = 0;
    set_ca_state(s, s->sb && s->sb->n ? LN_CA_DISORDER : LN_CA_OPEN);
}

void ln_tcp_enter_loss(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s);
    cc_sync(s);
    /* A new loss episode (not a repeated timeout) gets a new ssthresh. */
    if (s->ca_state <= LN_CA_DISORDER || s->snd_una == s->high_seq ||
        (s->ca_state == LN_CA_LOSS && !s->retransmits)) {
        s->prior_ssthresh = s->cc.ssthresh;
        s->cc.ssthresh = s->cc_ops->ssthresh(&s->cc, now);
        s->cc_ops->cwnd_event(&s->cc, LN_CA_EVENT_LOSS, now);
    }
    /* Everything outstanding is lost: cwnd = 1 (RFC 5681 3.1 eq. 5), and
     * retransmission goes back to SND.UNA. */
    s->cc.cwnd = 1;
    s->cc.cwnd_cnt = 0;
    s->high_seq = s->snd_max;
    s->dupacks = 0;
    s->lost_out = s->retrans_out = 0;
    s->snd_nxt = s->snd_una;
    if (s->sb) s->sb->high_rxt = s->snd_una;
    /* Karn: nothing sent before the timeout may give an RTT sample. */
    ln_tcp_txq_no_samples(s);
    set_ca_state(s, LN_CA_LOSS);
    if (s->state >= LN_TCP_ESTABLISHED) ln_tcp_emit_cwnd(s, "rto");
}

/* Path MTU went down (tcp_simple_retransmit): what is in flight was cut
 * for the old MSS and is lost, but no congestion was seen, so cwnd stays
 * ("we do not increase the amount of data in the network, units changed",
 * Linux's comment); the loss state only makes go-back-N resend it now, in
 * the new size, within cwnd. */
void ln_tcp_simple_retransmit(ln_tcp_sock *s)
{
    if (s->ca_state != LN_CA_LOSS) {
        cc_sync(s);
        s->high_seq = s->snd_max;
        /* tcp_current_ssthresh: not below 3/4 of cwnd outside recovery */
        uint32_t three_q = (s->cc.cwnd >> 1) + (s->cc.cwnd >> 2);
        if (s->ca_state < LN_CA_CWR && s->cc.ssthresh < three_q) s->cc.ssthresh = three_q;
        s->prior_ssthresh = 0;
        set_ca_state(s, LN_CA_LOSS);
    }
    s->dupacks = 0;
    s->lost_out = s->retrans_out = 0;
    s->snd_nxt = s->snd_una;
    if (s->sb) s->sb->high_rxt = s->snd_una;
    ln_tcp_txq_no_samples(s);               /* Karn: no samples from these */
    ln_tcp_output(s);
}

/* Linux's tcp_fastretrans_alert, reduced to what lunet does: the
 * recovery state machine after an ACK's cumulative and SACK information
 * is in; `acked_segs` + `sacked_segs` is what the ACK delivered (PRR). */
static void recovery(ln_tcp_sock *s, bool una_advanced, uint32_t acked_segs, uint32_t sacked_segs,
                     bool is_dup)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    uint32_t mss = s->mss_cache;
    bool sacking = (s->flags & LN_TF_SACK) != 0;
    uint32_t packets_out = div_up((uint32_t)(s->snd_max - s->snd_una), mss);
    uint32_t delivered = acked_segs + sacked_segs;

    /* Without SACK each duplicate ACK stands for a segment that left the
     * network (Linux's tcp_add_reno_sack); a partial ACK takes them back. */
    if (!sacking) {
        if (is_dup) {
            if (s->dupacks < packets_out) s->dupacks++;
            delivered++;
        } else if (una_advanced) {
            s->dupacks = s->dupacks > acked_segs ? s->dupacks - acked_segs : 0;
        }
    }

    switch (s->ca_state) {
    case LN_CA_LOSS:
        /* After an RTO, slow start until everything sent before it is
         * acknowledged (Linux's tcp_process_loss). */
        if (una_advanced && !ln_seq_lt(s->snd_una, s->high_seq)) {
            s->dupacks = 0;
            s->lost_out = s->retrans_out = 0;
            set_ca_state(s, LN_CA_OPEN);
            s->retransmits = 0;
        }
        return;
    case LN_CA_RECOVERY:
        if (!ln_seq_lt(s->snd_una, s->high_seq)) {
            end_recovery(s);
            ln_tcp_emit_cwnd(s, "recovered");
            return;
        }
        if (!sacking && una_advanced) {
            if (!s->cc_ops->newreno) {
                /* Reno (RFC 5681 3.2 step 6): the first ACK of new data
                 * ends fast recovery. */
                end_recovery(s);
                ln_tcp_emit_cwnd(s, "recovered");
                return;
            }
            /* RFC 6582 3.2 step 3, partial ACK: the next unacknowledged
             * segment is lost too; retransmit it. */
            s->lost_out = 1;
            s->retrans_out = 0;
        }
        prr(s, delivered, una_advanced);
        return;
    default:
        break;
    }

    /* Open or Disorder: time to recover? */
    bool lost;
    if (sacking) {
        /* RFC 6675 5: IsLost(SND.UNA), i.e. DupThresh SACKed segments
         * above the hole (the 3rd duplicate ACK with SACK). */
        lost = s->sb && s->sb->n && ln_tcp_sb_is_lost(s->sb, s->snd_una, mss, c->reordering);
    } else {
        /* RFC 5681 3.2: DupThresh duplicate ACKs; RFC 6582 4.1: not again
         * for data sent before the last recovery began. */
        lost = s->dupacks >= c->reordering && ln_seq_gt(s->snd_una, s->high_seq);
    }
    if (lost) {
        enter_recovery(s, sacking);
        prr(s, delivered ? delivered : 1, una_advanced);
        ln_tcp_emit_cwnd(s, "recovery");
        return;
    }
    bool disorder = sacking ? (s->sb && s->sb->n) : s->dupacks > 0;
    set_ca_state(s, disorder ? LN_CA_DISORDER : LN_CA_OPEN);
}

/* RFC 9293 3.10.7.4's window update rule as Linux's tcp_may_update_window:
 * from a segment that acknowledges something new or is newer than the
 * last update (SND.WL1), or the same one with a larger (or zero) window. */
static bool may_update_window(const ln_tcp_sock *s, ln_seq ack, ln_seq seq, uint32_t nwin)
{
    return ln_seq_gt(ack, s->snd_una) || ln_seq_gt(seq, s->snd_wl1) ||
           (seq == s->snd_wl1 && (nwin > s->snd_wnd || !nwin));
}

/* Linux's tcp_ack (RFC 9293 3.10.7.4 fifth, ESTABLISHED and on).
 * Returns 0 when the segment goes on to the text and FIN steps, 1 when it
 * does too but its ACK is an old duplicate (ignored), -1 when it is to be
 * dropped. */
static int ack_process(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    ln_time now = ln_tcp_now(s);
    ln_seq ack = seg->ack, prior_una = s->snd_una;
    uint32_t mss = s->mss_cache;

    /* RFC 5961 5.2: acceptable only if SND.UNA - MAX.SND.WND <= SEG.ACK
     * <= SND.NXT.  Beyond SND.NXT: RFC 9293 says ACK and drop; Linux
     * drops silently in ESTABLISHED and challenges in the other states. */
    if (ln_seq_gt(ack, s->snd_max)) {
        if (s->state != LN_TCP_ESTABLISHED) challenge_ack(s);
        return -1;
    }
    if (ln_seq_lt(ack, prior_una)) {
        if (ln_seq_lt(ack, prior_una - umax(s->max_window, 1))) {
            challenge_ack(s);
            return -1;
        }
        /* An old duplicate: ignore its ACK, keep its text. */
        return 1;
    }

    s->rcv_tstamp = now;
    s->probes = 0;
    s->soft_error = 0;

    /* Window update (RFC 9293 3.10.7.4). */
    bool win_update = false;
    uint32_t nwin = (uint32_t)seg->wnd << ((s->flags & LN_TF_WSCALE) ? s->snd_wscale : 0);
    if (may_update_window(s, ack, seg->seq, nwin)) {
        s->snd_wl1 = seg->seq;
        s->snd_wl2 = ack;
        if (s->snd_wnd != nwin) {
            win_update = true;
            s->snd_wnd = nwin;
            if (nwin > s->max_window) s->max_window = nwin;
        }
    }

    /* The cumulative ACK. */
    uint32_t acked = (uint32_t)(ack - prior_una), data_acked = 0, was_sacked = 0;
    uint32_t cwnd0 = s->cc.cwnd, ssth0 = s->cc.ssthresh;
    if (acked) {
        data_acked = umin(acked, s->snd.len);
        if (data_acked) ln_ring_read(&s->snd, NULL, data_acked);
        s->snd_una = ack;
        if (ln_seq_lt(s->snd_nxt, ack)) s->snd_nxt = ack;
        s->bytes_acked += data_acked;
        if (s->sb) {
            /* Bytes SACKed earlier were counted as delivered then. */
            uint32_t before = s->sb->sacked;
            ln_tcp_sb_ack(s->sb, ack);
            was_sacked = before - s->sb->sacked;
        }
        if (s->retrans_out && !(s->flags & LN_TF_SACK)) s->retrans_out = 0;
        /* Linux's tcp_ack clears icsk_retransmits on every ACK that
         * advances SND.UNA, in Loss too: the next RTO is a new timeout,
         * which sets ssthresh again (RFC 5681 3.1 eq. 4, tcp_enter_loss).
         * The episode's start stays until Loss ends (timeouts count from
         * the first retransmission, as long as retransmitted data is out). */
        s->retransmits = 0;
        if (s->ca_state != LN_CA_LOSS) s->retrans_stamp = LN_NEVER;
        ln_time ca_rtt;
        rtt_from_ack(s, seg, ack, true, &ca_rtt);
        cc_sync(s);
        s->cc_ops->pkts_acked(&s->cc, div_up(acked, mss), ca_rtt, now);
        if ((s->flags & LN_TF_NOSPACE) && ln_ring_room(&s->snd) >= s->snd.len / 2) {
            s->flags &= ~LN_TF_NOSPACE;
            ln_tcp_notify(s, LN_TCP_EV_WRITABLE);
        }
    }

    /* SACK blocks (RFC 2018, RFC 6675 Update()); a D-SACK (RFC 2883)
     * only counts. */
    uint32_t newly_sacked = 0;
    if ((s->flags & LN_TF_SACK) && seg->n_sack) {
        if (!s->sb) {
            s->sb = malloc(sizeof *s->sb);
            if (s->sb) ln_tcp_sb_reset(s->sb, s->snd_una);
        }
        if (s->sb) {
            if (ln_tcp_sb_update(s->sb, s->snd_una, s->snd_max, seg->sack, seg->n_sack, &newly_sacked))
                LN_MIB_INC(st->node, TcpExtTCPDSACKRecv);
        }
    }

    /* RFC 5681 2: a duplicate ACK acknowledges nothing new, carries no
     * data, does not change the window, while data is outstanding; with
     * SACK only new SACK information counts (RFC 6675 2). */
    bool is_dup = !acked && !seg->len && !(seg->flags & (LN_TCP_SYN | LN_TCP_FIN)) && !win_update &&
                  s->snd_max != s->snd_una;
    if ((s->flags & LN_TF_SACK) && !newly_sacked) is_dup = false;
    uint32_t acked_segs = div_up(acked > was_sacked ? acked - was_sacked : 0, mss);
    uint32_t sacked_segs = div_up(newly_sacked, mss);
    if (acked || is_dup || newly_sacked) recovery(s, acked != 0, acked_segs, sacked_segs, is_dup);

    /* Grow cwnd on new data acknowledged, outside cwnd reduction (Linux's
     * tcp_cong_control -> tcp_cong_avoid). */
    if (data_acked && s->ca_state != LN_CA_RECOVERY && s->ca_state != LN_CA_CWR) {
        cc_sync(s);
        s->cc_ops->cong_avoid(&s->cc, acked_segs + sacked_segs, now);
    }
    if (s->cc.cwnd != cwnd0 || s->cc.ssthresh != ssth0) {
        if (s->cc.cwnd > cwnd0) ln_tcp_sndbuf_expand(s);
        ln_tcp_emit_cwnd(s, "ack");
    }

    /* Timers: RFC 6298 5.2/5.3 on new data acknowledged; the persist
     * timer restarts on every ACK while the window stays shut (Linux's
     * tcp_ack_probe), and stops once it opens. */
    if (acked) {
        ln_tcp_rearm_rtx(s);
    } else if (s->snd_max == s->snd_una && ln_timer_armed(&s->t_rtx) && s->rtx_kind == LN_RTX_PERSIST) {
        ln_seq end = ln_tcp_data_end(s);
        uint32_t next = umin(mss, (uint32_t)(end - s->snd_nxt));
        if (ln_seq_le(s->snd_nxt + next, s->snd_una + s->snd_wnd)) {
            s->backoff = 0;
            s->probes = 0;
            ln_timer_cancel(&net_of(s)->sim, &s->t_rtx);
            s->rtx_kind = LN_RTX_NONE;
        } else {
            ln_tcp_rearm_rtx(s);
        }
    }
    return 0;
}

/* ---- the receiver: text and FIN ----------------------------------------------------------- */

/* RFC 9293 3.10.7.4 eighth, Linux's tcp_fin: the peer's FIN is in order. */
static void fin(ln_tcp_sock *s)
{
    s->rcv_nxt++;
    s->flags |= LN_TF_RCVD_FIN;
    s->flags &= ~LN_TF_OFO_FIN;
    s->ack_pending |= LN_ACK_SCHED;
    switch (s->state) {
    case LN_TCP_SYN_RCVD:
    case LN_TCP_ESTABLISHED:
        /* CLOSE-WAIT; Linux delays this ACK (pingpong) so it can ride on
         * the application's own FIN or data (reference 2). */
        ln_tcp_set_state(s, LN_TCP_CLOSE_WAIT);
        s->flags |= LN_TF_PINGPONG;
        break;
    case LN_TCP_FIN_WAIT_1:
        /* Our FIN is not acknowledged yet (else we would be in
         * FIN-WAIT-2): simultaneous close, CLOSING, ACK at once. */
        ln_tcp_send_ack(s);
        ln_tcp_set_state(s, LN_TCP_CLOSING);
        break;
    case LN_TCP_FIN_WAIT_2:
        ln_tcp_send_ack(s);
        ln_tcp_enter_time_wait(s);
        break;
    default:
        /* CLOSE-WAIT, CLOSING, LAST-ACK: a retransmitted FIN. */
        break;
    }
    /* Data after the FIN makes no sense; Linux drops it. */
    ln_tcp_ofo_purge(&s->ofo);
    ln_tcp_notify(s, LN_TCP_EV_READABLE);
}

/* Out-of-order text (Linux's tcp_data_queue_ofo): kept for later, and
 * ACKed at once with a SACK block for it (RFC 5681 4.2, RFC 2018 4). */
static void data_queue_ofo(ln_tcp_sock *s, ln_tcp_seg *seg, ln_seq seq)
{
    ln_tcp_stack *st = s->st;
    LN_MIB_INC(st->node, TcpExtTCPOFOQueue);
    s->ack_pending |= LN_ACK_SCHED;
    uint32_t len = seg->pkt->len;
    ln_seq wnd_end = s->rcv_nxt + ln_tcp_receive_window(s);
    if (ln_seq_gt(seq + len, wnd_end)) {
        ln_pkt_trim(seg->pkt, (uint32_t)(wnd_end - seq));
        len = seg->pkt->len;
    } else if ((seg->flags & LN_TCP_FIN) && !(s->flags & LN_TF_RCVD_FIN)) {
        s->flags |= LN_TF_OFO_FIN;
        s->ofo_fin_seq = seq + len;
    }
    /* Linux's tcp_sack_new_ofo_skb: a fifth range would push the oldest
     * SACK block out of the list; while ACKs are being compressed, send
     * one first so the sender hears of that block at least once. */
    if (s->ofo.n_sacks >= 4 && s->compressed_ack > TCP_FASTRETRANS_THRESH) {
        bool extends = false;
        for (int i = 0; i < s->ofo.n_sacks; i++)
            if (ln_seq_le(seq, s->ofo.sacks[i].end) && ln_seq_le(s->ofo.sacks[i].start, seq + len))
                extends = true;
        if (!extends) ln_tcp_send_ack(s);
    }
    ln_pkt *p = seg->pkt;
    seg->pkt = NULL;
    ln_tcp_ofo_insert(&s->ofo, s->rcv_nxt, seq, p);
    dsack_from_ofo(s);
}

/* In-order bytes: into the receive ring, then whatever the OFO queue now
 * joins (RFC 5681 4.2: filling a hole is ACKed at once). */
static void queue_in_order(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_pkt *p = seg->pkt;
    uint32_t len = p->len;
    if (len) {
        uint32_t w = ln_ring_write(&s->rcv, p->data, len);
        if (w < len) {
            /* The buffer is full (the peer overran what we offered). */
            LN_MIB_INC(s->st->node, TcpExtTCPRcvQDrop);
            s->ack_pending |= LN_ACK_NOW;
        }
        s->rcv_nxt += w;
        s->bytes_received += w;
        event_data_recv(s, seg);
        if (w < len) seg->flags &= (uint8_t)~LN_TCP_FIN;
    }
    if (s->ofo.head || s->ofo.n_sacks) {
        bool had = s->ofo.head != NULL;
        uint32_t d = ln_tcp_ofo_drain(&s->ofo, s->rcv_nxt, &s->rcv);
        s->rcv_nxt += d;
        s->bytes_received += d;
        dsack_from_ofo(s);
        if (had && !s->ofo.head) s->ack_pending |= LN_ACK_NOW;
    }
    if (len || s->rcv.len) ln_tcp_notify(s, LN_TCP_EV_READABLE);
    if (seg->flags & LN_TCP_FIN) fin(s);
    else if ((s->flags & LN_TF_OFO_FIN) && s->ofo_fin_seq == s->rcv_nxt) fin(s);
}

/* RFC 9293 3.10.7.4 seventh (Linux's tcp_data_queue). */
static void data_queue(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    ln_seq seq = seg->seq;
    uint32_t len = seg->pkt->len;
    bool has_fin = (seg->flags & LN_TCP_FIN) != 0;
    if (!len && !has_fin) {
        seg_done(seg);
        return;
    }
    if (seq == s->rcv_nxt) {
        if (ln_tcp_receive_window(s) == 0 && len) {
            /* Zero window: nothing fits.  Drop and ACK at once with the
             * (zero) window, as Linux does. */
            LN_MIB_INC(st->node, TcpExtTCPZeroWindowDrop);
            enter_quickack(s);
            s->ack_pending |= LN_ACK_SCHED;
            seg_drop(st, seg, LN_DROP_RCVBUF_FULL);
            return;
        }
        queue_in_order(s, seg);
        seg_done(seg);
        return;
    }
    if (!ln_seq_gt(seq + len + (has_fin ? 1 : 0), s->rcv_nxt)) {
        /* All old: a retransmission of what we have.  D-SACK it (RFC 2883)
         * and ACK at once. */
        if (len) dsack_set(s, seq, seq + len, true);
        enter_quickack(s);
        s->ack_pending |= LN_ACK_SCHED;
        seg_done(seg);
        return;
    }
    if (!ln_seq_lt(seq, s->rcv_nxt + ln_tcp_receive_window(s))) {
        enter_quickack(s);
        s->ack_pending |= LN_ACK_SCHED;
        seg_drop(st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
        return;
    }
    if (ln_seq_lt(seq, s->rcv_nxt)) {
        /* Partly old: D-SACK the old part, queue the rest. */
        dsack_set(s, seq, s->rcv_nxt, true);
        ln_pkt_pull(seg->pkt, (uint32_t)(s->rcv_nxt - seq));
        seg->seq = s->rcv_nxt;
        if (ln_tcp_receive_window(s) == 0) {
            enter_quickack(s);
            s->ack_pending |= LN_ACK_SCHED;
            seg_drop(st, seg, LN_DROP_RCVBUF_FULL);
            return;
        }
        queue_in_order(s, seg);
        seg_done(seg);
        return;
    }
    data_queue_ofo(s, seg, seq);
}

/* ---- state changes on input ---------------------------------------------------------------- */

/* Linux's tcp_reset: an acceptable RST.  The error the user sees depends
 * on the state (RFC 9293 3.10.7.4 second). */
static void reset(ln_tcp_sock *s)
{
    int err;
    switch (s->state) {
    case LN_TCP_SYN_SENT: err = LN_ECONNREFUSED; break;
    case LN_TCP_SYN_RCVD: err = (s->flags & LN_TF_PASSIVE) ? LN_ECONNRESET : LN_ECONNREFUSED; break;
    case LN_TCP_CLOSED: return;
    default: err = LN_ECONNRESET; break;
    }
    if (!(s->flags & LN_TF_ORPHAN)) ln_tcp_set_error(s, err);
    ln_tcp_done(s);
}

/* Options of the peer's SYN (RFC 9293 3.7.1, RFC 7323 2-3, RFC 2018 2):
 * each is used only if both sides offered it. */
static void syn_options(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    s->peer_mss = seg->has_mss ? seg->mss : (uint16_t)c->base_mss;
    if (seg->has_ts && c->timestamps) {
        s->flags |= LN_TF_TS;
        s->ts_recent = seg->tsval;
        s->ts_recent_stamp = ln_tcp_now(s);
    }
    if (seg->sack_perm && c->sack) s->flags |= LN_TF_SACK;
    if (seg->has_ws && c->window_scaling) {
        s->flags |= LN_TF_WSCALE;
        s->snd_wscale = seg->ws;
    } else {
        s->snd_wscale = s->rcv_wscale = 0;
        s->window_clamp = umin(s->window_clamp, 65535);
    }
}

/* Both ways established (Linux's tcp_finish_connect and the SYN_RECV
 * case of tcp_rcv_state_process). */
static void established(ln_tcp_sock *s)
{
    ln_node *n = s->st->node;
    ln_timer_cancel(&net_of(s)->sim, &s->t_rtx);
    s->rtx_kind = LN_RTX_NONE;
    ln_tcp_set_state(s, LN_TCP_ESTABLISHED);
    ln_tcp_init_transfer(s);
    if (s->flags & LN_TF_PASSIVE) {
        LN_MIB_INC(n, TcpPassiveOpens);
        if (s->listener) ln_tcp_accept_enqueue(s->listener, s);
    } else {
        s->flags |= LN_TF_CONNECTED;
        ln_tcp_notify(s, LN_TCP_EV_CONNECTED | LN_TCP_EV_WRITABLE);
    }
    /* shutdown(SHUT_WR) before the handshake finished: the FIN goes now. */
    if (s->flags & LN_TF_SHUT_WR) ln_tcp_set_state(s, LN_TCP_FIN_WAIT_1);
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void syn_sent(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    uint8_t f = seg->flags;
    /* First, the ACK: it must acknowledge our SYN and nothing beyond. */
    if ((f & LN_TCP_ACK) && !(ln_seq_gt(seg->ack, s->iss) && ln_seq_le(seg->ack, s->snd_max))) {
        /* <SEQ=SEG.ACK><CTL=RST>, unless it is a RST itself. */
        ln_tcp_send_rst_reply(st, seg);
        seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return;
    }
    /* Second, the RST: only with an acceptable ACK (RFC 5961 3.2; a
     * blind RST cannot guess our ISN). */
    if (f & LN_TCP_RST) {
        if (f & LN_TCP_ACK) {
            reset(s);                          /* "connection refused" */
            seg_done(seg);
        } else {
            seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        }
        return;
    }
    /* Fourth, the SYN. */
    if (!(f & LN_TCP_SYN)) {
        seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return;
    }
    ln_time now = ln_tcp_now(s);
    s->irs = seg->seq;
    s->rcv_nxt = s->rcv_wup = seg->seq + 1;
    syn_options(s, seg);
    ln_tcp_sync_mss(s);
    if (f & LN_TCP_ACK) {
        /* Our SYN is acknowledged: ESTABLISHED.  RFC 7323 2.2: the
         * window of a SYN is not scaled. */
        s->snd_una = seg->ack;
        s->snd_wnd = seg->wnd;
        s->max_window = s->snd_wnd;
        s->snd_wl1 = seg->seq;
        s->snd_wl2 = seg->ack;
        s->rcv_tsecr = 0;
        /* The first RTT sample: from the SYN's send time unless it was
         * retransmitted (Karn), else from the TS echo. */
        if (!s->total_retrans && s->retrans_stamp != LN_NEVER && now >= s->retrans_stamp)
            ln_tcp_rtt_sample(s, now - s->retrans_stamp);
        else if ((s->flags & LN_TF_TS) && seg->tsecr)
            ln_tcp_rtt_sample(s, (ln_time)umax(1, ln_tcp_tsval(st, s->ts_offset) - seg->tsecr) * LN_MSEC);
        if (s->srtt) s->min_rtt = s->srtt;
        s->retrans_stamp = LN_NEVER;
        ln_tcp_init_rcv_mss(s);
        s->lrcvtime = now;
        established(s);
        /* RFC 9293: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.  Data in a
         * SYN-ACK (Fast Open) is not accepted. */
        if (s->state == LN_TCP_FIN_WAIT_1) ln_tcp_output(s);
        if (!(s->flags & LN_TF_FIN_SENT)) ln_tcp_send_ack(s);
        seg_done(seg);
        return;
    }
    /* Simultaneous open (RFC 9293 3.5 figure 8): SYN-RECEIVED, and our
     * SYN again, now with the ACK of theirs. */
    s->snd_wnd = seg->wnd;
    s->max_window = s->snd_wnd;
    s->snd_wl1 = seg->seq;
    s->snd_wl2 = s->snd_una;
    ln_tcp_init_rcv_mss(s);
    ln_tcp_set_state(s, LN_TCP_SYN_RCVD);
    ln_tcp_send_syn(s);
    seg_done(seg);
}

/* Linux's tcp_disordered_ack: a pure duplicate ACK at RCV.NXT that would
 * not update the window, whose TSval is within one RTO's worth of ticks
 * of TS.Recent (tcp_tsval_replay: icsk_rto * 1200 / HZ, for peers whose
 * clock runs up to 1200 Hz), is a reordered ACK rather than an old
 * duplicate.  An old ACK that would change the window (to 0, say) is
 * not let through: that is what PAWS is for. */
static bool disordered_ack(const ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    if (seg->seg_len || seg->seq != s->rcv_nxt || seg->ack != s->snd_una ||
        !(seg->flags & LN_TCP_ACK) || (seg->flags & LN_TCP_RST))
        return false;
    uint32_t nwin = (uint32_t)seg->wnd << ((s->flags & LN_TF_WSCALE) ? s->snd_wscale : 0);
    if (may_update_window(s, seg->ack, seg->seq, nwin)) return false;
    uint64_t replay = (uint64_t)(ln_tcp_rto_cur(s) / (4 * LN_MSEC)) * 1200 / 250;
    return (int64_t)(int32_t)(s->ts_recent - seg->tsval) <= (int64_t)replay;
}

/* RFC 7323 5.3 R1 (Linux's tcp_paws_discard): a segment whose TSval is
 * older than TS.Recent is an old duplicate -- unless TS.Recent is over 24
 * days old, or the segment is a reordered pure duplicate ACK. */
static bool paws_reject(const ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    if (!s->ts_recent) return false;
    if (!paws_tick_older(s->ts_recent, seg->tsval, 1)) return false;
    if (ln_tcp_now(s) - s->ts_recent_stamp >= PAWS_24DAYS) return false;
    return !disordered_ack(s, seg);
}

/* RFC 9293 3.10.7.4 first check, as Linux's tcp_sequence: the segment
 * must overlap [RCV.WUP, RCV.NXT + RCV.WND] (the left edge is where we
 * last advertised, so a probe at RCV.NXT - 1 is outside). */
static bool seq_acceptable(const ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    ln_seq end = seg->seq + seg->seg_len;
    return !ln_seq_lt(end, s->rcv_wup) && !ln_seq_gt(seg->seq, s->rcv_nxt + ln_tcp_receive_window(s));
}

/* RFC 9293 3.10.7.4: every synchronized state (and SYN-RECEIVED). */
static void synchronized(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    ln_node *n = st->node;
    uint8_t f = seg->flags;
    bool ts = (s->flags & LN_TF_TS) && seg->has_ts;

    /* RFC 7323 5.3: PAWS comes before the sequence number check. */
    if (ts && !(f & LN_TCP_RST) && paws_reject(s, seg)) {
        if (f & LN_TCP_SYN) {
            LN_MIB_INC(n, TcpExtTCPSYNChallenge);
            challenge_ack(s);
        } else {
            LN_MIB_INC(n, TcpExtPAWSEstab);
            if (!oow_limited(s, seg)) send_dupack(s, seg);
        }
        seg_drop(st, seg, LN_DROP_TCP_PAWS);
        return;
    }

    /* First, the sequence number.  Unacceptable: an ACK (rate-limited for
     * bare segments), unless it is a RST; a SYN gets a challenge ACK
     * (RFC 5961 4.2). */
    if (!seq_acceptable(s, seg)) {
        if (!(f & LN_TCP_RST)) {
            if (f & LN_TCP_SYN) {
                LN_MIB_INC(n, TcpExtTCPSYNChallenge);
                challenge_ack(s);
            } else if (!oow_limited(s, seg)) {
                send_dupack(s, seg);
            }
        }
        seg_drop(st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
        return;
    }

    /* Second, the RST (RFC 5961 3.2): exactly at RCV.NXT resets; anywhere
     * else in the window only draws a challenge ACK, so a blind attacker
     * must guess the sequence number exactly. */
    if (f & LN_TCP_RST) {
        if (seg->seq == s->rcv_nxt) {
            reset(s);
            seg_done(seg);
        } else {
            challenge_ack(s);
            seg_drop(st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
        }
        return;
    }

    /* Third, security and precedence: lunet has none. */

    /* Fourth, a SYN in a synchronized state (RFC 5961 4.2, replacing RFC
     * 793's reset): challenge ACK.  The exception is the SYN-ACK that
     * completes a simultaneous open (it acknowledges our SYN exactly). */
    bool simul_synack = false;
    if (f & LN_TCP_SYN) {
        simul_synack = s->state == LN_TCP_SYN_RCVD && !(s->flags & LN_TF_PASSIVE) &&
                       (f & LN_TCP_ACK) && seg->seq + 1 == s->rcv_nxt && seg->ack == s->snd_max;
        if (!simul_synack) {
            LN_MIB_INC(n, TcpExtTCPSYNChallenge);
            challenge_ack(s);
            seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
            return;
        }
    }

    /* Fifth, the ACK bit: without it, drop. */
    if (!(f & LN_TCP_ACK)) {
        seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return;
    }

    /* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent --
     * but only once its ACK is known to be acceptable (Linux's tcp_ack:
     * "ts_recent update must be made after we are sure that the packet is
     * in window"), else a blind segment with a bad ACK and a far-future
     * TSval would poison TS.Recent and PAWS would then drop the peer's
     * real segments (RFC 5961 5.2).  Done below, after the ACK checks. */
    bool ts_update = ts && !ln_seq_gt(seg->seq, s->rcv_wup) &&
                     !paws_tick_older(s->ts_recent, seg->tsval, 0);

    if (s->state == LN_TCP_SYN_RCVD) {
        /* SYN-RECEIVED: an acceptable ACK establishes the connection;
         * another gets <SEQ=SEG.ACK><CTL=RST>. */
        if (!(ln_seq_gt(seg->ack, s->snd_una) && ln_seq_le(seg->ack, s->snd_max))) {
            ln_tcp_send_rst_reply(st, seg);
            seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
            return;
        }
        ln_time now = ln_tcp_now(s);
        if (ts_update) {
            s->ts_recent = seg->tsval;
            s->ts_recent_stamp = now;
        }
        s->snd_una = seg->ack;
        s->snd_wnd = (uint32_t)seg->wnd << ((s->flags & LN_TF_WSCALE) ? s->snd_wscale : 0);
        s->max_window = s->snd_wnd;
        s->snd_wl1 = seg->seq;
        s->snd_wl2 = seg->ack;
        s->rcv_tstamp = now;
        if (!s->srtt && ts && seg->tsecr) {
            int32_t d = (int32_t)(ln_tcp_tsval(st, s->ts_offset) - seg->tsecr);
            if (d >= 0) ln_tcp_rtt_sample(s, (ln_time)(d ? d : 1) * LN_MSEC);
        }
        if (s->srtt) s->min_rtt = s->srtt;
        established(s);
        if (simul_synack) {
            /* Its SYN is ours already: the SYN-ACK itself needs an ACK. */
            seg->seq++;
            s->ack_pending |= LN_ACK_SCHED | LN_ACK_NOW;
        }
    } else {
        int rc = ack_process(s, seg);
        if (rc < 0) {
            seg_drop(st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
            return;
        }
        /* Linux skips the update for an old ACK too (tcp_ack's old_ack). */
        if (rc == 0 && ts_update) {
            s->ts_recent = seg->tsval;
            s->ts_recent_stamp = ln_tcp_now(s);
        }
    }

    /* Our FIN acknowledged? */
    bool fin_acked = (s->flags & LN_TF_FIN_SENT) && s->snd_una == s->snd_max;
    switch (s->state) {
    case LN_TCP_FIN_WAIT_1:
        if (!fin_acked) break;
        ln_tcp_set_state(s, LN_TCP_FIN_WAIT_2);
        ln_timer_cancel(&net_of(s)->sim, &s->t_rtx);
        s->rtx_kind = LN_RTX_NONE;
        if (s->flags & LN_TF_ORPHAN) {
            /* Linux: nobody will read more; new data after close, or a FIN
             * beyond what we have, ends it (TCPAbortOnData). */
            if (seg->seg_len && ln_seq_gt(seg->seq + seg->seg_len - ((f & LN_TCP_FIN) ? 1 : 0), s->rcv_nxt)) {
                LN_MIB_INC(n, TcpExtTCPAbortOnData);
                ln_tcp_send_rst_reply(st, seg);
                ln_tcp_done(s);
                seg_done(seg);
                return;
            }
            if (!(f & LN_TCP_FIN)) ln_tcp_arm_fin_wait_2(s);
        } else {
            ln_tcp_notify(s, LN_TCP_EV_WRITABLE);
        }
        break;
    case LN_TCP_CLOSING:
        if (fin_acked) {
            /* RFC 9293: CLOSING, our FIN acknowledged: TIME-WAIT. */
            ln_tcp_enter_time_wait(s);
            seg_done(seg);
            return;
        }
        break;
    case LN_TCP_LAST_ACK:
        if (fin_acked) {
            /* The last ACK: done, no TIME-WAIT for the passive closer. */
            ln_tcp_done(s);
            seg_done(seg);
            return;
        }
        break;
    default:
        break;
    }

    /* Sixth, URG: not supported (the pointer is ignored, the data is
     * delivered inline). */

    /* Seventh, the text; eighth, the FIN (in data_queue, once in order). */
    switch (s->state) {
    case LN_TCP_CLOSE_WAIT:
    case LN_TCP_CLOSING:
    case LN_TCP_LAST_ACK:
        /* The peer already sent its FIN: nothing new can come.  A
         * retransmission of old data is still answered. */
        if (!ln_seq_lt(seg->seq, s->rcv_nxt)) {
            seg_done(seg);
            break;
        }
        /* fall through */
    case LN_TCP_FIN_WAIT_1:
    case LN_TCP_FIN_WAIT_2:
        if ((s->flags & (LN_TF_ORPHAN | LN_TF_SHUT_RD)) && s->state != LN_TCP_CLOSE_WAIT &&
            seg->len &&
            ln_seq_gt(seg->seq + seg->seg_len - ((f & LN_TCP_FIN) ? 1 : 0), s->rcv_nxt)) {
            /* RFC 2525 2.17 / Linux: data for a socket that will not read
             * any more: reset. */
            LN_MIB_INC(n, TcpExtTCPAbortOnData);
            ln_tcp_send_rst_reply(st, seg);
            if (!(s->flags & LN_TF_ORPHAN)) ln_tcp_set_error(s, LN_ECONNRESET);
            ln_tcp_done(s);
            seg_done(seg);
            return;
        }
        /* fall through */
    case LN_TCP_ESTABLISHED:
        if (ts) rcv_rtt_measure_ts(s, seg);
        data_queue(s, seg);
        break;
    default:
        seg_done(seg);
        break;
    }
    if (s->state == LN_TCP_CLOSED || (s->flags & LN_TF_DEAD)) return;

    /* Then send what the ACK allows, and the ACK the data asks for
     * (Linux's tcp_data_snd_check, tcp_ack_snd_check). */
    ln_tcp_output(s);
    ack_snd_check(s);
}

void ln_tcp_process(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    ln_tcp_batch_begin(st);
    switch (s->state) {
    case LN_TCP_CLOSED:
    case LN_TCP_LISTEN:
        seg_drop(st, seg, LN_DROP_NO_SOCKET);
        break;
    case LN_TCP_SYN_SENT:
        syn_sent(s, seg);
        break;
    default:
        synchronized(s, seg);
        break;
    }
    ln_tcp_batch_end(st);
}

/* ---- TIME-WAIT and orphaned FIN-WAIT-2 (Linux's timewait socks) ---------------------------- */

static bool in_window(ln_seq seq, ln_seq end, ln_seq s_win, ln_seq e_win)
{
    if (seq == s_win) return true;
    if (ln_seq_gt(end, s_win) && ln_seq_lt(seq, e_win)) return true;
    return seq == e_win && seq == end;
}

/* Linux's tcp_timewait_state_process.  Returns true when a new SYN may
 * reopen the connection (RFC 1122 4.2.2.13): the caller hands it to the
 * listener once this socket is gone. */
static bool tw_process(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    uint8_t f = seg->flags;
    ln_seq end = seg->seq + seg->seg_len;
    bool ts = (s->flags & LN_TF_TS) && seg->has_ts;
    /* tcp_paws_reject: a RST escapes PAWS once TS.Recent is a minute old. */
    bool paws = ts && s->ts_recent && paws_tick_older(s->ts_recent, seg->tsval, 0) &&
                !((f & LN_TCP_RST) && ln_tcp_now(s) - s->ts_recent_stamp >= PAWS_MSL);

    if (s->state == LN_TCP_FIN_WAIT_2) {
        /* Orphaned FIN-WAIT-2: we closed, the peer may still talk. */
        if (paws || !in_window(seg->seq, end, s->rcv_nxt, s->rcv_nxt + ln_tcp_receive_window(s))) {
            if (!(f & LN_TCP_RST) && !oow_limited(s, seg)) ln_tcp_send_ack(s);
            seg_drop(st, seg, paws ? LN_DROP_TCP_PAWS : LN_DROP_TCP_OUT_OF_WINDOW);
            return false;
        }
        if (f & LN_TCP_RST) {
            ln_tcp_done(s);
            seg_done(seg);
            return false;
        }
        if ((f & LN_TCP_SYN) && !ln_seq_lt(seg->seq, s->rcv_nxt)) {
            ln_tcp_send_rst_reply(st, seg);
            ln_tcp_done(s);
            seg_done(seg);
            return false;
        }
        if (!(f & LN_TCP_ACK) || !ln_seq_gt(end, s->rcv_nxt) || end == seg->seq) {
            seg_done(seg);                     /* a duplicate ACK */
            return false;
        }
        if (!(f & LN_TCP_FIN) || end != s->rcv_nxt + 1) {
            /* New data after our close: reset (RFC 2525 2.17). */
            LN_MIB_INC(st->node, TcpExtTCPAbortOnData);
            ln_tcp_send_rst_reply(st, seg);
            ln_tcp_done(s);
            seg_done(seg);
            return false;
        }
        /* The FIN: true TIME-WAIT, and the ACK (IP ID 0, reference 2). */
        s->rcv_nxt = end;
        s->flags |= LN_TF_RCVD_FIN;
        if (ts) {
            s->ts_recent = seg->tsval;
            s->ts_recent_stamp = ln_tcp_now(s);
        }
        ln_tcp_enter_time_wait(s);
        ln_tcp_send_ack(s);
        seg_done(seg);
        return false;
    }

    /* TIME-WAIT proper. */
    if (!paws && seg->seq == s->rcv_nxt && (seg->seq == end || (f & LN_TCP_RST))) {
        /* In window: a bare ACK, or a RST, which ends TIME-WAIT (RFC 1337
         * "assassination": Linux allows it, tcp_rfc1337 = 0). */
        if (f & LN_TCP_RST) {
            ln_tcp_done(s);
            seg_done(seg);
            return false;
        }
        ln_tcp_enter_time_wait(s);             /* restart 2 MSL */
        if (ts) {
            s->ts_recent = seg->tsval;
            s->ts_recent_stamp = ln_tcp_now(s);
        }
        seg_done(seg);
        return false;
    }
    /* A new SYN, newer than anything of the old connection (by sequence
     * number, or by timestamp): it may open a new incarnation. */
    if ((f & LN_TCP_SYN) && !(f & (LN_TCP_RST | LN_TCP_ACK)) && !paws &&
        (ln_seq_gt(seg->seq, s->rcv_nxt) || (ts && (int32_t)(s->ts_recent - seg->tsval) < 0))) {
        ln_tcp_done(s);
        return true;
    }
    if (paws) LN_MIB_INC(st->node, TcpExtPAWSEstab);
    if (!(f & LN_TCP_RST)) {
        /* Everything else is ACKed, and restarts the 2 MSL: a
         * retransmitted FIN means our last ACK was lost (RFC 9293 3.10.7.4
         * "TIME-WAIT ... acknowledge it, and restart the 2 MSL timeout"). */
        if (paws || (f & LN_TCP_ACK)) ln_tcp_enter_time_wait(s);
        if (!oow_limited(s, seg)) ln_tcp_send_ack(s);
    }
    /* Data here is an old duplicate (or a PAWS reject): dropped with its
     * reason, as ESTABLISHED drops one; a bare ACK, a RST or a FIN again
     * was handled. */
    if (paws) seg_drop(st, seg, LN_DROP_TCP_PAWS);
    else if (seg->len) seg_drop(st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
    else seg_done(seg);
    return false;
}

/* ---- the protocol handler -------------------------------------------------------------------- */

void ln_tcp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    ln_tcp_stack *st = n->tcp;
    /* Linux keeps only segments addressed to this host (PACKET_HOST). */
    if (!st || ln_ip_is_bcast(n, ip->dst) || (ip->dst >> 28) == 0xe) {
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_OTHER_HOST);
        return;
    }
    LN_MIB_INC(n, TcpInSegs);
    ln_tcp_seg seg;
    memset(&seg, 0, sizeof seg);
    int rc = ln_tcp_parse(pkt, ip, &seg);
    if (rc) {
        if (rc == LN_DROP_BAD_CSUM) LN_MIB_INC(n, TcpInCsumErrors);
        LN_MIB_INC(n, TcpInErrs);
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, (ln_drop_reason)rc);
        return;
    }
    ln_tcp_batch_begin(st);
    ln_tcp_sock *s = ln_tcp_lookup_conn(st, seg.saddr, seg.sport, seg.daddr, seg.dport);
    if (s) {
        s->segs_in++;
        if (seg.len) s->data_segs_in++;
        bool tw = s->state == LN_TCP_TIME_WAIT ||
                  (s->state == LN_TCP_FIN_WAIT_2 && (s->flags & LN_TF_ORPHAN) &&
                   s->keep_kind == LN_KEEP_FIN_WAIT_2);
        if (!tw) {
            ln_tcp_process(s, &seg);
            ln_tcp_batch_end(st);
            return;
        }
        if (!tw_process(s, &seg)) {
            ln_tcp_batch_end(st);
            return;
        }
        /* A SYN reopening a TIME-WAIT connection: on to the listener. */
    }
    ln_tcp_sock *l = ln_tcp_lookup_listener(st, seg.daddr, seg.dport);
    if (l) {
        ln_tcp_listen_input(l, &seg);
    } else {
        /* RFC 9293 3.10.7.1: CLOSED -- a reset for anything but a reset. */
        ln_tcp_send_rst_reply(st, &seg);
        seg_drop(st, &seg, LN_DROP_NO_SOCKET);
    }
    ln_tcp_batch_end(st);
}