/* test_nd.c - the IPv6 neighbour cache through its states (RFC 4861 7.3,
 * Linux's NUD states): INCOMPLETE -> REACHABLE on a solicited NA, STALE
 * after reachable_time, DELAY on use, PROBE with unicast solicitations,
 * REACHABLE again on an answer or an upper-layer confirmation, FAILED
 * after ucast_solicit misses; resolution failure with address
 * unreachable; what an NS teaches (STALE); DAD defending an address. */
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "ip6.h"
#include "nd.h"
#include "world.h"

static ln_in6 A6(const char *s)
{
    ln_in6 a;
    char err[160];
    CHECK(ln_ip6_parse(s, &a, NULL, err, sizeof err) == 0);
    return a;
}

static world *pair(void)
{
    static const world_cfg c = { .seed = 7, .name = {"a", "b"}, .delay = LN_MSEC };
    world *w = world_new(&c);
    for (int i = 0; i < 2; i++) {
        ln_node *n = i ? w->b : w->a;
        n->cfg.ip6_dad_transmits = 0;
        n->cfg.ip6_rtr_solicits = 0;
    }
    ln_in6 x = A6("2001:db8::1"), y = A6("2001:db8::2");
    CHECK_EQ(ln_ip6_addr_add(w->ia, &x, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    CHECK_EQ(ln_ip6_addr_add(w->ib, &y, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    world_run_for(w, LN_MSEC);
    return w;
}

/* A datagram with no next header from a to `dst`. */
static int send_a(world *w, const char *dst)
{
    ln_pkt *p = ln_net_pkt(w->net, 8);
    memset(p->data, 0, 8);
    ln_in6 d = A6(dst);
    return ln_ip6_output(w->a, p, NULL, &d, LN_IPPROTO_NONE, NULL);
}

static ln_nud_state state(world *w, const char *ip)
{
    ln_in6 a = A6(ip);
    ln_neigh *e = ln_nd_lookup(w->a, w->ia, &a);
    return e ? e->state : LN_NUD_NONE;
}

/* NS frames a sent for 2001:db8::2 (not the ones about link-local
 * addresses that probes from them bring along), and whether the last went
 * to a group (33:33:...). */
static int ns_for(const world *w, bool *last_mcast, const char *target)
{
    int k = 0;
    ln_in6 t = A6(target);
    for (int i = 0; i < w->n_tx; i++) {
        const world_frame *f = &w->tx[i];
        if (f->port != &w->ia->port || f->len < 55 || ln_get16(f->b + 12) != LN_ETHERTYPE_IPV6) continue;
        if (f->len < 78 || f->b[20] != 58 || f->b[54] != 135 || memcmp(f->b + 62, t.b, 16) != 0) continue;
        k++;
        if (last_mcast) *last_mcast = f->b[0] == 0x33;
    }
    return k;
}

static int ns_sent(const world *w, bool *last_mcast) { return ns_for(w, last_mcast, "2001:db8::2"); }

static void test_states(void)
{
    world *w = pair();
    const ln_node_cfg *c = &w->a->cfg;
    bool mc = false;
    CHECK_EQ(send_a(w, "2001:db8::2"), 0);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_INCOMPLETE);
    CHECK_EQ(ns_sent(w, &mc), 1);
    CHECK(mc);
    world_run_for(w, 10 * LN_MSEC);
    /* b answered with a solicited NA; the queued datagram went out */
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_REACHABLE);
    CHECK_U64(w->b->mib[LN_MIB_Ip6InDelivers], 2);          /* the NS and it */
    /* b learnt a from the NS, as STALE (7.2.3), and its NA used the
     * entry at once: DELAY, as on Linux */
    ln_in6 xa = A6("2001:db8::1");
    ln_neigh *eb = ln_nd_lookup(w->b, w->ib, &xa);
    CHECK(eb && eb->state == LN_NUD_DELAY);
    /* reachable_time later: STALE */
    world_run_for(w, c->arp_reachable_time);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_STALE);
    /* used: DELAY, then PROBE with a unicast NS, answered: REACHABLE */
    CHECK_EQ(send_a(w, "2001:db8::2"), 0);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_DELAY);
    world_run_for(w, c->arp_delay_first_probe + LN_MSEC / 2);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_PROBE);
    CHECK_EQ(ns_sent(w, &mc), 2);
    CHECK(!mc);
    world_run_for(w, 10 * LN_MSEC);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_REACHABLE);
    /* an upper-layer confirmation in DELAY avoids the probe */
    world_run_for(w, c->arp_reachable_time);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_STALE);
    send_a(w, "2001:db8::2");
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_DELAY);
    world_run_for(w, LN_SEC);
    ln_in6 xb = A6("2001:db8::2");
    ln_nd_confirm(w->a, w->ia, &xb);
    world_run_for(w, c->arp_delay_first_probe);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_REACHABLE);
    CHECK_EQ(ns_sent(w, NULL), 2);
    /* b goes quiet: STALE, DELAY, PROBE x 3, FAILED */
    ln_iface_set_up(w->ib, false);
    world_run_for(w, c->arp_reachable_time + LN_SEC);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_STALE);
    send_a(w, "2001:db8::2");
    world_run_for(w, c->arp_delay_first_probe + 3 * c->arp_retrans_time + LN_SEC);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_FAILED);
    CHECK_EQ(ns_sent(w, NULL), 2 + 3);
    world_free(w);
}

