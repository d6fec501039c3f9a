/* ip_frag.c - IPv4 fragmentation (RFC 791 3.2) and reassembly (RFC 791,
 * RFC 1122 3.3.2, RFC 815), following Linux's ip_output.c/ip_fragment.c and
 * net/ipv4/inet_fragment.c.
 *
 * Fragmentation: ln_ip_output / forward() -> ln_ip_fragment -> ln_arp_output
 *   per fragment, in order.  Each fragment keeps the full header length:
 *   options without the copy flag are overwritten with NOPs after the first
 *   fragment (ip_options_fragment), as Linux does, rather than removed.
 *
 * Reassembly: ln_ip_input -> deliver() -> ln_reasm_input -> (complete)
 *   datagram back to deliver().  One queue per (src, dst, proto, id) with a
 *   timer armed once, when its first fragment arrives (ipfrag_time).
 *
 * Since Linux 4.19 (and RFC 5722 for IPv6), a fragment that overlaps data
 * already queued discards the whole datagram; one that lies entirely
 * inside a "run" of contiguously received data is a duplicate and only
 * that fragment is dropped.  Linux grows a run only when a fragment is
 * appended at the tail, so an out-of-order fragment starts a run of its
 * own: a later fragment spanning two runs counts as an overlap.  That
 * bookkeeping is reproduced exactly (run heads and ends live in the
 * fragments' pkt->mark above the Ethernet flag bits).
 *
 * Where lunet is stricter than Linux: a fragment with MF set whose payload
 * is not a multiple of 8 octets (RFC 791 forbids it) is dropped as
 * REASM_INVALID; Linux silently truncates it to a multiple of 8. */
#include "ip.h"

#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "csum.h"
#include "err.h"
#include "eth.h"
#include "icmp.h"
#include "node.h"
#include "wire.h"

/* ---- fragmentation -------------------------------------------------------- */

/* After the first fragment only options with the copy flag set go on
 * (RFC 791 3.1); Linux keeps the header length and NOPs the others. */
static void options_fragment(uint8_t *h, uint32_t hlen)
{
    uint32_t i = LN_IP_HLEN;
    while (i < hlen) {
        uint8_t type = h[i];
        if (type == 0) break;                   /* end of option list */
        if (type == 1) { i++; continue; }       /* NOP */
        if (i + 1 >= hlen) break;
        uint8_t l = h[i + 1];
        if (l < 2 || i + l > hlen) break;       /* malformed: leave as is */
        if (!(type & 0x80)) memset(h + i, 1, l);
        i += l;
    }
}

int ln_ip_fragment(ln_node *n, ln_iface *ifc, uint32_t nexthop, ln_pkt *pkt, uint32_t mtu)
{
    ln_pkt_finish(pkt);            /* the sum travels in the first fragment only */
    const uint8_t *h = pkt->data;
    uint32_t hlen = pkt->len >= LN_IP_HLEN ? (uint32_t)(h[LN_IP_VHL] & 0x0f) * 4 : 0;
    uint32_t tot = hlen ? ln_get16(h + LN_IP_LEN) : 0;
    uint16_t frag = hlen ? ln_get16(h + LN_IP_FRAG) : 0;
    /* Callers send DF datagrams elsewhere; an MTU that cannot carry the
     * header plus 8 octets cannot be honoured (RFC 791: 68 is the least). */
    if (hlen < LN_IP_HLEN || tot > pkt->len || tot < hlen || (frag & LN_IP_DF) ||
        mtu < hlen + 8) {
        LN_MIB_INC(n, IpFragFails);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_FRAG_NEEDED);
        return LN_EMSGSIZE;
    }
    uint32_t payload = tot - hlen;
    uint32_t base = (uint32_t)(frag & LN_IP_OFFMASK) * 8;   /* re-fragmenting a fragment */
    bool more = (frag & LN_IP_MF) != 0;
    uint32_t chunk = (mtu - hlen) & ~7u;
    uint8_t hdr[60];
    memcpy(hdr, h, hlen);

    for (uint32_t off = 0; off < payload;) {
        uint32_t len = payload - off;
        if (len > chunk) len = chunk;
        bool last = off + len == payload;
        ln_pkt *f = ln_pkt_alloc(n->net->pool, hlen + len);
        if (!f) {
            /* Fragments already sent stay sent, as in Linux. */
            LN_MIB_INC(n, IpFragFails);
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
            return LN_ENOMEM;
        }
        f->id = pkt->id;                  /* same trace: the same datagram */
        f->in_if = pkt->in_if;
        f->mark = pkt->mark;
        f->kind = pkt->kind;
        uint8_t *fh = f->data;
        memcpy(fh, hdr, hlen);
        memcpy(fh + hlen, h + hlen + off, len);
        ln_put16(fh + LN_IP_LEN, (uint16_t)(hlen + len));
        uint16_t ff = (uint16_t)((frag & ~(LN_IP_MF | LN_IP_OFFMASK)) | ((base + off) >> 3));
        if (!last || more) ff |= LN_IP_MF;
        ln_put16(fh + LN_IP_FRAG, ff);
        ln_put16(fh + LN_IP_CSUM, 0);
        ln_put16(fh + LN_IP_CSUM, ln_csum(fh, hlen));
        LN_MIB_INC(n, IpFragCreates);
        if (off == 0) options_fragment(hdr, hlen);
        off += len;
        ln_arp_output(n, ifc, nexthop, f);
    }
    LN_MIB_INC(n, IpFragOKs);
    ln_pkt_free(pkt);
    return 0;
}

