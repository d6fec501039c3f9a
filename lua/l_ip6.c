/* l_ip6.c - IPv6 on lunet.Node and lunet.Iface: addresses, routes,
 * neighbours, router advertisements (added to the method tables by
 * lnl_open_ip6, after Node and Iface exist).
 *
 *   ifc:addr6("2001:db8:1::1/64")   ifc:addr6() -> list    ifc:del_addr6(a)
 *   ifc:ipv6(true)  ifc:ipv6()      ifc:ip6()               ifc:ra{...}
 *   h:addr6(...)    h:ip6()         h:neigh6()
 * node:route, node:gateway, node:lookup and node:routes take IPv6
 * addresses too (l_node.c hands them to lnl_node_route6 and friends).
 *
 * Turning IPv6 on is always explicit (an address, ipv6(true), ra{}): a
 * node that never hears of it sends nothing IPv6, so captures of IPv4
 * scripts do not change. */
#include <stdio.h>
#include <string.h>

#include "ip6.h"
#include "nd.h"
#include "node.h"
#include "ra.h"
#include "lunet.h"

#define IFC(h) ((ln_iface *)(h)->obj)
#define NODE(h) ((ln_node *)(h)->obj)

ln_in6 lnl_argaddr6(lua_State *L, int arg, uint8_t *plen, const char *fname)
{
    const char *s = lnl_checkstring(L, arg, fname);
    ln_in6 a;
    char err[200];
    if (ln_ip6_parse(s, &a, plen, err, sizeof err) != 0) lnl_argerror(L, arg, fname, "%s", err);
    return a;
}

/* Addresses that need a zone to mean one link (RFC 4007 11.2):
 * link-local unicast, and interface- or link-local multicast. */
static bool scoped(const ln_in6 *a)
{
    return ln_in6_is_linklocal(a) || (ln_in6_is_mcast(a) && ln_in6_mc_scope(a) <= 2);
}

ln_in6 lnl_argaddr6z(lua_State *L, int arg, ln_node *nd, ln_iface **zone, const char *fname)
{
    const char *s = lnl_checkstring(L, arg, fname);
    const char *pct = strchr(s, '%');
    if (zone) *zone = NULL;
    if (!pct) return lnl_argaddr6(L, arg, NULL, fname);
    if (!nd || !zone)
        lnl_argerror(L, arg, fname, "address \"%s\": a zone (%%eth0) is not taken here", s);
    char a[LN_IN6_FMTLEN + 8], err[200];
    ln_in6 r;
    size_t n = (size_t)(pct - s);
    if (n >= sizeof a) lnl_argerror(L, arg, fname, "address \"%s\": too long", s);
    memcpy(a, s, n);
    a[n] = 0;
    if (ln_ip6_parse(a, &r, NULL, err, sizeof err) != 0)
        lnl_argerror(L, arg, fname, "address \"%s\": %s", s, err);
    /* Linux ignores a scope id on a global destination; refusing it
     * tells the user the zone did nothing. */
    if (!scoped(&r))
        lnl_argerror(L, arg, fname, "address \"%s\": only a link-local address (fe80::/10) or a "
                     "link-scope multicast one takes a zone", s);
    for (uint32_t i = 0; i < nd->n_ifaces; i++)
        if (strcmp(nd->ifaces[i]->name, pct + 1) == 0) *zone = nd->ifaces[i];
    if (!*zone) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (uint32_t i = 0; i < nd->n_ifaces; i++) {
            if (i) luaL_addstring(&b, ", ");
            luaL_addstring(&b, nd->ifaces[i]->name);
        }
        if (!nd->n_ifaces) luaL_addstring(&b, "none");
        luaL_pushresult(&b);
        lnl_argerror(L, arg, fname, "address \"%s\": %s has no interface \"%s\" (its interfaces: %s)", s,
                     nd->name, pct + 1, lua_tostring(L, -1));
    }
    return r;
}

