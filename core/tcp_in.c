/* tcp_in.c - where a segment goes when it arrives: demultiplexing, and
 * the RFC 9293 3.10.7 state walk for a connection (SYN-SENT, then every
 * synchronized state in the RFC's order of checks), and TIME-WAIT.  What
 * an acceptable ACK does is in tcp_ack.c, what the text and FIN do in
 * tcp_rcv.c.
 *
 * Read, in this order:
 *   RFC 9293 3.10.7 (SEGMENT ARRIVES: this file follows it step by step),
 *     3.5 (open, simultaneous open), 3.6 (close)
 *   RFC 5961 (RST and SYN acceptance, challenge ACKs)
 *   RFC 7323 5 (PAWS), RFC 1122 4.2.2.13 (TIME-WAIT reopened by a SYN),
 *   RFC 2525 2.17 (data after close)
 * and where the RFCs leave a choice, Linux's tcp_input.c
 * (tcp_rcv_state_process, tcp_validate_incoming), tcp_minisocks.c
 * (tcp_timewait_state_process) and tcp_ipv4.c (tcp_v4_rcv), which is
 * what lunet copies.
 *
 * Call chain:
 *   ln_ip_input -> deliver -> ln_tcp_input (parse, checksum, demux)
 *     -> TIME_WAIT / orphaned FIN_WAIT_2:   tw_process (tcp_timewait_state_process)
 *     -> connection:                        ln_tcp_process
 *          SYN_SENT:       syn_sent (3.10.7.3)
 *          synchronized:   synchronized (3.10.7.4), one function a step:
 *                          check_paws, check_seq (first), check_rst
 *                          (second), check_syn (fourth), check_ack (fifth:
 *                          ln_tcp_ack in tcp_ack.c), process_text (seventh
 *                          and eighth: ln_tcp_data_queue in tcp_rcv.c)
 *          then ln_tcp_output (tcp_out.c) and ln_tcp_ack_snd_check (tcp_rcv.c)
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
#include "ip6.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"
#include "wire.h"
#define PAWS_24DAYS (24ull * 24 * 3600 * LN_SEC)
#define PAWS_MSL    (60 * LN_SEC)

static ln_net *net_of(const ln_tcp_sock *s) { return s->st->node->net; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* ---- small helpers --------------------------------------------------------------- */

/* Discard the segment (a drop: counted, and the DROP event shows the TCP
 * header, which the parse left just before the payload). */
void ln_tcp_seg_drop(ln_tcp_stack *st, ln_tcp_seg *seg, ln_drop_reason why)
{
    ln_pkt *p = seg->pkt;
    seg->pkt = NULL;
    if (!p) return;
    if (ln_pkt_headroom(p) >= seg->hlen) ln_pkt_push(p, seg->hlen);
    ln_net_drop(st->node->net, st->node, p->in_if, p, LN_LAYER_L4, why);
}

/* The segment was used up (not a drop). */
void ln_tcp_seg_done(ln_tcp_seg *seg)
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
void ln_tcp_challenge_ack(ln_tcp_sock *s)
{
    if (oow_rate_limited(s) || !ln_tcp_challenge_ok(s->st)) {
        LN_TCP_TRACE(s, "challenge ACK not sent: rate limit (tcp_invalid_ratelimit, "
                        "tcp_challenge_ack_limit)");
        return;
    }
    LN_TCP_TRACE(s, "challenge ACK (RFC 5961): ack %u", s->rcv_nxt);
    LN_MIB_INC(s->st->node, TcpExtTCPChallengeACK);
    ln_tcp_send_ack(s);
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
        ln_tcp_seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return;
    }
    /* Second, the RST: only with an acceptable ACK (RFC 5961 3.2; a
     * blind RST cannot guess our ISN). */
    if (f & LN_TCP_RST) {
        if (f & LN_TCP_ACK) {
            reset(s);                          /* "connection refused" */
            ln_tcp_seg_done(seg);
        } else {
            ln_tcp_seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        }
        return;
    }
    /* Fourth, the SYN. */
    if (!(f & LN_TCP_SYN)) {
        ln_tcp_seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
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
        ln_tcp_seg_done(seg);
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
    ln_tcp_seg_done(seg);
}

