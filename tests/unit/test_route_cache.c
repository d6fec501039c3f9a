/* test_route_cache.c - a socket's cached route (ip.h ln_ip_rcache, used by
 * TCP): ln_ip_output reuses it only while nothing that could change the
 * answer has happened.  Every datagram goes where an uncached lookup would
 * send it after each change: a more specific route added, one removed, an
 * interface down and up, the source address removed.
 *
 * The host has no links: a datagram that leaves by an interface is dropped
 * there for want of a carrier, which counts in that interface's tx_dropped
 * (the next hops have static ARP entries, so nothing else is sent). */
#include <stdio.h>

#include "arp.h"
#include "check.h"
#include "err.h"
#include "ip.h"
#include "net.h"
#include "node.h"
#include "route.h"
#include "sim.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static ln_net *net;
static ln_node *h;
static ln_iface *e0, *e1;

/* Send one datagram from 10.0.0.1 to 10.9.9.9 with the cache; the
 * interface it left by (NULL: none), and its result in *rc_out. */
static ln_iface *send_one(ln_ip_rcache *rc, int *rc_out)
{
    uint64_t d0 = e0->st.tx_dropped, d1 = e1->st.tx_dropped;
    ln_pkt *p = ln_net_pkt(net, 8);
    CHECK(p != NULL);
    ln_ip_opts o = { .rc = rc };
    *rc_out = ln_ip_output(h, p, IP(10, 0, 0, 1), IP(10, 9, 9, 9), 253, &o);
    ln_sim_run(&net->sim);             /* the ARP entries are static: nothing is due */
    if (e0->st.tx_dropped != d0) return e0;
    if (e1->st.tx_dropped != d1) return e1;
    return NULL;
}

static void route(uint32_t prefix, uint8_t plen, uint32_t gw, ln_iface *ifc)
{
    ln_route r = { .prefix = prefix, .plen = plen, .gateway = gw, .iface = ifc, .kind = LN_RT_STATIC };
    CHECK_EQ(ln_route_add(&h->routes, &r), 0);
}

int main(void)
{
    char err[160];
    net = ln_net_new(1);
    h = ln_node_new(net, "h", false, err, sizeof err);
    e0 = ln_iface_new(h, "eth0", err, sizeof err);
    e1 = ln_iface_new(h, "eth1", err, sizeof err);
    CHECK_EQ(ln_iface_set_addr(e0, IP(10, 0, 0, 1), 24), 0);
    CHECK_EQ(ln_iface_set_addr(e1, IP(10, 0, 1, 1), 24), 0);
    static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa }, mac_b[6] = { 2, 0, 0, 0, 0, 0xb };
    CHECK_EQ(ln_arp_set(h, e0, IP(10, 0, 0, 254), mac_a), 0);
    CHECK_EQ(ln_arp_set(h, e1, IP(10, 0, 1, 254), mac_b), 0);
    route(IP(10, 9, 0, 0), 16, IP(10, 0, 0, 254), e0);

    ln_ip_rcache rc = {0};
    int res;
    CHECK(send_one(&rc, &res) == e0);
    CHECK_EQ(res, 0);
    CHECK(rc.ifc == e0 && rc.nh == IP(10, 0, 0, 254));   /* taken */
    CHECK(send_one(&rc, &res) == e0);                   /* and reused */

    /* A more specific route wins at once. */
    route(IP(10, 9, 9, 0), 24, IP(10, 0, 1, 254), e1);
    CHECK(send_one(&rc, &res) == e1);
    CHECK(rc.ifc == e1 && rc.nh == IP(10, 0, 1, 254));
    CHECK(send_one(&rc, &res) == e1);

    /* Its interface goes down: back to the /16; and up again. */
    ln_iface_set_up(e1, false);
    ln_sim_run(&net->sim);
    CHECK(send_one(&rc, &res) == e0);
    ln_iface_set_up(e1, true);
    ln_sim_run(&net->sim);
    CHECK_EQ(ln_arp_set(h, e1, IP(10, 0, 1, 254), mac_b), 0);   /* down flushed it */
    CHECK(send_one(&rc, &res) == e1);

    /* Removed: the /16 again. */
    CHECK_EQ(ln_route_del(&h->routes, IP(10, 9, 9, 0), 24, NULL), 1);
    CHECK(send_one(&rc, &res) == e0);

    /* The source is no longer ours: refused, as without a cache. */
    CHECK_EQ(ln_iface_set_addr(e0, IP(10, 0, 0, 2), 24), 0);
    CHECK(send_one(&rc, &res) == NULL);
    CHECK_EQ(res, LN_EADDRNOTAVAIL);

    /* No route at all: nothing sent, nothing cached from it. */
    CHECK_EQ(ln_iface_set_addr(e0, IP(10, 0, 0, 1), 24), 0);
    ln_ip_rcache fresh = {0};
    ln_pkt *p = ln_net_pkt(net, 8);
    ln_ip_opts o = { .rc = &fresh };
    CHECK(ln_ip_output(h, p, IP(10, 0, 0, 1), IP(192, 168, 0, 1), 253, &o) != 0);
    CHECK(fresh.ifc == NULL);
    /* Nor from a broadcast. */
    p = ln_net_pkt(net, 8);
    CHECK_EQ(ln_ip_output(h, p, IP(10, 0, 0, 1), IP(10, 0, 0, 255), 253, &o), 0);
    ln_sim_run(&net->sim);
    CHECK(fresh.ifc == NULL);

    ln_net_free(net);
    return check_report("test_route_cache");
}