char *lnl_fmt_in6z(const ln_in6 *a, const ln_iface *zone, char *buf)
{
    ln_ip6_fmt(a, buf);
    if (zone && scoped(a)) {
        size_t n = strlen(buf);
        snprintf(buf + n, LNL_IN6Z_LEN - n, "%%%s", zone->name);
    }
    return buf;
}

static void push_in6(lua_State *L, const ln_in6 *a)
{
    char b[LN_IN6_FMTLEN];
    lua_pushstring(L, ln_ip6_fmt(a, b));
}

static const char *state_name(uint8_t s)
{
    switch (s) {
    case LN_IP6A_TENTATIVE: return "tentative";
    case LN_IP6A_PREFERRED: return "preferred";
    default: return "duplicate";
    }
}

static const char *origin_name(uint8_t o)
{
    switch (o) {
    case LN_IP6A_LINK: return "link";
    case LN_IP6A_STATIC: return "static";
    default: return "autoconf";
    }
}

/* What is left of a lifetime, as `ip -6 addr` shows it: whole seconds, or
 * "forever". */
static void push_lft(lua_State *L, ln_time until, ln_time now)
{
    if (until == LN_NEVER) lua_pushliteral(L, "forever");
    else lua_pushinteger(L, until > now ? (lua_Integer)((until - now) / LN_SEC) : 0);
}

