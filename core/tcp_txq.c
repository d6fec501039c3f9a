/* tcp_txq.c - the send-time records: one per segment of new data in
 * flight, in sequence order, in a ring that grows by doubling.  Each
 * holds what Linux keeps in its skb's control block: when the segment
 * last left (RTT samples, Karn's rule, RACK), whether it carried PSH (so
 * do its retransmissions), and RACK's marks (SACKed, lost, retransmitted;
 * tcp_rack.c).  A retransmission may cut a record in two (the path MTU
 * fell: Linux's tcp_fragment) or merge short ones into one segment
 * (tcp_retrans_try_collapse), and the records follow. */
#include <stdlib.h>
#include <string.h>

#include "tcp_int.h"

/* Room for one more record; false at the cap (the caller decides). */
static bool txq_grow(ln_tcp_sock *s)
{
    if (s->xf->txq_len < s->xf->txq_cap) return true;
    uint32_t cap = s->xf->txq_cap ? s->xf->txq_cap * 2 : 16;
    if (cap > 65536) return false;
    ln_tcp_txts *q = malloc(cap * sizeof *q);
    if (!q) return false;
    for (uint32_t i = 0; i < s->xf->txq_len; i++) q[i] = *ln_tcp_txq_at(s, i);
    free(s->xf->txq);
    s->xf->txq = q;
    s->xf->txq_cap = cap;
    s->xf->txq_head = 0;
    return true;
}

/* Remember when [.., end) left, for the RTT sample its ACK will give. */
void ln_tcp_txq_push(ln_tcp_sock *s, ln_seq end, ln_time t, bool psh)
{
    if (!txq_grow(s)) {
        if (!s->xf->txq_cap) return;
        s->xf->txq_head = (s->xf->txq_head + 1) & (s->xf->txq_cap - 1);  /* enough: forget the oldest */
        s->xf->txq_len--;
    }
    ln_tcp_txts *e = &s->xf->txq[(s->xf->txq_head + s->xf->txq_len) & (s->xf->txq_cap - 1)];
    memset(e, 0, sizeof *e);
    e->end = end;
    e->psh = psh;
    e->t = t;
    s->xf->txq_len++;
}

/* Linux's tcp_fragment for a retransmission: record i becomes two, the
 * first ending at `at`, both with its marks (counted twice now); PSH
 * stays with the second.  False if there is no room: the caller sends
 * the first part only. */
bool ln_tcp_txq_split(ln_tcp_sock *s, uint32_t i, ln_seq at)
{
    if (!txq_grow(s)) return false;
    for (uint32_t k = s->xf->txq_len; k > i + 1; k--) *ln_tcp_txq_at(s, k) = *ln_tcp_txq_at(s, k - 1);
    s->xf->txq_len++;
    ln_tcp_txts *a = ln_tcp_txq_at(s, i), *b = ln_tcp_txq_at(s, i + 1);
    *b = *a;
    a->end = at;
    a->psh = 0;
    s->xf->lost_out += a->lost;
    s->xf->retrans_out += a->retrans;
    s->xf->sacked_out += a->sacked;
    return true;
}

/* Karn's rule (RFC 6298 3): no RTT sample from a retransmitted segment. */
void ln_tcp_txq_mark_rtx(ln_tcp_sock *s, ln_seq seq, ln_seq end)
{
    for (uint32_t i = ln_tcp_txq_after(s, seq); i < s->xf->txq_len; i++) {
        ln_tcp_txts *e = ln_tcp_txq_at(s, i);
        e->rtx = 1;
        if (ln_seq_ge(e->end, end)) break;
    }
}

/* Karn's rule after an RTO or a path-MTU drop: nothing sent so far may
 * give an RTT sample; the records stay for their PSH flags. */
void ln_tcp_txq_no_samples(ln_tcp_sock *s)
{
    for (uint32_t i = 0; i < s->xf->txq_len; i++) s->xf->txq[(s->xf->txq_head + i) & (s->xf->txq_cap - 1)].rtx = 1;
}

/* Did the segment that ended at `end` carry PSH?  -1: no record of it. */
int ln_tcp_txq_psh(const ln_tcp_sock *s, ln_seq end)
{
    uint32_t i = ln_tcp_txq_after(s, end - 1);
    return i < s->xf->txq_len && ln_tcp_txq_at(s, i)->end == end ? ln_tcp_txq_at(s, i)->psh : -1;
}

/* Linux's tcp_retrans_try_collapse (tcp_retrans_collapse = 1): short
 * records after record i that fit with it in `room` (one MSS, within the
 * peer's window) and were not SACKed go in the same segment, and become
 * one record; *len and *fin grow to match. */
void ln_tcp_txq_collapse(ln_tcp_sock *s, uint32_t i, ln_seq seq, uint32_t room, ln_seq end, uint32_t *len,
                         bool *fin)
{
    ln_tcp_txts *a = ln_tcp_txq_at(s, i);
    while (i + 1 < s->xf->txq_len && !*fin) {
        ln_tcp_txts *b = ln_tcp_txq_at(s, i + 1);
        ln_seq bend = ln_seq_gt(b->end, end) ? end : b->end;
        if (b->sacked || (uint32_t)(bend - seq) > room) break;
        /* tcp_collapse_retrans: the second's marks go with it. */
        s->xf->lost_out -= b->lost;
        s->xf->retrans_out -= b->retrans;
        a->ever |= b->ever;
        a->rtx |= b->rtx;
        a->psh |= b->psh;
        a->end = b->end;
        *len = (uint32_t)(bend - seq);
        *fin = ln_seq_gt(b->end, end) && (s->flags & LN_TF_FIN_SENT);
        for (uint32_t k = i + 1; k + 1 < s->xf->txq_len; k++) *ln_tcp_txq_at(s, k) = *ln_tcp_txq_at(s, k + 1);
        s->xf->txq_len--;
    }
}

