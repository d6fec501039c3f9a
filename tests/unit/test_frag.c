/* test_frag.c - IPv4 fragmentation and reassembly.
 *
 * Fragmentation is observed on the wire (TX events of a real link);
 * reassembly is fed hand-built fragments, so the two halves are checked
 * against independent code.  Every test ends by checking that no packet
 * buffer is still in use. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "icmp.h"
#include "ip.h"
#include "world.h"

#define PROTO_TEST 253      /* RFC 3692 experimentation */

/* ---- a tiny harness ------------------------------------------------------- */

/* a and b on one link, or (world_routed) the wire settings for a router. */
static const world_cfg hosts = { .seed = 7, .addr = { IP(10, 0, 0, 1), IP(10, 0, 0, 2) },
                                 .delay = 100 * LN_USEC };

static struct {
    /* what the test protocol handler received */
    int delivered;
    uint32_t last_len;
    uint8_t last[65536];
    ln_ip_info last_ip;
    /* what an ICMP socket received */
    int icmp_msgs;
    ln_icmp_msg last_msg;
} got;

/* w, with nothing received yet. */
static world *fresh(world *w)
{
    memset(&got, 0, sizeof got);
    return w;
}

static void sink(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    got.delivered++;
    got.last_len = pkt->len;
    memcpy(got.last, pkt->data, pkt->len);
    got.last_ip = *ip;
    ln_pkt_free(pkt);
}

static void on_icmp(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg)
{
    got.icmp_msgs++;
    got.last_msg = *m;
}

static uint8_t pattern(uint32_t i) { return (uint8_t)(i * 7 + 3); }

static bool payload_ok(uint32_t len)
{
    if (got.last_len != len) return false;
    for (uint32_t i = 0; i < len; i++)
        if (got.last[i] != pattern(i)) return false;
    return true;
}

/* A fragment of a datagram whose payload is pattern(0..): [off, off+len). */
static ln_pkt *mkfrag(world *w, uint32_t src, uint32_t dst, uint16_t id, uint32_t off,
                      uint32_t len, bool mf)
{
    ln_pkt *p = ln_net_pkt(w->net, LN_IP_HLEN + len);
    uint8_t *h = p->data;
    memset(h, 0, LN_IP_HLEN);
    h[0] = 0x45;
    ln_put16(h + LN_IP_LEN, (uint16_t)(LN_IP_HLEN + len));
    ln_put16(h + LN_IP_ID, id);
    ln_put16(h + LN_IP_FRAG, (uint16_t)((off / 8) | (mf ? LN_IP_MF : 0)));
    h[LN_IP_TTL] = 64;
    h[LN_IP_PROTO] = PROTO_TEST;
    ln_put32(h + LN_IP_SRC, src);
    ln_put32(h + LN_IP_DST, dst);
    ln_put16(h + LN_IP_CSUM, ln_csum(h, LN_IP_HLEN));
    for (uint32_t i = 0; i < len; i++) h[LN_IP_HLEN + i] = pattern(off + i);
    return p;
}

/* Deliver a fragment as if it had arrived on ifc, and let time run. */
static void inject(ln_node *n, ln_iface *ifc, ln_pkt *p)
{
    p->in_if = ifc;
    ln_ip_input(n, ifc, p);
}

/* ---- fragmentation --------------------------------------------------------- */

