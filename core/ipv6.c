/* ipv6.c - IPv6 input, extension headers, local delivery, forwarding and
 * output (RFC 8200), following Linux's ip6_input.c / exthdrs.c /
 * ip6_output.c.
 *
 * Input:   ln_eth_input -> ln_ip6_input -> header checks (ip6_rcv_core
 *            order) -> hop-by-hop options (every node, RFC 8200 4.3)
 *            -> ours:    deliver: destination options, routing, fragment
 *                        (ln_reasm6_input) ... -> the next header's handler
 *            -> forward: route, hop limit, MTU (Packet Too Big), hop limit--
 *                        -> ln_nd_output
 *            -> else:    drop OTHER_HOST (Ip6InAddrErrors)
 * Output:  icmp6.c, nd.c, ra.c (later TCP, UDP) -> ln_ip6_output -> route,
 *            source, path MTU -> header -> ln_nd_output | ln_ip6_fragment
 *            | loopback timer -> ln_ip6_input
 *
 * Every malformed case is a counted drop with a reason: a header cut short
 * (TRUNCATED), an option or extension header that does not parse
 * (EXTHDR, with Parameter Problem as RFC 8200 4.2-4.5 asks), a type 0
 * routing header (RH0: RFC 5095 3), a next header nobody handles
 * (UNKNOWN_PROTO, Parameter Problem code 1).  Flow labels are what the
 * sender asks (TCP sets one per connection, as Linux's auto_flowlabels;
 * everything else sends 0);
 * redirects are neither sent nor followed; multicast is not routed, and
 * multicast we send is not looped back to our own sockets. */
#include "ip6.h"

#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "eth.h"
#include "icmp6.h"
#include "nd.h"
#include "node.h"
#include "trace.h"
#include "udp.h"
#include "wire.h"

static ln_in6 get_in6(const uint8_t *p)
{
    ln_in6 a;
    memcpy(a.b, p, 16);
    return a;
}

uint32_t ln_ip6_pseudo(const ln_in6 *src, const ln_in6 *dst, uint32_t len, uint8_t nxt)
{
    uint32_t s = ln_csum_partial(src->b, 16, 0);
    s = ln_csum_partial(dst->b, 16, s);
    uint64_t t = (uint64_t)s + (len >> 16) + (len & 0xffff) + nxt;
    while (t >> 32) t = (t & 0xffffffffu) + (t >> 32);
    return (uint32_t)t;
}

void ln_ip6_register(ln_node *n, uint8_t nxt, ln_ip6_proto_fn fn)
{
    ln_ip6 *s = n->ip6;
    for (uint32_t i = 0; i < s->n_proto; i++) {
        if (s->proto[i].proto != nxt) continue;
        s->proto[i].fn = fn;
        return;
    }
    if (!fn) return;
    if (s->n_proto == LN_IP6_MAX_PROTOS) ln_fatal("ln_ip6_register: more than %d protocols", LN_IP6_MAX_PROTOS);
    s->proto[s->n_proto].proto = nxt;
    s->proto[s->n_proto++].fn = fn;
}

static ln_ip6_proto_fn handler(const ln_node *n, uint8_t nxt)
{
    for (uint32_t i = 0; i < n->ip6->n_proto; i++)
        if (n->ip6->proto[i].proto == nxt) return n->ip6->proto[i].fn;
    return NULL;
}

uint32_t ln_ip6_if_mtu(const ln_iface *ifc)
{
    uint32_t m = ifc->mtu;
    if (ifc->ip6 && ifc->ip6->mtu && ifc->ip6->mtu < m) m = ifc->ip6->mtu;
    return m;
}

/* ---- path MTU (RFC 8201) -------------------------------------------------- */

static ln_pmtu6 *pmtu_find(ln_ip6 *s, const ln_in6 *dst)
{
    for (uint32_t i = 0; i < s->n_pmtu; i++)
        if (ln_in6_eq(&s->pmtu[i].dst, dst)) return &s->pmtu[i];
    return NULL;
}

uint32_t ln_ip6_pmtu(ln_node *n, const ln_in6 *dst, uint32_t link_mtu)
{
    ln_pmtu6 *e = n->ip6 ? pmtu_find(n->ip6, dst) : NULL;
    if (!e || ln_net_now(n->net) >= e->expires) return link_mtu;
    return e->mtu < link_mtu ? e->mtu : link_mtu;
}