/* ---- synchronized states (RFC 9293 3.10.7.4) ------------------------------ */

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
    uint32_t nwin = ln_tcp_seg_wnd(s, seg);
    if (ln_tcp_may_update_window(s, seg->ack, seg->seq, nwin)) return false;
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

/* A SYN where none belongs (RFC 5961 4.2): a challenge ACK, so that a
 * peer that really restarted resets the old connection with the RST it
 * sends back, and a blind attacker learns nothing. */
static void syn_challenge(ln_tcp_sock *s)
{
    LN_MIB_INC(s->st->node, TcpExtTCPSYNChallenge);
    ln_tcp_challenge_ack(s);
}

/* RFC 7323 5.3: PAWS, which comes before the sequence number check.
 * Returns false if the segment was dropped. */
static bool check_paws(ln_tcp_sock *s, ln_tcp_seg *seg, bool ts)
{
    uint8_t f = seg->flags;
    if (!ts || (f & LN_TCP_RST) || !paws_reject(s, seg)) return true;
    LN_TCP_TRACE(s, "PAWS: TSval %u older than TS.Recent %u: dropped (RFC 7323 5.3)", seg->tsval,
                 s->ts_recent);
    if (f & LN_TCP_SYN) {
        syn_challenge(s);
    } else {
        LN_MIB_INC(s->st->node, TcpExtPAWSEstab);
        if (!oow_limited(s, seg)) ln_tcp_send_dupack(s, seg);
    }
    ln_tcp_seg_drop(s->st, seg, LN_DROP_TCP_PAWS);
    return false;
}

/* RFC 9293 3.10.7.4 first: the sequence number.  Unacceptable: an ACK
 * (rate-limited for bare segments), unless it is a RST; a SYN gets a
 * challenge ACK (RFC 5961 4.2). */
