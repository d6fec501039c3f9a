/* test_arp.c - ARP and the neighbour cache on real links, and the IP/ICMP
 * behaviour that depends on it (errors through a router).
 *
 * Each test builds hosts joined by links, runs virtual time and checks the
 * exact frames that went onto the wire, the cache states, the counters,
 * and that no packet buffer leaked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "eth.h"
#include "icmp.h"
#include "ip.h"
#include "world.h"

/* ---- harness ----------------------------------------------------------------- */

/* Two hosts on one link, or (world_routed) the wire settings for a router. */
static const world_cfg hosts = { .seed = 1, .name = { "h1", "h2" },
                                 .addr = { IP(10, 0, 0, 1), IP(10, 0, 0, 2) }, .delay = 100 * LN_USEC };

typedef struct arpev { ln_time t; const ln_node *node; int state; char text[64]; } arpev;

static struct { arpev ev[256]; int n; } arps;           /* LN_EV_ARP, in order */
static struct { ln_icmp_msg m[64]; int n; } icmp;       /* what our ICMP socket heard */

static void on_arp(const ln_event *ev, void *arg)
{
    if (arps.n < 256) {
        arpev *a = &arps.ev[arps.n++];
        a->t = ev->time;
        a->node = ev->node;
        a->state = (int)ev->value;
        snprintf(a->text, sizeof a->text, "%s", ev->text ? ev->text : "");
    }
}

static void on_icmp(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg)
{
    if (icmp.n < 64) icmp.m[icmp.n] = *m;
    icmp.n++;
}

/* w, with the ARP and ICMP logs started afresh. */
static world *logged(world *w)
{
    memset(&arps, 0, sizeof arps);
    memset(&icmp, 0, sizeof icmp);
    ln_net_subscribe(w->net, LN_EV_MASK(LN_EV_ARP), on_arp, NULL);
    return w;
}

static const uint8_t *arp_of(const world_frame *f) { return f->b + LN_ETH_HLEN; }
static const uint8_t zero6[6];

static ln_nud_state state_of(ln_node *n, uint32_t ip)
{
    ln_neigh *e = ln_arp_lookup(n, NULL, ip);
    return e ? e->state : LN_NUD_NONE;
}

/* Build an ARP frame for injection at a port. */
static ln_pkt *arp_frame(world *w, const uint8_t dst[6], uint16_t op, const uint8_t sha[6],
                         uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
    ln_pkt *p = ln_net_pkt(w->net, 60);
    uint8_t *b = p->data;
    memset(b, 0, 60);
    memcpy(b, dst, 6);
    memcpy(b + 6, sha, 6);
    ln_put16(b + 12, LN_ETHERTYPE_ARP);
    uint8_t *a = b + 14;
    ln_put16(a + LN_ARP_HTYPE, 1);
    ln_put16(a + LN_ARP_PTYPE, LN_ETHERTYPE_IPV4);
    a[LN_ARP_HLEN] = 6;
    a[LN_ARP_PLEN] = 4;
    ln_put16(a + LN_ARP_OPER, op);
    memcpy(a + LN_ARP_SHA, sha, 6);
    ln_put32(a + LN_ARP_SPA, spa);
    memcpy(a + LN_ARP_THA, tha, 6);
    ln_put32(a + LN_ARP_TPA, tpa);
    return p;
}

/* Two hosts on one link. */
typedef struct pair { world *w; ln_node *h1, *h2; ln_iface *i1, *i2; ln_icmp_sock *s; } pair;

static pair pair_new(void)
{
    pair p;
    p.w = logged(world_new(&hosts));
    p.h1 = p.w->a;
    p.h2 = p.w->b;
    p.i1 = p.w->ia;
    p.i2 = p.w->ib;
    p.s = ln_icmp_sock_open(p.h1, 0, on_icmp, NULL);
    CHECK(p.s != NULL);
    return p;
}

/* ---- resolution ---------------------------------------------------------------- */

