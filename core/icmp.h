/* icmp.h - ICMP (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3): echo, and the
 * errors the IP layer and the transports report.
 *
 * ICMP sockets give applications (ping, traceroute, scripts) the messages
 * meant for them, like Linux's SOCK_DGRAM/IPPROTO_ICMP "ping sockets" with
 * IP_RECVERR: echo replies whose identifier matches the socket, and errors
 * whose quoted datagram is an echo request carrying that identifier or a
 * UDP probe from the socket's port. */
#ifndef LN_ICMP_H
#define LN_ICMP_H

#include <stdbool.h>
#include <stdint.h>
#include "in6.h"
#include "ip.h"
#include "pkt.h"
#include "sim.h"

struct ln_node;

/* ICMP datagram arrived (data at the ICMP header).  Consumes pkt. */
void ln_icmp_input(struct ln_node *n, ln_pkt *pkt, const ln_ip_info *ip);

/* Send an error about `orig` (borrowed; data at its IP header).  Follows
 * RFC 1122 3.2.2: never about an ICMP error, a non-first fragment, a
 * broadcast/multicast destination (IP or link layer) or an invalid source.
 * `info` is the next-hop MTU for NEEDFRAG, otherwise written as the 32-bit
 * field after the checksum (0 for most types).  Like Linux, the error
 * quotes as much of the datagram as fits in 576 octets, carries TOS 0xc0
 * and comes from the address the datagram was sent to when that is ours,
 * else from the address of the route back.  Locally generated packets
 * (in_if NULL) get their error delivered locally, the way Linux reports it
 * to ping ("From <own address> ... Destination Host Unreachable"). */
void ln_icmp_error(struct ln_node *n, const ln_pkt *orig, uint8_t type,
                   uint8_t code, uint32_t info);

/* What an ICMP socket receives. */
typedef struct ln_icmp_msg {
    uint8_t type, code;
    uint32_t from;                /* source of the ICMP message */
    uint32_t to;                  /* its destination (us) */
    uint8_t ttl;                  /* TTL of the datagram that carried it */
    uint16_t id, seq;             /* echo id/seq (from the quote for errors) */
    uint32_t len;                 /* ICMP payload bytes after the 8-byte header */
    ln_time sent;                 /* send time echoed in the payload, or LN_NEVER */
    uint32_t mtu;                 /* NEEDFRAG: next-hop MTU */
    uint32_t orig_dst;            /* errors: destination of the quoted datagram */
    uint8_t orig_proto;           /* errors: protocol of the quoted datagram */
    bool error;                   /* an error, not an echo reply */
    uint32_t orig_src;            /* errors: source of the quoted datagram */
    const uint8_t *quote;         /* errors: the quoted IP header and what
                                   * follows (borrowed for the callback) */
    uint32_t quote_len;           /* at least its header + 8 octets */
    /* ICMPv6 (icmp6.c): the same socket receives both families, and then
     * these hold the addresses (from, to, orig_dst, orig_src stay 0) */
    bool v6;
    ln_in6 from6, to6, orig_dst6, orig_src6;
    uint32_t l4_off;              /* IPv6 errors: where the quoted datagram's
                                   * upper-layer header starts in quote */
    struct ln_iface *in_if;       /* IPv6: the interface it came in on, the
                                   * zone of a link-local from6 (RFC 4007
                                   * 11); NULL: from this node */
} ln_icmp_msg;

typedef struct ln_icmp_sock ln_icmp_sock;
typedef void (*ln_icmp_sock_fn)(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg);

struct ln_icmp_sock {
    ln_icmp_sock *next;
    struct ln_node *node;
    uint16_t id;                  /* echo identifier; also UDP source port of probes */
    uint8_t proto;                /* 0: ping socket; else see _open_proto */
    ln_icmp_sock_fn fn;
    void *arg;
};

/* Open a socket with identifier `id` (0: pick the lowest free one, like
 * Linux's ping_get_port).  NULL if `id` is taken or memory runs out. */
ln_icmp_sock *ln_icmp_sock_open(struct ln_node *n, uint16_t id, ln_icmp_sock_fn fn, void *arg);
/* The error handler of a transport (Linux's tcp_v4_err, udp_err): receives
 * every ICMP error quoting a datagram of protocol `proto` that no ping
 * socket claimed; m->quote gives the ports (and TCP sequence number). */
ln_icmp_sock *ln_icmp_sock_open_proto(struct ln_node *n, uint8_t proto, ln_icmp_sock_fn fn, void *arg);
void ln_icmp_sock_close(ln_icmp_sock *s);
/* The ping socket with identifier id, else (proto non-zero) the error
 * handler of proto; NULL if neither.  ICMPv6 finds its sockets here too:
 * one identifier space for both families (Linux has one per family). */
ln_icmp_sock *ln_icmp_sock_find(struct ln_node *n, uint16_t id, uint8_t proto);

/* Send an echo request with `size` payload bytes (the first 8 carry the
 * virtual send time, like ping's timeval, when size >= 8).  ttl 0: default.
 * Returns 0 or an LN_E* code from ln_ip_output. */
int ln_icmp_echo(ln_icmp_sock *s, uint32_t dst, uint16_t seq, uint32_t size,
                 uint8_t ttl, bool df);
/* Send a UDP probe from port s->id to dst:port (traceroute's classic
 * probe) with `size` payload bytes. */
int ln_icmp_udp_probe(ln_icmp_sock *s, uint32_t dst, uint16_t port,
                      uint32_t size, uint8_t ttl);

/* Register ICMP with the node's IP layer (done by ln_node_new). */
void ln_icmp_attach(struct ln_node *n);

#endif
