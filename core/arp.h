/* arp.h - ARP (RFC 826) and the neighbour cache.
 *
 * States follow Linux's neighbour subsystem (net/core/neighbour.c), which
 * is what a Linux capture shows:
 *   INCOMPLETE: request broadcast, packets queued; after arp_mcast_solicit
 *               unanswered requests (one per arp_retrans_time) the entry
 *               FAILS: queued packets are dropped and each one's sender gets
 *               ICMP host unreachable.
 *   REACHABLE:  confirmed by a reply; lasts arp_reachable_time.
 *   STALE:      still used to send; the first use starts DELAY.
 *   DELAY:      after arp_delay_first_probe, PROBE.
 *   PROBE:      unicast requests to the cached MAC; a reply makes it
 *               REACHABLE again, arp_ucast_solicit misses make it FAILED.
 *   FAILED:     unusable; the next packet for it restarts INCOMPLETE.
 * Garbage collection, with Linux's sysctls (net.ipv4.neigh.default.*):
 *   periodic:   an entry unused for gc_stale_time while STALE, or FAILED,
 *               is removed, but only while the table holds at least
 *               gc_thresh1 (128) entries; below that it stays (parked,
 *               with no timer) as on Linux, where `ip neigh` keeps STALE
 *               entries of a quiet host for ever.
 *   forced:     a new entry when the table holds gc_thresh3 (1024), or
 *               gc_thresh2 (512) and the last forced run is 5 s old,
 *               first removes FAILED and STALE entries not updated in the
 *               last 5 s, oldest first, down to gc_thresh2; if that frees
 *               nothing at gc_thresh3 the entry is refused ("neighbour
 *               table overflow": ArpTableFulls, and the packet dropped).
 * Static entries are exempt and do not count. */
#ifndef LN_ARP_H
#define LN_ARP_H

#include <stdbool.h>
#include <stdint.h>
#include "pkt.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

typedef enum {
    LN_ARP_NONE, LN_ARP_INCOMPLETE, LN_ARP_REACHABLE, LN_ARP_STALE,
    LN_ARP_DELAY, LN_ARP_PROBE, LN_ARP_FAILED
} ln_arp_state;

typedef struct ln_arp_entry {
    struct ln_arp_entry *next;    /* hash chain */
    struct ln_node *node;
    struct ln_iface *iface;
    uint32_t ip;
    uint8_t mac[6];
    ln_arp_state state;
    bool permanent;               /* set by a script: never aged */
    bool parked;                  /* due for periodic gc, but the table is below
                                   * gc_thresh1: no timer until it is not */
    uint32_t probes;              /* requests sent in this state */
    ln_time confirmed;            /* last reply/confirmation; LN_NEVER if none */
    ln_time updated;              /* last change of state or MAC (locktime) */
    ln_time used;                 /* last lookup that sent a packet */
    ln_timer timer;
    ln_pkt *q_head, *q_tail;      /* packets waiting (data at IP header) */
    uint32_t q_len;
} ln_arp_entry;

typedef struct ln_arp_table {
    ln_arp_entry **buckets;
    uint32_t n_buckets, n;
    uint32_t n_perm;              /* static entries: exempt from gc */
    uint32_t n_parked;
    ln_time last_flush;           /* the last forced gc (Linux tbl->last_flush) */
} ln_arp_table;

const char *ln_arp_state_name(ln_arp_state s);

void ln_arp_init(ln_arp_table *t);
void ln_arp_destroy(ln_arp_table *t);      /* frees queued packets too */

/* Send an IP packet (data at IP header) to next hop `nexthop` through
 * `ifc`, resolving it first if needed.  Consumes pkt. */
void ln_arp_output(struct ln_node *n, struct ln_iface *ifc, uint32_t nexthop, ln_pkt *pkt);
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
/* ifc NULL: the entry on any interface. */
ln_arp_entry *ln_arp_lookup(struct ln_node *n, const struct ln_iface *ifc, uint32_t ip);
void ln_arp_flush(struct ln_node *n, const struct ln_iface *ifc);  /* NULL: all */
/* Visit every entry (for `arp -n`-style listings). */
void ln_arp_foreach(struct ln_node *n, void (*fn)(const ln_arp_entry *e, void *arg), void *arg);

#endif
