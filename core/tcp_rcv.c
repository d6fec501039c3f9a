/* tcp_rcv.c - the receive path: the peer's data into the receive queue
 * (in order, or out of order with SACK and D-SACK blocks), its FIN, when
 * to ACK (quick ACKs, delayed ACKs, compressed SACKs), and how the
 * receive window and buffer grow (rcv_ssthresh, the scaling ratio, DRS
 * autotuning when the user reads).
 *
 * Place in the call chain:
 *   tcp_in.c, RFC 9293 3.10.7.4 seventh (text) -> ln_tcp_data_queue
 *     in order     -> queue_in_order -> event_data_recv (measure_rcv_mss,
 *                     grow_window, ato) -> ofo drain -> fin (eighth)
 *     out of order -> data_queue_ofo -> the OFO queue (tcp_buf.c)
 *     old / beyond -> D-SACK, quick ACK, or drop
 *   tcp_in.c, after each segment -> ln_tcp_ack_snd_check: ACK now, arm
 *     the delayed-ACK timer (tcp_timer.c) or compress
 *   tcp_in.c, unacceptable segments -> ln_tcp_send_dupack
 *   ln_tcp_recv (tcp.c) -> ln_tcp_rcv_space_adjust, ln_tcp_cleanup_rbuf
 *   the window quantities these read and move: tcp_win.c
 *
 * Read: RFC 9293 3.10.7.4 seventh and eighth, RFC 1122 4.2.3.2 (delayed
 * ACKs), RFC 5681 4.2 (ACK out-of-order data at once), RFC 2018 4 and
 * RFC 2883 (SACK and D-SACK blocks), and Linux's tcp_input.c
 * (tcp_data_queue, tcp_data_queue_ofo, tcp_fin, tcp_event_data_recv,
 * tcp_measure_rcv_mss, tcp_grow_window, tcp_rcv_space_adjust,
 * __tcp_ack_snd_check) and tcp.c (tcp_cleanup_rbuf). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"


#define TCP_MAX_QUICKACKS   16u     /* Linux: quick ACKs at the start */
#define TCP_COMP_SACK_NR    44u     /* tcp_comp_sack_nr */
#define TCP_COMP_SACK_DELAY LN_MSEC /* tcp_comp_sack_delay_ns */
#define TCP_FASTRETRANS_THRESH 3u
/* The receive buffer a full-sized segment occupies: a veth skb holding a
 * 1500-byte frame has truesize 2304 in the reference runs (the window
 * ceiling 80 x 1024 = 131072 x 160/256 gives the ratio). */
#define TRUESIZE_OVERHEAD   856u

static ln_net *net_of(const ln_tcp_sock *s) { return s->st->node->net; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* ---- quick ACKs and D-SACK --------------------------------------------- */

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

/* A segment that must be answered now (old, out of window, or no room):
 * quick-ACK mode and an ACK scheduled for the end of this input, as
 * Linux's tcp_enter_quickack_mode + inet_csk_schedule_ack. */
static void ack_at_once(ln_tcp_sock *s)
{
    enter_quickack(s);
    s->ack_pending |= LN_ACK_SCHED;
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
    s->xf->dsack.start = start;
    s->xf->dsack.end = end;
    s->flags |= LN_TF_DSACK;
}

/* What the OFO queue found already held, as a D-SACK. */
static void dsack_from_ofo(ln_tcp_sock *s)
{
    if (s->xf->ofo.have_dup) dsack_set(s, s->xf->ofo.dup.start, s->xf->ofo.dup.end, ln_seq_lt(s->xf->ofo.dup.start, s->rcv_nxt));
}

/* Linux's tcp_send_dupack: an ACK for an unacceptable segment; a
 * retransmission of data we have also gets a D-SACK and quick ACKs. */
void ln_tcp_send_dupack(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    if (seg->len && ln_seq_lt(seg->seq, s->rcv_nxt)) {
        enter_quickack(s);
        ln_seq end = seg->seq + seg->len;
        if (ln_seq_gt(end, s->rcv_nxt)) end = s->rcv_nxt;
        /* The D-SACK block is in xf: without memory, a plain ACK. */
        if (ln_tcp_xfer_get(s)) dsack_set(s, seg->seq, end, true);
    }
    ln_tcp_send_ack(s);
}

/* ---- the receiver's model of its buffer and of the peer ---------------- */

/* Bytes the user has read: RCV.NXT less what waits and the FIN. */
static ln_seq copied_seq(const ln_tcp_sock *s)
{
    return s->rcv_nxt - ln_tcp_rcv_queued(s) - ((s->flags & LN_TF_RCVD_FIN) ? 1 : 0);
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
                ln_tcp_set_window_clamp(s, ln_tcp_win_from_space(s, s->rcvbuf));
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
    uint32_t est = s->xf->rcv_rtt_us;
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
    s->xf->rcv_rtt_us = est ? est : 1;
}

/* tcp_rcv_rtt_measure: without timestamps, one window's worth of data
 * takes about an RTT to arrive. */
static void rcv_rtt_measure(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s);
    if (s->xf->rcv_rtt_time) {
        if (ln_seq_lt(s->rcv_nxt, s->xf->rcv_rtt_seq)) return;
        rcv_rtt_update(s, (uint32_t)((now - s->xf->rcv_rtt_time) / LN_USEC), true);
    }
    s->xf->rcv_rtt_seq = s->rcv_nxt + s->rcv_wnd;
    s->xf->rcv_rtt_time = now ? now : 1;
}

