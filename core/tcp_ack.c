/* tcp_ack.c - the ACK path of the sender: whether an ACK is acceptable,
 * the send window it carries, what it acknowledges (RTT samples, the
 * send ring, the SACK scoreboard), and what that says about losses: the
 * recovery state machine, PRR, and the congestion window.
 *
 * Place in the call chain:
 *   tcp_in.c, RFC 9293 3.10.7.4 fifth (ESTABLISHED and on) -> ln_tcp_ack
 *     ack_acceptable (RFC 5961 5.2) -> update_window -> clean_acked
 *     (rtt_from_ack -> ln_tcp_rtt_sample in tcp_timer.c; pkts_acked) ->
 *     sack_update (tcp_sack.c) -> recovery (enter_recovery, prr,
 *     end_recovery) -> cong_control (cong_avoid, tcp_cc_*.c) -> ack_timers
 *   tcp_timer.c, RTO -> ln_tcp_enter_loss
 *   tcp_icmp.c, path MTU fell -> ln_tcp_simple_retransmit
 *   what is sent because of it: ln_tcp_output (tcp_out.c), called by
 *     tcp_in.c once the whole segment is processed
 *
 * Read: RFC 5961 5.2 (ACK range), RFC 9293 3.10.7.4 (window update),
 * RFC 6298 3 (Karn) and RFC 7323 4 (RTTM), RFC 5681 (dupacks, fast
 * retransmit), RFC 6675 (SACK loss recovery), RFC 6582 (NewReno),
 * RFC 6937 (PRR), and Linux's tcp_input.c (tcp_ack, tcp_clean_rtx_queue,
 * tcp_fastretrans_alert, tcp_cwnd_reduction, tcp_enter_loss). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"

static ln_net *net_of(const ln_tcp_sock *s) { return s->st->node->net; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }
static uint32_t div_up(uint32_t a, uint32_t b) { return b ? (a + b - 1) / b : a; }


/* ---- RTT samples ------------------------------------------------------- */

/* RTT samples from the send times of the newly acknowledged segments
 * (Linux's tcp_clean_rtx_queue): seq_rtt from the oldest (sets the RTO),
 * ca_rtt from the newest (min_rtt, the algorithm); none if any was
 * retransmitted (Karn's rule, RFC 6298 3), then the TS echo is used.
 * Each record leaving also goes through RACK (tcp_rack.c). */
