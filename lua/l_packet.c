/* l_packet.c - lunet.packet: a frame built from a Lua table, field by
 * field (names in packet.h), and the Packet userdata that holds it.
 *
 * Every field can be set, including the ones a stack computes: a length
 * or checksum the table gives is written as given, right or wrong, which
 * is how a script sends a malformed packet on purpose.  What the table
 * leaves out gets the value a Linux raw socket would send (TTL 64, the
 * lengths, the checksums), or an error saying the field is needed.
 *
 * Tables are read through known-field lists, so a misspelt field is an
 * error naming the fields allowed rather than a silently default value. */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "csum.h"
#include "ip6.h"
#include "node.h"
#include "wire.h"
#include "lunet.h"
#include "packet.h"

#define FRAME_MAX 65535u          /* what a link carries (node:send_frame's bound) */

/* t[k] without metamethods (see scratch_buf). */
static int rawfield(lua_State *L, int t, const char *k)
{
    t = lua_absindex(L, t);
    lua_pushstring(L, k);
    return lua_rawget(L, t);
}

typedef struct bctx {
    lua_State *L;
    const char *fname;
    const lnl_pkt_defaults *def;
    uint8_t *b;                   /* FRAME_MAX bytes */
    uint32_t len;
} bctx;

static const char *const top_fields[] = {"eth", "arp", "ip", "ipv6", "icmp", "icmpv6", "igmp", "udp", "tcp",
                                         "payload", "trailer", "layers", "malformed", NULL};
static const char *const eth_fields[] = {"dst", "src", "type", "padding", NULL};
static const char *const arp_fields[] = {"hw_type", "proto_type", "hw_size", "proto_size", "opcode",
                                         "src_hw_mac", "src_proto_ipv4", "dst_hw_mac",
                                         "dst_proto_ipv4", NULL};
static const char *const ip_fields[] = {"version", "hdr_len", "dsfield", "dscp", "ecn", "len", "id",
                                        "flags_rb", "flags_df", "flags_mf", "frag_offset", "ttl",
                                        "proto", "checksum", "checksum_status", "src", "dst",
                                        "options", NULL};
static const char *const tcp_fields[] = {"srcport", "dstport", "seq", "ack", "hdr_len", "flags",
                                         "flags_res", "window", "checksum", "checksum_status",
                                         "urgent_pointer", "options", NULL};
static const char *const udp_fields[] = {"srcport", "dstport", "length", "checksum",
                                         "checksum_status", NULL};
static const char *const icmp_fields[] = {"type", "code", "checksum", "checksum_status", "ident",
                                          "seq", "mtu", "redir_gw", "pointer", "unused", "quote",
                                          NULL};
static const char *const igmp_fields[] = {"version", "type", "max_resp", "code", "checksum",
                                          "checksum_status", "maddr", "s", "qrv", "qqic", "num_src",
                                          "sources", "reserved", "num_grp_recs", "records", NULL};
static const char *const ipv6_fields[] = {"version", "tclass", "flow", "plen", "nxt", "hlim", "src", "dst",
                                          "ext", NULL};
static const char *const ext_fields[] = {"type", "nxt", "len", "data", "routing_type", "segleft", "offset",
                                         "more", "id", NULL};
static const char *const icmpv6_fields[] = {"type", "code", "checksum", "checksum_status", "ident", "seq",
                                            "mtu", "pointer", "unused", "cur_hop_limit", "flag_m", "flag_o",
                                            "flag_r", "flag_s", "router_lifetime", "reachable_time",
                                            "retrans_timer", "target", "options", "quote", NULL};
static const char *const ndopt_fields[] = {"type", "length", "name", "lladdr", "mtu", "prefix_len", "onlink",
                                           "auto", "valid_lifetime", "preferred_lifetime", "prefix", "data",
                                           NULL};
static const char *const igmp_rec_fields[] = {"record_type", "aux_data_len", "num_src", "maddr",
                                              "sources", "aux_data", NULL};

static void known(bctx *c, int t, const char *layer, const char *const names[])
{
    lua_State *L = c->L;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -1);
            bool ok = false;
            for (int i = 0; names[i] && !ok; i++) ok = strcmp(k, names[i]) == 0;
            if (ok) continue;
        }
        const char *key = luaL_tolstring(L, -1, NULL);
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (int i = 0; names[i]; i++) {
            if (strcmp(names[i], "checksum_status") == 0 || strcmp(names[i], "layers") == 0 ||
                strcmp(names[i], "malformed") == 0 || strcmp(names[i], "quote") == 0)
                continue;         /* what dissect adds; accepted and ignored */
            if (luaL_bufflen(&b)) luaL_addstring(&b, ", ");
            luaL_addstring(&b, names[i]);
        }
        luaL_pushresult(&b);
        luaL_error(L, "%s: %s%sfield %s unknown (known: %s)", c->fname, layer, *layer ? ": " : "", key,
                   lua_tostring(L, -1));
    }
}

/* Layer table `layer` of the table at idx, pushed; false (nothing pushed)
 * when absent. */
static bool sub(bctx *c, int idx, const char *layer, const char *const names[])
{
    lua_State *L = c->L;
    int ty = rawfield(L, idx, layer);
    if (ty == LUA_TNIL) { lua_pop(L, 1); return false; }
    if (ty != LUA_TTABLE)
        luaL_error(L, "%s: %s must be a table of fields, got %s", c->fname, layer, luaL_typename(L, -1));
    known(c, lua_absindex(L, -1), layer, names);
    return true;
}

/* Was field k of the layer table at t read from bytes where it was right,
 * and left unchanged since?  Then it is computed again (packet.h). */
static bool unchanged_auto(lua_State *L, int t, const char *k)
{
    bool same = false;
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_AUTO);
    lua_pushvalue(L, t);
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        rawfield(L, -1, k);
        rawfield(L, t, k);
        same = !lua_isnil(L, -1) && lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    lua_pop(L, 2);
    return same;
}

/* Integer field: false when absent (or auto and unchanged). */
static bool fint(bctx *c, int t, const char *layer, const char *k, lua_Integer lo, lua_Integer hi,
                 lua_Integer *v, bool is_auto)
{
    lua_State *L = c->L;
    if (is_auto && unchanged_auto(L, t, k)) return false;
    int ty = rawfield(L, t, k);
    if (ty == LUA_TNIL) { lua_pop(L, 1); return false; }
    int isint = 0;
    lua_Integer x = lua_tointegerx(L, -1, &isint);
    if (!isint || ty != LUA_TNUMBER)
        luaL_error(L, "%s: %s.%s must be an integer (%I..%I), got %s", c->fname, layer, k, lo, hi,
                   ty == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
    if (x < lo || x > hi)
        luaL_error(L, "%s: %s.%s %I out of range (%I..%I)", c->fname, layer, k, x, lo, hi);
    lua_pop(L, 1);
    *v = x;
    return true;
}

static lua_Integer fint_or(bctx *c, int t, const char *layer, const char *k, lua_Integer lo,
                           lua_Integer hi, lua_Integer dflt)
{
    lua_Integer v;
    return fint(c, t, layer, k, lo, hi, &v, false) ? v : dflt;
}

static bool fbool(bctx *c, int t, const char *layer, const char *k)
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, k);
    bool v = lua_toboolean(L, -1);
    if (ty != LUA_TNIL && ty != LUA_TBOOLEAN)
        luaL_error(L, "%s: %s.%s must be true or false, got %s", c->fname, layer, k, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

/* A string field's bytes (NULL when absent); Packets count as their bytes. */
static const char *fbytes(bctx *c, int t, const char *layer, const char *k, size_t *n)
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, k);
    const char *s = NULL;
    if (ty == LUA_TSTRING) s = lua_tolstring(L, -1, n);
    else if (ty == LUA_TUSERDATA && luaL_testudata(L, -1, LNL_PACKET)) {
        lnl_packet *p = lua_touserdata(L, -1);
        s = (const char *)p->bytes;
        *n = p->len;
    } else if (ty != LUA_TNIL)
        luaL_error(L, "%s: %s%s%s must be a string of bytes, got %s", c->fname, layer, *layer ? "." : "",
                   k, luaL_typename(L, -1));
    lua_pop(L, 1);             /* still referenced by the table */
    return s;
}

static bool fip(bctx *c, int t, const char *layer, const char *k, uint32_t *a)
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, k);
    if (ty == LUA_TNIL) { lua_pop(L, 1); return false; }
    uint8_t plen;
    char err[160];
    const char *s = lua_tostring(L, -1);
    if (ty != LUA_TSTRING || ln_ip_parse(s, a, &plen, err, sizeof err) != 0 || plen != LN_NO_ADDR)
        luaL_error(L, "%s: %s.%s must be an IPv4 address like \"10.0.0.1\", got %s", c->fname, layer, k,
                   ty == LUA_TSTRING ? lua_pushfstring(L, "\"%s\"", s) : luaL_typename(L, -1));
    lua_pop(L, 1);
    return true;
}

static bool fmac(bctx *c, int t, const char *layer, const char *k, uint8_t mac[6])
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, k);
    if (ty == LUA_TNIL) { lua_pop(L, 1); return false; }
    if (ty != LUA_TSTRING || !ln_mac_parse(lua_tostring(L, -1), mac))
        luaL_error(L, "%s: %s.%s must be a MAC address like \"02:00:00:00:00:01\", got %s", c->fname,
                   layer, k, ty == LUA_TSTRING ? lua_pushfstring(L, "\"%s\"", lua_tostring(L, -1))
                                               : luaL_typename(L, -1));
    lua_pop(L, 1);
    return true;
}

