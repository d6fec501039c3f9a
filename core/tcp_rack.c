/* tcp_rack.c - RACK-TLP (RFC 8985), as Linux runs it by default
 * (net.ipv4.tcp_recovery = 1, tcp_early_retrans = 3): losses are told by
 * time, not by counting duplicate ACKs, and a stalled tail is probed
 * instead of waiting for the RTO.
 *
 * The sender keeps one record per segment of new data in flight (the txq
 * of tcp_out.c, in sequence order) with its last send time and Linux's
 * per-skb flags: SACKed, lost, retransmitted (a copy in flight).  The
 * socket counts them in sacked_out, lost_out and retrans_out, and the
 * pipe is Linux's tcp_packets_in_flight: packets_out - sacked_out -
 * lost_out + retrans_out.
 *
 * Place in the call chain:
 *   tcp_ack.c ln_tcp_ack -> clean_acked -> ln_tcp_rack_acked (each segment
 *               the cumulative ACK covers: RFC 8985 6.2 steps 1-2)
 *             -> sack_update -> ln_tcp_rack_sacked (newly SACKed segments)
 *             -> ln_tcp_rack_update_reo_wnd (6.2 step 4, D-SACK)
 *             -> rack_recovery -> ln_tcp_rack_mark_lost (6.2 step 5; the
 *               reordering timer, 6.3)
 *             -> ln_tcp_process_tlp_ack (7.4), ack_timers ->
 *               ln_tcp_schedule_loss_probe (7.2)
 *   tcp_out.c send_seg -> ln_tcp_rack_sent (6.1: a segment's send time)
 *             ln_tcp_output -> ln_tcp_rack_next_lost (what recovery and
 *               Loss resend)
 *   tcp_ack.c ln_tcp_enter_loss -> ln_tcp_rack_timeout_mark_lost (an RTO)
 *   tcp_timer.c rtx_fire -> ln_tcp_rack_reo_timeout (6.3),
 *                           ln_tcp_send_loss_probe (7.3)
 *
 * Read: RFC 8985 (5: the state; 6.1-6.3: RACK; 7: TLP), RFC 2883 and
 * RFC 3708 (D-SACKs widen the reordering window), and Linux's
 * tcp_recovery.c (tcp_rack_*), tcp_output.c (tcp_schedule_loss_probe,
 * tcp_send_loss_probe) and tcp_input.c (tcp_process_tlp_ack,
 * tcp_sacktag_one, tcp_mark_skb_lost).  Where the RFC leaves a choice
 * this file does what those functions do; each place says so. */
#include "net.h"
#include "node.h"
#include "tcp_int.h"

#define JIFFY (4 * LN_MSEC)                 /* HZ = 250, the reference kernel's */
#define TCP_TIMEOUT_MIN (2 * JIFFY)         /* Linux: 2 jiffies */
#define TCP_TIMEOUT_MIN_US (2 * LN_MSEC)    /* Linux's TCP_TIMEOUT_MIN_US */
#define RACK_RECOVERY_THRESH 16             /* TCP_RACK_RECOVERY_THRESH */

static ln_time tmin(ln_time a, ln_time b) { return a < b ? a : b; }
/* usecs_to_jiffies: Linux keeps these timeouts in whole jiffies, rounded up. */
static ln_time jiffies_up(ln_time t) { return (t + JIFFY - 1) / JIFFY * JIFFY; }

bool ln_tcp_rack_on(const ln_tcp_sock *s)
{
    return (s->flags & LN_TF_SACK) && (s->st->cfg.recovery & 1);
}

/* Where entry i starts: the previous one's end (the first may have been
 * acknowledged in part: SND.UNA then). */
static ln_seq entry_start(const ln_tcp_sock *s, uint32_t i)
{
    if (i == 0) return s->snd_una;
    ln_seq prev = ln_tcp_txq_at(s, i - 1)->end;
    return ln_seq_gt(prev, s->snd_una) ? prev : s->snd_una;
}

uint32_t ln_tcp_rack_packets_out(const ln_tcp_sock *s)
{
    if (s->xf->txq_len) return s->xf->txq_len;
    /* A FIN sent before any data has no record. */
    return s->snd_max != s->snd_una ? 1 : 0;
}

uint32_t ln_tcp_rack_in_flight(const ln_tcp_sock *s)
{
    uint32_t out = ln_tcp_rack_packets_out(s) + s->xf->retrans_out;
    uint32_t left = s->xf->sacked_out + s->xf->lost_out;
    return out > left ? out - left : 0;
}

