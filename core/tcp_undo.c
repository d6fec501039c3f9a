/* tcp_undo.c - taking back a congestion response that was not needed:
 * the retransmissions of a recovery all proven unnecessary by D-SACKs
 * (RFC 2883, RFC 3708), or by timestamps echoing the originals (Eifel,
 * RFC 3522), and F-RTO (RFC 5682) for a spurious retransmission timeout.
 *
 * Place in the call chain:
 *   tcp_ack.c enter_recovery / ln_tcp_enter_loss -> ln_tcp_init_undo
 *             sack_update -> ln_tcp_undo_dsack (a D-SACK arrived)
 *             rack_recovery -> ln_tcp_try_undo_dsack, _recovery, _partial;
 *                              Loss -> ln_tcp_process_loss (F-RTO)
 *   tcp_out.c count_rtx -> ln_tcp_undo_note_rtx (each retransmission)
 *
 * Read: RFC 2883 4 and RFC 3708 (D-SACK tells a spurious retransmission),
 * RFC 3522 (Eifel detection with timestamps), RFC 5682 3.1 (the SACK
 * enhanced F-RTO that tcp_frto = 2 selects), and Linux's tcp_input.c
 * (tcp_init_undo, tcp_check_dsack, tcp_dsack_seen, tcp_may_undo,
 * tcp_undo_cwnd_reduction, tcp_try_undo_*, tcp_process_loss). */
#include "net.h"
#include "node.h"
#include "tcp_int.h"

void ln_tcp_init_undo(ln_tcp_sock *s)
{
    ln_tcp_rack *r = &s->xf->rack;
    r->undo_on = 1;
    r->undo_marker = s->snd_una;
    /* Retransmissions still in flight (a probe's too) may be D-SACKed
     * later; 0 would mean "undo now", so none is -1. */
    r->undo_retrans = (int32_t)s->xf->retrans_out + (r->tlp_on && r->tlp_retrans ? 1 : 0);
    if (!r->undo_retrans) {
        r->undo_retrans = -1;
        r->undo_ts_on = 0;
    }
}

void ln_tcp_undo_note_rtx(ln_tcp_sock *s)
{
    ln_tcp_rack *r = &s->xf->rack;
    /* tcp_retransmit_skb: retrans_stamp is the first retransmission's. */
    if (!r->undo_ts_on) {
        r->undo_tsval = ln_tcp_tsval(s->st, s->ts_offset);
        r->undo_ts_on = 1;
    }
    if (!r->undo_on) return;
    if (r->undo_retrans < 0) r->undo_retrans = 0;
    r->undo_retrans++;
}

void ln_tcp_undo_dsack(ln_tcp_sock *s, const ln_tcp_sackblk *b, ln_seq ack, ln_tcp_ackstate *as)
{
    ln_tcp_rack *r = &s->xf->rack;
    ln_node *n = s->st->node;
    if (!ln_seq_lt(b->start, b->end)) return;
    uint32_t len = (uint32_t)(b->end - b->start), mss = s->mss_cache ? s->mss_cache : 536;
    if (len > s->max_window) return;        /* tcp_dsack_seen: not a real one */
    /* RFC 2883 4.1 (below the cumulative ACK) or 4.2 (inside the second
     * block): Linux counts them apart. */
    if (ln_seq_lt(b->start, ack)) LN_MIB_INC(n, TcpExtTCPDSACKRecv);
    else LN_MIB_INC(n, TcpExtTCPDSACKOfoRecv);
    uint32_t dup = len / mss ? len / mss : 1;
    LN_MIB_ADD(n, TcpExtTCPDSACKRecvSegs, dup);
    as->dsack = true;
    r->dsack_seen = 1;                      /* RFC 8985 6.2 step 4 */
    if (r->tlp_on && r->tlp_retrans && dup == 1 && !ln_seq_gt(b->end, r->tlp_high_seq))
        as->dsack_tlp = true;
    /* RFC 3708 2: each D-SACK proves one retransmission unnecessary. */
    if (r->undo_on && r->undo_retrans > 0 && ln_seq_gt(b->end, r->undo_marker)) {
        r->undo_retrans -= (int32_t)dup;
        if (r->undo_retrans < 0) r->undo_retrans = 0;
    } else if (!r->undo_on || r->undo_retrans < 0) {
        LN_MIB_INC(n, TcpExtTCPDSACKIgnoredNoUndo);
    }
}

/* Linux's tcp_packet_delayed (RFC 3522 Eifel): the ACK echoes a TSval
 * older than the first retransmission, so it was the original that got
 * through. */
static bool packet_delayed(const ln_tcp_sock *s, const ln_tcp_ackstate *as)
{
    return s->xf->rack.undo_ts_on && as && as->tsecr && (int32_t)(as->tsecr - s->xf->rack.undo_tsval) < 0;
}

static bool may_undo(const ln_tcp_sock *s, const ln_tcp_ackstate *as)
{
    return s->xf->rack.undo_on && (!s->xf->rack.undo_retrans || packet_delayed(s, as));
}

/* tcp_undo_cwnd_reduction: cwnd and ssthresh as before the reduction;
 * with unmark_loss, nothing counts as lost any more. */
