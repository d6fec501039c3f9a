/* l_dissect.c - lunet.dissect: bytes from the wire into one Lua table per
 * layer, with Wireshark's field names (see packet.h).
 *
 * The input is anything: a frame from a hook, a capture, a script, a
 * fuzzer.  Every read is preceded by a length check; what does not parse
 * stops the dissection at that layer, leaves the rest as `payload`, and is
 * named in `malformed` (Wireshark's "[Malformed Packet]").  Nothing here
 * allocates outside the Lua state, so an error (out of memory) unwinds
 * cleanly. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "csum.h"
#include "ip6.h"
#include "node.h"
#include "wire.h"
#include "lunet.h"
#include "packet.h"

typedef struct dctx {
    lua_State *L;
    int pkt;                      /* absolute index of the packet table */
    int layers;                   /* its `layers` list */
    int n_layers;
    bool quoted;                  /* inside an ICMP error: the end is cut off on purpose */
} dctx;

static void malformed(dctx *d, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lua_State *L = d->L;
    if (lua_getfield(L, d->pkt, "malformed") == LUA_TSTRING) {
        lua_pushfstring(L, "%s; %s", lua_tostring(L, -1), msg);
        lua_remove(L, -2);
    } else {
        lua_pop(L, 1);
        lua_pushstring(L, msg);
    }
    lua_setfield(L, d->pkt, "malformed");
}

/* A new layer table on top of the stack, set as pkt[name] and listed. */
static void layer(dctx *d, const char *name)
{
    lua_State *L = d->L;
    lua_createtable(L, 0, 12);
    lua_pushvalue(L, -1);
    lua_setfield(L, d->pkt, name);
    lua_pushstring(L, name);
    lua_rawseti(L, d->layers, ++d->n_layers);
}

static void seti(lua_State *L, const char *k, lua_Integer v) { lua_pushinteger(L, v); lua_setfield(L, -2, k); }
static void setb(lua_State *L, const char *k, bool v) { lua_pushboolean(L, v); lua_setfield(L, -2, k); }
static void sets(lua_State *L, const char *k, const char *v) { lua_pushstring(L, v); lua_setfield(L, -2, k); }
static void setl(lua_State *L, const char *k, const uint8_t *p, size_t n)
{
    lua_pushlstring(L, (const char *)p, n);
    lua_setfield(L, -2, k);
}
static void setip(lua_State *L, const char *k, const uint8_t *p)
{
    char b[16];
    sets(L, k, ln_ip_fmt(ln_get32(p), b));
}
static void setmac(lua_State *L, const char *k, const uint8_t *p)
{
    char b[18];
    sets(L, k, ln_mac_fmt(p, b));
}

/* Remember that the layer on top of the stack had field k right, so that
 * building it again recomputes k unless the script changed it. */
static void autofield(lua_State *L, const char *k)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_AUTO);
    lua_pushvalue(L, -2);
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 4);
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
    }
    lua_getfield(L, -3, k);
    lua_setfield(L, -2, k);
    lua_pop(L, 2);
}

static void checksum_status(lua_State *L, const char *status)
{
    sets(L, "checksum_status", status);
    if (strcmp(status, "good") == 0) autofield(L, "checksum");
}

static void payload(dctx *d, const uint8_t *p, uint32_t n)
{
    if (n) {
        lua_pushlstring(d->L, (const char *)p, n);
        lua_setfield(d->L, d->pkt, "payload");
    }
}

void lnl_tcp_flags_fmt(uint8_t fl, char f[12])
{
    /* tcpdump's letters, in tcpdump's order (print-tcp.c prints S F R P U
     * E W and the ACK dot last). */
    static const struct { uint8_t bit; char c; } order[] = {
        {0x02, 'S'}, {0x01, 'F'}, {0x04, 'R'}, {0x08, 'P'},
        {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}, {0x10, '.'},
    };
    int k = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (fl & order[i].bit) f[k++] = order[i].c;
    if (!k) { strcpy(f, "none"); return; }
    f[k] = '\0';
}

/* ---- layers ------------------------------------------------------------- */

static void arp(dctx *d, const uint8_t *p, uint32_t len, uint32_t *used)
{
    lua_State *L = d->L;
    *used = 0;
    if (len < 8) { malformed(d, "arp: %u bytes, shorter than the 8-byte fixed header", len); return; }
    layer(d, "arp");
    seti(L, "hw_type", ln_get16(p + LN_ARP_HTYPE));
    seti(L, "proto_type", ln_get16(p + LN_ARP_PTYPE));
    seti(L, "hw_size", p[LN_ARP_HLEN]);
    seti(L, "proto_size", p[LN_ARP_PLEN]);
    seti(L, "opcode", ln_get16(p + LN_ARP_OPER));
    *used = 8;
    if (p[LN_ARP_HLEN] != 6 || p[LN_ARP_PLEN] != 4) {
        malformed(d, "arp: address sizes %u/%u, not Ethernet/IPv4 (6/4)", p[LN_ARP_HLEN], p[LN_ARP_PLEN]);
    } else if (len < LN_ARP_LEN) {
        malformed(d, "arp: %u bytes, shorter than the 28 of Ethernet/IPv4", len);
    } else {
        setmac(L, "src_hw_mac", p + LN_ARP_SHA);
        setip(L, "src_proto_ipv4", p + LN_ARP_SPA);
        setmac(L, "dst_hw_mac", p + LN_ARP_THA);
        setip(L, "dst_proto_ipv4", p + LN_ARP_TPA);
        *used = LN_ARP_LEN;
    }
    lua_pop(L, 1);
}