/* RFC 8985 6.2 step 2 (Linux's tcp_skb_sent_after): was (t1, seq1) sent
 * after (t2, seq2)?  Ties in time go by sequence. */
static bool sent_after(ln_time t1, ln_time t2, ln_seq seq1, ln_seq seq2)
{
    return t1 > t2 || (t1 == t2 && ln_seq_gt(seq1, seq2));
}

/* RFC 8985 6.2 step 2 as Linux's tcp_rack_advance: the delivered segment
 * that was sent last sets RACK.xmit_ts / end_seq, and its RTT RACK.rtt.
 * A retransmitted one delivered faster than min_RTT may be the original's
 * delivery: it does not count. */
static void rack_advance(ln_tcp_sock *s, bool ever_rtx, ln_seq end, ln_time xmit)
{
    ln_time now = ln_tcp_now(s), rtt = now - xmit;
    if (ever_rtx && s->min_rtt != LN_NEVER && rtt < s->min_rtt) return;
    s->xf->rack.advanced = 1;
    s->xf->rack.rtt_us = (uint32_t)(rtt / LN_USEC);
    if (sent_after(xmit, s->xf->rack.xmit_ts, end, s->xf->rack.end_seq)) {
        s->xf->rack.xmit_ts = xmit;
        s->xf->rack.end_seq = end;
    }
}

/* Linux's tcp_check_sack_reordering: a never-retransmitted segment
 * delivered below the highest SACKed one arrived out of order. */
static void reordering_seen(ln_tcp_sock *s, ln_seq start, ln_seq prior_fack)
{
    if (ln_seq_lt(start, prior_fack) && s->xf->rack.reord_seen < 255) s->xf->rack.reord_seen++;
}

void ln_tcp_rack_sent(ln_tcp_sock *s, ln_seq seq, ln_seq end, bool mark)
{
    ln_time now = ln_tcp_now(s);
    for (uint32_t i = ln_tcp_txq_after(s, seq); i < s->xf->txq_len; i++) {
        ln_tcp_txts *e = ln_tcp_txq_at(s, i);
        if (!ln_seq_lt(entry_start(s, i), end)) break;
        e->rtx = e->ever = 1;
        e->t = now;
        if (mark && !e->retrans && !e->sacked) {
            e->retrans = 1;
            s->xf->retrans_out++;
        }
    }
}

void ln_tcp_rack_acked(ln_tcp_sock *s, const ln_tcp_txts *e, ln_seq start, ln_seq prior_fack,
                       ln_tcp_ackstate *as)
{
    if (e->sacked) {
        if (s->xf->sacked_out) s->xf->sacked_out--;
    } else if (ln_tcp_rack_on(s)) {
        if (!e->ever) {
            reordering_seen(s, start, prior_fack);
            if (!ln_seq_gt(e->end, s->xf->high_seq)) as->orig_sack_acked = true;
        }
        /* tcp_skb_spurious_retrans: the TS echo says the original was
         * delivered, so this ACK tells nothing of the copy's RTT. */
        bool spurious = e->ever && as->tsecr &&
                        (int32_t)(as->tsecr - ((uint32_t)(e->t / LN_MSEC) + s->ts_offset)) < 0;
        if (!spurious) rack_advance(s, e->ever, e->end, e->t);
        if (!as->delivered || ln_seq_gt(e->end, as->newest_end)) as->newest_end = e->end;
        as->delivered = true;
    }
    if (e->lost && s->xf->lost_out) s->xf->lost_out--;
    if (e->retrans && s->xf->retrans_out) s->xf->retrans_out--;
}

/* Linux's tcp_sacktag_one for a newly SACKed segment. */
static void sack_one(ln_tcp_sock *s, ln_tcp_txts *e, ln_seq start, ln_seq prior_fack, ln_tcp_ackstate *as)
{
    e->sacked = 1;
    s->xf->sacked_out++;
    if (e->lost) {
        e->lost = 0;
        s->xf->lost_out--;
    }
    if (e->retrans) {
        e->retrans = 0;
        s->xf->retrans_out--;
    }
    if (!e->ever) {
        reordering_seen(s, start, prior_fack);
        if (!ln_seq_gt(e->end, s->xf->high_seq)) as->orig_sack_acked = true;
    }
    rack_advance(s, e->ever, e->end, e->t);
    if (!as->delivered || ln_seq_gt(e->end, as->newest_end)) as->newest_end = e->end;
    as->delivered = true;
    as->data_sacked = true;
}

