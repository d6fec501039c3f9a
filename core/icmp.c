/* icmp.c - ICMP (RFC 792, RFC 1122 3.2.2): echo and timestamp replies,
 * the errors other layers report, and ICMP sockets for applications,
 * following Linux's net/ipv4/icmp.c and ping.c.
 *
 *   ln_ip_input -> deliver() -> ln_icmp_input
 *       -> echo / timestamp request: reply through ln_ip_output
 *       -> echo reply: the ping socket with that identifier
 *       -> error: the socket the quoted datagram came from
 *   ipv4.c, arp.c, ip_frag.c, transports -> ln_icmp_error -> ln_ip_output
 *   applications -> ln_icmp_echo / ln_icmp_udp_probe -> ln_ip_output
 *
 * Errors are rate-limited as Linux does (icmp_rate.c): per destination
 * (icmp_ratelimit, a burst of 6) and for the node (icmp_msgs_per_sec), the
 * types in icmp_ratemask only, never "fragmentation needed".  Echo requests to a broadcast or multicast address
 * are ignored (icmp_echo_ignore_broadcasts = 1, Linux's default). */
#include "icmp.h"
#include "icmp_rate.h"

#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "eth.h"
#include "node.h"
#include "trace.h"
#include "udp.h"
#include "wire.h"

#define ICMP_TIMESTAMP      13
#define ICMP_TIMESTAMPREPLY 14
#define ICMP_ADDRESS        17
#define ICMP_ADDRESSREPLY   18
#define ICMP_MAXTYPE        18    /* Linux NR_ICMP_TYPES */
/* RFC 1812 4.3.2.3 / Linux icmp_send: quote as much as fits in 576. */
#define ICMP_ERR_ROOM       (576u - LN_IP_HLEN - LN_ICMP_HLEN)
/* IPTOS_PREC_INTERNETCONTROL: Linux sends errors with precedence 6. */
#define TOS_INTERNETCONTROL 0xc0


/* Linux's icmp_pointers[].error: everything but the query messages, and
 * unknown types, counts as an error (RFC 1122 3.2.2 "think about it"). */
static bool is_error_type(uint8_t t)
{
    switch (t) {
    case LN_ICMP_ECHOREPLY: case LN_ICMP_ECHO:
    case ICMP_TIMESTAMP: case ICMP_TIMESTAMPREPLY:
    case 15: case 16: case ICMP_ADDRESS: case ICMP_ADDRESSREPLY:
        return false;
    default:
        return true;
    }
}


static const char *describe(uint8_t type, uint8_t code)
{
    switch (type) {
    case LN_ICMP_ECHOREPLY: return "echo reply";
    case LN_ICMP_ECHO: return "echo request";
    case ICMP_TIMESTAMPREPLY: return "timestamp reply";
    case LN_ICMP_TIMXCEED:
        return code == LN_ICMP_TIMXCEED_REASM ? "fragment reassembly time exceeded"
                                              : "time to live exceeded";
    case LN_ICMP_UNREACH:
        switch (code) {
        case LN_ICMP_UNREACH_NET: return "net unreachable";
        case LN_ICMP_UNREACH_HOST: return "host unreachable";
        case LN_ICMP_UNREACH_PROTO: return "protocol unreachable";
        case LN_ICMP_UNREACH_PORT: return "port unreachable";
        case LN_ICMP_UNREACH_NEEDFRAG: return "fragmentation needed";
        case LN_ICMP_UNREACH_ADMIN: return "communication administratively prohibited";
        default: return "destination unreachable";
        }
    default: return "icmp";
    }
}

static void count_out(ln_node *n, uint8_t type)
{
    LN_MIB_INC(n, IcmpOutMsgs);
    switch (type) {
    case LN_ICMP_UNREACH: LN_MIB_INC(n, IcmpOutDestUnreachs); break;
    case LN_ICMP_TIMXCEED: LN_MIB_INC(n, IcmpOutTimeExcds); break;
    case LN_ICMP_ECHO: LN_MIB_INC(n, IcmpOutEchos); break;
    case LN_ICMP_ECHOREPLY: LN_MIB_INC(n, IcmpOutEchoReps); break;
    default: break;
    }
}