static void test_request_reply(void)
{
    pair p = pair_new();
    world *w = p.w;
    CHECK_EQ(ln_icmp_echo(p.s, IP(10, 0, 0, 2), 1, 56, 0, false), 0);
    world_run_until(w, LN_SEC);

    const world_frame *f1[8], *f2[8];
    int n1 = world_frames(w, &p.i1->port, 0, f1, 8), n2 = world_frames(w, &p.i2->port, 0, f2, 8);
    CHECK_EQ(n1, 2);
    CHECK_EQ(n2, 2);
    if (n1 == 2 && n2 == 2) {
        /* h1: broadcast who-has, padded to 60 octets. */
        const uint8_t *a = arp_of(f1[0]);
        CHECK_EQ(f1[0]->len, 60);
        CHECK(memcmp(f1[0]->b, ln_eth_broadcast, 6) == 0);
        CHECK(memcmp(f1[0]->b + 6, p.i1->mac, 6) == 0);
        CHECK_EQ(ln_get16(f1[0]->b + 12), LN_ETHERTYPE_ARP);
        CHECK_EQ(ln_get16(a + LN_ARP_HTYPE), 1);
        CHECK_EQ(ln_get16(a + LN_ARP_PTYPE), 0x0800);
        CHECK_EQ(a[LN_ARP_HLEN], 6);
        CHECK_EQ(a[LN_ARP_PLEN], 4);
        CHECK_EQ(ln_get16(a + LN_ARP_OPER), LN_ARP_REQUEST);
        CHECK(memcmp(a + LN_ARP_SHA, p.i1->mac, 6) == 0);
        CHECK_EQ(ln_get32(a + LN_ARP_SPA), IP(10, 0, 0, 1));
        CHECK(memcmp(a + LN_ARP_THA, zero6, 6) == 0);
        CHECK_EQ(ln_get32(a + LN_ARP_TPA), IP(10, 0, 0, 2));
        CHECK_U64(f1[0]->t, 0);
        /* h2: unicast is-at. */
        a = arp_of(f2[0]);
        CHECK(memcmp(f2[0]->b, p.i1->mac, 6) == 0);
        CHECK_EQ(ln_get16(a + LN_ARP_OPER), LN_ARP_REPLY);
        CHECK(memcmp(a + LN_ARP_SHA, p.i2->mac, 6) == 0);
        CHECK_EQ(ln_get32(a + LN_ARP_SPA), IP(10, 0, 0, 2));
        CHECK(memcmp(a + LN_ARP_THA, p.i1->mac, 6) == 0);
        CHECK_EQ(ln_get32(a + LN_ARP_TPA), IP(10, 0, 0, 1));
        /* Then the echo and its reply, to the right MACs. */
        CHECK_EQ(ln_get16(f1[1]->b + 12), LN_ETHERTYPE_IPV4);
        CHECK(memcmp(f1[1]->b, p.i2->mac, 6) == 0);
        CHECK_EQ(ln_get16(f2[1]->b + 12), LN_ETHERTYPE_IPV4);
        CHECK(memcmp(f2[1]->b, p.i1->mac, 6) == 0);
    }
    CHECK_EQ(icmp.n, 1);
    CHECK(!icmp.m[0].error);
    CHECK_EQ(icmp.m[0].type, LN_ICMP_ECHOREPLY);
    CHECK_EQ(icmp.m[0].from, IP(10, 0, 0, 2));
    CHECK_EQ(icmp.m[0].seq, 1);
    CHECK_EQ(icmp.m[0].len, 56);
    CHECK_U64(icmp.m[0].sent, 0);
    CHECK_EQ(icmp.m[0].ttl, 64);

    /* h1 heard a unicast reply: REACHABLE.  h2 learnt h1 from the request
     * (STALE, like Linux) and used it for the reply: DELAY. */
    CHECK_EQ(state_of(p.h1, IP(10, 0, 0, 2)), LN_NUD_REACHABLE);
    CHECK_EQ(state_of(p.h2, IP(10, 0, 0, 1)), LN_NUD_DELAY);
    ln_neigh *e = ln_arp_lookup(p.h1, p.i1, IP(10, 0, 0, 2));
    CHECK(e && memcmp(e->mac, p.i2->mac, 6) == 0);
    CHECK_U64(p.h1->mib[LN_MIB_ArpOutRequests], 1);
    CHECK_U64(p.h1->mib[LN_MIB_ArpInReplies], 1);
    CHECK_U64(p.h2->mib[LN_MIB_ArpInRequests], 1);
    CHECK_U64(p.h2->mib[LN_MIB_ArpOutReplies], 1);

    /* The events name the change. */
    CHECK(arps.n >= 2);
    CHECK(arps.ev[0].node == p.h1 && arps.ev[0].state == LN_NUD_INCOMPLETE);
    CHECK(strcmp(arps.ev[0].text, "who-has 10.0.0.2") == 0);
    int found = 0;
    for (int i = 0; i < arps.n; i++)
        if (arps.ev[i].node == p.h1 && arps.ev[i].state == LN_NUD_REACHABLE &&
            strcmp(arps.ev[i].text, "10.0.0.2 is-at 02:00:00:00:00:02") == 0) found++;
    CHECK_EQ(found, 1);

    /* 5 s later h2's DELAY ends unconfirmed: one unicast probe to h1's
     * MAC, h1 answers, h2 is REACHABLE (the probe Linux sends after a
     * ping). */
    world_run_until(w, 6 * LN_SEC);
    n2 = world_frames(w, &p.i2->port, LN_ETHERTYPE_ARP, f2, 8);
    CHECK_EQ(n2, 2);
    if (n2 == 2) {
        CHECK(memcmp(f2[1]->b, p.i1->mac, 6) == 0);
        CHECK_EQ(ln_get16(arp_of(f2[1]) + LN_ARP_OPER), LN_ARP_REQUEST);
        CHECK(memcmp(arp_of(f2[1]) + LN_ARP_THA, zero6, 6) == 0);
        CHECK(f2[1]->t > 5 * LN_SEC && f2[1]->t < 5 * LN_SEC + LN_MSEC);
    }
    CHECK_EQ(state_of(p.h2, IP(10, 0, 0, 1)), LN_NUD_REACHABLE);
    CHECK_EQ(state_of(p.h1, IP(10, 0, 0, 2)), LN_NUD_REACHABLE);
    world_free(w);
}

