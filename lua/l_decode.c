/* l_decode.c - one-line, tcpdump-like summaries of frames for the event
 * tables handed to Lua hooks (ev.summary):
 *
 *   ARP, Request who-has 10.0.0.2 tell 10.0.0.1
 *   10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64
 *   10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240,
 *     options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 10], length 0
 *   10.0.0.1.5353 > 10.0.0.2.53: UDP, length 5
 *
 * lnl_pktinfo_get gives the same fields as numbers for the event tables.
 *
 * The input is whatever an event carries, including malformed and
 * truncated frames, so every field is read only after checking that the
 * bytes are there; anything short says "truncated". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "csum.h"
#include "event.h"
#include "node.h"
#include "wire.h"
#include "lunet.h"
#include "packet.h"

typedef struct out {
    char *s;
    size_t cap, len;
} out;

static void put(out *o, const char *fmt, ...)
{
    if (o->len >= o->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
    if (o->len >= o->cap) o->len = o->cap - 1;
}

static void arp(out *o, const uint8_t *p, uint32_t len)
{
    if (len < LN_ARP_LEN) { put(o, "ARP, truncated, length %u", len); return; }
    if (ln_get16(p + LN_ARP_HTYPE) != 1 || ln_get16(p + LN_ARP_PTYPE) != LN_ETHERTYPE_IPV4 ||
        p[LN_ARP_HLEN] != 6 || p[LN_ARP_PLEN] != 4) {
        put(o, "ARP, unsupported hardware/protocol type, length %u", len);
        return;
    }
    char a[16], b[16], m[18];
    uint16_t op = ln_get16(p + LN_ARP_OPER);
    ln_ip_fmt(ln_get32(p + LN_ARP_TPA), a);
    ln_ip_fmt(ln_get32(p + LN_ARP_SPA), b);
    if (op == LN_ARP_REQUEST)
        put(o, "ARP, Request who-has %s tell %s", a, b);
    else if (op == LN_ARP_REPLY)
        put(o, "ARP, Reply %s is-at %s", b, ln_mac_fmt(p + LN_ARP_SHA, m));
    else
        put(o, "ARP, op %u, length %u", op, len);
}

/* The datagram an ICMP error quotes: destination, protocol, and the UDP
 * destination port when the quote is long enough. */
static void icmp_unreach(out *o, const uint8_t *q, uint32_t qlen, uint8_t code, uint32_t mtu)
{
    char d[16] = "?";
    uint8_t proto = 0;
    int port = -1;
    if (qlen >= LN_IP_HLEN && (q[0] >> 4) == 4) {
        ln_ip_fmt(ln_get32(q + LN_IP_DST), d);
        proto = q[LN_IP_PROTO];
        uint32_t hl = (uint32_t)(q[0] & 15) * 4;
        if (hl >= LN_IP_HLEN && qlen >= hl + 4) port = ln_get16(q + hl + 2);
    }
    switch (code) {
    case LN_ICMP_UNREACH_NET: put(o, "ICMP net %s unreachable", d); break;
    case LN_ICMP_UNREACH_HOST: put(o, "ICMP host %s unreachable", d); break;
    case LN_ICMP_UNREACH_PROTO: put(o, "ICMP %s protocol %u unreachable", d, proto); break;
    case LN_ICMP_UNREACH_PORT:
        if (port >= 0)
            put(o, "ICMP %s %s port %d unreachable", d,
                proto == LN_IPPROTO_UDP ? "udp" : proto == LN_IPPROTO_TCP ? "tcp" : "ip", port);
        else
            put(o, "ICMP %s port unreachable", d);
        break;
    case LN_ICMP_UNREACH_NEEDFRAG: put(o, "ICMP %s unreachable - need to frag (mtu %u)", d, mtu); break;
    case LN_ICMP_UNREACH_ADMIN: put(o, "ICMP host %s unreachable - admin prohibited filter", d); break;
    default: put(o, "ICMP %s unreachable, code %u", d, code); break;
    }
}

