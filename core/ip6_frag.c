/* ip6_frag.c - IPv6 fragmentation at the source and reassembly (RFC 8200
 * 4.5, RFC 5722), following Linux's ip6_output.c (ip6_fragment) and
 * reassembly.c.
 *
 * Fragmentation: ln_ip6_output (a datagram over the path MTU, only ever
 *   at its source: routers send Packet Too Big) -> ln_ip6_fragment ->
 *   ln_nd_output per fragment, in order, with one identification from the
 *   node's counter.
 * Reassembly: deliver() in ipv6.c -> ln_reasm6_input -> (complete) the
 *   datagram back to deliver().  One queue per (source, destination,
 *   identification), its timer armed by the first fragment (ip6frag_time,
 *   60 s); at expiry, Time Exceeded code 1 to the source if the first
 *   fragment came (RFC 8200 4.5).
 * RFC 5722: a fragment that overlaps queued data discards the datagram
 *   (every fragment queued: REASM_OVERLAP); a later fragment of it starts
 *   a new queue that will time out, as Linux's inet_frag_kill does.  An
 *   exact duplicate drops only itself (Linux 4.19+).  Atomic fragments
 *   (RFC 6946) never reach here: ipv6.c processes them alone. */
#include "ip6.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "icmp6.h"
#include "nd.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

/* ---- fragmentation ---------------------------------------------------- */

int ln_ip6_fragment(ln_node *n, ln_iface *ifc, const ln_in6 *nexthop, ln_pkt *pkt, uint32_t mtu)
{
    ln_pkt_finish(pkt);            /* the sum travels in the first fragment only */
    const uint8_t *h = pkt->data;
    uint32_t payload = pkt->len - LN_IP6_HLEN;
    uint32_t chunk = mtu > LN_IP6_HLEN + LN_FRAG6_HLEN ? (mtu - LN_IP6_HLEN - LN_FRAG6_HLEN) & ~7u : 0;
    if (pkt->len < LN_IP6_HLEN || chunk == 0) {
        LN_MIB_INC(n, Ip6FragFails);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_PKT_TOO_BIG);
        return LN_EMSGSIZE;
    }
    uint32_t id = n->ip6->frag_id++;
    for (uint32_t off = 0; off < payload;) {
        uint32_t len = payload - off;
        bool more = len > chunk;
        if (more) len = chunk;
        ln_pkt *f = ln_net_pkt(n->net, LN_IP6_HLEN + LN_FRAG6_HLEN + len);
        if (!f) {
            LN_MIB_INC(n, Ip6FragFails);
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
            return LN_ENOBUFS;
        }
        uint8_t *d = f->data;
        memcpy(d, h, LN_IP6_HLEN);
        ln_put16(d + LN_IP6_PLEN, (uint16_t)(LN_FRAG6_HLEN + len));
        d[LN_IP6_NXT] = LN_IPPROTO_FRAGMENT;
        uint8_t *fh = d + LN_IP6_HLEN;
        fh[0] = h[LN_IP6_NXT];
        fh[1] = 0;
        ln_put16(fh + LN_FRAG6_OFF, (uint16_t)(off | (more ? LN_FRAG6_MF : 0)));
        ln_put32(fh + LN_FRAG6_ID, id);
        memcpy(fh + LN_FRAG6_HLEN, h + LN_IP6_HLEN + off, len);
        f->kind = pkt->kind;
        LN_MIB_INC(n, Ip6FragCreates);
        ln_nd_output(n, ifc, nexthop, f);
        off += len;
    }
    LN_MIB_INC(n, Ip6FragOKs);
    ln_pkt_free(pkt);
    return 0;
}

/* ---- reassembly ----------------------------------------------------------- */

typedef struct frag {
    ln_pkt *p;
    uint32_t off, len;            /* in the original payload */
    uint32_t data;                /* where its data starts in p */
} frag;

typedef struct fq {
    struct fq *next;
    ln_node *node;
    ln_in6 src, dst;
    uint32_t id;
    frag *v;                      /* sorted by offset */
    uint32_t n, cap;
    uint32_t total;               /* payload length once the last came; 0 before */
    uint32_t meat;                /* bytes received */
    uint32_t truesize;            /* bytes held, for ip6frag_high_thresh */
    ln_timer timer;
} fq;