static void undo_cwnd_reduction(ln_tcp_sock *s, bool unmark_loss, const char *why)
{
    if (unmark_loss) {
        for (uint32_t i = 0; i < s->xf->txq_len; i++) ln_tcp_txq_at(s, i)->lost = 0;
        s->xf->lost_out = 0;
    }
    if (s->xf->prior_ssthresh) {
        s->xf->cc.cwnd = s->cc_ops->undo_cwnd(&s->xf->cc);
        if (s->xf->prior_ssthresh > s->xf->cc.ssthresh) s->xf->cc.ssthresh = s->xf->prior_ssthresh;
    }
    s->xf->rack.undo_on = 0;
    s->xf->rack.advanced = 1;                   /* RACK looks again */
    LN_TCP_TRACE(s, "undo (%s): cwnd %u, ssthresh %u", why, s->xf->cc.cwnd, s->xf->cc.ssthresh);
    ln_tcp_emit_cwnd(s, "undo");
}

bool ln_tcp_try_undo_dsack(ln_tcp_sock *s)
{
    ln_tcp_rack *r = &s->xf->rack;
    if (!r->undo_on || r->undo_retrans) return false;
    /* Reordering, not loss: keep the wider window a while longer. */
    if (r->reo_persist < 16) r->reo_persist++;
    undo_cwnd_reduction(s, false, "D-SACK");
    LN_MIB_INC(s->st->node, TcpExtTCPDSACKUndo);
    return true;
}

bool ln_tcp_try_undo_recovery(ln_tcp_sock *s, const ln_tcp_ackstate *as)
{
    if (may_undo(s, as)) {
        bool loss = s->ca_state == LN_CA_LOSS;
        undo_cwnd_reduction(s, false, loss ? "loss" : "recovery");
        if (loss) LN_MIB_INC(s->st->node, TcpExtTCPLossUndo);
        else LN_MIB_INC(s->st->node, TcpExtTCPFullUndo);
    } else if (s->xf->rack.reo_persist) {
        s->xf->rack.reo_persist--;
    }
    ln_tcp_set_ca_state(s, LN_CA_OPEN);
    return false;
}

bool ln_tcp_try_undo_partial(ln_tcp_sock *s, const ln_tcp_ackstate *as)
{
    if (!s->xf->rack.undo_on || !packet_delayed(s, as)) return false;
    /* The hole was filled by the delayed original: reordering. */
    if (s->xf->rack.reord_seen < 255) s->xf->rack.reord_seen++;
    /* With retransmissions out, keep clocking new data out, but mark and
     * resend nothing more. */
    if (s->xf->retrans_out) return true;
    undo_cwnd_reduction(s, true, "partial");
    LN_MIB_INC(s->st->node, TcpExtTCPPartialUndo);
    ln_tcp_try_keep_open(s);
    return false;
}

/* tcp_try_undo_loss: the timeout was spurious (F-RTO) or every
 * retransmission was (D-SACK, Eifel): back to Open, sending new data. */
static bool try_undo_loss(ln_tcp_sock *s, const ln_tcp_ackstate *as, bool frto_undo)
{
    if (!frto_undo && !may_undo(s, as)) return false;
    undo_cwnd_reduction(s, true, frto_undo ? "F-RTO" : "loss");
    LN_MIB_INC(s->st->node, TcpExtTCPLossUndo);
    if (frto_undo) LN_MIB_INC(s->st->node, TcpExtTCPSpuriousRTOs);
    s->retransmits = 0;
    s->xf->rack.frto = s->xf->rack.frto_new = 0;
    s->xf->dupacks = 0;
    /* lunet's go-back-N pointer: what was not resent is in flight. */
    s->snd_nxt = s->snd_max;
    ln_tcp_set_ca_state(s, LN_CA_OPEN);
    return true;
}

/* F-RTO saw the loss was real: resend what is marked lost (with RACK),
 * or go back to SND.UNA (go-back-N). */
static void frto_real_loss(ln_tcp_sock *s)
{
    s->xf->rack.frto = 0;
    if (s->xf->rack.frto_new) {
        s->xf->rack.frto_new = 0;
        if (!ln_tcp_rack_on(s)) s->snd_nxt = s->snd_una;
    }
}

void ln_tcp_process_loss(ln_tcp_sock *s, const ln_tcp_ackstate *as)
{
    ln_tcp_rack *r = &s->xf->rack;
    bool recovered = !ln_seq_lt(s->snd_una, s->xf->high_seq);
    if (as->una_advanced && try_undo_loss(s, as, false)) return;
    if (r->frto) {
        /* RFC 5682 3.1 step 3.b: never-retransmitted data was delivered,
         * so not everything was lost: the timeout was spurious. */
        if (as->orig_sack_acked && try_undo_loss(s, as, true)) return;
        if (r->frto_new) {
            /* Step 3.a: a duplicate ACK or SACK after the new data: the
             * loss was real. */
            if (as->data_sacked || as->is_dup) frto_real_loss(s);
        } else if (as->una_advanced && !recovered) {
            /* Step 2.b: send new data instead of retransmitting more;
             * if none may go, conventional recovery (step 2.a). */
            ln_seq end = ln_tcp_data_end(s), wnd_end = s->snd_una + s->snd_wnd;
            s->xf->high_seq = s->snd_max;
            if (ln_seq_lt(s->snd_max, end) && ln_seq_lt(s->snd_max, wnd_end)) {
                r->frto_new = 1;
                s->snd_nxt = s->snd_max;
                return;
            }
            r->frto = 0;
        }
    }
    if (recovered) {
        /* The end of Loss (and F-RTO step 2.a: everything was resent). */
        ln_tcp_try_undo_recovery(s, as);
        s->xf->dupacks = 0;
        s->retransmits = 0;
        r->frto = r->frto_new = 0;
    }
}
