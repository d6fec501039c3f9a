/* net.h - the network: one scheduler, one packet pool, the nodes, links and
 * switches that live in it, and the event stream they all report to.
 *
 * Every piece of state hangs off an ln_net: there are no globals, so any
 * number of networks can live in one process (the test harness gives each
 * test a fresh one). */
#ifndef LN_NET_H
#define LN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "actor.h"
#include "event.h"
#include "pkt.h"
#include "rand.h"
#include "sim.h"
#include "slab.h"

struct ln_net;
struct ln_node;
struct ln_link;
struct ln_switch;
struct ln_capture;
struct ln_port;

typedef struct ln_sub {
    uint32_t mask;
    int id;              /* 0 for a free slot */
    ln_ev_fn fn;
    void *arg;
    struct ln_link *link;   /* only this link's events, or NULL */
    struct ln_port *port;   /* only this port's events, or NULL */
    ln_sublist *home;       /* the list that holds it (net.c), NULL for a free slot;
                             * set with id 0: gone during an emit, listed until
                             * the outermost one ends */
} ln_sub;

/* A change asked for inside an event subscriber, run after the event
 * (ln_net_defer); data is the caller's bytes, copied. */
typedef void (*ln_defer_fn)(struct ln_net *net, const void *data);
typedef struct ln_deferred { ln_defer_fn fn; void *data; } ln_deferred;

/* Something the network frees when it is freed (ln_net_own). */
typedef void (*ln_finalizer)(void *obj);
typedef struct ln_owned { void *obj; ln_finalizer fin; uint8_t stage; } ln_owned;
/* Stages, run in this order once every timer is disarmed: what hangs off
 * nodes and links (interception hooks) goes before them. */
enum { LN_OWN_HOOKS, LN_OWN_OBJECTS, LN_OWN__STAGES };

typedef struct ln_net {
    ln_sim sim;
    uint64_t seed;
    ln_pktpool *pool;
    ln_slab tcp_socks;             /* every node's TCP sockets (slab.h) */
    ln_slab tcp_reqs, tcp_reqs6;   /* their connection requests, IPv4 and IPv6
                                    * (tcp_listen.c) */
    ln_slab link_slab;             /* every link (link.c) */
    ln_slab txbook_slab;           /* links' rings of booked frames while they
                                    * hold two (link.c) */
    uint32_t n_actors;             /* actor ids given out (sim.h): nodes and
                                    * switches from 1, in creation order */
    ln_actor_counts counts;        /* the network's own share (actor 0) */
    ln_actor_counts **actors;      /* every actor's share, by actor id (NULL
                                    * for an id whose creation failed) */
    uint32_t cap_actors;

    struct ln_node **nodes;   uint32_t n_nodes, cap_nodes;
    struct ln_link **links;   uint32_t n_links, cap_links;
    struct ln_switch **switches; uint32_t n_switches, cap_switches;
    /* Nodes and switches by name (they share one name space): open
     * addressing, never more than half full; a node's entry holds its
     * index in nodes, a switch's LN_NAME_SWITCH | its index. */
    uint32_t *names; uint32_t names_mask, n_names;

    ln_sub *subs;  uint32_t n_subs, cap_subs;   /* by slot; free slots reused */
    ln_sublist wide_subs;          /* those of no link or port with a link (net.c) */
    int next_sub_id;
    uint32_t ev_mask;              /* union of subscriber masks */
    uint32_t wide_mask;            /* TX and QUEUE bits of subscribers that watch
                                    * every link (link.c books no frame while set) */
    uint32_t emitting;             /* subscribers running (nested emits) */
    uint32_t n_unlisted;           /* slots gone during an emit, still listed (ln_sub.home) */
    ln_deferred *deferred; uint32_t n_deferred, cap_deferred;   /* ln_net_defer */
    bool draining;                 /* running the deferred changes */
    ln_timer defer_timer;          /* runs them when asked outside any event */

    uint32_t mac_seq;              /* next MAC address suffix */
    uint64_t topo_gen;             /* bumped by every new node, interface or
                                    * address: lets observers cache lookups */
    struct ln_capture **caps; uint32_t n_caps, cap_caps;  /* open captures */
    struct ln_dist *dist;          /* split across processes (dist.h), or NULL */
    struct ln_ic_set *ic;          /* interception hooks, owned by intercept.c */
    ln_owned *owned; uint32_t n_owned, cap_owned;   /* ln_net_own */
    uint32_t trace_mask;           /* debug trace: 1 << ln_trace_sub (trace.h) */
    void (*trace_fn)(const char *line, void *arg);   /* NULL: stderr */
    void *trace_arg;
} ln_net;

ln_net *ln_net_new(uint64_t seed);
/* Frees nodes, links, switches, captures' subscriptions and all packets. */
void ln_net_free(ln_net *net);