static void icmp(out *o, const uint8_t *p, uint32_t avail, uint32_t len)
{
    if (avail < 4) { put(o, "ICMP, truncated"); return; }
    uint8_t type = p[LN_ICMP_TYPE], code = p[LN_ICMP_CODE];
    switch (type) {
    case LN_ICMP_ECHO:
    case LN_ICMP_ECHOREPLY:
        if (avail < LN_ICMP_HLEN) { put(o, "ICMP echo, truncated"); return; }
        put(o, "ICMP echo %s, id %u, seq %u", type == LN_ICMP_ECHO ? "request" : "reply",
            ln_get16(p + LN_ICMP_ID), ln_get16(p + LN_ICMP_SEQ));
        break;
    case LN_ICMP_UNREACH:
        icmp_unreach(o, p + LN_ICMP_HLEN, avail > LN_ICMP_HLEN ? avail - LN_ICMP_HLEN : 0, code,
                     avail >= LN_ICMP_HLEN ? ln_get16(p + LN_ICMP_MTU) : 0);
        break;
    case LN_ICMP_TIMXCEED:
        put(o, code == LN_ICMP_TIMXCEED_REASM ? "ICMP ip reassembly time exceeded"
                                              : "ICMP time exceeded in-transit");
        break;
    default:
        put(o, "ICMP type %u, code %u", type, code);
        break;
    }
    put(o, ", length %u", len);
}

/* TCP options the way tcpdump prints them:
 * "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 10". */
static void tcp_options(out *o, const uint8_t *opt, uint32_t n)
{
    put(o, ", options [");
    for (uint32_t i = 0; i < n;) {
        uint8_t kind = opt[i];
        if (i) put(o, ",");
        if (kind == 0) { put(o, "eol"); break; }
        if (kind == 1) { put(o, "nop"); i++; continue; }
        if (i + 1 >= n || opt[i + 1] < 2 || i + opt[i + 1] > n) { put(o, "bad opt"); break; }
        uint8_t len = opt[i + 1];
        const uint8_t *v = opt + i + 2;
        if (kind == 2 && len == 4) put(o, "mss %u", ln_get16(v));
        else if (kind == 3 && len == 3) put(o, "wscale %u", v[0]);
        else if (kind == 4 && len == 2) put(o, "sackOK");
        else if (kind == 8 && len == 10) put(o, "TS val %u ecr %u", ln_get32(v), ln_get32(v + 4));
        else if (kind == 5 && (len - 2) % 8 == 0) {
            put(o, "sack %u", (unsigned)(len - 2) / 8);
            for (uint32_t b = 0; b + 8 <= (uint32_t)len - 2; b += 8)
                put(o, " {%u:%u}", ln_get32(v + b), ln_get32(v + b + 4));
        } else put(o, "unknown-%u", kind);
        i += len;
    }
    put(o, "]");
}

static void tcp(out *o, const char *s, const char *d, const uint8_t *p, uint32_t avail, uint32_t len)
{
    if (avail < 20) { put(o, "%s > %s: TCP, truncated", s, d); return; }
    uint32_t hl = (uint32_t)(p[12] >> 4) * 4;
    uint8_t fl = p[13];
    char f[12];
    lnl_tcp_flags_fmt(fl, f);
    uint32_t dlen = len >= hl && hl >= 20 ? len - hl : 0;
    uint32_t seq = ln_get32(p + 4);
    put(o, "%s.%u > %s.%u: Flags [%s], seq %u", s, ln_get16(p), d, ln_get16(p + 2), f, seq);
    if (dlen) put(o, ":%u", seq + dlen);
    if (fl & 0x10) put(o, ", ack %u", ln_get32(p + 8));
    put(o, ", win %u", ln_get16(p + 14));
    if (hl > 20 && hl <= avail) tcp_options(o, p + 20, hl - 20);
    else if (hl > avail) put(o, ", options [truncated]");
    put(o, ", length %u", dlen);
}

/* As tcpdump prints IGMP (print-igmp.c), for the messages lunet's hosts
 * send and hear. */