static void push_addrs(lua_State *L, const ln_iface *ifc)
{
    lua_newtable(L);
    if (!ifc->ip6) return;
    for (uint32_t k = 0; k < ifc->ip6->n_addr; k++) {
        const ln_ip6_addr *e = ifc->ip6->addr[k];
        char b[LN_IN6_FMTLEN];
        lua_createtable(L, 0, 6);
        push_in6(L, &e->addr);
        lua_setfield(L, -2, "addr");
        lua_pushinteger(L, e->plen);
        lua_setfield(L, -2, "plen");
        lua_pushfstring(L, "%s/%d", ln_ip6_fmt(&e->addr, b), (int)e->plen);
        lua_setfield(L, -2, "prefix");
        lua_pushstring(L, ln_in6_is_linklocal(&e->addr) ? "link" : "global");
        lua_setfield(L, -2, "scope");
        lua_pushstring(L, state_name(e->state));
        lua_setfield(L, -2, "state");
        lua_pushstring(L, origin_name(e->origin));
        lua_setfield(L, -2, "origin");
        lua_pushboolean(L, e->deprecated);
        lua_setfield(L, -2, "deprecated");
        push_lft(L, e->valid_until, ln_net_now(ifc->node->net));
        lua_setfield(L, -2, "valid_lft");
        push_lft(L, e->prefer_until, ln_net_now(ifc->node->net));
        lua_setfield(L, -2, "preferred_lft");
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
}

/* Shared by ifc:addr6 and h:addr6: add the address at idx, or list. */
static int iface_addr6_at(lua_State *L, ln_iface *ifc, int idx, const char *fname)
{
    if (lua_isnone(L, idx)) {
        push_addrs(L, ifc);
        return 1;
    }
    uint8_t plen;
    ln_in6 a = lnl_argaddr6(L, idx, &plen, fname);
    const char *s = lua_tostring(L, idx);
    if (plen == LN_NO_ADDR)
        lnl_argerror(L, idx, fname, "address \"%s\": missing prefix length (like %s/64)", s, s);
    if (ln_in6_is_mcast(&a) || ln_in6_is_unspec(&a) || ln_in6_is_loopback(&a))
        lnl_argerror(L, idx, fname, "address \"%s\": a multicast, unspecified or loopback address "
                     "cannot be an interface's", s);
    int rc = ln_ip6_addr_add(ifc, &a, plen, LN_IP6A_STATIC, LN_NEVER);
    if (rc == LN_EEXIST) luaL_error(L, "%s: %s already has %s", fname, ifc->port.name, s);
    if (rc == LN_ENOBUFS)
        luaL_error(L, "%s: %s has %d IPv6 addresses already, the most it holds", fname, ifc->port.name,
                   LN_IP6_MAX_ADDRS);
    if (rc != 0) luaL_error(L, "%s: %s", fname, ln_strerror(rc));
    lua_settop(L, 1);
    return 1;
}

static lnl_handle *checkiface(lua_State *L, const char *fname, lnl_access acc)
{
    return lnl_checkhandle(L, 1, LNL_IFACE, fname, acc);
}

static lnl_handle *checknode(lua_State *L, const char *fname, lnl_access acc)
{
    return lnl_checkhandle(L, 1, LNL_NODE, fname, acc);
}

static int iface_addr6(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:addr6", lua_isnone(L, 2) ? LNL_OBSERVE : LNL_RESHAPE);
    return iface_addr6_at(L, IFC(h), 2, "iface:addr6");
}

static int iface_del_addr6(lua_State *L)
{
    const char *F = "iface:del_addr6";
    lnl_handle *h = checkiface(L, F, LNL_RESHAPE);
    uint8_t plen;
    ln_in6 a = lnl_argaddr6(L, 2, &plen, F);
    int rc = ln_ip6_addr_del(IFC(h), &a);
    lua_pushboolean(L, rc == 0);
    return 1;
}

static int iface_ipv6(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:ipv6", lua_isnone(L, 2) ? LNL_DESCRIBE : LNL_RESHAPE);
    if (!lua_isnone(L, 2)) {
        if (!lua_isboolean(L, 2)) lnl_typeerror(L, 2, "iface:ipv6", "boolean");
        if (!lua_toboolean(L, 2))
            lnl_argerror(L, 2, "iface:ipv6", "IPv6 cannot be turned off again (only true is allowed)");
        int rc = ln_ip6_enable(IFC(h));
        if (rc) luaL_error(L, "iface:ipv6: %s", ln_strerror(rc));
    }
    lua_pushboolean(L, IFC(h)->ip6 != NULL);
    return 1;
}

/* The address people mean by "its IPv6 address": the first preferred
 * global one, else the link-local one. */
static const ln_ip6_addr *main_addr(const ln_iface *ifc)
{
    if (!ifc->ip6) return NULL;
    for (uint32_t k = 0; k < ifc->ip6->n_addr; k++) {
        const ln_ip6_addr *e = ifc->ip6->addr[k];
        if (!ln_in6_is_linklocal(&e->addr) && e->state != LN_IP6A_DUPLICATE) return e;
    }
    return NULL;
}

static int iface_ip6(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:ip6", LNL_OBSERVE);
    const ln_ip6_addr *e = main_addr(IFC(h));
    if (!e && IFC(h)->ip6 && IFC(h)->ip6->n_addr) e = IFC(h)->ip6->addr[0];
    if (e) push_in6(L, &e->addr);
    else lua_pushnil(L);
    return 1;
}

static const char *const ra_opts[] = {"prefix", "interval", "min_interval", "lifetime", "mtu",
                                      "hop_limit", "valid", "preferred", NULL};

/* A prefix lifetime (radvd's AdvValidLifetime, AdvPreferredLifetime): a
 * time in whole seconds, or "infinity" (0xffffffff on the wire). */
static uint32_t prefix_lifetime(lua_State *L, const char *F, const char *name)
{
    if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "infinity") == 0) return 0xffffffffu;
    char what[48];
    snprintf(what, sizeof what, "%s: %s", F, name);
    ln_time t = lnl_checktime(L, -1, what);
    if (t % LN_SEC || t / LN_SEC >= 0xffffffffu)
        luaL_error(L, "%s: %s %s: must be whole seconds below 4294967295s, or \"infinity\"", F, name,
                   luaL_tolstring(L, -1, NULL));
    return (uint32_t)(t / LN_SEC);
}

static void add_prefix(lua_State *L, ln_ra_cfg *c, const char *s, const char *F)
{
    ln_ra_prefix pf = { .onlink = true, .autonomous = true, .valid = 86400, .preferred = 14400 };
    char err[200];
    if (ln_ip6_parse(s, &pf.prefix, &pf.plen, err, sizeof err) != 0) luaL_error(L, "%s: prefix: %s", F, err);
    if (pf.plen == LN_NO_ADDR) luaL_error(L, "%s: prefix \"%s\": missing prefix length (like 2001:db8:1::/64)", F, s);
    ln_in6_mask(&pf.prefix, pf.plen);
    if (c->n_prefix == LN_RA_MAX_PREFIXES) luaL_error(L, "%s: at most %d prefixes", F, LN_RA_MAX_PREFIXES);
    c->prefix[c->n_prefix++] = pf;
}