static bool check_seq(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    uint8_t f = seg->flags;
    if (seq_acceptable(s, seg)) return true;
    LN_TCP_TRACE(s, "seq %u len %u outside the window %u+%u: dropped%s", seg->seq, seg->len, s->rcv_nxt,
                 s->rcv_wnd, (f & LN_TCP_RST) ? "" : ", duplicate ACK (rate-limited)");
    if (!(f & LN_TCP_RST)) {
        if (f & LN_TCP_SYN) syn_challenge(s);
        else if (!oow_limited(s, seg)) ln_tcp_send_dupack(s, seg);
    }
    ln_tcp_seg_drop(s->st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
    return false;
}

/* RFC 9293 3.10.7.4 second: the RST (RFC 5961 3.2).  Exactly at RCV.NXT
 * it resets; anywhere else in the window it only draws a challenge ACK,
 * so a blind attacker must guess the sequence number exactly. */
static bool check_rst(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    if (!(seg->flags & LN_TCP_RST)) return true;
    if (seg->seq == s->rcv_nxt) {
        LN_TCP_TRACE(s, "RST at RCV.NXT %u: reset", seg->seq);
        reset(s);
        ln_tcp_seg_done(seg);
    } else {
        LN_TCP_TRACE(s, "RST at %u, in the window but not RCV.NXT %u: challenge (RFC 5961 3.2)", seg->seq,
                     s->rcv_nxt);
        ln_tcp_challenge_ack(s);
        ln_tcp_seg_drop(s->st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
    }
    return false;
}

/* RFC 9293 3.10.7.4 fourth: a SYN in a synchronized state (RFC 5961 4.2,
 * replacing RFC 793's reset) draws a challenge ACK.  The exception is the
 * SYN-ACK that completes a simultaneous open (it acknowledges our SYN
 * exactly): *simul_synack says so. */
static bool check_syn(ln_tcp_sock *s, ln_tcp_seg *seg, bool *simul_synack)
{
    uint8_t f = seg->flags;
    *simul_synack = false;
    if (!(f & LN_TCP_SYN)) return true;
    *simul_synack = s->state == LN_TCP_SYN_RCVD && !(s->flags & LN_TF_PASSIVE) &&
                    (f & LN_TCP_ACK) && seg->seq + 1 == s->rcv_nxt && seg->ack == s->snd_max;
    if (*simul_synack) return true;
    LN_TCP_TRACE(s, "SYN in %s: challenge ACK, not a reset (RFC 5961 4.2)", ln_tcp_state_name(s->state));
    syn_challenge(s);
    ln_tcp_seg_drop(s->st, seg, LN_DROP_TCP_BAD_SEGMENT);
    return false;
}

/* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent. */
static void ts_recent_update(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    s->ts_recent = seg->tsval;
    s->ts_recent_stamp = ln_tcp_now(s);
}

/* RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: an acceptable ACK establishes
 * the connection; another gets <SEQ=SEG.ACK><CTL=RST>. */
static bool ack_syn_rcvd(ln_tcp_sock *s, ln_tcp_seg *seg, bool ts, bool ts_update, bool simul_synack)
{
    ln_tcp_stack *st = s->st;
    if (!(ln_seq_gt(seg->ack, s->snd_una) && ln_seq_le(seg->ack, s->snd_max))) {
        ln_tcp_send_rst_reply(st, seg);
        ln_tcp_seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return false;
    }
    ln_time now = ln_tcp_now(s);
    if (ts_update) ts_recent_update(s, seg);
    s->snd_una = seg->ack;
    s->snd_wnd = ln_tcp_seg_wnd(s, seg);
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
    return true;
}

/* RFC 9293 3.10.7.4 fifth, what an ACK of our FIN does in FIN-WAIT-1,
 * CLOSING and LAST-ACK.  Returns false if the segment was used up. */
static bool ack_of_fin(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    uint8_t f = seg->flags;
    bool fin_acked = (s->flags & LN_TF_FIN_SENT) && s->snd_una == s->snd_max;
    if (!fin_acked) return true;
    switch (s->state) {
    case LN_TCP_FIN_WAIT_1:
        ln_tcp_set_state(s, LN_TCP_FIN_WAIT_2);
        ln_timer_cancel(&net_of(s)->sim, &s->t_rtx);
        s->rtx_kind = LN_RTX_NONE;
        if (s->flags & LN_TF_ORPHAN) {
            /* Linux: nobody will read more; new data after close, or a FIN
             * beyond what we have, ends it (TCPAbortOnData). */
            if (seg->seg_len && ln_seq_gt(seg->seq + seg->seg_len - ((f & LN_TCP_FIN) ? 1 : 0), s->rcv_nxt)) {
                LN_MIB_INC(s->st->node, TcpExtTCPAbortOnData);
                ln_tcp_send_rst_reply(s->st, seg);
                ln_tcp_done(s);
                ln_tcp_seg_done(seg);
                return false;
            }
            if (!(f & LN_TCP_FIN)) ln_tcp_arm_fin_wait_2(s);
        } else {
            ln_tcp_notify(s, LN_TCP_EV_WRITABLE);
        }
        return true;
    case LN_TCP_CLOSING:
        /* RFC 9293: CLOSING, our FIN acknowledged: TIME-WAIT. */
        ln_tcp_enter_time_wait(s);
        ln_tcp_seg_done(seg);
        return false;
    case LN_TCP_LAST_ACK:
        /* The last ACK: done, no TIME-WAIT for the passive closer. */
        ln_tcp_done(s);
        ln_tcp_seg_done(seg);
        return false;
    default:
        return true;
    }
}

/* RFC 9293 3.10.7.4 fifth: the ACK field.  Without the ACK bit, drop. */
static bool check_ack(ln_tcp_sock *s, ln_tcp_seg *seg, bool ts, bool simul_synack)
{
    if (!(seg->flags & LN_TCP_ACK)) {
        ln_tcp_seg_drop(s->st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return false;
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
        if (!ack_syn_rcvd(s, seg, ts, ts_update, simul_synack)) return false;
    } else {
        int rc = ln_tcp_ack(s, seg);
        if (rc < 0) {
            ln_tcp_seg_drop(s->st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
            return false;
        }
        /* Linux skips the update for an old ACK too (tcp_ack's old_ack). */
        if (rc == 0 && ts_update) ts_recent_update(s, seg);
    }
    return ack_of_fin(s, seg);
}

/* RFC 9293 3.10.7.4 seventh, the segment text, and eighth, the FIN
 * (tcp_rcv.c processes it once it is in order, after the text before
 * it).  Returns false if the connection ended here. */
static bool process_text(ln_tcp_sock *s, ln_tcp_seg *seg, bool ts)
{
    uint8_t f = seg->flags;
    switch (s->state) {
    case LN_TCP_CLOSE_WAIT:
    case LN_TCP_CLOSING:
    case LN_TCP_LAST_ACK:
        /* The peer already sent its FIN: nothing new can come.  A
         * retransmission of old data is still answered. */
        if (!ln_seq_lt(seg->seq, s->rcv_nxt)) {
            ln_tcp_seg_done(seg);
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
            LN_MIB_INC(s->st->node, TcpExtTCPAbortOnData);
            ln_tcp_send_rst_reply(s->st, seg);
            if (!(s->flags & LN_TF_ORPHAN)) ln_tcp_set_error(s, LN_ECONNRESET);
            ln_tcp_done(s);
            ln_tcp_seg_done(seg);
            return false;
        }
        /* fall through */
    case LN_TCP_ESTABLISHED:
        if (ts) ln_tcp_rcv_rtt_measure_ts(s, seg);
        ln_tcp_data_queue(s, seg);
        break;
    default:
        ln_tcp_seg_done(seg);
        break;
    }
    return true;
}

/* RFC 9293 3.10.7.4: every synchronized state (and SYN-RECEIVED), one
 * step of the RFC's order after the other; a step returns false when it
 * used the segment up. */
static void synchronized(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    bool ts = (s->flags & LN_TF_TS) && seg->has_ts;
    bool simul_synack;

    if (!check_paws(s, seg, ts)) return;
    if (!check_seq(s, seg)) return;                         /* first */
    if (!check_rst(s, seg)) return;                         /* second */
    /* Third, security and precedence: lunet has none. */
    if (!check_syn(s, seg, &simul_synack)) return;          /* fourth */
    /* From here on the connection needs xf, unless the segment only
     * completes the handshake (SYN-RECEIVED, no text, no FIN): that keeps
     * a new connection small until it carries data.  Without memory the
     * segment is dropped, as when a ring cannot take its data; the peer
     * sends it again. */
    if (!s->xf && (s->state != LN_TCP_SYN_RCVD || seg->seg_len) && !ln_tcp_xfer_get(s)) {
        ln_tcp_seg_drop(s->st, seg, LN_DROP_NO_BUFFER);
        return;
    }
    if (!check_ack(s, seg, ts, simul_synack)) return;       /* fifth */
    /* Sixth, URG: not supported (the pointer is ignored, the data is
     * delivered inline). */
    if (!process_text(s, seg, ts)) return;                  /* seventh, eighth */
    if (s->state == LN_TCP_CLOSED || (s->flags & LN_TF_DEAD)) return;

    /* Then send what the ACK allows, and the ACK the data asks for
     * (Linux's tcp_data_snd_check, tcp_ack_snd_check). */
    ln_tcp_output(s);
    ln_tcp_ack_snd_check(s);
}

void ln_tcp_process(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = s->st;
    ln_tcp_batch_begin(st);
    switch (s->state) {
    case LN_TCP_CLOSED:
    case LN_TCP_LISTEN:
        ln_tcp_seg_drop(st, seg, LN_DROP_NO_SOCKET);
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

/* RFC 9293 3.10.7.4 acceptability, as Linux's tcp_in_window(). */
bool ln_tcp_in_window(ln_seq seq, ln_seq end, ln_seq s_win, ln_seq e_win)
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
        if (paws || !ln_tcp_in_window(seg->seq, end, s->rcv_nxt, s->rcv_nxt + ln_tcp_receive_window(s))) {
            if (!(f & LN_TCP_RST) && !oow_limited(s, seg)) ln_tcp_send_ack(s);
            ln_tcp_seg_drop(st, seg, paws ? LN_DROP_TCP_PAWS : LN_DROP_TCP_OUT_OF_WINDOW);
            return false;
        }
        if (f & LN_TCP_RST) {
            ln_tcp_done(s);
            ln_tcp_seg_done(seg);
            return false;
        }
        if ((f & LN_TCP_SYN) && !ln_seq_lt(seg->seq, s->rcv_nxt)) {
            ln_tcp_send_rst_reply(st, seg);
            ln_tcp_done(s);
            ln_tcp_seg_done(seg);
            return false;
        }
        if (!(f & LN_TCP_ACK) || !ln_seq_gt(end, s->rcv_nxt) || end == seg->seq) {
            ln_tcp_seg_done(seg);                     /* a duplicate ACK */
            return false;
        }
        if (!(f & LN_TCP_FIN) || end != s->rcv_nxt + 1) {
            /* New data after our close: reset (RFC 2525 2.17). */
            LN_MIB_INC(st->node, TcpExtTCPAbortOnData);
            ln_tcp_send_rst_reply(st, seg);
            ln_tcp_done(s);
            ln_tcp_seg_done(seg);
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
        ln_tcp_seg_done(seg);
        return false;
    }

    /* TIME-WAIT proper. */
    if (!paws && seg->seq == s->rcv_nxt && (seg->seq == end || (f & LN_TCP_RST))) {
        /* In window: a bare ACK, or a RST, which ends TIME-WAIT (RFC 1337
         * "assassination": Linux allows it, tcp_rfc1337 = 0). */
        if (f & LN_TCP_RST) {
            ln_tcp_done(s);
            ln_tcp_seg_done(seg);
            return false;
        }
        ln_tcp_enter_time_wait(s);             /* restart 2 MSL */
        if (ts) {
            s->ts_recent = seg->tsval;
            s->ts_recent_stamp = ln_tcp_now(s);
        }
        ln_tcp_seg_done(seg);
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
    if (paws) ln_tcp_seg_drop(st, seg, LN_DROP_TCP_PAWS);
    else if (seg->len) ln_tcp_seg_drop(st, seg, LN_DROP_TCP_OUT_OF_WINDOW);
    else ln_tcp_seg_done(seg);
    return false;
}

/* ---- the protocol handler -------------------------------------------------------------------- */

/* Demultiplex a parsed segment (v6: an IPv6 one; inlined into each
 * family's handler so that IPv4 tests nothing for IPv6): its connection, TIME-WAIT,
 * a listener, or a reset (tcp_v4_rcv / tcp_v6_rcv after the parse). */
static inline __attribute__((always_inline)) void demux(ln_tcp_stack *st, ln_tcp_seg *seg, bool v6)
{
    ln_tcp_batch_begin(st);
    ln_tcp_sock *s = v6 ? ln_tcp_lookup_conn6(st, seg->v6, seg->sport, seg->dport)
                             : ln_tcp_lookup_conn_hashed(st, seg->hash, seg->saddr, seg->sport,
                                                         seg->daddr, seg->dport);
    if (s) {
        /* Most segments move the retransmission timer (an ACK of new data
         * cancels or re-arms it, the SYN-ACK cancels the SYN's), and many
         * are answered (the SYN-ACK by the handshake's ACK) through the
         * neighbour entry the last segment went out through, cold on a
         * host with thousands of connections. */
        ln_timer_prefetch(&st->node->net->sim, &s->t_rtx);
        if (s->rcache.neigh && s->rcache.ifc) {
            __builtin_prefetch(s->rcache.neigh);
            ln_neigh_prefetch_bucket(&st->node->arp, s->rcache.ifc->index, &s->rcache.nh);
        }
        s->segs_in++;
        if (seg->len) {
            /* Data makes xf (see ln_tcp_process; without memory the
             * segment is dropped there). */
            ln_tcp_xfer *x = ln_tcp_xfer_get(s);
            if (x) x->data_segs_in++;
        }
        bool tw = s->state == LN_TCP_TIME_WAIT ||
                  (s->state == LN_TCP_FIN_WAIT_2 && (s->flags & LN_TF_ORPHAN) &&
                   s->keep_kind == LN_KEEP_FIN_WAIT_2);
        if (!tw) {
            ln_tcp_process(s, seg);
            ln_tcp_batch_end(st);
            return;
        }
        if (!tw_process(s, seg)) {
            ln_tcp_batch_end(st);
            return;
        }
        /* A SYN reopening a TIME-WAIT connection: on to the listener. */
    }
    ln_tcp_sock *l = v6 ? ln_tcp_lookup_listener6(st, &seg->v6->laddr, seg->dport)
                             : ln_tcp_lookup_listener(st, seg->daddr, seg->dport);
    if (l) {
        ln_tcp_listen_input(l, seg);
    } else {
        /* RFC 9293 3.10.7.1: CLOSED -- a reset for anything but a reset. */
        ln_tcp_send_rst_reply(st, seg);
        ln_tcp_seg_drop(st, seg, LN_DROP_NO_SOCKET);
    }
    ln_tcp_batch_end(st);
}

/* Below this many connections and requests a stack's tables fit in a
 * few lines that stay in the cache, and the hash would be work for
 * nothing (bench_tcp's workloads, a few busy connections, ran 1.1% more
 * instructions with it). */
#define EARLY_PREFETCH_MIN 64

void ln_tcp_input_prefetch(ln_node *n, uint32_t src, uint32_t dst, const uint8_t *ports)
{
    ln_tcp_stack *st = n->tcp;
    if (!st || st->n_conns + st->n_reqs < EARLY_PREFETCH_MIN) return;
    ln_tcp_prefetch(st, ln_tcp_tuple_hash(st, src, ln_get16(ports), dst, ln_get16(ports + 2)));
}

void ln_tcp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    ln_tcp_stack *st = n->tcp;
    /* Linux keeps only segments addressed to this host (PACKET_HOST). */
    if (!st || ln_ip_is_bcast(n, ip->dst) || ln_ip_is_mcast(ip->dst)) {
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_OTHER_HOST);
        return;
    }
    LN_MIB_INC(n, TcpInSegs);
    /* The tables' buckets are the lookups' first cache misses (a server
     * with many connections): start them before parsing. */
    uint32_t h = 0;
    if (pkt->len >= 4) {
        h = ln_tcp_tuple_hash(st, ip->src, ln_get16(pkt->data), ip->dst, ln_get16(pkt->data + 2));
        ln_tcp_prefetch(st, h);
    }
    ln_tcp_seg seg;
    int rc = ln_tcp_parse(pkt, ip, &seg);
    if (rc) {
        if (rc == LN_DROP_BAD_CSUM) LN_MIB_INC(n, TcpInCsumErrors);
        LN_MIB_INC(n, TcpInErrs);
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, (ln_drop_reason)rc);
        return;
    }
    seg.has_hash = true;                /* parse checked the ports were there */
    seg.hash = h;
    demux(st, &seg, false);
}

/* tcp_v6_rcv: the same checks over IPv6, where the pseudo-header is RFC
 * 8200 8.1's and a segment to a multicast group is dropped as Linux drops
 * it (PACKET_HOST only). */
void ln_tcp6_input(ln_node *n, ln_pkt *pkt, const ln_ip6_info *ip)
{
    ln_tcp_stack *st = n->tcp;
    if (!st || ln_in6_is_mcast(&ip->dst)) {
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_OTHER_HOST);
        return;
    }
    LN_MIB_INC(n, TcpInSegs);
    ln_tcp_seg seg;
    int rc = ln_tcp_parse6(pkt, &ip->src, &ip->dst, &seg);
    if (rc) {
        if (rc == LN_DROP_BAD_CSUM) LN_MIB_INC(n, TcpInCsumErrors);
        LN_MIB_INC(n, TcpInErrs);
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, (ln_drop_reason)rc);
        return;
    }
    /* tcp_v6_syn_recv_sock: a link-local peer is answered out of the
     * interface its segment came in on (inet6_iif), and so is a RST. */
    ln_tcp6 a = { .laddr = ip->dst, .raddr = ip->src,
                  .oif = ln_in6_is_linklocal(&ip->src) ? ip->in_if : NULL };
    seg.v6 = &a;
    seg.saddr = ln_tcp6_fold(st, &ip->src);
    seg.daddr = ln_tcp6_fold(st, &ip->dst);
    seg.ttl = ip->hlim;
    seg.tos = ip->tclass;
    demux(st, &seg, true);
}