static void tcp_options(lua_State *L, const uint8_t *o, uint32_t n)
{
    lua_createtable(L, 4, 0);
    int k = 0;
    for (uint32_t i = 0; i < n;) {
        uint8_t kind = o[i];
        if (kind == 0) {
            /* Zeros after EOL are the padding a builder adds back; anything
             * else there is kept so the bytes survive a rebuild. */
            uint32_t j = i + 1;
            while (j < n && o[j] == 0) j++;
            lua_pushstring(L, "eol");
            lua_rawseti(L, -2, ++k);
            if (j < n) {
                lua_createtable(L, 0, 1);
                setl(L, "raw", o + i + 1, n - i - 1);
                lua_rawseti(L, -2, ++k);
            }
            break;
        }
        if (kind == 1) { lua_pushstring(L, "nop"); lua_rawseti(L, -2, ++k); i++; continue; }
        uint32_t olen = i + 1 < n ? o[i + 1] : 0;
        if (olen < 2 || i + olen > n) {
            /* A length that runs off the header (or under 2) ends parsing,
             * as in Linux's tcp_parse_options; keep the bytes as given. */
            lua_createtable(L, 0, 1);
            setl(L, "raw", o + i, n - i);
            lua_rawseti(L, -2, ++k);
            break;
        }
        const uint8_t *v = o + i + 2;
        lua_createtable(L, 0, 1);
        if (kind == 2 && olen == 4) seti(L, "mss", ln_get16(v));
        else if (kind == 3 && olen == 3) seti(L, "ws", v[0]);
        else if (kind == 4 && olen == 2) { lua_pop(L, 1); lua_pushstring(L, "sack_perm"); }
        else if (kind == 8 && olen == 10) {
            lua_createtable(L, 0, 2);
            seti(L, "val", ln_get32(v));
            seti(L, "ecr", ln_get32(v + 4));
            lua_setfield(L, -2, "ts");
        } else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
            lua_createtable(L, (int)(olen - 2) / 8, 0);
            for (uint32_t b = 0; b + 8 <= olen - 2; b += 8) {
                lua_createtable(L, 2, 0);
                lua_pushinteger(L, ln_get32(v + b)); lua_rawseti(L, -2, 1);
                lua_pushinteger(L, ln_get32(v + b + 4)); lua_rawseti(L, -2, 2);
                lua_rawseti(L, -2, (lua_Integer)b / 8 + 1);
            }
            lua_setfield(L, -2, "sack");
        } else {
            seti(L, "kind", kind);
            setl(L, "data", v, olen - 2);
        }
        lua_rawseti(L, -2, ++k);
        i += olen;
    }
    lua_setfield(L, -2, "options");
}

/* The transport checksum over the pseudo-header (RFC 793 3.1, RFC 768). */
static uint16_t l4_csum(const uint8_t *ip, const uint8_t *p, uint32_t n, uint8_t proto)
{
    if ((ip[0] >> 4) == 6) {                      /* RFC 8200 8.1 */
        ln_in6 src, dst;
        memcpy(src.b, ip + LN_IP6_SRC, 16);
        memcpy(dst.b, ip + LN_IP6_DST, 16);
        return ln_csum_fold(ln_csum_partial(p, n, ln_ip6_pseudo(&src, &dst, n, proto)));
    }
    uint32_t s = ln_csum_pseudo(ln_get32(ip + LN_IP_SRC), ln_get32(ip + LN_IP_DST), proto, (uint16_t)n);
    return ln_csum_fold(ln_csum_partial(p, n, s));
}

/* whole: the datagram is all here and not a fragment, so checksums and
 * lengths can be judged. */