static void igmp(out *o, const uint8_t *p, uint32_t avail)
{
    if (avail < 8) { put(o, "igmp, truncated"); return; }
    char g[16];
    ln_ip_fmt(ln_get32(p + 4), g);
    switch (p[0]) {
    case 0x11:
        if (avail < 12) {
            put(o, "igmp query v%d", p[1] ? 2 : 1);
            if (ln_get32(p + 4)) put(o, " [gaddr %s]", g);
            break;
        }
        put(o, "igmp query v3");
        if (ln_get32(p + 4)) put(o, " [gaddr %s]", g);
        {
            uint8_t c = p[1];
            uint32_t t = c < 128 ? c : ((uint32_t)(c & 0x0f) | 0x10) << (((c >> 4) & 7) + 3);
            if (t != 100) put(o, " [max resp time %u.%us]", t / 10, t % 10);
        }
        break;
    case 0x12: put(o, "igmp v1 report %s", g); break;
    case 0x16: put(o, "igmp v2 report %s", g); break;
    case 0x17: put(o, "igmp leave %s", g); break;
    case 0x22: put(o, "igmp v3 report, %u group record(s)", ln_get16(p + 6)); break;
    default: put(o, "igmp-%u", p[0]); break;
    }
}

static void ipv4(out *o, const uint8_t *p, uint32_t len)
{
    if (len < LN_IP_HLEN) { put(o, "IP truncated, length %u", len); return; }
    if ((p[0] >> 4) != 4) { put(o, "IP version %u, length %u", p[0] >> 4, len); return; }
    uint32_t hl = (uint32_t)(p[0] & 15) * 4;
    uint32_t tl = ln_get16(p + LN_IP_LEN);
    if (hl < LN_IP_HLEN || hl > len || tl < hl) { put(o, "IP bad header length, length %u", len); return; }
    char s[16], d[16];
    ln_ip_fmt(ln_get32(p + LN_IP_SRC), s);
    ln_ip_fmt(ln_get32(p + LN_IP_DST), d);
    uint16_t frag = ln_get16(p + LN_IP_FRAG);
    uint32_t off = (uint32_t)(frag & LN_IP_OFFMASK) * 8;
    bool mf = (frag & LN_IP_MF) != 0;
    uint8_t proto = p[LN_IP_PROTO];
    uint32_t plen = tl - hl;                         /* as the header says */
    uint32_t avail = (tl <= len ? tl : len) - hl;    /* as actually present */
    const uint8_t *l4 = p + hl;
    if (off) {
        const char *pn = proto == LN_IPPROTO_ICMP ? "icmp" : proto == LN_IPPROTO_UDP ? "udp"
                       : proto == LN_IPPROTO_TCP ? "tcp" : "ip";
        put(o, "%s > %s: %s (frag %u:%u@%u%s)", s, d, pn, ln_get16(p + LN_IP_ID), plen, off,
            mf ? "+" : "");
        return;
    }
    switch (proto) {
    case LN_IPPROTO_ICMP:
        put(o, "%s > %s: ", s, d);
        icmp(o, l4, avail, plen);
        break;
    case LN_IPPROTO_UDP:
        if (avail < LN_UDP_HLEN) put(o, "%s > %s: UDP, truncated", s, d);
        else {
            uint16_t ul = ln_get16(l4 + 4);
            put(o, "%s.%u > %s.%u: UDP, length %u", s, ln_get16(l4), d, ln_get16(l4 + 2),
                ul >= LN_UDP_HLEN ? ul - LN_UDP_HLEN : 0);
        }
        break;
    case LN_IPPROTO_TCP:
        tcp(o, s, d, l4, avail, plen);
        break;
    case LN_IPPROTO_IGMP:
        put(o, "%s > %s: ", s, d);
        igmp(o, l4, avail);
        break;
    default:
        put(o, "%s > %s: ip-proto-%u %u", s, d, proto, plen);
        break;
    }
    if (mf) put(o, " (frag %u:%u@0+)", ln_get16(p + LN_IP_ID), plen);
    if (tl > len) put(o, " [truncated: %u of %u bytes]", len, tl);
}


