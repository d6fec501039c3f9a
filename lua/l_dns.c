/* l_dns.c - lunet.dns.encode / lunet.dns.decode: DNS messages as Lua
 * tables, over dns_wire.c; and lnl_resolve_arg, which lets the socket
 * calls written in C (h:connect, s:connect, u:connect, u:sendto) take a
 * host name where they take an address, through the resolver of
 * lua/lunet/dns.lua.
 *
 * A message table:
 *   {id=, qr=, opcode=, aa=, tc=, rd=, ra=, ad=, cd=, rcode="NOERROR",
 *    questions = {{name=, type="A", class="IN"}, ...},
 *    answers = {rr, ...}, authority = {...}, additional = {...}}
 *   rr = {name=, type=, class=, ttl=, data=}
 * Types and classes are names when lunet knows them ("A", "IN"), numbers
 * otherwise; data is an address string (A, AAAA), a name (NS, CNAME,
 * PTR), {preference=, exchange=} (MX), {mname=, rname=, serial=, refresh=,
 * retry=, expire=, minimum=} (SOA), a list of strings (TXT), the raw
 * rdata bytes for any other type.
 *
 * EDNS(0) (RFC 6891): the OPT pseudo-record is not a record of the
 * additional list but the field
 *   edns = {udp_size = 1232, version = 0, dnssec_ok = false, z = 0,
 *           options = {{code = 10, data = "bytes"}, ...}}
 * and rcode is then the 12-bit extended one ("BADVERS" = 16).  Encoding
 * puts OPT last and keeps room for it when records are left out, as a
 * truncated answer must still carry it (RFC 6891 7). */
#include <arpa/inet.h>
#include <string.h>

#include "dns_wire.h"
#include "lunet.h"

#define F_ENC "lunet.dns.encode"
#define F_DEC "lunet.dns.decode"

static const char *const sections[] = {"questions", "answers", "authority", "additional"};

/* ---- decode ----------------------------------------------------------------- */

static void push_type(lua_State *L, uint16_t t)
{
    const char *n = lnl_dns_type_name(t);
    if (n) lua_pushstring(L, n);
    else lua_pushinteger(L, t);
}

static void push_class(lua_State *L, uint16_t c)
{
    if (c == LNL_DNS_C_IN) lua_pushliteral(L, "IN");
    else lua_pushinteger(L, c);
}

static void push_rdata(lua_State *L, const lnl_dns_rd *r, const lnl_dns_rr *rr)
{
    char ip[INET6_ADDRSTRLEN];
    const uint8_t *raw = r->msg + rr->rdoff;
    switch (rr->type) {
    case LNL_DNS_T_A:
        lua_pushstring(L, inet_ntop(AF_INET, rr->addr, ip, sizeof ip));
        break;
    case LNL_DNS_T_AAAA:
        lua_pushstring(L, inet_ntop(AF_INET6, rr->addr, ip, sizeof ip));
        break;
    case LNL_DNS_T_NS:
    case LNL_DNS_T_CNAME:
    case LNL_DNS_T_PTR:
        lua_pushstring(L, rr->target);
        break;
    case LNL_DNS_T_MX:
        lua_createtable(L, 0, 2);
        lua_pushinteger(L, rr->pref);
        lua_setfield(L, -2, "preference");
        lua_pushstring(L, rr->target);
        lua_setfield(L, -2, "exchange");
        break;
    case LNL_DNS_T_SOA: {
        static const char *const f[] = {"serial", "refresh", "retry", "expire", "minimum"};
        lua_createtable(L, 0, 7);
        lua_pushstring(L, rr->target);
        lua_setfield(L, -2, "mname");
        lua_pushstring(L, rr->rname);
        lua_setfield(L, -2, "rname");
        for (int i = 0; i < 5; i++) {
            lua_pushinteger(L, rr->soa[i]);
            lua_setfield(L, -2, f[i]);
        }
        break;
    }
    case LNL_DNS_T_TXT: {
        lua_newtable(L);
        int i = 0;
        for (size_t p = 0; p < rr->rdlen; p += 1 + (size_t)raw[p]) {   /* checked by lnl_dns_rr */
            lua_pushlstring(L, (const char *)raw + p + 1, raw[p]);
            lua_rawseti(L, -2, ++i);
        }
        break;
    }
    default:
        lua_pushlstring(L, (const char *)raw, rr->rdlen);
    }
}

