/* icmp6.h - ICMPv6 (RFC 4443): echo, the errors the IPv6 layer reports,
 * and the dispatch of neighbour discovery (nd.c, ra.c), in icmp6.c.
 *
 * Ping sockets are icmp.h's: an ln_icmp_sock receives echo replies and
 * errors of both families (ln_icmp_msg.v6 tells which). */
#ifndef LN_ICMP6_H
#define LN_ICMP6_H

#include <stdbool.h>
#include <stdint.h>
#include "icmp.h"
#include "ip6.h"
#include "pkt.h"

struct ln_node;

/* ICMPv6 message arrived (data at its header).  Consumes pkt. */
void ln_icmp6_input(struct ln_node *n, ln_pkt *pkt, const ln_ip6_info *ip);

/* Send an error about `orig` (borrowed; data at its IPv6 header).
 * RFC 4443 2.4 (e): never about an ICMPv6 error, nor (except Packet Too
 * Big and Parameter Problem code 2) about a datagram sent to a multicast
 * address or link-layer group, nor to an unspecified or multicast
 * source.  `info` is the MTU (Packet Too Big), the pointer (Parameter
 * Problem), else 0.  The error quotes as much as keeps it within 1280
 * bytes; its source is the address the datagram was sent to when that is
 * ours, else the one selected towards its source. */
void ln_icmp6_error(struct ln_node *n, const ln_pkt *orig, uint8_t type, uint8_t code, uint32_t info);

/* Checksum a finished message (data at the ICMPv6 header), announce it
 * (ICMP_OUT event), count it, send it.  src NULL: selected.  Consumes p. */
int ln_icmp6_send(struct ln_node *n, ln_pkt *p, const ln_in6 *src, const ln_in6 *dst,
                  const ln_ip6_opts *o);

/* Echo request with `size` payload bytes (the first 8 carry the send
 * time, as ln_icmp_echo's), hop limit hlim (0: default), out of oif (a
 * link-local destination's zone, ping's fe80::1%eth1; NULL: the route's).
 * 0 or LN_E*. */
int ln_icmp6_echo(ln_icmp_sock *s, const ln_in6 *dst, struct ln_iface *oif, uint16_t seq,
                  uint32_t size, uint8_t hlim);
/* traceroute's UDP probe over IPv6, from port s->id to dst:port. */
int ln_icmp6_udp_probe(ln_icmp_sock *s, const ln_in6 *dst, struct ln_iface *oif, uint16_t port,
                       uint32_t size, uint8_t hlim);

/* Register ICMPv6 with the node's IPv6 layer (done when IPv6 comes on). */
void ln_icmp6_attach(struct ln_node *n);

#endif
