/* pkt.h - packet buffers with headroom, from a per-network pool.
 *
 * A packet is one contiguous buffer; `data` points at the first byte of the
 * current layer's header and `len` counts bytes from there to the end.
 * Each layer on the way down prepends its header with ln_pkt_push() into the
 * headroom, without copying; on the way up ln_pkt_pull() strips it (the
 * bytes stay in the buffer, so an ICMP error can still quote the IP header).
 *
 * Ownership: a function that takes an ln_pkt * argument marked "consumes"
 * owns it from then on, even when it fails; one marked "borrows" does not
 * keep it past its return.  A packet is in exactly one place at a time, so
 * it carries the intrusive fields its current holder needs (a queue link and
 * a timer) instead of allocating them.
 *
 * Buffers come from four size classes (one for packets that are all
 * headers, a frame-sized one, 2 KiB, and one big enough for a reassembled
 * 64 KiB datagram) kept on free lists and allocated in batches: after warm-up
 * the hot path never calls malloc. */
#ifndef LN_PKT_H
#define LN_PKT_H

#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include "sim.h"

#define LN_PKT_HEADROOM 192u     /* Ethernet 14 + IP 60 + TCP 60, rounded up */
#define LN_PKT_TINY     320u     /* header-only packets (ACKs, ARP, SYNs): 128
                                  * bytes past the headroom, for options and
                                  * Ethernet's minimum frame */