static uint8_t *room(bctx *c, uint32_t n)
{
    if (n > FRAME_MAX - c->len)
        luaL_error(c->L, "%s: the packet would be over %d bytes (the most a link carries)", c->fname,
                   (int)FRAME_MAX);
    uint8_t *p = c->b + c->len;
    memset(p, 0, n);
    c->len += n;
    return p;
}

static void put_bytes(bctx *c, const char *s, size_t n)
{
    if (n > FRAME_MAX) n = FRAME_MAX + 1;     /* room() refuses it */
    if (n) memcpy(room(c, (uint32_t)n), s, n);
}

/* ---- TCP ------------------------------------------------------------------ */

static uint8_t tcp_flags(bctx *c, int t)
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, "flags");
    if (ty == LUA_TNIL) { lua_pop(L, 1); return 0x02; }   /* a SYN, as Scapy's TCP() */
    if (ty == LUA_TNUMBER) {
        lua_pop(L, 1);
        return (uint8_t)fint_or(c, t, "tcp", "flags", 0, 255, 0);
    }
    if (ty != LUA_TSTRING)
        luaL_error(L, "%s: tcp.flags must be tcpdump's letters like \"S.\" or a number, got %s", c->fname,
                   luaL_typename(L, -1));
    const char *s = lua_tostring(L, -1);
    uint8_t f = 0;
    if (strcmp(s, "none") != 0) {
        for (const char *q = s; *q; q++) {
            const char *letters = "FSRP.UEW";
            const char *at = strchr(letters, *q);
            if (!at)
                luaL_error(L, "%s: tcp.flags \"%s\": '%c' is not a flag (tcpdump's letters: S SYN, "
                           "F FIN, R RST, P PSH, . ACK, U URG, E ECE, W CWR; \"\" or \"none\" for none)",
                           c->fname, s, *q);
            f |= (uint8_t)(1u << (at - letters));
        }
    }
    lua_pop(L, 1);
    return f;
}

/* One option (the value on top of the stack) appended to o. */
static void tcp_option(bctx *c, int i, uint8_t *o, uint32_t *n)
{
    lua_State *L = c->L;
    uint8_t tmp[64];
    uint32_t k = 0;
    int opt = lua_absindex(L, -1);
    if (lua_type(L, opt) == LUA_TSTRING) {
        const char *s = lua_tostring(L, opt);
        if (strcmp(s, "nop") == 0) tmp[k++] = 1;
        else if (strcmp(s, "eol") == 0) tmp[k++] = 0;
        else if (strcmp(s, "sack_perm") == 0) tmp[k++] = 4, tmp[k++] = 2;
        else luaL_error(L, "%s: tcp.options[%d] \"%s\" unknown (as strings: nop, eol, sack_perm; as "
                        "tables: {mss=}, {ws=}, {ts={val, ecr}}, {sack={{le, re}, ...}}, "
                        "{kind=, data=, len=}, {raw=})", c->fname, i, s);
    } else if (lua_type(L, opt) == LUA_TTABLE) {
        lua_Integer v;
        size_t dl = 0;
        const char *data;
        if (fint(c, opt, "tcp.options", "mss", 0, 65535, &v, false)) {
            tmp[k++] = 2, tmp[k++] = 4, ln_put16(tmp + 2, (uint16_t)v), k += 2;
        } else if (fint(c, opt, "tcp.options", "ws", 0, 255, &v, false)) {
            tmp[k++] = 3, tmp[k++] = 3, tmp[k++] = (uint8_t)v;
        } else if (rawfield(L, opt, "ts") == LUA_TTABLE) {
            int ts = lua_absindex(L, -1);
            lua_Integer val = 0, ecr = 0;
            if (!fint(c, ts, "tcp.options.ts", "val", 0, UINT32_MAX, &val, false)) {
                lua_rawgeti(L, ts, 1); lua_rawgeti(L, ts, 2);
                val = lua_tointeger(L, -2); ecr = lua_tointeger(L, -1);
                lua_pop(L, 2);
            } else fint(c, ts, "tcp.options.ts", "ecr", 0, UINT32_MAX, &ecr, false);
            lua_pop(L, 1);
            tmp[k++] = 8, tmp[k++] = 10;
            ln_put32(tmp + 2, (uint32_t)val), ln_put32(tmp + 6, (uint32_t)ecr), k += 8;
        } else if (lua_pop(L, 1), rawfield(L, opt, "sack") == LUA_TTABLE) {
            int sk = lua_absindex(L, -1);
            lua_Integer nb = (lua_Integer)lua_rawlen(L, sk);
            if (nb < 1 || nb > 4)
                luaL_error(L, "%s: tcp.options[%d].sack: 1 to 4 blocks {le, re}, got %I", c->fname, i, nb);
            tmp[k++] = 5, tmp[k++] = (uint8_t)(2 + 8 * nb);
            for (lua_Integer b = 1; b <= nb; b++) {
                lua_rawgeti(L, sk, b);
                lua_rawgeti(L, -1, 1); lua_rawgeti(L, -2, 2);
                int ok1, ok2;
                lua_Integer le = lua_tointegerx(L, -2, &ok1), re = lua_tointegerx(L, -1, &ok2);
                if (!ok1 || !ok2)
                    luaL_error(L, "%s: tcp.options[%d].sack[%I] must be {le, re}", c->fname, i, b);
                ln_put32(tmp + k, (uint32_t)le), ln_put32(tmp + k + 4, (uint32_t)re), k += 8;
                lua_pop(L, 3);
            }
            lua_pop(L, 1);
        } else if (lua_pop(L, 1), (data = fbytes(c, opt, "tcp.options", "raw", &dl)) != NULL) {
            if (dl > 40) luaL_error(L, "%s: tcp.options[%d].raw: %d bytes (options hold 40)", c->fname, i, (int)dl);
            memcpy(tmp, data, dl), k = (uint32_t)dl;
        } else if (fint(c, opt, "tcp.options", "kind", 0, 255, &v, false)) {
            data = fbytes(c, opt, "tcp.options", "data", &dl);
            if (!data) dl = 0;
            if (dl > 38) luaL_error(L, "%s: tcp.options[%d].data: %d bytes (options hold 40)", c->fname, i, (int)dl);
            tmp[k++] = (uint8_t)v;
            /* len may lie (0, or longer than the data): the zero-length
             * option of a malformed-packet test. */
            tmp[k++] = (uint8_t)fint_or(c, opt, "tcp.options", "len", 0, 255, (lua_Integer)dl + 2);
            if (dl) memcpy(tmp + k, data, dl), k += (uint32_t)dl;
        } else {
            luaL_error(L, "%s: tcp.options[%d]: a table needs one of mss, ws, ts, sack, kind, raw", c->fname, i);
        }
    } else {
        luaL_error(L, "%s: tcp.options[%d] must be a string or a table, got %s", c->fname, i,
                   luaL_typename(L, opt));
    }
    if (*n + k > 40)
        luaL_error(L, "%s: tcp.options: more than the 40 bytes a TCP header holds", c->fname);
    memcpy(o + *n, tmp, k);
    *n += k;
}

static void build_tcp(bctx *c, int t, uint32_t *csum_off, bool *csum_given)
{
    lua_State *L = c->L;
    lua_Integer v;
    uint32_t start = c->len;
    uint8_t *h = room(c, 20);
    if (!fint(c, t, "tcp", "srcport", 0, 65535, &v, false))
        luaL_error(L, "%s: tcp.srcport missing", c->fname);
    ln_put16(h, (uint16_t)v);
    if (!fint(c, t, "tcp", "dstport", 0, 65535, &v, false))
        luaL_error(L, "%s: tcp.dstport missing", c->fname);
    ln_put16(h + 2, (uint16_t)v);
    ln_put32(h + 4, (uint32_t)fint_or(c, t, "tcp", "seq", 0, UINT32_MAX, 0));
    ln_put32(h + 8, (uint32_t)fint_or(c, t, "tcp", "ack", 0, UINT32_MAX, 0));
    h[13] = tcp_flags(c, t);
    /* 64240: Linux's window in a SYN (tcp_select_initial_window, 44 MSS). */
    ln_put16(h + 14, (uint16_t)fint_or(c, t, "tcp", "window", 0, 65535, 64240));
    ln_put16(h + 18, (uint16_t)fint_or(c, t, "tcp", "urgent_pointer", 0, 65535, 0));
    uint8_t opts[40];
    uint32_t no = 0;
    int ty = rawfield(L, t, "options");
    if (ty == LUA_TTABLE) {
        lua_Integer cnt = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= cnt; i++) {
            lua_rawgeti(L, -1, i);
            tcp_option(c, (int)i, opts, &no);
            lua_pop(L, 1);
        }
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "%s: tcp.options must be a list, got %s", c->fname, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    uint32_t padded = (no + 3) & ~3u;     /* zeros: EOL, RFC 9293 3.1 */
    memcpy(room(c, padded), opts, no);
    h = c->b + start;
    lua_Integer hl = 20 + padded;
    if (fint(c, t, "tcp", "hdr_len", 0, 60, &v, true)) {
        if (v % 4) luaL_error(L, "%s: tcp.hdr_len %I is not a multiple of 4", c->fname, v);
        hl = v;
    }
    h[12] = (uint8_t)((hl / 4) << 4 | fint_or(c, t, "tcp", "flags_res", 0, 15, 0));
    *csum_off = start + 16;
    *csum_given = fint(c, t, "tcp", "checksum", 0, 65535, &v, true);
    if (*csum_given) ln_put16(h + 16, (uint16_t)v);
}

