/* fuzz_util.h - what the stack-driving fuzz targets (fuzz_stack.c,
 * fuzz_router.c, fuzz_session.c) share: building a small world, wrapping
 * fuzzer bytes into a frame that gets past the checksum checks, and the
 * common ending (the network must drain and give back every buffer).
 *
 * Every function is static inline: each target is its own program (a
 * libFuzzer binary, or a *_replay one with fuzz_replay.c), so there is no
 * library to put them in, and unused ones must not warn. */
#ifndef LN_FUZZ_UTIL_H
#define LN_FUZZ_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "eth.h"
#include "igmp.h"
#include "ip.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "tcp.h"
#include "udp.h"
#include "wire.h"

#define FZ_IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* The group every fuzz host joins, and the ports it listens on: the
 * corpora (make_corpus.lua) aim their datagrams here. */
#define FZ_GROUP FZ_IP(239, 1, 2, 3)
#define FZ_UDP_PORT 53
#define FZ_TCP_PORT 80

/* Setup cannot fail on valid constants; if it does, the target is
 * broken, not the input, and libFuzzer must not carry on. */
static inline void fz_die(const char *who, const char *what)
{
    fprintf(stderr, "%s: %s\n", who, what);
    abort();
}

static inline ln_node *fz_node(ln_net *net, const char *name, bool forwarding)
{
    char err[128];
    ln_node *n = ln_node_new(net, name, forwarding, err, sizeof err);
    if (!n) fz_die(name, err);
    return n;
}

/* An interface with an address (and the connected route); mtu 0 keeps
 * the default 1500. */
static inline ln_iface *fz_iface(ln_node *n, uint32_t addr, uint8_t plen, uint32_t mtu)
{
    char err[128];
    ln_iface *ifc = ln_iface_new(n, NULL, err, sizeof err);
    if (!ifc) fz_die(n->name, err);
    if (ln_iface_set_addr(ifc, addr, plen)) fz_die(n->name, "address");
    if (mtu) ifc->mtu = mtu;
    return ifc;
}

/* A default link (1 Gbit/s, no delay, no loss): the fuzzer's bytes, not
 * the link model, decide what happens. */
static inline void fz_link(ln_net *net, ln_iface *a, ln_iface *b)
{
    char err[128];
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    if (!ln_link_new(net, &a->port, &b->port, &c, NULL, err, sizeof err)) fz_die("link", err);
}

/* The two-host world of fuzz_stack and fuzz_session: peer 10.0.0.1 and
 * h 10.0.0.2 (MACs ...:01 and ...:02, as the seeds expect) on one wire. */
typedef struct fz_pair { ln_node *peer, *h; ln_iface *pi, *hi; } fz_pair;

static inline fz_pair fz_two_hosts(ln_net *net)
{
    fz_pair w;
    w.peer = fz_node(net, "peer", false);
    w.h = fz_node(net, "h", false);
    w.pi = fz_iface(w.peer, FZ_IP(10, 0, 0, 1), 24, 0);
    w.hi = fz_iface(w.h, FZ_IP(10, 0, 0, 2), 24, 0);
    fz_link(net, w.pi, w.hi);
    return w;
}

static inline void fz_route(ln_node *n, uint32_t prefix, uint8_t plen, uint32_t gw, ln_iface *ifc)
{
    ln_route r = {.prefix = prefix, .plen = plen, .gateway = gw, .iface = ifc, .kind = LN_RT_STATIC};
    if (ln_route_add(&n->routes, &r)) fz_die(n->name, "route");
}

/* Fill in a zero IP header checksum and a zero TCP, ICMP or IGMP one (a
 * zero UDP checksum means "none" and stays): mutated fields then still
 * get past the checksum checks into the protocol code, and a non-zero
 * one still exercises the bad-checksum drops. */