void ln_tcp_rack_sacked(ln_tcp_sock *s, const ln_tcp_sackblk *b, int n, ln_seq prior_fack,
                        ln_tcp_ackstate *as)
{
    ln_node *node = s->st->node;
    for (int k = 0; k < n; k++) {
        ln_seq lo = b[k].start, hi = b[k].end;
        if (!ln_seq_lt(lo, hi) || !ln_seq_gt(lo, s->snd_una) || ln_seq_gt(hi, s->snd_max)) continue;
        for (uint32_t i = ln_tcp_txq_after(s, lo); i < s->xf->txq_len; i++) {
            ln_tcp_txts *e = ln_tcp_txq_at(s, i);
            ln_seq st = entry_start(s, i);
            if (!ln_seq_lt(st, hi)) break;
            if (ln_seq_gt(e->end, hi)) {
                /* The block ends inside this segment: Linux shifts that
                 * part of the skb into the SACKed one before it. */
                if (ln_seq_lt(st, hi) && ln_seq_ge(st, lo)) LN_MIB_INC(node, TcpExtTCPSackShifted);
                break;
            }
            if (ln_seq_lt(st, lo) || e->sacked) continue;
            /* One record per segment here; Linux merges a newly SACKed
             * skb into a SACKed neighbour before it (tcp_shift_skb_data). */
            if (i > 0 && ln_tcp_txq_at(s, i - 1)->sacked) LN_MIB_INC(node, TcpExtTCPSackMerged);
            sack_one(s, e, st, prior_fack, as);
        }
    }
}

/* RFC 8985 6.2 step 4 as Linux's tcp_rack_reo_wnd: without reordering
 * seen, none while recovering or once DupThresh segments are SACKed
 * (the dupthresh rule runs alongside RACK, RFC 8985 6.2 "Note"); else
 * min_RTT / 4 per step, at most SRTT. */
static ln_time reo_wnd(const ln_tcp_sock *s)
{
    if (!s->xf->rack.reord_seen) {
        if (s->ca_state >= LN_CA_RECOVERY) return 0;
        if (s->xf->sacked_out >= s->st->cfg.reordering) return 0;
    }
    ln_time min_rtt = s->min_rtt == LN_NEVER ? s->srtt : s->min_rtt;
    return tmin((min_rtt / 4) * (s->xf->rack.reo_steps ? s->xf->rack.reo_steps : 1), s->srtt);
}

/* Linux's tcp_mark_skb_lost; a retransmission lost again is counted
 * (TCPLostRetransmit) and may be sent once more. */
static void mark_lost(ln_tcp_sock *s, ln_tcp_txts *e, ln_tcp_ackstate *as)
{
    if (e->sacked) return;
    if (!e->lost || e->retrans) {
        if (as) as->newly_lost = true;  /* tcp_notify_skb_loss_event: tp->lost grows */
    }
    if (!e->lost) {
        e->lost = 1;
        s->xf->lost_out++;
    } else if (e->retrans) {
        e->retrans = 0;
        s->xf->retrans_out--;
        LN_MIB_INC(s->st->node, TcpExtTCPLostRetransmit);
        if (as) as->lost_retrans = true;
    }
}

/* RFC 8985 6.2 step 5 (Linux's tcp_rack_detect_loss): every segment
 * sent before RACK.xmit_ts and not delivered within RACK.rtt + reo_wnd
 * of its sending is lost; *wait gets the longest time left for the
 * others.  Records are in sequence order, not sending order, but a
 * never-retransmitted segment was sent after everything below it, so
 * the first one sent after RACK's ends the walk. */
static void detect_loss(ln_tcp_sock *s, ln_time *wait, ln_tcp_ackstate *as)
{
    ln_time now = ln_tcp_now(s), win = reo_wnd(s), rtt = (ln_time)s->xf->rack.rtt_us * LN_USEC;
    *wait = 0;
    for (uint32_t i = 0; i < s->xf->txq_len; i++) {
        ln_tcp_txts *e = ln_tcp_txq_at(s, i);
        if (e->sacked || (e->lost && !e->retrans)) continue;
        if (!sent_after(s->xf->rack.xmit_ts, e->t, s->xf->rack.end_seq, e->end)) {
            if (!e->ever) break;
            continue;
        }
        int64_t left = (int64_t)(rtt + win) - (int64_t)(now - e->t);
        if (left <= 0) mark_lost(s, e, as);
        else if ((ln_time)left > *wait) *wait = (ln_time)left;
    }
}