static void tcp(dctx *d, const uint8_t *ip, const uint8_t *p, uint32_t n, bool whole)
{
    lua_State *L = d->L;
    if (n < 20) {
        if (!d->quoted) malformed(d, "tcp: %u bytes, shorter than the 20-byte header", n);
        if (n >= 4) {
            layer(d, "tcp");
            seti(L, "srcport", ln_get16(p));
            seti(L, "dstport", ln_get16(p + 2));
            if (n >= 8) seti(L, "seq", ln_get32(p + 4));
            lua_pop(L, 1);
            payload(d, p + (n >= 8 ? 8 : 4), n - (n >= 8 ? 8 : 4));
        } else payload(d, p, n);
        return;
    }
    uint32_t hl = (uint32_t)(p[12] >> 4) * 4;
    layer(d, "tcp");
    seti(L, "srcport", ln_get16(p));
    seti(L, "dstport", ln_get16(p + 2));
    seti(L, "seq", ln_get32(p + 4));
    seti(L, "ack", ln_get32(p + 8));
    seti(L, "hdr_len", hl);
    char f[12];
    lnl_tcp_flags_fmt(p[13], f);
    sets(L, "flags", strcmp(f, "none") ? f : "");
    if (p[12] & 0x0f) seti(L, "flags_res", p[12] & 0x0f);
    seti(L, "window", ln_get16(p + 14));
    seti(L, "checksum", ln_get16(p + 16));
    seti(L, "urgent_pointer", ln_get16(p + 18));
    uint32_t body = 20;
    if (hl < 20) {
        malformed(d, "tcp: header length %u is under 20", hl);
    } else if (hl > n) {
        malformed(d, "tcp: header length %u runs past the %u bytes of the segment", hl, n);
    } else {
        autofield(L, "hdr_len");
        if (hl > 20) tcp_options(L, p + 20, hl - 20);
        body = hl;
    }
    if (whole && hl >= 20 && hl <= n)
        checksum_status(L, l4_csum(ip, p, n, LN_IPPROTO_TCP) == 0 ? "good" : "bad");
    else sets(L, "checksum_status", "unverified");
    lua_pop(L, 1);
    payload(d, p + body, n - body);
}

static void udp(dctx *d, const uint8_t *ip, const uint8_t *p, uint32_t n, bool whole)
{
    lua_State *L = d->L;
    if (n < LN_UDP_HLEN) {
        if (!d->quoted) malformed(d, "udp: %u bytes, shorter than the 8-byte header", n);
        payload(d, p, n);
        return;
    }
    uint16_t ulen = ln_get16(p + 4), sum = ln_get16(p + 6);
    layer(d, "udp");
    seti(L, "srcport", ln_get16(p));
    seti(L, "dstport", ln_get16(p + 2));
    seti(L, "length", ulen);
    seti(L, "checksum", sum);
    uint32_t end = n;
    bool len_ok = ulen >= LN_UDP_HLEN && ulen <= n;
    if (!whole) {
        sets(L, "checksum_status", "unverified");
    } else if (ulen != n) {
        malformed(d, "udp: length %u, but the datagram carries %u bytes", ulen, n);
        sets(L, "checksum_status", "unverified");
        if (len_ok) end = ulen;
    } else {
        autofield(L, "length");
        /* RFC 768: 0 means the sender computed none; over IPv6 that is not
         * allowed (RFC 8200 8.1), and Wireshark calls it illegal. */
        if (sum == 0 && (ip[0] >> 4) == 6) {
            sets(L, "checksum_status", "bad");
            malformed(d, "udp: checksum 0 over IPv6 (RFC 8200 8.1 requires one)");
        } else if (sum == 0) sets(L, "checksum_status", "none");
        else checksum_status(L, l4_csum(ip, p, n, LN_IPPROTO_UDP) == 0 ? "good" : "bad");
    }
    lua_pop(L, 1);
    payload(d, p + LN_UDP_HLEN, end - LN_UDP_HLEN);
}

static void ipv4(dctx *d, const uint8_t *p, uint32_t len, uint32_t *used);

/* An ICMP or ICMPv6 error's quote of the datagram that caused it, set as
 * field `quote` of the table on top, dissected by `ip` one level deep (an
 * error about an error is not sent: RFC 1122 3.2.2, RFC 4443 2.4 (e)). */
static void quote(dctx *d, void (*ip)(dctx *, const uint8_t *, uint32_t, uint32_t *),
                  const uint8_t *p, uint32_t n)
{
    lua_State *L = d->L;
    lua_createtable(L, 0, 6);
    dctx q = {L, lua_absindex(L, -1), 0, 0, true};
    lua_createtable(L, 3, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, q.pkt, "layers");
    q.layers = lua_absindex(L, -1);
    uint32_t used = 0;
    ip(&q, p, n, &used);
    lua_pop(L, 1);
    luaL_setmetatable(L, LNL_DISSECTED);
    lua_setfield(L, -2, "quote");
}

static bool icmp_is_error(uint8_t type)
{
    return type == LN_ICMP_UNREACH || type == LN_ICMP_TIMXCEED || type == LN_ICMP_PARAMPROB ||
           type == 4 /* source quench */ || type == 5 /* redirect */;
}