static void test_queue_flush(void)
{
    pair p = pair_new();
    for (uint16_t seq = 1; seq <= 3; seq++) CHECK_EQ(ln_icmp_echo(p.s, IP(10, 0, 0, 2), seq, 56, 0, false), 0);
    CHECK_EQ(ln_arp_lookup(p.h1, p.i1, IP(10, 0, 0, 2))->q_len, 3);
    world_run_until(p.w, LN_SEC);
    CHECK_EQ(icmp.n, 3);
    for (int i = 0; i < 3 && i < icmp.n; i++) CHECK_EQ(icmp.m[i].seq, i + 1);
    CHECK_U64(p.h1->mib[LN_MIB_ArpOutRequests], 1);       /* one request for all */
    world_free(p.w);

    /* A full queue drops its OLDEST packet (Linux). */
    p = pair_new();
    p.h1->cfg.arp_unres_qlen = 2;
    for (uint16_t seq = 1; seq <= 5; seq++) CHECK_EQ(ln_icmp_echo(p.s, IP(10, 0, 0, 2), seq, 56, 0, false), 0);
    world_run_until(p.w, LN_SEC);
    CHECK_U64(p.h1->mib[LN_MIB_ArpUnresolvedDiscards], 3);
    CHECK_U64(p.w->drops[LN_DROP_ARP_QUEUE_FULL], 3);
    CHECK_EQ(icmp.n, 2);
    if (icmp.n == 2) {
        CHECK_EQ(icmp.m[0].seq, 4);
        CHECK_EQ(icmp.m[1].seq, 5);
    }
    world_free(p.w);
}

static void test_failure(void)
{
    pair p = pair_new();
    world *w = p.w;
    uint32_t ghost = IP(10, 0, 0, 99);
    CHECK_EQ(ln_icmp_echo(p.s, ghost, 1, 56, 0, false), 0);
    world_run_until(w, 500 * LN_MSEC);
    CHECK_EQ(ln_icmp_echo(p.s, ghost, 2, 56, 0, false), 0);
    world_run_until(w, 2900 * LN_MSEC);
    CHECK_EQ(state_of(p.h1, ghost), LN_NUD_INCOMPLETE);
    CHECK_EQ(icmp.n, 0);
    world_run_until(w, 3 * LN_SEC);
    /* Three broadcasts, one per second, then failure at 3 s. */
    const world_frame *f[8];
    int n = world_frames(w, &p.i1->port, LN_ETHERTYPE_ARP, f, 8);
    CHECK_EQ(n, 3);
    for (int i = 0; i < n && i < 3; i++) {
        CHECK_U64(f[i]->t, (uint64_t)i * LN_SEC);
        CHECK(memcmp(f[i]->b, ln_eth_broadcast, 6) == 0);
        CHECK_EQ(ln_get32(arp_of(f[i]) + LN_ARP_TPA), ghost);
    }
    CHECK_EQ(state_of(p.h1, ghost), LN_NUD_FAILED);
    CHECK_U64(p.h1->mib[LN_MIB_ArpResolveFailed], 1);
    CHECK_U64(w->drops[LN_DROP_ARP_FAILED], 2);
    /* Each queued echo's sender (us) hears "host unreachable" from our own
     * address, as ping shows "From 10.0.0.1 ... Destination Host
     * Unreachable".  The errors loop back, nothing goes on the wire. */
    CHECK_EQ(icmp.n, 2);
    for (int i = 0; i < 2 && i < icmp.n; i++) {
        CHECK(icmp.m[i].error);
        CHECK_EQ(icmp.m[i].type, LN_ICMP_UNREACH);
        CHECK_EQ(icmp.m[i].code, LN_ICMP_UNREACH_HOST);
        CHECK_EQ(icmp.m[i].from, IP(10, 0, 0, 1));
        CHECK_EQ(icmp.m[i].orig_dst, ghost);
        CHECK_EQ(icmp.m[i].seq, i + 1);
        CHECK_EQ(icmp.m[i].orig_proto, LN_IPPROTO_ICMP);
    }
    CHECK_EQ(world_frames(w, &p.i1->port, LN_ETHERTYPE_IPV4, f, 8), 0);
    CHECK_U64(p.h1->mib[LN_MIB_IcmpOutDestUnreachs], 2);
    CHECK_U64(p.h1->mib[LN_MIB_IcmpInDestUnreachs], 2);
    /* The next packet starts over: three more requests. */
    CHECK_EQ(ln_icmp_echo(p.s, ghost, 3, 56, 0, false), 0);
    world_run_until(w, 10 * LN_SEC);
    CHECK_EQ(world_frames(w, &p.i1->port, LN_ETHERTYPE_ARP, f, 8), 6);
    CHECK_EQ(icmp.n, 3);
    CHECK_U64(p.h1->mib[LN_MIB_ArpResolveFailed], 2);
    world_free(w);
}

