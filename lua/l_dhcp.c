/* l_dhcp.c - lunet.dhcp.encode / lunet.dhcp.decode: DHCP messages as Lua
 * tables, over core/dhcp.h.  The client and server of lunet/dhcp.lua are
 * built on these two and UdpSocket; a script can also craft a DECLINE or a
 * malformed message with them.
 *
 * The table (docs/lua-api.md, "DHCP"):
 *   {op = 1|2, htype = 1, hlen = 6, hops = 0, xid =, secs =, flags =,
 *    broadcast = bool, ciaddr = "a.b.c.d", yiaddr =, siaddr =, giaddr =,
 *    chaddr = "02:00:00:00:00:01" (hlen bytes), type = "DISCOVER"|...|n,
 *    mask =, router = {...}, dns = {...}, hostname =, domain =, message =,
 *    requested =, lease =, server_id =, t1 =, t2 =, max_size =,
 *    prl = {1, 3, 6}, client_id = bytes, search = {"corp.lab", ...} (119),
 *    agent_info = bytes (82, its sub-options raw), overload = 1..3 (decode only),
 *    options = {codes in the order met} (decode only)} */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "dhcp.h"
#include "lunet.h"

static const char *const encode_fields[] = {
    "op", "htype", "hlen", "hops", "xid", "secs", "flags", "broadcast", "ciaddr", "yiaddr",
    "siaddr", "giaddr", "chaddr", "type", "mask", "router", "dns", "hostname", "domain",
    "message", "requested", "lease", "server_id", "t1", "t2", "max_size", "prl", "client_id",
    "sname", "file", "search", "agent_info", NULL};

/* ---- decode -------------------------------------------------------------- */

static void set_addr(lua_State *L, const char *k, uint32_t a)
{
    char b[16];
    lua_pushstring(L, ln_ip_fmt(a, b));
    lua_setfield(L, -2, k);
}