static void icmp(dctx *d, const uint8_t *p, uint32_t n, bool whole)
{
    lua_State *L = d->L;
    if (n < 4) {
        if (!d->quoted) malformed(d, "icmp: %u bytes, shorter than the 4-byte header", n);
        payload(d, p, n);
        return;
    }
    uint8_t type = p[0], code = p[1];
    layer(d, "icmp");
    seti(L, "type", type);
    seti(L, "code", code);
    seti(L, "checksum", ln_get16(p + 2));
    if (whole && n >= LN_ICMP_HLEN)
        checksum_status(L, ln_csum(p, n) == 0 ? "good" : "bad");
    else sets(L, "checksum_status", "unverified");
    if (n < LN_ICMP_HLEN) {
        if (!d->quoted) malformed(d, "icmp: %u bytes, shorter than the 8-byte header", n);
        lua_pop(L, 1);
        payload(d, p + 4, n - 4);
        return;
    }
    const uint8_t *r = p + 4;
    switch (type) {
    case LN_ICMP_ECHO: case LN_ICMP_ECHOREPLY:
    case 13: case 14: case 15: case 16: case 17: case 18:   /* timestamp, info, mask */
        seti(L, "ident", ln_get16(r));
        seti(L, "seq", ln_get16(r + 2));
        break;
    case LN_ICMP_UNREACH:
        if (code == LN_ICMP_UNREACH_NEEDFRAG) seti(L, "mtu", ln_get16(r + 2));
        if (ln_get16(r) || (code != LN_ICMP_UNREACH_NEEDFRAG && ln_get16(r + 2)))
            seti(L, "unused", ln_get32(r) & (code == LN_ICMP_UNREACH_NEEDFRAG ? 0xffff0000u : ~0u));
        break;
    case 5: setip(L, "redir_gw", r); break;
    case LN_ICMP_PARAMPROB:
        seti(L, "pointer", r[0]);
        if (ln_get32(r) & 0xffffff) seti(L, "unused", ln_get32(r) & 0xffffff);
        break;
    default:
        if (ln_get32(r)) seti(L, "unused", ln_get32(r));
    }
    /* An error quotes the datagram that caused it (RFC 792): dissected
     * under `quote`, one level deep (an error about an error is not sent,
     * RFC 1122 3.2.2). */
    if (icmp_is_error(type) && !d->quoted && n > LN_ICMP_HLEN)
        quote(d, ipv4, p + LN_ICMP_HLEN, n - LN_ICMP_HLEN);
    lua_pop(L, 1);
    payload(d, p + LN_ICMP_HLEN, n - LN_ICMP_HLEN);
}

/* k IPv4 addresses from p as a list, set as field `name`. */
static void ip_list(lua_State *L, const char *name, const uint8_t *p, uint32_t k)
{
    lua_createtable(L, (int)k, 0);
    char b[16];
    for (uint32_t i = 0; i < k; i++) {
        lua_pushstring(L, ln_ip_fmt(ln_get32(p + 4 * i), b));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, name);
}

/* The group records of a v3 report (RFC 3376 4.2.4), on top of the layer
 * table; returns the bytes they took.  A record cut short keeps what it
 * has and ends the list. */
static uint32_t igmp_records(dctx *d, const uint8_t *p, uint32_t n, uint32_t count)
{
    lua_State *L = d->L;
    uint32_t off = 0, i = 0;
    bool cut = false;
    lua_createtable(L, count < 64 ? (int)count : 64, 0);
    for (; i < count && !cut; i++) {
        if (n - off < 8) break;
        const uint8_t *r = p + off;
        uint32_t aux = (uint32_t)r[1] * 4, nsrc = ln_get16(r + 2);
        lua_createtable(L, 0, 6);
        seti(L, "record_type", r[0]);
        seti(L, "aux_data_len", r[1]);
        seti(L, "num_src", nsrc);
        setip(L, "maddr", r + 4);
        off += 8;
        uint32_t k = (n - off) / 4 < nsrc ? (n - off) / 4 : nsrc;
        ip_list(L, "sources", p + off, k);
        off += 4 * k;
        if (k == nsrc) {
            autofield(L, "num_src");
            if (aux <= n - off) {
                if (aux) setl(L, "aux_data", p + off, aux);
                autofield(L, "aux_data_len");
                off += aux;
            } else cut = true;
        } else cut = true;
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "records");
    if (cut) {
        if (!d->quoted) malformed(d, "igmp: group record %u runs past the %u bytes present", i, n + 8);
    } else if (i < count) {
        if (!d->quoted)
            malformed(d, "igmp: num_grp_recs %u, but only %u group records are present", count, i);
    } else {
        autofield(L, "num_grp_recs");
    }
    return off;
}

/* IGMP (RFC 1112, 2236, 3376), laid out as Wireshark's packet-igmp.c reads
 * it: the type says the version, except for a query, where the length does
 * (RFC 3376 7.1).  msg_len is the length the IP header claims, which picks
 * the query's version even when the capture cut the message short. */