/* Checksum a finished message, announce it, hand it to IP. */
static int send_msg(ln_node *n, ln_pkt *p, uint32_t src, uint32_t dst, const ln_ip_opts *o)
{
    uint8_t *d = p->data;
    ln_put16(d + LN_ICMP_CSUM, 0);
    ln_put16(d + LN_ICMP_CSUM, ln_csum(d, p->len));
    uint8_t type = d[LN_ICMP_TYPE], code = d[LN_ICMP_CODE];
    if (ln_net_wants(n->net, LN_EV_ICMP_OUT)) {
        ln_event ev = { .type = LN_EV_ICMP_OUT, .node = n, .pkt = p, .layer = LN_LAYER_L4,
                        .value = (int64_t)type << 8 | code, .text = describe(type, code) };
        ln_net_emit(n->net, &ev);
    }
    int rc = ln_ip_output(n, p, src, dst, LN_IPPROTO_ICMP, o);
    /* Linux counts a message once it is handed to IP (icmp_out_count). */
    if (rc == 0) count_out(n, type);
    else LN_MIB_INC(n, IcmpOutErrors);
    return rc;
}

/* ---- errors we send ------------------------------------------------------ */

/* Why an error was not sent, for the trace (RFC 1122 3.2.2's rules). */
static void not_sent(ln_node *n, uint8_t type, uint8_t code, uint32_t about, const char *why)
{
    if (!LN_TRACE_ON(n->net, LN_TR_ICMP)) return;
    char a[16];
    ln_trace_emit(n->net, LN_TR_ICMP, n->name, "no %s about a datagram from %s: %s", describe(type, code),
                  ln_ip_fmt(about, a), why);
}

/* icmpv4_global_allow, then icmpv4_xrlim_allow: true if the error to `to`
 * must not go (counted and traced). */
static bool rate_limited(ln_node *n, uint8_t type, uint8_t code, uint32_t to)
{
    /* icmpv4_mask_allow: unlimited types, and never path MTU discovery. */
    if (type > ICMP_MAXTYPE || !((n->cfg.icmp_ratemask >> type) & 1) ||
        (type == LN_ICMP_UNREACH && code == LN_ICMP_UNREACH_NEEDFRAG))
        return false;
    if (!ln_icmp_rate_global(n)) {
        LN_MIB_INC(n, IcmpOutRateLimitGlobal);
        not_sent(n, type, code, to, "rate limit (net.ipv4.icmp_msgs_per_sec)");
        return true;
    }
    /* No limit towards ourselves (Linux: the loopback device). */
    if ((to >> 24) != 127 && !ln_node_has_addr(n, to)) {
        uint8_t key[16] = { [10] = 0xff, [11] = 0xff };   /* IPv4-mapped */
        ln_put32(key + 12, to);
        if (!ln_icmp_rate_peer(n, key, n->cfg.icmp_ratelimit)) {
            LN_MIB_INC(n, IcmpOutRateLimitHost);
            not_sent(n, type, code, to, "rate limit (net.ipv4.icmp_ratelimit)");
            return true;
        }
    }
    ln_icmp_rate_consume(n);
    return false;
}