typedef struct ln_reasm6 {
    fq *head;
    uint32_t mem;
} ln_reasm6;

static ln_reasm6 *rs(ln_node *n)
{
    if (!n->ip6->reasm) n->ip6->reasm = calloc(1, sizeof(ln_reasm6));
    return n->ip6->reasm;
}

static void fq_kill(ln_node *n, fq *q, ln_drop_reason why)
{
    ln_reasm6 *r = n->ip6->reasm;
    for (fq **pp = &r->head; *pp; pp = &(*pp)->next)
        if (*pp == q) { *pp = q->next; break; }
    ln_timer_cancel(&n->net->sim, &q->timer);
    r->mem -= q->truesize;
    for (uint32_t i = 0; i < q->n; i++) {
        if (why == LN_DROP_NONE) ln_pkt_free(q->v[i].p);
        else ln_net_drop(n->net, n, q->v[i].p->in_if, q->v[i].p, LN_LAYER_L3, why);
    }
    free(q->v);
    free(q);
}

static void fq_expire(void *arg)
{
    fq *q = arg;
    ln_node *n = q->node;
    LN_MIB_INC(n, Ip6ReasmTimeout);
    LN_MIB_INC(n, Ip6ReasmFails);
    if (q->n && q->v[0].off == 0) {
        /* The first fragment is there to quote (ip6_frag_expire). */
        ln_icmp6_error(n, q->v[0].p, LN_ICMP6_TIME_EXCEED, LN_ICMP6_TIMXCEED_REASM, 0);
    }
    fq_kill(n, q, LN_DROP_REASM_TIMEOUT);
}

static ln_pkt *assemble(ln_node *n, fq *q, uint32_t *off, uint32_t *nh_off)
{
    const frag *first = &q->v[0];
    uint32_t unfrag = first->data - LN_FRAG6_HLEN;   /* header and unfragmentable part */
    if (unfrag - LN_IP6_HLEN + q->total > 65535u) {
        LN_MIB_INC(n, Ip6ReasmFails);
        fq_kill(n, q, LN_DROP_REASM_INVALID);
        return NULL;
    }
    ln_pkt *p = ln_net_pkt(n->net, unfrag + q->total);
    if (!p) {
        LN_MIB_INC(n, Ip6ReasmFails);
        fq_kill(n, q, LN_DROP_NO_BUFFER);
        return NULL;
    }
    const uint8_t *fd = first->p->data;
    memcpy(p->data, fd, unfrag);
    /* The byte that named the fragment header names what followed it. */
    p->data[first->p->mark >> 32] = fd[unfrag];
    *nh_off = (uint32_t)(first->p->mark >> 32);
    *off = unfrag;
    ln_put16(p->data + LN_IP6_PLEN, (uint16_t)(unfrag - LN_IP6_HLEN + q->total));
    for (uint32_t i = 0; i < q->n; i++)
        memcpy(p->data + unfrag + q->v[i].off, q->v[i].p->data + q->v[i].data, q->v[i].len);
    p->id = first->p->id;
    p->in_if = first->p->in_if;
    p->mark = first->p->mark & 0xffffffffu;
    LN_MIB_INC(n, Ip6ReasmOKs);
    fq_kill(n, q, LN_DROP_NONE);
    return p;
}