/* A router that cannot resolve the next hop tells the remote sender. */
static void test_failure_via_router(void)
{
    world *w = logged(world_routed(&hosts));
    ln_node *a = w->a, *r = w->r;
    ln_iface *r1 = w->rb;
    ln_icmp_sock *s = ln_icmp_sock_open(a, 0, on_icmp, NULL);
    CHECK_EQ(ln_icmp_echo(s, IP(10, 0, 2, 99), 7, 56, 0, false), 0);
    world_run_until(w, 5 * LN_SEC);
    CHECK_EQ(icmp.n, 1);
    CHECK(icmp.m[0].error);
    CHECK_EQ(icmp.m[0].type, LN_ICMP_UNREACH);
    CHECK_EQ(icmp.m[0].code, LN_ICMP_UNREACH_HOST);
    CHECK_EQ(icmp.m[0].from, IP(10, 0, 1, 254));
    CHECK_EQ(icmp.m[0].seq, 7);
    CHECK_U64(r->mib[LN_MIB_ArpResolveFailed], 1);
    CHECK_U64(r->mib[LN_MIB_IpForwDatagrams], 1);
    /* The router asked three times on the far side. */
    const world_frame *f[8];
    CHECK_EQ(world_frames(w, &r1->port, LN_ETHERTYPE_ARP, f, 8), 3);
    world_free(w);
}

/* ---- aging --------------------------------------------------------------------- */

static void test_aging(void)
{
    pair p = pair_new();
    world *w = p.w;
    uint32_t h2 = IP(10, 0, 0, 2);
    CHECK_EQ(ln_icmp_echo(p.s, h2, 1, 56, 0, false), 0);
    world_run_until(w, 29 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_REACHABLE);
    /* reachable_time after the confirmation (the reply at ~0.2 ms). */
    world_run_until(w, 31 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_STALE);
    /* First use of a STALE entry: sent at once to the cached MAC, DELAY. */
    int before = w->n_tx;
    CHECK_EQ(ln_icmp_echo(p.s, h2, 2, 56, 0, false), 0);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_DELAY);
    world_run_until(w, 32 * LN_SEC);
    CHECK_EQ(icmp.n, 2);
    CHECK(w->n_tx > before);
    /* No upper-layer confirmation: after 5 s a unicast probe, answered. */
    world_run_until(w, 36 * LN_SEC + 500 * LN_MSEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_REACHABLE);
    const world_frame *f[16];
    int n = world_frames(w, &p.i1->port, LN_ETHERTYPE_ARP, f, 16);
    CHECK(n >= 2);
    const world_frame *probe = NULL;
    for (int i = 0; i < n && i < 16; i++)
        if (f[i]->t >= 36 * LN_SEC && ln_get16(arp_of(f[i]) + LN_ARP_OPER) == LN_ARP_REQUEST) probe = f[i];
    CHECK(probe != NULL);
    if (probe) {
        CHECK_U64(probe->t, 36 * LN_SEC);
        CHECK(memcmp(probe->b, p.i2->mac, 6) == 0);        /* unicast */
    }

    /* Now let it go STALE again and take h2 away: DELAY, then three
     * unicast probes one second apart, then FAILED. */
    world_run_until(w, 70 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_STALE);
    ln_iface_set_up(p.i2, false);
    uint64_t req0 = p.h1->mib[LN_MIB_ArpOutRequests];
    CHECK_EQ(ln_icmp_echo(p.s, h2, 3, 56, 0, false), 0);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_DELAY);
    world_run_until(w, 75 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_PROBE);
    world_run_until(w, 77 * LN_SEC + LN_MSEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_PROBE);
    CHECK_U64(p.h1->mib[LN_MIB_ArpOutRequests] - req0, 3);
    world_run_until(w, 78 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_FAILED);
    CHECK_U64(p.h1->mib[LN_MIB_ArpResolveFailed], 1);
    n = world_frames(w, &p.i1->port, LN_ETHERTYPE_ARP, f, 16);
    int ucast = 0;
    for (int i = 0; i < n && i < 16; i++)
        if (f[i]->t >= 75 * LN_SEC && memcmp(f[i]->b, p.i2->mac, 6) == 0) ucast++;
    CHECK_EQ(ucast, 3);
    /* h2 dropped what reached it while down. */
    CHECK(w->drops[LN_DROP_IFACE_DOWN] >= 3);
    world_free(w);
}