/* ---- reassembly ----------------------------------------------------------- */

#define FQ_BUCKETS 64u

/* pkt->mark of a queued fragment: low byte = Ethernet flags (eth.h);
 * RUN_HEAD marks the first fragment of a run, whose end is in bits 32-63. */
#define RUN_HEAD   (1ull << 16)
#define MARK_KEEP  0xffull

typedef struct fq {
    struct fq *next;              /* hash chain, or free list */
    ln_node *node;
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    bool first_in, last_in, df;
    ln_timer timer;
    ln_pkt *frags;                /* sorted by offset, linked by pkt->next */
    ln_pkt *tail;                 /* highest offset */
    ln_pkt *run_tail;             /* head of the run that ends at tail */
    uint32_t len;                 /* payload length: exact once last_in */
    uint32_t meat;                /* payload bytes received */
    uint32_t mem;                 /* bytes charged against the limit */
    ln_iface *in_if;              /* interface of the latest fragment */
} fq;

struct ln_reasm {
    fq *buckets[FQ_BUCKETS];
    fq *free_list;                /* recycled queues: no malloc in steady state */
    uint32_t n;
    uint64_t mem;
};

static uint32_t frag_off(const ln_pkt *p) { return (uint32_t)(ln_get16(p->data + LN_IP_FRAG) & LN_IP_OFFMASK) * 8; }
static uint32_t frag_hlen(const ln_pkt *p) { return (uint32_t)(p->data[LN_IP_VHL] & 0x0f) * 4; }
static uint32_t frag_end(const ln_pkt *p) { return frag_off(p) + ln_get16(p->data + LN_IP_LEN) - frag_hlen(p); }

static bool run_head(const ln_pkt *p) { return (p->mark & RUN_HEAD) != 0; }
static uint32_t run_end(const ln_pkt *p) { return (uint32_t)(p->mark >> 32); }
static void set_run(ln_pkt *p, uint32_t end)
{
    p->mark = (p->mark & MARK_KEEP) | RUN_HEAD | (uint64_t)end << 32;
}

static uint32_t bucket_of(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto)
{
    uint32_t h = src * 2654435761u ^ dst * 0x9e3779b9u ^ ((uint32_t)id << 8 | proto);
    h ^= h >> 16;
    return h % FQ_BUCKETS;
}

static void fq_timeout(void *arg);

static struct ln_reasm *reasm_of(ln_node *n)
{
    if (!n->reasm) n->reasm = calloc(1, sizeof *n->reasm);
    return n->reasm;
}

static fq *fq_find(struct ln_reasm *r, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto)
{
    for (fq *q = r->buckets[bucket_of(src, dst, id, proto)]; q; q = q->next)
        if (q->src == src && q->dst == dst && q->id == id && q->proto == proto) return q;
    return NULL;
}

static fq *fq_create(ln_node *n, struct ln_reasm *r, uint32_t src, uint32_t dst, uint16_t id,
                     uint8_t proto)
{
    fq *q = r->free_list;
    if (q) r->free_list = q->next;
    else if (!(q = malloc(sizeof *q))) return NULL;
    *q = (fq){ .node = n, .src = src, .dst = dst, .id = id, .proto = proto, .mem = sizeof *q };
    ln_timer_init(&q->timer, fq_timeout, q);
    /* Armed once, at creation (inet_frag_create): later fragments do not
     * extend the deadline. */
    ln_timer_arm_in(&n->net->sim, &q->timer, n->cfg.ipfrag_time);
    uint32_t k = bucket_of(src, dst, id, proto);
    q->next = r->buckets[k];
    r->buckets[k] = q;
    r->n++;
    r->mem += q->mem;
    return q;
}

/* Unhash a queue and recycle it; its fragments must be gone already. */
static void fq_release(struct ln_reasm *r, fq *q)
{
    ln_timer_cancel(&q->node->net->sim, &q->timer);
    fq **pp = &r->buckets[bucket_of(q->src, q->dst, q->id, q->proto)];
    while (*pp && *pp != q) pp = &(*pp)->next;
    if (*pp) *pp = q->next;
    r->n--;
    r->mem -= q->mem;
    q->next = r->free_list;
    r->free_list = q;
}