static void rtt_from_ack(ln_tcp_sock *s, const ln_tcp_seg *seg, ln_seq ack, bool acked_data,
                         ln_time *ca_rtt, ln_seq prior_una, ln_seq prior_fack, ln_tcp_ackstate *as)
{
    ln_time now = ln_tcp_now(s), first = 0, last = 0;
    bool rtx = false, any = false;
    ln_seq start = prior_una;
    while (s->xf->txq_len) {
        ln_tcp_txts *e = &s->xf->txq[s->xf->txq_head];
        if (ln_seq_gt(e->end, ack)) break;
        if (e->rtx) {
            rtx = true;
        } else if (!e->sacked) {
            if (!any) first = e->t;
            last = e->t;
            any = true;
        }
        ln_tcp_rack_acked(s, e, start, prior_fack, as);
        start = e->end;
        s->xf->txq_head = (s->xf->txq_head + 1) & (s->xf->txq_cap - 1);
        s->xf->txq_len--;
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
    s->xf->cc.min_rtt = s->min_rtt;
}

/* ---- loss recovery ----------------------------------------------------- */

/* The cc fields the core keeps current for the algorithms. */
static void cc_sync(ln_tcp_sock *s)
{
    s->xf->cc.snd_una = s->snd_una;
    s->xf->cc.snd_nxt = s->snd_max;
    s->xf->cc.srtt = s->srtt;
    s->xf->cc.min_rtt = s->min_rtt == LN_NEVER ? 0 : s->min_rtt;
    s->xf->cc.mss = s->mss_cache;
}

void ln_tcp_set_ca_state(ln_tcp_sock *s, ln_ca_state st)
{
    if (s->ca_state == st) return;
    s->ca_state = (uint8_t)st;
    s->cc_ops->set_state(&s->xf->cc, st, ln_tcp_now(s));
}
#define set_ca_state ln_tcp_set_ca_state

/* Linux's tcp_current_ssthresh: what undo may restore. */
static uint32_t current_ssthresh(const ln_tcp_sock *s)
{
    if (s->ca_state == LN_CA_CWR || s->ca_state == LN_CA_RECOVERY) return s->xf->cc.ssthresh;
    return umax(s->xf->cc.ssthresh, (s->xf->cc.cwnd >> 1) + (s->xf->cc.cwnd >> 2));
}

/* Linux's tcp_init_cwnd_reduction: a new ssthresh, PRR from zero; a
 * probe's episode is over. */
static void init_cwnd_reduction(ln_tcp_sock *s)
{
    cc_sync(s);
    s->xf->prior_cwnd = s->xf->cc.cwnd;
    s->xf->cc.ssthresh = s->cc_ops->ssthresh(&s->xf->cc, ln_tcp_now(s));
    s->xf->cc.cwnd_cnt = 0;
    s->xf->prr_delivered = s->xf->prr_out = 0;
    s->xf->high_seq = s->snd_max;            /* RFC 6582 "recover" */
    s->xf->rack.tlp_on = 0;
}

/* RFC 5681 3.2 / RFC 6675 5 step 4 / RFC 8985 6: enter fast recovery
 * (Linux's tcp_enter_recovery + tcp_init_cwnd_reduction). */
void ln_tcp_enter_recovery(ln_tcp_sock *s, bool sacking)
{
    ln_node *n = s->st->node;
    if (sacking) LN_MIB_INC(n, TcpExtTCPSackRecovery);
    else LN_MIB_INC(n, TcpExtTCPRenoRecovery);
    cc_sync(s);
    s->xf->prior_ssthresh = current_ssthresh(s);
    ln_tcp_init_undo(s);
    init_cwnd_reduction(s);
    if (!ln_tcp_rack_on(s)) {
        /* RFC 6675 / NewReno: lunet's counts start again; RACK keeps its
         * per-segment marks. */
        s->xf->retrans_out = 0;
        if (s->xf->sb) s->xf->sb->high_rxt = s->snd_una;
        s->xf->lost_out = sacking ? 0 : 1;   /* without SACK: the head is lost */
    }
    LN_TCP_TRACE(s, "fast recovery (%s) at %u: cwnd %u, ssthresh %u, recover %u",
                 sacking ? "SACK" : "3 duplicate ACKs", s->snd_una, s->xf->prior_cwnd, s->xf->cc.ssthresh, s->xf->high_seq);
    set_ca_state(s, LN_CA_RECOVERY);
}
#define enter_recovery ln_tcp_enter_recovery

void ln_tcp_cwr_once(ln_tcp_sock *s)
{
    init_cwnd_reduction(s);
    set_ca_state(s, LN_CA_CWR);
    if (s->xf->cc.ssthresh < LN_TCP_INFINITE_SSTHRESH) s->xf->cc.cwnd = s->xf->cc.ssthresh;
    ln_tcp_try_keep_open(s);
    ln_tcp_emit_cwnd(s, "tlp recovery");
}

void ln_tcp_try_keep_open(ln_tcp_sock *s)
{
    bool any_rtx = s->xf->retrans_out || (s->xf->txq_len && ln_tcp_txq_at(s, 0)->ever);
    ln_ca_state st = (s->xf->sacked_out || s->xf->lost_out || any_rtx) ? LN_CA_DISORDER : LN_CA_OPEN;
    if (!any_rtx) s->xf->rack.undo_ts_on = 0;    /* tcp_try_to_open: retrans_stamp = 0 */
    if (!ln_tcp_rack_on(s)) st = s->xf->sb && s->xf->sb->n ? LN_CA_DISORDER : LN_CA_OPEN;
    if (s->ca_state != st) {
        set_ca_state(s, st);
        s->xf->high_seq = s->snd_max;
    }
}

/* RFC 6937 PRR as Linux's tcp_cwnd_reduction: while the pipe is above
 * ssthresh, send in proportion to what is delivered (ssthresh /
 * RecoverFS); below it, slow-start back up to ssthresh.  The first ACK
 * always allows the fast retransmit. */
void ln_tcp_cwnd_reduction(ln_tcp_sock *s, uint32_t newly, bool una_advanced)
{
    if (!newly || !s->xf->prior_cwnd) {
        if (s->xf->prr_out) return;
    }
    uint32_t in_flight = ln_tcp_in_flight(s);
    int64_t delta = (int64_t)s->xf->cc.ssthresh - in_flight, sndcnt;
    s->xf->prr_delivered += newly;
    if (delta < 0) {
        uint64_t dividend = (uint64_t)s->xf->cc.ssthresh * s->xf->prr_delivered + s->xf->prior_cwnd - 1;
        sndcnt = (int64_t)(dividend / s->xf->prior_cwnd) - s->xf->prr_out;
    } else {
        sndcnt = (int64_t)s->xf->prr_delivered - s->xf->prr_out;
        if (sndcnt < newly) sndcnt = newly;
        if (una_advanced) sndcnt++;
        if (sndcnt > delta) sndcnt = delta;
    }
    if (sndcnt < (s->xf->prr_out ? 0 : 1)) sndcnt = s->xf->prr_out ? 0 : 1;
    if (sndcnt < 0) sndcnt = 0;
    s->xf->cc.cwnd = in_flight + (uint32_t)sndcnt;
    if (!s->xf->cc.cwnd) s->xf->cc.cwnd = 1;
}
#define prr ln_tcp_cwnd_reduction

/* Leave recovery: cwnd = ssthresh (Linux's tcp_end_cwnd_reduction,
 * RFC 6582 step 3 "full acknowledgment", RFC 6675 5 step "exits"). */
static void end_recovery(ln_tcp_sock *s)
{
    /* Linux: unless the reduction was undone (undo_marker cleared). */
    bool undone = ln_tcp_rack_on(s) && !s->xf->rack.undo_on;
    if (s->xf->cc.ssthresh < LN_TCP_INFINITE_SSTHRESH && !undone) s->xf->cc.cwnd = s->xf->cc.ssthresh;
    s->xf->cc.cwnd_cnt = 0;
    s->xf->dupacks = 0;
    if (ln_tcp_rack_on(s)) {
        ln_tcp_try_keep_open(s);
        return;
    }
    s->xf->lost_out = s->xf->retrans_out = 0;
    set_ca_state(s, s->xf->sb && s->xf->sb->n ? LN_CA_DISORDER : LN_CA_OPEN);
}

void ln_tcp_enter_loss(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s);
    cc_sync(s);
    /* A new loss episode (not a repeated timeout) gets a new ssthresh. */
    bool new_recovery = s->ca_state < LN_CA_RECOVERY;
    bool rack = ln_tcp_rack_on(s);
    /* Linux marks first, so undo counts only retransmissions not lost. */
    if (rack) ln_tcp_rack_timeout_mark_lost(s);
    if (s->ca_state <= LN_CA_DISORDER || s->snd_una == s->xf->high_seq ||
        (s->ca_state == LN_CA_LOSS && !s->retransmits)) {
        s->xf->prior_ssthresh = current_ssthresh(s);
        s->xf->prior_cwnd = s->xf->cc.cwnd;
        s->xf->cc.ssthresh = s->cc_ops->ssthresh(&s->xf->cc, now);
        s->cc_ops->cwnd_event(&s->xf->cc, LN_CA_EVENT_LOSS, now);
        ln_tcp_init_undo(s);
    }
    /* RFC 5682 3.1 step 1 as Linux: F-RTO unless a recovery was already
     * under way (repeated timeouts of the same SND.UNA excepted, 3.2). */
    s->xf->rack.frto = s->st->cfg.frto && (new_recovery || s->retransmits) && s->state >= LN_TCP_ESTABLISHED;
    s->xf->rack.frto_new = 0;
    s->xf->rack.tlp_on = 0;
    /* RFC 5681 3.1 eq. 5: cwnd = 1, or as Linux one more than what is
     * still in flight (RACK did not mark the latest segments lost).
     * With RACK the marked segments are resent in order; without it
     * everything outstanding is, from SND.UNA (go-back-N). */
    s->xf->cc.cwnd = rack ? ln_tcp_rack_in_flight(s) + 1 : 1;
    s->xf->cc.cwnd_cnt = 0;
    s->xf->high_seq = s->snd_max;
    s->xf->dupacks = 0;
    if (!rack) {
        ln_tcp_rack_clear_marks(s);
        s->snd_nxt = s->snd_una;
    }
    if (s->xf->sb) s->xf->sb->high_rxt = s->snd_una;
    /* Karn: nothing sent before the timeout may give an RTT sample. */
    ln_tcp_txq_no_samples(s);
    set_ca_state(s, LN_CA_LOSS);
    if (s->state >= LN_TCP_ESTABLISHED) ln_tcp_emit_cwnd(s, "rto");
}

