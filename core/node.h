/* node.h - hosts and routers, their interfaces, and the ports that links
 * attach to.
 *
 * A host and a router are the same structure; a router has forwarding on.
 * Each node owns its interfaces and its whole stack instance: ARP table,
 * routing table, IP identification counter, reassembly queues, protocol
 * handlers, counters and settings.  Nothing in a node points into another
 * node: nodes talk only through links (see DESIGN.md, "Beyond one machine").
 *
 * A port is where a link attaches.  An interface embeds one; a switch has
 * one per link.  A link delivers a frame by calling the far port's rx. */
#ifndef LN_NODE_H
#define LN_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include "arp.h"
#include "mib.h"
#include "net.h"
#include "addr.h"
#include "port.h"
#include "route.h"

struct ln_ip_info;
struct ln_icmp_sock;
struct ln_reasm;
struct ln_icmp_state;
struct ln_tcp_stack;
struct ln_udp_stack;
struct ln_ip6;
struct ln_ip6_if;

typedef struct ln_iface_stats {
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
    uint64_t tx_packets, tx_bytes, tx_dropped;
} ln_iface_stats;

typedef struct ln_iface {
    ln_port port;
    struct ln_node *node;
    uint32_t index;               /* 0-based position in node->ifaces */
    char name[16];                /* "eth0" */
    uint8_t mac[6];
    uint32_t addr;                /* host byte order; valid when plen <= 32 */
    uint8_t plen;                 /* prefix length; LN_NO_ADDR when unset */
    uint32_t mtu;                 /* IP MTU, default 1500 */
    bool up;
    bool promisc;
    ln_iface_stats st;
    struct ln_igmp_if *igmp;      /* multicast groups, owned by igmp.c; NULL: none */
    struct ln_ip6_if *ip6;        /* IPv6 addresses etc., owned by ip6_addr.c;
                                   * NULL: IPv6 off on this interface */
} ln_iface;


/* Per-node settings, named after the Linux sysctls where one exists. */
typedef struct ln_node_cfg {
    uint8_t ip_default_ttl;       /* net.ipv4.ip_default_ttl = 64 */
    ln_time ipfrag_time;          /* net.ipv4.ipfrag_time = 30 s */
    uint32_t ipfrag_high_thresh;  /* bytes held by reassembly queues, 4 MiB */
    ln_time arp_reachable_time;   /* neigh base_reachable_time = 30 s */
    ln_time arp_retrans_time;     /* neigh retrans_time = 1 s */
    ln_time arp_gc_stale_time;    /* neigh gc_stale_time = 60 s */
    ln_time arp_delay_first_probe;/* neigh delay_first_probe_time = 5 s */
    uint32_t arp_mcast_solicit;   /* broadcast requests before failing = 3 */
    uint32_t arp_ucast_solicit;   /* unicast probes of a stale entry = 3 */
    uint32_t arp_unres_qlen;      /* packets queued per unresolved entry */
    uint32_t arp_gc_thresh1;      /* neigh gc_thresh1 = 128: periodic gc below it: none */
    uint32_t arp_gc_thresh2;      /* gc_thresh2 = 512: forced gc at most every 5 s */
    uint32_t arp_gc_thresh3;      /* gc_thresh3 = 1024: the table's hard limit */
    bool arp_accept;              /* create entries from gratuitous ARP */
    bool icmp_echo_ignore_all;    /* net.ipv4.icmp_echo_ignore_all = 0 */
    ln_time icmp_ratelimit;       /* net.ipv4.icmp_ratelimit = 1000 ms: one
                                   * error per destination per that, six deep */
    uint32_t icmp_ratemask;       /* net.ipv4.icmp_ratemask = 0x1818: the types
                                   * limited (unreachable, source quench, time
                                   * exceeded, parameter problem) */
    uint32_t icmp_msgs_per_sec;   /* net.ipv4.icmp_msgs_per_sec = 1000 */
    uint32_t icmp_msgs_burst;     /* net.ipv4.icmp_msgs_burst = 50 */
    uint16_t port_lo, port_hi;    /* net.ipv4.ip_local_port_range = 32768 60999:
                                   * an inet setting, TCP's and UDP's ephemeral ports */
    /* IPv6 (net.ipv6.conf.default.*; neighbour timers are the ARP ones
     * above, as Linux's nd_tbl has arp_tbl's defaults) */
    uint8_t ip6_hop_limit;        /* hop_limit = 64 */
    bool ip6_accept_ra;           /* accept_ra = 1 (ignored while forwarding) */
    bool ip6_autoconf;            /* autoconf = 1: SLAAC from prefix information */
    uint32_t ip6_dad_transmits;   /* dad_transmits = 1 */
    uint32_t ip6_rtr_solicits;    /* router_solicitations: 3 (see ra.c) */
    ln_time ip6_rtr_solicit_interval; /* router_solicitation_interval = 4 s */
    ln_time ip6_rtr_solicit_delay;    /* router_solicitation_delay = 1 s */
    ln_time ip6frag_time;         /* net.ipv6.ip6frag_time = 60 s */
    ln_time ip6_mtu_expires;      /* net.ipv6.route.mtu_expires = 600 s */
    bool icmp6_echo_ignore_all;   /* net.ipv6.icmp.echo_ignore_all = 0 */
    ln_time icmp6_ratelimit;      /* net.ipv6.icmp.ratelimit = 1000 ms (its
                                   * ratemask is Linux's default, fixed: every
                                   * error but Packet Too Big) */
} ln_node_cfg;