/* Discard a whole datagram (inet_frag_kill), each fragment a counted drop. */
static void fq_kill(ln_node *n, fq *q, ln_drop_reason why)
{
    struct ln_reasm *r = n->reasm;
    ln_pkt *p = q->frags;
    q->frags = q->tail = q->run_tail = NULL;
    fq_release(r, q);
    while (p) {
        ln_pkt *next = p->next;
        p->next = NULL;
        p->mark &= MARK_KEEP;
        ln_net_drop(n->net, n, p->in_if, p, LN_LAYER_L3, why);
        p = next;
    }
}

static void fq_timeout(void *arg)
{
    fq *q = arg;
    ln_node *n = q->node;
    LN_MIB_INC(n, IpReasmFails);
    LN_MIB_INC(n, IpReasmTimeout);
    /* RFC 792 / RFC 1122 3.3.2: "fragment reassembly time exceeded", only
     * if fragment zero arrived (it is the one quoted). */
    if (q->first_in && q->frags && frag_off(q->frags) == 0)
        ln_icmp_error(n, q->frags, LN_ICMP_TIMXCEED, LN_ICMP_TIMXCEED_REASM, 0);
    fq_kill(n, q, LN_DROP_REASM_TIMEOUT);
}

enum { INS_OK, INS_DUP, INS_OVERLAP };

/* inet_frag_queue_insert: place [off, end) among the queued fragments. */
static int fq_insert(fq *q, ln_pkt *p, uint32_t off, uint32_t end)
{
    p->next = NULL;
    if (!q->frags) {
        set_run(p, end);
        q->frags = q->tail = q->run_tail = p;
        return INS_OK;
    }
    uint32_t tail_end = frag_end(q->tail);
    if (tail_end < end) {
        /* The common case: beyond everything received so far. */
        if (off < tail_end) return INS_OVERLAP;
        if (off == tail_end) {
            set_run(q->run_tail, end);              /* grows the last run */
        } else {
            set_run(p, end);
            q->run_tail = p;
        }
        q->tail->next = p;
        q->tail = p;
        return INS_OK;
    }
    /* Before the tail: compare with each run (they are disjoint and
     * sorted, so this is the binary search of Linux done linearly). */
    for (ln_pkt *f = q->frags; f; f = f->next) {
        if (!run_head(f)) continue;
        uint32_t rs = frag_off(f), re = run_end(f);
        if (end <= rs) break;
        if (off >= re) continue;
        if (off >= rs && end <= re) return INS_DUP;
        return INS_OVERLAP;
    }
    ln_pkt **pp = &q->frags;
    while (*pp && frag_off(*pp) < off) pp = &(*pp)->next;
    set_run(p, end);
    p->next = *pp;
    *pp = p;
    return INS_OK;
}

/* Build the datagram from a complete queue (ip_frag_reasm): the first
 * fragment's header, all payloads at their offsets, length, flags and
 * checksum fixed up. */
static ln_pkt *fq_assemble(ln_node *n, fq *q)
{
    struct ln_reasm *r = n->reasm;
    ln_pkt *first = q->frags;
    uint32_t hlen = frag_hlen(first);
    uint32_t tot = hlen + q->len;
    ln_pkt *out = tot <= 65535u ? ln_pkt_alloc(n->net->pool, tot) : NULL;
    if (!out) {
        LN_MIB_INC(n, IpReasmFails);
        fq_kill(n, q, tot > 65535u ? LN_DROP_REASM_INVALID : LN_DROP_NO_BUFFER);
        return NULL;
    }
    uint8_t *h = out->data;
    memcpy(h, first->data, hlen);
    for (ln_pkt *f = q->frags; f; f = f->next) {
        uint32_t fh = frag_hlen(f);
        memcpy(h + hlen + frag_off(f), f->data + fh, frag_end(f) - frag_off(f));
    }
    ln_put16(h + LN_IP_LEN, (uint16_t)tot);
    /* Linux keeps DF on the result if fragments carried it. */
    ln_put16(h + LN_IP_FRAG, q->df ? LN_IP_DF : 0);
    ln_put16(h + LN_IP_CSUM, 0);
    ln_put16(h + LN_IP_CSUM, ln_csum(h, hlen));
    out->id = first->id;
    out->mark = first->mark & MARK_KEEP;
    out->in_if = q->in_if;
    out->kind = first->kind;
    LN_MIB_INC(n, IpReasmOKs);

    ln_pkt *p = q->frags;
    q->frags = q->tail = q->run_tail = NULL;
    fq_release(r, q);
    while (p) {
        ln_pkt *next = p->next;
        ln_pkt_free(p);
        p = next;
    }
    return out;
}