/* Path MTU went down (tcp_simple_retransmit): what is in flight was cut
 * for the old MSS and is lost, but no congestion was seen, so cwnd stays
 * ("we do not increase the amount of data in the network, units changed",
 * Linux's comment); the loss state only makes it go again now, in the new
 * size, within cwnd: the segments too big for the path with RACK, else
 * everything from SND.UNA (go-back-N). */
void ln_tcp_simple_retransmit(ln_tcp_sock *s)
{
    bool rack = ln_tcp_rack_on(s);
    if (rack && !ln_tcp_rack_mark_oversized(s, ln_tcp_current_mss(s))) return;
    if (s->ca_state != LN_CA_LOSS) {
        cc_sync(s);
        s->xf->high_seq = s->snd_max;
        /* tcp_current_ssthresh: not below 3/4 of cwnd outside recovery */
        uint32_t three_q = (s->xf->cc.cwnd >> 1) + (s->xf->cc.cwnd >> 2);
        if (s->ca_state < LN_CA_CWR && s->xf->cc.ssthresh < three_q) s->xf->cc.ssthresh = three_q;
        s->xf->prior_ssthresh = 0;
        set_ca_state(s, LN_CA_LOSS);
    }
    s->xf->dupacks = 0;
    s->xf->rack.frto = s->xf->rack.frto_new = 0;
    if (!rack) {
        ln_tcp_rack_clear_marks(s);
        s->snd_nxt = s->snd_una;
    }
    if (s->xf->sb) s->xf->sb->high_rxt = s->snd_una;
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
            if (s->xf->dupacks < packets_out) s->xf->dupacks++;
            delivered++;
        } else if (una_advanced) {
            s->xf->dupacks = s->xf->dupacks > acked_segs ? s->xf->dupacks - acked_segs : 0;
        }
    }

    switch (s->ca_state) {
    case LN_CA_LOSS:
        /* After an RTO, slow start until everything sent before it is
         * acknowledged (Linux's tcp_process_loss). */
        if (una_advanced && !ln_seq_lt(s->snd_una, s->xf->high_seq)) {
            s->xf->dupacks = 0;
            s->xf->lost_out = s->xf->retrans_out = 0;
            set_ca_state(s, LN_CA_OPEN);
            s->retransmits = 0;
        }
        return;
    case LN_CA_RECOVERY:
        if (!ln_seq_lt(s->snd_una, s->xf->high_seq)) {
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
            s->xf->lost_out = 1;
            s->xf->retrans_out = 0;
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
        lost = s->xf->sb && s->xf->sb->n && ln_tcp_sb_is_lost(s->xf->sb, s->snd_una, mss, c->reordering);
    } else {
        /* RFC 5681 3.2: DupThresh duplicate ACKs; RFC 6582 4.1: not again
         * for data sent before the last recovery began. */
        lost = s->xf->dupacks >= c->reordering && ln_seq_gt(s->snd_una, s->xf->high_seq);
    }
    if (lost) {
        enter_recovery(s, sacking);
        prr(s, delivered ? delivered : 1, una_advanced);
        ln_tcp_emit_cwnd(s, "recovery");
        return;
    }
    bool disorder = sacking ? (s->xf->sb && s->xf->sb->n) : s->xf->dupacks > 0;
    set_ca_state(s, disorder ? LN_CA_DISORDER : LN_CA_OPEN);
}