/* ifc:ra{prefix = "2001:db8:1::/64" or {...}, interval = "600s",
 *        min_interval = 0.33 x interval, lifetime = "1800s", mtu = n,
 *        hop_limit = 64}: send router advertisements on ifc, as radvd.
 * Without prefix, the prefixes of the interface's static global
 * addresses. */
/* A time as the user wrote it back: "2s", "0.5s". */
static const char *secs(ln_time t, char *b)
{
    snprintf(b, 32, "%gs", (double)t / 1e9);
    return b;
}

static int iface_ra(lua_State *L)
{
    const char *F = "iface:ra";
    char tb[64];
    lnl_handle *h = checkiface(L, F, LNL_DRIVE);
    ln_iface *ifc = IFC(h);
    ln_ra_cfg c;
    ln_ra_cfg_default(&c);
    bool have_min = false;
    if (!lua_isnoneornil(L, 2)) {
        lnl_checkopts(L, 2, F, ra_opts);
        if (lnl_optfield(L, 2, "prefix")) {
            if (lua_type(L, -1) == LUA_TSTRING) {
                add_prefix(L, &c, lua_tostring(L, -1), F);
            } else if (lua_istable(L, -1)) {
                lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
                for (lua_Integer i = 1; i <= n; i++) {
                    lua_rawgeti(L, -1, i);
                    if (lua_type(L, -1) != LUA_TSTRING)
                        luaL_error(L, "%s: prefix[%I] must be a string like \"2001:db8:1::/64\"", F, i);
                    add_prefix(L, &c, lua_tostring(L, -1), F);
                    lua_pop(L, 1);
                }
            } else {
                luaL_error(L, "%s: prefix must be a string or a list of strings, got %s", F,
                           luaL_typename(L, -1));
            }
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, 2, "interval")) {
            c.max_interval = lnl_checktime(L, -1, "iface:ra: interval");
            /* RFC 4861 6.2.1: 4 s to 1800 s */
            if (c.max_interval < 4 * LN_SEC || c.max_interval > 1800 * LN_SEC)
                luaL_error(L, "%s: interval %s: must be 4s..1800s (RFC 4861 6.2.1)", F,
                           secs(c.max_interval, tb));
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, 2, "min_interval")) {
            c.min_interval = lnl_checktime(L, -1, "iface:ra: min_interval");
            have_min = true;
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, 2, "lifetime")) {
            ln_time t = lnl_checktime(L, -1, "iface:ra: lifetime");
            if (t > 9000 * LN_SEC)
                luaL_error(L, "%s: lifetime %s: must be 0s..9000s (RFC 4861 6.2.1)", F, secs(t, tb));
            c.lifetime = (uint32_t)(t / LN_SEC);
            lua_pop(L, 1);
        } else {
            c.lifetime = (uint32_t)(3 * c.max_interval / LN_SEC);
            if (c.lifetime > 9000) c.lifetime = 9000;
        }
        if (lnl_optfield(L, 2, "mtu")) {
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1280 || lua_tointeger(L, -1) > 65535)
                luaL_error(L, "%s: mtu %s: must be an integer in 1280..65535", F, luaL_tolstring(L, -1, NULL));
            c.mtu = (uint32_t)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, 2, "hop_limit")) {
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 255)
                luaL_error(L, "%s: hop_limit %s: must be an integer in 0..255", F, luaL_tolstring(L, -1, NULL));
            c.hop_limit = (uint8_t)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    }
    /* The lifetimes of every prefix advertised, radvd's defaults else. */
    uint32_t valid = 86400, preferred = 14400;
    if (!lua_isnoneornil(L, 2)) {
        if (lnl_optfield(L, 2, "valid")) {
            valid = prefix_lifetime(L, F, "valid");
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, 2, "preferred")) {
            preferred = prefix_lifetime(L, F, "preferred");
            lua_pop(L, 1);
        } else if (preferred > valid) {
            preferred = valid;
        }
    }
    /* RFC 4861 4.6.2 / radvd: a preferred lifetime longer than the valid
     * one makes hosts ignore the prefix (RFC 4862 5.5.3 (c)). */
    if (preferred > valid)
        luaL_error(L, "%s: preferred lifetime %Is longer than the valid one %Is", F, (lua_Integer)preferred,
                   (lua_Integer)valid);
    if (!have_min) c.min_interval = c.max_interval * 33 / 100;
    if (c.min_interval < 3 * LN_SEC || c.min_interval > c.max_interval * 3 / 4)
        luaL_error(L, "%s: min_interval %s: must be 3s..0.75 x interval (%s) (RFC 4861 6.2.1)", F,
                   secs(c.min_interval, tb), secs(c.max_interval * 3 / 4, tb + 32));
    if (c.n_prefix == 0 && ifc->ip6) {
        for (uint32_t k = 0; k < ifc->ip6->n_addr && c.n_prefix < LN_RA_MAX_PREFIXES; k++) {
            const ln_ip6_addr *e = ifc->ip6->addr[k];
            if (e->origin != LN_IP6A_STATIC || ln_in6_is_linklocal(&e->addr)) continue;
            ln_ra_prefix pf = { .prefix = e->addr, .plen = e->plen, .onlink = true,
                                .autonomous = e->plen == 64, .valid = 86400, .preferred = 14400 };
            ln_in6_mask(&pf.prefix, pf.plen);
            c.prefix[c.n_prefix++] = pf;
        }
    }
    for (uint32_t k = 0; k < c.n_prefix; k++) {
        c.prefix[k].valid = valid;
        c.prefix[k].preferred = preferred;
    }
    if (!ifc->node->forwarding)
        luaL_error(L, "%s: %s is a host; router advertisements come from routers (net:router)", F,
                   ifc->node->name);
    int rc = ln_ra_enable(ifc, &c);
    if (rc) luaL_error(L, "%s: %s", F, ln_strerror(rc));
    lua_settop(L, 1);
    return 1;
}

