/* ipv4.c - IPv4 input, local delivery, forwarding and output (RFC 791,
 * RFC 1122 3.2.1, RFC 1812 5.2 for routers), following Linux's
 * ip_rcv / ip_route_input / ip_forward / ip_output.
 *
 * Input:   ln_eth_input -> ln_ip_input -> header checks (ip_rcv_core order)
 *            -> ours:    ln_reasm_input (fragments) -> node's handler for p
 *            -> forward: route, TTL, DF/MTU, TTL-- -> ln_arp_output / ln_ip_fragment
 *            -> else:    drop OTHER_HOST
 * Output:  transports, icmp.c -> ln_ip_output -> route + source -> header
 *            -> ln_arp_output | ln_ip_fragment | loopback timer -> ln_ip_input
 *
 * Until a UDP layer registers protocol 17, udp_unbound() answers like a
 * Linux host with no UDP socket bound (port unreachable).
 *
 * IP options are carried but not interpreted (no record route, timestamp or
 * source routing; Linux hosts drop source-routed packets by default); the
 * only ones lunet sends are IGMP's Router Alert (igmp.c).
 * ICMP redirects are not sent; ICMP errors are rate-limited in icmp_rate.c. */
#include "ip.h"

#include <stdint.h>
#include <string.h>

#include "arp.h"
#include "csum.h"
#include "err.h"
#include "eth.h"
#include "icmp.h"
#include "igmp.h"
#include "node.h"
#include "tcp.h"
#include "trace.h"
#include "wire.h"

static bool is_loopback(uint32_t a) { return (a >> 24) == 127; }

bool ln_ip_is_bcast(const ln_node *n, uint32_t a)
{
    return a == 0xffffffffu || ln_node_addr_class(n, a) == LN_ADDR_BCAST;
}

bool ln_ip_is_local(const ln_node *n, uint32_t a)
{
    return is_loopback(a) || ln_node_has_addr(n, a);
}

void ln_ip_register(ln_node *n, uint8_t proto,
                    void (*fn)(ln_node *, ln_pkt *, const ln_ip_info *))
{
    uint8_t slot = n->proto_slot[proto];
    if (!slot) {
        if (!fn) return;
        if (n->n_protos == LN_NODE_MAX_PROTOS)
            ln_fatal("ln_ip_register: more than %d protocols", LN_NODE_MAX_PROTOS);
        n->proto_slot[proto] = slot = ++n->n_protos;
    }
    n->proto_fn[slot - 1] = fn;
}

/* Linux removes the routes of an interface that goes down; skipping them
 * at lookup time has the same effect and brings them back on "up". */
static bool iface_usable(const ln_route *r, void *arg)
{
    (void)arg;
    return r->iface && r->iface->up;
}

static const ln_route *route(const ln_node *n, uint32_t dst)
{
    return ln_route_lookup_filter(&n->routes, dst, iface_usable, NULL);
}

/* Any address of the node, for an interface that has none
 * (inet_select_addr falls back to other interfaces). */
static uint32_t any_addr(const ln_node *n)
{
    for (uint32_t i = 0; i < n->n_ifaces; i++)
        if (n->ifaces[i]->plen != LN_NO_ADDR) return n->ifaces[i]->addr;
    return 0;
}

static uint32_t iface_src(const ln_node *n, const ln_iface *ifc)
{
    return ifc->plen != LN_NO_ADDR ? ifc->addr : any_addr(n);
}

ln_iface *ln_ip_mcast_iface(ln_node *n, uint32_t group)
{
    const ln_route *r = route(n, group);
    if (r) return r->iface;
    /* Linux needs a route here (a default one, or 224.0.0.0/4), else
     * ENETUNREACH / ENODEV; lunet's LAN hosts often have none, so, as for
     * the limited broadcast, the first interface that is up and
     * addressed, like a host with a single NIC. */
    for (uint32_t i = 0; i < n->n_ifaces; i++)
        if (n->ifaces[i]->up && n->ifaces[i]->plen != LN_NO_ADDR) return n->ifaces[i];
    return NULL;
}