/* Linux's tcp_fastretrans_alert with RACK (RFC 8985 6.2, tcp_recovery =
 * 1): losses are what RACK marks (the DupThresh rule is inside its
 * reordering window, tcp_rack.c), cwnd falls by PRR, and what proves
 * spurious is undone (tcp_undo.c).  `delivered`: segments this ACK
 * delivered, for PRR. */
static void rack_recovery(ln_tcp_sock *s, ln_tcp_ackstate *as, uint32_t delivered)
{
    bool una_adv = as->una_advanced;
    if (s->ca_state == LN_CA_LOSS) {
        /* tcp_fastretrans_alert's Loss case: RACK looks for lost
         * retransmissions too; one found starts fast recovery at once
         * (a second reduction), else Loss goes on. */
        ln_tcp_process_loss(s, as);
        if (ln_tcp_rack_mark_lost(s, as)) as->reo_armed = true;
        if (s->ca_state != LN_CA_OPEN && !as->lost_retrans) return;
    }
    if (s->ca_state == LN_CA_CWR && !ln_seq_lt(s->snd_una, s->xf->high_seq) && s->snd_una != s->xf->high_seq)
        ln_tcp_try_keep_open(s);
    if (s->ca_state == LN_CA_RECOVERY && !ln_seq_lt(s->snd_una, s->xf->high_seq)) {
        /* RFC 6675 5 / RFC 6582: everything sent before it is in. */
        ln_tcp_try_undo_recovery(s, as);
        end_recovery(s);
        ln_tcp_emit_cwnd(s, "recovered");
    }
    if (s->ca_state == LN_CA_RECOVERY) {
        if (una_adv && ln_tcp_try_undo_partial(s, as)) return;
        if (ln_tcp_try_undo_dsack(s)) ln_tcp_try_keep_open(s);
        if (ln_tcp_rack_mark_lost(s, as)) as->reo_armed = true;
        if (s->ca_state == LN_CA_RECOVERY) {
            /* tcp_cwnd_reduction: the +1 for an ACK that moves SND.UNA
             * only when it revealed no new loss. */
            prr(s, delivered, una_adv && !as->newly_lost);
            return;
        }
    } else if (s->ca_state <= LN_CA_DISORDER) {
        ln_tcp_try_undo_dsack(s);
        if (ln_tcp_rack_mark_lost(s, as)) as->reo_armed = true;
    }
    if (!s->xf->lost_out) {
        if (s->ca_state != LN_CA_CWR) ln_tcp_try_keep_open(s);
        return;
    }
    enter_recovery(s, true);
    prr(s, delivered ? delivered : 1, una_adv && !as->newly_lost);
    ln_tcp_emit_cwnd(s, "recovery");
}