/* Handler for an IP protocol delivered locally.  pkt->data is at the
 * transport header (the IP header sits just before it); consumes pkt. */
typedef void (*ln_ip_proto_fn)(struct ln_node *n, ln_pkt *pkt,
                               const struct ln_ip_info *ip);

#define LN_NODE_MAX_PROTOS 8       /* handlers per node: ICMP, IGMP, TCP, UDP so far */

typedef struct ln_node {
    ln_net *net;
    uint32_t id;                  /* creation order */
    uint32_t actor;               /* scheduler actor id (sim.h), from the
                                   * creation order of nodes and switches */
    char name[32];
    bool forwarding;              /* router */
    ln_iface **ifaces; uint32_t n_ifaces;
    /* Every datagram asks "is this for me, or a broadcast of mine?", on
     * the way in and on the way out: the answers come from one compact
     * list of the node's addresses and directed broadcasts (ln_addr4,
     * rebuilt on every address change) rather than from a walk over the
     * interfaces; a router with many interfaces finds them by hash
     * (addr_idx: slot = index in a4 + 1, 0 for none; NULL while a scan of
     * the list is quicker). */
    struct ln_addr4 *a4; uint32_t n_a4;
    uint32_t *addr_idx; uint32_t addr_mask;
    ln_rng rng;                   /* "node:<name>" */
    ln_node_cfg cfg;
    ln_rtable routes;
    ln_neigh_table arp;
    struct ln_reasm *reasm;       /* reassembly queues, owned by ip_frag.c */
    uint16_t ip_id;               /* next IP identification */
    uint8_t proto_slot[256];      /* IP protocol -> 1 + index in proto_fn; 0: none.
                                   * A byte per protocol, not a pointer: a host
                                   * registers four, and it is 1.8 KB per node */
    ln_ip_proto_fn proto_fn[LN_NODE_MAX_PROTOS];
    uint8_t n_protos;             /* slots taken (a slot stays its protocol's) */
    struct ln_icmp_sock *icmp_socks; /* list owned by icmp.c */
    struct ln_icmp_state *icmp;   /* rate limits etc., owned by icmp.c */
    struct ln_tcp_stack *tcp;     /* owned by tcp.c */
    struct ln_udp_stack *udp;     /* owned by udp.c */
    struct ln_ip6 *ip6;           /* IPv6 stack, owned by ipv6.c; NULL: IPv6 off */
    struct ln_fw *fw;             /* packet filter rules, owned by firewall.c; NULL: none */
    struct ln_ic_chain *ic[2];    /* interception hooks on input (LN_IC_IN) and output
                                   * (LN_IC_OUT), owned by intercept.c; NULL: none */
    uint64_t *mib;                /* LN_MIB__COUNT counters, read as mib[i];
                                   * ln_mib_none until the first count (mib.h) */
    uint64_t *drops;              /* drops of this node's packets (ln_net_drop's
                                   * node), whoever's event made them: read as
                                   * drops[r]; ln_drops_none until the first
                                   * (actor.h) */
    ln_actor_counts counts;       /* this actor's share of the network's counters
                                   * (actor.h), written only by its own events */
    void *ud;                     /* owned by the Lua binding */
} ln_node;