static void setbool(lua_State *L, const char *k, bool v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

/* The OPT record rr as the edns table, pushed.  0, or -1 with *why. */
static int push_edns(lua_State *L, const lnl_dns_rd *r, const lnl_dns_rr *rr, const char **why)
{
    lnl_dns_edns *e = lua_newuserdatauv(L, sizeof *e, 0);
    if (lnl_dns_read_edns(r, rr, e, why) < 0) {
        lua_pop(L, 1);
        return -1;
    }
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, e->udp_size);
    lua_setfield(L, -2, "udp_size");
    lua_pushinteger(L, e->version);
    lua_setfield(L, -2, "version");
    setbool(L, "dnssec_ok", e->flags & LNL_DNS_EDNS_DO);
    lua_pushinteger(L, e->flags & ~LNL_DNS_EDNS_DO & 0xFFFF);
    lua_setfield(L, -2, "z");
    lua_createtable(L, e->nopts, 0);
    for (int i = 0; i < e->nopts; i++) {
        lua_createtable(L, 0, 2);
        lua_pushinteger(L, e->opts[i].code);
        lua_setfield(L, -2, "code");
        lua_pushlstring(L, (const char *)e->opts[i].data, e->opts[i].len);
        lua_setfield(L, -2, "data");
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "options");
    lua_remove(L, -2);
    return 0;
}

/* lunet.dns.decode(bytes) -> message | nil, why */
static int dns_decode(lua_State *L)
{
    size_t len;
    const char *s = lnl_checkstring(L, 1, F_DEC);
    s = lua_tolstring(L, 1, &len);
    lnl_dns_rd r;
    lnl_dns_hdr h;
    const char *why = NULL;
    lnl_dns_rd_init(&r, (const uint8_t *)s, len);
    if (lnl_dns_read_header(&r, &h, &why) < 0) goto bad;
    lua_createtable(L, 0, 16);
    lua_pushinteger(L, h.id);
    lua_setfield(L, -2, "id");
    setbool(L, "qr", h.flags & LNL_DNS_F_QR);
    lua_pushinteger(L, LNL_DNS_OPCODE(h.flags));
    lua_setfield(L, -2, "opcode");
    setbool(L, "aa", h.flags & LNL_DNS_F_AA);
    setbool(L, "tc", h.flags & LNL_DNS_F_TC);
    setbool(L, "rd", h.flags & LNL_DNS_F_RD);
    setbool(L, "ra", h.flags & LNL_DNS_F_RA);
    setbool(L, "ad", h.flags & LNL_DNS_F_AD);
    setbool(L, "cd", h.flags & LNL_DNS_F_CD);
    unsigned rcode = LNL_DNS_RCODE(h.flags);

    /* The records are big (three text names): one on the heap per call,
     * through a userdata so an error (out of memory) frees it too. */
    lnl_dns_rr *rr = lua_newuserdatauv(L, sizeof *rr, 0);
    lua_insert(L, -2);
    for (int sec = 0; sec < 4; sec++) {
        lua_createtable(L, h.count[sec] < 64 ? h.count[sec] : 64, 0);
        for (int i = 1; i <= h.count[sec]; i++) {
            if (sec == 0) {
                lnl_dns_q q;
                if (lnl_dns_read_question(&r, &q, &why) < 0) goto bad;
                lua_createtable(L, 0, 3);
                lua_pushstring(L, q.name);
                lua_setfield(L, -2, "name");
                push_type(L, q.type);
                lua_setfield(L, -2, "type");
                push_class(L, q.klass);
                lua_setfield(L, -2, "class");
            } else {
                if (lnl_dns_read_rr(&r, rr, &why) < 0) goto bad;
                if (rr->type == LNL_DNS_T_OPT) {
                    /* the reader has made sure it is the only one */
                    if (push_edns(L, &r, rr, &why) < 0) goto bad;
                    rcode |= (unsigned)(rr->ttl >> 24) << 4;
                    lua_setfield(L, -3, "edns");   /* the message, below the list */
                    continue;
                }
                lua_createtable(L, 0, 5);
                lua_pushstring(L, rr->name);
                lua_setfield(L, -2, "name");
                push_type(L, rr->type);
                lua_setfield(L, -2, "type");
                push_class(L, rr->klass);
                lua_setfield(L, -2, "class");
                lua_pushinteger(L, rr->ttl);
                lua_setfield(L, -2, "ttl");
                push_rdata(L, &r, rr);
                lua_setfield(L, -2, "data");
            }
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        }
        lua_setfield(L, -2, sections[sec]);
    }
    const char *rc = lnl_dns_rcode_name(rcode);
    if (rc) lua_pushstring(L, rc);
    else lua_pushinteger(L, rcode);
    lua_setfield(L, -2, "rcode");
    /* Bytes after the last record are ignored, as glibc's resolver
     * ignores them. */
    return 1;
bad:
    lua_pushnil(L);
    lua_pushstring(L, why);
    return 2;
}