/* ---- the ACK ----------------------------------------------------------- */

/* RFC 9293 3.10.7.4's window update rule as Linux's tcp_may_update_window:
 * from a segment that acknowledges something new or is newer than the
 * last update (SND.WL1), or the same one with a larger (or zero) window. */
bool ln_tcp_may_update_window(const ln_tcp_sock *s, ln_seq ack, ln_seq seq, uint32_t nwin)
{
    return ln_seq_gt(ack, s->snd_una) || ln_seq_gt(seq, s->snd_wl1) ||
           (seq == s->snd_wl1 && (nwin > s->snd_wnd || !nwin));
}

/* RFC 5961 5.2: an ACK is acceptable only if SND.UNA - MAX.SND.WND <=
 * SEG.ACK <= SND.NXT.  Beyond SND.NXT: RFC 9293 says ACK and drop; Linux
 * drops silently in ESTABLISHED and challenges in the other states.
 * Returns ln_tcp_ack's codes: -1 drop, 1 old duplicate, 0 acceptable. */
static int ack_acceptable(ln_tcp_sock *s, ln_seq ack)
{
    if (ln_seq_gt(ack, s->snd_max)) {
        if (s->state != LN_TCP_ESTABLISHED) ln_tcp_challenge_ack(s);
        return -1;
    }
    if (ln_seq_lt(ack, s->snd_una)) {
        if (ln_seq_lt(ack, s->snd_una - umax(s->max_window, 1))) {
            ln_tcp_challenge_ack(s);
            return -1;
        }
        /* An old duplicate: ignore its ACK, keep its text. */
        return 1;
    }
    return 0;
}

