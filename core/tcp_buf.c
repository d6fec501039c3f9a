/* tcp_buf.c - TCP byte buffers: the send and receive rings, and the
 * out-of-order queue with the SACK blocks a receiver reports.
 *
 * Place in the call chain:
 *   ln_tcp_send (tcp.c) -> ln_ring_write (send ring); tcp_out.c peeks
 *     segments out of it; ACK processing (tcp_in.c) -> ln_ring_read(NULL)
 *   tcp_in.c receive path -> ln_ring_write (in-order data, receive ring)
 *     or ln_tcp_ofo_insert (above RCV.NXT), then ln_tcp_ofo_drain;
 *     tcp_out.c -> ln_tcp_ofo_sack for the ACK's SACK option
 *   ln_tcp_recv (tcp.c) -> ln_ring_read (receive ring)
 *
 * Read: RFC 9293 3.10.7.4 (queueing out-of-order text), RFC 2018 4 (which
 * SACK blocks to send, in which order), RFC 2883 4 (D-SACK), and Linux's
 * tcp_data_queue_ofo, tcp_ofo_queue, tcp_sack_new_ofo_skb and
 * tcp_sack_remove (tcp_input.c), whose SACK behaviour is copied here.
 *
 * Rings are power-of-two sized, so positions wrap with a mask.  The
 * out-of-order queue is a sorted singly linked list of the received
 * packets themselves (no copy until they become in order); the caller
 * only inserts inside its receive window, which bounds its memory. */
#include "tcp_buf.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* First allocation: one page, or less for a ring whose limit is smaller. */
#define RING_MIN 4096u

/* ---- rings ------------------------------------------------------------ */

/* Smallest power of two >= n (n <= 2^31). */
static uint32_t pow2_ge(uint32_t n)
{
    uint32_t c = 1;
    while (c < n && c < 0x80000000u) c <<= 1;
    return c;
}

void ln_ring_init(ln_ring *r, uint32_t limit)
{
    memset(r, 0, sizeof *r);
    r->limit = limit;
}

void ln_ring_free(ln_ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->head = r->len = 0;
}

void ln_ring_set_limit(ln_ring *r, uint32_t limit)
{
    r->limit = limit > r->len ? limit : r->len;
}

/* Make room for `need` bytes: double until it fits (never past the power
 * of two holding the limit).  realloc keeps [0, old cap); bytes that had
 * wrapped to the front move to just after the old end, which the doubling
 * guarantees is free. */
static bool grow(ln_ring *r, uint32_t need)
{
    uint32_t top = pow2_ge(r->limit);
    uint32_t cap = r->cap ? r->cap : (RING_MIN < top ? RING_MIN : top);
    while (cap < need && cap < top) cap <<= 1;
    if (cap < need) return false;
    uint8_t *b = realloc(r->buf, cap);
    if (!b) return false;
    uint32_t old = r->cap;
    if (old && r->head + r->len > old) {
        uint32_t wrapped = r->head + r->len - old;
        memcpy(b + old, b, wrapped);
    }
    r->buf = b;
    r->cap = cap;
    return true;
}

/* Copy n bytes (or the pattern) to ring position pos; no wrap inside. */
static void fill(ln_ring *r, uint32_t pos, const uint8_t *src, uint32_t n)
{
    if (src) {
        memcpy(r->buf + pos, src, n);
        return;
    }
    for (uint32_t i = 0; i < n; i++) r->buf[pos + i] = (uint8_t)(r->written + i);
}

uint32_t ln_ring_write(ln_ring *r, const void *data, uint32_t n)
{
    uint32_t room = ln_ring_room(r);
    if (n > room) n = room;
    if (!n) return 0;
    if (r->len + n > r->cap && !grow(r, r->len + n)) {
        n = r->cap - r->len;                     /* what the old buffer holds */
        if (!n) return 0;
    }
    const uint8_t *src = data;
    uint32_t tail = (r->head + r->len) & (r->cap - 1);
    uint32_t first = r->cap - tail < n ? r->cap - tail : n;
    fill(r, tail, src, first);
    r->written += first;
    if (n > first) {
        fill(r, 0, src ? src + first : NULL, n - first);
        r->written += n - first;
    }
    r->len += n;
    return n;
}