static void test_unresolved(void)
{
    world *w = pair();
    CHECK_EQ(send_a(w, "2001:db8::77"), 0);
    CHECK_EQ(send_a(w, "2001:db8::77"), 0);
    world_run_for(w, 2 * LN_SEC + 10 * LN_MSEC);
    CHECK_EQ(state(w, "2001:db8::77"), LN_NUD_INCOMPLETE);
    CHECK_EQ(ns_for(w, NULL, "2001:db8::77"), 3);
    world_run_for(w, LN_SEC);
    CHECK_EQ(state(w, "2001:db8::77"), LN_NUD_FAILED);
    /* both queued datagrams dropped, each answered "address unreachable"
     * (to a itself: the error loops back, as Linux reports it to ping) */
    CHECK_U64(world_node_drops(w, w->a, WORLD_ANY, LN_DROP_ND_FAILED), 2);
    CHECK_EQ(world_node_icmp_out(w, w->a, 1 << 8 | 3), 2);
    /* the next datagram starts over */
    CHECK_EQ(send_a(w, "2001:db8::77"), 0);
    CHECK_EQ(state(w, "2001:db8::77"), LN_NUD_INCOMPLETE);
    world_free(w);
}

/* ND's table is the neighbour table's, garbage collection included: a
 * STALE entry unused for gc_stale_time goes once the table holds
 * gc_thresh1 entries, and stays (parked, no timer) below that. */
static void test_gc(void)
{
    world *w = pair();
    const ln_node_cfg *c = &w->a->cfg;
    CHECK_EQ(send_a(w, "2001:db8::2"), 0);
    world_run_for(w, 10 * LN_MSEC);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_REACHABLE);
    world_run_for(w, c->arp_reachable_time + c->arp_gc_stale_time + LN_SEC);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_STALE);      /* below gc_thresh1 (128) */
    ln_in6 xb = A6("2001:db8::2");
    CHECK(ln_nd_lookup(w->a, w->ia, &xb)->parked);
    w->a->cfg.arp_gc_thresh1 = 1;
    CHECK_EQ(send_a(w, "2001:db8::2"), 0);                 /* used again: DELAY ... */
    world_run_for(w, c->arp_reachable_time + c->arp_gc_stale_time + 10 * LN_SEC);
    CHECK_EQ(state(w, "2001:db8::2"), LN_NUD_NONE);        /* ... aged and collected */
    world_free(w);
}

static void test_dad(void)
{
    static const world_cfg c = { .seed = 7, .name = {"a", "b"}, .delay = LN_MSEC };
    world *w = world_new(&c);
    w->a->cfg.ip6_rtr_solicits = 0;
    w->b->cfg.ip6_rtr_solicits = 0;
    ln_in6 x = A6("2001:db8::1");
    CHECK_EQ(ln_ip6_addr_add(w->ia, &x, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    ln_ip6_addr *e = ln_ip6_addr_find(w->a, w->ia, &x);
    CHECK(e && e->state == LN_IP6A_TENTATIVE);
    CHECK(!ln_ip6_is_local(w->a, &x));
    world_run_for(w, 3 * LN_SEC);
    CHECK(e->state == LN_IP6A_PREFERRED);
    CHECK(ln_ip6_is_local(w->a, &x));
    /* b wants the same address: a defends it, b's copy is a duplicate */
    CHECK_EQ(ln_ip6_addr_add(w->ib, &x, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    world_run_for(w, 3 * LN_SEC);
    ln_ip6_addr *eb = ln_ip6_addr_find(w->b, w->ib, &x);
    CHECK(eb && eb->state == LN_IP6A_DUPLICATE);
    CHECK(e->state == LN_IP6A_PREFERRED);
    CHECK_U64(w->a->mib[LN_MIB_Icmp6OutNeighborAdvertisements], 1);
    world_free(w);
}

int main(void)
{
    test_states();
    test_unresolved();
    test_gc();
    test_dad();
    return check_report("test_nd");
}
