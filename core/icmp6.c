/* icmp6.c - ICMPv6 (RFC 4443): echo, errors, and the entry point of
 * neighbour discovery, following Linux's net/ipv6/icmp.c and ping.c.
 *
 *   ln_ip6_input -> deliver -> ln_icmp6_input -> checksum, counters
 *       -> echo request: reply          -> echo reply: the ping socket
 *       -> errors: path MTU (Packet Too Big), then the socket that sent
 *          the quoted datagram
 *       -> RS/RA: ln_ra_input (ra.c)    -> NS/NA: ln_nd_input (nd.c)
 *   ipv6.c, nd.c, ip6_frag.c -> ln_icmp6_error -> ln_icmp6_send -> ln_ip6_output
 *
 * Errors are rate-limited as RFC 4443 2.4 (f) requires, the way Linux does
 * (icmp_rate.c): per destination (net.ipv6.icmp.ratelimit, a burst of 6,
 * the interval shortened for destinations behind a wider route) and with
 * the node's ICMP budget shared with IPv4; never Packet Too Big.  Echo
 * requests to a multicast address are answered, as Linux does
 * (net.ipv6.icmp.echo_ignore_multicast = 0). */
#include "icmp6.h"
#include "icmp_rate.h"

#include <string.h>

#include "csum.h"
#include "err.h"
#include "eth.h"
#include "nd.h"
#include "node.h"
#include "ra.h"
#include "trace.h"
#include "udp.h"
#include "wire.h"

/* RFC 4443 2.4 (c): as much of the invoking packet as fits in 1280. */
#define ERR_ROOM (LN_IP6_MIN_MTU - LN_IP6_HLEN - LN_ICMP6_HLEN)


/* Types 0-127 are errors (RFC 4443 2.1). */
static bool is_error(uint8_t t) { return t < 128; }

static const char *describe(uint8_t type, uint8_t code)
{
    switch (type) {
    case LN_ICMP6_ECHO_REQUEST: return "icmp6 echo request";
    case LN_ICMP6_ECHO_REPLY: return "icmp6 echo reply";
    case LN_ICMP6_PKT_TOOBIG: return "icmp6 packet too big";
    case LN_ICMP6_TIME_EXCEED:
        return code == LN_ICMP6_TIMXCEED_REASM ? "icmp6 fragment reassembly time exceeded"
                                               : "icmp6 hop limit exceeded";
    case LN_ICMP6_PARAM_PROB: return "icmp6 parameter problem";
    case LN_ICMP6_DST_UNREACH:
        switch (code) {
        case LN_ICMP6_UNREACH_NOROUTE: return "icmp6 no route to destination";
        case LN_ICMP6_UNREACH_ADMIN: return "icmp6 administratively prohibited";
        case LN_ICMP6_UNREACH_BEYONDSCOPE: return "icmp6 beyond scope of source address";
        case LN_ICMP6_UNREACH_ADDR: return "icmp6 address unreachable";
        case LN_ICMP6_UNREACH_PORT: return "icmp6 port unreachable";
        default: return "icmp6 destination unreachable";
        }
    case LN_ND_ROUTER_SOLICIT: return "icmp6 router solicitation";
    case LN_ND_ROUTER_ADVERT: return "icmp6 router advertisement";
    case LN_ND_NEIGHBOR_SOLICIT: return "icmp6 neighbor solicitation";
    case LN_ND_NEIGHBOR_ADVERT: return "icmp6 neighbor advertisement";
    default: return "icmp6";
    }
}