/* ---- UDP, ICMP, ARP -------------------------------------------------------- */

static void build_udp(bctx *c, int t, uint32_t *csum_off, bool *csum_given, bool *len_given)
{
    lua_State *L = c->L;
    lua_Integer v;
    uint32_t start = c->len;
    uint8_t *h = room(c, 8);
    if (!fint(c, t, "udp", "srcport", 0, 65535, &v, false)) luaL_error(L, "%s: udp.srcport missing", c->fname);
    ln_put16(h, (uint16_t)v);
    if (!fint(c, t, "udp", "dstport", 0, 65535, &v, false)) luaL_error(L, "%s: udp.dstport missing", c->fname);
    ln_put16(h + 2, (uint16_t)v);
    *len_given = fint(c, t, "udp", "length", 0, 65535, &v, true);
    if (*len_given) ln_put16(h + 4, (uint16_t)v);
    *csum_off = start + 6;
    *csum_given = fint(c, t, "udp", "checksum", 0, 65535, &v, true);
    if (*csum_given) ln_put16(h + 6, (uint16_t)v);
}

static void build_icmp(bctx *c, int t, uint32_t *csum_off, bool *csum_given)
{
    lua_Integer v;
    uint32_t start = c->len;
    uint8_t *h = room(c, 8);
    lua_Integer type = fint_or(c, t, "icmp", "type", 0, 255, LN_ICMP_ECHO);
    h[0] = (uint8_t)type;
    h[1] = (uint8_t)fint_or(c, t, "icmp", "code", 0, 255, 0);
    /* The second word's meaning depends on the type (RFC 792); the fields
     * are written in this order, so a later one wins where they overlap. */
    if (fint(c, t, "icmp", "unused", 0, UINT32_MAX, &v, false)) ln_put32(h + 4, (uint32_t)v);
    if (fint(c, t, "icmp", "ident", 0, 65535, &v, false)) ln_put16(h + 4, (uint16_t)v);
    if (fint(c, t, "icmp", "seq", 0, 65535, &v, false)) ln_put16(h + 6, (uint16_t)v);
    if (fint(c, t, "icmp", "mtu", 0, 65535, &v, false)) ln_put16(h + 6, (uint16_t)v);
    if (fint(c, t, "icmp", "pointer", 0, 255, &v, false)) h[4] = (uint8_t)v;
    uint32_t gw;
    if (fip(c, t, "icmp", "redir_gw", &gw)) ln_put32(h + 4, gw);
    *csum_off = start + 2;
    *csum_given = fint(c, t, "icmp", "checksum", 0, 65535, &v, true);
    if (*csum_given) ln_put16(h + 2, (uint16_t)v);
}

/* ---- IGMP ------------------------------------------------------------------ */

/* The fields of each IGMP layout: one of another layout is an error rather
 * than a value silently left out of the bytes. */
static const char *const igmp_v12_fields[] = {"version", "type", "max_resp", "checksum",
                                              "checksum_status", "maddr", NULL};
static const char *const igmp_v3q_fields[] = {"version", "type", "max_resp", "checksum",
                                              "checksum_status", "maddr", "s", "qrv", "qqic",
                                              "num_src", "sources", "reserved", NULL};
static const char *const igmp_v3r_fields[] = {"version", "type", "checksum", "checksum_status",
                                              "reserved", "num_grp_recs", "records", NULL};
static const char *const igmp_other_fields[] = {"type", "code", "checksum", "checksum_status", NULL};

static void igmp_only(bctx *c, int t, const char *what, const char *const names[])
{
    lua_State *L = c->L;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        const char *k = lua_tostring(L, -1);     /* a string: known() let it through */
        bool ok = false;
        for (int i = 0; names[i] && !ok; i++) ok = strcmp(k, names[i]) == 0;
        if (ok) continue;
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (int i = 0; names[i]; i++) {
            if (strcmp(names[i], "checksum_status") == 0) continue;
            if (luaL_bufflen(&b)) luaL_addstring(&b, ", ");
            luaL_addstring(&b, names[i]);
        }
        luaL_pushresult(&b);
        luaL_error(L, "%s: igmp.%s is not a field of %s (its fields: %s)", c->fname, k, what, lua_tostring(L, -1));
    }
}

/* The list `sources` of the table at t, appended as addresses; returns
 * how many. */
static uint32_t igmp_sources(bctx *c, int t, const char *where)
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, "sources");
    uint32_t k = 0;
    if (ty == LUA_TTABLE) {
        lua_Integer cnt = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= cnt; i++) {
            uint32_t a = 0;
            uint8_t plen = 0;
            char err[64];
            int et = lua_rawgeti(L, -1, i);
            if (et != LUA_TSTRING || ln_ip_parse(lua_tostring(L, -1), &a, &plen, err, sizeof err) != 0 ||
                plen != LN_NO_ADDR)
                luaL_error(L, "%s: %s.sources[%I] must be an IPv4 address like \"10.0.0.1\", got %s", c->fname,
                           where, i, et == LUA_TSTRING ? lua_pushfstring(L, "\"%s\"", lua_tostring(L, -1))
                                                       : luaL_typename(L, -1));
            lua_pop(L, 1);
            ln_put32(room(c, 4), a);
            k++;
        }
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "%s: %s.sources must be a list of IPv4 addresses, got %s", c->fname, where,
                   luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return k;
}

/* Tenths of a second as a v3 Max Resp Code (RFC 3376 4.1.1), exactly:
 * igmp.max_resp holds the time (packet.h), and a time the code cannot
 * hold is refused, naming the two nearest that it can. */
static uint8_t igmp_time_code(bctx *c, lua_Integer tenths)
{
    if (tenths < 128) return (uint8_t)tenths;
    lua_Integer below = 0, above = 0;
    for (unsigned code = 128; code < 256; code++) {
        lua_Integer t = (lua_Integer)lnl_igmp_code_time((uint8_t)code);
        if (t == tenths) return (uint8_t)code;
        if (t < tenths && t > below) below = t;
        if (t > tenths && (!above || t < above)) above = t;
    }
    luaL_error(c->L, "%s: igmp.max_resp %I (tenths of a second) cannot be coded: from 128 on, a v3 query "
               "codes (16 + mant) << (exp + 3) (RFC 3376 4.1.1); the nearest are %I and %I",
               c->fname, tenths, below, above);
    return 0;
}

/* One group record (RFC 3376 4.2.4) from the table at t. */
static void igmp_record(bctx *c, int t, const char *where)
{
    lua_State *L = c->L;
    lua_Integer v;
    uint32_t start = c->len;
    uint8_t *r = room(c, 8);
    if (!fint(c, t, where, "record_type", 0, 255, &v, false))
        luaL_error(L, "%s: %s.record_type missing (1 MODE_IS_INCLUDE, 2 MODE_IS_EXCLUDE, 3 CHANGE_TO_INCLUDE_MODE, "
                   "4 CHANGE_TO_EXCLUDE_MODE, 5 ALLOW_NEW_SOURCES, 6 BLOCK_OLD_SOURCES)", c->fname, where);
    r[0] = (uint8_t)v;
    uint32_t g;
    if (!fip(c, t, where, "maddr", &g)) luaL_error(L, "%s: %s.maddr missing", c->fname, where);
    ln_put32(r + 4, g);
    uint32_t k = igmp_sources(c, t, where);
    size_t al = 0;
    const char *aux = fbytes(c, t, where, "aux_data", &al);
    if (al > 255 * 4)
        luaL_error(L, "%s: %s.aux_data: %d bytes; aux_data_len counts at most 255 words of 4", c->fname, where,
                   (int)al);
    uint32_t words = ((uint32_t)al + 3) / 4;     /* whole words, zero-padded (RFC 3376 4.2.6) */
    if (al) memcpy(room(c, words * 4), aux, al);
    r = c->b + start;
    if (!fint(c, t, where, "num_src", 0, 65535, &v, true)) v = k;
    ln_put16(r + 2, (uint16_t)v);
    if (!fint(c, t, where, "aux_data_len", 0, 255, &v, true)) v = words;
    r[1] = (uint8_t)v;
}