static inline void fz_fill_csums(uint8_t *ip, size_t avail)
{
    if (avail < LN_IP_HLEN || (ip[0] >> 4) != 4) return;
    size_t hl = (size_t)(ip[0] & 0x0f) * 4;
    if (hl < LN_IP_HLEN || hl > avail) return;
    size_t tot = ln_get16(ip + LN_IP_LEN);
    if (tot > avail) tot = avail;
    /* Only a first fragment carries the transport header. */
    if (tot > hl && !(ln_get16(ip + LN_IP_FRAG) & LN_IP_OFFMASK)) {
        uint8_t *l4 = ip + hl;
        size_t n = tot - hl;
        uint8_t proto = ip[LN_IP_PROTO];
        size_t at = proto == 6 ? 16 : (proto == 1 || proto == 2) ? 2 : 0;
        if (at && n >= at + 2 && ln_get16(l4 + at) == 0) {
            uint32_t sum = proto == 6 ? ln_csum_pseudo(ln_get32(ip + LN_IP_SRC), ln_get32(ip + LN_IP_DST),
                                                       6, (uint16_t)n) : 0;
            ln_put16(l4 + at, ln_csum_fold(ln_csum_partial(l4, n, sum)));
        }
    }
    if (ln_get16(ip + LN_IP_CSUM) == 0) ln_put16(ip + LN_IP_CSUM, ln_csum(ip, hl));
}

/* The fuzzer's bytes as a frame for `to`: with at_ip, an IP datagram that
 * gets an Ethernet header from `from`'s MAC to to's (or to the group's
 * MAC when the destination is multicast, so it passes the NIC filter);
 * else the bytes are the whole frame.  Checksums filled as above. */
static inline ln_pkt *fz_frame(ln_net *net, const uint8_t *data, size_t size, bool at_ip,
                               const ln_iface *from, const ln_iface *to)
{
    uint32_t hdr = at_ip ? LN_ETH_HLEN : 0;
    ln_pkt *p = ln_net_pkt(net, (uint32_t)(hdr + size));
    if (!p) fz_die("fuzz", "no packet buffer");
    uint8_t *f = p->data;
    if (size) memcpy(f + hdr, data, size);
    if (at_ip) {
        uint32_t dst = size >= LN_IP_HLEN ? ln_get32(data + LN_IP_DST) : 0;
        if (ln_ip_is_mcast(dst)) ln_mc_mac(dst, f);
        else memcpy(f, to->mac, 6);
        memcpy(f + 6, from->mac, 6);
        ln_put16(f + 12, LN_ETHERTYPE_IPV4);
    }
    if (p->len >= LN_ETH_HLEN && ln_get16(f + 12) == LN_ETHERTYPE_IPV4)
        fz_fill_csums(f + LN_ETH_HLEN, p->len - LN_ETH_HLEN);
    return p;
}

/* Hand a frame to an interface as its link would.  Consumes p. */
static inline void fz_deliver(ln_iface *to, ln_pkt *p)
{
    to->port.rx(&to->port, p);
}

/* What a fuzzed host listens with: a UDP socket on FZ_UDP_PORT that
 * joined FZ_GROUP (IGMP reports, group delivery) and a TCP listener on
 * FZ_TCP_PORT (SYN handling, SYN-ACK retries). */
typedef struct fz_socks {
    ln_udp_sock *udp;
    ln_tcp_sock *listener;
} fz_socks;

static inline void fz_listen(ln_node *h, fz_socks *s)
{
    s->udp = ln_udp_socket(h);
    s->listener = ln_tcp_socket(h);
    if (!s->udp || !s->listener || ln_udp_bind(s->udp, 0, FZ_UDP_PORT) ||
        ln_udp_join(s->udp, FZ_GROUP, NULL) || ln_tcp_bind(s->listener, 0, FZ_TCP_PORT) ||
        ln_tcp_listen(s->listener, 8))
        fz_die(h->name, "sockets");
}

/* Closing frees what the sockets queue (and a listener's embryonic
 * connections). */
static inline void fz_unlisten(fz_socks *s)
{
    ln_udp_close(s->udp);
    ln_tcp_close(s->listener);
}

/* The end of every input, once the target has closed its sockets:
 * whatever is left must drain (reassembly, ARP, retransmissions and
 * orphaned connections all give up) and give back every buffer.  A
 * network that never goes quiet is a packet storm; a buffer still in use
 * is a leak ASan cannot see, since the pool keeps it.  Frees net. */
static inline void fz_finish(ln_net *net, const char *who)
{
    for (int i = 0; i < 100000 && ln_sim_step(&net->sim); i++) {}
    if (ln_sim_next(&net->sim) != LN_NEVER) fz_die(who, "still busy after 100000 events");
    if (ln_pktpool_in_use(net->pool) != 0) {
        fprintf(stderr, "%s: %llu packet buffers never freed\n", who,
                (unsigned long long)ln_pktpool_in_use(net->pool));
        abort();
    }
    ln_net_free(net);
}

#endif