static void test_gc(void)
{
    /* Below gc_thresh1 (128, Linux's default) periodic gc does nothing:
     * the STALE entry stays, with no timer, and the network goes idle. */
    pair p = pair_new();
    uint32_t h2 = IP(10, 0, 0, 2);
    CHECK_EQ(ln_icmp_echo(p.s, h2, 1, 56, 0, false), 0);
    world_run(p.w);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_STALE);
    CHECK(world_now(p.w) < 61 * LN_SEC);
    CHECK_U64(p.h1->arp.n_parked, 1);
    world_free(p.w);

    /* gc_thresh1 0: used at 0, STALE at 30 s, removed gc_stale_time after
     * its last use. */
    p = pair_new();
    p.h1->cfg.arp_gc_thresh1 = 0;
    CHECK_EQ(ln_icmp_echo(p.s, h2, 1, 56, 0, false), 0);
    world_run_until(p.w, 59 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_STALE);
    world_run_until(p.w, 61 * LN_SEC);
    CHECK(ln_arp_lookup(p.h1, NULL, h2) == NULL);
    CHECK_EQ(arps.ev[arps.n - 1].state, LN_NUD_NONE);
    world_free(p.w);

    /* Parked until the table reaches gc_thresh1: then collected at once. */
    p = pair_new();
    p.h1->cfg.arp_gc_thresh1 = 2;
    CHECK_EQ(ln_icmp_echo(p.s, h2, 1, 56, 0, false), 0);
    world_run_until(p.w, 70 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_STALE);
    CHECK_EQ(ln_icmp_echo(p.s, IP(10, 0, 0, 9), 2, 56, 0, false), 0);   /* a second entry */
    world_run_until(p.w, 70 * LN_SEC + 1);
    CHECK(ln_arp_lookup(p.h1, NULL, h2) == NULL);
    CHECK_U64(p.h1->arp.n_parked, 0);
    world_free(p.w);
}

/* gc_thresh2/3: a full table first loses FAILED and old STALE entries,
 * oldest first, down to gc_thresh2; with none to lose, a new neighbour is
 * refused and the packet dropped ("neighbour table overflow"). */
static void test_table_full(void)
{
    pair p = pair_new();
    ln_node *h = p.h1;
    h->cfg.arp_gc_thresh2 = 2;
    h->cfg.arp_gc_thresh3 = 4;
    /* Four unanswered neighbours: INCOMPLETE, held by their timers. */
    for (uint32_t k = 0; k < 4; k++)
        CHECK_EQ(ln_icmp_echo(p.s, IP(10, 0, 0, 20 + k), 1, 56, 0, false), 0);
    CHECK_U64(h->arp.n, 4);
    uint64_t runs = h->mib[LN_MIB_ArpForcedGcRuns];
    CHECK_EQ(ln_icmp_echo(p.s, IP(10, 0, 0, 30), 1, 56, 0, false), 0);
    CHECK_U64(h->arp.n, 4);
    CHECK_U64(h->mib[LN_MIB_ArpTableFulls], 1);
    CHECK_U64(h->mib[LN_MIB_ArpForcedGcRuns], runs + 1);
    CHECK_U64(h->drops[LN_DROP_NEIGH_OVERFLOW], 1);
    CHECK(ln_arp_lookup(h, NULL, IP(10, 0, 0, 30)) == NULL);
    /* Static entries are exempt: added, and not counted. */
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x77};
    CHECK_EQ(ln_arp_set(h, p.i1, IP(10, 0, 0, 77), mac), 0);
    CHECK_U64(h->arp.n, 5);
    CHECK_U64(h->arp.n_perm, 1);
    /* After 3 s they FAIL; the next neighbour makes room: the oldest two
     * go (down to gc_thresh2 = 2), the static one stays. */
    world_run_until(p.w, 4 * LN_SEC);
    CHECK_EQ(state_of(h, IP(10, 0, 0, 20)), LN_NUD_FAILED);
    CHECK_EQ(ln_icmp_echo(p.s, IP(10, 0, 0, 31), 1, 56, 0, false), 0);
    CHECK_U64(h->mib[LN_MIB_ArpTableFulls], 1);
    CHECK_U64(h->arp.n - h->arp.n_perm, 3);
    CHECK(ln_arp_lookup(h, NULL, IP(10, 0, 0, 31)) != NULL);
    CHECK(ln_arp_lookup(h, NULL, IP(10, 0, 0, 77)) != NULL);
    world_free(p.w);

    /* Told to, a router holds 20,000 neighbours (no overflow, no gc). */
    p = pair_new();
    h = p.h1;
    h->cfg.arp_gc_thresh1 = h->cfg.arp_gc_thresh2 = h->cfg.arp_gc_thresh3 = 100000;
    ln_iface_set_addr(p.i1, IP(10, 0, 0, 1), 8);
    for (uint32_t k = 0; k < 20000; k++)
        CHECK_EQ(ln_icmp_echo(p.s, IP(10, 1, 0, 0) + k, 1, 56, 0, false), 0);
    CHECK_U64(h->arp.n, 20000);
    CHECK_U64(h->mib[LN_MIB_ArpTableFulls], 0);
    world_free(p.w);
}