void ln_icmp_error(ln_node *n, const ln_pkt *orig, uint8_t type, uint8_t code, uint32_t info)
{
    /* The quote carries the transport checksum as sent (pkt.h); finishing
     * changes no byte from what its sender meant. */
    ln_pkt_finish((ln_pkt *)orig);
    const uint8_t *h = orig->data;
    uint32_t len = orig->len;
    if (len < LN_IP_HLEN || (h[LN_IP_VHL] >> 4) != 4) return;
    uint32_t hlen = (uint32_t)(h[LN_IP_VHL] & 0x0f) * 4;
    if (hlen < LN_IP_HLEN || hlen > len) return;
    uint32_t tot = ln_get16(h + LN_IP_LEN);
    if (tot >= hlen && tot < len) len = tot;
    uint32_t src = ln_get32(h + LN_IP_SRC), dst = ln_get32(h + LN_IP_DST);

    /* RFC 1122 3.2.2: no error about a fragment other than the first ... */
    if (ln_get16(h + LN_IP_FRAG) & LN_IP_OFFMASK) {
        not_sent(n, type, code, src, "a later fragment");
        return;
    }
    /* ... a datagram sent to a broadcast or multicast address, at the IP
     * or the link layer ... */
    if (ln_ip_is_bcast(n, dst) || ln_ip_is_mcast(dst) || (orig->in_if && (orig->mark & LN_ETH_MARK_MCAST))) {
        not_sent(n, type, code, src, "sent to a broadcast or multicast address");
        return;
    }
    /* ... or from an address that does not name one host (zero,
     * broadcast, multicast, class E, loopback from outside). */
    if (src == 0 || (src >> 28) >= 0xe || ln_ip_is_bcast(n, src) || ((src >> 24) == 127 && orig->in_if)) {
        not_sent(n, type, code, src, "its source names no single host");
        return;
    }
    /* ... and never about an ICMP error (3.2.2.1); Linux treats unknown
     * types as errors and gives up if it cannot read the type. */
    if (is_error_type(type) && h[LN_IP_PROTO] == LN_IPPROTO_ICMP) {
        if (len < hlen + 1) return;
        uint8_t inner = h[hlen];
        if (inner > ICMP_MAXTYPE || is_error_type(inner)) {
            not_sent(n, type, code, src, "never about an ICMP error");
            return;
        }
    }

    if (rate_limited(n, type, code, src)) return;

    uint32_t quote = len < ICMP_ERR_ROOM ? len : ICMP_ERR_ROOM;
    ln_pkt *p = ln_net_pkt(n->net, LN_ICMP_HLEN + quote);
    if (!p) {
        LN_MIB_INC(n, IcmpOutErrors);
        return;
    }
    uint8_t *d = p->data;
    d[LN_ICMP_TYPE] = type;
    d[LN_ICMP_CODE] = code;
    ln_put32(d + 4, type == LN_ICMP_UNREACH && code == LN_ICMP_UNREACH_NEEDFRAG ? (info & 0xffff) : info);
    memcpy(d + LN_ICMP_HLEN, h, quote);

    /* icmp_send: a datagram for us is answered from the address it was
     * sent to; otherwise (forwarded or our own) route back to its source
     * and let source selection pick, which for our own datagrams is the
     * same address again: the error loops back to the local socket. */
    uint32_t from = ln_node_has_addr(n, dst) ? dst : 0;
    ln_ip_opts o = { .tos = (uint8_t)((h[LN_IP_TOS] & 0x1e) | TOS_INTERNETCONTROL) };
    send_msg(n, p, from, src, &o);
}

/* ---- sockets -------------------------------------------------------------- */

static ln_icmp_sock *find_ping(ln_node *n, uint16_t id)
{
    for (ln_icmp_sock *s = n->icmp_socks; s; s = s->next)
        if (s->proto == 0 && s->id == id) return s;
    return NULL;
}

static ln_icmp_sock *find_proto(ln_node *n, uint8_t proto)
{
    for (ln_icmp_sock *s = n->icmp_socks; s; s = s->next)
        if (s->proto == proto) return s;
    return NULL;
}

static ln_icmp_sock *sock_new(ln_node *n, uint16_t id, uint8_t proto, ln_icmp_sock_fn fn, void *arg)
{
    ln_icmp_sock *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    *s = (ln_icmp_sock){ .node = n, .id = id, .proto = proto, .fn = fn, .arg = arg };
    /* Append, so delivery order is opening order. */
    ln_icmp_sock **pp = &n->icmp_socks;
    while (*pp) pp = &(*pp)->next;
    *pp = s;
    return s;
}

ln_icmp_sock *ln_icmp_sock_find(ln_node *n, uint16_t id, uint8_t proto)
{
    ln_icmp_sock *s = find_ping(n, id);
    return s || !proto ? s : find_proto(n, proto);
}

