/* world.h - a network for unit tests, and a record of what happened on it.
 *
 *   world_new():     a (addr[0]) <--- one wire ---> b (addr[1])
 *   world_routed():  a <---> r <---> b, r forwarding between two /24s
 *   world_lan(c, n): h1..hn (10.0.0.1..n/24), each on its own wire to one
 *                    switch
 *   world_net():     nothing yet; build with world_node, world_iface,
 *                    world_wire, world_switch, world_wire_ports
 *
 * Tests assert what went over the wire, so unless the world is quiet it
 * keeps a copy of every frame that starts onto a wire (LN_EV_TX, with the
 * sending node, NULL from a switch), counts every drop by reason
 * (LN_EV_DROP) and every ICMP message a node sends (LN_EV_ICMP_OUT, by
 * type << 8 | code).  It also notes which node dropped what at which layer
 * and which node sent which ICMP message, for world_node_drops and
 * world_node_icmp_out.  A test that wants other events subscribes to them
 * itself.
 *
 * The builders CHECK what they create, so a broken topology fails where
 * it was built rather than as a puzzling assertion later.  world_free()
 * runs the network dry and checks that every packet buffer came back. */
#ifndef LN_TEST_WORLD_H
#define LN_TEST_WORLD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "check.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "switch.h"
#include "wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

typedef struct world_frame {
    ln_time t;
    const ln_port *port;
    const ln_node *node;            /* the sender, NULL for a switch port */
    uint32_t len;
    uint8_t *b;
} world_frame;

/* A drop (LN_EV_DROP) or an ICMP message sent (LN_EV_ICMP_OUT), and where. */
typedef struct world_note {
    ln_ev_type type;
    ln_time t;
    const ln_node *node;            /* NULL: a link or a switch */
    ln_layer layer;                 /* DROP */
    ln_drop_reason reason;          /* DROP */
    int icmp;                       /* ICMP_OUT: type << 8 | code */
} world_note;

#define WORLD_LAN_MAX 16
#define WORLD_ANY (-1)              /* any layer, any ICMP type and code */

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
    ln_switch *sw;                  /* world_lan */
    int n_hosts;                    /* world_lan: h[0..n_hosts) */
    ln_node *h[WORLD_LAN_MAX];
    ln_iface *ih[WORLD_LAN_MAX];    /* h[k]'s interface */
    world_note *note; int n_notes, cap_notes;
    world_frame *tx; int n_tx, cap_tx;
    uint64_t drops[LN_DROP__COUNT], n_drops;
    int icmp_out[1 << 16], n_icmp_out;
} world;