void ln_ip6_pmtu_update(ln_node *n, const ln_in6 *dst, uint32_t mtu)
{
    ln_ip6 *s = n->ip6;
    if (!s) return;
    /* RFC 8200 5: never below the minimum link MTU (Linux clamps the
     * same way since it stopped sending atomic fragments, RFC 8021). */
    if (mtu < LN_IP6_MIN_MTU) mtu = LN_IP6_MIN_MTU;
    ln_time now = ln_net_now(n->net);
    ln_pmtu6 *e = pmtu_find(s, dst);
    /* RFC 8201 4: a Packet Too Big never raises the estimate. */
    if (e && now < e->expires && mtu >= e->mtu) return;
    if (!e) {
        if (s->n_pmtu == s->cap_pmtu) {
            uint32_t cap = s->cap_pmtu ? s->cap_pmtu * 2 : 4;
            ln_pmtu6 *v = realloc(s->pmtu, cap * sizeof *v);
            if (!v) return;
            s->pmtu = v;
            s->cap_pmtu = cap;
        }
        e = &s->pmtu[s->n_pmtu++];
        e->dst = *dst;
    }
    e->mtu = mtu;
    /* net.ipv6.route.mtu_expires: try the link MTU again after 10 min. */
    e->expires = now + n->cfg.ip6_mtu_expires;
    if (LN_TRACE_ON(n->net, LN_TR_IP)) {
        char a[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_IP, n->name, "path mtu to %s is now %u", ln_ip6_fmt(dst, a), mtu);
    }
}

/* ---- routing -------------------------------------------------------------- */

static ln_iface *first_ip6_iface(const ln_node *n)
{
    for (uint32_t i = 0; i < n->n_ifaces; i++)
        if (n->ifaces[i]->ip6 && n->ifaces[i]->up) return n->ifaces[i];
    return NULL;
}

ln_iface *ln_ip6_route(ln_node *n, const ln_in6 *dst, ln_iface *oif, ln_in6 *nexthop)
{
    *nexthop = *dst;
    if (!n->ip6) return NULL;
    /* Link-scope destinations need an interface: Linux wants a scope id
     * (ping fe80::1%eth0); lunet takes the first IPv6 interface, the
     * only one on most hosts. */
    if (ln_in6_is_linklocal(dst) || ln_in6_is_mcast(dst)) {
        ln_iface *c = oif ? oif : first_ip6_iface(n);
        return c && c->ip6 && c->up ? c : NULL;
    }
    const ln_route6 *r = ln_route6_lookup(&n->ip6->routes, dst, ln_net_now(n->net));
    if (oif && (!r || r->iface != oif)) return oif->up && oif->ip6 ? oif : NULL;
    if (!r) return NULL;
    if (r->has_gw) *nexthop = r->gateway;
    return r->iface;
}

bool ln_ip6_src_for(ln_node *n, const ln_in6 *dst, ln_in6 *src)
{
    return ln_ip6_src_via(n, dst, NULL, src);
}

bool ln_ip6_src_via(ln_node *n, const ln_in6 *dst, ln_iface *oif, ln_in6 *src)
{
    if (!n->ip6) return false;
    if (ln_ip6_is_local(n, dst)) {
        *src = *dst;
        return true;
    }
    ln_in6 nh;
    ln_iface *ifc = ln_ip6_route(n, dst, oif, &nh);
    return ifc && ln_ip6_src_select(n, ifc, dst, src);
}

/* ---- input ---------------------------------------------------------------- */

static void hdr_drop(ln_node *n, ln_iface *ifc, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, Ip6InHdrErrors);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, why);
}

/* Parameter Problem about the byte at `ptr` (from the IPv6 header), then
 * the drop.  pkt->data is at the IPv6 header. */
static void param_prob(ln_node *n, ln_iface *ifc, ln_pkt *pkt, uint8_t code, uint32_t ptr,
                       ln_drop_reason why)
{
    LN_MIB_INC(n, Ip6InHdrErrors);
    ln_icmp6_error(n, pkt, LN_ICMP6_PARAM_PROB, code, ptr);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, why);
}