static void igmp(dctx *d, const uint8_t *p, uint32_t n, uint32_t msg_len, bool whole)
{
    lua_State *L = d->L;
    if (n < 4) {
        if (!d->quoted) malformed(d, "igmp: %u bytes, shorter than the 8-byte header", n);
        payload(d, p, n);
        return;
    }
    uint8_t type = p[0];
    int ver = type == 0x11 ? (msg_len >= 12 ? 3 : p[1] ? 2 : 1)
            : type == 0x12 ? 1 : type == 0x16 || type == 0x17 ? 2 : type == 0x22 ? 3 : 0;
    layer(d, "igmp");
    if (ver) seti(L, "version", ver);
    seti(L, "type", type);
    if (type == 0x11 && ver == 3) seti(L, "max_resp", lnl_igmp_code_time(p[1]));
    else if (ver == 1 || ver == 2) seti(L, "max_resp", p[1]);
    else if (type != 0x22) seti(L, "code", p[1]);
    seti(L, "checksum", ln_get16(p + 2));
    /* Over the whole message, as RFC 2236 2.3 and Linux's igmp_rcv have it
     * (Wireshark sums only 8 bytes of a v1/v2 message: the same unless
     * something follows). */
    if (whole) checksum_status(L, ln_csum(p, n) == 0 ? "good" : "bad");
    else sets(L, "checksum_status", "unverified");
    uint32_t used = 4;
    if (ver == 1 || ver == 2) {
        if (n < 8) {
            if (!d->quoted) malformed(d, "igmp: %u bytes, shorter than the 8-byte message", n);
        } else {
            setip(L, "maddr", p + 4);
            used = 8;
        }
        if (type == 0x11 && msg_len > 8)
            malformed(d, "igmp: a %u-byte query, neither v1/v2 (8 bytes) nor v3 (12 or more, RFC 3376 7.1)",
                      msg_len);
    } else if (ver == 3 && type == 0x11) {
        if (n >= 8) setip(L, "maddr", p + 4), used = 8;
        if (n >= 10) {
            setb(L, "s", p[8] & 0x08);
            seti(L, "qrv", p[8] & 0x07);
            if (p[8] >> 4) seti(L, "reserved", p[8] >> 4);
            seti(L, "qqic", p[9]);
            used = 10;
        }
        if (n < 12) {
            if (!d->quoted) malformed(d, "igmp: %u bytes, shorter than the 12-byte v3 query", n);
        } else {
            uint32_t nsrc = ln_get16(p + 10), fit = (n - 12) / 4, k = fit < nsrc ? fit : nsrc;
            seti(L, "num_src", nsrc);
            ip_list(L, "sources", p + 12, k);
            if (k == nsrc) autofield(L, "num_src");
            else if (!d->quoted)
                malformed(d, "igmp: num_src %u, but only %u source addresses are present", nsrc, k);
            used = 12 + 4 * k;
        }
    } else if (type == 0x22) {
        /* Reserved: byte 1 and bytes 4-5, kept so the bytes survive a
         * rebuild (a receiver ignores them, RFC 3376 4.2.1). */
        uint32_t resv = (uint32_t)p[1] << 16 | (n >= 6 ? ln_get16(p + 4) : 0);
        if (resv) seti(L, "reserved", resv);
        if (n < 8) {
            if (!d->quoted) malformed(d, "igmp: %u bytes, shorter than the 8-byte v3 report header", n);
        } else {
            uint32_t count = ln_get16(p + 6);
            seti(L, "num_grp_recs", count);
            used = 8 + igmp_records(d, p + 8, n - 8, count);
        }
    }
    lua_pop(L, 1);
    payload(d, p + used, n - used);
}