static void check_fragments(uint32_t mtu, int want_n, const uint32_t *want_len)
{
    world *w = fresh(world_new(&hosts));
    ln_node *a = w->a, *b = w->b;
    ln_iface *ia = w->ia;
    ia->mtu = mtu;
    ln_ip_register(b, PROTO_TEST, sink);

    /* A 4000-octet datagram: 3980 octets of payload after a 20-octet header. */
    ln_pkt *p = ln_net_pkt(w->net, 3980);
    for (uint32_t i = 0; i < 3980; i++) p->data[i] = pattern(i);
    CHECK_EQ(ln_ip_output(a, p, 0, IP(10, 0, 0, 2), PROTO_TEST, NULL), 0);
    ln_sim_run_until(&w->net->sim, LN_SEC);

    int n = 0;
    uint32_t next_off = 0;
    uint16_t id = 0;
    for (int i = 0; i < w->n_tx; i++) {
        const world_frame *f = &w->tx[i];
        if (f->port != &ia->port || ln_get16(f->b + LN_ETH_TYPE) != LN_ETHERTYPE_IPV4) continue;
        const uint8_t *h = f->b + LN_ETH_HLEN;
        uint16_t tot = ln_get16(h + LN_IP_LEN), frag = ln_get16(h + LN_IP_FRAG);
        if (n == 0) id = ln_get16(h + LN_IP_ID);
        CHECK(n < want_n);
        if (n < want_n) CHECK_EQ(tot, want_len[n]);
        CHECK(tot <= mtu);
        CHECK_EQ(ln_get16(h + LN_IP_ID), id);
        CHECK_EQ((frag & LN_IP_OFFMASK) * 8u, next_off);
        CHECK_EQ(!!(frag & LN_IP_MF), n != want_n - 1);
        CHECK_EQ(frag & LN_IP_DF, 0);
        CHECK_EQ(ln_csum(h, LN_IP_HLEN), 0);
        /* Non-last payloads are multiples of 8 (RFC 791). */
        if (frag & LN_IP_MF) CHECK_EQ((tot - LN_IP_HLEN) % 8, 0);
        CHECK_EQ(f->len, LN_ETH_HLEN + tot < 60 ? 60 : LN_ETH_HLEN + tot);
        next_off += tot - LN_IP_HLEN;
        n++;
    }
    CHECK_EQ(n, want_n);
    CHECK_EQ(next_off, 3980);
    CHECK_U64(a->mib[LN_MIB_IpFragOKs], 1);
    CHECK_U64(a->mib[LN_MIB_IpFragCreates], (uint64_t)want_n);
    CHECK_U64(a->mib[LN_MIB_IpOutRequests], 1);
    /* The far end puts it back together. */
    CHECK_EQ(got.delivered, 1);
    CHECK(payload_ok(3980));
    CHECK_EQ(got.last_ip.len, 4000);
    CHECK_U64(b->mib[LN_MIB_IpReasmReqds], (uint64_t)want_n);
    CHECK_U64(b->mib[LN_MIB_IpReasmOKs], 1);
    CHECK_EQ(ln_reasm_pending(b), 0);
    world_free(w);
}

static void test_fragment_1500(void)
{
    const uint32_t len[] = { 1500, 1500, 1040 };
    check_fragments(1500, 3, len);
}

static void test_fragment_576(void)
{
    /* (576 - 20) & ~7 = 552 octets per fragment: 7 x 552 + 116. */
    const uint32_t len[] = { 572, 572, 572, 572, 572, 572, 572, 136 };
    check_fragments(576, 8, len);
}

static void test_df_too_big(void)
{
    world *w = fresh(world_net(&hosts));
    ln_node *a = world_node(w, "a", false);
    world_iface(a, IP(10, 0, 0, 1), 24);
    ln_pkt *p = ln_net_pkt(w->net, 1481);
    memset(p->data, 0, 1481);
    ln_ip_opts o = { .df = true, .df_set = true };
    CHECK_EQ(ln_ip_output(a, p, 0, IP(10, 0, 0, 2), PROTO_TEST, &o), LN_EMSGSIZE);
    /* One octet less fits. */
    p = ln_net_pkt(w->net, 1480);
    memset(p->data, 0, 1480);
    CHECK_EQ(ln_ip_output(a, p, 0, IP(10, 0, 0, 2), PROTO_TEST, &o), 0);
    CHECK_U64(a->mib[LN_MIB_IpFragCreates], 0);
    world_free(w);
}

/* ---- reassembly ------------------------------------------------------------ */

typedef struct rx { world *w; ln_node *b; ln_iface *ib; } rx;

static rx rx_new(void)
{
    rx r;
    r.w = fresh(world_net(&hosts));
    r.b = world_node(r.w, "b", false);
    r.ib = world_iface(r.b, IP(10, 0, 0, 2), 24);
    ln_ip_register(r.b, PROTO_TEST, sink);
    return r;
}