uint32_t ln_ip_src_for(ln_node *n, uint32_t dst)
{
    /* A local destination is reached from itself (Linux's local routes
     * carry the address as their preferred source). */
    if (ln_ip_is_local(n, dst)) return dst;
    if (ln_ip_is_mcast(dst)) {
        ln_iface *ifc = ln_ip_mcast_iface(n, dst);
        return ifc ? iface_src(n, ifc) : 0;
    }
    const ln_route *r = route(n, dst);
    return r ? iface_src(n, r->iface) : 0;
}

/* ---- input -------------------------------------------------------------- */

static void hdr_drop(ln_node *n, ln_iface *ifc, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, IpInHdrErrors);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, why);
}

/* UDP on a host where nothing registered protocol 17: Linux always has
 * UDP, so it never answers "protocol unreachable" for it; it behaves as a
 * UDP stack with no socket bound (__udp4_lib_rcv): malformed or badly
 * checksummed datagrams are dropped quietly, the others get "port
 * unreachable" (not for broadcasts: ln_icmp_error knows).  The UDP layer
 * replaces this by registering its handler.  pkt->data is at the IP
 * header. */
static void udp_unbound(ln_node *n, ln_iface *ifc, ln_pkt *pkt, const ln_ip_info *ip)
{
    const uint8_t *u = pkt->data + ip->hlen;
    uint32_t avail = pkt->len - ip->hlen;
    uint32_t ulen = avail >= LN_UDP_HLEN ? ln_get16(u + 4) : 0;
    if (avail < LN_UDP_HLEN || ulen < LN_UDP_HLEN || ulen > avail) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_MALFORMED);
        return;
    }
    /* RFC 768: checksum 0 means none was computed. */
    if (ln_get16(u + 6) != 0 &&
        ln_csum_fold(ln_csum_partial(u, ulen, ln_csum_pseudo(ip->src, ip->dst, LN_IPPROTO_UDP,
                                                             (uint16_t)ulen))) != 0) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_BAD_CSUM);
        return;
    }
    LN_MIB_INC(n, IpInDelivers);
    ln_icmp_error(n, pkt, LN_ICMP_UNREACH, LN_ICMP_UNREACH_PORT, 0);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_LISTENER);
}

/* Deliver a datagram addressed to us (ip_local_deliver). */
static void deliver(ln_node *n, ln_iface *ifc, ln_pkt *pkt)
{
    const uint8_t *h = pkt->data;
    uint16_t frag = ln_get16(h + LN_IP_FRAG);
    if (frag & (LN_IP_MF | LN_IP_OFFMASK)) {
        pkt = ln_reasm_input(n, pkt);
        if (!pkt) return;
        h = pkt->data;
        frag = ln_get16(h + LN_IP_FRAG);
    }
    uint16_t hlen = (uint16_t)((h[LN_IP_VHL] & 0x0f) * 4);
    ln_ip_info info = {
        .src = ln_get32(h + LN_IP_SRC), .dst = ln_get32(h + LN_IP_DST),
        .proto = h[LN_IP_PROTO], .ttl = h[LN_IP_TTL], .tos = h[LN_IP_TOS],
        .id = ln_get16(h + LN_IP_ID), .df = (frag & LN_IP_DF) != 0,
        .hlen = hlen, .len = ln_get16(h + LN_IP_LEN), .in_if = pkt->in_if,
    };
    const uint8_t slot = n->proto_slot[info.proto];
    ln_ip_proto_fn fn = slot ? n->proto_fn[slot - 1] : NULL;
    if (!fn && info.proto == LN_IPPROTO_UDP) {
        udp_unbound(n, ifc, pkt, &info);
        return;
    }
    if (!fn) {
        /* RFC 1122 3.2.2.1: protocol unreachable (ln_icmp_error skips it
         * for broadcasts). */
        LN_MIB_INC(n, IpInUnknownProtos);
        ln_icmp_error(n, pkt, LN_ICMP_UNREACH, LN_ICMP_UNREACH_PROTO, 0);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_UNKNOWN_PROTO);
        return;
    }
    LN_MIB_INC(n, IpInDelivers);
    ln_pkt_pull(pkt, hlen);
    fn(n, pkt, &info);
}