static void ipv4(dctx *d, const uint8_t *p, uint32_t len, uint32_t *used)
{
    lua_State *L = d->L;
    *used = len;
    if (len < 1) { malformed(d, "ip: no bytes"); return; }
    uint8_t ver = p[0] >> 4;
    if (len < LN_IP_HLEN || ver != 4) {
        if (ver != 4) malformed(d, "ip: version %u, not 4", ver);
        else malformed(d, "ip: %u bytes, shorter than the 20-byte header", len);
        payload(d, p, len);
        return;
    }
    uint32_t hl = (uint32_t)(p[0] & 15) * 4, tot = ln_get16(p + LN_IP_LEN);
    uint16_t frag = ln_get16(p + LN_IP_FRAG);
    layer(d, "ip");
    seti(L, "version", ver);
    seti(L, "hdr_len", hl);
    seti(L, "dsfield", p[LN_IP_TOS]);
    seti(L, "len", tot);
    seti(L, "id", ln_get16(p + LN_IP_ID));
    setb(L, "flags_rb", frag & 0x8000);
    setb(L, "flags_df", frag & LN_IP_DF);
    setb(L, "flags_mf", frag & LN_IP_MF);
    seti(L, "frag_offset", (frag & LN_IP_OFFMASK) * 8);
    seti(L, "ttl", p[LN_IP_TTL]);
    seti(L, "proto", p[LN_IP_PROTO]);
    seti(L, "checksum", ln_get16(p + LN_IP_CSUM));
    setip(L, "src", p + LN_IP_SRC);
    setip(L, "dst", p + LN_IP_DST);
    if (hl < LN_IP_HLEN || hl > len) {
        if (hl < LN_IP_HLEN) malformed(d, "ip: header length %u is under 20", hl);
        else if (!d->quoted) malformed(d, "ip: header length %u runs past the %u bytes present", hl, len);
        sets(L, "checksum_status", "unverified");
        lua_pop(L, 1);
        payload(d, p + LN_IP_HLEN, len - LN_IP_HLEN);
        return;
    }
    autofield(L, "hdr_len");
    if (hl > LN_IP_HLEN) setl(L, "options", p + LN_IP_HLEN, hl - LN_IP_HLEN);
    checksum_status(L, ln_csum(p, hl) == 0 ? "good" : "bad");
    uint32_t end = len;
    bool whole = true;
    if (tot < hl) {
        malformed(d, "ip: total length %u is under the header length %u", tot, hl);
        whole = false;
    } else if (tot > len) {
        if (!d->quoted) malformed(d, "ip: total length %u, but only %u bytes are present", tot, len);
        whole = false;
    } else {
        autofield(L, "len");
        end = tot;                /* what follows is the link layer's padding */
    }
    *used = end;
    uint8_t proto = p[LN_IP_PROTO];
    lua_pop(L, 1);
    const uint8_t *l4 = p + hl;
    uint32_t n = end - hl;
    if (frag & LN_IP_OFFMASK) { payload(d, l4, n); return; }   /* not the first fragment */
    if (frag & LN_IP_MF) whole = false;
    switch (proto) {
    case LN_IPPROTO_TCP: tcp(d, p, l4, n, whole); break;
    case LN_IPPROTO_UDP: udp(d, p, l4, n, whole); break;
    case LN_IPPROTO_ICMP: icmp(d, l4, n, whole); break;
    case LN_IPPROTO_IGMP: igmp(d, l4, n, tot >= hl ? tot - hl : n, whole); break;
    default: payload(d, l4, n);
    }
}


/* ---- IPv6 (RFC 8200) and ICMPv6 (RFC 4443, 4861) ------------------------ */

static void setip6(lua_State *L, const char *k, const uint8_t *p)
{
    ln_in6 a;
    char b[LN_IN6_FMTLEN];
    memcpy(a.b, p, 16);
    sets(L, k, ln_ip6_fmt(&a, b));
}

static void ipv6(dctx *d, const uint8_t *p, uint32_t len, uint32_t *used);

static const char *nd_opt_name(uint8_t t)
{
    switch (t) {
    case LN_ND_OPT_SLLA: return "src_lladdr";
    case LN_ND_OPT_TLLA: return "target_lladdr";
    case LN_ND_OPT_PREFIX: return "prefix";
    case LN_ND_OPT_MTU: return "mtu";
    default: return "unknown";
    }
}

/* ND options (RFC 4861 4.6) as a list; false when one is malformed. */
static bool nd_options(dctx *d, const uint8_t *o, uint32_t n)
{
    lua_State *L = d->L;
    lua_createtable(L, 2, 0);
    uint32_t i = 0, k = 0;
    bool ok = true;
    while (i < n) {
        uint32_t olen = n - i >= 2 ? (uint32_t)o[i + 1] * 8 : 0;
        if (olen == 0 || olen > n - i) {
            if (!d->quoted) malformed(d, "icmpv6: option at byte %u has length %u of %u left", i, olen, n - i);
            ok = false;
            break;
        }
        const uint8_t *q = o + i;
        lua_createtable(L, 0, 4);
        seti(L, "type", q[0]);
        seti(L, "length", q[1]);
        sets(L, "name", nd_opt_name(q[0]));
        if ((q[0] == LN_ND_OPT_SLLA || q[0] == LN_ND_OPT_TLLA) && olen == 8) setmac(L, "lladdr", q + 2);
        else if (q[0] == LN_ND_OPT_MTU && olen == 8) seti(L, "mtu", ln_get32(q + 4));
        else if (q[0] == LN_ND_OPT_PREFIX && olen == 32) {
            seti(L, "prefix_len", q[2]);
            setb(L, "onlink", q[3] & LN_ND_PI_ONLINK);
            setb(L, "auto", q[3] & LN_ND_PI_AUTO);
            seti(L, "valid_lifetime", ln_get32(q + 4));
            seti(L, "preferred_lifetime", ln_get32(q + 8));
            setip6(L, "prefix", q + 16);
        } else setl(L, "data", q + 2, olen - 2);
        lua_rawseti(L, -2, ++k);
        i += olen;
    }
    lua_setfield(L, -2, "options");
    return ok;
}

