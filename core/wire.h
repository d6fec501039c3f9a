/* wire.h - wire formats: byte offsets, constants and checked accessors.
 *
 * Protocol logic never casts a packet to a struct: it reads fields through
 * these helpers after checking the length, so alignment and byte order are
 * handled in one place. */
#ifndef LN_WIRE_H
#define LN_WIRE_H

#include <stdint.h>

static inline uint16_t ln_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t ln_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t ln_get64(const uint8_t *p) { return (uint64_t)ln_get32(p) << 32 | ln_get32(p + 4); }
static inline void ln_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void ln_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void ln_put64(uint8_t *p, uint64_t v) { ln_put32(p, (uint32_t)(v >> 32)); ln_put32(p + 4, (uint32_t)v); }

/* Ethernet II */
#define LN_ETH_HLEN        14
#define LN_ETH_MIN_FRAME   60     /* without FCS: shorter frames are padded */
#define LN_ETH_DST         0
#define LN_ETH_SRC         6
#define LN_ETH_TYPE        12
#define LN_ETHERTYPE_IPV4  0x0800
#define LN_ETHERTYPE_ARP   0x0806
#define LN_ETHERTYPE_IPV6  0x86dd

/* ARP for IPv4 over Ethernet */
#define LN_ARP_LEN         28
#define LN_ARP_HTYPE       0
#define LN_ARP_PTYPE       2
#define LN_ARP_HLEN        4
#define LN_ARP_PLEN        5
#define LN_ARP_OPER        6
#define LN_ARP_SHA         8
#define LN_ARP_SPA         14
#define LN_ARP_THA         18
#define LN_ARP_TPA         24
#define LN_ARP_REQUEST     1
#define LN_ARP_REPLY       2

/* IPv4 */
#define LN_IP_HLEN         20
#define LN_IP_VHL          0
#define LN_IP_TOS          1
#define LN_IP_LEN          2
#define LN_IP_ID           4
#define LN_IP_FRAG         6      /* flags (3 bits) + offset in 8-byte units */
#define LN_IP_TTL          8
#define LN_IP_PROTO        9
#define LN_IP_CSUM         10
#define LN_IP_SRC          12
#define LN_IP_DST          16
#define LN_IP_DF           0x4000
#define LN_IP_MF           0x2000
#define LN_IP_OFFMASK      0x1fff
#define LN_IPPROTO_ICMP    1
#define LN_IPPROTO_IGMP    2
#define LN_IPPROTO_TCP     6
#define LN_IPPROTO_UDP     17

/* ICMP */
#define LN_ICMP_HLEN       8
#define LN_ICMP_TYPE       0
#define LN_ICMP_CODE       1
#define LN_ICMP_CSUM       2
#define LN_ICMP_ID         4      /* echo */
#define LN_ICMP_SEQ        6      /* echo */
#define LN_ICMP_MTU        6      /* frag needed: next-hop MTU */
#define LN_ICMP_ECHOREPLY  0
#define LN_ICMP_UNREACH    3
#define LN_ICMP_ECHO       8
#define LN_ICMP_TIMXCEED   11
#define LN_ICMP_PARAMPROB  12
#define LN_ICMP_UNREACH_NET      0
#define LN_ICMP_UNREACH_HOST     1
#define LN_ICMP_UNREACH_PROTO    2
#define LN_ICMP_UNREACH_PORT     3
#define LN_ICMP_UNREACH_NEEDFRAG 4
#define LN_ICMP_UNREACH_ADMIN    13
#define LN_ICMP_TIMXCEED_TTL     0
#define LN_ICMP_TIMXCEED_REASM   1

/* IPv6 (RFC 8200 3) */
#define LN_IP6_HLEN        40
#define LN_IP6_VFC         0      /* version 4 bits, traffic class 8, flow label 20 */
#define LN_IP6_PLEN        4
#define LN_IP6_NXT         6
#define LN_IP6_HLIM        7
#define LN_IP6_SRC         8
#define LN_IP6_DST         24
#define LN_IP6_MIN_MTU     1280   /* RFC 8200 5: every link carries 1280 */
/* Next header values (IANA) */
#define LN_IPPROTO_HOPOPTS   0
#define LN_IPPROTO_ROUTING   43
#define LN_IPPROTO_FRAGMENT  44
#define LN_IPPROTO_ICMPV6    58
#define LN_IPPROTO_NONE      59
#define LN_IPPROTO_DSTOPTS   60
/* Fragment header (RFC 8200 4.5) */
#define LN_FRAG6_HLEN      8
#define LN_FRAG6_OFF       2      /* offset (13 bits, 8-octet units) << 3 | M */
#define LN_FRAG6_ID        4
#define LN_FRAG6_MF        0x0001
#define LN_FRAG6_OFFMASK   0xfff8

/* ICMPv6 (RFC 4443, RFC 4861) */
#define LN_ICMP6_HLEN      8
#define LN_ICMP6_DST_UNREACH   1
#define LN_ICMP6_PKT_TOOBIG    2
#define LN_ICMP6_TIME_EXCEED   3
#define LN_ICMP6_PARAM_PROB    4
#define LN_ICMP6_ECHO_REQUEST  128
#define LN_ICMP6_ECHO_REPLY    129
#define LN_ND_ROUTER_SOLICIT   133
#define LN_ND_ROUTER_ADVERT    134
#define LN_ND_NEIGHBOR_SOLICIT 135
#define LN_ND_NEIGHBOR_ADVERT  136
#define LN_ND_REDIRECT         137
#define LN_ICMP6_UNREACH_NOROUTE  0
#define LN_ICMP6_UNREACH_ADMIN    1
#define LN_ICMP6_UNREACH_BEYONDSCOPE 2
#define LN_ICMP6_UNREACH_ADDR     3
#define LN_ICMP6_UNREACH_PORT     4
#define LN_ICMP6_TIMXCEED_HOPLIMIT 0
#define LN_ICMP6_TIMXCEED_REASM    1
#define LN_ICMP6_PARAMPROB_HEADER  0
#define LN_ICMP6_PARAMPROB_NEXTHDR 1
#define LN_ICMP6_PARAMPROB_OPTION  2
/* Neighbour discovery options (RFC 4861 4.6), lengths in 8-octet units */
#define LN_ND_OPT_SLLA     1
#define LN_ND_OPT_TLLA     2
#define LN_ND_OPT_PREFIX   3
#define LN_ND_OPT_MTU      5
#define LN_ND_NA_ROUTER    0x80
#define LN_ND_NA_SOLICITED 0x40
#define LN_ND_NA_OVERRIDE  0x20
#define LN_ND_PI_ONLINK    0x80
#define LN_ND_PI_AUTO      0x40

/* UDP (used by traceroute probes now, by the UDP layer later) */
#define LN_UDP_HLEN        8

#endif