static inline ln_time ln_net_now(const ln_net *net) { return net->sim.now; }

/* Subscribe to the event types in `mask`; returns an id > 0, or LN_ENOMEM. */
int  ln_net_subscribe(ln_net *net, uint32_t mask, ln_ev_fn fn, void *arg);
/* The same for the events of one link (ev->link) or one port (ev->port)
 * alone: fn sees no other.  A capture of one link watches its frames
 * start (TX), and the other links go on booking theirs (link.c). */
int  ln_net_subscribe_on(ln_net *net, uint32_t mask, ln_ev_fn fn, void *arg,
                         struct ln_link *link, struct ln_port *port);
void ln_net_unsubscribe(ln_net *net, int id);
static inline bool ln_net_wants(const ln_net *net, ln_ev_type t)
{
    return (net->ev_mask & LN_EV_MASK(t)) != 0;
}
/* Deliver to subscribers; ev->time is filled in here. */
void ln_net_emit(ln_net *net, ln_event *ev);

/* Subscribers observe.  A change to the network asked for while one runs
 * (a link taken down in a hook) must not happen under the feet of the code
 * that emitted the event, nor depend on where that code was: the change
 * runs after the current event, before the next one, in the order asked
 * (asked outside any scheduler event, as the next event at this instant).
 * Outside subscribers fn runs at once.  data (len bytes) is copied. */
void ln_net_defer(ln_net *net, ln_defer_fn fn, const void *data, size_t len);
static inline bool ln_net_observing(const ln_net *net) { return net->emitting != 0; }

/* The running actor's share of the network's counters (actor.h): where an
 * event adds to a whole-network total. */
static inline ln_actor_counts *ln_net_counts(ln_net *net)
{
    return net->actors[ln_sim_actor(&net->sim)];
}

/* Discard a packet: count it (the running actor's share of the network's
 * totals, and node's own when given), emit DROP when anybody listens, free
 * it.  Consumes pkt (NULL allowed: count only). */
void ln_net_drop(ln_net *net, struct ln_node *node, struct ln_iface *iface,
                 ln_pkt *pkt, ln_layer layer, ln_drop_reason reason);
/* Drops in the whole network, by reason: every actor's share summed into
 * out[LN_DROP__COUNT]; and one reason's total. */
void ln_net_drops(const ln_net *net, uint64_t *out);
uint64_t ln_net_drop_total(const ln_net *net, ln_drop_reason reason);

/* A fresh packet with a new trace id (pkt.h): the running actor's and its
 * next count (see ln_pkt_alloc). */
ln_pkt *ln_net_pkt(ln_net *net, uint32_t len);

/* The next actor id (sim.h): every node and switch takes one when it is
 * created, so ids follow the script, never the run.  0 when none is left
 * (trace ids hold the actor in LN_PKT_ID_ACTOR_MAX). */
static inline uint32_t ln_net_new_actor(ln_net *net)
{
    return net->n_actors < LN_PKT_ID_ACTOR_MAX ? ++net->n_actors : 0;
}

/* Split the network (dist.h): from now on this process runs only its own
 * actors' events.  The network owns d (NULL: whole again). */
void ln_net_set_dist(ln_net *net, struct ln_dist *d);
/* Is the actor's state this process's to run (always, unsplit)? */
bool ln_net_local(const ln_net *net, uint32_t actor);

/* Lookup by name; NULL when absent (node.c). */
struct ln_node *ln_net_node(const ln_net *net, const char *name);
/* The switch named name, or NULL; in constant time, as ln_net_node. */
struct ln_switch *ln_net_switch(const ln_net *net, const char *name);
/* Is name taken by a node or a switch? */
bool ln_net_name_taken(const ln_net *net, const char *name);

/* The network frees obj with fin when it is freed, at the given stage,
 * in the order of registration: how nodes, links, switches and hooks are
 * torn down without net.c knowing their types.  0 or LN_ENOMEM. */
int ln_net_own(ln_net *net, void *obj, ln_finalizer fin, int stage);

/* Registration, used by the constructors in node.c, link.c, switch.c:
 * listed (for lookups) and owned (freed with fin); a node's or switch's
 * counters (actor.h) reachable by its actor id.  0, or LN_ENOMEM with
 * nothing registered. */
int ln_net_add_node(ln_net *net, struct ln_node *n, ln_finalizer fin);
int ln_net_add_link(ln_net *net, struct ln_link *l, ln_finalizer fin);
int ln_net_add_switch(ln_net *net, struct ln_switch *s, ln_finalizer fin);
int ln_net_add_capture(ln_net *net, struct ln_capture *c);
void ln_net_remove_capture(ln_net *net, struct ln_capture *c);
/* Flush every open capture (end of a run, error, interrupt). */
void ln_net_flush_captures(ln_net *net);

#endif