static void count_out(ln_node *n, uint8_t type)
{
    LN_MIB_INC(n, Icmp6OutMsgs);
    switch (type) {
    case LN_ICMP6_DST_UNREACH: LN_MIB_INC(n, Icmp6OutDestUnreachs); break;
    case LN_ICMP6_PKT_TOOBIG: LN_MIB_INC(n, Icmp6OutPktTooBigs); break;
    case LN_ICMP6_TIME_EXCEED: LN_MIB_INC(n, Icmp6OutTimeExcds); break;
    case LN_ICMP6_PARAM_PROB: LN_MIB_INC(n, Icmp6OutParmProblems); break;
    case LN_ICMP6_ECHO_REQUEST: LN_MIB_INC(n, Icmp6OutEchos); break;
    case LN_ICMP6_ECHO_REPLY: LN_MIB_INC(n, Icmp6OutEchoReplies); break;
    case LN_ND_ROUTER_SOLICIT: LN_MIB_INC(n, Icmp6OutRouterSolicits); break;
    case LN_ND_ROUTER_ADVERT: LN_MIB_INC(n, Icmp6OutRouterAdvertisements); break;
    case LN_ND_NEIGHBOR_SOLICIT: LN_MIB_INC(n, Icmp6OutNeighborSolicits); break;
    case LN_ND_NEIGHBOR_ADVERT: LN_MIB_INC(n, Icmp6OutNeighborAdvertisements); break;
    default: break;
    }
}

int ln_icmp6_send(ln_node *n, ln_pkt *p, const ln_in6 *src, const ln_in6 *dst, const ln_ip6_opts *o)
{
    ln_in6 s;
    if (src) {
        s = *src;
    } else if (!ln_ip6_src_select(n, ln_ip6_route(n, dst, o ? o->oif : NULL, &(ln_in6){{0}}), dst, &s)) {
        /* Nothing to send it from: ln_ip6_output says why. */
        memset(&s, 0, sizeof s);
    }
    uint8_t *d = p->data;
    ln_put16(d + 2, 0);
    ln_put16(d + 2, ln_csum_fold(ln_csum_partial(d, p->len, ln_ip6_pseudo(&s, dst, p->len,
                                                                          LN_IPPROTO_ICMPV6))));
    p->l4_csum_ok = 1;
    uint8_t type = d[0], code = d[1];
    if (ln_net_wants(n->net, LN_EV_ICMP_OUT)) {
        ln_event ev = { .type = LN_EV_ICMP_OUT, .node = n, .pkt = p, .layer = LN_LAYER_L4,
                        .value = (int64_t)type << 8 | code, .value2 = LN_IPPROTO_ICMPV6,
                        .text = describe(type, code) };
        ln_net_emit(n->net, &ev);
    }
    int rc = ln_ip6_output(n, p, src || !ln_in6_is_unspec(&s) ? &s : NULL, dst, LN_IPPROTO_ICMPV6, o);
    if (rc == 0) count_out(n, type);
    else LN_MIB_INC(n, Icmp6OutErrors);
    return rc;
}

/* ---- errors we send ------------------------------------------------------ */

static void not_sent(ln_node *n, uint8_t type, uint8_t code, const ln_in6 *about, const char *why)
{
    if (!LN_TRACE_ON(n->net, LN_TR_ICMP)) return;
    char a[LN_IN6_FMTLEN];
    ln_trace_emit(n->net, LN_TR_ICMP, n->name, "no %s about a datagram from %s: %s", describe(type, code),
                  ln_ip6_fmt(about, a), why);
}

/* Does the datagram carry an ICMPv6 error (or can we not tell)?  Walks
 * the extension headers that may precede it, within the bytes present. */
static bool carries_error(const uint8_t *h, uint32_t len)
{
    uint8_t nh = h[LN_IP6_NXT];
    uint32_t off = LN_IP6_HLEN;
    for (int i = 0; i < 8; i++) {
        if (nh == LN_IPPROTO_ICMPV6) return off >= len || is_error(h[off]);
        if (nh == LN_IPPROTO_FRAGMENT) {
            if (off + LN_FRAG6_HLEN > len) return false;
            /* A later fragment: its type is not there to read. */
            if (ln_get16(h + off + LN_FRAG6_OFF) & LN_FRAG6_OFFMASK) return false;
            nh = h[off];
            off += LN_FRAG6_HLEN;
            continue;
        }
        if (nh != LN_IPPROTO_HOPOPTS && nh != LN_IPPROTO_ROUTING && nh != LN_IPPROTO_DSTOPTS) return false;
        if (off + 2 > len) return false;
        nh = h[off];
        off += ((uint32_t)h[off + 1] + 1) * 8;
    }
    return false;
}