/* ---- encode ----------------------------------------------------------------- */

typedef struct enc {
    lua_State *L;
    lnl_dns_wr w;
    char where[64];       /* "answers[2]": what an error names */
} enc;

static int enc_error(enc *e, const char *field, const char *fmt, const char *detail)
{
    return luaL_error(e->L, "%s: %s%s%s: %s", F_ENC, e->where, *e->where ? "." : "", field,
                      lua_pushfstring(e->L, fmt, detail));
}

/* Field k of the table at idx as a number in 0..max (default dflt when absent). */
static lua_Integer enc_int(enc *e, int idx, const char *k, lua_Integer dflt, lua_Integer max)
{
    int t = lua_getfield(e->L, idx, k);
    lua_Integer v = dflt;
    if (t != LUA_TNIL) {
        int ok;
        v = lua_tointegerx(e->L, -1, &ok);
        if (!ok || v < 0 || v > max) {
            lua_pushfstring(e->L, "%I", max);
            enc_error(e, k, "must be an integer in 0..%s", lua_tostring(e->L, -1));
        }
    }
    lua_pop(e->L, 1);
    return v;
}

static bool enc_bool(enc *e, int idx, const char *k)
{
    lua_getfield(e->L, idx, k);
    bool v = lua_toboolean(e->L, -1);
    lua_pop(e->L, 1);
    return v;
}

/* Field k as a type (or class) name or number. */
static uint16_t enc_code(enc *e, int idx, const char *k, int dflt, bool is_class)
{
    int t = lua_getfield(e->L, idx, k);
    int v = dflt;
    if (t == LUA_TSTRING) {
        const char *s = lua_tostring(e->L, -1);
        v = is_class ? (strcmp(s, "IN") == 0 ? LNL_DNS_C_IN : -1) : lnl_dns_type_num(s);
        if (v < 0)
            enc_error(e, k, "\"%s\" unknown (use A, AAAA, CNAME, PTR, NS, MX, SOA, TXT, OPT, ANY, "
                      "IN or a number)", s);
    } else if (t != LUA_TNIL) {
        int ok;
        lua_Integer n = lua_tointegerx(e->L, -1, &ok);
        if (!ok || n < 0 || n > 65535) enc_error(e, k, "%s", "must be a name or an integer in 0..65535");
        v = (int)n;
    } else if (dflt < 0) {
        enc_error(e, k, "%s", "missing");
    }
    lua_pop(e->L, 1);
    return (uint16_t)v;
}

/* A name from the string at the top of the stack (popped).  0 or NOROOM. */
static int enc_name_top(enc *e, const char *field, bool compress)
{
    if (lua_type(e->L, -1) != LUA_TSTRING) enc_error(e, field, "%s", "must be a name (a string)");
    const char *why;
    int rc = lnl_dns_put_name(&e->w, lua_tostring(e->L, -1), compress, &why);
    if (rc == -1) enc_error(e, field, "%s", why);
    lua_pop(e->L, 1);
    return rc;
}

static int enc_name_field(enc *e, int idx, const char *k, bool compress)
{
    lua_getfield(e->L, idx, k);
    return enc_name_top(e, k, compress);
}

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