/* tcp_rcv_rtt_measure_ts: with timestamps, from the echo in a full
 * segment (ms resolution, at least 1 ms). */
void ln_tcp_rcv_rtt_measure_ts(ln_tcp_sock *s, const ln_tcp_seg *seg)
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
    ln_time rtt = (ln_time)(s->xf->rcv_rtt_us >> 3) * LN_USEC;
    if (!s->xf->rcv_rtt_us || now - s->rcvq_time < rtt) return;
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
                ln_ring_set_limit(&s->xf->rcv, s->rcvbuf);
            }
        }
        s->rcvq_space = copied;
    }
    s->rcvq_seq = cs;
    s->rcvq_time = now;
}

/* ---- when to ACK ------------------------------------------------------- */

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
             s->xf->rcv.len == 0 && s->xf->ofo.bytes == 0))
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
void ln_tcp_ack_snd_check(ln_tcp_sock *s)
{
    if (!(s->ack_pending & LN_ACK_SCHED)) return;
    if (s->state < LN_TCP_ESTABLISHED || (s->flags & LN_TF_DEAD)) return;
    bool ofo = s->xf && s->xf->ofo.head != NULL;
    if (((uint32_t)(s->rcv_nxt - s->rcv_wup) > s->rcv_mss && ln_tcp_raw_window(s) >= s->rcv_wnd) ||
        in_quickack(s) || (s->ack_pending & LN_ACK_NOW)) {
        ln_tcp_send_ack(s);
        return;
    }
    if (!ofo) {
        ln_tcp_arm_delack(s);
        return;
    }
    if (!(s->flags & LN_TF_SACK) || s->xf->compressed_ack >= TCP_COMP_SACK_NR) {
        ln_tcp_send_ack(s);
        return;
    }
    if (s->xf->compressed_ack_rcv_nxt != s->rcv_nxt) {
        s->xf->compressed_ack_rcv_nxt = s->rcv_nxt;
        s->xf->dup_ack_counter = 0;
    }
    if (s->xf->dup_ack_counter < TCP_FASTRETRANS_THRESH) {
        s->xf->dup_ack_counter++;
        ln_tcp_send_ack(s);
        return;
    }
    s->xf->compressed_ack++;
    if (s->ack_pending & LN_ACK_COMP) return;
    /* 5% of the RTT, at most 1 ms. */
    ln_time rtt = (ln_time)s->xf->rcv_rtt_us * 125;   /* x8 us -> ns */
    if (s->srtt && (!rtt || s->srtt < rtt)) rtt = s->srtt;
    ln_time delay = rtt / 20;
    if (delay > TCP_COMP_SACK_DELAY) delay = TCP_COMP_SACK_DELAY;
    ln_time when = ln_tcp_now(s) + delay;
    if (ln_timer_armed(&s->xf->t_delack) && s->xf->t_delack.when <= when) return;
    s->ack_pending |= LN_ACK_COMP;
    ln_timer_arm(&net_of(s)->sim, &s->xf->t_delack, when);
}

/* ---- text and FIN ------------------------------------------------------ */

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
    ln_tcp_ofo_purge(&s->xf->ofo);
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
        s->xf->ofo_fin_seq = seq + len;
    }
    /* Linux's tcp_sack_new_ofo_skb: a fifth range would push the oldest
     * SACK block out of the list; while ACKs are being compressed, send
     * one first so the sender hears of that block at least once. */
    if (s->xf->ofo.n_sacks >= 4 && s->xf->compressed_ack > TCP_FASTRETRANS_THRESH) {
        bool extends = false;
        for (int i = 0; i < s->xf->ofo.n_sacks; i++)
            if (ln_seq_le(seq, s->xf->ofo.sacks[i].end) && ln_seq_le(s->xf->ofo.sacks[i].start, seq + len))
                extends = true;
        if (!extends) ln_tcp_send_ack(s);
    }
    /* Linux's tcp_ooo_try_coalesce: a segment right after the last
     * out-of-order one joins its skb. */
    if (s->xf->ofo.n_sacks && s->xf->ofo.sacks[0].end == seq) LN_MIB_INC(st->node, TcpExtTCPRcvCoalesce);
    ln_pkt *p = seg->pkt;
    seg->pkt = NULL;
    ln_tcp_ofo_insert(&s->xf->ofo, s->rcv_nxt, seq, p);
    dsack_from_ofo(s);
}

