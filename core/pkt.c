/* pkt.c - the packet pool, and finishing what a sender left unfinished.
 *
 * Four free lists, one per size class, filled in batches (below): a
 * packet that is all headers (an ACK, an ARP frame, a segment whose
 * payload is generated) takes 320 bytes, not the 2 KB of a full segment,
 * so queues of ACKs and floods of broadcasts cost what they carry.  A
 * packet's header and its buffer are one slot, except while finishing has
 * lent it a bigger buffer (give_room); every batch is also linked on
 * `all` so that freeing the pool reclaims packets still sitting in queues
 * or in flight when a network is torn down. */
#include "pkt.h"

#include <assert.h>
#include <stdlib.h>

#include "csum.h"
#include "err.h"
#include "asan.h"
#include "hugepage.h"

/* Packets come in batches: one allocation holds `n` of a class, each a
 * header and its buffer, so the pool grows by a malloc per batch and not
 * per packet.  Every batch is linked on `all` for ln_pktpool_free. */
typedef struct batch {
    struct batch *all_next;
    uint32_t n;
    uint32_t huge;                      /* a huge page (ln_huge_page), not malloc'ed */
} batch;

/* Once a pool holds this much, it grows a huge page at a time: a bulk
 * transfer's queues take tens of megabytes, and on a virtual machine the
 * first touch of each small page was most of bench_tcp W2's time. */
#define HUGE_AFTER (4u << 20)

/* Packets a batch of a class holds: about 32 KB of buffers.  Under
 * AddressSanitizer one: a write past a buffer then leaves its allocation,
 * where ASan sees it, instead of landing in the next packet. */
static uint32_t batch_of(uint32_t cap)
{
#ifdef LN_ASAN
    (void)cap;
    return 1;
#else
    return cap >= LN_PKT_LARGE ? 1 : 32768 / cap;
#endif
}

/* A packet's header and buffer inside a batch, aligned for the header. */
static size_t slot_size(uint32_t cap)
{
    size_t sz = sizeof(ln_pkt) + cap;
    return (sz + _Alignof(ln_pkt) - 1) / _Alignof(ln_pkt) * _Alignof(ln_pkt);
}

struct ln_pktpool {
    ln_pkt *free_tiny, *free_frame, *free_small, *free_large;
    batch *all;
    uint64_t in_use, allocated;
    uint64_t bytes;                     /* held in batches */
};

ln_pktpool *ln_pktpool_new(void)
{
    return calloc(1, sizeof(ln_pktpool));
}

void ln_pktpool_free(ln_pktpool *p)
{
    if (!p) return;
    for (batch *b = p->all; b;) {
        batch *next = b->all_next;
        if (b->huge) ln_huge_page_free(b);
        else free(b);
        b = next;
    }
    free(p);
}

uint64_t ln_pktpool_in_use(const ln_pktpool *p) { return p->in_use; }
uint64_t ln_pktpool_allocated(const ln_pktpool *p) { return p->allocated; }
uint64_t ln_pktpool_bytes(const ln_pktpool *p) { return p->bytes; }

static ln_pkt **free_list(ln_pktpool *p, uint32_t cap)
{
    return cap == LN_PKT_TINY    ? &p->free_tiny
         : cap == LN_PKT_FRAME ? &p->free_frame
         : cap == LN_PKT_SMALL ? &p->free_small
                               : &p->free_large;
}

static ln_pkt *grab(ln_pktpool *p, uint32_t cap)
{
    ln_pkt **list = free_list(p, cap);
    ln_pkt *pkt = *list;
    if (pkt) {
        *list = pkt->next;
        return pkt;
    }
    uint32_t n = batch_of(cap);
    size_t head = (sizeof(batch) + _Alignof(ln_pkt) - 1) / _Alignof(ln_pkt) * _Alignof(ln_pkt);
    size_t each = slot_size(cap);
    batch *b;
    bool huge = false;
#ifndef LN_ASAN
    huge = p->bytes >= HUGE_AFTER && head + each <= LN_HUGE_PAGE;
#endif
    if (huge) {
        n = (uint32_t)((LN_HUGE_PAGE - head) / each);
        b = ln_huge_page();
        p->bytes += LN_HUGE_PAGE;
    } else {
        b = malloc(head + n * each);
        p->bytes += head + n * each;
    }
    if (!b) return NULL;
    b->all_next = p->all;
    b->n = n;
    b->huge = huge;
    p->all = b;
    p->allocated += n;
    /* The first is returned; the others go on the free list, last first,
     * so they are handed out in address order. */
    for (uint32_t i = n; i-- > 0;) {
        pkt = (ln_pkt *)((uint8_t *)b + head + i * each);
        pkt->buf = (uint8_t *)(pkt + 1);
        pkt->cap = cap;
        pkt->pool = p;
        if (i) {
            pkt->next = *list;
            *list = pkt;
        }
    }
    return pkt;
}