void ln_ring_peek(const ln_ring *r, uint32_t off, void *dst, uint32_t n)
{
    assert(off <= r->len && n <= r->len - off && "ln_ring_peek: beyond the data");
    if (!n) return;
    uint32_t pos = (r->head + off) & (r->cap - 1);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(dst, r->buf + pos, first);
    if (n > first) memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void ln_ring_read(ln_ring *r, void *dst, uint32_t n)
{
    assert(n <= r->len && "ln_ring_read: more than the ring holds");
    if (!n) return;
    if (dst) ln_ring_peek(r, 0, dst, n);
    r->len -= n;
    /* An empty ring restarts at 0, so the next writes are contiguous. */
    r->head = r->len ? (r->head + n) & (r->cap - 1) : 0;
}

/* ---- the out-of-order queue ------------------------------------------- */

static ln_seq pseq(const ln_pkt *p) { return (ln_seq)p->mark; }
static ln_seq pend(const ln_pkt *p) { return (ln_seq)p->mark + p->len; }

void ln_tcp_ofo_init(ln_tcp_ofo *q)
{
    memset(q, 0, sizeof *q);
}

void ln_tcp_ofo_purge(ln_tcp_ofo *q)
{
    for (ln_pkt *p = q->head; p;) {
        ln_pkt *next = p->next;
        ln_pkt_free(p);
        p = next;
    }
    /* Linux's tcp_prune_ofo_queue resets the SACK blocks with the queue. */
    ln_tcp_ofo_init(q);
}

void ln_tcp_ofo_free(ln_tcp_ofo *q)
{
    ln_tcp_ofo_purge(q);
}

/* Record duplicate bytes [s, e): Linux's tcp_dsack_set for the first range
 * of a call, tcp_dsack_extend (the hull) for the next ones. */
static void dup_add(ln_tcp_ofo *q, ln_seq s, ln_seq e)
{
    if (!q->have_dup) {
        q->have_dup = true;
        q->dup.start = s;
        q->dup.end = e;
        return;
    }
    if (ln_seq_lt(s, q->dup.start)) q->dup.start = s;
    if (ln_seq_gt(e, q->dup.end)) q->dup.end = e;
}

/* Linux's tcp_sack_extend: [s, e) overlaps or touches b: b grows to the
 * union. */
static bool sack_extend(ln_tcp_sackblk *b, ln_seq s, ln_seq e)
{
    if (ln_seq_le(s, b->end) && ln_seq_le(b->start, e)) {
        if (ln_seq_lt(s, b->start)) b->start = s;
        if (ln_seq_gt(e, b->end)) b->end = e;
        return true;
    }
    return false;
}

/* Linux's tcp_sack_maybe_coalesce: the first block grew; swallow the
 * others it now overlaps or touches. */
static void sack_coalesce(ln_tcp_ofo *q)
{
    for (int i = 1; i < q->n_sacks;) {
        if (sack_extend(&q->sacks[0], q->sacks[i].start, q->sacks[i].end)) {
            q->n_sacks--;
            memmove(&q->sacks[i], &q->sacks[i + 1], (size_t)(q->n_sacks - i) * sizeof q->sacks[0]);
            continue;
        }
        i++;
    }
}

/* Linux's tcp_sack_new_ofo_skb: a segment [s, e) arrived out of order.
 * The block it extends moves to the front; otherwise a new block goes in
 * front and, with 4 already, the least recently touched one is forgotten
 * (Linux does not rebuild it from the queue, and neither do we). */
static void sack_new(ln_tcp_ofo *q, ln_seq s, ln_seq e)
{
    for (int i = 0; i < q->n_sacks; i++) {
        if (sack_extend(&q->sacks[i], s, e)) {
            ln_tcp_sackblk b = q->sacks[i];
            memmove(&q->sacks[1], &q->sacks[0], (size_t)i * sizeof b);
            q->sacks[0] = b;
            if (q->n_sacks > 1) sack_coalesce(q);
            return;
        }
    }
    int n = q->n_sacks < 4 ? q->n_sacks : 3;
    memmove(&q->sacks[1], &q->sacks[0], (size_t)n * sizeof q->sacks[0]);
    q->sacks[0].start = s;
    q->sacks[0].end = e;
    q->n_sacks = (uint8_t)(n + 1);
}

/* Linux's tcp_sack_remove: blocks RCV.NXT has reached are gone; an empty
 * queue has none. */
static void sack_remove(ln_tcp_ofo *q, ln_seq rcv_nxt)
{
    if (!q->head) {
        q->n_sacks = 0;
        return;
    }
    for (int i = 0; i < q->n_sacks;) {
        if (ln_seq_le(q->sacks[i].start, rcv_nxt)) {
            q->n_sacks--;
            memmove(&q->sacks[i], &q->sacks[i + 1], (size_t)(q->n_sacks - i) * sizeof q->sacks[0]);
            continue;
        }
        i++;
    }
}

static void set_recent(ln_tcp_ofo *q)
{
    q->have_recent = q->n_sacks > 0;
    if (q->have_recent) {
        q->recent_start = q->sacks[0].start;
        q->recent_end = q->sacks[0].end;
    }
}

/* Queue [seq, seq + len) so that no two packets overlap: bytes already
 * held are cut from the new packet's front (the predecessor covers them)
 * or, when a later packet starts inside it, from its tail; packets the
 * new one covers entirely are freed, as Linux's merge_right does.  No
 * packet ever needs splitting.  The SACK blocks see the whole segment,
 * duplicates included, as Linux's add_sack does. */
uint32_t ln_tcp_ofo_insert(ln_tcp_ofo *q, ln_seq rcv_nxt, ln_seq seq, ln_pkt *pkt)
{
    q->have_dup = false;
    if (!pkt->len) {
        ln_pkt_free(pkt);
        return 0;
    }
    ln_seq end = seq + pkt->len;
    /* In-order data is the caller's (RFC 9293 3.10.7.4); anything at or
     * below RCV.NXT that still reaches us is trimmed, never queued. */
    if (ln_seq_lt(seq, rcv_nxt)) {
        if (ln_seq_le(end, rcv_nxt)) {
            dup_add(q, seq, end);
            ln_pkt_free(pkt);
            return 0;
        }
        dup_add(q, seq, rcv_nxt);
        ln_pkt_pull(pkt, (uint32_t)(rcv_nxt - seq));
        seq = rcv_nxt;
    }
    /* The first out-of-order segment starts the list afresh (Linux's
     * "Initial out of order segment, build 1 SACK"). */
    if (!q->head) q->n_sacks = 0;
    sack_new(q, seq, end);
    set_recent(q);

    ln_pkt **link = &q->head;
    ln_pkt *prev = NULL;
    while (*link && ln_seq_le(pseq(*link), seq)) {
        prev = *link;
        link = &(*link)->next;
    }
    if (prev && ln_seq_gt(pend(prev), seq)) {
        if (ln_seq_ge(pend(prev), end)) {        /* all of it is here already */
            dup_add(q, seq, end);
            ln_pkt_free(pkt);
            return 0;
        }
        dup_add(q, seq, pend(prev));
        ln_pkt_pull(pkt, (uint32_t)(pend(prev) - seq));
        seq = pend(prev);
    }
    uint32_t removed = 0;
    while (*link && ln_seq_lt(pseq(*link), end)) {
        ln_pkt *nx = *link;
        if (ln_seq_le(pend(nx), end)) {          /* covered: the new one replaces it */
            dup_add(q, pseq(nx), pend(nx));
            removed += nx->len;
            *link = nx->next;
            q->n_segs--;
            ln_pkt_free(nx);
            continue;
        }
        dup_add(q, pseq(nx), end);               /* overlaps our tail: cut it */
        ln_pkt_trim(pkt, (uint32_t)(pseq(nx) - seq));
        end = pseq(nx);
        break;
    }
    if (!pkt->len) {                             /* squeezed between two held packets */
        ln_pkt_free(pkt);
        return 0;
    }
    pkt->mark = seq;
    pkt->next = *link;
    *link = pkt;
    q->n_segs++;
    q->bytes = q->bytes - removed + pkt->len;
    return pkt->len - removed;
}

/* Linux's tcp_ofo_queue: queued bytes below the RCV.NXT the caller
 * reached with in-order data were received twice; like Linux, report
 * [seq of the first such packet, that RCV.NXT) as the duplicate. */
uint32_t ln_tcp_ofo_drain(ln_tcp_ofo *q, ln_seq rcv_nxt, ln_ring *ring)
{
    q->have_dup = false;
    ln_seq nxt = rcv_nxt, dsack_high = rcv_nxt;
    uint32_t moved = 0;
    while (q->head && ln_seq_le(pseq(q->head), nxt)) {
        ln_pkt *p = q->head;
        if (ln_seq_lt(pseq(p), dsack_high)) {
            ln_seq hi = dsack_high;
            if (ln_seq_lt(pend(p), dsack_high)) dsack_high = pend(p);
            dup_add(q, pseq(p), hi);
        }
        if (ln_seq_le(pend(p), nxt)) {           /* nothing new in it */
            q->head = p->next;
            q->n_segs--;
            q->bytes -= p->len;
            ln_pkt_free(p);
            continue;
        }
        if (ln_seq_lt(pseq(p), nxt)) {
            uint32_t old = (uint32_t)(nxt - pseq(p));
            ln_pkt_pull(p, old);
            p->mark = nxt;
            q->bytes -= old;
        }
        uint32_t w = ln_ring_write(ring, p->data, p->len);
        moved += w;
        nxt += w;
        q->bytes -= w;
        if (w < p->len) {                        /* the ring is full: keep the rest */
            ln_pkt_pull(p, w);
            p->mark = nxt;
            break;
        }
        q->head = p->next;
        q->n_segs--;
        ln_pkt_free(p);
    }
    sack_remove(q, nxt);
    set_recent(q);
    return moved;
}

int ln_tcp_ofo_sack(const ln_tcp_ofo *q, ln_tcp_sackblk *out, int max)
{
    int n = q->n_sacks < max ? q->n_sacks : max;
    for (int i = 0; i < n; i++) out[i] = q->sacks[i];
    return n > 0 ? n : 0;
}