static void arm(ln_tcp_sock *s, ln_rtx_kind kind, ln_time delay)
{
    s->rtx_kind = (uint8_t)kind;
    ln_timer_arm_in(&s->st->node->net->sim, &s->t_rtx, delay);
}

bool ln_tcp_rack_mark_lost(ln_tcp_sock *s, ln_tcp_ackstate *as)
{
    if (!s->xf->rack.advanced) return false;
    s->xf->rack.advanced = 0;
    ln_time wait;
    detect_loss(s, &wait, as);
    if (!wait) return false;
    /* RFC 8985 6.3: wait for the rest of the window.  Linux arms it in
     * jiffies plus TCP_TIMEOUT_MIN, never beyond the RTO. */
    arm(s, LN_RTX_REO, tmin(jiffies_up(wait) + TCP_TIMEOUT_MIN, ln_tcp_rto_cur(s)));
    return true;
}

void ln_tcp_rack_reo_timeout(ln_tcp_sock *s)
{
    uint32_t prior = ln_tcp_rack_in_flight(s);
    ln_time wait;
    ln_tcp_emit_timer(s, "reo", 0, 0);
    detect_loss(s, &wait, NULL);
    if (prior != ln_tcp_rack_in_flight(s)) {
        if (s->ca_state != LN_CA_RECOVERY) {
            ln_tcp_enter_recovery(s, true);
            ln_tcp_cwnd_reduction(s, 1, false);
            ln_tcp_emit_cwnd(s, "recovery");
        }
        ln_tcp_output(s);
    }
    /* tcp_rack_reo_timeout: the RTO takes over unless sending armed it. */
    if (!ln_timer_armed(&s->t_rtx) || s->rtx_kind != LN_RTX_RTO) ln_tcp_rearm_rtx(s);
}

void ln_tcp_rack_update_reo_wnd(ln_tcp_sock *s, const ln_tcp_ackstate *as)
{
    if (!as->delivered) return;             /* nothing delivered: no rate sample */
    /* A D-SACK for data sent before the window last grew is old news
     * (Linux compares delivery counts, rack.last_delivered). */
    if (ln_seq_le(as->newest_end, s->xf->rack.reo_seq)) s->xf->rack.dsack_seen = 0;
    if (s->xf->rack.dsack_seen) {
        if (s->xf->rack.reo_steps < 255) s->xf->rack.reo_steps++;
        s->xf->rack.dsack_seen = 0;
        s->xf->rack.reo_seq = s->snd_max;
        s->xf->rack.reo_persist = RACK_RECOVERY_THRESH;
    } else if (!s->xf->rack.reo_persist) {
        s->xf->rack.reo_steps = 1;
    }
}

int ln_tcp_rack_next_lost(const ln_tcp_sock *s)
{
    if (s->xf->lost_out <= s->xf->retrans_out) return -1;
    for (uint32_t i = 0; i < s->xf->txq_len; i++) {
        const ln_tcp_txts *e = ln_tcp_txq_at(s, i);
        if (e->lost && !e->retrans && !e->sacked) return (int)i;
    }
    return -1;
}

/* Linux's tcp_timeout_mark_lost, RACK's part of an RTO (RFC 8985 6.3
 * leaves it open; Linux marks by time): the head is lost, and so is
 * every segment sent more than RACK.rtt ago (reordering window 0); the
 * few sent since may still be delivered.  A head the peer SACKed means
 * it reneged (RFC 2018 8): its SACKs no longer count. */
void ln_tcp_rack_timeout_mark_lost(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s), rtt = (ln_time)s->xf->rack.rtt_us * LN_USEC;
    bool reneged = s->xf->txq_len && ln_tcp_txq_at(s, 0)->sacked;
    if (reneged) {
        LN_MIB_INC(s->st->node, TcpExtTCPSACKReneging);
        s->xf->sacked_out = 0;
    }
    for (uint32_t i = 0; i < s->xf->txq_len; i++) {
        ln_tcp_txts *e = ln_tcp_txq_at(s, i);
        if (reneged) e->sacked = 0;
        else if (i > 0 && now - e->t < rtt) continue;
        mark_lost(s, e, NULL);
    }
}

/* Linux's tcp_simple_retransmit after the path MTU fell: what no longer
 * fits one segment is lost (it was dropped on the way); the rest may
 * still arrive.  Returns whether anything is lost. */