/* Forward a datagram for someone else (ip_forward, RFC 1812 5.2).  The
 * route is looked up first, as Linux does at input (ip_route_input), so a
 * datagram with TTL 1 and no route gets "net unreachable". */
static void forward(ln_node *n, ln_iface *ifc, ln_pkt *pkt)
{
    uint8_t *h = pkt->data;
    uint32_t dst = ln_get32(h + LN_IP_DST);
    uint32_t tot = ln_get16(h + LN_IP_LEN);
    const ln_route *rt = route(n, dst);
    if (!rt) {
        if (LN_TRACE_ON(n->net, LN_TR_IP)) {
            char a[16];
            ln_trace_emit(n->net, LN_TR_IP, n->name, "forward to %s: no route, net unreachable",
                          ln_ip_fmt(dst, a));
        }
        /* Linux counts IpExtInNoRoutes here (not in lunet's MIB list). */
        ln_icmp_error(n, pkt, LN_ICMP_UNREACH, LN_ICMP_UNREACH_NET, 0);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_ROUTE);
        return;
    }
    /* RFC 1812 5.3.1: a router must not forward a datagram whose TTL
     * would reach 0; Linux counts it as a header error. */
    if (h[LN_IP_TTL] <= 1) {
        if (LN_TRACE_ON(n->net, LN_TR_IP)) {
            char a[16], b[16];
            ln_trace_emit(n->net, LN_TR_IP, n->name, "forward %s > %s: ttl %u, time exceeded",
                          ln_ip_fmt(ln_get32(h + LN_IP_SRC), a), ln_ip_fmt(dst, b), h[LN_IP_TTL]);
        }
        LN_MIB_INC(n, IpInHdrErrors);
        ln_icmp_error(n, pkt, LN_ICMP_TIMXCEED, LN_ICMP_TIMXCEED_TTL, 0);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_TTL_EXPIRED);
        return;
    }
    ln_iface *out = rt->iface;
    uint32_t nh = rt->gateway ? rt->gateway : dst;
    uint32_t mtu = out->mtu;
    uint16_t frag = ln_get16(h + LN_IP_FRAG);
    if (LN_TRACE_ON(n->net, LN_TR_IP)) {
        char a[16], b[16], c[16];
        ln_trace_emit(n->net, LN_TR_IP, n->name, "forward %s > %s: %s -> %s, next hop %s, ttl %u%s",
                      ln_ip_fmt(ln_get32(h + LN_IP_SRC), a), ln_ip_fmt(dst, b), ifc ? ifc->name : "lo",
                      out->name, ln_ip_fmt(nh, c), h[LN_IP_TTL],
                      tot > mtu ? (frag & LN_IP_DF ? ", too big with DF" : ", to fragment") : "");
    }
    /* RFC 1191: too big with DF -> "fragmentation needed" carrying the
     * next-hop MTU; sent before TTL is decremented, as Linux does. */
    if (tot > mtu && (frag & LN_IP_DF)) {
        LN_MIB_INC(n, IpFragFails);
        ln_icmp_error(n, pkt, LN_ICMP_UNREACH, LN_ICMP_UNREACH_NEEDFRAG, mtu);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_FRAG_NEEDED);
        return;
    }
    /* RFC 1624: patch the checksum for the TTL change instead of
     * recomputing it (TTL and protocol share a 16-bit word). */
    uint16_t old = ln_get16(h + LN_IP_TTL);
    h[LN_IP_TTL]--;
    ln_put16(h + LN_IP_CSUM, ln_csum_update16(ln_get16(h + LN_IP_CSUM), old, ln_get16(h + LN_IP_TTL)));
    LN_MIB_INC(n, IpForwDatagrams);
    if (tot > mtu) ln_ip_fragment(n, out, nh, pkt, mtu);
    else ln_arp_output(n, out, nh, pkt);
}