static void build_igmp(bctx *c, int t, uint32_t *csum_off, bool *csum_given)
{
    lua_State *L = c->L;
    lua_Integer v, ver = 0;
    uint32_t start = c->len, g = 0;
    /* A query unless told otherwise, as Scapy's IGMP(); the version of a
     * query is its layout (RFC 3376 7.1), every other type has one. */
    lua_Integer type = fint_or(c, t, "igmp", "type", 0, 255, 0x11);
    bool have_ver = fint(c, t, "igmp", "version", 1, 3, &ver, false);
    int lv = type == 0x11 ? (have_ver ? (int)ver : 3)
           : type == 0x12 ? 1 : type == 0x16 || type == 0x17 ? 2 : type == 0x22 ? 3 : 0;
    char what[96];
    if (have_ver && lv && ver != lv) {
        snprintf(what, sizeof what, "0x%02x", (int)type);     /* lua_pushfstring has no %x */
        luaL_error(L, "%s: igmp.version %I does not go with type %s, a version %d message (only a query, "
                   "0x11, comes in every version)", c->fname, ver, what, lv);
    }
    uint8_t *h;
    if (lv == 1 || lv == 2) {
        snprintf(what, sizeof what, "a v%d %s (type 0x%02x)", lv,
                 type == 0x11 ? "Membership Query" : type == 0x17 ? "Leave Group" : "Membership Report", (int)type);
        igmp_only(c, t, what, igmp_v12_fields);
        h = room(c, 8);
        h[0] = (uint8_t)type;
        lua_Integer mr = fint_or(c, t, "igmp", "max_resp", 0, 255, type == 0x11 && lv == 2 ? 100 : 0);
        /* The byte tells v1 and v2 queries apart (RFC 2236 4): a table
         * that says one and builds the other would not come back. */
        if (type == 0x11 && (lv == 1) != (mr == 0))
            luaL_error(L, "%s: igmp.max_resp %I in a version %d query: 0 makes a query version 1, anything "
                       "else version 2 (RFC 2236 4)", c->fname, mr, lv);
        h[1] = (uint8_t)mr;
        if (!fip(c, t, "igmp", "maddr", &g) && type != 0x11)
            luaL_error(L, "%s: igmp.maddr missing (the group %s)", c->fname,
                       type == 0x17 ? "left" : "reported");
        ln_put32(h + 4, g);
    } else if (lv == 3 && type == 0x11) {
        igmp_only(c, t, "a v3 Membership Query (type 0x11)", igmp_v3q_fields);
        h = room(c, 12);
        h[0] = 0x11;
        /* 10 s, robustness 2, 125 s: RFC 3376 8.3, 8.1, 8.2's defaults. */
        h[1] = igmp_time_code(c, fint_or(c, t, "igmp", "max_resp", 0, 31744, 100));
        fip(c, t, "igmp", "maddr", &g);               /* 0.0.0.0: a general query */
        ln_put32(h + 4, g);
        h[8] = (uint8_t)(fint_or(c, t, "igmp", "reserved", 0, 15, 0) << 4 |
                         (fbool(c, t, "igmp", "s") ? 0x08 : 0) | fint_or(c, t, "igmp", "qrv", 0, 7, 2));
        h[9] = (uint8_t)fint_or(c, t, "igmp", "qqic", 0, 255, 125);
        uint32_t k = igmp_sources(c, t, "igmp");
        if (!fint(c, t, "igmp", "num_src", 0, 65535, &v, true)) v = k;
        ln_put16(c->b + start + 10, (uint16_t)v);
    } else if (lv == 3) {
        igmp_only(c, t, "a v3 Membership Report (type 0x22)", igmp_v3r_fields);
        h = room(c, 8);
        h[0] = 0x22;
        lua_Integer resv = fint_or(c, t, "igmp", "reserved", 0, 0xffffff, 0);
        h[1] = (uint8_t)(resv >> 16);
        ln_put16(h + 4, (uint16_t)resv);
        uint32_t nrec = 0;
        int ty = rawfield(L, t, "records");
        if (ty == LUA_TTABLE) {
            int rl = lua_absindex(L, -1);
            lua_Integer cnt = (lua_Integer)lua_rawlen(L, rl);
            for (lua_Integer i = 1; i <= cnt; i++) {
                char where[48];
                snprintf(where, sizeof where, "igmp.records[%lld]", (long long)i);
                if (lua_rawgeti(L, rl, i) != LUA_TTABLE)
                    luaL_error(L, "%s: %s must be a table {record_type=, maddr=, sources=}, got %s", c->fname,
                               where, luaL_typename(L, -1));
                int rt = lua_absindex(L, -1);
                known(c, rt, where, igmp_rec_fields);
                igmp_record(c, rt, where);
                lua_pop(L, 1);
                nrec++;
            }
        } else if (ty != LUA_TNIL) {
            luaL_error(L, "%s: igmp.records must be a list of group records, got %s", c->fname,
                       luaL_typename(L, -1));
        }
        lua_pop(L, 1);
        if (!fint(c, t, "igmp", "num_grp_recs", 0, 65535, &v, true)) v = nrec;
        ln_put16(c->b + start + 6, (uint16_t)v);
    } else {
        snprintf(what, sizeof what, "type 0x%02x (not a membership message: type, code, checksum, then "
                 "the payload)", (int)type);
        igmp_only(c, t, what, igmp_other_fields);
        h = room(c, 4);
        h[0] = (uint8_t)type;
        h[1] = (uint8_t)fint_or(c, t, "igmp", "code", 0, 255, 0);
    }
    *csum_off = start + 2;
    *csum_given = fint(c, t, "igmp", "checksum", 0, 65535, &v, true);
    if (*csum_given) ln_put16(c->b + start + 2, (uint16_t)v);
}

static void build_arp(bctx *c, int t, const uint8_t *eth_src)
{
    lua_State *L = c->L;
    uint8_t *h = room(c, LN_ARP_LEN);
    ln_put16(h + LN_ARP_HTYPE, (uint16_t)fint_or(c, t, "arp", "hw_type", 0, 65535, 1));
    ln_put16(h + LN_ARP_PTYPE, (uint16_t)fint_or(c, t, "arp", "proto_type", 0, 65535, LN_ETHERTYPE_IPV4));
    h[LN_ARP_HLEN] = (uint8_t)fint_or(c, t, "arp", "hw_size", 0, 255, 6);
    h[LN_ARP_PLEN] = (uint8_t)fint_or(c, t, "arp", "proto_size", 0, 255, 4);
    int ty = rawfield(L, t, "opcode");
    lua_Integer op = LN_ARP_REQUEST;
    if (ty == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        if (strcmp(s, "request") == 0) op = LN_ARP_REQUEST;
        else if (strcmp(s, "reply") == 0) op = LN_ARP_REPLY;
        else luaL_error(L, "%s: arp.opcode \"%s\" unknown (\"request\", \"reply\" or a number)", c->fname, s);
    } else if (ty != LUA_TNIL) op = fint_or(c, t, "arp", "opcode", 0, 65535, 1);
    lua_pop(L, 1);
    ln_put16(h + LN_ARP_OPER, (uint16_t)op);
    if (!fmac(c, t, "arp", "src_hw_mac", h + LN_ARP_SHA)) {
        if (eth_src) memcpy(h + LN_ARP_SHA, eth_src, 6);
        else luaL_error(L, "%s: arp.src_hw_mac missing (it defaults to eth.src)", c->fname);
    }
    uint32_t a;
    if (!fip(c, t, "arp", "src_proto_ipv4", &a)) {
        if (!c->def || !c->def->have_src_ip) luaL_error(L, "%s: arp.src_proto_ipv4 missing", c->fname);
        a = c->def->src_ip;
    }
    ln_put32(h + LN_ARP_SPA, a);
    fmac(c, t, "arp", "dst_hw_mac", h + LN_ARP_THA);   /* zeros: unknown, as in a request */
    if (!fip(c, t, "arp", "dst_proto_ipv4", &a)) luaL_error(L, "%s: arp.dst_proto_ipv4 missing", c->fname);
    ln_put32(h + LN_ARP_TPA, a);
}

/* ---- IPv6 (RFC 8200) and ICMPv6 (RFC 4443, RFC 4861) ------------------------- */

static bool fip6(bctx *c, int t, const char *layer, const char *k, ln_in6 *a)
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, k);
    if (ty == LUA_TNIL) { lua_pop(L, 1); return false; }
    uint8_t plen;
    char err[160];
    const char *s = lua_tostring(L, -1);
    if (ty != LUA_TSTRING || ln_ip6_parse(s, a, &plen, err, sizeof err) != 0 || plen != LN_NO_ADDR)
        luaL_error(L, "%s: %s.%s must be an IPv6 address like \"2001:db8::1\", got %s", c->fname, layer, k,
                   ty == LUA_TSTRING ? lua_pushfstring(L, "\"%s\"", s) : luaL_typename(L, -1));
    lua_pop(L, 1);
    return true;
}

/* Every key of the table at t is one of names[] (a field of another
 * message type is an error rather than a value silently left out). */
static void only(bctx *c, int t, const char *layer, const char *what, const char *const names[])
{
    lua_State *L = c->L;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        const char *k = lua_tostring(L, -1);     /* a string: known() let it through */
        bool ok = false;
        for (int i = 0; names[i] && !ok; i++) ok = strcmp(k, names[i]) == 0;
        if (ok) continue;
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (int i = 0; names[i]; i++) {
            if (strcmp(names[i], "checksum_status") == 0 || strcmp(names[i], "quote") == 0) continue;
            if (luaL_bufflen(&b)) luaL_addstring(&b, ", ");
            luaL_addstring(&b, names[i]);
        }
        luaL_pushresult(&b);
        luaL_error(L, "%s: %s.%s is not a field of %s (its fields: %s)", c->fname, layer, k, what,
                   lua_tostring(L, -1));
    }
}