/* The window update of RFC 9293 3.10.7.4 (SND.WND, SND.WL1, SND.WL2).
 * Returns true if SND.WND changed, which makes the ACK no duplicate. */
static bool update_window(ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    uint32_t nwin = ln_tcp_seg_wnd(s, seg);
    if (!ln_tcp_may_update_window(s, seg->ack, seg->seq, nwin)) return false;
    s->snd_wl1 = seg->seq;
    s->snd_wl2 = seg->ack;
    if (s->snd_wnd == nwin) return false;
    s->snd_wnd = nwin;
    if (nwin > s->max_window) s->max_window = nwin;
    return true;
}

/* The cumulative ACK moved SND.UNA on by `acked` (Linux's
 * tcp_clean_rtx_queue): the send ring, the scoreboard, the RTT sample,
 * the algorithm's pkts_acked, a writable notification.  Returns the data
 * bytes acknowledged (SYN and FIN excluded); *was_sacked gets the bytes
 * of them that SACK had already reported delivered. */
static uint32_t clean_acked(ln_tcp_sock *s, const ln_tcp_seg *seg, uint32_t acked, uint32_t mss,
                            ln_time now, uint32_t *was_sacked, ln_seq prior_fack, ln_tcp_ackstate *as)
{
    ln_seq prior_una = s->snd_una;
    ln_seq ack = seg->ack;
    uint32_t data_acked = umin(acked, s->xf->snd.len);
    if (data_acked) ln_ring_read(&s->xf->snd, NULL, data_acked);
    s->snd_una = ack;
    if (ln_seq_lt(s->snd_nxt, ack)) s->snd_nxt = ack;
    s->xf->bytes_acked += data_acked;
    if (s->xf->sb) {
        /* Bytes SACKed earlier were counted as delivered then. */
        uint32_t before = s->xf->sb->sacked;
        ln_tcp_sb_ack(s->xf->sb, ack);
        *was_sacked = before - s->xf->sb->sacked;
    }
    if (s->xf->retrans_out && !(s->flags & LN_TF_SACK)) s->xf->retrans_out = 0;
    /* Linux's tcp_ack clears icsk_retransmits on every ACK that
     * advances SND.UNA, in Loss too: the next RTO is a new timeout,
     * which sets ssthresh again (RFC 5681 3.1 eq. 4, tcp_enter_loss).
     * The episode's start stays until Loss ends (timeouts count from
     * the first retransmission, as long as retransmitted data is out). */
    s->retransmits = 0;
    if (s->ca_state != LN_CA_LOSS) s->retrans_stamp = LN_NEVER;
    ln_time ca_rtt;
    rtt_from_ack(s, seg, ack, true, &ca_rtt, prior_una, prior_fack, as);
    cc_sync(s);
    s->cc_ops->pkts_acked(&s->xf->cc, div_up(acked, mss), ca_rtt, now);
    if ((s->flags & LN_TF_NOSPACE) && ln_ring_room(&s->xf->snd) >= s->xf->snd.len / 2) {
        s->flags &= ~LN_TF_NOSPACE;
        ln_tcp_notify(s, LN_TCP_EV_WRITABLE);
    }
    return data_acked;
}

