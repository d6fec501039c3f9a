/* igmp.h - multicast group membership of a host's interfaces, and IGMPv3
 * (RFC 3376) to tell the routers about it, after Linux's net/ipv4/igmp.c.
 *
 * Membership is per interface and counted: every socket that joins a group
 * on an interface adds a user; the group stays joined until the last one
 * leaves.  224.0.0.1 (all hosts) is always joined and never reported
 * (RFC 3376 6: no reports for it).  A membership opens two filters:
 * the Ethernet one (ln_eth_input accepts 01:00:5e + the group's low 23
 * bits, RFC 1112 6.4) and the IP one (ln_ip_input delivers the group's
 * datagrams).  Which sockets get a datagram is UDP's business (udp.c).
 *
 * Joining or leaving sends a state-change report (CHANGE_TO_EXCLUDE_MODE
 * or CHANGE_TO_INCLUDE_MODE with no sources, i.e. any-source multicast) to
 * 224.0.0.22 with TTL 1 and the Router Alert option, at once and once
 * more within the unsolicited report interval (1 s), the robustness
 * variable being 2, as Linux does.  A Version 3 query is answered with a
 * current-state report (MODE_IS_EXCLUDE) after a random delay below its
 * maximum response time.  Version 1 and 2 queries and every report heard
 * from others are read and ignored: lunet speaks IGMPv3 only, and with no
 * multicast router in lunet nothing ever needs the older versions. */
#ifndef LN_IGMP_H
#define LN_IGMP_H

#include <stdbool.h>
#include <stdint.h>

struct ln_node;
struct ln_iface;

#define LN_MC_ALL_HOSTS     0xe0000001u   /* 224.0.0.1 */
#define LN_MC_IGMPV3_ROUTERS 0xe0000016u  /* 224.0.0.22 */
/* Linux's net.ipv4.igmp_max_memberships: groups one socket may join. */
#define LN_MC_MAX_MEMBERSHIPS 20

/* RFC 1112 6.4: the Ethernet address a group's datagrams are sent to. */
void ln_mc_mac(uint32_t group, uint8_t mac[6]);

/* Register IGMP (protocol 2) on n; the node frees the rest with its
 * interfaces (ln_igmp_iface_free). */
void ln_igmp_attach(struct ln_node *n);

/* One more user of group on ifc: 0, or LN_EINVAL (not a multicast
 * address), LN_ENOMEM.  The first user makes the interface a member and
 * reports it. */
int ln_igmp_join(struct ln_iface *ifc, uint32_t group);
/* One user less: 0, or LN_EADDRNOTAVAIL if ifc has no such membership.
 * The last one leaving reports it. */
int ln_igmp_leave(struct ln_iface *ifc, uint32_t group);

/* True if ifc receives group's datagrams (224.0.0.1 always). */
bool ln_igmp_member(const struct ln_iface *ifc, uint32_t group);
/* True if ifc's Ethernet filter passes the group MAC address mac. */
bool ln_igmp_mac_member(const struct ln_iface *ifc, const uint8_t mac[6]);

/* The groups joined on ifc, in address order, with their user counts
 * (224.0.0.1 first, with 0 users: the kernel's own).  Stops early if fn
 * returns false. */
void ln_igmp_foreach(const struct ln_iface *ifc,
                     bool (*fn)(uint32_t group, uint32_t users, void *arg), void *arg);

/* The interface came up: report every group again (Linux ip_mc_up). */
void ln_igmp_iface_up(struct ln_iface *ifc);
/* Forget every membership of ifc, cancelling pending reports. */
void ln_igmp_iface_free(struct ln_iface *ifc);

#endif
