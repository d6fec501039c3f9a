/* udp.h - UDP sockets (RFC 768, RFC 1122 4.1).
 *
 * bind, sendto/recvfrom, connect (filters what is received and lets ICMP
 * errors reach the socket, as Linux reports them only to connected UDP
 * sockets: a port unreachable becomes LN_ECONNREFUSED on the next call),
 * broadcast (needs the broadcast option, as SO_BROADCAST), multicast
 * (sending needs nothing; receiving needs a membership, ln_udp_join).  Checksums are
 * verified on input (a zero checksum means none, RFC 768) and always
 * computed on output.  Closed ports get ICMP port unreachable.
 *
 * Datagrams queue on the socket up to its receive buffer (bytes); beyond
 * that they are dropped and counted (UdpRcvbufErrors). */
#ifndef LN_UDP_H
#define LN_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "in6.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

typedef struct ln_udp_sock ln_udp_sock;

#define LN_UDP_EV_READABLE 0x01u
#define LN_UDP_EV_ERROR    0x10u

typedef void (*ln_udp_notify_fn)(ln_udp_sock *s, unsigned events, void *arg);

ln_udp_sock *ln_udp_socket(struct ln_node *n);
void ln_udp_set_notify(ln_udp_sock *s, ln_udp_notify_fn fn, void *arg);
/* addr 0 = any; port 0 = ephemeral.  LN_EADDRINUSE unless both sockets
 * set SO_REUSEADDR. */
int ln_udp_bind(ln_udp_sock *s, uint32_t addr, uint16_t port);
/* Set the peer (binds an ephemeral port and the route's source address
 * if needed); addr 0 dissolves the association (AF_UNSPEC). */
int ln_udp_connect(ln_udp_sock *s, uint32_t addr, uint16_t port);
/* dst 0 with a connected socket: send to the peer.  Returns bytes sent or
 * LN_EMSGSIZE, LN_ENETUNREACH, LN_EACCES-like LN_EINVAL for a broadcast
 * without the option, LN_ECONNREFUSED (pending error). */
int64_t ln_udp_sendto(ln_udp_sock *s, const void *data, size_t len, uint32_t dst, uint16_t port);
/* Next datagram: bytes copied (truncated to len, like recvfrom), or
 * LN_EAGAIN, or a pending error.  src/port may be NULL.  *full_len gets the
 * datagram's real size when not NULL. */
int64_t ln_udp_recvfrom(ln_udp_sock *s, void *buf, size_t len, uint32_t *src, uint16_t *port,
                        size_t *full_len);
size_t ln_udp_pending(const ln_udp_sock *s);   /* datagrams queued */

/* IPv6 (RFC 8200 8.1).  A socket's family comes with its first bind,
 * connect or send.  An IPv6 socket on :: also hears IPv4 (unless V6ONLY)
 * and sends to an IPv4-mapped address by IPv4; recvfrom6 gives IPv4
 * senders in their mapped form, as Linux's AF_INET6 sockets do.  The
 * IPv4 calls on an IPv6-only or specifically bound IPv6 socket fail with
 * LN_ENETUNREACH, the IPv6 ones on an IPv4 socket with LN_ENOTSUP.
 * connect6 to :: dissolves the association.  sendto6 with dst NULL sends
 * to the connected peer. */
/* zone: a link-local address's interface (fe80::1%eth1, RFC 4007 11).
 * bind6 and connect6 tie the socket to it (SO_BINDTODEVICE, as Linux's
 * inet6_bind and ip6_datagram_connect set sk_bound_dev_if from
 * sin6_scope_id; LN_EINVAL when it is tied to another already); sendto6
 * sends that one datagram out of it.  NULL: no zone.  recvfrom6's *in_if
 * (may be NULL) gets the interface a datagram came in on (NULL: from
 * this node), the zone of a link-local source. */
int ln_udp_bind6(ln_udp_sock *s, const ln_in6 *addr, uint16_t port, struct ln_iface *zone);
int ln_udp_connect6(ln_udp_sock *s, const ln_in6 *addr, uint16_t port, struct ln_iface *zone);
int64_t ln_udp_sendto6(ln_udp_sock *s, const void *data, size_t len, const ln_in6 *dst, uint16_t port,
                       struct ln_iface *zone);
int64_t ln_udp_recvfrom6(ln_udp_sock *s, void *buf, size_t len, ln_in6 *src, uint16_t *port,
                         size_t *full_len, struct ln_iface **in_if);
/* True for an IPv6 socket; l and r (either may be NULL) get its local
 * and remote IPv6 addresses (:: for none, or an IPv4 peer). */