/* IPv6 as tcpdump prints it: "IP6 a > b: ICMP6, echo request, id 1, seq 1,
 * length 64", the extension headers skipped (a later fragment says
 * "frag (off|len)"). */
static void icmp6(out *o, const uint8_t *p, uint32_t avail, uint32_t len)
{
    if (avail < 4) { put(o, "ICMP6, truncated"); return; }
    uint8_t type = p[0], code = p[1];
    char t[LN_IN6_FMTLEN];
    ln_in6 a;
    put(o, "ICMP6, ");
    switch (type) {
    case LN_ICMP6_ECHO_REQUEST: case LN_ICMP6_ECHO_REPLY:
        put(o, "echo %s", type == LN_ICMP6_ECHO_REQUEST ? "request" : "reply");
        if (avail >= 8) put(o, ", id %u, seq %u", ln_get16(p + 4), ln_get16(p + 6));
        break;
    case LN_ND_NEIGHBOR_SOLICIT: case LN_ND_NEIGHBOR_ADVERT:
        put(o, "neighbor %s", type == LN_ND_NEIGHBOR_SOLICIT ? "solicitation" : "advertisement");
        if (avail >= 24) {
            memcpy(a.b, p + 8, 16);
            put(o, type == LN_ND_NEIGHBOR_SOLICIT ? ", who has %s" : ", tgt is %s", ln_ip6_fmt(&a, t));
        }
        break;
    case LN_ND_ROUTER_SOLICIT: put(o, "router solicitation"); break;
    case LN_ND_ROUTER_ADVERT: put(o, "router advertisement"); break;
    case LN_ICMP6_PKT_TOOBIG:
        put(o, "packet too big");
        if (avail >= 8) put(o, ", mtu %u", ln_get32(p + 4));
        break;
    case LN_ICMP6_TIME_EXCEED:
        put(o, code == LN_ICMP6_TIMXCEED_REASM ? "time exceeded in-transit, reassembly"
                                               : "time exceeded in-transit");
        break;
    case LN_ICMP6_DST_UNREACH: put(o, "destination unreachable, code %u", code); break;
    case LN_ICMP6_PARAM_PROB: put(o, "parameter problem, code %u", code); break;
    default: put(o, "type %u, code %u", type, code); break;
    }
    put(o, ", length %u", len);
}

static void ipv6(out *o, const uint8_t *p, uint32_t len)
{
    if (len < LN_IP6_HLEN) { put(o, "IP6 truncated, length %u", len); return; }
    if ((p[0] >> 4) != 6) { put(o, "IP6 version %u, length %u", p[0] >> 4, len); return; }
    char s[LN_IN6_FMTLEN], d[LN_IN6_FMTLEN];
    ln_in6 a;
    memcpy(a.b, p + LN_IP6_SRC, 16);
    ln_ip6_fmt(&a, s);
    memcpy(a.b, p + LN_IP6_DST, 16);
    ln_ip6_fmt(&a, d);
    uint32_t end = LN_IP6_HLEN + ln_get16(p + LN_IP6_PLEN);
    uint32_t avail_end = end < len ? end : len;
    uint8_t nh = p[LN_IP6_NXT];
    uint32_t off = LN_IP6_HLEN;
    put(o, "IP6 %s > %s: ", s, d);
    while (nh == LN_IPPROTO_HOPOPTS || nh == LN_IPPROTO_ROUTING || nh == LN_IPPROTO_DSTOPTS ||
           nh == LN_IPPROTO_FRAGMENT) {
        if (off + 8 > avail_end) { put(o, "truncated"); return; }
        if (nh == LN_IPPROTO_FRAGMENT) {
            uint16_t fo = ln_get16(p + off + 2);
            put(o, "frag (%u|%u) ", fo & LN_FRAG6_OFFMASK, end - off - 8);
            nh = p[off];
            off += 8;
            if (fo & LN_FRAG6_OFFMASK) return;
        } else {
            nh = p[off];
            off += ((uint32_t)p[off + 1] + 1) * 8;
        }
    }
    if (off > avail_end) { put(o, "truncated"); return; }
    uint32_t n = end > off ? end - off : 0;
    switch (nh) {
    case LN_IPPROTO_ICMPV6: icmp6(o, p + off, avail_end - off, n); break;
    case LN_IPPROTO_UDP:
        if (avail_end - off >= 8)
            put(o, "UDP %u > %u, length %u", ln_get16(p + off), ln_get16(p + off + 2), n > 8 ? n - 8 : 0);
        else put(o, "UDP, truncated");
        break;
    default: put(o, "ip-proto-%u %u", nh, n); break;
    }
    if (end > len) put(o, " [truncated: %u of %u bytes]", len, end);
}