/* ---- gratuitous ARP, anti-flap, static entries -------------------------------- */

static void test_gratuitous(void)
{
    pair p = pair_new();
    world *w = p.w;
    uint32_t h2 = IP(10, 0, 0, 2);
    CHECK_EQ(ln_arp_gratuitous(p.i2), 0);
    world_run_until(w, LN_SEC);
    const world_frame *f[4];
    CHECK_EQ(world_frames(w, &p.i2->port, LN_ETHERTYPE_ARP, f, 4), 1);
    const uint8_t *a = arp_of(f[0]);
    CHECK(memcmp(f[0]->b, ln_eth_broadcast, 6) == 0);
    CHECK_EQ(ln_get16(a + LN_ARP_OPER), LN_ARP_REQUEST);
    CHECK_EQ(ln_get32(a + LN_ARP_SPA), h2);
    CHECK_EQ(ln_get32(a + LN_ARP_TPA), h2);
    CHECK(memcmp(a + LN_ARP_THA, zero6, 6) == 0);
    CHECK(memcmp(a + LN_ARP_SHA, p.i2->mac, 6) == 0);
    /* Default arp_accept = 0: unknown senders are not learnt. */
    CHECK(ln_arp_lookup(p.h1, NULL, h2) == NULL);
    CHECK_U64(p.h1->mib[LN_MIB_ArpInRequests], 1);
    CHECK_U64(p.h1->mib[LN_MIB_ArpOutReplies], 0);

    /* arp_accept = 1: created, STALE. */
    p.h1->cfg.arp_accept = true;
    CHECK_EQ(ln_arp_gratuitous(p.i2), 0);
    world_run_until(w, 2 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_STALE);

    /* An existing entry follows a new MAC announced gratuitously, even
     * within locktime (a NIC swap, or an ARP spoofer). */
    p.h1->cfg.arp_accept = false;
    CHECK_EQ(ln_icmp_echo(p.s, h2, 1, 56, 0, false), 0);
    world_run_until(w, 3 * LN_SEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_DELAY);        /* used, not yet confirmed */
    p.i2->mac[5] = 0x99;
    CHECK_EQ(ln_arp_gratuitous(p.i2), 0);
    world_run_until(w, 3 * LN_SEC + 10 * LN_MSEC);
    ln_neigh *e = ln_arp_lookup(p.h1, NULL, h2);
    CHECK(e && e->mac[5] == 0x99 && e->state == LN_NUD_STALE);
    CHECK(strcmp(arps.ev[arps.n - 1].text, "10.0.0.2 is-at 02:00:00:00:00:99") == 0);
    CHECK_EQ(ln_arp_gratuitous(p.i1), 0);       /* and the API's error paths */
    ln_iface_set_up(p.i1, false);
    CHECK_EQ(ln_arp_gratuitous(p.i1), LN_ENETDOWN);
    world_free(w);
}