ln_icmp_sock *ln_icmp_sock_open(ln_node *n, uint16_t id, ln_icmp_sock_fn fn, void *arg)
{
    if (id == 0) {
        for (uint32_t i = 1; i <= 0xffff && !id; i++)
            if (!find_ping(n, (uint16_t)i)) id = (uint16_t)i;
        if (!id) return NULL;
    } else if (find_ping(n, id)) {
        return NULL;
    }
    return sock_new(n, id, 0, fn, arg);
}

ln_icmp_sock *ln_icmp_sock_open_proto(ln_node *n, uint8_t proto, ln_icmp_sock_fn fn, void *arg)
{
    if (proto == 0 || find_proto(n, proto)) return NULL;
    return sock_new(n, 0, proto, fn, arg);
}

void ln_icmp_sock_close(ln_icmp_sock *s)
{
    if (!s) return;
    ln_icmp_sock **pp = &s->node->icmp_socks;
    while (*pp && *pp != s) pp = &(*pp)->next;
    if (*pp) *pp = s->next;
    free(s);
}

/* ---- messages we send on behalf of applications ------------------------- */

int ln_icmp_echo(ln_icmp_sock *s, uint32_t dst, uint16_t seq, uint32_t size, uint8_t ttl, bool df)
{
    ln_node *n = s->node;
    if (size > 65535u - LN_IP_HLEN - LN_ICMP_HLEN) return LN_EMSGSIZE;
    ln_pkt *p = ln_net_pkt(n->net, LN_ICMP_HLEN + size);
    if (!p) return LN_ENOBUFS;
    uint8_t *d = p->data;
    d[LN_ICMP_TYPE] = LN_ICMP_ECHO;
    d[LN_ICMP_CODE] = 0;
    ln_put16(d + LN_ICMP_ID, s->id);
    ln_put16(d + LN_ICMP_SEQ, seq);
    /* Like ping: a timestamp first, then bytes counting up from their
     * offset in the payload. */
    uint8_t *pl = d + LN_ICMP_HLEN;
    for (uint32_t i = 0; i < size; i++) pl[i] = (uint8_t)i;
    if (size >= 8) ln_put64(pl, ln_net_now(n->net));
    ln_ip_opts o = { .ttl = ttl, .df = df, .df_set = true };
    return send_msg(n, p, 0, dst, &o);
}

int ln_icmp_udp_probe(ln_icmp_sock *s, uint32_t dst, uint16_t port, uint32_t size, uint8_t ttl)
{
    ln_node *n = s->node;
    if (size > 65535u - LN_IP_HLEN - LN_UDP_HLEN) return LN_EMSGSIZE;
    ln_pkt *p = ln_net_pkt(n->net, LN_UDP_HLEN + size);
    if (!p) return LN_ENOBUFS;
    uint8_t *d = p->data;
    /* traceroute's payload: "@ABCDEFG..." */
    for (uint32_t i = 0; i < size; i++) d[LN_UDP_HLEN + i] = (uint8_t)(0x40 + (i & 0x3f));
    /* The pseudo-header needs the source now; ln_ip_output picks the same
     * one for src 0, and fails the same way when there is none. */
    uint32_t src = ln_ip_src_for(n, dst);
    ln_udp_fill_header(d, s->id, port, (uint16_t)(LN_UDP_HLEN + size), src, dst);
    ln_ip_opts o = { .ttl = ttl };
    return ln_ip_output(n, p, src, dst, LN_IPPROTO_UDP, &o);
}

/* ---- input ---------------------------------------------------------------- */

static void in_error(ln_node *n, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, IcmpInErrors);
    ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, why);
}

static void echo_reply(ln_node *n, ln_pkt *req, const ln_ip_info *ip)
{
    /* icmp_echo: same identifier, sequence, code and payload, TOS of the
     * request, from the address it was sent to. */
    ln_pkt *p = ln_net_pkt(n->net, req->len);
    if (!p) {
        ln_net_drop(n->net, n, req->in_if, req, LN_LAYER_L4, LN_DROP_NO_BUFFER);
        return;
    }
    memcpy(p->data, req->data, req->len);
    p->data[LN_ICMP_TYPE] = LN_ICMP_ECHOREPLY;
    ln_pkt_free(req);
    ln_ip_opts o = { .tos = ip->tos };
    send_msg(n, p, ip->dst, ip->src, &o);
}

