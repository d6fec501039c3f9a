/* world.h - a network for unit tests, and a record of what happened on it.
 *
 *   world_new():     a (addr[0]) <--- one wire ---> b (addr[1])
 *   world_routed():  a <---> r <---> b, r forwarding between two /24s
 *   world_net():     nothing yet; build with world_node, world_iface, world_wire
 *
 * Tests assert what went over the wire, so unless the world is quiet it
 * keeps a copy of every frame that starts onto a wire (LN_EV_TX), counts
 * every drop by reason (LN_EV_DROP) and every ICMP message a node sends
 * (LN_EV_ICMP_OUT, by type << 8 | code).  A test that wants other events
 * subscribes to them itself.
 *
 * The builders CHECK what they create, so a broken topology fails where
 * it was built rather than as a puzzling assertion later.  world_free()
 * runs the network dry and checks that every packet buffer came back. */
#ifndef LN_TEST_WORLD_H
#define LN_TEST_WORLD_H

#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "check.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

typedef struct world_frame { ln_time t; const ln_port *port; uint32_t len; uint8_t *b; } world_frame;

typedef struct world_cfg {
    uint64_t seed;
    const char *name[2];            /* a's and b's (NULL: "a", "b") */
    uint32_t addr[2];               /* in a /24; 0: the interface has none */
    ln_time delay;                  /* of every wire */
    bool unlimited;                 /* bandwidth 0, like a veth: no serialization */
    const ln_linkcfg *link;         /* instead of delay and unlimited (read
                                     * while world_new builds the wire) */
    bool static_arp;                /* a and b know each other's MAC */
    bool quiet;                     /* subscribe to nothing (a test that records
                                     * its own way, or checks the silence) */
} world_cfg;

typedef struct world {
    world_cfg cfg;
    ln_net *net;
    ln_node *a, *b;                 /* world_new, world_routed */
    ln_iface *ia, *ib;
    ln_link *link;                  /* a's */
    ln_node *r;                     /* world_routed: the router */
    ln_iface *ra, *rb;              /* its interfaces on a's and b's side */
    world_frame *tx; int n_tx, cap_tx;
    uint64_t drops[LN_DROP__COUNT], n_drops;
    int icmp_out[1 << 16], n_icmp_out;
} world;

static inline void world_on_event(const ln_event *ev, void *arg)
{
    world *w = arg;
    if (ev->type == LN_EV_TX) {
        if (w->n_tx == w->cap_tx) {
            w->cap_tx = w->cap_tx ? w->cap_tx * 2 : 256;
            w->tx = realloc(w->tx, (size_t)w->cap_tx * sizeof *w->tx);
        }
        world_frame *f = &w->tx[w->n_tx++];
        f->t = ev->time;
        f->port = ev->port;
        f->len = ev->pkt->len;
        f->b = malloc(f->len ? f->len : 1);
        memcpy(f->b, ev->pkt->data, f->len);
    } else if (ev->type == LN_EV_DROP) {
        CHECK(ev->reason != LN_DROP_NONE);      /* every drop says why */
        w->drops[ev->reason]++;
        w->n_drops++;
    } else if (ev->type == LN_EV_ICMP_OUT) {
        w->icmp_out[ev->value & 0xffff]++;
        w->n_icmp_out++;
    }
}

/* The network alone, recording unless quiet. */
static inline world *world_net(const world_cfg *c)
{
    world *w = calloc(1, sizeof *w);
    w->cfg = *c;
    w->net = ln_net_new(c->seed);
    if (!c->quiet)
        ln_net_subscribe(w->net, LN_EV_MASK(LN_EV_TX) | LN_EV_MASK(LN_EV_DROP) | LN_EV_MASK(LN_EV_ICMP_OUT),
                         world_on_event, w);
    return w;
}

static inline ln_node *world_node(world *w, const char *name, bool fwd)
{
    char err[128];
    ln_node *n = ln_node_new(w->net, name, fwd, err, sizeof err);
    CHECK(n != NULL);
    return n;
}

/* addr 0: no address (frames that never reach IP). */
static inline ln_iface *world_iface(ln_node *n, uint32_t addr, uint8_t plen)
{
    char err[128];
    ln_iface *ifc = ln_iface_new(n, NULL, err, sizeof err);
    CHECK(ifc != NULL);
    if (ifc && addr) CHECK_EQ(ln_iface_set_addr(ifc, addr, plen), 0);
    return ifc;
}

