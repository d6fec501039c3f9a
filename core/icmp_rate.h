/* icmp_rate.h - how fast a node may send ICMP and ICMPv6 errors: Linux's
 * two limits, which RFC 1812 4.3.2.8 and RFC 4443 2.4 (f) ask for.
 *
 *   icmp.c ln_icmp_error, icmp6.c ln_icmp6_error, after the RFC's checks
 *     -> ln_icmp_rate_global (net.ipv4.icmp_msgs_per_sec / _burst: one
 *        budget for the node, both families)
 *     -> ln_icmp_rate_peer (net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit:
 *        a token bucket per destination, six messages deep)
 *     -> sent: ln_icmp_rate_consume
 *
 * Which types are limited is the caller's (the ratemasks): the errors,
 * never an echo reply, never "fragmentation needed" or Packet Too Big
 * (path MTU discovery must not starve). */
#ifndef LN_ICMP_RATE_H
#define LN_ICMP_RATE_H

#include <stdbool.h>
#include <stdint.h>
#include "sim.h"

struct ln_node;

/* The node-wide budget has room (icmp_global_allow).  Refills at
 * icmp_msgs_per_sec, at most icmp_msgs_burst, no oftener than every 20 ms. */
bool ln_icmp_rate_global(struct ln_node *n);
/* One more error to the destination key (16 bytes: an IPv6 address, or
 * IPv4-mapped) with one token per `timeout` (inet_peer_xrlim_allow). */
bool ln_icmp_rate_peer(struct ln_node *n, const uint8_t key[16], ln_time timeout);
/* An error was sent: take 0, 1 or 2 credits from the global budget, drawn
 * as Linux 6.x does so that a prober cannot count it exactly. */
void ln_icmp_rate_consume(struct ln_node *n);
void ln_icmp_rate_free(struct ln_node *n);

#endif
