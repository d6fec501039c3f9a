/* l_decode.c - one-line, tcpdump-like summaries of frames for the event
 * tables handed to Lua hooks (ev.summary):
 *
 *   ARP, Request who-has 10.0.0.2 tell 10.0.0.1
 *   10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64
 *   10.0.0.1.1024 > 10.0.0.2.80: Flags [S], seq 100, win 65535, length 0
 *
 * The input is whatever an event carries, including malformed and
 * truncated frames, so every field is read only after checking that the
 * bytes are there; anything short says "truncated". */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "event.h"
#include "node.h"
#include "wire.h"
#include "lunet.h"

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

static void tcp(out *o, const char *s, const char *d, const uint8_t *p, uint32_t avail, uint32_t len)
{
    if (avail < 20) { put(o, "%s > %s: TCP, truncated", s, d); return; }
    uint32_t hl = (uint32_t)(p[12] >> 4) * 4;
    uint8_t fl = p[13];
    char f[12];
    int k = 0;
    if (fl & 0x02) f[k++] = 'S';
    if (fl & 0x01) f[k++] = 'F';
    if (fl & 0x04) f[k++] = 'R';
    if (fl & 0x08) f[k++] = 'P';
    if (fl & 0x20) f[k++] = 'U';
    if (fl & 0x40) f[k++] = 'E';
    if (fl & 0x80) f[k++] = 'W';
    if (fl & 0x10) f[k++] = '.';
    if (!k) f[k++] = 'n', f[k++] = 'o', f[k++] = 'n', f[k++] = 'e';
    f[k] = '\0';
    uint32_t dlen = len >= hl && hl >= 20 ? len - hl : 0;
    uint32_t seq = ln_get32(p + 4);
    put(o, "%s.%u > %s.%u: Flags [%s], seq %u", s, ln_get16(p), d, ln_get16(p + 2), f, seq);
    if (dlen) put(o, ":%u", seq + dlen);
    if (fl & 0x10) put(o, ", ack %u", ln_get32(p + 8));
    put(o, ", win %u, length %u", ln_get16(p + 14), dlen);
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
    default:
        put(o, "%s > %s: ip-proto-%u %u", s, d, proto, plen);
        break;
    }
    if (mf) put(o, " (frag %u:%u@0+)", ln_get16(p + LN_IP_ID), plen);
    if (tl > len) put(o, " [truncated: %u of %u bytes]", len, tl);
}

static void ether(out *o, const uint8_t *p, uint32_t len)
{
    if (len < LN_ETH_HLEN) { put(o, "truncated ethernet frame, length %u", len); return; }
    uint16_t et = ln_get16(p + LN_ETH_TYPE);
    if (et == LN_ETHERTYPE_ARP) arp(o, p + LN_ETH_HLEN, len - LN_ETH_HLEN);
    else if (et == LN_ETHERTYPE_IPV4) ipv4(o, p + LN_ETH_HLEN, len - LN_ETH_HLEN);
    else put(o, "ethertype 0x%04x, length %u", et, len);
}

void lnl_summary(const uint8_t *p, uint32_t len, int layer, const uint8_t *buf,
                 char *s, size_t cap)
{
    out o = { s, cap, 0 };
    if (!cap) return;
    s[0] = '\0';
    if (!p) return;
    switch (layer) {
    case LN_LAYER_L2: ether(&o, p, len); break;
    case LN_LAYER_L3: ipv4(&o, p, len); break;
    case LN_LAYER_L4:
        /* On input the IP header is still in the buffer just before the
         * transport header (ln_pkt_pull keeps it); on output there is none
         * yet and the headroom holds stale bytes.  Accept only a header
         * that ends exactly here, covers exactly this payload and has a
         * valid checksum; otherwise give no summary rather than a wrong one. */
        for (uint32_t hl = LN_IP_HLEN; hl <= 60 && buf; hl += 4) {
            if ((size_t)(p - buf) < hl) break;
            const uint8_t *q = p - hl;
            if ((q[0] >> 4) == 4 && (uint32_t)(q[0] & 15) * 4 == hl &&
                ln_get16(q + LN_IP_LEN) == hl + len && ln_csum(q, hl) == 0) {
                ipv4(&o, q, len + hl);
                return;
            }
        }
        break;
    default: break;
    }
}