/* In-order bytes: into the receive ring, then whatever the OFO queue now
 * joins (RFC 5681 4.2: filling a hole is ACKed at once). */
static void queue_in_order(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_pkt *p = seg->pkt;
    uint32_t len = p->len;
    if (len) {
        /* Linux's tcp_queue_rcv: data joins an unread tail skb
         * (tcp_try_coalesce) rather than a new one. */
        if (s->xf->rcv.len) LN_MIB_INC(s->st->node, TcpExtTCPRcvCoalesce);
        uint32_t w = ln_ring_write_pkt(&s->xf->rcv, p);
        if (w < len) {
            /* The buffer is full (the peer overran what we offered). */
            LN_MIB_INC(s->st->node, TcpExtTCPRcvQDrop);
            s->ack_pending |= LN_ACK_NOW;
        }
        s->rcv_nxt += w;
        s->xf->bytes_received += w;
        event_data_recv(s, seg);
        if (w < len) seg->flags &= (uint8_t)~LN_TCP_FIN;
    }
    if (s->xf->ofo.head || s->xf->ofo.n_sacks) {
        bool had = s->xf->ofo.head != NULL;
        uint32_t d = ln_tcp_ofo_drain(&s->xf->ofo, s->rcv_nxt, &s->xf->rcv);
        s->rcv_nxt += d;
        s->xf->bytes_received += d;
        dsack_from_ofo(s);
        if (had && !s->xf->ofo.head) s->ack_pending |= LN_ACK_NOW;
    }
    if (len || s->xf->rcv.len) ln_tcp_notify(s, LN_TCP_EV_READABLE);
    if (seg->flags & LN_TCP_FIN) fin(s);
    else if ((s->flags & LN_TF_OFO_FIN) && s->xf->ofo_fin_seq == s->rcv_nxt) fin(s);
}

/* In-order text, unless the window is zero: then nothing fits, and the
 * segment is dropped and ACKed at once with the (zero) window, as Linux
 * does.  zero_window_drop: count it as TCPZeroWindowDrop (a segment that
 * started at RCV.NXT with data; the tail of a partly old one is not). */
static void queue_unless_full(ln_tcp_sock *s, ln_tcp_seg *seg, bool zero_window_drop)
{
    if (ln_tcp_receive_window(s) == 0 && (seg->pkt->len || !zero_window_drop)) {
        if (zero_window_drop) LN_MIB_INC(s->st->node, TcpExtTCPZeroWindowDrop);
        ack_at_once(s);
        ln_tcp_seg_drop(s->st, seg, LN_DROP_RCVBUF_FULL);
        return;
    }
    queue_in_order(s, seg);
    ln_tcp_seg_done(seg);
}

/* RFC 9293 3.10.7.4 seventh (Linux's tcp_data_queue). */
void ln_tcp_data_queue(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    ln_seq seq = seg->seq;
    uint32_t len = seg->pkt->len;
    bool has_fin = (seg->flags & LN_TCP_FIN) != 0;
    if (!len && !has_fin) {
        ln_tcp_seg_done(seg);
        return;
    }
    if (seq == s->rcv_nxt) {
        queue_unless_full(s, seg, len != 0);
        return;
    }
    if (!ln_seq_gt(seq + len + (has_fin ? 1 : 0), s->rcv_nxt)) {
        /* All old: a retransmission of what we have.  D-SACK it (RFC 2883)
         * and ACK at once. */
        if (len) dsack_set(s, seq, seq + len, true);
        ack_at_once(s);
        ln_tcp_seg_done(seg);
        return;
    }
    if (!ln_seq_lt(seq, s->rcv_nxt + ln_tcp_receive_window(s))) {
        ack_at_once(s);
        ln_tcp_seg_drop(st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
        return;
    }
    if (ln_seq_lt(seq, s->rcv_nxt)) {
        /* Partly old: D-SACK the old part, queue the rest. */
        dsack_set(s, seq, s->rcv_nxt, true);
        ln_pkt_pull(seg->pkt, (uint32_t)(s->rcv_nxt - seq));
        seg->seq = s->rcv_nxt;
        queue_unless_full(s, seg, false);
        return;
    }
    data_queue_ofo(s, seg, seq);
}