bool ln_udp_addrs6(const ln_udp_sock *s, ln_in6 *l, ln_in6 *r);
/* Register UDP with the node's IPv6 layer when IPv6 comes on. */
void ln_udp_attach6(struct ln_node *n);
/* Pending error, not cleared (sendto and recvfrom report and clear it). */
int ln_udp_error(const ln_udp_sock *s);
/* Frees the socket and whatever it still queues. */
void ln_udp_close(ln_udp_sock *s);

/* RCVBUF counts payload bytes: a datagram is queued when it fits in what
 * is left, or when the queue is empty (so one datagram larger than the
 * buffer still gets through, as on Linux).  Default 212992
 * (net.core.rmem_default).  TTL 0 = the node's ip_default_ttl. */
/* Multicast options, as Linux's IP_MULTICAST_*: TTL (default 1), LOOP
 * (default 1: this host's own sockets get a copy when it is a member), IF
 * (the interface index + 1 to send by, 0: the route's), ALL (default 1: a
 * socket bound to the port hears every group the host joined, not only
 * its own).  BINDTODEVICE (SO_BINDTODEVICE: the interface index + 1, 0:
 * none): the socket sends by that interface and hears only what arrives
 * on it; two sockets bound to different devices may share a port; and
 * while the interface has no address, a datagram to 255.255.255.255
 * leaves from 0.0.0.0 (a DHCP client; see ln_udp_sendto). */
typedef enum { LN_UDP_OPT_BROADCAST, LN_UDP_OPT_REUSEADDR, LN_UDP_OPT_RCVBUF,
               LN_UDP_OPT_TTL, LN_UDP_OPT_MCAST_TTL, LN_UDP_OPT_MCAST_LOOP,
               LN_UDP_OPT_MCAST_IF, LN_UDP_OPT_MCAST_ALL, LN_UDP_OPT_BINDTODEVICE,
               LN_UDP_OPT_V6ONLY /* IPV6_V6ONLY, before bind */ } ln_udp_opt;
int ln_udp_setopt(ln_udp_sock *s, ln_udp_opt opt, int64_t value);
int ln_udp_getopt(const ln_udp_sock *s, ln_udp_opt opt, int64_t *value);

/* IP_ADD_MEMBERSHIP: join group on ifc (NULL: ln_ip_mcast_iface's).
 * LN_EINVAL (not a multicast address), LN_EADDRINUSE (already joined
 * there), LN_ENODEV (no interface), LN_ENOBUFS (LN_MC_MAX_MEMBERSHIPS
 * already).  Closing the socket leaves its groups. */
int ln_udp_join(ln_udp_sock *s, uint32_t group, struct ln_iface *ifc);
/* IP_DROP_MEMBERSHIP: LN_EADDRNOTAVAIL if s has not joined group there
 * (ifc NULL: on whichever interface it joined it). */
int ln_udp_leave(ln_udp_sock *s, uint32_t group, struct ln_iface *ifc);
/* The memberships of s, oldest first. */
void ln_udp_foreach_group(const ln_udp_sock *s,
                          void (*fn)(uint32_t group, struct ln_iface *ifc, void *arg), void *arg);

/* Write the 8-byte header at u, in front of the ulen - 8 payload bytes
 * already there, with the checksum over the pseudo-header of src and dst
 * (src 0: none yet, the checksum is left 0, "not computed").  The one
 * place a UDP header is built (with ln_udp6_fill_header): sockets and
 * traceroute's probes. */
void ln_udp_fill_header(uint8_t *u, uint16_t sport, uint16_t dport, uint16_t ulen, uint32_t src,
                        uint32_t dst);
/* The same over IPv6, where the checksum is mandatory (RFC 8200 8.1). */
void ln_udp6_fill_header(uint8_t *u, uint16_t sport, uint16_t dport, uint16_t ulen,
                         const ln_in6 *src, const ln_in6 *dst);

/* Local and (when connected, else 0/0) remote address and port. */
void ln_udp_local(const ln_udp_sock *s, uint32_t *addr, uint16_t *port);
void ln_udp_peer(const ln_udp_sock *s, uint32_t *addr, uint16_t *port);
size_t ln_udp_queued_bytes(const ln_udp_sock *s);  /* payload bytes queued */
struct ln_node *ln_udp_node(const ln_udp_sock *s);
void ln_udp_attach(struct ln_node *n);
void ln_udp_detach(struct ln_node *n);
void ln_udp_foreach(struct ln_node *n, void (*fn)(ln_udp_sock *s, void *arg), void *arg);

#endif