static void set_addrs(lua_State *L, const char *k, const uint32_t *a, uint8_t n)
{
    char b[16];
    lua_createtable(L, n, 0);
    for (uint8_t i = 0; i < n; i++) {
        lua_pushstring(L, ln_ip_fmt(a[i], b));
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* A fixed string field (sname, file): up to its first NUL. */
static void set_cstr(lua_State *L, const char *k, const uint8_t *p, size_t cap)
{
    size_t n = 0;
    while (n < cap && p[n]) n++;
    if (!n) return;
    lua_pushlstring(L, (const char *)p, n);
    lua_setfield(L, -2, k);
}

/* lunet.dhcp.decode(bytes) -> table | nil, reason */
static int l_decode(lua_State *L)
{
    size_t len;
    const char *s = lnl_checkstring(L, 1, "lunet.dhcp.decode");
    s = lua_tolstring(L, 1, &len);
    ln_dhcp_msg *m = lua_newuserdatauv(L, sizeof *m, 0);    /* too big for the C stack's taste */
    uint8_t code = 0;
    ln_dhcp_err e = ln_dhcp_parse((const uint8_t *)s, len, m, &code);
    if (e) {
        lua_pushnil(L);
        if (code) lua_pushfstring(L, "%s (option %d)", ln_dhcp_strerror(e), (int)code);
        else lua_pushstring(L, ln_dhcp_strerror(e));
        return 2;
    }
    lua_newtable(L);
    set_int(L, "op", m->op);
    set_int(L, "htype", m->htype);
    set_int(L, "hlen", m->hlen);
    set_int(L, "hops", m->hops);
    set_int(L, "xid", m->xid);
    set_int(L, "secs", m->secs);
    set_int(L, "flags", m->flags);
    lua_pushboolean(L, (m->flags & LN_DHCP_FLAG_BROADCAST) != 0);
    lua_setfield(L, -2, "broadcast");
    set_addr(L, "ciaddr", m->ciaddr);
    set_addr(L, "yiaddr", m->yiaddr);
    set_addr(L, "siaddr", m->siaddr);
    set_addr(L, "giaddr", m->giaddr);
    char hw[16 * 3 + 1] = "";
    size_t o = 0;
    for (uint8_t i = 0; i < m->hlen; i++)
        o += (size_t)snprintf(hw + o, sizeof hw - o, i ? ":%02x" : "%02x", m->chaddr[i]);
    lua_pushstring(L, hw);
    lua_setfield(L, -2, "chaddr");
    if (!m->overload || !(m->overload & 2)) set_cstr(L, "sname", m->sname, sizeof m->sname);
    if (!m->overload || !(m->overload & 1)) set_cstr(L, "file", m->file, sizeof m->file);
    if (m->type) {
        const char *t = ln_dhcp_type_name(m->type);
        if (t) lua_pushstring(L, t);
        else lua_pushinteger(L, m->type);
        lua_setfield(L, -2, "type");
    }
    if (m->has & LN_DHCP_HAS_MASK) set_addr(L, "mask", m->mask);
    if (m->has & LN_DHCP_HAS_REQUESTED) set_addr(L, "requested", m->requested);
    if (m->has & LN_DHCP_HAS_SERVER_ID) set_addr(L, "server_id", m->server_id);
    if (m->has & LN_DHCP_HAS_LEASE) set_int(L, "lease", m->lease);
    if (m->has & LN_DHCP_HAS_T1) set_int(L, "t1", m->t1);
    if (m->has & LN_DHCP_HAS_T2) set_int(L, "t2", m->t2);
    if (m->has & LN_DHCP_HAS_MAX_SIZE) set_int(L, "max_size", m->max_size);
    if (m->overload) set_int(L, "overload", m->overload);
    if (m->n_routers) set_addrs(L, "router", m->routers, m->n_routers);
    if (m->n_dns) set_addrs(L, "dns", m->dns, m->n_dns);
    if (m->hostname.len) { lua_pushlstring(L, m->hostname.s, m->hostname.len); lua_setfield(L, -2, "hostname"); }
    if (m->domain.len) { lua_pushlstring(L, m->domain.s, m->domain.len); lua_setfield(L, -2, "domain"); }
    if (m->message.len) { lua_pushlstring(L, m->message.s, m->message.len); lua_setfield(L, -2, "message"); }
    if (m->client_id_len) {
        lua_pushlstring(L, (const char *)m->client_id, m->client_id_len);
        lua_setfield(L, -2, "client_id");
    }
    if (m->n_search) {
        lua_createtable(L, m->n_search, 0);
        for (int i = 0; i < m->n_search; i++) {
            lua_pushstring(L, m->search[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "search");
    }
    if (m->agent_len) {
        lua_pushlstring(L, (const char *)m->agent, m->agent_len);
        lua_setfield(L, -2, "agent_info");
    }
    if (m->prl_len) {
        lua_createtable(L, m->prl_len, 0);
        for (int i = 0; i < m->prl_len; i++) {
            lua_pushinteger(L, m->prl[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "prl");
    }
    lua_createtable(L, m->n_codes, 0);
    for (int i = 0; i < m->n_codes; i++) {
        lua_pushinteger(L, m->codes[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "options");
    return 1;
}

/* ---- encode -------------------------------------------------------------- */

#define F "lunet.dhcp.encode"

static uint32_t field_addr(lua_State *L, const char *k)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, F ": %s", k);
    return lnl_checkaddr(L, -1, NULL, ctx);
}

static lua_Integer field_int(lua_State *L, const char *k, lua_Integer lo, lua_Integer hi)
{
    if (!lua_isinteger(L, -1))
        luaL_error(L, F ": %s: expected an integer in %I..%I, got %s", k, lo, hi, luaL_typename(L, -1));
    lua_Integer v = lua_tointeger(L, -1);
    if (v < lo || v > hi) luaL_error(L, F ": %s: %I out of range (%I..%I)", k, v, lo, hi);
    return v;
}

static size_t field_bytes(lua_State *L, const char *k, size_t min, size_t max, void *dst)
{
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, F ": %s: expected a string, got %s", k, luaL_typename(L, -1));
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    if (n < min || n > max)
        luaL_error(L, F ": %s: %d bytes (allowed: %d to %d)", k, (int)n, (int)min, (int)max);
    memcpy(dst, s, n);
    return n;
}

static uint8_t field_addrs(lua_State *L, const char *k, uint32_t *dst)
{
    if (lua_type(L, -1) == LUA_TSTRING) {
        dst[0] = field_addr(L, k);
        return 1;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, F ": %s: expected an address or an array of them, got %s", k, luaL_typename(L, -1));
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n > LN_DHCP_MAX_ADDRS) luaL_error(L, F ": %s: %I addresses (at most %d)", k, n, LN_DHCP_MAX_ADDRS);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        dst[i - 1] = field_addr(L, k);
        lua_pop(L, 1);
    }
    return (uint8_t)n;
}

static uint8_t type_code(lua_State *L)
{
    if (lua_isinteger(L, -1)) return (uint8_t)field_int(L, "type", 1, 255);
    const char *t = lua_tostring(L, -1);
    if (lua_type(L, -1) == LUA_TSTRING) {
        for (uint8_t i = 1; ln_dhcp_type_name(i); i++) {
            const char *nm = ln_dhcp_type_name(i);
            size_t k = 0;
            while (nm[k] && t[k] && (t[k] == nm[k] || t[k] == nm[k] + 32)) k++;
            if (!nm[k] && !t[k]) return i;
        }
    }
    return (uint8_t)luaL_error(L, F ": type: %s unknown (use DISCOVER, OFFER, REQUEST, DECLINE, ACK, "
                                  "NAK, RELEASE, INFORM, or a number)", t ? t : luaL_typename(L, -1));
}

/* lunet.dhcp.encode(t) -> bytes */
static int l_encode(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lnl_checkopts(L, 1, F, encode_fields);
    ln_dhcp_msg *m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m);
    m->htype = 1;
    m->hlen = 6;
    lua_pushvalue(L, 1);                     /* the table on top: fields at -1 after getfield */
    if (lnl_optfield(L, -1, "type")) { m->type = type_code(L); lua_pop(L, 1); }
    /* op follows from the type unless given: the client's types are requests. */
    switch (m->type) {
    case LN_DHCP_OFFER: case LN_DHCP_ACK: case LN_DHCP_NAK: m->op = LN_DHCP_BOOTREPLY; break;
    default: m->op = LN_DHCP_BOOTREQUEST;
    }
#define INT_FIELD(name, lo, hi, dst) \
    if (lnl_optfield(L, -1, name)) { dst = field_int(L, name, lo, hi); lua_pop(L, 1); }
#define ADDR_FIELD(name, dst, bit) \
    if (lnl_optfield(L, -1, name)) { dst = field_addr(L, name); m->has |= (bit); lua_pop(L, 1); }
    INT_FIELD("op", 0, 255, m->op);
    INT_FIELD("htype", 0, 255, m->htype);
    INT_FIELD("hops", 0, 255, m->hops);
    INT_FIELD("xid", 0, 0xffffffff, m->xid);
    INT_FIELD("secs", 0, 0xffff, m->secs);
    INT_FIELD("flags", 0, 0xffff, m->flags);
    if (lnl_optfield(L, -1, "broadcast")) {
        if (lua_toboolean(L, -1)) m->flags |= LN_DHCP_FLAG_BROADCAST;
        else m->flags &= (uint16_t)~LN_DHCP_FLAG_BROADCAST;
        lua_pop(L, 1);
    }
    ADDR_FIELD("ciaddr", m->ciaddr, 0);
    ADDR_FIELD("yiaddr", m->yiaddr, 0);
    ADDR_FIELD("siaddr", m->siaddr, 0);
    ADDR_FIELD("giaddr", m->giaddr, 0);
    if (lnl_optfield(L, -1, "chaddr")) {
        if (!ln_mac_parse(luaL_optstring(L, -1, ""), m->chaddr))
            luaL_error(L, F ": chaddr: \"%s\" is not a MAC address (like 02:00:00:00:00:01)",
                       luaL_tolstring(L, -1, NULL));
        lua_pop(L, 1);
    }
    INT_FIELD("hlen", 0, 16, m->hlen);
    if (lnl_optfield(L, -1, "sname")) { field_bytes(L, "sname", 0, 63, m->sname); lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "file")) { field_bytes(L, "file", 0, 127, m->file); lua_pop(L, 1); }
    ADDR_FIELD("mask", m->mask, LN_DHCP_HAS_MASK);
    ADDR_FIELD("requested", m->requested, LN_DHCP_HAS_REQUESTED);
    ADDR_FIELD("server_id", m->server_id, LN_DHCP_HAS_SERVER_ID);
    if (lnl_optfield(L, -1, "lease")) { m->lease = (uint32_t)field_int(L, "lease", 0, 0xffffffff); m->has |= LN_DHCP_HAS_LEASE; lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "t1")) { m->t1 = (uint32_t)field_int(L, "t1", 0, 0xffffffff); m->has |= LN_DHCP_HAS_T1; lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "t2")) { m->t2 = (uint32_t)field_int(L, "t2", 0, 0xffffffff); m->has |= LN_DHCP_HAS_T2; lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "max_size")) { m->max_size = (uint16_t)field_int(L, "max_size", 576, 0xffff); m->has |= LN_DHCP_HAS_MAX_SIZE; lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "router")) { m->n_routers = field_addrs(L, "router", m->routers); lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "dns")) { m->n_dns = field_addrs(L, "dns", m->dns); lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "hostname")) { m->hostname.len = (uint8_t)field_bytes(L, "hostname", 1, 255, m->hostname.s); lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "domain")) { m->domain.len = (uint8_t)field_bytes(L, "domain", 1, 255, m->domain.s); lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "message")) { m->message.len = (uint8_t)field_bytes(L, "message", 1, 255, m->message.s); lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "client_id")) { m->client_id_len = (uint8_t)field_bytes(L, "client_id", 2, 255, m->client_id); lua_pop(L, 1); }
    if (lnl_optfield(L, -1, "prl")) {
        if (!lua_istable(L, -1)) luaL_error(L, F ": prl: expected an array of option codes, got %s", luaL_typename(L, -1));
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        if (n < 1 || n > 255) luaL_error(L, F ": prl: %I codes (allowed: 1 to 255)", n);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            m->prl[i - 1] = (uint8_t)field_int(L, "prl", 0, 255);
            lua_pop(L, 1);
        }
        m->prl_len = (uint8_t)n;
        lua_pop(L, 1);
    }
    if (lnl_optfield(L, -1, "search")) {
        if (lua_type(L, -1) == LUA_TSTRING) {
            lua_createtable(L, 1, 0);
            lua_insert(L, -2);
            lua_rawseti(L, -2, 1);
        }
        if (!lua_istable(L, -1)) luaL_error(L, F ": search: expected a domain or an array of them, got %s", luaL_typename(L, -1));
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        if (n > LN_DHCP_MAX_SEARCH) luaL_error(L, F ": search: %I domains (at most %d)", n, LN_DHCP_MAX_SEARCH);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            const char *d = lua_tostring(L, -1);
            if (lua_type(L, -1) != LUA_TSTRING || ln_dhcp_name_check(d) < 0)
                luaL_error(L, F ": search: %s is not a domain (labels of 1 to 63 printable bytes, no "
                              "spaces or backslashes, 253 bytes in all)", luaL_tolstring(L, -1, NULL));
            memcpy(m->search[i - 1], d, strlen(d) + 1);
            lua_pop(L, 1);
        }
        m->n_search = (uint8_t)n;
        lua_pop(L, 1);
    }
    if (lnl_optfield(L, -1, "agent_info")) { m->agent_len = (uint8_t)field_bytes(L, "agent_info", 2, 255, m->agent); lua_pop(L, 1); }
#undef INT_FIELD
#undef ADDR_FIELD
    uint8_t buf[LN_DHCP_MAX_BUILD];
    int n = ln_dhcp_build(m, buf, sizeof buf);
    if (n < 0) luaL_error(L, F ": the message does not fit in %d bytes", LN_DHCP_MAX_BUILD);
    lua_pushlstring(L, (const char *)buf, (size_t)n);
    return 1;
}

#undef F

void lnl_open_dhcp(lua_State *L)
{
    static const luaL_Reg f[] = { {"encode", l_encode}, {"decode", l_decode}, {NULL, NULL} };
    luaL_newlib(L, f);
    lua_setfield(L, -2, "dhcp");
}