static void timestamp_reply(ln_node *n, ln_pkt *req, const ln_ip_info *ip)
{
    /* icmp_timestamp: needs the originate timestamp; answers with receive
     * and transmit times in ms since midnight UT (virtual time here). */
    if (req->len < LN_ICMP_HLEN + 4) {
        in_error(n, req, LN_DROP_MALFORMED);
        return;
    }
    ln_pkt *p = ln_net_pkt(n->net, LN_ICMP_HLEN + 12);
    if (!p) {
        ln_net_drop(n->net, n, req->in_if, req, LN_LAYER_L4, LN_DROP_NO_BUFFER);
        return;
    }
    uint8_t *d = p->data;
    memcpy(d, req->data, LN_ICMP_HLEN + 4);
    d[LN_ICMP_TYPE] = ICMP_TIMESTAMPREPLY;
    d[LN_ICMP_CODE] = 0;
    uint32_t ms = (uint32_t)((ln_net_now(n->net) / LN_MSEC) % 86400000u);
    ln_put32(d + 12, ms);
    ln_put32(d + 16, ms);
    ln_pkt_free(req);
    ln_ip_opts o = { .tos = ip->tos };
    send_msg(n, p, ip->dst, ip->src, &o);
}

static void deliver_echo_reply(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    const uint8_t *d = pkt->data;
    uint16_t id = ln_get16(d + LN_ICMP_ID);
    ln_icmp_sock *s = find_ping(n, id);
    if (!s) {
        /* ping_rcv: no socket with that identifier. */
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
        return;
    }
    uint32_t plen = pkt->len - LN_ICMP_HLEN;
    ln_icmp_msg m = {
        .type = d[LN_ICMP_TYPE], .code = d[LN_ICMP_CODE], .from = ip->src, .to = ip->dst,
        .ttl = ip->ttl, .id = id, .seq = ln_get16(d + LN_ICMP_SEQ), .len = plen,
        .sent = plen >= 8 ? ln_get64(d + LN_ICMP_HLEN) : LN_NEVER,
    };
    s->fn(s, &m, s->arg);        /* may close s */
    ln_pkt_free(pkt);
}

/* An error for one of our datagrams (icmp_unreach -> icmp_socket_deliver):
 * find who sent the quoted datagram and tell it. */
static void deliver_error(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    const uint8_t *d = pkt->data;
    const uint8_t *q = d + LN_ICMP_HLEN;
    uint32_t qlen = pkt->len - LN_ICMP_HLEN;
    if (qlen < LN_IP_HLEN) {
        in_error(n, pkt, LN_DROP_TRUNCATED);
        return;
    }
    uint32_t qhl = (uint32_t)(q[LN_IP_VHL] & 0x0f) * 4;
    if (qhl < LN_IP_HLEN) {
        in_error(n, pkt, LN_DROP_MALFORMED);
        return;
    }
    /* The quoted header plus the 8 octets that hold the ports. */
    if (qlen < qhl + 8) {
        in_error(n, pkt, LN_DROP_TRUNCATED);
        return;
    }
    const uint8_t *l4 = q + qhl;
    uint8_t qproto = q[LN_IP_PROTO];
    ln_icmp_msg m = {
        .type = d[LN_ICMP_TYPE], .code = d[LN_ICMP_CODE], .from = ip->src, .to = ip->dst,
        .ttl = ip->ttl, .len = qlen, .sent = LN_NEVER, .orig_dst = ln_get32(q + LN_IP_DST),
        .orig_proto = qproto, .error = true, .orig_src = ln_get32(q + LN_IP_SRC),
        .quote = q, .quote_len = qlen,
    };
    if (m.type == LN_ICMP_UNREACH && m.code == LN_ICMP_UNREACH_NEEDFRAG)
        m.mtu = ln_get16(d + LN_ICMP_MTU);
    ln_icmp_sock *s = NULL;
    if (qproto == LN_IPPROTO_ICMP && l4[LN_ICMP_TYPE] == LN_ICMP_ECHO) {
        m.id = ln_get16(l4 + LN_ICMP_ID);
        m.seq = ln_get16(l4 + LN_ICMP_SEQ);
        if (qlen >= qhl + LN_ICMP_HLEN + 8) m.sent = ln_get64(l4 + LN_ICMP_HLEN);
        s = find_ping(n, m.id);
    } else if (qproto == LN_IPPROTO_UDP) {
        /* traceroute's probes: id = source port, seq = destination port. */
        m.id = ln_get16(l4);
        m.seq = ln_get16(l4 + 2);
        s = find_ping(n, m.id);
    }
    if (!s) s = find_proto(n, qproto);
    if (!s) {
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
        return;
    }
    s->fn(s, &m, s->arg);
    ln_pkt_free(pkt);
}