/* Split [0, total) into chunks of `step` (a multiple of 8). */
static int split(uint32_t total, uint32_t step, uint32_t *off, uint32_t *len)
{
    int n = 0;
    for (uint32_t o = 0; o < total; o += step, n++) {
        off[n] = o;
        len[n] = total - o < step ? total - o : step;
    }
    return n;
}

static void reassemble_in(const int *order, int n, const uint32_t *off, const uint32_t *len,
                          uint32_t total)
{
    rx r = rx_new();
    for (int i = 0; i < n; i++) {
        int k = order[i];
        CHECK_EQ(got.delivered, 0);
        inject(r.b, r.ib, mkfrag(r.w, IP(10, 0, 0, 1), IP(10, 0, 0, 2), 77, off[k], len[k],
                                 off[k] + len[k] < total));
    }
    CHECK_EQ(got.delivered, 1);
    CHECK(payload_ok(total));
    CHECK_EQ(got.last_ip.id, 77);
    CHECK_EQ(got.last_ip.len, total + LN_IP_HLEN);
    CHECK(!got.last_ip.df);
    CHECK_U64(r.b->mib[LN_MIB_IpReasmOKs], 1);
    CHECK_U64(r.b->mib[LN_MIB_IpReasmFails], 0);
    CHECK_U64(r.b->mib[LN_MIB_IpReasmReqds], (uint64_t)n);
    CHECK_EQ(ln_reasm_pending(r.b), 0);
    world_free(r.w);
}

static void test_reassembly_orders(void)
{
    uint32_t off[16], len[16];
    int n = split(3980, 1480, off, len);
    CHECK_EQ(n, 3);
    int in[] = { 0, 1, 2 }, rev[] = { 2, 1, 0 }, mid[] = { 1, 2, 0 };
    reassemble_in(in, n, off, len, 3980);
    reassemble_in(rev, n, off, len, 3980);
    reassemble_in(mid, n, off, len, 3980);

    n = split(3980, 552, off, len);
    CHECK_EQ(n, 8);
    int order[8];
    ln_rng rng;
    ln_rng_seed(&rng, 99);
    for (int trial = 0; trial < 20; trial++) {
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {                   /* Fisher-Yates */
            int j = (int)ln_rng_below(&rng, (uint64_t)i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        reassemble_in(order, n, off, len, 3980);
    }
}

/* The biggest datagram there is: 65535 octets in 45 fragments, last first. */
static void test_reassembly_max_size(void)
{
    uint32_t off[64], len[64];
    int n = split(65515, 1480, off, len);
    int order[64];
    for (int i = 0; i < n; i++) order[i] = n - 1 - i;
    reassemble_in(order, n, off, len, 65515);
}

static void test_duplicates(void)
{
    rx r = rx_new();
    uint32_t s = IP(10, 0, 0, 1), d = IP(10, 0, 0, 2);
    inject(r.b, r.ib, mkfrag(r.w, s, d, 5, 0, 1480, true));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 5, 0, 1480, true));         /* exact duplicate */
    CHECK_U64(r.w->drops[LN_DROP_REASM_DUP], 1);
    CHECK_EQ(ln_reasm_pending(r.b), 1);
    inject(r.b, r.ib, mkfrag(r.w, s, d, 5, 1480, 1480, true));
    /* Inside the run [0, 2960) received so far: also a duplicate (Linux). */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 5, 1000, 800, true));
    CHECK_U64(r.w->drops[LN_DROP_REASM_DUP], 2);
    inject(r.b, r.ib, mkfrag(r.w, s, d, 5, 2960, 1020, false));
    CHECK_EQ(got.delivered, 1);
    CHECK(payload_ok(3980));
    CHECK_U64(r.b->mib[LN_MIB_IpReasmFails], 0);
    /* A duplicate of the last fragment after completion starts a new
     * queue, which then times out without ICMP (no first fragment). */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 5, 2960, 1020, false));
    CHECK_EQ(ln_reasm_pending(r.b), 1);
    world_free(r.w);
    /* world_free ran the clock: it timed out and was counted. */
}