static void ether(out *o, const uint8_t *p, uint32_t len)
{
    if (len < LN_ETH_HLEN) { put(o, "truncated ethernet frame, length %u", len); return; }
    uint16_t et = ln_get16(p + LN_ETH_TYPE);
    if (et == LN_ETHERTYPE_ARP) arp(o, p + LN_ETH_HLEN, len - LN_ETH_HLEN);
    else if (et == LN_ETHERTYPE_IPV4) ipv4(o, p + LN_ETH_HLEN, len - LN_ETH_HLEN);
    else if (et == LN_ETHERTYPE_IPV6) ipv6(o, p + LN_ETH_HLEN, len - LN_ETH_HLEN);
    else put(o, "ethertype 0x%04x, length %u", et, len);
}

/* The IP header of what an event carries at `layer`, or NULL.  On input
 * an L4 event's IP header is still in the buffer just before the
 * transport header (ln_pkt_pull keeps it); on output there is none yet and
 * the headroom holds stale bytes.  Accept only a header that ends exactly
 * there, covers exactly this payload and has a valid checksum; otherwise
 * give nothing rather than something wrong. */
static const uint8_t *ip_of(const uint8_t *p, uint32_t len, int layer, const uint8_t *buf,
                            uint32_t *iplen)
{
    switch (layer) {
    case LN_LAYER_L2:
        if (len < LN_ETH_HLEN || ln_get16(p + LN_ETH_TYPE) != LN_ETHERTYPE_IPV4) return NULL;
        *iplen = len - LN_ETH_HLEN;
        return p + LN_ETH_HLEN;
    case LN_LAYER_L3:
        *iplen = len;
        return p;
    case LN_LAYER_L4:
        for (uint32_t hl = LN_IP_HLEN; hl <= 60 && buf; hl += 4) {
            if ((size_t)(p - buf) < hl) break;
            const uint8_t *q = p - hl;
            if ((q[0] >> 4) == 4 && (uint32_t)(q[0] & 15) * 4 == hl &&
                ln_get16(q + LN_IP_LEN) == hl + len && ln_csum(q, hl) == 0) {
                *iplen = len + hl;
                return q;
            }
        }
        return NULL;
    default:
        return NULL;
    }
}

void lnl_summary(const uint8_t *p, uint32_t len, int layer, const uint8_t *buf,
                 char *s, size_t cap)
{
    out o = { s, cap, 0 };
    if (!cap) return;
    s[0] = '\0';
    if (!p) return;
    if (layer == LN_LAYER_L2) {
        ether(&o, p, len);
        return;
    }
    if (layer == LN_LAYER_L3 && len && (p[0] >> 4) == 6) {
        ipv6(&o, p, len);
        return;
    }
    uint32_t iplen;
    const uint8_t *ip = ip_of(p, len, layer, buf, &iplen);
    if (ip) ipv4(&o, ip, iplen);
}

/* Ports, flags and sizes of the transport header at l4 (avail bytes of
 * it present, tlen the transport length the IP header gives). */