/* ---- Node ------------------------------------------------------------------ */

static int node_addr6(lua_State *L)
{
    const char *F = "node:addr6";
    lnl_handle *h = checknode(L, F, lua_gettop(L) >= 2 ? LNL_RESHAPE : LNL_OBSERVE);
    ln_node *nd = NODE(h);
    if (lua_gettop(L) >= 3) return iface_addr6_at(L, lnl_argiface(L, 2, nd, F), 3, F);
    if (!nd->n_ifaces) luaL_error(L, "%s: %s has no interface yet (link it, or use add_iface)", F, nd->name);
    return iface_addr6_at(L, nd->ifaces[0], 2, F);
}

static int node_ip6(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:ip6", LNL_OBSERVE);
    ln_node *nd = NODE(h);
    for (uint32_t i = 0; i < nd->n_ifaces; i++) {
        const ln_ip6_addr *e = main_addr(nd->ifaces[i]);
        if (e) {
            push_in6(L, &e->addr);
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

static void neigh_visit(const ln_neigh *e, void *arg)
{
    lua_State *L = arg;
    char b[18];
    lua_createtable(L, 0, 5);
    push_in6(L, &e->ip6);
    lua_setfield(L, -2, "ip");
    if (e->state != LN_NUD_INCOMPLETE && e->state != LN_NUD_FAILED) {
        lua_pushstring(L, ln_mac_fmt(e->mac, b));
        lua_setfield(L, -2, "mac");
    }
    lua_pushstring(L, e->iface->name);
    lua_setfield(L, -2, "dev");
    lua_pushstring(L, ln_nud_state_name(e->state));
    lua_setfield(L, -2, "state");
    lua_pushboolean(L, e->router);
    lua_setfield(L, -2, "router");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

/* h:neigh6(): `ip -6 neigh`, by interface and address. */
static int node_neigh6(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:neigh6", LNL_OBSERVE);
    lua_newtable(L);
    luaL_checkstack(L, 8, NULL);
    ln_nd_foreach(NODE(h), neigh_visit, L);
    return 1;
}

/* ---- routes (from l_node.c) --------------------------------------------------- */

static const char *kind_name(ln_rt6_kind k)
{
    return k == LN_RT6_CONNECTED ? "kernel" : k == LN_RT6_STATIC ? "static" : "ra";
}

static void push_route6(lua_State *L, const ln_route6 *r)
{
    char b[LN_IN6_FMTLEN];
    lua_createtable(L, 0, 5);
    lua_pushfstring(L, "%s/%d", ln_ip6_fmt(&r->prefix, b), (int)r->plen);
    lua_setfield(L, -2, "dst");
    if (r->has_gw) {
        push_in6(L, &r->gateway);
        lua_setfield(L, -2, "via");
    }
    if (r->iface) {
        lua_pushstring(L, r->iface->name);
        lua_setfield(L, -2, "dev");
    }
    lua_pushinteger(L, r->metric);
    lua_setfield(L, -2, "metric");
    lua_pushstring(L, kind_name(r->kind));
    lua_setfield(L, -2, "proto");
}

void lnl_push_routes6(lua_State *L, ln_node *nd, int t)
{
    if (!nd->ip6) return;
    ln_time now = ln_net_now(nd->net);
    for (uint32_t i = 0; i < nd->ip6->routes.n; i++) {
        const ln_route6 *r = &nd->ip6->routes.v[i];
        if (now >= r->expires) continue;
        push_route6(L, r);
        lua_rawseti(L, t, (lua_Integer)lua_rawlen(L, t) + 1);
    }
}

int lnl_node_lookup6(lua_State *L, ln_node *nd, int arg, const char *fname)
{
    ln_in6 dst = lnl_argaddr6(L, arg, NULL, fname);
    const ln_route6 *r = nd->ip6 ? ln_route6_lookup(&nd->ip6->routes, &dst, ln_net_now(nd->net)) : NULL;
    if (r) push_route6(L, r);
    else lua_pushnil(L);
    return 1;
}

/* node:route(dst, via [, {metric=}]) / node:route(dst, {dev=, via=, metric=})
 * for IPv6: dst "2001:db8:2::/64", "::/0" or "default" with an IPv6 via. */
int lnl_node_route6(lua_State *L, ln_node *nd, const char *F)
{
    ln_route6 r = { .kind = LN_RT6_STATIC, .metric = 1024, .expires = LN_NEVER };
    const char *s = lnl_checkstring(L, 2, F);
    if (strcmp(s, "default") == 0) {
        r.plen = 0;
    } else {
        r.prefix = lnl_argaddr6(L, 2, &r.plen, F);
        if (r.plen == LN_NO_ADDR) r.plen = 128;
        ln_in6 m = r.prefix;
        ln_in6_mask(&m, r.plen);
        if (!ln_in6_eq(&m, &r.prefix)) {
            char b[LN_IN6_FMTLEN];
            lnl_argerror(L, 2, F, "destination \"%s\" has host bits set (did you mean %s/%d?)", s,
                         ln_ip6_fmt(&m, b), (int)r.plen);
        }
    }
    int opts = 0;
    if (lua_type(L, 3) == LUA_TSTRING) {
        r.gateway = lnl_argaddr6(L, 3, NULL, F);
        r.has_gw = true;
        if (!lua_isnoneornil(L, 4)) opts = 4;
    } else if (lua_type(L, 3) == LUA_TTABLE) {
        opts = 3;
    } else {
        lnl_argerror(L, 3, F, "expected a gateway address or a table {dev=, via=, metric=}, got %s",
                     luaL_typename(L, 3));
    }
    if (opts) {
        static const char *const known[] = {"dev", "via", "metric", NULL};
        lnl_checkopts(L, opts, F, known);
        if (lnl_optfield(L, opts, "via")) {
            if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: via must be an address string", F);
            char err[200];
            if (ln_ip6_parse(lua_tostring(L, -1), &r.gateway, NULL, err, sizeof err) != 0)
                luaL_error(L, "%s: via: %s", F, err);
            r.has_gw = true;
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, opts, "dev")) {
            r.iface = lnl_checkiface_of(L, lua_gettop(L), nd, "node:route: dev");
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, opts, "metric")) {
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > UINT32_MAX)
                luaL_error(L, "%s: metric must be an integer in 0..%I", F, (lua_Integer)UINT32_MAX);
            r.metric = (uint32_t)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    }
    if (!r.iface && !r.has_gw) luaL_error(L, "%s: a route needs a gateway or a {dev=} interface", F);
    char g[LN_IN6_FMTLEN];
    if (r.has_gw && ln_ip6_addr_find(nd, NULL, &r.gateway))
        luaL_error(L, "%s: gateway %s is %s's own address", F, ln_ip6_fmt(&r.gateway, g), nd->name);
    if (r.has_gw && !r.iface) {
        if (ln_in6_is_linklocal(&r.gateway)) {
            /* fe80:: is on every link: the first IPv6 interface, as for
             * link-local destinations (ln_ip6_route). */
            for (uint32_t i = 0; i < nd->n_ifaces && !r.iface; i++)
                if (nd->ifaces[i]->ip6) r.iface = nd->ifaces[i];
        } else {
            for (uint32_t i = 0; i < nd->n_ifaces && !r.iface; i++) {
                const ln_iface *c = nd->ifaces[i];
                for (uint32_t k = 0; c->ip6 && k < c->ip6->n_addr && !r.iface; k++) {
                    const ln_ip6_addr *e = c->ip6->addr[k];
                    if (!ln_in6_is_linklocal(&e->addr) && ln_in6_prefix_eq(&e->addr, &r.gateway, e->plen))
                        r.iface = nd->ifaces[i];
                }
            }
        }
        if (!r.iface)
            luaL_error(L, "%s: gateway %s is not on a network connected to %s (give its interface an "
                          "IPv6 address first)", F, ln_ip6_fmt(&r.gateway, g), nd->name);
    }
    if (!r.iface->ip6) {
        int rc = ln_ip6_enable(r.iface);
        if (rc) luaL_error(L, "%s: %s", F, ln_strerror(rc));
    }
    int rc = ln_route6_add(&nd->ip6->routes, &r);
    if (rc == LN_EEXIST) luaL_error(L, "%s: %s: the route already exists", F, s);
    if (rc != 0) luaL_error(L, "%s: %s", F, ln_strerror(rc));
    lua_settop(L, 1);
    return 1;
}

int lnl_node_unroute6(lua_State *L, ln_node *nd, const char *F)
{
    uint8_t plen;
    ln_in6 p = lnl_argaddr6(L, 2, &plen, F);
    if (plen == LN_NO_ADDR) plen = 128;
    ln_iface *ifc = lua_isnoneornil(L, 3) ? NULL : lnl_argiface(L, 3, nd, F);
    lua_pushinteger(L, nd->ip6 ? ln_route6_del(&nd->ip6->routes, &p, plen, ifc) : 0);
    return 1;
}

void lnl_open_ip6(lua_State *L)
{
    static const luaL_Reg iface_methods[] = {
        {"addr6", iface_addr6}, {"del_addr6", iface_del_addr6}, {"ipv6", iface_ipv6},
        {"ip6", iface_ip6}, {"ra", iface_ra}, {NULL, NULL},
    };
    static const luaL_Reg node_methods[] = {
        {"addr6", node_addr6}, {"ip6", node_ip6}, {"neigh6", node_neigh6}, {NULL, NULL},
    };
    lnl_getmethods(L, "Iface");
    luaL_setfuncs(L, iface_methods, 0);
    lua_pop(L, 1);
    lnl_getmethods(L, "Node");
    luaL_setfuncs(L, node_methods, 0);
    lua_pop(L, 1);
}