static void icmpv6(dctx *d, const uint8_t *ip, const uint8_t *p, uint32_t n, bool whole)
{
    lua_State *L = d->L;
    if (n < 4) {
        if (!d->quoted) malformed(d, "icmpv6: %u bytes, shorter than the 4-byte header", n);
        payload(d, p, n);
        return;
    }
    uint8_t type = p[0], code = p[1];
    layer(d, "icmpv6");
    seti(L, "type", type);
    seti(L, "code", code);
    seti(L, "checksum", ln_get16(p + 2));
    if (whole && n >= LN_ICMP6_HLEN)
        checksum_status(L, l4_csum(ip, p, n, LN_IPPROTO_ICMPV6) == 0 ? "good" : "bad");
    else sets(L, "checksum_status", "unverified");
    if (n < LN_ICMP6_HLEN) {
        if (!d->quoted) malformed(d, "icmpv6: %u bytes, shorter than the 8-byte header", n);
        lua_pop(L, 1);
        payload(d, p + 4, n - 4);
        return;
    }
    const uint8_t *r = p + 4;
    uint32_t body = LN_ICMP6_HLEN;
    switch (type) {
    case LN_ICMP6_ECHO_REQUEST: case LN_ICMP6_ECHO_REPLY:
        seti(L, "ident", ln_get16(r));
        seti(L, "seq", ln_get16(r + 2));
        break;
    case LN_ICMP6_PKT_TOOBIG: seti(L, "mtu", ln_get32(r)); break;
    case LN_ICMP6_PARAM_PROB: seti(L, "pointer", ln_get32(r)); break;
    case LN_ND_ROUTER_SOLICIT:
        nd_options(d, p + 8, n - 8);
        body = n;
        break;
    case LN_ND_ROUTER_ADVERT:
        if (n < 16) { if (!d->quoted) malformed(d, "icmpv6: a %u-byte router advertisement, under 16", n); break; }
        seti(L, "cur_hop_limit", p[4]);
        setb(L, "flag_m", p[5] & 0x80);
        setb(L, "flag_o", p[5] & 0x40);
        seti(L, "router_lifetime", ln_get16(p + 6));
        seti(L, "reachable_time", ln_get32(p + 8));
        seti(L, "retrans_timer", ln_get32(p + 12));
        nd_options(d, p + 16, n - 16);
        body = n;
        break;
    case LN_ND_NEIGHBOR_SOLICIT: case LN_ND_NEIGHBOR_ADVERT:
        if (n < 24) { if (!d->quoted) malformed(d, "icmpv6: a %u-byte neighbor message, under 24", n); break; }
        if (type == LN_ND_NEIGHBOR_ADVERT) {
            setb(L, "flag_r", p[4] & LN_ND_NA_ROUTER);
            setb(L, "flag_s", p[4] & LN_ND_NA_SOLICITED);
            setb(L, "flag_o", p[4] & LN_ND_NA_OVERRIDE);
        }
        setip6(L, "target", p + 8);
        nd_options(d, p + 24, n - 24);
        body = n;
        break;
    default:
        break;
    }
    /* Errors quote the invoking packet (RFC 4443 2.4 (c)), one level. */
    if (type < 128 && !d->quoted && n > LN_ICMP6_HLEN) quote(d, ipv6, p + LN_ICMP6_HLEN, n - LN_ICMP6_HLEN);
    lua_pop(L, 1);
    payload(d, p + body, n - body);
}