/* The rdata of the record table at idx, its type known. */
static int enc_rdata(enc *e, int idx, uint16_t type)
{
    lua_State *L = e->L;
    int t = lua_getfield(L, idx, "data");
    int d = lua_gettop(L);
    int rc = 0;
    switch (type) {
    case LNL_DNS_T_A:
    case LNL_DNS_T_AAAA: {
        uint8_t a[16];
        int af = type == LNL_DNS_T_A ? AF_INET : AF_INET6;
        if (t != LUA_TSTRING || inet_pton(af, lua_tostring(L, d), a) != 1)
            enc_error(e, "data", "%s", type == LNL_DNS_T_A ? "must be an IPv4 address like \"10.0.0.2\""
                                                           : "must be an IPv6 address like \"2001:db8::2\"");
        rc = lnl_dns_put_bytes(&e->w, a, type == LNL_DNS_T_A ? 4 : 16);
        break;
    }
    case LNL_DNS_T_NS:
    case LNL_DNS_T_CNAME:
    case LNL_DNS_T_PTR:
        lua_pushvalue(L, d);
        rc = enc_name_top(e, "data", true);
        break;
    case LNL_DNS_T_MX:
        if (t != LUA_TTABLE) enc_error(e, "data", "%s", "must be {preference=, exchange=}");
        TRY(lnl_dns_put_u16(&e->w, (uint16_t)enc_int(e, d, "preference", 0, 65535)));
        rc = enc_name_field(e, d, "exchange", true);
        break;
    case LNL_DNS_T_SOA: {
        static const char *const f[] = {"serial", "refresh", "retry", "expire", "minimum"};
        if (t != LUA_TTABLE) enc_error(e, "data", "%s", "must be {mname=, rname=, serial=, ...}");
        TRY(enc_name_field(e, d, "mname", true));
        TRY(enc_name_field(e, d, "rname", true));
        for (int i = 0; i < 5 && !rc; i++)
            rc = lnl_dns_put_u32(&e->w, (uint32_t)enc_int(e, d, f[i], 0, 0xFFFFFFFF));
        break;
    }
    case LNL_DNS_T_TXT: {
        if (t == LUA_TSTRING) {
            lua_createtable(L, 1, 0);
            lua_pushvalue(L, d);
            lua_rawseti(L, -2, 1);
            lua_replace(L, d);
        } else if (t != LUA_TTABLE) {
            enc_error(e, "data", "%s", "must be a string or a list of strings");
        }
        lua_Integer n = (lua_Integer)lua_rawlen(L, d);
        if (n == 0) enc_error(e, "data", "%s", "needs at least one string (RFC 1035 3.3.14)");
        for (lua_Integer i = 1; i <= n && !rc; i++) {
            size_t len;
            lua_rawgeti(L, d, i);
            const char *s = lua_tolstring(L, -1, &len);
            if (!s || len > 255) enc_error(e, "data", "%s", "strings of at most 255 bytes");
            uint8_t l8 = (uint8_t)len;
            rc = lnl_dns_put_bytes(&e->w, &l8, 1);
            if (!rc) rc = lnl_dns_put_bytes(&e->w, s, len);
            lua_pop(L, 1);
        }
        break;
    }
    default: {
        size_t len = 0;
        const char *s = t == LUA_TNIL ? "" : lua_tolstring(L, d, &len);
        if (!s) enc_error(e, "data", "%s", "must be the raw rdata (a string) for this type");
        rc = lnl_dns_put_bytes(&e->w, s, len);
    }
    }
    lua_settop(L, d - 1);
    return rc;
}

/* One record (the table at idx).  0, NOROOM. */
static int enc_rr(enc *e, int idx)
{
    uint16_t type = enc_code(e, idx, "type", -1, false);
    uint16_t klass = enc_code(e, idx, "class", LNL_DNS_C_IN, true);
    uint32_t ttl = (uint32_t)enc_int(e, idx, "ttl", 0, 0xFFFFFFFF);
    TRY(enc_name_field(e, idx, "name", true));
    TRY(lnl_dns_put_u16(&e->w, type));
    TRY(lnl_dns_put_u16(&e->w, klass));
    TRY(lnl_dns_put_u32(&e->w, ttl));
    size_t at = e->w.len;
    TRY(lnl_dns_put_u16(&e->w, 0));
    TRY(enc_rdata(e, idx, type));
    size_t rdlen = e->w.len - at - 2;
    e->w.buf[at] = (uint8_t)(rdlen >> 8);
    e->w.buf[at + 1] = (uint8_t)rdlen;
    return 0;
}