ln_pkt *ln_pkt_alloc(ln_pktpool *p, uint32_t len)
{
    uint32_t cap;
    if (len <= LN_PKT_TINY - LN_PKT_HEADROOM) cap = LN_PKT_TINY;
    else if (len <= LN_PKT_FRAME - LN_PKT_HEADROOM) cap = LN_PKT_FRAME;
    else if (len <= LN_PKT_SMALL - LN_PKT_HEADROOM) cap = LN_PKT_SMALL;
    else if (len <= LN_PKT_LARGE - LN_PKT_HEADROOM) cap = LN_PKT_LARGE;
    else return NULL;
    ln_pkt *pkt = grab(p, cap);
    if (!pkt) return NULL;
    pkt->data = pkt->buf + LN_PKT_HEADROOM;
    pkt->len = len;
    pkt->next = NULL;
    ln_timer_init(&pkt->timer, NULL, pkt);
    pkt->id = 0;
    pkt->mark = 0;
    pkt->in_if = NULL;
    pkt->kind = LN_PKT_KIND_NONE;
    pkt->epoch = 0;
    pkt->wire_lose = 0;
    pkt->l4_csum_ok = 0;
    pkt->csum_len = 0;
    pkt->gen_off = 0;
    p->in_use++;
    return pkt;
}

void ln_pkt_free(ln_pkt *pkt)
{
    if (!pkt) return;
    ln_pktpool *p = pkt->pool;
    /* A packet must not be freed while its timer is armed: the holder that
     * armed it owns it. */
    if (ln_timer_armed(&pkt->timer))
        ln_fatal("packet " LN_PKT_ID_FMT " freed while its timer is armed", LN_PKT_ID_ARGS(pkt->id));
    if (pkt->buf != (uint8_t *)(pkt + 1)) {
        /* Finishing gave it a bigger buffer (give_room): both slots go
         * home, each to its own class. */
        ln_pkt *lent = (ln_pkt *)pkt->buf - 1;
        ln_pkt **list = free_list(p, lent->cap);
        lent->next = *list;
        *list = lent;
        pkt->buf = (uint8_t *)(pkt + 1);
        pkt->cap = lent->len;
    }
    ln_pkt **list = free_list(p, pkt->cap);
    pkt->next = *list;
    *list = pkt;
    p->in_use--;
}

ln_pkt *ln_pkt_clone(const ln_pkt *src)
{
    uint32_t head = ln_pkt_headroom(src);
    uint32_t stored = ln_pkt_stored(src);       /* a generated tail stays generated */
    ln_pkt *dst = ln_pkt_alloc(src->pool, stored);
    if (!dst) return NULL;
    /* Keep the same headroom when it fits, so a clone can grow headers. */
    if (head > LN_PKT_HEADROOM && head + stored <= dst->cap) dst->data = dst->buf + head;
    memcpy(dst->data, src->data, stored);
    if (stored < src->len) ln_pkt_put_gen(dst, src->len - stored, ln_pkt_gen_at(src, stored));
    dst->id = src->id;
    dst->mark = src->mark;
    dst->in_if = src->in_if;
    dst->kind = src->kind;
    dst->epoch = src->epoch;
    dst->wire_lose = src->wire_lose;
    dst->l4_csum_ok = src->l4_csum_ok;
    if (src->csum_len) {
        /* The same range, wherever the copy's data starts. */
        dst->csum_start = (uint16_t)(src->csum_start - head + ln_pkt_headroom(dst));
        dst->csum_len = src->csum_len;
        dst->csum_field = src->csum_field;
    }
    return dst;
}