static void ipv6(dctx *d, const uint8_t *p, uint32_t len, uint32_t *used)
{
    lua_State *L = d->L;
    *used = len;
    if (len < LN_IP6_HLEN) {
        malformed(d, "ipv6: %u bytes, shorter than the 40-byte header", len);
        payload(d, p, len);
        return;
    }
    uint8_t ver = p[0] >> 4;
    uint32_t plen = ln_get16(p + LN_IP6_PLEN);
    layer(d, "ipv6");
    seti(L, "version", ver);
    seti(L, "tclass", (ln_get16(p) >> 4) & 0xff);
    seti(L, "flow", ln_get32(p) & 0xfffff);
    seti(L, "plen", plen);
    seti(L, "nxt", p[LN_IP6_NXT]);
    seti(L, "hlim", p[LN_IP6_HLIM]);
    setip6(L, "src", p + LN_IP6_SRC);
    setip6(L, "dst", p + LN_IP6_DST);
    if (ver != 6) malformed(d, "ipv6: version %u, not 6", ver);
    uint32_t end = len;
    bool whole = true;
    if (LN_IP6_HLEN + plen > len) {
        if (!d->quoted) malformed(d, "ipv6: payload length %u, but only %u bytes are present", plen,
                                  len - LN_IP6_HLEN);
        whole = false;
    } else {
        autofield(L, "plen");
        end = LN_IP6_HLEN + plen;
    }
    *used = end;
    /* The extension headers, each as Wireshark names it. */
    uint8_t nh = p[LN_IP6_NXT];
    uint32_t off = LN_IP6_HLEN;
    bool later_frag = false;
    lua_createtable(L, 0, 0);
    int k = 0;
    while (nh == LN_IPPROTO_HOPOPTS || nh == LN_IPPROTO_ROUTING || nh == LN_IPPROTO_DSTOPTS ||
           nh == LN_IPPROTO_FRAGMENT) {
        if (off + 8 > end) {
            if (!d->quoted) malformed(d, "ipv6: extension header %u cut short", nh);
            break;
        }
        const uint8_t *e = p + off;
        uint32_t hl = nh == LN_IPPROTO_FRAGMENT ? 8 : ((uint32_t)e[1] + 1) * 8;
        if (off + hl > end) {
            if (!d->quoted) malformed(d, "ipv6: extension header %u of %u bytes runs past the datagram", nh, hl);
            break;
        }
        lua_createtable(L, 0, 5);
        sets(L, "type", nh == LN_IPPROTO_HOPOPTS ? "hopopts" : nh == LN_IPPROTO_ROUTING ? "routing"
                      : nh == LN_IPPROTO_DSTOPTS ? "dstopts" : "fragment");
        seti(L, "nxt", e[0]);
        if (nh == LN_IPPROTO_FRAGMENT) {
            uint16_t fo = ln_get16(e + 2);
            seti(L, "offset", fo & LN_FRAG6_OFFMASK);
            setb(L, "more", fo & LN_FRAG6_MF);
            seti(L, "id", ln_get32(e + 4));
            if (fo & LN_FRAG6_OFFMASK) later_frag = true;
            if (fo & (LN_FRAG6_OFFMASK | LN_FRAG6_MF)) whole = false;
        } else {
            seti(L, "len", e[1]);
            autofield(L, "len");      /* derived from the data: rebuilt with it */
            if (nh == LN_IPPROTO_ROUTING) {
                seti(L, "routing_type", e[2]);
                seti(L, "segleft", e[3]);
            }
            setl(L, "data", e + 2, hl - 2);
        }
        lua_rawseti(L, -2, ++k);
        nh = e[0];
        off += hl;
        if (later_frag) break;
    }
    lua_setfield(L, -2, "ext");
    lua_pop(L, 1);
    if (off > end) off = end;
    const uint8_t *l4 = p + off;
    uint32_t n = end - off;
    if (later_frag) { payload(d, l4, n); return; }
    switch (nh) {
    case LN_IPPROTO_TCP: tcp(d, p, l4, n, whole); break;
    case LN_IPPROTO_UDP: udp(d, p, l4, n, whole); break;
    case LN_IPPROTO_ICMPV6: icmpv6(d, p, l4, n, whole); break;
    default: payload(d, l4, n);
    }
}

void lnl_dissect_push(lua_State *L, const uint8_t *p, uint32_t len, lnl_at at)
{
    luaL_checkstack(L, 12, "lunet.dissect");
    lua_createtable(L, 0, 8);
    dctx d = {L, lua_absindex(L, -1), 0, 0, false};
    lua_createtable(L, 4, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, d.pkt, "layers");
    d.layers = lua_absindex(L, -1);
    uint32_t used = 0;
    if (at == LNL_AT_IP) {
        if (len && (p[0] >> 4) == 6) ipv6(&d, p, len, &used);
        else ipv4(&d, p, len, &used);
        if (used < len) {
            lua_pushlstring(L, (const char *)p + used, len - used);
            lua_setfield(L, d.pkt, "trailer");
        }
    } else if (len < LN_ETH_HLEN) {
        malformed(&d, "eth: %u bytes, shorter than the 14-byte header", len);
        payload(&d, p, len);
    } else {
        layer(&d, "eth");
        setmac(L, "dst", p + LN_ETH_DST);
        setmac(L, "src", p + LN_ETH_SRC);
        uint16_t type = ln_get16(p + LN_ETH_TYPE);
        seti(L, "type", type);
        const uint8_t *q = p + LN_ETH_HLEN;
        uint32_t n = len - LN_ETH_HLEN;
        if (type == LN_ETHERTYPE_IPV4) ipv4(&d, q, n, &used);
        else if (type == LN_ETHERTYPE_IPV6) ipv6(&d, q, n, &used);
        else if (type == LN_ETHERTYPE_ARP) arp(&d, q, n, &used);
        else { payload(&d, q, n); used = n; }
        if (used == 0 && n) payload(&d, q, n);            /* an ARP header cut short */
        else if (used < n) setl(L, "padding", q + used, n - used);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);                /* layers */
    luaL_setmetatable(L, LNL_DISSECTED);
}