static void test_overlap(void)
{
    rx r = rx_new();
    uint32_t s = IP(10, 0, 0, 1), d = IP(10, 0, 0, 2);
    /* Overlap at the tail. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 1, 0, 1480, true));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 1, 1000, 1480, true));
    CHECK_U64(r.w->drops[LN_DROP_REASM_OVERLAP], 2);       /* both fragments */
    CHECK_U64(r.b->mib[LN_MIB_IpReasmFails], 1);
    CHECK_EQ(ln_reasm_pending(r.b), 0);
    /* Overlap in the middle, across two runs: [1480,2960) arrived before
     * [0,1480), so they are separate runs and [1400,1560) straddles them. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 2, 1480, 1480, true));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 2, 0, 1480, true));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 2, 1400, 160, true));
    CHECK_U64(r.w->drops[LN_DROP_REASM_OVERLAP], 5);
    CHECK_U64(r.b->mib[LN_MIB_IpReasmFails], 2);
    CHECK_EQ(ln_reasm_pending(r.b), 0);
    /* Partial overlap at the front of an existing fragment. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 3, 1480, 1480, true));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 3, 1000, 800, true));
    CHECK_U64(r.w->drops[LN_DROP_REASM_OVERLAP], 7);
    CHECK_EQ(ln_reasm_pending(r.b), 0);
    /* The rest of datagram 3 arriving later starts afresh and never
     * completes. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 3, 2960, 1020, false));
    CHECK_EQ(ln_reasm_pending(r.b), 1);
    CHECK_EQ(got.delivered, 0);
    world_free(r.w);
}

static void test_timeout(void)
{
    world *w = fresh(world_new(&hosts));
    ln_node *a = w->a, *b = w->b;
    ln_iface *ib = w->ib;
    ln_ip_register(b, PROTO_TEST, sink);
    uint32_t s = IP(10, 0, 0, 1), d = IP(10, 0, 0, 2);
    ln_sim *sim = &w->net->sim;

    /* Without the first fragment: no ICMP. */
    inject(b, ib, mkfrag(w, s, d, 10, 1480, 1480, true));
    ln_sim_run_until(sim, 10 * LN_SEC);
    /* A later fragment does not extend the deadline. */
    inject(b, ib, mkfrag(w, s, d, 10, 2960, 1020, false));
    ln_sim_run_until(sim, 30 * LN_SEC - 1);
    CHECK_EQ(ln_reasm_pending(b), 1);
    ln_sim_run_until(sim, 30 * LN_SEC);
    CHECK_EQ(ln_reasm_pending(b), 0);
    CHECK_U64(w->drops[LN_DROP_REASM_TIMEOUT], 2);
    CHECK_U64(b->mib[LN_MIB_IpReasmTimeout], 1);
    CHECK_U64(b->mib[LN_MIB_IpReasmFails], 1);
    CHECK_EQ(w->icmp_out[LN_ICMP_TIMXCEED << 8 | LN_ICMP_TIMXCEED_REASM], 0);

    /* With the first fragment: "fragment reassembly time exceeded" goes
     * back to the source, quoting the first fragment. */
    inject(b, ib, mkfrag(w, s, d, 11, 0, 1480, true));
    inject(b, ib, mkfrag(w, s, d, 11, 2960, 1020, false));
    ln_sim_run_until(sim, 60 * LN_SEC + LN_SEC);
    CHECK_U64(b->mib[LN_MIB_IpReasmTimeout], 2);
    CHECK_U64(b->mib[LN_MIB_IpReasmFails], 2);
    CHECK_U64(w->drops[LN_DROP_REASM_TIMEOUT], 4);
    CHECK_EQ(w->icmp_out[LN_ICMP_TIMXCEED << 8 | LN_ICMP_TIMXCEED_REASM], 1);
    CHECK_U64(b->mib[LN_MIB_IcmpOutTimeExcds], 1);
    CHECK_U64(a->mib[LN_MIB_IcmpInTimeExcds], 1);
    /* The error as it left b: IP header + 8 + quote of 548 octets. */
    const world_frame *err = NULL;
    for (int i = 0; i < w->n_tx; i++)
        if (w->tx[i].port == &ib->port && ln_get16(w->tx[i].b + LN_ETH_TYPE) == LN_ETHERTYPE_IPV4)
            err = &w->tx[i];
    CHECK(err != NULL);
    if (err) {
        const uint8_t *h = err->b + LN_ETH_HLEN;
        CHECK_EQ(h[LN_IP_PROTO], LN_IPPROTO_ICMP);
        CHECK_EQ(ln_get16(h + LN_IP_LEN), 576);
        CHECK_EQ(h[LN_IP_TOS], 0xc0);
        CHECK_EQ(ln_get32(h + LN_IP_SRC), d);
        CHECK_EQ(ln_get32(h + LN_IP_DST), s);
        const uint8_t *ic = h + LN_IP_HLEN;
        CHECK_EQ(ic[0], LN_ICMP_TIMXCEED);
        CHECK_EQ(ic[1], LN_ICMP_TIMXCEED_REASM);
        CHECK_EQ(ln_csum(ic, 556), 0);
        CHECK_EQ(ln_get16(ic + 8 + LN_IP_ID), 11);
        CHECK_EQ(ln_get16(ic + 8 + LN_IP_FRAG), LN_IP_MF);
    }
    world_free(w);
}