void ln_ip_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt)
{
    LN_MIB_INC(n, IpInReceives);
    /* Header checks in the order of Linux's ip_rcv_core (RFC 1122 3.2.1.1
     * -3.2.1.2 require all of them; the order decides which counter a
     * datagram with several faults lands in). */
    if (pkt->len < LN_IP_HLEN) {
        hdr_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
        return;
    }
    uint8_t *h = pkt->data;
    uint32_t hlen = (uint32_t)(h[LN_IP_VHL] & 0x0f) * 4;
    if ((h[LN_IP_VHL] >> 4) != 4 || hlen < LN_IP_HLEN) {
        hdr_drop(n, ifc, pkt, LN_DROP_MALFORMED);
        return;
    }
    if (pkt->len < hlen) {
        hdr_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
        return;
    }
    if (h[LN_IP_PROTO] == LN_IPPROTO_TCP && pkt->len >= hlen + 4)
        ln_tcp_input_prefetch(n, ln_get32(h + LN_IP_SRC), ln_get32(h + LN_IP_DST), h + hlen);
    /* Whoever sent it may well get an answer (a server's SYN-ACK): its
     * neighbour entry's bucket (neigh.h; the entry is fetched later). */
    uint32_t from = ln_get32(h + LN_IP_SRC);
    if (ifc) ln_neigh_prefetch_bucket(&n->arp, ifc->index, &from);
    /* Linux checks the header checksum before the total length. */
    if (ln_csum_iphdr(h, hlen) != 0) {
        LN_MIB_INC(n, IpExtInCsumErrors);
        hdr_drop(n, ifc, pkt, LN_DROP_BAD_CSUM);
        return;
    }
    uint32_t tot = ln_get16(h + LN_IP_LEN);
    if (tot > pkt->len) {
        LN_MIB_INC(n, IpExtInTruncatedPkts);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_TRUNCATED);
        return;
    }
    if (tot < hlen) {
        hdr_drop(n, ifc, pkt, LN_DROP_MALFORMED);
        return;
    }
    /* Drop the Ethernet padding: everything above sees exactly the
     * datagram. */
    ln_pkt_trim(pkt, tot);

    uint32_t src = ln_get32(h + LN_IP_SRC);
    uint32_t dst = ln_get32(h + LN_IP_DST);
    if (ifc) {
        /* Martians (ip_route_input_slow): impossible sources, our own
         * address as source, loopback or "this network" destinations.
         * Linux drops them without an IP MIB counter.  A zero source is
         * legal only towards the limited broadcast (DHCP discover). */
        /* ip_mc_validate_source also lets 0.0.0.0 send IGMP and to the
         * local groups 224.0.0.x: a snooping switch queries from it. */
        bool zero_ok = dst == 0xffffffffu || (dst >> 8) == 0xe00000u ||
                       (ln_ip_is_mcast(dst) && h[LN_IP_PROTO] == LN_IPPROTO_IGMP);
        bool bad_src = ln_ip_is_mcast(src) || src == 0xffffffffu || is_loopback(src) ||
                       (src == 0 && !zero_ok) || ln_node_has_addr(n, src);
        bool bad_dst = is_loopback(dst) || (dst >> 24) == 0;
        if (bad_src || bad_dst) {
            if (LN_TRACE_ON(n->net, LN_TR_IP)) {
                char a[16], b[16];
                ln_trace_emit(n->net, LN_TR_IP, n->name, "martian %s %s > %s on %s", bad_src ? "source" : "destination",
                              ln_ip_fmt(src, a), ln_ip_fmt(dst, b), ifc->name);
            }
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_MALFORMED);
            return;
        }
    }
    /* Weak host model (RFC 1122 3.3.4.2, Linux): any of our addresses on
     * any interface. */
    ln_addr_class dc = ln_node_addr_class(n, dst);
    if (dc == LN_ADDR_LOCAL || is_loopback(dst)) {
        deliver(n, ifc, pkt);
        return;
    }
    if (dc == LN_ADDR_BCAST || dst == 0xffffffffu) {
        LN_MIB_INC(n, IpExtInBcastPkts);
        deliver(n, ifc, pkt);
        return;
    }
    if (ln_ip_is_mcast(dst)) {
        /* ip_check_mc_rcu: a group this interface joined (the Ethernet
         * filter passes 32 groups per MAC address, this is exact); a copy
         * we looped back ourselves was checked on the way out.  Multicast
         * is not routed (no multicast routing daemon). */
        if (ifc && !ln_igmp_member(ifc, dst)) {
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_OTHER_HOST);
            return;
        }
        LN_MIB_INC(n, IpExtInMcastPkts);
        deliver(n, ifc, pkt);
        return;
    }
    /* Not for us: a host drops it (ip_error: IpInAddrErrors); a router
     * forwards unicast frames only (ip_forward: pkt_type == PACKET_HOST). */
    if (!n->forwarding || !ifc || (pkt->mark & LN_ETH_MARK_MCAST)) {
        LN_MIB_INC(n, IpInAddrErrors);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_OTHER_HOST);
        return;
    }
    forward(n, ifc, pkt);
}

