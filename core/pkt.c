/* pkt.c - the packet pool.
 *
 * Three free lists, one per size class: a packet that is all headers (an
 * ACK, an ARP frame) takes 320 bytes, not the 2 KB of a full segment, so
 * queues of ACKs and floods of broadcasts cost what they carry.  A packet header and its buffer are
 * one allocation; every allocation is also linked on `all` so that freeing
 * the pool reclaims packets still sitting in queues or in flight when a
 * network is torn down. */
#include "pkt.h"

#include <stdlib.h>

#include "err.h"

typedef struct slot {
    struct slot *all_next;        /* every allocation, for ln_pktpool_free */
    ln_pkt pkt;
} slot;

struct ln_pktpool {
    ln_pkt *free_tiny, *free_small, *free_large;
    slot *all;
    uint64_t in_use, allocated;
};

ln_pktpool *ln_pktpool_new(void)
{
    return calloc(1, sizeof(ln_pktpool));
}

void ln_pktpool_free(ln_pktpool *p)
{
    if (!p) return;
    for (slot *s = p->all; s;) {
        slot *next = s->all_next;
        free(s);
        s = next;
    }
    free(p);
}

uint64_t ln_pktpool_in_use(const ln_pktpool *p) { return p->in_use; }
uint64_t ln_pktpool_allocated(const ln_pktpool *p) { return p->allocated; }

static ln_pkt **free_list(ln_pktpool *p, uint32_t cap)
{
    return cap == LN_PKT_TINY ? &p->free_tiny : cap == LN_PKT_SMALL ? &p->free_small : &p->free_large;
}

static ln_pkt *grab(ln_pktpool *p, uint32_t cap)
{
    ln_pkt **list = free_list(p, cap);
    ln_pkt *pkt = *list;
    if (pkt) {
        *list = pkt->next;
        return pkt;
    }
    slot *s = malloc(sizeof(slot) + cap);
    if (!s) return NULL;
    s->all_next = p->all;
    p->all = s;
    p->allocated++;
    pkt = &s->pkt;
    pkt->buf = (uint8_t *)(s + 1);
    pkt->cap = cap;
    pkt->pool = p;
    return pkt;
}

ln_pkt *ln_pkt_alloc(ln_pktpool *p, uint32_t len)
{
    uint32_t cap;
    if (len <= LN_PKT_TINY - LN_PKT_HEADROOM) cap = LN_PKT_TINY;
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
    return dst;
}

const char *ln_pkt_kind_name(int kind)
{
    static const char *const names[LN_PKT_KIND__COUNT] = {
        NULL, "retransmission", "fast retransmission", "zero window probe", "keep-alive",
    };
    return kind > 0 && kind < LN_PKT_KIND__COUNT ? names[kind] : NULL;
}