/* The TLV options of a hop-by-hop or destination options header at off
 * (RFC 8200 4.2).  Returns true to go on; otherwise pkt was consumed. */
static bool tlv_options(ln_node *n, ln_iface *ifc, ln_pkt *pkt, uint32_t off, uint32_t hlen)
{
    const uint8_t *h = pkt->data;
    bool mcast = h[LN_IP6_DST] == 0xff;
    uint32_t i = off + 2, end = off + hlen;
    while (i < end) {
        uint8_t type = h[i];
        if (type == 0) { i++; continue; }                 /* Pad1 */
        if (i + 2 > end || i + 2 + h[i + 1] > end) {
            /* An option that runs past its header (Linux: ip6_parse_tlv
             * "bad"): Parameter Problem at the header. */
            param_prob(n, ifc, pkt, LN_ICMP6_PARAMPROB_HEADER, i, LN_DROP_EXTHDR);
            return false;
        }
        uint8_t olen = h[i + 1];
        /* PadN (1), Router Alert (5, RFC 2711) are understood; the rest
         * by the two high-order bits of the type (4.2). */
        if (type != 1 && type != 5) {
            switch (type >> 6) {
            case 0: break;
            case 1:
                hdr_drop(n, ifc, pkt, LN_DROP_EXTHDR);
                return false;
            case 2:
                param_prob(n, ifc, pkt, LN_ICMP6_PARAMPROB_OPTION, i, LN_DROP_EXTHDR);
                return false;
            case 3:
                if (mcast) hdr_drop(n, ifc, pkt, LN_DROP_EXTHDR);
                else param_prob(n, ifc, pkt, LN_ICMP6_PARAMPROB_OPTION, i, LN_DROP_EXTHDR);
                return false;
            }
        }
        i += 2u + olen;
    }
    return true;
}

/* UDP to a node where nothing registered it: like a UDP stack with no
 * socket bound (as ipv4.c's udp_unbound), port unreachable. */
static void udp_unbound(ln_node *n, ln_iface *ifc, ln_pkt *pkt, uint32_t off, const ln_in6 *src,
                        const ln_in6 *dst)
{
    const uint8_t *u = pkt->data + off;
    uint32_t avail = pkt->len - off;
    uint32_t ulen = avail >= LN_UDP_HLEN ? ln_get16(u + 4) : 0;
    if (avail < LN_UDP_HLEN || ulen < LN_UDP_HLEN || ulen > avail) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_MALFORMED);
        return;
    }
    /* RFC 8200 8.1: a zero checksum is invalid over IPv6. */
    if (ln_get16(u + 6) == 0 ||
        ln_csum_fold(ln_csum_partial(u, ulen, ln_ip6_pseudo(src, dst, ulen, LN_IPPROTO_UDP))) != 0) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_BAD_CSUM);
        return;
    }
    LN_MIB_INC(n, Ip6InDelivers);
    ln_icmp6_error(n, pkt, LN_ICMP6_DST_UNREACH, LN_ICMP6_UNREACH_PORT, 0);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_LISTENER);
}

/* Local delivery (ip6_input_finish): the extension headers after the
 * hop-by-hop one, then the upper layer.  pkt->data at the IPv6 header;
 * nh is the next header found at nh_off, off where it starts. */