/* icmpv6_global_allow, then icmpv6_xrlim_allow: true if the error to `to`
 * must not go (counted and traced). */
static bool rate_limited(ln_node *n, uint8_t type, uint8_t code, const ln_in6 *to)
{
    /* net.ipv6.icmp.ratemask's default, 0-1,3-127: informational messages
     * and Packet Too Big (path MTU discovery) are never limited. */
    if (type >= 128 || type == LN_ICMP6_PKT_TOOBIG) return false;
    if (!ln_icmp_rate_global(n)) {
        LN_MIB_INC(n, IcmpOutRateLimitGlobal);  /* Linux counts it there for both */
        not_sent(n, type, code, to, "rate limit (net.ipv4.icmp_msgs_per_sec)");
        return true;
    }
    if (!ln_ip6_is_local(n, to)) {
        /* "Give more bandwidth to wider prefixes": the interval shrinks by
         * half for every 32 bits the route to `to` leaves open. */
        ln_time tmo = n->cfg.icmp6_ratelimit;
        const ln_route6 *r = ln_route6_lookup(&n->ip6->routes, to, ln_net_now(n->net));
        if (r && r->plen < 128) tmo >>= (128 - r->plen) >> 5;
        if (!ln_icmp_rate_peer(n, to->b, tmo)) {
            LN_MIB_INC(n, Icmp6OutRateLimitHost);
            not_sent(n, type, code, to, "rate limit (net.ipv6.icmp.ratelimit)");
            return true;
        }
    }
    ln_icmp_rate_consume(n);
    return false;
}

void ln_icmp6_error(ln_node *n, const ln_pkt *orig, uint8_t type, uint8_t code, uint32_t info)
{
    /* The quote carries the transport checksum as sent (pkt.h). */
    ln_pkt_finish((ln_pkt *)orig);
    const uint8_t *h = orig->data;
    uint32_t len = orig->len;
    if (len < LN_IP6_HLEN || (h[0] >> 4) != 6) return;
    uint32_t tot = LN_IP6_HLEN + (uint32_t)ln_get16(h + LN_IP6_PLEN);
    if (tot < len) len = tot;
    ln_in6 src, dst;
    memcpy(src.b, h + LN_IP6_SRC, 16);
    memcpy(dst.b, h + LN_IP6_DST, 16);
    bool exempt = type == LN_ICMP6_PKT_TOOBIG ||
                  (type == LN_ICMP6_PARAM_PROB && code == LN_ICMP6_PARAMPROB_OPTION);
    /* (e.2), (e.3): not about multicast, at the IP or the link layer. */
    if (!exempt && (ln_in6_is_mcast(&dst) || (orig->in_if && (orig->mark & LN_ETH_MARK_MCAST)))) {
        not_sent(n, type, code, &src, "sent to a multicast address");
        return;
    }
    /* (e.6): a source that names no single node. */
    if (ln_in6_is_unspec(&src) || ln_in6_is_mcast(&src) || (ln_in6_is_loopback(&src) && orig->in_if)) {
        not_sent(n, type, code, &src, "its source names no single node");
        return;
    }
    /* (e.1): never about an ICMPv6 error (Linux: is_ineligible). */
    if (carries_error(h, len)) {
        not_sent(n, type, code, &src, "never about an ICMPv6 error");
        return;
    }
    if (rate_limited(n, type, code, &src)) return;
    uint32_t quote = len < ERR_ROOM ? len : ERR_ROOM;
    ln_pkt *p = ln_net_pkt(n->net, LN_ICMP6_HLEN + quote);
    if (!p) {
        LN_MIB_INC(n, Icmp6OutErrors);
        return;
    }
    uint8_t *d = p->data;
    d[0] = type;
    d[1] = code;
    ln_put32(d + 4, info);
    memcpy(d + LN_ICMP6_HLEN, h, quote);
    /* icmp6_send: from the address it was sent to if that is ours and
     * unicast, else selected towards the source. */
    ln_in6 from;
    const ln_in6 *fp = NULL;
    if (ln_ip6_is_local(n, &dst)) {
        from = dst;
        fp = &from;
    }
    ln_ip6_opts o = { .oif = ln_in6_is_linklocal(&src) ? orig->in_if : NULL };
    ln_icmp6_send(n, p, fp, &src, &o);
}

