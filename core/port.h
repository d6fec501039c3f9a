/* port.h - where a link attaches: an interface of a node, or a port of a
 * switch.
 *
 * A link knows only ports: it hands a frame that arrived to port->rx and
 * reads the port's name for events.  The kind says which object owns the
 * port, so that whoever needs the node or the switch behind it (events,
 * the Lua binding, the livelock report) asks one question in one way. */
#ifndef LN_PORT_H
#define LN_PORT_H

#include "pkt.h"

struct ln_port;
struct ln_link;
struct ln_linkdir;

typedef void (*ln_port_rx_fn)(struct ln_port *port, ln_pkt *frame);  /* consumes */

/* LN_PORT_EXT: the far end of a bridge to a real network (ext.h). */
typedef enum { LN_PORT_IFACE, LN_PORT_SWITCH, LN_PORT_EXT } ln_port_kind;

typedef struct ln_port {
    ln_port_rx_fn rx;
    ln_port_kind kind;
    void *owner;                  /* ln_iface *, ln_switch * or ln_ext *, as kind says */
    uint32_t actor;               /* the node's or switch's actor id (sim.h):
                                   * what a link's half at this port runs as */
    struct ln_link *link;         /* attached link, or NULL */
    struct ln_linkdir *out;       /* direction this port transmits into */
    char name[48];                /* "h1.eth0", "sw1.p3" */
} ln_port;

/* The interface behind p, or NULL for a switch port (or no port). */
static inline struct ln_iface *ln_port_iface(const ln_port *p)
{
    return p && p->kind == LN_PORT_IFACE ? (struct ln_iface *)p->owner : NULL;
}

#endif