static void deliver(ln_node *n, ln_iface *ifc, ln_pkt *pkt, uint8_t nh, uint32_t nh_off, uint32_t off)
{
    for (;;) {
        const uint8_t *h = pkt->data;
        uint32_t len = pkt->len;
        switch (nh) {
        case LN_IPPROTO_HOPOPTS:
            /* RFC 8200 4.1: only right after the IPv6 header. */
            param_prob(n, ifc, pkt, LN_ICMP6_PARAMPROB_NEXTHDR, nh_off, LN_DROP_EXTHDR);
            return;
        case LN_IPPROTO_DSTOPTS:
        case LN_IPPROTO_ROUTING: {
            if (off + 8 > len) {
                hdr_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
                return;
            }
            uint32_t hl = ((uint32_t)h[off + 1] + 1) * 8;
            if (off + hl > len) {
                hdr_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
                return;
            }
            if (nh == LN_IPPROTO_DSTOPTS) {
                if (!tlv_options(n, ifc, pkt, off, hl)) return;
            } else if (h[off + 3] != 0) {
                /* Segments left: RFC 5095 3 deprecates type 0 (and lunet
                 * knows no other type), so both are an unrecognised
                 * routing type: Parameter Problem at the type (4.4). */
                bool rh0 = h[off + 2] == 0;
                param_prob(n, ifc, pkt, LN_ICMP6_PARAMPROB_HEADER, off + 2,
                           rh0 ? LN_DROP_RH0 : LN_DROP_EXTHDR);
                return;
            }
            /* Segments left 0: ignore the header and go on (4.4). */
            nh_off = off;
            nh = h[off];
            off += hl;
            continue;
        }
        case LN_IPPROTO_FRAGMENT: {
            if (off + LN_FRAG6_HLEN > len) {
                hdr_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
                return;
            }
            uint16_t fo = ln_get16(h + off + LN_FRAG6_OFF);
            if (!(fo & (LN_FRAG6_OFFMASK | LN_FRAG6_MF))) {
                /* An atomic fragment (RFC 6946 4, RFC 8200 4.5): processed
                 * on its own, never mixed with a queue. */
                nh_off = off;
                nh = h[off];
                off += LN_FRAG6_HLEN;
                continue;
            }
            LN_MIB_INC(n, Ip6ReasmReqds);
            uint32_t flen = len - off - LN_FRAG6_HLEN;
            /* RFC 8200 4.5: a fragment other than the last must carry a
             * multiple of 8 octets (pointer: the payload length) ... */
            if ((fo & LN_FRAG6_MF) && (flen % 8 || flen == 0)) {
                LN_MIB_INC(n, Ip6ReasmFails);
                param_prob(n, ifc, pkt, LN_ICMP6_PARAMPROB_HEADER, LN_IP6_PLEN, LN_DROP_REASM_INVALID);
                return;
            }
            /* ... and must not end past 65535 (pointer: the offset). */
            if ((uint32_t)(fo & LN_FRAG6_OFFMASK) + flen > 65535u) {
                LN_MIB_INC(n, Ip6ReasmFails);
                param_prob(n, ifc, pkt, LN_ICMP6_PARAMPROB_HEADER, off + LN_FRAG6_OFF, LN_DROP_REASM_INVALID);
                return;
            }
            pkt = ln_reasm6_input(n, pkt, &off, &nh_off);
            if (!pkt) return;
            /* The whole datagram, its fragment header gone: go on from
             * where that header was. */
            nh = pkt->data[nh_off];
            continue;
        }
        case LN_IPPROTO_NONE:
            LN_MIB_INC(n, Ip6InDelivers);
            ln_pkt_free(pkt);
            return;
        default:
            break;
        }
        ln_ip6_info info = {
            .src = get_in6(h + LN_IP6_SRC), .dst = get_in6(h + LN_IP6_DST), .nxt = nh,
            .hlim = h[LN_IP6_HLIM], .tclass = (uint8_t)(ln_get16(h) >> 4),
            .flow = ln_get32(h) & 0xfffff, .hlen = (uint16_t)off, .len = len - off, .in_if = ifc,
        };
        ln_ip6_proto_fn fn = handler(n, nh);
        if (!fn && nh == LN_IPPROTO_UDP) {
            udp_unbound(n, ifc, pkt, off, &info.src, &info.dst);
            return;
        }
        if (!fn) {
            /* RFC 8200 4: an unrecognised next header, Parameter Problem
             * code 1 pointing at it (Linux: ip6_input_finish). */
            LN_MIB_INC(n, Ip6InUnknownProtos);
            ln_icmp6_error(n, pkt, LN_ICMP6_PARAM_PROB, LN_ICMP6_PARAMPROB_NEXTHDR, nh_off);
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_UNKNOWN_PROTO);
            return;
        }
        LN_MIB_INC(n, Ip6InDelivers);
        ln_pkt_pull(pkt, off);
        fn(n, pkt, &info);
        return;
    }
}