/* The node's own counters, to write: made on the first count. */
uint64_t *ln_node_mib_alloc(ln_node *n);
static inline uint64_t *ln_node_mib(ln_node *n)
{
    return n->mib != ln_mib_none ? n->mib : ln_node_mib_alloc(n);
}

/* Create a host (forwarding off) or router (on) named `name`; the name must
 * be unique in the network.  Returns NULL and fills err on failure. */
ln_node *ln_node_new(ln_net *net, const char *name, bool forwarding,
                     char *err, size_t errlen);
void ln_node_free(ln_node *n);
void ln_node_cfg_default(ln_node_cfg *cfg);

/* Add an interface named `name` (NULL: "eth<N>") with the next
 * deterministic MAC (02:00:00:xx:xx:xx, locally administered). */
ln_iface *ln_iface_new(ln_node *n, const char *name, char *err, size_t errlen);
ln_iface *ln_node_iface(const ln_node *n, const char *name);
/* Set (or with plen == LN_NO_ADDR clear) the address; installs or removes
 * the connected route. */
int ln_iface_set_addr(ln_iface *ifc, uint32_t addr, uint8_t plen);
/* Asked for inside an event subscriber, takes effect after the current
 * event (ln_net_defer). */
void ln_iface_set_up(ln_iface *ifc, bool up);
/* Hand a finished frame to the attached link (consumes); counts tx.
 * Runs the firewall's OUT hook, then the node's interception hooks. */
void ln_iface_xmit(ln_iface *ifc, ln_pkt *frame);
/* The rest of ln_iface_xmit past the interception hooks (intercept.c
 * resumes the frames they let go here).  Consumes frame. */
void ln_iface_xmit_cont(ln_iface *ifc, ln_pkt *frame);
/* One of the node's IPv4 addresses (LN_A4_LOCAL) or the directed
 * broadcast address of one of its subnets (LN_A4_BCAST); the interface's
 * index is in the low bits. */
typedef struct ln_addr4 {
    uint32_t addr;
    uint32_t tag;                 /* LN_A4_LOCAL or LN_A4_BCAST | ifindex */
} ln_addr4;
#define LN_A4_LOCAL 0u
#define LN_A4_BCAST 0x80000000u

typedef enum { LN_ADDR_OTHER, LN_ADDR_LOCAL, LN_ADDR_BCAST } ln_addr_class;
/* What addr is to the node, in one look: one of its own addresses, a
 * subnet's directed broadcast address (/31 and /32 have none, RFC 3021),
 * or neither.  Only the interfaces' addresses: loopback and the limited
 * broadcast are the caller's (ln_ip_is_local, ln_ip_is_bcast).  An
 * address that is both ours and a broadcast of another subnet is ours. */
ln_addr_class ln_node_addr_class(const ln_node *n, uint32_t addr);
/* A datagram the node sends itself (data at its IP header, IPv4 or IPv6):
 * to its own IP input as a separate event at the same instant.  Consumes
 * p. */
void ln_node_loopback(ln_node *n, ln_pkt *p);
/* True if addr is one of the node's own addresses. */
bool ln_node_has_addr(const ln_node *n, uint32_t addr);
/* The interface holding addr (the lowest index if several do), or NULL. */
ln_iface *ln_node_iface_by_addr(const ln_node *n, uint32_t addr);

#endif