static void test_malformed_fragments(void)
{
    rx r = rx_new();
    uint32_t s = IP(10, 0, 0, 1), d = IP(10, 0, 0, 2);
    /* MF set but 1001 octets: not a multiple of 8. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 20, 0, 1001, true));
    CHECK_U64(r.w->drops[LN_DROP_REASM_INVALID], 1);
    CHECK_EQ(ln_reasm_pending(r.b), 0);
    /* Two "last" fragments that disagree: the datagram goes. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 21, 0, 1480, true));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 21, 2960, 1000, false));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 21, 2960, 1020, false));
    CHECK_U64(r.w->drops[LN_DROP_REASM_INVALID], 4);
    CHECK_EQ(ln_reasm_pending(r.b), 0);
    /* Data beyond a known end. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 22, 0, 16, false));
    CHECK_EQ(got.delivered, 1);                             /* just "0 + last": a whole datagram */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 23, 16, 16, false));
    inject(r.b, r.ib, mkfrag(r.w, s, d, 23, 32, 16, true));
    CHECK_U64(r.w->drops[LN_DROP_REASM_INVALID], 6);
    /* Past 65535 octets ("ping of death"). */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 24, 65528, 16, false));
    CHECK_U64(r.w->drops[LN_DROP_REASM_INVALID], 7);
    /* Empty fragment. */
    inject(r.b, r.ib, mkfrag(r.w, s, d, 25, 800, 0, true));
    CHECK_U64(r.w->drops[LN_DROP_REASM_INVALID], 8);
    CHECK_EQ(ln_reasm_pending(r.b), 0);
    CHECK_U64(r.b->mib[LN_MIB_IpReasmFails], 5);
    CHECK_EQ(got.delivered, 1);
    world_free(r.w);
}

static void test_memory_limit(void)
{
    rx r = rx_new();
    uint32_t s = IP(10, 0, 0, 1), d = IP(10, 0, 0, 2);
    r.b->cfg.ipfrag_high_thresh = 3 * LN_PKT_SMALL;
    for (int id = 0; id < 6; id++) inject(r.b, r.ib, mkfrag(r.w, s, d, (uint16_t)(100 + id), 0, 1480, true));
    /* Queues were accepted until the charge passed the threshold. */
    CHECK(ln_reasm_pending(r.b) >= 2 && ln_reasm_pending(r.b) < 6);
    CHECK(r.w->drops[LN_DROP_NO_BUFFER] >= 1);
    CHECK_U64(r.b->mib[LN_MIB_IpReasmFails], r.w->drops[LN_DROP_NO_BUFFER]);
    world_free(r.w);
}

/* ---- through a router ------------------------------------------------------- */