static void test_locktime(void)
{
    pair p = pair_new();
    world *w = p.w;
    uint32_t h2 = IP(10, 0, 0, 2);
    const uint8_t evil[6] = { 0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };
    CHECK_EQ(ln_icmp_echo(p.s, h2, 1, 56, 0, false), 0);
    world_run_until(w, 500 * LN_MSEC);
    CHECK_EQ(state_of(p.h1, h2), LN_NUD_REACHABLE);
    /* A competing reply within 1 s of the last update is ignored (Linux
     * keeps the first of several replies). */
    p.i1->port.rx(&p.i1->port, arp_frame(w, p.i1->mac, LN_ARP_REPLY, evil, h2, p.i1->mac, IP(10, 0, 0, 1)));
    ln_neigh *e = ln_arp_lookup(p.h1, NULL, h2);
    CHECK(e && memcmp(e->mac, p.i2->mac, 6) == 0);
    /* Later, the same forged reply wins: ARP has no authentication. */
    world_run_until(w, 2 * LN_SEC);
    p.i1->port.rx(&p.i1->port, arp_frame(w, p.i1->mac, LN_ARP_REPLY, evil, h2, p.i1->mac, IP(10, 0, 0, 1)));
    e = ln_arp_lookup(p.h1, NULL, h2);
    CHECK(e && memcmp(e->mac, evil, 6) == 0 && e->state == LN_NUD_REACHABLE);
    /* A broadcast reply only proves the binding weakly: STALE. */
    world_run_until(w, 4 * LN_SEC);
    p.i1->port.rx(&p.i1->port, arp_frame(w, ln_eth_broadcast, LN_ARP_REPLY, p.i2->mac, h2, p.i1->mac, IP(10, 0, 0, 1)));
    e = ln_arp_lookup(p.h1, NULL, h2);
    CHECK(e && memcmp(e->mac, p.i2->mac, 6) == 0 && e->state == LN_NUD_STALE);
    /* A request from someone else for someone else teaches nothing new. */
    p.i1->port.rx(&p.i1->port, arp_frame(w, ln_eth_broadcast, LN_ARP_REQUEST, evil, IP(10, 0, 0, 77), zero6, IP(10, 0, 0, 2)));
    CHECK(ln_arp_lookup(p.h1, NULL, IP(10, 0, 0, 77)) == NULL);
    /* An RFC 5227 probe for our address is answered, nothing learnt. */
    int before = w->n_tx;
    p.i1->port.rx(&p.i1->port, arp_frame(w, ln_eth_broadcast, LN_ARP_REQUEST, evil, 0, zero6, IP(10, 0, 0, 1)));
    world_run_until(w, 5 * LN_SEC);
    CHECK_EQ(w->n_tx, before + 1);
    if (w->n_tx == before + 1) {
        const world_frame *f = &w->tx[before];
        CHECK(memcmp(f->b, evil, 6) == 0);
        CHECK_EQ(ln_get16(arp_of(f) + LN_ARP_OPER), LN_ARP_REPLY);
        CHECK_EQ(ln_get32(arp_of(f) + LN_ARP_TPA), 0);
        CHECK_EQ(ln_get32(arp_of(f) + LN_ARP_SPA), IP(10, 0, 0, 1));
    }
    CHECK(ln_arp_lookup(p.h1, NULL, 0) == NULL);
    world_free(w);
}

static void test_permanent(void)
{
    pair p = pair_new();
    world *w = p.w;
    uint32_t h2 = IP(10, 0, 0, 2);
    CHECK_EQ(ln_arp_set(p.h1, NULL, h2, p.i2->mac), 0);
    CHECK_EQ(ln_icmp_echo(p.s, h2, 1, 56, 0, false), 0);
    world_run_until(w, 1000 * LN_SEC);
    CHECK_EQ(icmp.n, 1);
    CHECK_EQ(p.h1->mib[LN_MIB_ArpOutRequests], 0);
    ln_neigh *e = ln_arp_lookup(p.h1, p.i1, h2);
    CHECK(e && e->permanent && e->state == LN_NUD_REACHABLE);
    /* Replies do not move a permanent entry. */
    const uint8_t other[6] = { 0x02, 1, 2, 3, 4, 5 };
    p.i1->port.rx(&p.i1->port, arp_frame(w, p.i1->mac, LN_ARP_REPLY, other, h2, p.i1->mac, IP(10, 0, 0, 1)));
    CHECK(memcmp(e->mac, p.i2->mac, 6) == 0);
    /* No route, no interface to hang the entry on. */
    CHECK_EQ(ln_arp_set(p.h1, NULL, IP(192, 168, 0, 1), other), LN_ENETUNREACH);
    ln_arp_flush(p.h1, NULL);
    CHECK(ln_arp_lookup(p.h1, NULL, h2) == NULL);
    world_free(w);
}

/* ---- ICMP errors from a router ---------------------------------------------------- */