void ln_icmp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    LN_MIB_INC(n, IcmpInMsgs);
    /* icmp_rcv validates the checksum over the whole message first. */
    if (ln_csum(pkt->data, pkt->len) != 0) {
        LN_MIB_INC(n, IcmpInCsumErrors);
        in_error(n, pkt, LN_DROP_BAD_CSUM);
        return;
    }
    if (pkt->len < LN_ICMP_HLEN) {
        in_error(n, pkt, LN_DROP_TRUNCATED);
        return;
    }
    uint8_t type = pkt->data[LN_ICMP_TYPE];
    switch (type) {
    case LN_ICMP_UNREACH: LN_MIB_INC(n, IcmpInDestUnreachs); break;
    case LN_ICMP_TIMXCEED: LN_MIB_INC(n, IcmpInTimeExcds); break;
    case LN_ICMP_ECHO: LN_MIB_INC(n, IcmpInEchos); break;
    case LN_ICMP_ECHOREPLY: LN_MIB_INC(n, IcmpInEchoReps); break;
    default: break;
    }
    if (type > ICMP_MAXTYPE) {
        in_error(n, pkt, LN_DROP_MALFORMED);
        return;
    }
    /* RFC 1122 3.2.2.6 / 3.2.2.8: echo and timestamp requests to a
     * broadcast MAY be ignored, and Linux does; other messages to a
     * broadcast are not accepted at all. */
    if (ln_ip_is_bcast(n, ip->dst) || ln_ip_is_mcast(ip->dst)) {
        if (type != LN_ICMP_ECHO && type != ICMP_TIMESTAMP && type != ICMP_ADDRESS &&
            type != ICMP_ADDRESSREPLY) {
            in_error(n, pkt, LN_DROP_OTHER_HOST);
            return;
        }
        if (type == LN_ICMP_ECHO || type == ICMP_TIMESTAMP) {
            in_error(n, pkt, LN_DROP_FIREWALL);
            return;
        }
    }
    switch (type) {
    case LN_ICMP_ECHO:
        if (n->cfg.icmp_echo_ignore_all) {
            /* A policy, not an error: no InErrors, but a visible drop. */
            ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_FIREWALL);
            return;
        }
        echo_reply(n, pkt, ip);
        return;
    case ICMP_TIMESTAMP:
        timestamp_reply(n, pkt, ip);
        return;
    case LN_ICMP_ECHOREPLY:
        deliver_echo_reply(n, pkt, ip);
        return;
    case LN_ICMP_UNREACH:
    case 4:                       /* source quench */
    case 5:                       /* redirect: reported, routes unchanged */
    case LN_ICMP_TIMXCEED:
    case 12:                      /* parameter problem */
        deliver_error(n, pkt, ip);
        return;
    default:
        /* Types Linux accepts and discards (icmp_discard). */
        ln_pkt_free(pkt);
        return;
    }
}

void ln_icmp_attach(ln_node *n)
{
    ln_ip_register(n, LN_IPPROTO_ICMP, ln_icmp_input);
}