/* Forward (ip6_forward, RFC 8200 3 and RFC 4443 3). */
static void forward(ln_node *n, ln_iface *ifc, ln_pkt *pkt)
{
    uint8_t *h = pkt->data;
    ln_in6 src = get_in6(h + LN_IP6_SRC), dst = get_in6(h + LN_IP6_DST);
    char a[LN_IN6_FMTLEN], b[LN_IN6_FMTLEN];
    /* Link-local addresses are not forwarded (RFC 4291 2.5.6): a
     * destination is nobody here, a source is answered "beyond scope"
     * (RFC 4443 3.1 code 2). */
    if (ln_in6_is_linklocal(&dst)) {
        LN_MIB_INC(n, Ip6InAddrErrors);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_OTHER_HOST);
        return;
    }
    /* An unspecified source is never forwarded (ip6_forward: "security
     * critical"; RFC 4291 2.5.2). */
    if (ln_in6_is_unspec(&src)) {
        LN_MIB_INC(n, Ip6InAddrErrors);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_MALFORMED);
        return;
    }
    ln_in6 nh;
    ln_iface *out = ln_ip6_route(n, &dst, NULL, &nh);
    if (!out) {
        LN_TRACE(n->net, LN_TR_IP, n->name, "forward to %s: no route", ln_ip6_fmt(&dst, a));
        LN_MIB_INC(n, Ip6InNoRoutes);
        ln_icmp6_error(n, pkt, LN_ICMP6_DST_UNREACH, LN_ICMP6_UNREACH_NOROUTE, 0);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_ROUTE);
        return;
    }
    if (ln_in6_is_linklocal(&src) && out != ifc) {
        LN_MIB_INC(n, Ip6InAddrErrors);
        ln_icmp6_error(n, pkt, LN_ICMP6_DST_UNREACH, LN_ICMP6_UNREACH_BEYONDSCOPE, 0);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_MARTIAN);
        return;
    }
    if (h[LN_IP6_HLIM] <= 1) {
        LN_TRACE(n->net, LN_TR_IP, n->name, "forward %s > %s: hop limit %u, time exceeded",
                 ln_ip6_fmt(&src, a), ln_ip6_fmt(&dst, b), h[LN_IP6_HLIM]);
        LN_MIB_INC(n, Ip6InHdrErrors);
        ln_icmp6_error(n, pkt, LN_ICMP6_TIME_EXCEED, LN_ICMP6_TIMXCEED_HOPLIMIT, 0);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_TTL_EXPIRED);
        return;
    }
    uint32_t mtu = ln_ip6_if_mtu(out);
    if (pkt->len > mtu) {
        /* Routers never fragment IPv6 (RFC 8200 5): Packet Too Big with
         * the next hop's MTU (RFC 4443 3.2). */
        LN_TRACE(n->net, LN_TR_IP, n->name, "forward %s > %s: %u bytes, mtu %u of %s: packet too big",
                 ln_ip6_fmt(&src, a), ln_ip6_fmt(&dst, b), pkt->len, mtu, out->name);
        LN_MIB_INC(n, Ip6InTooBigErrors);
        ln_icmp6_error(n, pkt, LN_ICMP6_PKT_TOOBIG, 0, mtu);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_PKT_TOO_BIG);
        return;
    }
    if (LN_TRACE_ON(n->net, LN_TR_IP)) {
        char c[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_IP, n->name, "forward %s > %s: %s -> %s, next hop %s, hop limit %u",
                      ln_ip6_fmt(&src, a), ln_ip6_fmt(&dst, b), ifc->name, out->name, ln_ip6_fmt(&nh, c),
                      h[LN_IP6_HLIM]);
    }
    h[LN_IP6_HLIM]--;             /* no header checksum to patch */
    LN_MIB_INC(n, Ip6OutForwDatagrams);
    ln_nd_output(n, out, &nh, pkt);
}