/* ---- applications --------------------------------------------------------- */

int ln_icmp6_echo(ln_icmp_sock *s, const ln_in6 *dst, ln_iface *oif, uint16_t seq, uint32_t size,
                  uint8_t hlim)
{
    ln_node *n = s->node;
    if (!n->ip6) return LN_ENETUNREACH;
    if (size > 65535u - LN_ICMP6_HLEN) return LN_EMSGSIZE;
    ln_pkt *p = ln_net_pkt(n->net, LN_ICMP6_HLEN + size);
    if (!p) return LN_ENOBUFS;
    uint8_t *d = p->data;
    d[0] = LN_ICMP6_ECHO_REQUEST;
    d[1] = 0;
    ln_put16(d + 4, s->id);
    ln_put16(d + 6, seq);
    uint8_t *pl = d + LN_ICMP6_HLEN;
    for (uint32_t i = 0; i < size; i++) pl[i] = (uint8_t)i;
    if (size >= 8) ln_put64(pl, ln_net_now(n->net));
    ln_ip6_opts o = { .hlim = hlim, .hlim_set = hlim != 0, .oif = oif };
    return ln_icmp6_send(n, p, NULL, dst, &o);
}

int ln_icmp6_udp_probe(ln_icmp_sock *s, const ln_in6 *dst, ln_iface *oif, uint16_t port, uint32_t size,
                       uint8_t hlim)
{
    ln_node *n = s->node;
    if (!n->ip6) return LN_ENETUNREACH;
    if (size > 65535u - LN_UDP_HLEN) return LN_EMSGSIZE;
    ln_in6 src;
    if (!ln_ip6_src_via(n, dst, oif, &src)) return LN_ENETUNREACH;
    ln_pkt *p = ln_net_pkt(n->net, LN_UDP_HLEN + size);
    if (!p) return LN_ENOBUFS;
    uint8_t *d = p->data;
    for (uint32_t i = 0; i < size; i++) d[LN_UDP_HLEN + i] = (uint8_t)(0x40 + (i & 0x3f));
    ln_udp6_fill_header(d, s->id, port, (uint16_t)(LN_UDP_HLEN + size), &src, dst);
    ln_ip6_opts o = { .hlim = hlim, .hlim_set = hlim != 0, .oif = oif };
    return ln_ip6_output(n, p, &src, dst, LN_IPPROTO_UDP, &o);
}

/* ---- input ---------------------------------------------------------------- */

static void in_error(ln_node *n, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, Icmp6InErrors);
    ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, why);
}

static void echo_reply(ln_node *n, ln_pkt *req, const ln_ip6_info *ip)
{
    ln_pkt *p = ln_net_pkt(n->net, req->len);
    if (!p) {
        ln_net_drop(n->net, n, req->in_if, req, LN_LAYER_L4, LN_DROP_NO_BUFFER);
        return;
    }
    memcpy(p->data, req->data, req->len);
    p->data[0] = LN_ICMP6_ECHO_REPLY;
    /* icmpv6_echo_reply: from the address asked, unless that was a
     * multicast group (then the selected one); traffic class echoed. */
    const ln_in6 *from = ln_in6_is_mcast(&ip->dst) ? NULL : &ip->dst;
    ln_ip6_opts o = { .tclass = ip->tclass,
                      .oif = ln_in6_is_linklocal(&ip->src) || ln_in6_is_mcast(&ip->dst) ? ip->in_if : NULL };
    ln_in6 to = ip->src;
    ln_pkt_free(req);
    ln_icmp6_send(n, p, from, &to, &o);
}