/* ND options (RFC 4861 4.6), named as dissect names them. */
static const struct { const char *name; uint8_t type; } nd_opt_names[] = {
    {"src_lladdr", LN_ND_OPT_SLLA}, {"target_lladdr", LN_ND_OPT_TLLA}, {"prefix", LN_ND_OPT_PREFIX},
    {"mtu", LN_ND_OPT_MTU},
};

static const char *const ndopt_lladdr_fields[] = {"type", "length", "name", "lladdr", NULL};
static const char *const ndopt_prefix_fields[] = {"type", "length", "name", "prefix_len", "onlink", "auto",
                                                  "valid_lifetime", "preferred_lifetime", "prefix", NULL};
static const char *const ndopt_mtu_fields[] = {"type", "length", "name", "mtu", NULL};
static const char *const ndopt_other_fields[] = {"type", "length", "name", "data", NULL};

/* One option from the table at t, appended. */
static void nd_option(bctx *c, int t, const char *where)
{
    lua_State *L = c->L;
    known(c, t, where, ndopt_fields);
    lua_Integer type = -1, v;
    bool have_type = fint(c, t, where, "type", 0, 255, &type, false);
    if (rawfield(L, t, "name") == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        lua_Integer by_name = -1;
        for (size_t i = 0; i < sizeof nd_opt_names / sizeof nd_opt_names[0]; i++)
            if (strcmp(s, nd_opt_names[i].name) == 0) by_name = nd_opt_names[i].type;
        if (by_name < 0 && !(strcmp(s, "unknown") == 0 && have_type))
            luaL_error(L, "%s: %s.name \"%s\" unknown (src_lladdr, target_lladdr, prefix, mtu; or give type)",
                       c->fname, where, s);
        if (by_name >= 0 && have_type && type != by_name)
            luaL_error(L, "%s: %s.name \"%s\" is type %I, but type is %I", c->fname, where, s, by_name, type);
        if (by_name >= 0) type = by_name;
    } else if (lua_type(L, -1) != LUA_TNIL) {
        luaL_error(L, "%s: %s.name must be a string, got %s", c->fname, where, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    if (type < 0) luaL_error(L, "%s: %s needs a type or a name (src_lladdr, target_lladdr, prefix, mtu)",
                             c->fname, where);
    uint32_t start = c->len;
    if (type == LN_ND_OPT_SLLA || type == LN_ND_OPT_TLLA) {
        only(c, t, where, "a link-layer address option", ndopt_lladdr_fields);
        uint8_t *o = room(c, 8);
        if (!fmac(c, t, where, "lladdr", o + 2)) luaL_error(L, "%s: %s.lladdr missing", c->fname, where);
    } else if (type == LN_ND_OPT_PREFIX) {
        only(c, t, where, "a prefix information option", ndopt_prefix_fields);
        uint8_t *o = room(c, 32);
        /* /64, on-link and autonomous, Linux radvd's lifetimes: 30 days and 7 (RFC 4861 6.2.1). */
        o[2] = (uint8_t)fint_or(c, t, where, "prefix_len", 0, 128, 64);
        int ty = rawfield(L, t, "onlink");
        bool onlink = ty == LUA_TNIL || lua_toboolean(L, -1);
        lua_pop(L, 1);
        ty = rawfield(L, t, "auto");
        bool autoconf = ty == LUA_TNIL || lua_toboolean(L, -1);
        lua_pop(L, 1);
        fbool(c, t, where, "onlink");
        fbool(c, t, where, "auto");
        o[3] = (uint8_t)((onlink ? LN_ND_PI_ONLINK : 0) | (autoconf ? LN_ND_PI_AUTO : 0));
        ln_put32(o + 4, (uint32_t)fint_or(c, t, where, "valid_lifetime", 0, UINT32_MAX, 2592000));
        ln_put32(o + 8, (uint32_t)fint_or(c, t, where, "preferred_lifetime", 0, UINT32_MAX, 604800));
        ln_in6 p;
        if (!fip6(c, t, where, "prefix", &p)) luaL_error(L, "%s: %s.prefix missing", c->fname, where);
        memcpy(c->b + start + 16, p.b, 16);
    } else if (type == LN_ND_OPT_MTU) {
        only(c, t, where, "an MTU option", ndopt_mtu_fields);
        uint8_t *o = room(c, 8);
        if (!fint(c, t, where, "mtu", 0, UINT32_MAX, &v, false)) luaL_error(L, "%s: %s.mtu missing", c->fname, where);
        ln_put32(o + 4, (uint32_t)v);
    } else {
        only(c, t, where, "an option of this type", ndopt_other_fields);
        size_t dl = 0;
        const char *d = fbytes(c, t, where, "data", &dl);
        if (dl > 255 * 8 - 2) luaL_error(L, "%s: %s.data: %d bytes (an option holds 2038)", c->fname, where, (int)dl);
        uint32_t total = ((uint32_t)dl + 2 + 7) & ~7u;      /* zero-padded to 8 bytes */
        uint8_t *o = room(c, total);
        if (dl) memcpy(o + 2, d, dl);
    }
    uint8_t *o = c->b + start;
    o[0] = (uint8_t)type;
    /* length may lie (0 is the malformed option of RFC 4861 4.6). */
    o[1] = (uint8_t)fint_or(c, t, where, "length", 0, 255, (c->len - start) / 8);
}

static void nd_options_build(bctx *c, int t)
{
    lua_State *L = c->L;
    int ty = rawfield(L, t, "options");
    if (ty == LUA_TTABLE) {
        int ol = lua_absindex(L, -1);
        lua_Integer cnt = (lua_Integer)lua_rawlen(L, ol);
        for (lua_Integer i = 1; i <= cnt; i++) {
            char where[40];
            snprintf(where, sizeof where, "icmpv6.options[%lld]", (long long)i);
            if (lua_rawgeti(L, ol, i) != LUA_TTABLE)
                luaL_error(L, "%s: %s must be a table like {name=\"src_lladdr\", lladdr=...}, got %s",
                           c->fname, where, luaL_typename(L, -1));
            nd_option(c, lua_absindex(L, -1), where);
            lua_pop(L, 1);
        }
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "%s: icmpv6.options must be a list of options, got %s", c->fname, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
}

/* The fields of each ICMPv6 message: one of another message is an error. */
#define ICMP6_COMMON "type", "code", "checksum", "checksum_status"
static const char *const icmp6_err_fields[] = {ICMP6_COMMON, "unused", "quote", NULL};
static const char *const icmp6_ptb_fields[] = {ICMP6_COMMON, "mtu", "quote", NULL};
static const char *const icmp6_pp_fields[] = {ICMP6_COMMON, "pointer", "quote", NULL};
static const char *const icmp6_echo_fields[] = {ICMP6_COMMON, "ident", "seq", NULL};
static const char *const icmp6_rs_fields[] = {ICMP6_COMMON, "unused", "options", NULL};
static const char *const icmp6_ra_fields[] = {ICMP6_COMMON, "cur_hop_limit", "flag_m", "flag_o",
                                              "router_lifetime", "reachable_time", "retrans_timer",
                                              "options", NULL};
static const char *const icmp6_ns_fields[] = {ICMP6_COMMON, "unused", "target", "options", NULL};
static const char *const icmp6_na_fields[] = {ICMP6_COMMON, "flag_r", "flag_s", "flag_o", "target",
                                              "options", NULL};
static const char *const icmp6_other_fields[] = {ICMP6_COMMON, "unused", NULL};

static void build_icmpv6(bctx *c, int t, uint32_t *csum_off, bool *csum_given)
{
    lua_State *L = c->L;
    lua_Integer v;
    uint32_t start = c->len;
    uint8_t *h = room(c, LN_ICMP6_HLEN);
    lua_Integer type = fint_or(c, t, "icmpv6", "type", 0, 255, LN_ICMP6_ECHO_REQUEST);
    h[0] = (uint8_t)type;
    h[1] = (uint8_t)fint_or(c, t, "icmpv6", "code", 0, 255, 0);
    char what[64];
    switch (type) {
    case LN_ICMP6_DST_UNREACH: case LN_ICMP6_TIME_EXCEED:
        only(c, t, "icmpv6", type == 1 ? "a Destination Unreachable (type 1)" : "a Time Exceeded (type 3)",
             icmp6_err_fields);
        ln_put32(h + 4, (uint32_t)fint_or(c, t, "icmpv6", "unused", 0, UINT32_MAX, 0));
        break;
    case LN_ICMP6_PKT_TOOBIG:
        only(c, t, "icmpv6", "a Packet Too Big (type 2)", icmp6_ptb_fields);
        if (!fint(c, t, "icmpv6", "mtu", 0, UINT32_MAX, &v, false))
            luaL_error(L, "%s: icmpv6.mtu missing (the MTU a Packet Too Big reports)", c->fname);
        ln_put32(h + 4, (uint32_t)v);
        break;
    case LN_ICMP6_PARAM_PROB:
        only(c, t, "icmpv6", "a Parameter Problem (type 4)", icmp6_pp_fields);
        ln_put32(h + 4, (uint32_t)fint_or(c, t, "icmpv6", "pointer", 0, UINT32_MAX, 0));
        break;
    case LN_ICMP6_ECHO_REQUEST: case LN_ICMP6_ECHO_REPLY:
        only(c, t, "icmpv6", type == 128 ? "an Echo Request (type 128)" : "an Echo Reply (type 129)",
             icmp6_echo_fields);
        ln_put16(h + 4, (uint16_t)fint_or(c, t, "icmpv6", "ident", 0, 65535, 0));
        ln_put16(h + 6, (uint16_t)fint_or(c, t, "icmpv6", "seq", 0, 65535, 0));
        break;
    case LN_ND_ROUTER_SOLICIT:
        only(c, t, "icmpv6", "a Router Solicitation (type 133)", icmp6_rs_fields);
        ln_put32(h + 4, (uint32_t)fint_or(c, t, "icmpv6", "unused", 0, UINT32_MAX, 0));
        nd_options_build(c, t);
        break;
    case LN_ND_ROUTER_ADVERT: {
        only(c, t, "icmpv6", "a Router Advertisement (type 134)", icmp6_ra_fields);
        uint8_t *r = room(c, 8);
        h = c->b + start;
        /* Linux's defaults (radvd's too): hop limit 64, lifetime 1800 s. */
        h[4] = (uint8_t)fint_or(c, t, "icmpv6", "cur_hop_limit", 0, 255, 64);
        h[5] = (uint8_t)((fbool(c, t, "icmpv6", "flag_m") ? 0x80 : 0) | (fbool(c, t, "icmpv6", "flag_o") ? 0x40 : 0));
        ln_put16(h + 6, (uint16_t)fint_or(c, t, "icmpv6", "router_lifetime", 0, 65535, 1800));
        ln_put32(r, (uint32_t)fint_or(c, t, "icmpv6", "reachable_time", 0, UINT32_MAX, 0));
        ln_put32(r + 4, (uint32_t)fint_or(c, t, "icmpv6", "retrans_timer", 0, UINT32_MAX, 0));
        nd_options_build(c, t);
        break;
    }
    case LN_ND_NEIGHBOR_SOLICIT: case LN_ND_NEIGHBOR_ADVERT: {
        bool ns = type == LN_ND_NEIGHBOR_SOLICIT;
        only(c, t, "icmpv6", ns ? "a Neighbor Solicitation (type 135)" : "a Neighbor Advertisement (type 136)",
             ns ? icmp6_ns_fields : icmp6_na_fields);
        uint8_t *tg = room(c, 16);
        ln_in6 a;
        if (!fip6(c, t, "icmpv6", "target", &a))
            luaL_error(L, "%s: icmpv6.target missing (the address %s)", c->fname, ns ? "asked about" : "advertised");
        memcpy(tg, a.b, 16);
        h = c->b + start;
        if (ns) ln_put32(h + 4, (uint32_t)fint_or(c, t, "icmpv6", "unused", 0, UINT32_MAX, 0));
        else h[4] = (uint8_t)((fbool(c, t, "icmpv6", "flag_r") ? LN_ND_NA_ROUTER : 0) |
                              (fbool(c, t, "icmpv6", "flag_s") ? LN_ND_NA_SOLICITED : 0) |
                              (fbool(c, t, "icmpv6", "flag_o") ? LN_ND_NA_OVERRIDE : 0));
        nd_options_build(c, t);
        break;
    }
    default:
        snprintf(what, sizeof what, "type %d (type, code, checksum, a word, then the payload)", (int)type);
        only(c, t, "icmpv6", what, icmp6_other_fields);
        ln_put32(h + 4, (uint32_t)fint_or(c, t, "icmpv6", "unused", 0, UINT32_MAX, 0));
        break;
    }
    *csum_off = start + 2;
    *csum_given = fint(c, t, "icmpv6", "checksum", 0, 65535, &v, true);
    if (*csum_given) ln_put16(c->b + start + 2, (uint16_t)v);
}

/* ---- IPv4 -------------------------------------------------------------------- */

/* The transport layers a table may hold under ip or ipv6: at most one. */
enum { L4_ICMP, L4_IGMP, L4_UDP, L4_TCP, L4_ICMPV6, L4_N };
static const char *const l4_name[L4_N] = {"icmp", "igmp", "udp", "tcp", "icmpv6"};
static const uint8_t l4_proto[L4_N] = {LN_IPPROTO_ICMP, LN_IPPROTO_IGMP, LN_IPPROTO_UDP, LN_IPPROTO_TCP,
                                       LN_IPPROTO_ICMPV6};

/* The transport layer as built: build_ip fills in its length and checksum
 * once the payload and the addresses are known, unless the table gave them. */
typedef struct l4_built {
    int which;                    /* L4_*, or -1: none */
    uint32_t off, csum_off;       /* where it starts in c->b; where its checksum sits */
    bool csum_given, ulen_given;
} l4_built;

/* Room for the fixed header and ip.options (padded to 32 bits); returns
 * the options' padded length. */
static uint32_t ip_reserve(bctx *c, int t)
{
    room(c, LN_IP_HLEN);
    size_t ol = 0;
    const char *opt = fbytes(c, t, "ip", "options", &ol);
    if (ol > 40) luaL_error(c->L, "%s: ip.options: %d bytes (the header holds 40)", c->fname, (int)ol);
    uint32_t padded = ((uint32_t)ol + 3) & ~3u;
    if (ol) memcpy(room(c, padded), opt, ol);
    else room(c, padded);
    return padded;
}

/* Which transport layer the table has (L4_*, or -1), refusing two. */
static int l4_which(bctx *c, int top)
{
    int which = -1;
    for (int i = 0; i < L4_N; i++) {
        int ty = rawfield(c->L, top, l4_name[i]);
        lua_pop(c->L, 1);
        if (ty == LUA_TNIL) continue;
        if (which >= 0)
            luaL_error(c->L, "%s: both %s and %s: a packet has one transport layer", c->fname,
                       l4_name[which], l4_name[i]);
        which = i;
    }
    return which;
}

static void build_l4(bctx *c, int top, l4_built *l4)
{
    static const char *const *names[L4_N] = {icmp_fields, igmp_fields, udp_fields, tcp_fields, icmpv6_fields};
    l4->off = c->len;
    l4->csum_off = 0;
    l4->csum_given = l4->ulen_given = true;
    if (l4->which < 0) return;
    sub(c, top, l4_name[l4->which], names[l4->which]);
    int lt = lua_absindex(c->L, -1);
    if (l4->which == L4_ICMP) build_icmp(c, lt, &l4->csum_off, &l4->csum_given);
    else if (l4->which == L4_IGMP) build_igmp(c, lt, &l4->csum_off, &l4->csum_given);
    else if (l4->which == L4_UDP) build_udp(c, lt, &l4->csum_off, &l4->csum_given, &l4->ulen_given);
    else if (l4->which == L4_ICMPV6) build_icmpv6(c, lt, &l4->csum_off, &l4->csum_given);
    else build_tcp(c, lt, &l4->csum_off, &l4->csum_given);
    lua_pop(c->L, 1);
}

/* The IPv4 header at start, over a datagram that ends at end, fields in
 * header order; returns the addresses for the transport checksum. */
static void ip_header(bctx *c, int t, uint32_t start, uint32_t end, uint32_t padded, int which,
                      uint32_t *src, uint32_t *dst)
{
    lua_State *L = c->L;
    lua_Integer v;
    uint8_t *h = c->b + start;
    h[LN_IP_VHL] = (uint8_t)(fint_or(c, t, "ip", "version", 0, 15, 4) << 4);
    lua_Integer hl = LN_IP_HLEN + padded;
    if (fint(c, t, "ip", "hdr_len", 0, 60, &v, true)) {
        if (v % 4) luaL_error(L, "%s: ip.hdr_len %I is not a multiple of 4", c->fname, v);
        hl = v;
    }
    h[LN_IP_VHL] |= (uint8_t)(hl / 4);
    lua_Integer ds = fint_or(c, t, "ip", "dsfield", 0, 255, 0);
    if (fint(c, t, "ip", "dscp", 0, 63, &v, false)) ds = (ds & 3) | v << 2;
    if (fint(c, t, "ip", "ecn", 0, 3, &v, false)) ds = (ds & ~3) | v;
    h[LN_IP_TOS] = (uint8_t)ds;
    lua_Integer tot = end - start;
    if (fint(c, t, "ip", "len", 0, 65535, &v, true)) tot = v;
    else if (tot > 65535)
        luaL_error(L, "%s: the datagram would be %I bytes; IPv4 holds 65535 (split it with frag_offset)",
                   c->fname, tot);
    ln_put16(h + LN_IP_LEN, (uint16_t)tot);
    ln_put16(h + LN_IP_ID, (uint16_t)fint_or(c, t, "ip", "id", 0, 65535, 0));
    lua_Integer off = fint_or(c, t, "ip", "frag_offset", 0, LN_IP_OFFMASK * 8, 0);
    if (off % 8) luaL_error(L, "%s: ip.frag_offset %I is not a multiple of 8 (it counts 8-byte units)", c->fname, off);
    uint16_t frag = (uint16_t)(off / 8);
    if (fbool(c, t, "ip", "flags_rb")) frag |= 0x8000;
    if (fbool(c, t, "ip", "flags_df")) frag |= LN_IP_DF;
    if (fbool(c, t, "ip", "flags_mf")) frag |= LN_IP_MF;
    ln_put16(h + LN_IP_FRAG, frag);
    h[LN_IP_TTL] = (uint8_t)fint_or(c, t, "ip", "ttl", 0, 255, 64);
    lua_Integer proto;
    if (!fint(c, t, "ip", "proto", 0, 255, &proto, false)) {
        if (which < 0) luaL_error(L, "%s: ip.proto missing (no icmp, igmp, udp or tcp layer to take it from)", c->fname);
        proto = l4_proto[which];
    }
    h[LN_IP_PROTO] = (uint8_t)proto;
    if (!fip(c, t, "ip", "dst", dst)) luaL_error(L, "%s: ip.dst missing", c->fname);
    if (!fip(c, t, "ip", "src", src)) {
        if (!c->def || !c->def->have_src_ip) luaL_error(L, "%s: ip.src missing", c->fname);
        *src = c->def->src_ip;
    }
    ln_put32(h + LN_IP_SRC, *src);
    ln_put32(h + LN_IP_DST, *dst);
    if (fint(c, t, "ip", "checksum", 0, 65535, &v, true)) ln_put16(h + LN_IP_CSUM, (uint16_t)v);
    else ln_put16(h + LN_IP_CSUM, ln_csum(h, hl <= end - start ? (size_t)hl : end - start));
}

/* Transport length and checksum over what was built (RFC 768, RFC 9293
 * 3.1); the pseudo-header takes the addresses as written. */
static void l4_finish(bctx *c, const l4_built *l4, uint32_t end, uint32_t src, uint32_t dst)
{
    uint32_t n4 = end - l4->off;
    if (l4->which == L4_UDP && !l4->ulen_given) ln_put16(c->b + l4->off + 4, (uint16_t)n4);
    if (l4->which < 0 || l4->csum_given) return;
    uint16_t s;
    /* ICMP and IGMP sum the message alone (RFC 792, RFC 3376 4.1.2). */
    if (l4->which == L4_ICMP || l4->which == L4_IGMP) s = ln_csum(c->b + l4->off, n4);
    else {
        uint32_t ps = ln_csum_pseudo(src, dst, l4_proto[l4->which], (uint16_t)n4);
        s = ln_csum_fold(ln_csum_partial(c->b + l4->off, n4, ps));
        if (l4->which == L4_UDP && s == 0) s = 0xffff;   /* RFC 768: 0 means none */
    }
    ln_put16(c->b + l4->csum_off, s);
}

/* An IPv4 datagram from the ip table t and its siblings in top (the
 * transport layer, payload).  The header is written last, since its length
 * and checksum cover what follows; fields are read in the order their
 * errors are reported. */
static void build_ip(bctx *c, int top, int t)
{
    uint32_t start = c->len;
    uint32_t padded = ip_reserve(c, t);
    l4_built l4 = { .which = l4_which(c, top) };
    if (l4.which == L4_ICMPV6) luaL_error(c->L, "%s: icmpv6 goes over ipv6, not ip (IPv4)", c->fname);
    build_l4(c, top, &l4);
    size_t pl = 0;
    const char *pay = fbytes(c, top, "", "payload", &pl);
    put_bytes(c, pay, pl);
    uint32_t end = c->len, src, dst;
    ip_header(c, t, start, end, padded, l4.which, &src, &dst);
    l4_finish(c, &l4, end, src, dst);
}

/* ---- IPv6 datagrams -------------------------------------------------------- */

/* The extension headers a table may list, by dissect's names. */
static const struct { const char *name; uint8_t nxt; } ext_names[] = {
    {"hopopts", LN_IPPROTO_HOPOPTS}, {"routing", LN_IPPROTO_ROUTING}, {"fragment", LN_IPPROTO_FRAGMENT},
    {"dstopts", LN_IPPROTO_DSTOPTS},
};
static const char *const ext_opts_fields[] = {"type", "nxt", "len", "data", NULL};
static const char *const ext_routing_fields[] = {"type", "nxt", "len", "data", "routing_type", "segleft", NULL};
static const char *const ext_frag_fields[] = {"type", "nxt", "offset", "more", "id", NULL};

#define EXT_MAX 8

typedef struct ext_built {
    uint8_t code;                 /* its own next-header value */
    uint32_t off;
    bool nxt_given;
} ext_built;

/* The extension header described by the table at t, appended. */
static void ext_header(bctx *c, int t, const char *where, ext_built *x)
{
    lua_State *L = c->L;
    known(c, t, where, ext_fields);
    if (rawfield(L, t, "type") != LUA_TSTRING)
        luaL_error(L, "%s: %s.type must be \"hopopts\", \"routing\", \"fragment\" or \"dstopts\", got %s",
                   c->fname, where, luaL_typename(L, -1));
    const char *s = lua_tostring(L, -1);
    int code = -1;
    for (size_t i = 0; i < sizeof ext_names / sizeof ext_names[0]; i++)
        if (strcmp(s, ext_names[i].name) == 0) code = ext_names[i].nxt;
    if (code < 0)
        luaL_error(L, "%s: %s.type \"%s\" unknown (\"hopopts\", \"routing\", \"fragment\" or \"dstopts\")",
                   c->fname, where, s);
    lua_pop(L, 1);
    x->code = (uint8_t)code;
    x->off = c->len;
    lua_Integer v;
    if (code == LN_IPPROTO_FRAGMENT) {
        only(c, t, where, "a fragment header", ext_frag_fields);
        uint8_t *e = room(c, LN_FRAG6_HLEN);
        lua_Integer off = fint_or(c, t, where, "offset", 0, LN_FRAG6_OFFMASK, 0);
        if (off % 8) luaL_error(L, "%s: %s.offset %I is not a multiple of 8 (it counts 8-byte units)", c->fname,
                                where, off);
        ln_put16(e + LN_FRAG6_OFF, (uint16_t)(off | (fbool(c, t, where, "more") ? LN_FRAG6_MF : 0)));
        ln_put32(e + LN_FRAG6_ID, (uint32_t)fint_or(c, t, where, "id", 0, UINT32_MAX, 0));
    } else {
        bool routing = code == LN_IPPROTO_ROUTING;
        only(c, t, where, routing ? "a routing header" : "an options header",
             routing ? ext_routing_fields : ext_opts_fields);
        size_t dl = 0;
        const char *d = fbytes(c, t, where, "data", &dl);
        /* Without data: one PadN option filling the 8 bytes (RFC 8200
         * 4.2), or a routing header of type 0 with nothing left to visit. */
        static const char padn[6] = {1, 4, 0, 0, 0, 0}, zero[6];
        if (!d) d = routing ? zero : padn, dl = 6;
        if ((dl + 2) % 8 || dl + 2 > 256 * 8)
            luaL_error(L, "%s: %s.data: %d bytes; with its 2-byte start an extension header is a multiple "
                       "of 8 bytes, at most 2048 (pad options with PadN)", c->fname, where, (int)dl);
        uint8_t *e = room(c, (uint32_t)dl + 2);
        memcpy(e + 2, d, dl);
        e[1] = (uint8_t)fint_or(c, t, where, "len", 0, 255, (lua_Integer)(dl + 2) / 8 - 1);
        if (routing) {
            if (fint(c, t, where, "routing_type", 0, 255, &v, false)) e[2] = (uint8_t)v;
            if (fint(c, t, where, "segleft", 0, 255, &v, false)) e[3] = (uint8_t)v;
        }
    }
    x->nxt_given = fint(c, t, where, "nxt", 0, 255, &v, false);
    if (x->nxt_given) c->b[x->off] = (uint8_t)v;
}

/* The destination the upper-layer checksum covers (RFC 8200 8.1): the
 * final one when a routing header still has segments left, as Linux and
 * Wireshark compute it; type 0 and 2 list it last, type 4 (segment
 * routing, RFC 8754) first; other types are taken as written. */
static void final_dst(const bctx *c, const ext_built *x, int nx, ln_in6 *dst)
{
    for (int i = 0; i < nx; i++) {
        const uint8_t *e = c->b + x[i].off;
        uint32_t hl = ((uint32_t)e[1] + 1) * 8;
        if (x[i].code != LN_IPPROTO_ROUTING || e[3] == 0 || x[i].off + hl > c->len || hl < 24) continue;
        if (e[2] == 0 || e[2] == 2) memcpy(dst->b, e + hl - 16, 16);
        else if (e[2] == 4) memcpy(dst->b, e + 8, 16);
    }
}

/* An IPv6 datagram from the ipv6 table t and its siblings in top: the
 * extension headers in their order, chained by next header unless a
 * table gives nxt, then the transport layer and the payload. */
static void build_ipv6(bctx *c, int top, int t)
{
    lua_State *L = c->L;
    lua_Integer v;
    uint32_t start = c->len;
    room(c, LN_IP6_HLEN);
    ext_built x[EXT_MAX];
    int nx = 0;
    int ty = rawfield(L, t, "ext");
    if (ty == LUA_TTABLE) {
        int el = lua_absindex(L, -1);
        lua_Integer cnt = (lua_Integer)lua_rawlen(L, el);
        if (cnt > EXT_MAX) luaL_error(L, "%s: ipv6.ext: %I headers, at most %d", c->fname, cnt, EXT_MAX);
        for (lua_Integer i = 1; i <= cnt; i++) {
            char where[40];
            snprintf(where, sizeof where, "ipv6.ext[%lld]", (long long)i);
            if (lua_rawgeti(L, el, i) != LUA_TTABLE)
                luaL_error(L, "%s: %s must be a table like {type=\"fragment\", offset=0}, got %s", c->fname,
                           where, luaL_typename(L, -1));
            ext_header(c, lua_absindex(L, -1), where, &x[nx++]);
            lua_pop(L, 1);
        }
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "%s: ipv6.ext must be a list of extension headers, got %s", c->fname, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    l4_built l4 = { .which = l4_which(c, top) };
    if (l4.which == L4_ICMP || l4.which == L4_IGMP)
        luaL_error(L, "%s: %s goes over ip (IPv4); over ipv6 use icmpv6", c->fname, l4_name[l4.which]);
    build_l4(c, top, &l4);
    size_t pl = 0;
    const char *pay = fbytes(c, top, "", "payload", &pl);
    put_bytes(c, pay, pl);
    uint32_t end = c->len;
    /* Each header names the next; with no transport layer the chain ends
     * in No Next Header (RFC 8200 4.7) unless told otherwise. */
    uint8_t upper = l4.which >= 0 ? l4_proto[l4.which] : LN_IPPROTO_NONE;
    for (int i = 0; i < nx; i++)
        if (!x[i].nxt_given) c->b[x[i].off] = i + 1 < nx ? x[i + 1].code : upper;
    uint8_t *h = c->b + start;
    lua_Integer ver = fint_or(c, t, "ipv6", "version", 0, 15, 6);
    lua_Integer tc = fint_or(c, t, "ipv6", "tclass", 0, 255, 0);
    lua_Integer fl = fint_or(c, t, "ipv6", "flow", 0, 0xfffff, 0);
    ln_put32(h, (uint32_t)(ver << 28 | tc << 20 | fl));
    lua_Integer plen = end - start - LN_IP6_HLEN;
    if (fint(c, t, "ipv6", "plen", 0, 65535, &v, true)) plen = v;
    else if (plen > 65535)
        luaL_error(L, "%s: the payload would be %I bytes; IPv6 holds 65535 without a jumbogram (RFC 2675)",
                   c->fname, plen);
    ln_put16(h + LN_IP6_PLEN, (uint16_t)plen);
    if (fint(c, t, "ipv6", "nxt", 0, 255, &v, false)) h[LN_IP6_NXT] = (uint8_t)v;
    else h[LN_IP6_NXT] = nx ? x[0].code : upper;
    h[LN_IP6_HLIM] = (uint8_t)fint_or(c, t, "ipv6", "hlim", 0, 255, 64);
    ln_in6 src, dst;
    if (!fip6(c, t, "ipv6", "dst", &dst)) luaL_error(L, "%s: ipv6.dst missing", c->fname);
    if (!fip6(c, t, "ipv6", "src", &src)) {
        if (!c->def || !c->def->have_src_ip6) luaL_error(L, "%s: ipv6.src missing", c->fname);
        src = c->def->src_ip6;
    }
    memcpy(h + LN_IP6_SRC, src.b, 16);
    memcpy(h + LN_IP6_DST, dst.b, 16);
    /* Transport length and checksum (RFC 8200 8.1: ICMPv6 too sums the
     * pseudo-header, RFC 4443 2.3). */
    uint32_t n4 = end - l4.off;
    if (l4.which == L4_UDP && !l4.ulen_given) ln_put16(c->b + l4.off + 4, (uint16_t)n4);
    if (l4.which < 0 || l4.csum_given) return;
    final_dst(c, x, nx, &dst);
    uint16_t s = ln_csum_fold(ln_csum_partial(c->b + l4.off, n4, ln_ip6_pseudo(&src, &dst, n4, upper)));
    if (l4.which == L4_UDP && s == 0) s = 0xffff;   /* 0 is not allowed over IPv6 */
    ln_put16(c->b + l4.csum_off, s);
}

/* ---- the whole packet -------------------------------------------------------- */

/* One 64 KiB scratch buffer per Lua state, kept in the registry: a flood
 * builds a packet per call and should not allocate 64 KiB each time.
 * Tables are read with raw access (rawfield), so building runs no Lua
 * code that could build in turn, and one buffer is enough. */
static uint8_t *scratch_buf(lua_State *L)
{
    static const char key = 0;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &key) != LUA_TUSERDATA) {
        lua_pop(L, 1);
        lua_newuserdatauv(L, FRAME_MAX, 0);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
    }
    uint8_t *b = lua_touserdata(L, -1);
    lua_pop(L, 1);                /* anchored by the registry */
    return b;
}

lnl_packet *lnl_packet_build(lua_State *L, int idx, const char *fname, const lnl_pkt_defaults *def)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 16, fname);
    if (lua_type(L, idx) != LUA_TTABLE) lnl_typeerror(L, idx, fname, "table of layers {eth=, ip=, tcp=, ...}");
    uint8_t *buf = scratch_buf(L);
    bctx c = {L, fname, def, buf, 0};
    known(&c, idx, "", top_fields);
    int has_arp = rawfield(L, idx, "arp") != LUA_TNIL;
    int has_ip4 = rawfield(L, idx, "ip") != LUA_TNIL;
    int has_ip6 = rawfield(L, idx, "ipv6") != LUA_TNIL;
    lua_pop(L, 3);
    int has_ip = has_ip4 || has_ip6;
    if (has_ip4 && has_ip6) luaL_error(L, "%s: both ip and ipv6: a frame carries one of them", fname);
    if (has_arp && has_ip)
        luaL_error(L, "%s: both arp and %s: a frame carries one of them", fname, has_ip6 ? "ipv6" : "ip");
    if (has_arp) {
        for (int i = 0; i < L4_N; i++) {
            if (rawfield(L, idx, l4_name[i]) != LUA_TNIL)
                luaL_error(L, "%s: %s needs an ip layer, not arp", fname, l4_name[i]);
            lua_pop(L, 1);
        }
    }
    bool has_eth = sub(&c, idx, "eth", eth_fields);
    uint8_t eth_src[6];
    bool have_src = false;
    size_t padn = 0;
    const char *pad = NULL;
    if (has_eth) {
        int et = lua_absindex(L, -1);
        uint8_t *h = room(&c, LN_ETH_HLEN);
        if (!fmac(&c, et, "eth", "dst", h + LN_ETH_DST)) {
            if (!def || !def->have_dst_mac)
                luaL_error(L, "%s: eth.dst missing%s%s", fname, def && def->why_no_dst_mac ? ": " : "",
                           def && def->why_no_dst_mac ? def->why_no_dst_mac : "");
            memcpy(h + LN_ETH_DST, def->dst_mac, 6);
        }
        if (!fmac(&c, et, "eth", "src", h + LN_ETH_SRC)) {
            if (!def || !def->have_src_mac) luaL_error(L, "%s: eth.src missing", fname);
            memcpy(h + LN_ETH_SRC, def->src_mac, 6);
        }
        memcpy(eth_src, h + LN_ETH_SRC, 6);
        have_src = true;
        lua_Integer ty = has_arp ? LN_ETHERTYPE_ARP : has_ip6 ? LN_ETHERTYPE_IPV6 : LN_ETHERTYPE_IPV4;
        lua_Integer v;
        if (fint(&c, et, "eth", "type", 0, 65535, &v, false)) ty = v;
        else if (!has_arp && !has_ip) luaL_error(L, "%s: eth.type missing (no arp, ip or ipv6 layer to take it from)", fname);
        ln_put16(h + LN_ETH_TYPE, (uint16_t)ty);
        pad = fbytes(&c, et, "eth", "padding", &padn);
        lua_pop(L, 1);
    } else if (has_arp) {
        luaL_error(L, "%s: arp needs an eth layer", fname);
    } else if (!has_ip) {
        luaL_error(L, "%s: a packet starts with eth, ip or ipv6", fname);
    }
    if (has_arp) {
        sub(&c, idx, "arp", arp_fields);
        build_arp(&c, lua_absindex(L, -1), have_src ? eth_src : NULL);
        lua_pop(L, 1);
        size_t pl = 0;
        const char *pay = fbytes(&c, idx, "", "payload", &pl);
        put_bytes(&c, pay, pl);
    } else if (has_ip) {
        if (has_ip6) {
            sub(&c, idx, "ipv6", ipv6_fields);
            build_ipv6(&c, idx, lua_absindex(L, -1));
        } else {
            sub(&c, idx, "ip", ip_fields);
            build_ip(&c, idx, lua_absindex(L, -1));
        }
        lua_pop(L, 1);
        size_t tl = 0;
        const char *tr = fbytes(&c, idx, "", "trailer", &tl);
        put_bytes(&c, tr, tl);
    } else {
        size_t pl = 0;
        const char *pay = fbytes(&c, idx, "", "payload", &pl);
        put_bytes(&c, pay, pl);
    }
    if (pad) put_bytes(&c, pad, padn);
    else if (has_eth && c.len < LN_ETH_MIN_FRAME) room(&c, LN_ETH_MIN_FRAME - c.len);  /* as a NIC pads */

    lnl_packet *p = lua_newuserdatauv(L, sizeof *p + c.len, 0);
    p->len = c.len;
    p->at = has_eth ? LNL_AT_ETH : LNL_AT_IP;
    memcpy(p->bytes, buf, c.len);
    luaL_setmetatable(L, LNL_PACKET);
    return p;
}