static inline void world_note_add(world *w, const ln_event *ev)
{
    if (w->n_notes == w->cap_notes) {
        w->cap_notes = w->cap_notes ? w->cap_notes * 2 : 256;
        w->note = realloc(w->note, (size_t)w->cap_notes * sizeof *w->note);
    }
    w->note[w->n_notes++] = (world_note){ .type = ev->type, .t = ev->time, .node = ev->node,
                                          .layer = ev->layer, .reason = ev->reason,
                                          .icmp = (int)(ev->value & 0xffff) };
}

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
        f->node = ev->node;
        f->len = ev->pkt->len;
        f->b = malloc(f->len ? f->len : 1);
        memcpy(f->b, ev->pkt->data, f->len);
    } else if (ev->type == LN_EV_DROP) {
        CHECK(ev->reason != LN_DROP_NONE);      /* every drop says why */
        w->drops[ev->reason]++;
        w->n_drops++;
        world_note_add(w, ev);
    } else if (ev->type == LN_EV_ICMP_OUT) {
        w->icmp_out[ev->value & 0xffff]++;
        w->n_icmp_out++;
        world_note_add(w, ev);
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

static inline ln_switch *world_switch(world *w, const char *name)
{
    char err[128];
    ln_switch *s = ln_switch_new(w->net, name, false, err, sizeof err);
    CHECK(s != NULL);
    return s;
}

/* A wire between any two ports, e.g. an interface's and
 * ln_switch_add_port(s). */
static inline ln_link *world_wire_ports(world *w, ln_port *x, ln_port *y)
{
    char err[128];
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.delay = w->cfg.delay;
    if (w->cfg.unlimited) c.bandwidth = 0;
    ln_link *l = ln_link_new(w->net, x, y, w->cfg.link ? w->cfg.link : &c, NULL, err, sizeof err);
    CHECK(l != NULL);
    return l;
}

static inline ln_link *world_wire(world *w, ln_iface *x, ln_iface *y)
{
    return world_wire_ports(w, &x->port, &y->port);
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

/* h1 (10.0.0.1) .. hn (10.0.0.n), /24, each wired to a port of switch "sw"
 * in turn.  a, ia, link are h1's; b, ib h2's.  static_arp: every host knows
 * every other's MAC. */
static inline world *world_lan(const world_cfg *c, int n)
{
    CHECK(n >= 1 && n <= WORLD_LAN_MAX);
    if (n < 1) n = 1;
    if (n > WORLD_LAN_MAX) n = WORLD_LAN_MAX;
    world *w = world_net(c);
    w->sw = world_switch(w, "sw");
    w->n_hosts = n;
    for (int k = 0; k < n; k++) {
        char name[16];
        snprintf(name, sizeof name, "h%d", k + 1);
        w->h[k] = world_node(w, name, false);
        w->ih[k] = world_iface(w->h[k], IP(10, 0, 0, 1 + k), 24);
        ln_link *l = world_wire_ports(w, &w->ih[k]->port, ln_switch_add_port(w->sw));
        if (k == 0) w->link = l;
    }
    if (c->static_arp)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                if (j != k) CHECK_EQ(ln_arp_set(w->h[j], w->ih[j], IP(10, 0, 0, 1 + k), w->ih[k]->mac), 0);
    w->a = w->h[0];
    w->ia = w->ih[0];
    if (n > 1) {
        w->b = w->h[1];
        w->ib = w->ih[1];
    }
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

/* Frames sent by `node`'s interfaces (NULL: by any node, none of a
 * switch's), only of one ethertype unless 0: how many, and the first `max`
 * of them in out. */
static inline int world_node_frames(const world *w, const ln_node *node, uint16_t type,
                                    const world_frame **out, int max)
{
    int n = 0;
    for (int i = 0; i < w->n_tx; i++) {
        const world_frame *f = &w->tx[i];
        if (!f->node || (node && f->node != node) || !world_frame_is(f, NULL, type)) continue;
        if (n < max) out[n] = f;
        n++;
    }
    return n;
}

/* Drops by `node` (NULL: anywhere) at `layer` (WORLD_ANY: any) for `reason`
 * (LN_DROP_NONE: any). */
static inline uint64_t world_node_drops(const world *w, const ln_node *node, int layer,
                                        ln_drop_reason reason)
{
    uint64_t n = 0;
    for (int i = 0; i < w->n_notes; i++) {
        const world_note *e = &w->note[i];
        n += e->type == LN_EV_DROP && (!node || e->node == node) &&
             (layer == WORLD_ANY || (int)e->layer == layer) &&
             (reason == LN_DROP_NONE || e->reason == reason);
    }
    return n;
}

/* ICMP messages `node` (NULL: any) sent of `icmp` (type << 8 | code;
 * WORLD_ANY: any). */
static inline int world_node_icmp_out(const world *w, const ln_node *node, int icmp)
{
    int n = 0;
    for (int i = 0; i < w->n_notes; i++) {
        const world_note *e = &w->note[i];
        n += e->type == LN_EV_ICMP_OUT && (!node || e->node == node) &&
             (icmp == WORLD_ANY || e->icmp == icmp);
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
    free(w->note);
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