/* The message's edns table into *ed: false when there is none.  The
 * options' data strings are left on the stack, so the pointers into them
 * stay valid for the pass. */
static bool enc_edns(enc *e, lnl_dns_edns *ed)
{
    lua_State *L = e->L;
    memset(ed, 0, sizeof *ed);
    int t = lua_getfield(L, 1, "edns");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return false;
    }
    snprintf(e->where, sizeof e->where, "edns");
    if (t != LUA_TTABLE) enc_error(e, "", "%s", "must be a table {udp_size=, version=, dnssec_ok=, options=}");
    int d = lua_gettop(L);
    /* 1232: the DNS flag day 2020 size, what BIND and Unbound advertise */
    ed->udp_size = (uint16_t)enc_int(e, d, "udp_size", 1232, 65535);
    ed->version = (uint8_t)enc_int(e, d, "version", 0, 255);
    ed->flags = (uint16_t)enc_int(e, d, "z", 0, 0x7FFF);
    if (enc_bool(e, d, "dnssec_ok")) ed->flags |= LNL_DNS_EDNS_DO;
    int ot = lua_getfield(L, d, "options");
    if (ot != LUA_TNIL && ot != LUA_TTABLE) enc_error(e, "options", "%s", "must be a list of {code=, data=}");
    lua_Integer n = ot == LUA_TTABLE ? (lua_Integer)lua_rawlen(L, -1) : 0;
    if (n > LNL_DNS_EDNS_MAXOPTS) enc_error(e, "options", "%s", "at most 32");
    int list = lua_gettop(L);
    luaL_checkstack(L, (int)n + 2, F_ENC);
    for (lua_Integer i = 1; i <= n; i++) {
        snprintf(e->where, sizeof e->where, "edns.options[%d]", (int)i);
        if (lua_rawgeti(L, list, i) != LUA_TTABLE) enc_error(e, "", "%s", "must be a table {code=, data=}");
        int o = lua_gettop(L);
        lnl_dns_edns_opt *op = &ed->opts[ed->nopts++];
        if (lua_getfield(L, o, "code") == LUA_TNIL) enc_error(e, "code", "%s", "missing (an integer in 0..65535)");
        lua_pop(L, 1);
        op->code = (uint16_t)enc_int(e, o, "code", 0, 65535);
        size_t len = 0;
        int dt = lua_getfield(L, o, "data");
        const char *s = dt == LUA_TNIL ? "" : lua_tolstring(L, -1, &len);
        if (!s || len > 65535) enc_error(e, "data", "%s", "must be a string of at most 65535 bytes");
        op->len = (uint16_t)len;
        op->data = (const uint8_t *)s;
        lua_replace(L, o);             /* keep the string, drop the table */
    }
    lua_remove(L, list);
    lua_remove(L, d);
    e->where[0] = '\0';
    return true;
}

static const char *const enc_opts[] = {"max", "tcp", NULL};

/* One pass over the message at index 1 into buf (cap bytes): its length.
 * *truncated: a record of the answer or authority section was left out;
 * *full: any record was. */