/* SACK blocks (RFC 2018, RFC 6675 Update()) into the scoreboard,
 * allocated on first use, and RACK's per-segment marks; a D-SACK (RFC
 * 2883) goes to tcp_undo.c.  Returns the bytes newly SACKed. */
static uint32_t sack_update(ln_tcp_sock *s, const ln_tcp_seg *seg, ln_seq prior_fack, ln_tcp_ackstate *as)
{
    uint32_t newly_sacked = 0;
    if (!(s->flags & LN_TF_SACK) || !seg->n_sack) return 0;
    if (!s->xf->sb) {
        s->xf->sb = malloc(sizeof *s->xf->sb);
        if (s->xf->sb) ln_tcp_sb_reset(s->xf->sb, s->snd_una);
    }
    if (!s->xf->sb) return 0;
    int dsack = ln_tcp_sb_update(s->xf->sb, s->snd_una, s->snd_max, seg->sack, seg->n_sack, &newly_sacked);
    if (dsack) ln_tcp_undo_dsack(s, &seg->sack[0], seg->ack, as);
    if (ln_tcp_rack_on(s)) ln_tcp_rack_sacked(s, seg->sack + dsack, seg->n_sack - dsack, prior_fack, as);
    return newly_sacked;
}

/* RFC 5681 2: a duplicate ACK acknowledges nothing new, carries no
 * data, does not change the window, while data is outstanding; with
 * SACK only new SACK information counts (RFC 6675 2). */
static bool is_dupack(const ln_tcp_sock *s, const ln_tcp_seg *seg, uint32_t acked, bool win_update,
                      uint32_t newly_sacked)
{
    bool is_dup = !acked && !seg->len && !(seg->flags & (LN_TCP_SYN | LN_TCP_FIN)) && !win_update &&
                  s->snd_max != s->snd_una;
    if ((s->flags & LN_TF_SACK) && !newly_sacked) is_dup = false;
    return is_dup;
}

/* Grow cwnd on new data acknowledged, outside cwnd reduction (Linux's
 * tcp_cong_control -> tcp_cong_avoid); report any change of cwnd or
 * ssthresh this ACK made (cwnd0, ssth0: as they were before it). */
static void cong_control(ln_tcp_sock *s, uint32_t data_acked, uint32_t delivered_segs, uint32_t cwnd0,
                         uint32_t ssth0, ln_time now)
{
    if (data_acked && s->ca_state != LN_CA_RECOVERY && s->ca_state != LN_CA_CWR) {
        cc_sync(s);
        s->cc_ops->cong_avoid(&s->xf->cc, delivered_segs, now);
    }
    if (s->xf->cc.cwnd != cwnd0 || s->xf->cc.ssthresh != ssth0) {
        if (s->xf->cc.cwnd > cwnd0) ln_tcp_sndbuf_expand(s);
        ln_tcp_emit_cwnd(s, "ack");
    }
}

/* Timers: RFC 6298 5.2/5.3 on new data acknowledged -- or, in Open,
 * the tail-loss probe's timeout (RFC 8985 7.2, Linux's
 * tcp_set_xmit_timer), unless RACK just armed its reordering timer; the
 * persist timer restarts on every ACK while the window stays shut
 * (Linux's tcp_ack_probe), and stops once it opens. */
static void ack_timers(ln_tcp_sock *s, uint32_t acked, uint32_t mss, const ln_tcp_ackstate *as)
{
    if (acked) {
        if (as->reo_armed) return;
        if (s->snd_max == s->snd_una || !ln_tcp_schedule_loss_probe(s, true)) ln_tcp_rearm_rtx(s);
    } else if (s->snd_max == s->snd_una && ln_timer_armed(&s->t_rtx) && s->rtx_kind == LN_RTX_PERSIST) {
        ln_seq end = ln_tcp_data_end(s);
        uint32_t next = umin(mss, (uint32_t)(end - s->snd_nxt));
        if (ln_seq_le(s->snd_nxt + next, s->snd_una + s->snd_wnd)) {
            s->backoff = 0;
            s->probes = 0;
            s->probes_tstamp_ms = 0;      /* tcp_ack_probe: the window opened */
            ln_timer_cancel(&net_of(s)->sim, &s->t_rtx);
            s->rtx_kind = LN_RTX_NONE;
        } else {
            ln_tcp_rearm_rtx(s);
        }
    }
}

