/* nd.h - IPv6 neighbour discovery (RFC 4861): the neighbour cache and
 * neighbour solicitation/advertisement (nd.c).
 *
 * The cache has the states of Linux's neighbour subsystem, like ARP's
 * (arp.h), with RFC 4861 7.3.2's names:
 *   INCOMPLETE: NS sent to the solicited-node group, packets queued; after
 *               mcast_solicit (3) unanswered ones, one per retrans_time
 *               (1 s), FAILED: queued packets dropped, their senders told
 *               "address unreachable" (ICMPv6 1/3).
 *   REACHABLE:  confirmed by a solicited advertisement; reachable_time (30 s).
 *   STALE:      learnt from an unsolicited message, or REACHABLE aged;
 *               the first packet sent starts DELAY.
 *   DELAY:      delay_first_probe_time (5 s) for an upper-layer
 *               confirmation, then PROBE.
 *   PROBE:      unicast NS to the cached address; ucast_solicit (3)
 *               misses make it FAILED.
 * The timers are the node's ARP settings: Linux's nd_tbl has the same
 * defaults as arp_tbl (net.ipv6.neigh.default.*).  The table is bounded
 * by gc_thresh3 like ARP's; entries below gc_thresh1 stay for ever, as
 * on Linux (no periodic gc of a small table); past it, STALE and FAILED
 * entries are collected only when a new one needs the room (gc_thresh3),
 * oldest first, down to gc_thresh2. */
#ifndef LN_ND_H
#define LN_ND_H

#include <stdbool.h>
#include <stdint.h>
#include "arp.h"
#include "in6.h"
#include "pkt.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

/* The states are ARP's (ln_arp_state, ln_arp_state_name). */
typedef struct ln_nd_entry {
    struct ln_nd_entry *next;     /* hash chain */
    struct ln_node *node;
    struct ln_iface *iface;
    ln_in6 ip;
    uint8_t mac[6];
    ln_arp_state state;
    bool router;                  /* its advertisements carry the R flag */
    bool permanent;
    uint32_t probes;
    ln_time confirmed, updated, used;
    ln_timer timer;
    ln_pkt *q_head, *q_tail;      /* waiting packets (data at the IPv6 header) */
    uint32_t q_len;
} ln_nd_entry;

typedef struct ln_nd_table {
    ln_nd_entry **buckets;
    uint32_t n_buckets, n;
} ln_nd_table;

void ln_nd_init(ln_nd_table *t);
void ln_nd_destroy(ln_nd_table *t);

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

ln_nd_entry *ln_nd_lookup(struct ln_node *n, const struct ln_iface *ifc, const ln_in6 *ip);
void ln_nd_confirm(struct ln_node *n, const struct ln_iface *ifc, const ln_in6 *ip);
void ln_nd_flush(struct ln_node *n, const struct ln_iface *ifc);   /* NULL: all */
/* Visit the entries in a fixed order (for `ip -6 neigh`-style listings). */
void ln_nd_foreach(struct ln_node *n, void (*fn)(const ln_nd_entry *e, void *arg), void *arg);

/* Parse the options of an ND message (RFC 4861 4.6): false when one has
 * length 0 or runs past the end (7.1.1, 7.1.2: the message is invalid).
 * Fills mac with the source/target link-layer address option of `want`
 * type when present (*has set). */
bool ln_nd_opts_lladdr(const uint8_t *opt, uint32_t len, uint8_t want, uint8_t mac[6], bool *has);

#endif