bool ln_tcp_rack_mark_oversized(ln_tcp_sock *s, uint32_t mss)
{
    ln_seq data_end = ln_tcp_data_end(s);
    for (uint32_t i = 0; i < s->xf->txq_len; i++) {
        ln_tcp_txts *e = ln_tcp_txq_at(s, i);
        ln_seq end = ln_seq_gt(e->end, data_end) ? data_end : e->end;
        ln_seq start = entry_start(s, i);
        if (ln_seq_gt(end, start) && (uint32_t)(end - start) > mss) mark_lost(s, e, NULL);
    }
    return s->xf->lost_out != 0;
}

void ln_tcp_rack_clear_marks(ln_tcp_sock *s)
{
    for (uint32_t i = 0; i < s->xf->txq_len; i++) {
        ln_tcp_txts *e = ln_tcp_txq_at(s, i);
        e->lost = e->retrans = 0;
    }
    s->xf->lost_out = s->xf->retrans_out = 0;
}

/* ---- tail-loss probes (RFC 8985 7) --------------------------------------- */

bool ln_tcp_schedule_loss_probe(ln_tcp_sock *s, bool advancing)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    uint32_t out = ln_tcp_rack_packets_out(s);
    /* Linux: SACK connections in Open or CWR, tcp_early_retrans 3 or 4. */
    if ((c->early_retrans != 3 && c->early_retrans != 4) || !out || !(s->flags & LN_TF_SACK) ||
        (s->ca_state != LN_CA_OPEN && s->ca_state != LN_CA_CWR) || s->state < LN_TCP_ESTABLISHED)
        return false;
    /* RFC 8985 7.2: PTO = 2 SRTT, plus the peer's delayed-ACK time when
     * one segment is out (Linux: tcp_rto_min, else TCP_TIMEOUT_MIN_US),
     * in whole jiffies; 1 s without an RTT sample. */
    ln_time pto = c->rto_initial;
    if (s->srtt) pto = jiffies_up(2 * s->srtt + (out == 1 ? c->rto_min : TCP_TIMEOUT_MIN_US));
    /* ... but never later than the RTO would fire: from now after an ACK,
     * else from the head's transmission (tcp_rto_delta_us). */
    ln_time rto = ln_tcp_rto_cur(s);
    if (!advancing && s->xf->txq_len) {
        ln_time due = ln_tcp_txq_at(s, 0)->t + rto, now = ln_tcp_now(s);
        rto = due > now ? jiffies_up(due - now) : 0;
    }
    if (rto) pto = tmin(pto, rto);
    arm(s, LN_RTX_PROBE, pto);
    return true;
}

void ln_tcp_send_loss_probe(ln_tcp_sock *s)
{
    ln_tcp_emit_timer(s, "probe", 0, 0);
    /* RFC 8985 7.3: one probe per episode. */
    if (s->xf->rack.tlp_on || s->snd_max == s->snd_una) {
        ln_tcp_rearm_rtx(s);
        return;
    }
    s->xf->rack.tlp_retrans = 0;
    int sent = ln_tcp_send_probe_data(s);
    if (sent == 0 && ln_tcp_retransmit_tail(s)) {
        sent = 1;
        s->xf->rack.tlp_retrans = 1;
    }
    if (sent > 0) {
        s->xf->rack.tlp_on = 1;
        s->xf->rack.tlp_high_seq = s->snd_max;
        LN_MIB_INC(s->st->node, TcpExtTCPLossProbes);
        LN_TCP_TRACE(s, "tail-loss probe (%s), TLP.end_seq %u", s->xf->rack.tlp_retrans ? "last segment" : "new data",
                     s->snd_max);
    }
    ln_tcp_rearm_rtx(s);
}

void ln_tcp_process_tlp_ack(ln_tcp_sock *s, ln_seq ack, const ln_tcp_ackstate *as)
{
    if (!s->xf->rack.tlp_on || ln_seq_lt(ack, s->xf->rack.tlp_high_seq)) return;
    if (!s->xf->rack.tlp_retrans) {
        s->xf->rack.tlp_on = 0;                 /* new data probed and acknowledged */
    } else if (as->dsack_tlp) {
        s->xf->rack.tlp_on = 0;                 /* the probe was a duplicate: no loss */
    } else if (ln_seq_gt(ack, s->xf->rack.tlp_high_seq)) {
        /* RFC 8985 7.4.2: the probe repaired a loss; Linux reduces cwnd
         * once (a CWR episode ended at once). */
        ln_tcp_cwr_once(s);
        LN_MIB_INC(s->st->node, TcpExtTCPLossProbeRecovery);
    } else if (!as->una_advanced && !as->not_dup && !as->data_sacked) {
        s->xf->rack.tlp_on = 0;                 /* a pure duplicate ACK: both arrived */
    }
}