static inline ln_link *world_wire(world *w, ln_iface *x, ln_iface *y)
{
    char err[128];
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.delay = w->cfg.delay;
    if (w->cfg.unlimited) c.bandwidth = 0;
    ln_link *l = ln_link_new(w->net, &x->port, &y->port, w->cfg.link ? w->cfg.link : &c, NULL,
                             err, sizeof err);
    CHECK(l != NULL);
    return l;
}

static inline void world_route(ln_node *n, ln_iface *ifc, uint32_t prefix, uint8_t plen, uint32_t gw)
{
    ln_route r = { .prefix = prefix, .plen = plen, .gateway = gw, .iface = ifc, .kind = LN_RT_STATIC };
    CHECK_EQ(ln_route_add(&n->routes, &r), 0);
}

/* Two hosts on one wire. */
static inline world *world_new(const world_cfg *c)
{
    world *w = world_net(c);
    w->a = world_node(w, c->name[0] ? c->name[0] : "a", false);
    w->b = world_node(w, c->name[1] ? c->name[1] : "b", false);
    w->ia = world_iface(w->a, c->addr[0], 24);
    w->ib = world_iface(w->b, c->addr[1], 24);
    w->link = world_wire(w, w->ia, w->ib);
    if (c->static_arp) {
        CHECK_EQ(ln_arp_set(w->a, w->ia, c->addr[1], w->ib->mac), 0);
        CHECK_EQ(ln_arp_set(w->b, w->ib, c->addr[0], w->ia->mac), 0);
    }
    return w;
}

/* a (10.0.1.1) -- r (10.0.1.254 | 10.0.2.254, forwarding) -- b (10.0.2.1),
 * a and b routing everything through r. */
static inline world *world_routed(const world_cfg *c)
{
    world *w = world_net(c);
    w->a = world_node(w, "a", false);
    w->r = world_node(w, "r", true);
    w->b = world_node(w, "b", false);
    w->ia = world_iface(w->a, IP(10, 0, 1, 1), 24);
    w->ra = world_iface(w->r, IP(10, 0, 1, 254), 24);
    w->rb = world_iface(w->r, IP(10, 0, 2, 254), 24);
    w->ib = world_iface(w->b, IP(10, 0, 2, 1), 24);
    w->link = world_wire(w, w->ia, w->ra);
    world_wire(w, w->rb, w->ib);
    world_route(w->a, w->ia, 0, 0, IP(10, 0, 1, 254));
    world_route(w->b, w->ib, 0, 0, IP(10, 0, 2, 254));
    return w;
}

static inline ln_time world_now(const world *w) { return ln_net_now(w->net); }
static inline void world_run(world *w) { ln_sim_run(&w->net->sim); }
static inline void world_run_until(world *w, ln_time t) { ln_sim_run_until(&w->net->sim, t); }
static inline void world_run_for(world *w, ln_time dt) { world_run_until(w, world_now(w) + dt); }

static inline bool world_frame_is(const world_frame *f, const ln_port *port, uint16_t type)
{
    return (!port || f->port == port) &&
           (!type || (f->len >= LN_ETH_HLEN && ln_get16(f->b + LN_ETH_TYPE) == type));
}

/* Frames sent from `port` (NULL: any), only of one ethertype unless 0:
 * how many, and the first `max` of them in out. */
static inline int world_frames(const world *w, const ln_port *port, uint16_t type,
                               const world_frame **out, int max)
{
    int n = 0;
    for (int i = 0; i < w->n_tx; i++) {
        if (!world_frame_is(&w->tx[i], port, type)) continue;
        if (n < max) out[n] = &w->tx[i];
        n++;
    }
    return n;
}

/* The latest such frame, or NULL. */
static inline const world_frame *world_last_frame(const world *w, const ln_port *port, uint16_t type)
{
    for (int i = w->n_tx; i-- > 0;)
        if (world_frame_is(&w->tx[i], port, type)) return &w->tx[i];
    return NULL;
}

/* Without running anything: for a test that leaves packets in flight on
 * purpose, or accounts for them itself. */
static inline void world_release(world *w)
{
    ln_net_free(w->net);
    for (int i = 0; i < w->n_tx; i++) free(w->tx[i].b);
    free(w->tx);
    free(w);
}

/* Everything has been delivered, dropped or timed out by the end. */
static inline void world_free(world *w)
{
    world_run(w);
    CHECK_U64(ln_pktpool_in_use(w->net->pool), 0);
    world_release(w);
}

#endif