void ln_ip6_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt)
{
    /* IPv6 off on the node, or on the interface it came in by (Linux's
     * ipv6_rcv without the device's inet6_dev): not ours to parse. */
    if (!n->ip6 || (ifc && !ifc->ip6)) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_UNKNOWN_ETHERTYPE);
        return;
    }
    LN_MIB_INC(n, Ip6InReceives);
    /* ip6_rcv_core's checks, in its order. */
    if (pkt->len < LN_IP6_HLEN) {
        hdr_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
        return;
    }
    uint8_t *h = pkt->data;
    if ((h[0] >> 4) != 6) {
        hdr_drop(n, ifc, pkt, LN_DROP_MALFORMED);
        return;
    }
    ln_in6 src = get_in6(h + LN_IP6_SRC), dst = get_in6(h + LN_IP6_DST);
    /* RFC 4291 2.5.3 and 2.7: loopback never on a wire, a multicast
     * source never, a multicast destination of scope 0 never, an
     * interface-local one never from a wire. */
    if (ln_in6_is_mcast(&src) ||
        (ifc && (ln_in6_is_loopback(&src) || ln_in6_is_loopback(&dst))) ||
        (ln_in6_is_mcast(&dst) && (ln_in6_mc_scope(&dst) == 0 || (ifc && ln_in6_mc_scope(&dst) == 1)))) {
        if (LN_TRACE_ON(n->net, LN_TR_IP)) {
            char a[LN_IN6_FMTLEN], b[LN_IN6_FMTLEN];
            ln_trace_emit(n->net, LN_TR_IP, n->name, "martian %s > %s", ln_ip6_fmt(&src, a), ln_ip6_fmt(&dst, b));
        }
        hdr_drop(n, ifc, pkt, LN_DROP_MARTIAN);
        return;
    }
    uint32_t plen = ln_get16(h + LN_IP6_PLEN);
    if (plen == 0 && h[LN_IP6_NXT] == LN_IPPROTO_HOPOPTS) {
        /* A jumbogram (RFC 2675): not on any link lunet has. */
        hdr_drop(n, ifc, pkt, LN_DROP_EXTHDR);
        return;
    }
    if (LN_IP6_HLEN + plen > pkt->len) {
        LN_MIB_INC(n, Ip6InTruncatedPkts);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_TRUNCATED);
        return;
    }
    ln_pkt_trim(pkt, LN_IP6_HLEN + plen);      /* the Ethernet padding */

    uint8_t nh = h[LN_IP6_NXT];
    uint32_t nh_off = LN_IP6_NXT, off = LN_IP6_HLEN;
    if (nh == LN_IPPROTO_HOPOPTS) {
        /* RFC 8200 4.3: examined by every node on the path. */
        if (off + 8 > pkt->len || off + ((uint32_t)h[off + 1] + 1) * 8 > pkt->len) {
            hdr_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
            return;
        }
        uint32_t hl = ((uint32_t)h[off + 1] + 1) * 8;
        if (!tlv_options(n, ifc, pkt, off, hl)) return;
        nh_off = off;
        nh = h[off];
        off += hl;
    }

    if (ln_in6_is_mcast(&dst)) {
        if (ifc && !ln_ip6_mc_member(ifc, &dst)) {
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_OTHER_HOST);
            return;
        }
        LN_MIB_INC(n, Ip6InMcastPkts);
        deliver(n, ifc, pkt, nh, nh_off, off);
        return;
    }
    /* Ours, tentative ones included: ND for a tentative target still
     * reaches DAD (nd.c); anything else to it is dropped there. */
    /* A link-local address is ours only on its own link (RFC 4007 6). */
    const ln_ip6_addr *own = ln_ip6_addr_find(n, ln_in6_is_linklocal(&dst) ? ifc : NULL, &dst);
    if (own || ln_in6_is_loopback(&dst)) {
        if (own && own->state != LN_IP6A_PREFERRED && nh != LN_IPPROTO_ICMPV6) {
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_OTHER_HOST);
            return;
        }
        deliver(n, ifc, pkt, nh, nh_off, off);
        return;
    }
    if (!n->forwarding || !ifc || (pkt->mark & LN_ETH_MARK_MCAST)) {
        LN_MIB_INC(n, Ip6InAddrErrors);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_OTHER_HOST);
        return;
    }
    forward(n, ifc, pkt);
}

/* ---- output --------------------------------------------------------------- */