static void deliver_echo_reply(ln_node *n, ln_pkt *pkt, const ln_ip6_info *ip)
{
    const uint8_t *d = pkt->data;
    uint16_t id = ln_get16(d + 4);
    ln_icmp_sock *s = ln_icmp_sock_find(n, id, 0);
    if (!s) {
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
        return;
    }
    uint32_t plen = pkt->len - LN_ICMP6_HLEN;
    ln_icmp_msg m = {
        .type = d[0], .code = d[1], .ttl = ip->hlim, .id = id, .seq = ln_get16(d + 6), .len = plen,
        .sent = plen >= 8 ? ln_get64(d + LN_ICMP6_HLEN) : LN_NEVER, .v6 = true,
        .from6 = ip->src, .to6 = ip->dst, .in_if = ip->in_if,
    };
    s->fn(s, &m, s->arg);
    ln_pkt_free(pkt);
}

/* An error about one of our datagrams: path MTU, then its sender. */
static void deliver_error(ln_node *n, ln_pkt *pkt, const ln_ip6_info *ip)
{
    const uint8_t *d = pkt->data;
    const uint8_t *q = d + LN_ICMP6_HLEN;
    uint32_t qlen = pkt->len - LN_ICMP6_HLEN;
    if (qlen < LN_IP6_HLEN || (q[0] >> 4) != 6) {
        in_error(n, pkt, qlen < LN_IP6_HLEN ? LN_DROP_TRUNCATED : LN_DROP_MALFORMED);
        return;
    }
    ln_icmp_msg m = {
        .type = d[0], .code = d[1], .ttl = ip->hlim, .len = qlen, .sent = LN_NEVER, .error = true,
        .quote = q, .quote_len = qlen, .v6 = true, .from6 = ip->src, .to6 = ip->dst,
        .in_if = ip->in_if,
    };
    memcpy(m.orig_dst6.b, q + LN_IP6_DST, 16);
    memcpy(m.orig_src6.b, q + LN_IP6_SRC, 16);
    if (m.type == LN_ICMP6_PKT_TOOBIG) {
        m.mtu = ln_get32(d + 4);
        /* RFC 8201 4: lower the path MTU of the quoted destination. */
        ln_ip6_pmtu_update(n, &m.orig_dst6, m.mtu);
    }
    /* The upper-layer header of the quote, past a fragment header (our
     * large echo requests are fragmented). */
    uint8_t nh = q[LN_IP6_NXT];
    uint32_t off = LN_IP6_HLEN;
    if (nh == LN_IPPROTO_FRAGMENT && qlen >= off + LN_FRAG6_HLEN) {
        nh = q[off];
        off += LN_FRAG6_HLEN;
    }
    m.orig_proto = nh;
    m.l4_off = off;
    ln_icmp_sock *s = NULL;
    if (qlen >= off + 8) {
        const uint8_t *l4 = q + off;
        if (nh == LN_IPPROTO_ICMPV6 && l4[0] == LN_ICMP6_ECHO_REQUEST) {
            m.id = ln_get16(l4 + 4);
            m.seq = ln_get16(l4 + 6);
            if (qlen >= off + LN_ICMP6_HLEN + 8) m.sent = ln_get64(l4 + LN_ICMP6_HLEN);
            s = ln_icmp_sock_find(n, m.id, 0);
        } else if (nh == LN_IPPROTO_UDP) {
            /* traceroute's probe (from its socket's id), else the UDP
             * stack's handler. */
            m.id = ln_get16(l4);
            m.seq = ln_get16(l4 + 2);
            s = ln_icmp_sock_find(n, m.id, LN_IPPROTO_UDP);
        } else if (nh == LN_IPPROTO_TCP) {
            s = ln_icmp_sock_find(n, 0, LN_IPPROTO_TCP);
        }
    }
    if (!s) {
        /* Packet Too Big did its work on the path MTU already. */
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
        return;
    }
    s->fn(s, &m, s->arg);
    ln_pkt_free(pkt);
}