/* Byte k of the pattern is (uint8_t)k: a table of 17 periods gives any
 * run of up to 4 KiB at any phase with one memcpy. */
#define PATTERN_RUN 4096u
static const uint8_t pattern[PATTERN_RUN + 256] = {
#define P16(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, \
               b + 11, b + 12, b + 13, b + 14, b + 15
#define P256(b) P16(b), P16(b + 16), P16(b + 32), P16(b + 48), P16(b + 64), P16(b + 80), \
                P16(b + 96), P16(b + 112), P16(b + 128), P16(b + 144), P16(b + 160), \
                P16(b + 176), P16(b + 192), P16(b + 208), P16(b + 224), P16(b + 240)
    P256(0), P256(0), P256(0), P256(0), P256(0), P256(0), P256(0), P256(0), P256(0),
    P256(0), P256(0), P256(0), P256(0), P256(0), P256(0), P256(0), P256(0)
#undef P256
#undef P16
};

void ln_pkt_gen_fill(uint8_t *dst, uint8_t phase, uint32_t n)
{
    while (n) {
        uint32_t chunk = n < PATTERN_RUN ? n : PATTERN_RUN;
        memcpy(dst, pattern + phase, chunk);
        dst += chunk;
        phase = (uint8_t)(phase + chunk);
        n -= chunk;
    }
}

/* Write a generated payload out.  The packet's own buffer holds only its
 * headers, so the bytes go into another slot's buffer, big enough for all
 * of them, lent to it until it is freed (ln_pkt_free sends both home);
 * the lender's header keeps the borrower's own class in its len.  The
 * packet keeps its place (callers hold it), and the old buffer keeps its
 * bytes until then, so a header pointer taken before still reads right. */
static void give_room(ln_pkt *p)
{
    uint32_t gen = p->gen_off, head = ln_pkt_headroom(p), end = head + p->len;
    p->gen_off = 0;
    if (end <= gen) return;                     /* trimmed back to stored bytes */
    uint32_t cap = end <= LN_PKT_TINY ? LN_PKT_TINY
                 : end <= LN_PKT_FRAME ? LN_PKT_FRAME
                 : end <= LN_PKT_SMALL ? LN_PKT_SMALL : LN_PKT_LARGE;
    /* Only a packet fresh from its pool gets a generated payload (a
     * sender's, a clone's), so it is still on its own buffer. */
    assert(p->buf == (uint8_t *)(p + 1));
    ln_pkt *lent = grab(p->pool, cap);
    if (!lent) ln_fatal("out of memory writing out a packet's payload (%u bytes)", end);
    lent->len = p->cap;
    uint8_t *b = lent->buf;
    memcpy(b, p->buf, gen);
    ln_pkt_gen_fill(b + gen, p->gen_phase, end - gen);
    p->data = b + head;
    p->buf = b;
    p->cap = cap;
}

void ln_pkt_finish_slow(ln_pkt *p)
{
    if (p->gen_off) give_room(p);
    if (!p->csum_len) return;
    uint32_t start = p->csum_start, len = p->csum_len;
    p->csum_len = 0;
    /* The range lies within the bytes the packet holds unless a holder
     * cut them (a truncating rewrite): then there is nothing to finish. */
    if (start < ln_pkt_headroom(p) || start + len > ln_pkt_headroom(p) + p->len ||
        len < p->csum_field + 2u)
        return;
    uint8_t *l4 = p->buf + start;
    uint16_t sum = ln_csum_fold(ln_csum_partial(l4, len, 0));
    l4[p->csum_field] = (uint8_t)(sum >> 8);
    l4[p->csum_field + 1] = (uint8_t)sum;
}

const char *ln_pkt_kind_name(int kind)
{
    static const char *const names[LN_PKT_KIND__COUNT] = {
        NULL, "retransmission", "fast retransmission", "zero window probe", "keep-alive",
    };
    return kind > 0 && kind < LN_PKT_KIND__COUNT ? names[kind] : NULL;
}