static int out_fail(ln_node *n, ln_pkt *pkt, const ln_in6 *dst, int rc)
{
    if (rc == LN_ENETUNREACH) {
        if (LN_TRACE_ON(n->net, LN_TR_IP)) {
            char a[LN_IN6_FMTLEN];
            ln_trace_emit(n->net, LN_TR_IP, n->name, "send to %s: no route, network unreachable",
                          ln_ip6_fmt(dst, a));
        }
        LN_MIB_INC(n, Ip6OutNoRoutes);
        ln_net_drop(n->net, n, NULL, pkt, LN_LAYER_L4, LN_DROP_NO_ROUTE);
    } else {
        ln_pkt_free(pkt);
    }
    return rc;
}

int ln_ip6_output(ln_node *n, ln_pkt *pkt, const ln_in6 *src, const ln_in6 *dst, uint8_t nxt,
                  const ln_ip6_opts *opts)
{
    ln_ip6_opts o = opts ? *opts : (ln_ip6_opts){0};
    if (!n->ip6) return out_fail(n, pkt, dst, LN_ENETUNREACH);
    ln_iface *ifc = NULL;
    ln_in6 nh = *dst;
    bool local = ln_ip6_is_local(n, dst);
    if (!local) {
        ifc = ln_ip6_route(n, dst, o.oif, &nh);
        if (!ifc) return out_fail(n, pkt, dst, LN_ENETUNREACH);
    }
    ln_in6 s;
    if (!src || (ln_in6_is_unspec(src) && !o.any_src)) {
        if (local) s = *dst;
        else if (!ln_ip6_src_select(n, ifc, dst, &s)) return out_fail(n, pkt, dst, LN_EADDRNOTAVAIL);
    } else {
        s = *src;
        if (!o.any_src && !ln_ip6_is_local(n, &s) &&
            !(o.no_dad_check && ln_ip6_addr_find(n, NULL, &s)))
            return out_fail(n, pkt, dst, LN_EADDRNOTAVAIL);
    }
    uint32_t plen = pkt->len;
    if (plen > 65535u) return out_fail(n, pkt, dst, LN_EMSGSIZE);
    uint32_t mtu = local ? 65535u + LN_IP6_HLEN : ln_ip6_pmtu(n, dst, ln_ip6_if_mtu(ifc));
    if (plen + LN_IP6_HLEN > mtu && o.dontfrag) return out_fail(n, pkt, dst, LN_EMSGSIZE);
    uint8_t *h = ln_pkt_push(pkt, LN_IP6_HLEN);
    if (!h) {
        LN_MIB_INC(n, Ip6OutDiscards);
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_NO_BUFFER);
        return LN_ENOBUFS;
    }
    uint8_t hlim = o.hlim_set ? o.hlim
                 : ifc && ifc->ip6 && ifc->ip6->hlim ? ifc->ip6->hlim : n->cfg.ip6_hop_limit;
    /* Sockets send to a group with hop limit 1 (IPV6_MULTICAST_HOPS). */
    if (!o.hlim_set && ln_in6_is_mcast(dst)) hlim = 1;
    ln_put32(h, 6u << 28 | (uint32_t)o.tclass << 20 | (o.flow & 0xfffffu));
    ln_put16(h + LN_IP6_PLEN, (uint16_t)plen);
    h[LN_IP6_NXT] = nxt;
    h[LN_IP6_HLIM] = hlim;
    memcpy(h + LN_IP6_SRC, s.b, 16);
    memcpy(h + LN_IP6_DST, dst->b, 16);
    pkt->in_if = NULL;
    pkt->mark = 0;
    LN_MIB_INC(n, Ip6OutRequests);
    if (local) {
        ln_node_loopback(n, pkt);
        return 0;
    }
    if (ln_in6_is_mcast(dst)) LN_MIB_INC(n, Ip6OutMcastPkts);
    if (pkt->len > mtu) return ln_ip6_fragment(n, ifc, &nh, pkt, mtu);
    ln_nd_output(n, ifc, &nh, pkt);
    return 0;
}

void ln_ip6_free(ln_node *n)
{
    ln_ip6 *s = n->ip6;
    if (!s) return;
    ln_nd_destroy(&s->nd);
    ln_reasm6_free(n);
    ln_rt6table_destroy(&s->routes);
    free(s->pmtu);
    free(s);
    n->ip6 = NULL;
}
