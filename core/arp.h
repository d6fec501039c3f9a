/* arp.h - ARP (RFC 826): IPv4's family of the neighbour table.
 *
 * The table, its states (Linux's NUD states), timers, queue and garbage
 * collection are neigh.h's; the table is the node's `arp`, with Linux's
 * arp_tbl settings (the node's arp_* settings, net.ipv4.neigh.default.*).
 * Its counters are the Arp* MIB entries: a full table counts
 * ArpTableFulls ("neighbour table overflow") and drops the packet. */
#ifndef LN_ARP_H
#define LN_ARP_H

#include <stdbool.h>
#include <stdint.h>
#include "neigh.h"
#include "pkt.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

void ln_arp_init(struct ln_node *n);
void ln_arp_destroy(struct ln_node *n);     /* frees queued packets too */

/* Send an IP packet (data at IP header) to next hop `nexthop` through
 * `ifc`, resolving it first if needed.  Consumes pkt. */
const void *ln_arp_output(struct ln_node *n, struct ln_iface *ifc, uint32_t nexthop, ln_pkt *pkt);
/* ARP frame arrived on ifc (data at the ARP header).  Consumes pkt. */
void ln_arp_input(struct ln_node *n, struct ln_iface *ifc, ln_pkt *pkt);
/* Broadcast a gratuitous ARP request for ifc's own address. */
int ln_arp_gratuitous(struct ln_iface *ifc);
/* Static or script-set entry (state REACHABLE, never aged when permanent).
 * ifc NULL: the interface of the route to ip. */
int ln_arp_set(struct ln_node *n, struct ln_iface *ifc, uint32_t ip, const uint8_t mac[6]);
/* A dynamic entry, REACHABLE as if ip had just answered (ages and may be
 * collected like a learnt one); a static entry for ip is left alone.
 * LN_ENOBUFS when the table is full. */
int ln_arp_learn(struct ln_node *n, struct ln_iface *ifc, uint32_t ip, const uint8_t mac[6]);
/* Forward-progress hint from an upper layer (Linux dst_confirm /
 * neigh_confirm, e.g. TCP seeing new data acknowledged): marks the entry
 * confirmed, so DELAY returns to REACHABLE without probing. */
void ln_arp_confirm(struct ln_node *n, const struct ln_iface *ifc, uint32_t ip);
/* ifc NULL: the entry on any interface.  Its address is e->ip. */
ln_neigh *ln_arp_lookup(struct ln_node *n, const struct ln_iface *ifc, uint32_t ip);
void ln_arp_flush(struct ln_node *n, const struct ln_iface *ifc);  /* NULL: all */
/* Visit every entry (for `arp -n`-style listings). */
void ln_arp_foreach(struct ln_node *n, void (*fn)(const ln_neigh *e, void *arg), void *arg);

#endif