/* An invalid fragment: dropped, and the datagram with it when the fragment
 * contradicts what is already queued (ip_frag_queue's discard_qp). */
static ln_pkt *invalid(ln_node *n, fq *q, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, IpReasmFails);
    if (q) fq_kill(n, q, why);
    ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L3, why);
    return NULL;
}

ln_pkt *ln_reasm_input(ln_node *n, ln_pkt *pkt)
{
    LN_MIB_INC(n, IpReasmReqds);
    const uint8_t *h = pkt->data;
    uint32_t hlen = frag_hlen(pkt);
    uint16_t frag = ln_get16(h + LN_IP_FRAG);
    uint32_t off = (uint32_t)(frag & LN_IP_OFFMASK) * 8;
    uint32_t end = off + ln_get16(h + LN_IP_LEN) - hlen;
    bool mf = (frag & LN_IP_MF) != 0;
    uint32_t src = ln_get32(h + LN_IP_SRC), dst = ln_get32(h + LN_IP_DST);
    uint16_t id = ln_get16(h + LN_IP_ID);
    uint8_t proto = h[LN_IP_PROTO];
    pkt->mark &= MARK_KEEP;

    struct ln_reasm *r = reasm_of(n);
    if (!r) {
        LN_MIB_INC(n, IpReasmFails);
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
        return NULL;
    }
    fq *q = fq_find(r, src, dst, id, proto);

    /* RFC 791: every fragment but the last carries a multiple of 8. */
    if (mf && ((end - off) & 7))
        return invalid(n, NULL, pkt, LN_DROP_REASM_INVALID);
    /* Nothing may end past 65535 octets ("ping of death"); Linux finds
     * out when reassembling and drops the whole datagram. */
    if (hlen + end > 65535u)
        return invalid(n, q, pkt, LN_DROP_REASM_INVALID);

    if (!q) {
        /* Over the limit, new fragments are refused (inet_frag_find). */
        if (r->mem > n->cfg.ipfrag_high_thresh) {
            LN_MIB_INC(n, IpReasmFails);
            ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
            return NULL;
        }
        q = fq_create(n, r, src, dst, id, proto);
        if (!q) {
            LN_MIB_INC(n, IpReasmFails);
            ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
            return NULL;
        }
    } else if (r->mem > n->cfg.ipfrag_high_thresh) {
        LN_MIB_INC(n, IpReasmFails);
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
        return NULL;
    }

    /* ip_frag_queue: the last fragment fixes the length; nothing may lie
     * beyond it and a second "last" must agree. */
    if (!mf) {
        if (end < q->len || (q->last_in && end != q->len))
            return invalid(n, q, pkt, LN_DROP_REASM_INVALID);
        q->last_in = true;
        q->len = end;
    } else if (end > q->len) {
        if (q->last_in) return invalid(n, q, pkt, LN_DROP_REASM_INVALID);
        q->len = end;
    }
    if (end == off) return invalid(n, q, pkt, LN_DROP_REASM_INVALID);

    switch (fq_insert(q, pkt, off, end)) {
    case INS_DUP:
        /* The queue goes on; Linux counts no failure for a duplicate. */
        pkt->mark &= MARK_KEEP;
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L3, LN_DROP_REASM_DUP);
        return NULL;
    case INS_OVERLAP:
        pkt->mark &= MARK_KEEP;
        return invalid(n, q, pkt, LN_DROP_REASM_OVERLAP);
    default:
        break;
    }
    q->mem += pkt->cap;
    r->mem += pkt->cap;
    q->meat += end - off;
    q->in_if = pkt->in_if;
    if (off == 0) q->first_in = true;
    if (frag & LN_IP_DF) q->df = true;
    if (q->first_in && q->last_in && q->meat == q->len) return fq_assemble(n, q);
    return NULL;
}

uint32_t ln_reasm_pending(const ln_node *n)
{
    return n->reasm ? n->reasm->n : 0;
}

void ln_reasm_free(ln_node *n)
{
    struct ln_reasm *r = n->reasm;
    if (!r) return;
    for (uint32_t i = 0; i < FQ_BUCKETS; i++) {
        for (fq *q = r->buckets[i], *next; q; q = next) {
            next = q->next;
            ln_timer_cancel(&n->net->sim, &q->timer);
            for (ln_pkt *p = q->frags, *pn; p; p = pn) {
                pn = p->next;
                ln_pkt_free(p);
            }
            free(q);
        }
    }
    for (fq *q = r->free_list, *next; q; q = next) {
        next = q->next;
        free(q);
    }
    free(r);
    n->reasm = NULL;
}