static size_t encode_pass(lua_State *L, uint8_t *buf, size_t cap, bool *truncated, bool *full)
{
    int top = lua_gettop(L);
    enc e = {.L = L};
    lnl_dns_wr_init(&e.w, buf, cap);
    lnl_dns_edns ed;
    bool has_edns = enc_edns(&e, &ed);
    int base = lua_gettop(L);          /* the options' data stay above top until the end */

    lnl_dns_hdr h = {0};
    h.id = (uint16_t)enc_int(&e, 1, "id", 0, 65535);
    h.flags = (uint16_t)(enc_int(&e, 1, "opcode", 0, 15) << 11);
    static const struct { const char *k; uint16_t bit; } bits[] = {
        {"qr", LNL_DNS_F_QR}, {"aa", LNL_DNS_F_AA}, {"tc", LNL_DNS_F_TC}, {"rd", LNL_DNS_F_RD},
        {"ra", LNL_DNS_F_RA}, {"ad", LNL_DNS_F_AD}, {"cd", LNL_DNS_F_CD},
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (enc_bool(&e, 1, bits[i].k)) h.flags |= bits[i].bit;
    int t = lua_getfield(L, 1, "rcode");
    int rcode = 0;
    if (t == LUA_TSTRING) {
        rcode = lnl_dns_rcode_num(lua_tostring(L, -1));
        if (rcode < 0)
            enc_error(&e, "rcode", "\"%s\" unknown (use NOERROR, FORMERR, SERVFAIL, NXDOMAIN, "
                      "NOTIMP, REFUSED, BADVERS or a number)", lua_tostring(L, -1));
    } else if (t != LUA_TNIL) {
        rcode = (int)enc_int(&e, 1, "rcode", 0, has_edns ? 4095 : 15);
    }
    /* RFC 6891 6.1.3: an rcode above 15 keeps its upper 8 bits in OPT */
    if (rcode > 15 && !has_edns)
        enc_error(&e, "rcode", "%s", "above 15 needs edns (OPT carries its upper bits, RFC 6891 6.1.3)");
    h.flags |= (uint16_t)(rcode & 15);
    ed.ext_rcode = (uint8_t)(rcode >> 4);
    lua_settop(L, base);
    lnl_dns_put_header(&e.w, &h);
    /* Room for OPT is kept while the sections are written: a truncated
     * answer still carries it (RFC 6891 7). */
    size_t optlen = has_edns ? lnl_dns_edns_len(&ed) : 0;
    if (optlen > cap - e.w.len)
        luaL_error(L, "%s: edns: the OPT record (%d bytes) does not fit in %d", F_ENC, (int)optlen, (int)cap);
    e.w.cap = cap - optlen;

    bool stop = false;
    *truncated = *full = false;
    for (int sec = 0; sec < 4; sec++) {
        int st = lua_getfield(L, 1, sections[sec]);
        if (st != LUA_TNIL && st != LUA_TTABLE)
            luaL_error(L, "%s: %s must be a list of tables", F_ENC, sections[sec]);
        lua_Integer n = st == LUA_TTABLE ? (lua_Integer)lua_rawlen(L, -1) : 0;
        if (n > 65535) luaL_error(L, "%s: %s: more than 65535 entries", F_ENC, sections[sec]);
        int list = lua_gettop(L);
        for (lua_Integer i = 1; i <= n && !stop; i++) {
            snprintf(e.where, sizeof e.where, "%s[%d]", sections[sec], (int)i);
            if (lua_rawgeti(L, list, i) != LUA_TTABLE) enc_error(&e, "", "%s", "must be a table");
            int item = lua_gettop(L);
            lnl_dns_mark m = lnl_dns_wr_mark(&e.w);
            int rc;
            if (sec == 0) {
                uint16_t qt = enc_code(&e, item, "type", LNL_DNS_T_A, false);
                uint16_t qc = enc_code(&e, item, "class", LNL_DNS_C_IN, true);
                rc = enc_name_field(&e, item, "name", true);
                if (!rc) rc = lnl_dns_put_u16(&e.w, qt);
                if (!rc) rc = lnl_dns_put_u16(&e.w, qc);
                if (rc && cap >= LNL_DNS_MSG_MAX)
                    luaL_error(L, "%s: the questions do not fit in %d bytes", F_ENC, (int)cap);
            } else {
                rc = enc_rr(&e, item);
            }
            if (rc) {
                lnl_dns_wr_undo(&e.w, m);
                stop = *full = true;
                if (sec < 3) *truncated = true;
            } else {
                h.count[sec]++;
            }
            lua_settop(L, list);
        }
        lua_settop(L, base);
    }
    e.w.cap = cap;
    if (has_edns) {
        lnl_dns_put_edns(&e.w, &ed);       /* fits: its room was kept */
        h.count[3]++;
    }
    if (*truncated) h.flags |= LNL_DNS_F_TC;
    lnl_dns_patch_header(&e.w, &h);
    lua_settop(L, top);
    return e.w.len;
}

/* lunet.dns.encode(msg [, {max = bytes, tcp = bool}]) -> bytes, truncated
 * Records that do not fit in max (default 65535) are left out, whole: in
 * the answer or authority section that sets TC (the client retries over
 * TCP); in the additional section it does not (RFC 2181 9).  tcp puts the
 * two-byte length in front (RFC 1035 4.2.2).
 *
 * Most messages fit in 512 bytes: the first pass writes into the C stack,
 * and only a message that did not fit is written again into a buffer of
 * max bytes (the passes are deterministic, so the second just goes on
 * further). */
static int dns_encode(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t max = LNL_DNS_MSG_MAX;
    bool tcp = false;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lnl_checkopts(L, 2, F_ENC, enc_opts);
        if (lua_getfield(L, 2, "max") != LUA_TNIL) {
            lua_Integer m = lua_tointeger(L, -1);
            if (m < 512 || m > LNL_DNS_MSG_MAX)
                luaL_error(L, "%s: max must be an integer in 512..65535", F_ENC);
            max = (size_t)m;
        }
        lua_getfield(L, 2, "tcp");
        tcp = lua_toboolean(L, -1);
    }
    lua_settop(L, 2);
    uint8_t small[2 + LNL_DNS_UDP_MAX];
    uint8_t *buf = small;
    bool truncated, full;
    size_t len = encode_pass(L, buf + 2, LNL_DNS_UDP_MAX, &truncated, &full);
    if (full && max > LNL_DNS_UDP_MAX) {
        buf = lua_newuserdatauv(L, 2 + max, 0);
        len = encode_pass(L, buf + 2, max, &truncated, &full);
    }
    if (tcp) {
        buf[0] = (uint8_t)(len >> 8);
        buf[1] = (uint8_t)len;
        lua_pushlstring(L, (const char *)buf, len + 2);
    } else {
        lua_pushlstring(L, (const char *)buf + 2, len);
    }
    lua_pushboolean(L, truncated);
    return 2;
}

