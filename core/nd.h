/* nd.h - IPv6 neighbour discovery (RFC 4861): neighbour solicitation and
 * advertisement as IPv6's family of the neighbour table (neigh.h).
 *
 * The table is the node's ip6->nd, with the states of Linux's neighbour
 * subsystem (RFC 4861 7.3.2's names) and the node's ARP timers and
 * thresholds: Linux's nd_tbl has arp_tbl's defaults
 * (net.ipv6.neigh.default.*).  What is ND's own: the NS to the
 * solicited-node group while INCOMPLETE and unicast while PROBE, the
 * NA's router/solicited/override flags and RFC 4861 7.2.5's rules for
 * them, DAD (with ip6_addr.c), and "address unreachable" (ICMPv6 1/3)
 * to the senders of packets left queued when resolution fails. */
#ifndef LN_ND_H
#define LN_ND_H

#include <stdbool.h>
#include <stdint.h>
#include "neigh.h"
#include "in6.h"
#include "pkt.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

void ln_nd_init(struct ln_node *n, ln_neigh_table *t);
void ln_nd_destroy(ln_neigh_table *t);

/* Send an IPv6 packet (data at its header) to `nexthop` through ifc,
 * resolving it first (multicast maps to 33:33:...).  Consumes pkt. */
void ln_nd_output(struct ln_node *n, struct ln_iface *ifc, const ln_in6 *nexthop, ln_pkt *pkt);

/* A neighbour solicitation or advertisement arrived: pkt->data at the
 * ICMPv6 header, checksum and hop limit already checked (icmp6.c).
 * Consumes pkt.  src/dst are the IPv6 header's. */
void ln_nd_input(struct ln_node *n, struct ln_iface *ifc, ln_pkt *pkt,
                 const ln_in6 *src, const ln_in6 *dst);
/* Send a neighbour solicitation for target from src (unspecified: a DAD
 * probe), to dst (the solicited-node group or the neighbour). */
void ln_nd_send_ns(struct ln_iface *ifc, const ln_in6 *src, const ln_in6 *target,
                   const ln_in6 *dst);
/* What a router advertisement or a redirect says about its sender:
 * its link-layer address (STALE unless known) and that it is a router. */
void ln_nd_learn(struct ln_node *n, struct ln_iface *ifc, const ln_in6 *ip, const uint8_t mac[6],
                 bool router);

/* Its address is e->ip6. */
ln_neigh *ln_nd_lookup(struct ln_node *n, const struct ln_iface *ifc, const ln_in6 *ip);
void ln_nd_confirm(struct ln_node *n, const struct ln_iface *ifc, const ln_in6 *ip);
void ln_nd_flush(struct ln_node *n, const struct ln_iface *ifc);   /* NULL: all */
/* Visit the entries in a fixed order (for `ip -6 neigh`-style listings). */
void ln_nd_foreach(struct ln_node *n, void (*fn)(const ln_neigh *e, void *arg), void *arg);

/* Parse the options of an ND message (RFC 4861 4.6): false when one has
 * length 0 or runs past the end (7.1.1, 7.1.2: the message is invalid).
 * Fills mac with the source/target link-layer address option of `want`
 * type when present (*has set). */
bool ln_nd_opts_lladdr(const uint8_t *opt, uint32_t len, uint8_t want, uint8_t mac[6], bool *has);

#endif