ln_pkt *ln_reasm6_input(ln_node *n, ln_pkt *pkt, uint32_t *off_io, uint32_t *nh_off_io)
{
    ln_reasm6 *r = rs(n);
    ln_iface *ifc = pkt->in_if;
    if (!r) {
        LN_MIB_INC(n, Ip6ReasmFails);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
        return NULL;
    }
    const uint8_t *h = pkt->data;
    uint32_t fo = *off_io;
    uint16_t ofs = ln_get16(h + fo + LN_FRAG6_OFF);
    uint32_t start = ofs & LN_FRAG6_OFFMASK, len = pkt->len - fo - LN_FRAG6_HLEN, end = start + len;
    bool more = ofs & LN_FRAG6_MF;
    ln_in6 src, dst;
    memcpy(src.b, h + LN_IP6_SRC, 16);
    memcpy(dst.b, h + LN_IP6_DST, 16);
    uint32_t id = ln_get32(h + fo + LN_FRAG6_ID);
    fq *q = r->head;
    while (q && !(q->id == id && ln_in6_eq(&q->src, &src) && ln_in6_eq(&q->dst, &dst))) q = q->next;
    /* Every fragment counts against the memory limit, not just a queue's
     * first (Linux's frag_mem_limit, checked as each one is queued). */
    if (r->mem + pkt->cap > n->cfg.ipfrag_high_thresh) {
        LN_MIB_INC(n, Ip6ReasmFails);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
        return NULL;
    }
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q) {
            LN_MIB_INC(n, Ip6ReasmFails);
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
            return NULL;
        }
        q->node = n;
        q->src = src;
        q->dst = dst;
        q->id = id;
        ln_timer_init(&q->timer, fq_expire, q);
        ln_timer_arm_in(&n->net->sim, &q->timer, n->cfg.ip6frag_time);
        q->next = r->head;
        r->head = q;
    }
    /* The end: a last fragment fixes it; nothing may lie past it, and a
     * second last fragment must agree (reassembly.c "corrupted"). */
    if ((!more && q->total && end != q->total) || (q->total && end > q->total) ||
        (!more && q->n && q->v[q->n - 1].off + q->v[q->n - 1].len > end)) {
        LN_MIB_INC(n, Ip6ReasmFails);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_REASM_INVALID);
        fq_kill(n, q, LN_DROP_REASM_INVALID);
        return NULL;
    }
    uint32_t pos = 0;
    while (pos < q->n && q->v[pos].off < start) pos++;
    if (pos < q->n && q->v[pos].off == start && q->v[pos].len == len) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_REASM_DUP);
        return NULL;
    }
    bool overlap = (pos > 0 && q->v[pos - 1].off + q->v[pos - 1].len > start) ||
                   (pos < q->n && q->v[pos].off < end);
    if (overlap) {
        if (LN_TRACE_ON(n->net, LN_TR_IP)) {
            char a[LN_IN6_FMTLEN];
            ln_trace_emit(n->net, LN_TR_IP, n->name, "fragment %u-%u of %s id %u overlaps: datagram "
                          "discarded (RFC 5722)", start, end, ln_ip6_fmt(&src, a), id);
        }
        LN_MIB_INC(n, Ip6ReasmFails);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_REASM_OVERLAP);
        fq_kill(n, q, LN_DROP_REASM_OVERLAP);
        return NULL;
    }
    if (q->n == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : 8;
        frag *v = realloc(q->v, cap * sizeof *v);
        if (!v) {
            LN_MIB_INC(n, Ip6ReasmFails);
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
            return NULL;
        }
        q->v = v;
        q->cap = cap;
    }
    memmove(&q->v[pos + 1], &q->v[pos], (q->n - pos) * sizeof *q->v);
    /* The offset of the naming byte rides in the high half of mark (the
     * low half keeps the Ethernet flags). */
    pkt->mark = (pkt->mark & 0xffffffffu) | (uint64_t)*nh_off_io << 32;
    q->v[pos] = (frag){ .p = pkt, .off = start, .len = len, .data = fo + LN_FRAG6_HLEN };
    q->n++;
    q->meat += len;
    q->truesize += pkt->cap;
    r->mem += pkt->cap;
    if (!more) q->total = end;
    if (q->total && q->meat == q->total && q->v[0].off == 0) return assemble(n, q, off_io, nh_off_io);
    return NULL;
}

uint32_t ln_reasm6_pending(const ln_node *n)
{
    uint32_t k = 0;
    if (n->ip6 && n->ip6->reasm)
        for (const fq *q = n->ip6->reasm->head; q; q = q->next) k++;
    return k;
}

void ln_reasm6_free(ln_node *n)
{
    ln_reasm6 *r = n->ip6 ? n->ip6->reasm : NULL;
    if (!r) return;
    while (r->head) fq_kill(n, r->head, LN_DROP_NONE);
    free(r);
    n->ip6->reasm = NULL;
}