static void pktinfo_l4(lnl_pktinfo *pi, const uint8_t *l4, uint32_t avail, uint32_t tlen)
{
    if (pi->proto == LN_IPPROTO_TCP && avail >= 20) {
        uint32_t thl = (uint32_t)(l4[12] >> 4) * 4;
        pi->l4 = pi->tcp = true;
        pi->sport = ln_get16(l4);
        pi->dport = ln_get16(l4 + 2);
        pi->seq = ln_get32(l4 + 4);
        pi->ack = ln_get32(l4 + 8);
        pi->flags = l4[13];
        pi->win = ln_get16(l4 + 14);
        pi->payload = thl >= 20 && tlen >= thl ? tlen - thl : 0;
        lnl_tcp_flags_fmt(pi->flags, pi->flag_letters);
    } else if (pi->proto == LN_IPPROTO_UDP && avail >= LN_UDP_HLEN) {
        uint16_t ul = ln_get16(l4 + 4);
        pi->l4 = true;
        pi->sport = ln_get16(l4);
        pi->dport = ln_get16(l4 + 2);
        pi->payload = ul >= LN_UDP_HLEN ? ul - LN_UDP_HLEN : 0;
    }
}

/* The same for IPv6, past the extension headers a datagram may carry
 * (hop-by-hop, routing, destination options; a fragment other than the
 * first has no ports). */
static bool pktinfo6(const uint8_t *ip, uint32_t iplen, lnl_pktinfo *pi)
{
    if (iplen < LN_IP6_HLEN) return false;
    pi->ip = pi->v6 = true;
    memcpy(pi->src6, ip + LN_IP6_SRC, 16);
    memcpy(pi->dst6, ip + LN_IP6_DST, 16);
    pi->ttl = ip[7];
    uint32_t tl = LN_IP6_HLEN + ln_get16(ip + LN_IP6_PLEN), off = LN_IP6_HLEN;
    if (tl > iplen) tl = iplen;
    uint8_t nh = ip[LN_IP6_NXT];
    for (int k = 0; k < 8; k++) {
        if (nh == 0 || nh == 43 || nh == 60) {
            if (tl < off + 8) break;
            nh = ip[off];
            off += 8 + (uint32_t)ip[off + 1] * 8;
        } else if (nh == 44) {
            if (tl < off + 8) break;
            if (ln_get16(ip + off + 2) & 0xfff8) {
                pi->frag = true;
                pi->proto = ip[off];
                return true;
            }
            nh = ip[off];
            off += 8;
        } else {
            break;
        }
    }
    pi->proto = nh;
    if (off > tl) return true;
    pktinfo_l4(pi, ip + off, tl - off, tl - off);
    return true;
}

bool lnl_pktinfo_get(const uint8_t *p, uint32_t len, int layer, const uint8_t *buf, lnl_pktinfo *pi)
{
    memset(pi, 0, sizeof *pi);
    if (!p) return false;
    if (layer == LN_LAYER_L2 && len >= LN_ETH_HLEN && ln_get16(p + LN_ETH_TYPE) == LN_ETHERTYPE_IPV6)
        return pktinfo6(p + LN_ETH_HLEN, len - LN_ETH_HLEN, pi);
    if (layer == LN_LAYER_L3 && len >= 1 && (p[0] >> 4) == 6) return pktinfo6(p, len, pi);
    uint32_t iplen;
    const uint8_t *ip = ip_of(p, len, layer, buf, &iplen);
    if (!ip || iplen < LN_IP_HLEN || (ip[0] >> 4) != 4) return false;
    uint32_t hl = (uint32_t)(ip[0] & 15) * 4;
    uint32_t tl = ln_get16(ip + LN_IP_LEN);
    if (hl < LN_IP_HLEN || hl > iplen || tl < hl) return false;
    pi->ip = true;
    pi->src = ln_get32(ip + LN_IP_SRC);
    pi->dst = ln_get32(ip + LN_IP_DST);
    pi->proto = ip[LN_IP_PROTO];
    pi->ttl = ip[LN_IP_TTL];
    pi->ipid = ln_get16(ip + LN_IP_ID);
    if (ln_get16(ip + LN_IP_FRAG) & LN_IP_OFFMASK) {
        pi->frag = true;
        return true;
    }
    uint32_t avail = (tl <= iplen ? tl : iplen) - hl;
    pktinfo_l4(pi, ip + hl, avail, tl - hl);
    return true;
}