static void test_router_errors(void)
{
    world *w = logged(world_routed(&hosts));
    ln_node *a = w->a, *r = w->r, *b = w->b;
    ln_iface *ia = w->ia;
    ln_icmp_sock *s = ln_icmp_sock_open(a, 0, on_icmp, NULL);

    /* TTL 1: the router says "time to live exceeded". */
    CHECK_EQ(ln_icmp_echo(s, IP(10, 0, 2, 1), 1, 56, 1, false), 0);
    world_run_until(w, LN_SEC);
    CHECK_EQ(icmp.n, 1);
    CHECK(icmp.m[0].error && icmp.m[0].type == LN_ICMP_TIMXCEED && icmp.m[0].code == 0);
    CHECK_EQ(icmp.m[0].from, IP(10, 0, 1, 254));
    CHECK_EQ(icmp.m[0].seq, 1);
    CHECK_U64(r->mib[LN_MIB_IpInHdrErrors], 1);
    CHECK_U64(w->drops[LN_DROP_TTL_EXPIRED], 1);
    /* TTL 2 gets through; the reply's TTL was decremented once. */
    CHECK_EQ(ln_icmp_echo(s, IP(10, 0, 2, 1), 2, 56, 2, false), 0);
    world_run_until(w, 2 * LN_SEC);
    CHECK_EQ(icmp.n, 2);
    CHECK(!icmp.m[1].error && icmp.m[1].seq == 2 && icmp.m[1].ttl == 63);
    /* The router's far address answers from itself (weak host). */
    CHECK_EQ(ln_icmp_echo(s, IP(10, 0, 2, 254), 3, 56, 0, false), 0);
    world_run_until(w, 3 * LN_SEC);
    CHECK_EQ(icmp.n, 3);
    CHECK(!icmp.m[2].error && icmp.m[2].from == IP(10, 0, 2, 254) && icmp.m[2].ttl == 64);
    /* No route at the router: "net unreachable". */
    CHECK_EQ(ln_icmp_echo(s, IP(192, 168, 9, 9), 4, 56, 0, false), 0);
    world_run_until(w, 4 * LN_SEC);
    CHECK_EQ(icmp.n, 4);
    CHECK(icmp.m[3].error && icmp.m[3].type == LN_ICMP_UNREACH && icmp.m[3].code == LN_ICMP_UNREACH_NET);
    CHECK_U64(w->drops[LN_DROP_NO_ROUTE], 1);
    /* No route at the host: an error code, IpOutNoRoutes, nothing sent. */
    ln_route_del(&a->routes, 0, 0, NULL);
    CHECK_EQ(ln_icmp_echo(s, IP(192, 168, 9, 9), 5, 56, 0, false), LN_ENETUNREACH);
    CHECK_U64(a->mib[LN_MIB_IpOutNoRoutes], 1);
    world_route(a, ia, 0, 0, IP(10, 0, 1, 254));
    /* A traceroute-style UDP probe to b: no socket there, so "port
     * unreachable"; the socket matches the probe's source port. */
    CHECK_EQ(ln_icmp_udp_probe(s, IP(10, 0, 2, 1), 33434, 32, 0), 0);
    world_run_until(w, 5 * LN_SEC);
    CHECK_EQ(icmp.n, 5);
    CHECK(icmp.m[4].error && icmp.m[4].type == LN_ICMP_UNREACH && icmp.m[4].code == LN_ICMP_UNREACH_PORT);
    CHECK_EQ(icmp.m[4].id, s->id);
    CHECK_EQ(icmp.m[4].seq, 33434);
    CHECK_EQ(icmp.m[4].from, IP(10, 0, 2, 1));
    CHECK_EQ(icmp.m[4].orig_proto, LN_IPPROTO_UDP);
    CHECK_U64(b->mib[LN_MIB_IpInUnknownProtos], 0);
    CHECK_U64(w->drops[LN_DROP_NO_LISTENER], 1);
    /* The probe's UDP checksum is right (pseudo-header included). */
    const world_frame *f[16];
    int n = world_frames(w, &ia->port, LN_ETHERTYPE_IPV4, f, 16);
    const uint8_t *udp = NULL;
    for (int i = 0; i < n && i < 16; i++)
        if (f[i]->b[LN_ETH_HLEN + LN_IP_PROTO] == LN_IPPROTO_UDP) udp = f[i]->b + LN_ETH_HLEN;
    CHECK(udp != NULL);
    if (udp) {
        uint16_t ulen = ln_get16(udp + LN_IP_HLEN + 4);
        CHECK_EQ(ulen, 40);
        uint32_t sum = ln_csum_pseudo(ln_get32(udp + LN_IP_SRC), ln_get32(udp + LN_IP_DST), 17, ulen);
        CHECK_EQ(ln_csum_fold(ln_csum_partial(udp + LN_IP_HLEN, ulen, sum)), 0);
        CHECK_EQ(udp[LN_IP_TTL], 64);
    }
    /* An ICMP error is never sent about an ICMP error: a time-exceeded
     * that itself expires at the router vanishes quietly. */
    uint64_t out0 = r->mib[LN_MIB_IcmpOutMsgs];
    ln_pkt *e = ln_net_pkt(w->net, 36);
    memset(e->data, 0, 36);
    e->data[0] = LN_ICMP_TIMXCEED;
    e->data[8] = 0x45;
    ln_put16(e->data + 2, ln_csum(e->data, 36));
    ln_ip_opts o = { .ttl = 1 };
    CHECK_EQ(ln_ip_output(a, e, 0, IP(10, 0, 2, 1), LN_IPPROTO_ICMP, &o), 0);
    world_run_until(w, 6 * LN_SEC);
    CHECK_U64(r->mib[LN_MIB_IcmpOutMsgs], out0);
    CHECK_U64(w->drops[LN_DROP_TTL_EXPIRED], 2);
    ln_icmp_sock_close(s);
    world_free(w);
}

int main(void)
{
    test_request_reply();
    test_queue_flush();
    test_failure();
    test_failure_via_router();
    test_aging();
    test_gc();
    test_table_full();
    test_gratuitous();
    test_locktime();
    test_permanent();
    test_router_errors();
    return check_report("test_arp");
}