void ln_icmp6_input(ln_node *n, ln_pkt *pkt, const ln_ip6_info *ip)
{
    LN_MIB_INC(n, Icmp6InMsgs);
    if (pkt->len < 4) {
        in_error(n, pkt, LN_DROP_TRUNCATED);
        return;
    }
    /* icmpv6_rcv: the checksum over the pseudo-header and the message. */
    if (!pkt->l4_csum_ok &&
        ln_csum_fold(ln_csum_partial(pkt->data, pkt->len,
                                     ln_ip6_pseudo(&ip->src, &ip->dst, pkt->len, LN_IPPROTO_ICMPV6))) != 0) {
        LN_MIB_INC(n, Icmp6InCsumErrors);
        in_error(n, pkt, LN_DROP_BAD_CSUM);
        return;
    }
    uint8_t type = pkt->data[0];
    switch (type) {
    case LN_ICMP6_DST_UNREACH: LN_MIB_INC(n, Icmp6InDestUnreachs); break;
    case LN_ICMP6_PKT_TOOBIG: LN_MIB_INC(n, Icmp6InPktTooBigs); break;
    case LN_ICMP6_TIME_EXCEED: LN_MIB_INC(n, Icmp6InTimeExcds); break;
    case LN_ICMP6_PARAM_PROB: LN_MIB_INC(n, Icmp6InParmProblems); break;
    case LN_ICMP6_ECHO_REQUEST: LN_MIB_INC(n, Icmp6InEchos); break;
    case LN_ICMP6_ECHO_REPLY: LN_MIB_INC(n, Icmp6InEchoReplies); break;
    case LN_ND_ROUTER_SOLICIT: LN_MIB_INC(n, Icmp6InRouterSolicits); break;
    case LN_ND_ROUTER_ADVERT: LN_MIB_INC(n, Icmp6InRouterAdvertisements); break;
    case LN_ND_NEIGHBOR_SOLICIT: LN_MIB_INC(n, Icmp6InNeighborSolicits); break;
    case LN_ND_NEIGHBOR_ADVERT: LN_MIB_INC(n, Icmp6InNeighborAdvertisements); break;
    case LN_ND_REDIRECT: LN_MIB_INC(n, Icmp6InRedirects); break;
    default: break;
    }
    if (pkt->len < LN_ICMP6_HLEN) {
        in_error(n, pkt, LN_DROP_TRUNCATED);
        return;
    }
    ln_iface *ifc = ip->in_if;
    switch (type) {
    case LN_ICMP6_ECHO_REQUEST:
        if (n->cfg.icmp6_echo_ignore_all) {
            ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_FIREWALL);
            return;
        }
        echo_reply(n, pkt, ip);
        return;
    case LN_ICMP6_ECHO_REPLY:
        deliver_echo_reply(n, pkt, ip);
        return;
    case LN_ICMP6_DST_UNREACH:
    case LN_ICMP6_PKT_TOOBIG:
    case LN_ICMP6_TIME_EXCEED:
    case LN_ICMP6_PARAM_PROB:
        deliver_error(n, pkt, ip);
        return;
    case LN_ND_ROUTER_SOLICIT:
    case LN_ND_ROUTER_ADVERT:
    case LN_ND_NEIGHBOR_SOLICIT:
    case LN_ND_NEIGHBOR_ADVERT:
        /* RFC 4861 6.1, 7.1: hop limit 255 proves the message was not
         * forwarded; code 0.  ND is not for the loopback. */
        if (ip->hlim != 255 || pkt->data[1] != 0 || !ifc) {
            in_error(n, pkt, LN_DROP_ND_INVALID);
            return;
        }
        if (type == LN_ND_NEIGHBOR_SOLICIT || type == LN_ND_NEIGHBOR_ADVERT)
            ln_nd_input(n, ifc, pkt, &ip->src, &ip->dst);
        else
            ln_ra_input(n, ifc, pkt, &ip->src, &ip->dst);
        return;
    default:
        /* Unknown informational messages are discarded (RFC 4443 2.4
         * (b)); unknown errors go to the upper layer, which has none. */
        ln_pkt_free(pkt);
        return;
    }
}

void ln_icmp6_attach(ln_node *n)
{
    ln_ip6_register(n, LN_IPPROTO_ICMPV6, ln_icmp6_input);
}
