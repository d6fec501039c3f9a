/* event.h - the event stream: one feed of everything that happens.
 *
 * Links emit TX when a frame starts onto the wire and RX when its last bit
 * arrives; every layer that discards a packet emits DROP with a reason.
 * Captures, counters in Lua, ladder diagrams and assertions subscribe here
 * instead of re-deriving what the engine already knows.
 *
 * Emitting is cheap when nobody listens: ln_net_wants() is a mask test, and
 * callers check it before building an event. */
#ifndef LN_EVENT_H
#define LN_EVENT_H

#include <stdint.h>
#include "sim.h"
#include "drop.h"
#include "pkt.h"

typedef enum {
    LN_EV_TX,          /* frame starts serialization on a link direction */
    LN_EV_RX,          /* frame fully received at the far port */
    LN_EV_DROP,        /* a packet was discarded; see reason */
    LN_EV_LINK,        /* a link direction went up or down (value = up) */
    LN_EV_ARP,         /* ARP entry change (value = new state) */
    LN_EV_ICMP_OUT,    /* an ICMP message was generated (value = type<<8|code) */
    LN_EV_TCP_STATE,   /* value = old state, value2 = new state, text = new name */
    LN_EV_TCP_CWND,    /* value = cwnd, value2 = ssthresh (segments), text = why */
    LN_EV_TIMER,       /* a TCP timer fired: text = "rto", "persist", ... value = backoff;
                        * "rto": value2 = the timeout armed next (ns), 0 if none */
    LN_EV_USER,        /* emitted by scripts */
    LN_EV_TCP_RTT,     /* an RTT sample: value = sample, value2 = new SRTT, value3 = new RTO (ns) */
    LN_EV_QUEUE,       /* a link direction's waiting queue changed: value = frames,
                        * value2 = bytes waiting (not the one being serialized) */
    LN_EV__COUNT
} ln_ev_type;

#define LN_EV_MASK(t) (1u << (t))
#define LN_EV_ALL     ((1u << LN_EV__COUNT) - 1)

const char *ln_ev_type_name(ln_ev_type t);

/* What pkt->data points at in an event. */
typedef enum { LN_LAYER_NONE, LN_LAYER_L2, LN_LAYER_L3, LN_LAYER_L4 } ln_layer;

struct ln_node;
struct ln_iface;
struct ln_port;
struct ln_link;

/* A transport flow as the event's subject sees it (local = src). */
typedef struct ln_flow {
    uint32_t src, dst;            /* host byte order (IPv4) */
    uint16_t sport, dport;
    uint8_t proto;
    const struct ln_in6 *src6, *dst6;  /* IPv6: the addresses (borrowed for
                                        * the event), src and dst unused */
} ln_flow;

typedef struct ln_event {
    ln_ev_type type;
    ln_time time;
    struct ln_node *node;      /* host or router involved, or NULL */
    struct ln_iface *iface;    /* interface involved, or NULL */
    struct ln_port *port;      /* TX: sending port, RX: receiving port */
    struct ln_link *link;      /* link involved (DROP: dropped by the link), or NULL */
    int dir;                   /* link direction 0 (a->b) or 1 (b->a) */
    const ln_pkt *pkt;         /* borrowed, may be NULL */
    ln_layer layer;            /* what pkt->data points at */
    ln_drop_reason reason;     /* DROP */
    int64_t value;             /* type-specific */
    int64_t value2;            /* type-specific */
    int64_t value3;            /* type-specific */
    const char *text;          /* type-specific, may be NULL */
    const void *obj;           /* type-specific object (a TCP socket), or NULL */
    ln_flow flow;              /* TCP events: the connection, local side first */
} ln_event;

typedef void (*ln_ev_fn)(const ln_event *ev, void *arg);

/* Subscribers an event may concern, as slots of the network's table, in
 * the order they came (net.c): the network-wide ones, or one link's. */
typedef struct ln_sublist {
    uint32_t *v;
    uint32_t n, cap;
} ln_sublist;

#endif