/* ---- names where addresses go ------------------------------------------------ */

bool lnl_is_hostname(lua_State *L, int arg)
{
    if (lua_type(L, arg) != LUA_TSTRING) return false;
    const char *s = lua_tostring(L, arg);
    bool letter = false;
    for (; *s; s++) {
        if (*s == ':' || *s == '/') return false;       /* IPv6, a prefix */
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) letter = true;
    }
    return letter;
}

/* Stack at the continuation: the C function's arguments (1..top), the
 * function to run again (top + 1), the resolver's two results. */
static int resolved_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    int arg = (int)(ctx & 0xff), top = (int)(ctx >> 8);
    if (lua_isnil(L, -2)) return 2;                     /* nil, why */
    lua_CFunction again = lua_tocfunction(L, top + 1);
    lua_pushvalue(L, -2);
    lua_replace(L, arg);
    lua_settop(L, top);
    return again(L);
}

int lnl_resolve_arg(lua_State *L, lnl_net *n, struct ln_node *nd, int arg, const char *fname,
                    lua_CFunction again)
{
    int top = lua_gettop(L);
    if (arg > 255 || top >= (1 << 20)) return luaL_error(L, "%s: too many arguments", fname);
    lua_pushcfunction(L, again);
    lnl_modfield(L, "dns");
    if (!lua_istable(L, -1) || lua_getfield(L, -1, "_resolve_arg") != LUA_TFUNCTION)
        return luaL_error(L, "%s: the resolver (lunet.dns) is not loaded", fname);
    lua_remove(L, -2);
    lnl_push_handle(L, n, nd, LNL_NODE);
    lua_pushvalue(L, arg);
    lua_pushstring(L, fname);
    lua_KContext ctx = (lua_KContext)arg | (lua_KContext)top << 8;
    lua_callk(L, 3, 2, ctx, resolved_k);
    return resolved_k(L, LUA_OK, ctx);
}

void lnl_open_dns(lua_State *L)
{
    static const luaL_Reg f[] = {{"encode", dns_encode}, {"decode", dns_decode}, {NULL, NULL}};
    luaL_newlib(L, f);
    lua_setfield(L, -2, "dns");
}