/* ---- output ------------------------------------------------------------- */

int ln_ip_output(ln_node *n, ln_pkt *pkt, uint32_t src, uint32_t dst, uint8_t proto,
                 const ln_ip_opts *opts)
{
    ln_ip_opts o = opts ? *opts : (ln_ip_opts){0};
    /* 0.0.0.0 means this host (ip_route_output_key_hash_rcu: the source,
     * else 127.0.0.1), which is why `ping 0` works on Linux. */
    if (dst == 0) dst = src ? src : 0x7f000001u;
    ln_iface *ifc = NULL;
    uint32_t nh = dst;
    ln_addr_class dc = LN_ADDR_OTHER;
    bool local = false;
    ln_ip_rcache *rc = o.oif ? NULL : o.rc;
    if (rc && rc->ifc && rc->gen == n->routes.gen) {
        /* What the lookups below found last time, with an unchanged
         * table: a plain unicast route from one of our
         * addresses (ip_route_output skipped for a socket's cached dst). */
        ifc = rc->ifc;
        nh = rc->nh;
        goto routed;
    }
    dc = ln_node_addr_class(n, dst);

    if (o.oif) {
        /* SO_BINDTODEVICE-like: Linux refuses a device that is down. */
        if (!o.oif->up) goto no_route;
        ifc = o.oif;
        if (o.nexthop) nh = o.nexthop;
    } else if (dc == LN_ADDR_LOCAL || is_loopback(dst)) {
        local = true;
    } else if (ln_ip_is_mcast(dst)) {
        /* A group is never behind a gateway: the frame goes to the
         * group's MAC address on the chosen interface. */
        ifc = ln_ip_mcast_iface(n, dst);
        if (!ifc) goto no_route;
    } else {
        const ln_route *rt = route(n, dst);
        if (!rt && dst == 0xffffffffu) {
            /* Limited broadcast without a default route: the first usable
             * interface, like a DHCP client bound to its only NIC. */
            for (uint32_t i = 0; i < n->n_ifaces && !ifc; i++)
                if (n->ifaces[i]->up) ifc = n->ifaces[i];
            if (!ifc) goto no_route;
        } else if (!rt) {
            goto no_route;
        } else {
            ifc = rt->iface;
            if (rt->gateway && dst != 0xffffffffu) nh = rt->gateway;
        }
    }

    if (src == 0 && o.zero_src && dst == 0xffffffffu && !local) {
        /* RFC 2131 4.1: a client without an address sends from 0. */
    } else if (src == 0) {
        src = local ? dst : iface_src(n, ifc);
        /* 0.0.0.0 is a legal source only towards the limited broadcast
         * and groups (a host with no address yet: DHCP, IGMP). */
        if (!src && dst != 0xffffffffu && !ln_ip_is_mcast(dst)) {
            ln_pkt_free(pkt);
            return LN_EADDRNOTAVAIL;
        }
    } else if (!o.any_src && !ln_ip_is_local(n, src)) {
        ln_pkt_free(pkt);
        return LN_EADDRNOTAVAIL;
    } else if (rc && !o.any_src && ifc && !local && dc == LN_ADDR_OTHER &&
               dst != 0xffffffffu && !ln_ip_is_mcast(dst)) {
        *rc = (ln_ip_rcache){ .ifc = ifc, .nh = nh, .gen = n->routes.gen };
    }

routed:;
    uint32_t hlen = LN_IP_HLEN + o.hdr_opt_len;
    if (o.hdr_opt_len % 4 || o.hdr_opt_len > 40) {
        ln_pkt_free(pkt);
        return LN_EINVAL;
    }
    uint32_t tot = pkt->len + hlen;
    /* Loopback MTU is 65536 on Linux, so only the 16-bit length limits. */
    uint32_t mtu = local ? 65535u : ifc->mtu;
    if (tot > 65535u || (tot > mtu && o.df_set && o.df)) {
        /* Linux refuses locally (EMSGSIZE from ip_append_data) without
         * touching the MIB: nothing was sent. */
        ln_pkt_free(pkt);
        return LN_EMSGSIZE;
    }
    uint8_t *h = ln_pkt_push(pkt, hlen);
    if (!h) {
        LN_MIB_INC(n, IpOutDiscards);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_NO_BUFFER);
        return LN_ENOBUFS;
    }
    h[LN_IP_VHL] = (uint8_t)(0x40 | hlen / 4);
    h[LN_IP_TOS] = o.tos;
    ln_put16(h + LN_IP_LEN, (uint16_t)tot);
    /* Linux picks IDs per destination (ip_idents hash) and uses 0 or a
     * per-socket counter for DF datagrams; lunet uses one counter per
     * node unless the caller supplies its own (id_set). */
    ln_put16(h + LN_IP_ID, o.id_set ? o.id : n->ip_id++);
    ln_put16(h + LN_IP_FRAG, (o.df_set && o.df) ? LN_IP_DF : 0);
    h[LN_IP_TTL] = (o.ttl || o.ttl_set) ? o.ttl : n->cfg.ip_default_ttl;
    h[LN_IP_PROTO] = proto;
    ln_put16(h + LN_IP_CSUM, 0);
    ln_put32(h + LN_IP_SRC, src);
    ln_put32(h + LN_IP_DST, dst);
    if (o.hdr_opt_len) memcpy(h + LN_IP_HLEN, o.hdr_opt, o.hdr_opt_len);
    ln_put16(h + LN_IP_CSUM, ln_csum_iphdr(h, hlen));
    pkt->in_if = NULL;                 /* generated here: see ip.h */
    pkt->mark = 0;
    LN_MIB_INC(n, IpOutRequests);

    if (local) {
        ln_node_loopback(n, pkt);
        return 0;
    }
    /* A broadcast we send is also received by ourselves (Linux
     * ip_mc_output loops a copy of RTCF_BROADCAST datagrams back). */
    if (dst == 0xffffffffu || dc == LN_ADDR_BCAST) {
        LN_MIB_INC(n, IpExtOutBcastPkts);
        ln_pkt *copy = ln_pkt_clone(pkt);
        if (copy) ln_node_loopback(n, copy);
    } else if (ln_ip_is_mcast(dst)) {
        /* ip_mc_output: with IP_MULTICAST_LOOP, a copy for the sockets of
         * this host when the interface is a member. */
        LN_MIB_INC(n, IpExtOutMcastPkts);
        if (o.mc_loop && ln_igmp_member(ifc, dst)) {
            ln_pkt *copy = ln_pkt_clone(pkt);
            if (copy) ln_node_loopback(n, copy);
        }
        /* TTL 0: for this host only (ip_mc_output frees it after the
         * loop copy). */
        if (h[LN_IP_TTL] == 0) {
            ln_pkt_free(pkt);
            return 0;
        }
    }
    if (tot > mtu) return ln_ip_fragment(n, ifc, nh, pkt, mtu);
    const void *neigh = ln_arp_output(n, ifc, nh, pkt);
    if (rc && rc->ifc == ifc) rc->neigh = neigh;        /* only with a cached route */
    return 0;

no_route:
    if (LN_TRACE_ON(n->net, LN_TR_IP)) {
        char a[16];
        ln_trace_emit(n->net, LN_TR_IP, n->name, "send to %s: %s", ln_ip_fmt(dst, a),
                      o.oif ? "interface down" : "no route, network unreachable");
    }
    LN_MIB_INC(n, IpOutNoRoutes);
    ln_net_drop(n->net, n, NULL, pkt, LN_LAYER_L4, LN_DROP_NO_ROUTE);
    return LN_ENETUNREACH;
}
