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

#include "csum.h"
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

static const char *const top_fields[] = {"eth", "arp", "ip", "icmp", "igmp", "udp", "tcp", "payload",
                                         "trailer", "layers", "malformed", NULL};
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

/* ---- IPv4 -------------------------------------------------------------------- */

/* The transport layers a table may hold under ip: at most one. */
enum { L4_ICMP, L4_IGMP, L4_UDP, L4_TCP, L4_N };
static const char *const l4_name[L4_N] = {"icmp", "igmp", "udp", "tcp"};
static const uint8_t l4_proto[L4_N] = {LN_IPPROTO_ICMP, LN_IPPROTO_IGMP, LN_IPPROTO_UDP, LN_IPPROTO_TCP};

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
    static const char *const *names[L4_N] = {icmp_fields, igmp_fields, udp_fields, tcp_fields};
    l4->off = c->len;
    l4->csum_off = 0;
    l4->csum_given = l4->ulen_given = true;
    if (l4->which < 0) return;
    sub(c, top, l4_name[l4->which], names[l4->which]);
    int lt = lua_absindex(c->L, -1);
    if (l4->which == L4_ICMP) build_icmp(c, lt, &l4->csum_off, &l4->csum_given);
    else if (l4->which == L4_IGMP) build_igmp(c, lt, &l4->csum_off, &l4->csum_given);
    else if (l4->which == L4_UDP) build_udp(c, lt, &l4->csum_off, &l4->csum_given, &l4->ulen_given);
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
    build_l4(c, top, &l4);
    size_t pl = 0;
    const char *pay = fbytes(c, top, "", "payload", &pl);
    put_bytes(c, pay, pl);
    uint32_t end = c->len, src, dst;
    ip_header(c, t, start, end, padded, l4.which, &src, &dst);
    l4_finish(c, &l4, end, src, dst);
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
    int has_ip = rawfield(L, idx, "ip") != LUA_TNIL;
    lua_pop(L, 2);
    if (has_arp && has_ip) luaL_error(L, "%s: both arp and ip: a frame carries one of them", fname);
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
        lua_Integer ty = has_arp ? LN_ETHERTYPE_ARP : LN_ETHERTYPE_IPV4;
        lua_Integer v;
        if (fint(&c, et, "eth", "type", 0, 65535, &v, false)) ty = v;
        else if (!has_arp && !has_ip) luaL_error(L, "%s: eth.type missing (no arp or ip layer to take it from)", fname);
        ln_put16(h + LN_ETH_TYPE, (uint16_t)ty);
        pad = fbytes(&c, et, "eth", "padding", &padn);
        lua_pop(L, 1);
    } else if (has_arp) {
        luaL_error(L, "%s: arp needs an eth layer", fname);
    } else if (!has_ip) {
        luaL_error(L, "%s: a packet starts with eth or ip", fname);
    }
    if (has_arp) {
        sub(&c, idx, "arp", arp_fields);
        build_arp(&c, lua_absindex(L, -1), have_src ? eth_src : NULL);
        lua_pop(L, 1);
        size_t pl = 0;
        const char *pay = fbytes(&c, idx, "", "payload", &pl);
        put_bytes(&c, pay, pl);
    } else if (has_ip) {
        sub(&c, idx, "ip", ip_fields);
        build_ip(&c, idx, lua_absindex(L, -1));
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