/* Linux's header prediction (tcp_rcv_established): a pure ACK that
 * moves SND.UNA, with nothing but timestamps, the window unchanged and
 * nothing out of order, takes the fast path (TCPHPAcks); other pure ACKs
 * the slow one (TCPPureAcks). */
static void count_pure_ack(ln_tcp_sock *s, const ln_tcp_seg *seg, ln_seq prior_una, uint32_t prior_wnd)
{
    if (seg->len || (seg->flags & (LN_TCP_SYN | LN_TCP_FIN))) return;
    uint32_t hlen = 20 + ((s->flags & LN_TF_TS) ? LN_TCPOLEN_TS_ALIGNED : 0);
    bool fast = s->state == LN_TCP_ESTABLISHED && seg->hlen == hlen && seg->seq == s->rcv_nxt &&
                !(seg->flags & ~(LN_TCP_ACK | LN_TCP_PSH)) && ln_tcp_seg_wnd(s, seg) == prior_wnd &&
                !s->xf->ofo.head && s->rcv_wnd && ln_seq_gt(seg->ack, prior_una);
    if (fast) LN_MIB_INC(s->st->node, TcpExtTCPHPAcks);
    else LN_MIB_INC(s->st->node, TcpExtTCPPureAcks);
}

/* Linux's tcp_ack (RFC 9293 3.10.7.4 fifth, ESTABLISHED and on). */
int ln_tcp_ack(ln_tcp_sock *s, ln_tcp_seg *seg)
{
    ln_time now = ln_tcp_now(s);
    ln_seq prior_una = s->snd_una;
    uint32_t mss = s->mss_cache, prior_wnd = s->snd_wnd;
    int rc = ack_acceptable(s, seg->ack);
    if (rc) return rc;

    s->rcv_tstamp = now;
    s->probes = 0;
    s->soft_error = 0;
    count_pure_ack(s, seg, prior_una, prior_wnd);
    bool win_update = update_window(s, seg);

    ln_tcp_ackstate as = { .tsecr = (s->flags & LN_TF_TS) && seg->has_ts ? seg->tsecr : 0 };
    ln_seq prior_fack = s->xf->sb ? ln_tcp_sb_high_sacked(s->xf->sb, prior_una) : prior_una;
    uint32_t acked = (uint32_t)(seg->ack - prior_una), data_acked = 0, was_sacked = 0;
    uint32_t cwnd0 = s->xf->cc.cwnd, ssth0 = s->xf->cc.ssthresh;
    if (acked) data_acked = clean_acked(s, seg, acked, mss, now, &was_sacked, prior_fack, &as);
    uint32_t newly_sacked = sack_update(s, seg, prior_fack, &as);

    bool is_dup = is_dupack(s, seg, acked, win_update, newly_sacked);
    uint32_t acked_segs = div_up(acked > was_sacked ? acked - was_sacked : 0, mss);
    uint32_t sacked_segs = div_up(newly_sacked, mss);
    as.una_advanced = acked != 0;
    as.not_dup = acked || seg->len || win_update;
    as.is_dup = is_dup;
    if (ln_tcp_rack_on(s)) {
        ln_tcp_rack_update_reo_wnd(s, &as);
        ln_tcp_process_tlp_ack(s, seg->ack, &as);
        /* tcp_ack_is_dubious: anything but a plain ACK of new data in Open. */
        if (!as.not_dup || as.data_sacked || as.dsack || s->ca_state != LN_CA_OPEN)
            rack_recovery(s, &as, acked_segs + sacked_segs);
    } else if (acked || is_dup || newly_sacked) {
        recovery(s, acked != 0, acked_segs, sacked_segs, is_dup);
    }

    cong_control(s, data_acked, acked_segs + sacked_segs, cwnd0, ssth0, now);
    ack_timers(s, acked, mss, &as);
    return 0;
}
