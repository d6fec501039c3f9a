/* tcp_buf.h - TCP byte buffers: the send and receive rings and the
 * out-of-order queue.
 *
 * A ring holds a byte stream: the send ring holds what the application
 * wrote from SND.UNA on (acked bytes are consumed from the front, segments
 * are copied out at an offset); the receive ring holds in-order bytes the
 * application has not read.  Rings allocate lazily and grow by doubling up
 * to their limit, so an idle connection holds no buffer memory and a bulk
 * one reaches its buffer size only if it needs it.
 *
 * The out-of-order queue keeps segments received above RCV.NXT as packets
 * (payload only), sorted and trimmed so none overlap; it produces the SACK
 * blocks the receiver reports (RFC 2018 4: the block holding the most
 * recently received segment first). */
#ifndef LN_TCP_BUF_H
#define LN_TCP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pkt.h"
#include "seq.h"
#include "tcp_sack.h"

typedef struct ln_ring {
    uint8_t *buf;
    uint32_t cap;               /* allocated, a power of two (0: none yet) */
    uint32_t head;              /* offset of the first byte */
    uint32_t len;               /* bytes held */
    uint32_t limit;             /* most bytes it may hold */
    uint32_t written;           /* bytes ever appended, mod 2^32: the
                                 * stream offset of the next byte (NULL
                                 * writes put (uint8_t)written there) */
} ln_ring;

void ln_ring_init(ln_ring *r, uint32_t limit);
void ln_ring_free(ln_ring *r);
static inline uint32_t ln_ring_room(const ln_ring *r) { return r->limit > r->len ? r->limit - r->len : 0; }
/* Append up to n bytes (data NULL: a deterministic pattern, byte i of the
 * stream being (uint8_t)i, as the reference captures' payloads; callers
 * that need real data pass it); returns bytes appended (0 if full or out
 * of memory).  The buffer is allocated on the first write and doubles as
 * needed, never beyond the power of two that holds `limit`; it is kept
 * when the ring empties (no malloc per write). */
uint32_t ln_ring_write(ln_ring *r, const void *data, uint32_t n);
/* Copy n bytes starting `off` bytes after the head into dst (must exist). */
void ln_ring_peek(const ln_ring *r, uint32_t off, void *dst, uint32_t n);
/* Remove n bytes from the front (dst NULL: discard). */
void ln_ring_read(ln_ring *r, void *dst, uint32_t n);
/* Change the limit (never below what is held). */
void ln_ring_set_limit(ln_ring *r, uint32_t limit);

typedef struct ln_tcp_ofo {
    ln_pkt *head;               /* sorted by seq; pkt->mark holds the segment's seq */
    uint32_t n_segs;
    uint32_t bytes;             /* payload bytes held */
    ln_seq recent_start, recent_end;   /* block touched by the last insert (= sacks[0]) */
    bool have_recent;
    /* The SACK blocks to report, most recently touched first: Linux's
     * selective_acks[], kept by the same rules (tcp_sack_new_ofo_skb,
     * tcp_sack_maybe_coalesce, tcp_sack_remove), so the blocks and their
     * order are Linux's even when more than 4 ranges are queued. */
    uint8_t n_sacks;
    ln_tcp_sackblk sacks[4];
    /* Bytes the last insert or drain found already held: the D-SACK block
     * to report (RFC 2883 4, what Linux's tcp_dsack_set/extend would
     * record); have_dup is reset by every insert and drain. */
    bool have_dup;
    ln_tcp_sackblk dup;
} ln_tcp_ofo;

void ln_tcp_ofo_init(ln_tcp_ofo *q);
void ln_tcp_ofo_free(ln_tcp_ofo *q);
/* Insert a segment's payload [seq, seq + pkt->len) received above rcv_nxt
 * (pkt->data at the payload; consumes pkt).  Parts already held are
 * trimmed away.  Returns the number of new bytes stored (0: duplicate). */
uint32_t ln_tcp_ofo_insert(ln_tcp_ofo *q, ln_seq rcv_nxt, ln_seq seq, ln_pkt *pkt);
/* Move the bytes that became in-order at rcv_nxt into the ring (as much as
 * the ring takes); returns how many (the caller advances RCV.NXT).  Call it
 * after every in-order segment: it also drops the SACK blocks RCV.NXT now
 * covers (Linux's tcp_sack_remove). */
uint32_t ln_tcp_ofo_drain(ln_tcp_ofo *q, ln_seq rcv_nxt, ln_ring *ring);
/* Up to max SACK blocks (RFC 2018 4): the block holding the most recent
 * segment first, then the others in the order they were last touched, as
 * Linux sends them (with 2 blocks, the same as "the rest from the lowest
 * up").  Returns the count. */
int ln_tcp_ofo_sack(const ln_tcp_ofo *q, ln_tcp_sackblk *out, int max);
/* Drop everything (RFC 2018 8: a receiver may renege; Linux does under
 * memory pressure). */
void ln_tcp_ofo_purge(ln_tcp_ofo *q);

#endif