#define LN_PKT_FRAME    1664u    /* a full-size segment at MTU 1500: 1472 bytes
                                  * past the headroom (UDP's largest payload
                                  * unfragmented, TCP's 1460).  Its own class
                                  * because a bulk transfer's queues are full
                                  * of them: in 2048 bytes each, a fifth of
                                  * bench_tcp W2's memory was empty tails */
#define LN_PKT_SMALL    2048u    /* buffer size of the small class */
#define LN_PKT_LARGE    (65536u + LN_PKT_HEADROOM + 64u)

struct ln_iface;
struct ln_pktpool;

/* Trace ids.  An id is made by the actor whose event creates the packet
 * (ln_net_pkt: the running actor, sim.h), from that actor's own count:
 *
 *     id = actor << 40 | n        n = 1, 2, 3, ... for each actor
 *
 * so it does not depend on how a run interleaves actors, nor on which
 * process of a split run makes it (docs/parallel.md, rule 4).  It stays
 * one integer, so events carry it and Lua tables key on it as before.
 * Actors get 23 bits, which keeps every id a positive Lua integer (8
 * million nodes and switches); the count gets 40 (a trillion packets from
 * one actor, over a day of one busy core), past which it wraps and old
 * ids come back: they follow a packet, they do not name it forever.
 * People read an id as "actor.n" (LN_PKT_ID_FMT, lunet.trace_id): "3.17"
 * is actor 3's 17th packet; the script's own packets (actor 0, the
 * network) are 0.1, 0.2, ... whose integers are plain 1, 2, ... */
#define LN_PKT_ID_SHIFT     40
#define LN_PKT_ID_COUNT     ((UINT64_C(1) << LN_PKT_ID_SHIFT) - 1)   /* mask */
#define LN_PKT_ID_ACTOR_MAX ((UINT32_C(1) << (63 - LN_PKT_ID_SHIFT)) - 1)

static inline uint64_t ln_pkt_id(uint32_t actor, uint64_t n)
{
    return (uint64_t)actor << LN_PKT_ID_SHIFT | (n & LN_PKT_ID_COUNT);
}
static inline uint32_t ln_pkt_id_actor(uint64_t id) { return (uint32_t)(id >> LN_PKT_ID_SHIFT); }
static inline uint64_t ln_pkt_id_count(uint64_t id) { return id & LN_PKT_ID_COUNT; }
/* printf("frame " LN_PKT_ID_FMT, LN_PKT_ID_ARGS(p->id)) prints "frame 3.17". */
#define LN_PKT_ID_FMT "%" PRIu32 ".%" PRIu64
#define LN_PKT_ID_ARGS(id) ln_pkt_id_actor(id), ln_pkt_id_count(id)

/* What a packet's sender meant it as, where the bytes alone leave it to
 * guessing (a retransmission looks like the original).  Wireshark's
 * analysis words are ln_pkt_kind_name's. */
typedef enum {
    LN_PKT_KIND_NONE = 0,
    LN_PKT_KIND_RETRANS,            /* outside fast recovery: after an RTO (the head,
                                     * SYN, go-back-N), a request's SYN-ACK again */
    LN_PKT_KIND_FAST_RETRANS,       /* a retransmission in fast recovery */
    LN_PKT_KIND_ZERO_WINDOW_PROBE,  /* from the persist timer */
    LN_PKT_KIND_KEEPALIVE,
    LN_PKT_KIND__COUNT
} ln_pkt_kind;

typedef struct ln_pkt {
    uint8_t *data;              /* current header */
    uint32_t len;               /* bytes from data to the end */
    uint32_t cap;               /* size of buf */
    uint8_t *buf;
    struct ln_pkt *next;        /* queue link, owned by the current holder */
    ln_timer timer;             /* for the current holder (e.g. a link) */
    uint64_t id;                /* trace id (above): follows the packet across hops */
    uint64_t mark;              /* scratch for the current holder */
    struct ln_iface *in_if;     /* interface it arrived on, or NULL */
    struct ln_pktpool *pool;
    uint8_t kind;               /* what its sender meant it as (LN_PKT_KIND_*); it
                                 * stays through every hop and events report it,
                                 * so that pictures need not guess */
    uint8_t wire_lose;          /* an interception hook chose it to be lost on
                                 * the link's wire (intercept.h LN_IC_LOSE) */
    uint8_t l4_csum_ok;         /* the transport checksum is known right for these
                                 * bytes: set by the sender that computed it,
                                 * cleared by whatever changes them (corruption, a
                                 * rewriting hook).  The receiver need not sum
                                 * them again, as a NIC's checksum offload tells
                                 * Linux (CHECKSUM_UNNECESSARY) */
    uint8_t csum_field;         /* with csum_len: the checksum's offset in the
                                 * transport header */
    uint32_t epoch;             /* on a link: the direction's epoch when it left
                                 * (link.h), so a down it missed still drops it */
    /* A transport checksum left to finish (Linux's CHECKSUM_PARTIAL):
     * csum_len bytes from buf + csum_start, whose checksum field holds the
     * pseudo header's sum; csum_len 0: none.  See ln_pkt_finish. */
    uint16_t csum_start;
    uint16_t csum_len;
    /* Generated payload (ln_pkt_put_gen): the bytes from buf + gen_off to
     * the end are not stored; byte x of buf there would be
     * (uint8_t)(gen_phase + x - gen_off).  0: every byte is stored. */
    uint16_t gen_off;
    uint8_t gen_phase;
} ln_pkt;

typedef struct ln_pktpool ln_pktpool;

ln_pktpool *ln_pktpool_new(void);
/* Frees every buffer the pool ever handed out, in use or not. */
void ln_pktpool_free(ln_pktpool *p);
/* Buffers currently handed out: a test checks it returns to its start. */
uint64_t ln_pktpool_in_use(const ln_pktpool *p);
uint64_t ln_pktpool_allocated(const ln_pktpool *p);   /* ever malloc'ed */
uint64_t ln_pktpool_bytes(const ln_pktpool *p);       /* the memory they take */

/* A packet whose data holds `len` uninitialised bytes after LN_PKT_HEADROOM
 * of headroom; NULL if len cannot fit even the large class. */
ln_pkt *ln_pkt_alloc(ln_pktpool *p, uint32_t len);
void ln_pkt_free(ln_pkt *pkt);                 /* consumes; NULL is fine */
/* Offloads the sender left unfinished, and ln_pkt_finish, which finishes
 * them.
 *
 * Checksum offload, as Linux hands a NIC or a veth a CHECKSUM_PARTIAL
 * packet: the sending stack leaves the transport checksum unfinished (the
 * pseudo header's sum in the field, the range in csum_start/csum_len);
 * the receiving stack trusts l4_csum_ok and never sums it at all.
 *
 * Generated payload: a TCP sender whose stream is the generated pattern
 * (tcp_buf.h: byte k of the stream is (uint8_t)k) puts no payload bytes in
 * the packet, only where the pattern starts (gen_off, gen_phase); its
 * buffer holds the headers alone, and a receiver appends the bytes to its
 * ring by the same rule without reading any.  A bulk transfer's queues
 * then cost what ns-3's virtual payloads cost, and no byte is copied.
 *
 * Whatever looks at or changes the bytes on the way (an event's
 * subscribers, and so every capture; a firewall or interception filter;
 * corruption; a bridge or another rank; an ICMP error quoting it;
 * fragmentation) finishes the packet first: the payload is written out
 * (into a buffer big enough, which may move data: pointers into the
 * packet taken before are stale, though they still read the same
 * header bytes until the packet is freed) and the checksum summed.  So
 * every byte anyone sees is the byte an eager sender would have written,
 * and a capture does not depend on when.  Idempotent.  A generated
 * packet always has its checksum unfinished too (the sum needs the
 * bytes), so one test covers both. */
void ln_pkt_finish_slow(ln_pkt *p);
static inline void ln_pkt_finish(ln_pkt *p)
{
    if (p->csum_len | p->gen_off) ln_pkt_finish_slow(p);
}
/* Write n bytes of the generated pattern starting at value `phase`. */
void ln_pkt_gen_fill(uint8_t *dst, uint8_t phase, uint32_t n);
/* Append n generated bytes, the first being `phase` (then phase + 1, ...),
 * without storing them; nothing may be appended after them.  For a packet
 * fresh from ln_pkt_alloc, not yet finished. */
static inline void ln_pkt_put_gen(ln_pkt *p, uint32_t n, uint8_t phase)
{
    if (!p->gen_off) {
        p->gen_off = (uint16_t)(p->data - p->buf + p->len);
        p->gen_phase = phase;
    }
    p->len += n;
}
/* How many of the bytes from data on the buffer holds (the rest, to len,
 * are generated), and the pattern's value at data + n for n >= that. */
static inline uint32_t ln_pkt_stored(const ln_pkt *p)
{
    if (!p->gen_off) return p->len;
    uint32_t head = (uint32_t)(p->data - p->buf);
    uint32_t s = p->gen_off > head ? p->gen_off - head : 0;
    return s < p->len ? s : p->len;
}
static inline uint8_t ln_pkt_gen_at(const ln_pkt *p, uint32_t n)
{
    return (uint8_t)(p->gen_phase + (uint32_t)(p->data - p->buf) + n - p->gen_off);
}

/* A deep copy with the same headroom and metadata (new trace id is not
 * assigned: a duplicate is the same packet twice). */
ln_pkt *ln_pkt_clone(const ln_pkt *pkt);
/* "retransmission", "fast retransmission", "zero window probe",
 * "keep-alive"; NULL for LN_PKT_KIND_NONE (or out of range). */
const char *ln_pkt_kind_name(int kind);

static inline uint32_t ln_pkt_headroom(const ln_pkt *p) { return (uint32_t)(p->data - p->buf); }
/* A generated payload ends the packet: no room after it. */
static inline uint32_t ln_pkt_tailroom(const ln_pkt *p)
{
    return p->gen_off ? 0 : p->cap - ln_pkt_headroom(p) - p->len;
}

/* Prepend n bytes; returns the new data pointer, NULL if no headroom. */
static inline uint8_t *ln_pkt_push(ln_pkt *p, uint32_t n)
{
    if (ln_pkt_headroom(p) < n) return NULL;
    p->data -= n; p->len += n;
    return p->data;
}
/* Strip n bytes from the front; NULL if the packet is shorter. */
static inline uint8_t *ln_pkt_pull(ln_pkt *p, uint32_t n)
{
    if (p->len < n) return NULL;
    p->data += n; p->len -= n;
    return p->data;
}
/* Append n bytes at the tail; returns a pointer to them, NULL if no room. */
static inline uint8_t *ln_pkt_put(ln_pkt *p, uint32_t n)
{
    if (ln_pkt_tailroom(p) < n) return NULL;
    uint8_t *t = p->data + p->len;
    p->len += n;
    return t;
}
static inline void ln_pkt_trim(ln_pkt *p, uint32_t len) { if (len < p->len) p->len = len; }

#endif
