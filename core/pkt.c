/* pkt.c - the packet pool.
 *
 * Four free lists, one per size class, filled in batches (below): a packet that is all headers (an
 * ACK, an ARP frame) takes 320 bytes, not the 2 KB of a full segment, so
 * queues of ACKs and floods of broadcasts cost what they carry.  A packet header and its buffer are
 * one allocation; every allocation is also linked on `all` so that freeing
 * the pool reclaims packets still sitting in queues or in flight when a
 * network is torn down. */
#include "pkt.h"

#include <stdlib.h>

#include "csum.h"
#include "err.h"
#include "slab.h"

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

#if defined(__SANITIZE_ADDRESS__)
#define LN_PKT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LN_PKT_ASAN 1
#endif
#endif

/* Packets a batch of a class holds: about 32 KB of buffers.  Under
 * AddressSanitizer one: a write past a buffer then leaves its allocation,
 * where ASan sees it, instead of landing in the next packet. */
static uint32_t batch_of(uint32_t cap)
{
#ifdef LN_PKT_ASAN
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
#ifndef LN_PKT_ASAN
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
    ln_pkt **list = free_list(p, pkt->cap);
    pkt->next = *list;
    *list = pkt;
    p->in_use--;
}

ln_pkt *ln_pkt_clone(const ln_pkt *src)
{
    uint32_t head = ln_pkt_headroom(src);
    ln_pkt *dst = ln_pkt_alloc(src->pool, src->len);
    if (!dst) return NULL;
    /* Keep the same headroom when it fits, so a clone can grow headers. */
    if (head > LN_PKT_HEADROOM && head + src->len <= dst->cap) dst->data = dst->buf + head;
    memcpy(dst->data, src->data, src->len);
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

void ln_pkt_csum_finish_slow(ln_pkt *p)
{
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