static void test_router(void)
{
    world *w = fresh(world_routed(&hosts));
    ln_node *a = w->a, *rt = w->r, *b = w->b;
    ln_iface *r1 = w->rb;
    r1->mtu = 576;
    ln_ip_register(b, PROTO_TEST, sink);

    /* 3 fragments from a, each split again by the router for MTU 576. */
    ln_pkt *p = ln_net_pkt(w->net, 3980);
    for (uint32_t i = 0; i < 3980; i++) p->data[i] = pattern(i);
    CHECK_EQ(ln_ip_output(a, p, 0, IP(10, 0, 2, 1), PROTO_TEST, NULL), 0);
    ln_sim_run_until(&w->net->sim, LN_SEC);
    CHECK_EQ(got.delivered, 1);
    CHECK(payload_ok(3980));
    CHECK_EQ(got.last_ip.ttl, 63);
    CHECK_U64(rt->mib[LN_MIB_IpForwDatagrams], 3);
    CHECK_U64(rt->mib[LN_MIB_IpFragOKs], 3);
    /* 1480 -> 552+552+376, twice; 1020 -> 552+468. */
    CHECK_U64(rt->mib[LN_MIB_IpFragCreates], 8);
    CHECK_U64(b->mib[LN_MIB_IpReasmReqds], 8);
    int on_r1 = 0;
    for (int i = 0; i < w->n_tx; i++) {
        const world_frame *f = &w->tx[i];
        if (f->port != &r1->port || ln_get16(f->b + LN_ETH_TYPE) != LN_ETHERTYPE_IPV4) continue;
        CHECK(ln_get16(f->b + LN_ETH_HLEN + LN_IP_LEN) <= 576);
        CHECK_EQ(ln_csum(f->b + LN_ETH_HLEN, LN_IP_HLEN), 0);
        on_r1++;
    }
    CHECK_EQ(on_r1, 8);

    /* DF: the router answers "fragmentation needed, next-hop MTU 576",
     * which reaches the pinging socket on a. */
    ln_icmp_sock *s = ln_icmp_sock_open(a, 0, on_icmp, NULL);
    CHECK(s != NULL);
    CHECK_EQ(ln_icmp_echo(s, IP(10, 0, 2, 1), 1, 1000, 0, true), 0);
    ln_sim_run_until(&w->net->sim, 2 * LN_SEC);
    CHECK_EQ(got.icmp_msgs, 1);
    CHECK(got.last_msg.error);
    CHECK_EQ(got.last_msg.type, LN_ICMP_UNREACH);
    CHECK_EQ(got.last_msg.code, LN_ICMP_UNREACH_NEEDFRAG);
    CHECK_EQ(got.last_msg.mtu, 576);
    CHECK_EQ(got.last_msg.from, IP(10, 0, 1, 254));
    CHECK_EQ(got.last_msg.seq, 1);
    CHECK_EQ(got.last_msg.orig_dst, IP(10, 0, 2, 1));
    CHECK_U64(rt->mib[LN_MIB_IpFragFails], 1);
    CHECK_U64(w->drops[LN_DROP_FRAG_NEEDED], 1);
    /* Without DF the router fragments the echo, b reassembles and
     * answers; the reply fits every MTU on the way back. */
    CHECK_EQ(ln_icmp_echo(s, IP(10, 0, 2, 1), 2, 1000, 0, false), 0);
    ln_sim_run_until(&w->net->sim, 3 * LN_SEC);
    CHECK_EQ(got.icmp_msgs, 2);
    CHECK(!got.last_msg.error);
    CHECK_EQ(got.last_msg.type, LN_ICMP_ECHOREPLY);
    CHECK_EQ(got.last_msg.seq, 2);
    CHECK_EQ(got.last_msg.len, 1000);
    CHECK_EQ(got.last_msg.ttl, 63);
    CHECK_U64(b->mib[LN_MIB_IpReasmOKs], 2);
    CHECK_U64(a->mib[LN_MIB_IpReasmReqds], 0);
    ln_icmp_sock_close(s);
    world_free(w);
}

int main(void)
{
    test_fragment_1500();
    test_fragment_576();
    test_df_too_big();
    test_reassembly_orders();
    test_reassembly_max_size();
    test_duplicates();
    test_overlap();
    test_timeout();
    test_malformed_fragments();
    test_memory_limit();
    test_router();
    return check_report("test_frag");
}
