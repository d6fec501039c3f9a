/* l_node.c - lunet.Node: hosts and routers (interfaces, addresses, routes,
 * neighbours, settings, counters, raw frames, tasks).
 *
 * Node handles index like tables: methods first (lunet._methods.Node, which
 * lunet/apps.lua extends with ping and traceroute), then the fields name,
 * is_router, net, then interface names (h.eth0). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "arp.h"
#include "mib.h"
#include "node.h"
#include "route.h"
#include "tcp.h"
#include "tcp_cc.h"
#include "lunet.h"

static lnl_handle *checknode(lua_State *L, const char *fname, lnl_access acc)
{
    return lnl_checkhandle(L, 1, LNL_NODE, fname, acc);
}
#define NODE(h) ((ln_node *)(h)->obj)

/* An error about a value: positional argument arg of fname, or with arg 0
 * an options-table field, "<fname>: <msg>" (fname then names the field,
 * "node:route: dev"). */
static int bad_value(lua_State *L, int arg, const char *fname, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    if (arg > 0) return lnl_argerror(L, arg, fname, "%s", msg);
    return luaL_error(L, "%s: %s", fname, msg);
}

static uint32_t check_addr(lua_State *L, int idx, int arg, uint8_t *plen, const char *fname)
{
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    if (!s) bad_value(L, arg, fname, "expected an address string, got %s", luaL_typename(L, idx));
    uint32_t a;
    char err[160];
    if (ln_ip_parse(s, &a, plen, err, sizeof err) != 0) bad_value(L, arg, fname, "%s", err);
    return a;
}

uint32_t lnl_argaddr(lua_State *L, int arg, uint8_t *plen, const char *fname)
{
    return check_addr(L, arg, arg, plen, fname);
}

uint32_t lnl_checkaddr(lua_State *L, int idx, uint8_t *plen, const char *ctx)
{
    return check_addr(L, idx, 0, plen, ctx);
}

static ln_iface *iface_of(lua_State *L, int idx, int arg, ln_node *nd, const char *fname)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *name = lua_tostring(L, idx);
        ln_iface *ifc = ln_node_iface(nd, name);
        if (ifc) return ifc;
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (uint32_t i = 0; i < nd->n_ifaces; i++) {
            if (i) luaL_addstring(&b, ", ");
            luaL_addstring(&b, nd->ifaces[i]->name);
        }
        luaL_pushresult(&b);
        bad_value(L, arg, fname, "%s has no interface \"%s\" (has: %s)", nd->name, name,
                  nd->n_ifaces ? lua_tostring(L, -1) : "none");
    }
    lnl_handle *h = luaL_testudata(L, idx, LNL_IFACE);
    if (!h) bad_value(L, arg, fname, "expected an interface (Iface or name), got %s",
                      luaL_typename(L, idx));
    ln_iface *ifc = h->obj;
    if (ifc->node != nd)
        bad_value(L, arg, fname, "interface %s belongs to %s, not %s", ifc->port.name,
                  ifc->node->name, nd->name);
    return ifc;
}

ln_iface *lnl_argiface(lua_State *L, int arg, ln_node *nd, const char *fname)
{
    return iface_of(L, arg, arg, nd, fname);
}

ln_iface *lnl_checkiface_of(lua_State *L, int idx, ln_node *nd, const char *ctx)
{
    return iface_of(L, idx, 0, nd, ctx);
}

static ln_iface *first_iface(lua_State *L, ln_node *nd, const char *fname)
{
    if (!nd->n_ifaces)
        luaL_error(L, "%s: %s has no interface yet (link it, or use add_iface)", fname, nd->name);
    return nd->ifaces[0];
}

static void push_prefix(lua_State *L, uint32_t a, uint8_t plen)
{
    char b[16];
    lua_pushfstring(L, "%s/%d", ln_ip_fmt(a, b), (int)plen);
}

/* ---- fields ------------------------------------------------------------ */

static int node_index(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_NODE);
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (!k || !h->n->net) { lua_pushnil(L); return 1; }
    ln_node *nd = NODE(h);
    if (strcmp(k, "name") == 0) lua_pushstring(L, nd->name);
    else if (strcmp(k, "is_router") == 0) lua_pushboolean(L, nd->forwarding);
    else if (strcmp(k, "net") == 0) lnl_push_net(L, h->n);
    else lnl_push_handle(L, h->n, ln_node_iface(nd, k), LNL_IFACE);
    return 1;
}

static int node_tostring(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_NODE);
    if (!h->n->net) lua_pushliteral(L, "lunet.Node(closed)");
    else lua_pushfstring(L, "lunet.Node(%s, %s)", NODE(h)->name,
                         NODE(h)->forwarding ? "router" : "host");
    return 1;
}

/* ---- interfaces -------------------------------------------------------- */

static int node_iface(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:iface", LNL_DESCRIBE);
    lnl_push_handle(L, h->n, ln_node_iface(NODE(h), lnl_checkstring(L, 2, "node:iface")), LNL_IFACE);
    return 1;
}

static int node_ifaces(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:ifaces", LNL_DESCRIBE);
    ln_node *nd = NODE(h);
    lua_createtable(L, (int)nd->n_ifaces, 0);
    for (uint32_t i = 0; i < nd->n_ifaces; i++) {
        lnl_push_handle(L, h->n, nd->ifaces[i], LNL_IFACE);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int node_add_iface(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:add_iface", LNL_RESHAPE);
    char err[160];
    const char *name = lua_isnoneornil(L, 2) ? NULL : lnl_checkstring(L, 2, "node:add_iface");
    ln_iface *ifc = ln_iface_new(NODE(h), name, err, sizeof err);
    if (!ifc) luaL_error(L, "node:add_iface: %s", err);
    lnl_push_handle(L, h->n, ifc, LNL_IFACE);
    return 1;
}

/* Shared with Iface:addr. */
int lnl_iface_addr(lua_State *L, ln_iface *ifc, int idx, const char *fname)
{
    if (lua_isnone(L, idx)) {
        if (ifc->plen == LN_NO_ADDR) lua_pushnil(L);
        else push_prefix(L, ifc->addr, ifc->plen);
        return 1;
    }
    uint32_t a = 0;
    uint8_t plen = LN_NO_ADDR;
    if (!(lua_isboolean(L, idx) && !lua_toboolean(L, idx))) {    /* false clears */
        a = lnl_argaddr(L, idx, &plen, fname);
        if (plen == LN_NO_ADDR)
            lnl_argerror(L, idx, fname, "address \"%s\": missing prefix length (like %s/24)",
                         lua_tostring(L, idx), lua_tostring(L, idx));
    }
    int rc = ln_iface_set_addr(ifc, a, plen);
    if (rc != 0) luaL_error(L, "%s: %s", fname, ln_strerror(rc));
    lua_settop(L, 1);
    return 1;
}

static int node_addr(lua_State *L)
{
    /* Reading an address describes the topology; setting one reshapes it. */
    lnl_handle *h = checknode(L, "node:addr", lua_gettop(L) >= 2 ? LNL_RESHAPE : LNL_DESCRIBE);
    ln_node *nd = NODE(h);
    if (lua_gettop(L) >= 3) {
        ln_iface *ifc = lnl_argiface(L, 2, nd, "node:addr");
        return lnl_iface_addr(L, ifc, 3, "node:addr");
    }
    if (lua_isnoneornil(L, 2) && !nd->n_ifaces) { lua_pushnil(L); return 1; }
    return lnl_iface_addr(L, first_iface(L, nd, "node:addr"), 2, "node:addr");
}

static int node_ip(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:ip", LNL_DESCRIBE);
    ln_node *nd = NODE(h);
    for (uint32_t i = 0; i < nd->n_ifaces; i++) {
        if (nd->ifaces[i]->plen == LN_NO_ADDR) continue;
        char b[16];
        lua_pushstring(L, ln_ip_fmt(nd->ifaces[i]->addr, b));
        return 1;
    }
    lua_pushnil(L);
    return 1;
}

/* ---- routes ------------------------------------------------------------ */

static void push_route(lua_State *L, const ln_route *r)
{
    char b[16];
    lua_createtable(L, 0, 5);
    push_prefix(L, r->prefix, r->plen);
    lua_setfield(L, -2, "dst");
    if (r->gateway) {
        lua_pushstring(L, ln_ip_fmt(r->gateway, b));
        lua_setfield(L, -2, "via");
    }
    if (r->iface) {
        lua_pushstring(L, r->iface->name);
        lua_setfield(L, -2, "dev");
    }
    lua_pushinteger(L, r->metric);
    lua_setfield(L, -2, "metric");
    lua_pushstring(L, r->kind == LN_RT_CONNECTED ? "kernel" : "static");
    lua_setfield(L, -2, "proto");
}

static void check_prefix(lua_State *L, int idx, uint32_t *pfx, uint8_t *plen, const char *fname)
{
    const char *s = lnl_checkstring(L, idx, fname);
    if (strcmp(s, "default") == 0) { *pfx = 0; *plen = 0; return; }
    *pfx = lnl_argaddr(L, idx, plen, fname);
    if (*plen == LN_NO_ADDR) *plen = 32;               /* a host route */
    if (*pfx & ~ln_mask(*plen)) {
        char b[16];
        lnl_argerror(L, idx, fname, "destination \"%s\" has host bits set (did you mean %s/%d?)", s,
                     ln_ip_fmt(*pfx & ln_mask(*plen), b), (int)*plen);
    }
}

static const char *const route_opts[] = {"dev", "via", "metric", NULL};

/* h:route(dst, via), h:route(dst, {dev=, via=, metric=}), h:route(dst, via, {metric=}) */
static int node_route(lua_State *L)
{
    const char *F = "node:route";
    lnl_handle *h = checknode(L, F, LNL_DRIVE);
    ln_node *nd = NODE(h);
    /* IPv6 when the destination or the gateway is one (l_ip6.c). */
    int top = lua_gettop(L);
    bool v6 = (lua_type(L, 2) == LUA_TSTRING && ln_ip6_looks(lua_tostring(L, 2))) ||
              (lua_type(L, 3) == LUA_TSTRING && ln_ip6_looks(lua_tostring(L, 3))) ||
              (lua_type(L, 3) == LUA_TTABLE && lua_getfield(L, 3, "via") == LUA_TSTRING &&
               ln_ip6_looks(lua_tostring(L, -1)));
    lua_settop(L, top);
    if (v6) return lnl_node_route6(L, nd, F);
    ln_route r = {0};
    r.kind = LN_RT_STATIC;
    check_prefix(L, 2, &r.prefix, &r.plen, F);
    int opts = 0;
    if (lua_type(L, 3) == LUA_TSTRING) {
        r.gateway = lnl_argaddr(L, 3, NULL, F);
        if (!lua_isnoneornil(L, 4)) opts = 4;
    } else if (lua_type(L, 3) == LUA_TTABLE) {
        opts = 3;
    } else {
        lnl_argerror(L, 3, F, "expected a gateway address or a table {dev=, via=, metric=}, got %s",
                     luaL_typename(L, 3));
    }
    if (opts) {
        lnl_checkopts(L, opts, F, route_opts);
        if (lnl_optfield(L, opts, "via")) {
            r.gateway = lnl_checkaddr(L, -1, NULL, "node:route: via");
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, opts, "dev")) {
            r.iface = lnl_checkiface_of(L, lua_gettop(L), nd, "node:route: dev");
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, opts, "metric")) {
            if (!lua_isinteger(L, -1))
                luaL_error(L, "%s: metric must be an integer, got %s", F, luaL_typename(L, -1));
            lua_Integer m = lua_tointeger(L, -1);
            if (m < 0 || m > UINT32_MAX) luaL_error(L, "%s: metric %I out of range (0..%I)", F, m,
                                                    (lua_Integer)UINT32_MAX);
            r.metric = (uint32_t)m;
            lua_pop(L, 1);
        }
    }
    if (!r.iface && !r.gateway)
        luaL_error(L, "%s: a route needs a gateway or a {dev=} interface", F);
    char g[16];
    if (r.gateway && ln_node_has_addr(nd, r.gateway)) {
        /* Linux refuses it too ("Nexthop has invalid gateway"): packets
         * sent to ourselves as the next hop would go nowhere. */
        luaL_error(L, "%s: gateway %s is %s's own address (a gateway is another host on a "
                      "connected network; for an on-link route use {dev = ...})",
                   F, ln_ip_fmt(r.gateway, g), nd->name);
    }
    if (r.gateway && !r.iface) {
        /* The interface whose connected network holds the gateway, as
         * `ip route add ... via GW` requires. */
        for (uint32_t i = 0; i < nd->n_ifaces && !r.iface; i++) {
            ln_iface *ifc = nd->ifaces[i];
            if (ifc->plen != LN_NO_ADDR &&
                (ifc->addr & ln_mask(ifc->plen)) == (r.gateway & ln_mask(ifc->plen)))
                r.iface = ifc;
        }
        if (!r.iface)
            luaL_error(L, "%s: gateway %s is not on a network connected to %s (address its "
                          "interface first)", F, ln_ip_fmt(r.gateway, g), nd->name);
    }
    int rc = ln_route_add(&nd->routes, &r);
    if (rc == LN_EEXIST) {
        luaL_error(L, "%s: %s: the route already exists", F, lua_tostring(L, 2));
    } else if (rc != 0) {
        luaL_error(L, "%s: %s", F, ln_strerror(rc));
    }
    lua_settop(L, 1);
    return 1;
}

static int node_gateway(lua_State *L)
{
    /* Checked here first: node_route sees it one argument later, and
     * would name its own function. */
    checknode(L, "node:gateway", LNL_DRIVE);
    if (lua_type(L, 2) == LUA_TSTRING && ln_ip6_looks(lua_tostring(L, 2))) lnl_argaddr6(L, 2, NULL, "node:gateway");
    else lnl_argaddr(L, 2, NULL, "node:gateway");
    lua_settop(L, 2);
    lua_pushliteral(L, "default");
    lua_insert(L, 2);
    return node_route(L);
}

static int node_unroute(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:unroute", LNL_DRIVE);
    if (lua_type(L, 2) == LUA_TSTRING && ln_ip6_looks(lua_tostring(L, 2)))
        return lnl_node_unroute6(L, NODE(h), "node:unroute");
    uint32_t pfx;
    uint8_t plen;
    check_prefix(L, 2, &pfx, &plen, "node:unroute");
    ln_iface *ifc = lua_isnoneornil(L, 3) ? NULL : lnl_argiface(L, 3, NODE(h), "node:unroute");
    lua_pushinteger(L, ln_route_del(&NODE(h)->routes, pfx, plen, ifc));
    return 1;
}

static int node_routes(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:routes", LNL_OBSERVE);
    const ln_rtable *t = &NODE(h)->routes;
    lua_createtable(L, (int)t->n, 0);
    for (uint32_t i = 0; i < t->n; i++) {
        push_route(L, &t->v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lnl_push_routes6(L, NODE(h), lua_gettop(L));
    return 1;
}

static int node_lookup(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:lookup", LNL_OBSERVE);
    if (lua_type(L, 2) == LUA_TSTRING && ln_ip6_looks(lua_tostring(L, 2)))
        return lnl_node_lookup6(L, NODE(h), 2, "node:lookup");
    uint32_t dst = lnl_argaddr(L, 2, NULL, "node:lookup");
    const ln_route *r = ln_route_lookup(&NODE(h)->routes, dst);
    if (r) push_route(L, r);
    else lua_pushnil(L);
    return 1;
}

/* ---- neighbours -------------------------------------------------------- */

static void arp_visit(const ln_neigh *e, void *arg)
{
    lua_State *L = arg;
    char b[18];
    lua_createtable(L, 0, 5);
    lua_pushstring(L, ln_ip_fmt(e->ip, b));
    lua_setfield(L, -2, "ip");
    if (e->state != LN_NUD_INCOMPLETE && e->state != LN_NUD_FAILED) {
        lua_pushstring(L, ln_mac_fmt(e->mac, b));
        lua_setfield(L, -2, "mac");
    }
    if (e->iface) {
        lua_pushstring(L, e->iface->name);
        lua_setfield(L, -2, "dev");
    }
    lua_pushstring(L, e->permanent ? "PERMANENT" : ln_nud_state_name(e->state));
    lua_setfield(L, -2, "state");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

static int node_arp(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:arp", LNL_OBSERVE);
    lua_newtable(L);
    luaL_checkstack(L, 8, NULL);
    ln_arp_foreach(NODE(h), arp_visit, L);
    return 1;
}

static void check_mac(lua_State *L, int idx, uint8_t mac[6], const char *fname)
{
    const char *s = lnl_checkstring(L, idx, fname);
    if (!ln_mac_parse(s, mac))
        lnl_argerror(L, idx, fname, "MAC address \"%s\": expected six hex bytes like 02:00:00:00:00:01", s);
}

static int node_arp_set(lua_State *L)
{
    const char *F = "node:arp_set";
    lnl_handle *h = checknode(L, F, LNL_DRIVE);
    ln_node *nd = NODE(h);
    uint32_t ip = lnl_argaddr(L, 2, NULL, F);
    uint8_t mac[6];
    check_mac(L, 3, mac, F);
    ln_iface *ifc = NULL;
    bool temporary = false;
    if (!lua_isnoneornil(L, 5)) {
        static const char *const known[] = {"temporary", NULL};
        lnl_checkopts(L, 5, F, known);
        if (lnl_optfield(L, 5, "temporary")) {
            temporary = lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
    }
    if (!lua_isnoneornil(L, 4)) {
        ifc = lnl_argiface(L, 4, nd, F);
    } else {
        for (uint32_t i = 0; i < nd->n_ifaces && !ifc; i++) {
            ln_iface *c = nd->ifaces[i];
            if (c->plen != LN_NO_ADDR && (c->addr & ln_mask(c->plen)) == (ip & ln_mask(c->plen))) ifc = c;
        }
        if (!ifc) ifc = first_iface(L, nd, F);
    }
    int rc = temporary ? ln_arp_learn(nd, ifc, ip, mac) : ln_arp_set(nd, ifc, ip, mac);
    if (rc != 0) luaL_error(L, "%s: %s", F, ln_strerror(rc));
    lua_settop(L, 1);
    return 1;
}

static int node_arp_flush(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:arp_flush", LNL_DRIVE);
    ln_iface *ifc = lua_isnoneornil(L, 2) ? NULL : lnl_argiface(L, 2, NODE(h), "node:arp_flush");
    ln_arp_flush(NODE(h), ifc);
    return 0;
}

/* ---- settings and counters --------------------------------------------- */

static int node_forwarding(lua_State *L)
{
    /* Whether a node forwards is whether it is a router: topology. */
    lnl_handle *h = checknode(L, "node:forwarding", lua_isnone(L, 2) ? LNL_DESCRIBE : LNL_RESHAPE);
    if (!lua_isnone(L, 2)) {
        if (!lua_isboolean(L, 2)) lnl_typeerror(L, 2, "node:forwarding", "boolean");
        NODE(h)->forwarding = lua_toboolean(L, 2);
    }
    lua_pushboolean(L, NODE(h)->forwarding);
    return 1;
}

typedef enum { K_U8, K_U32, K_TIME, K_BOOL, K_FORWARD, K_I64, K_STR, K_U32X3, K_PORTS } sysctl_kind;

/* Where a setting lives: the node's own settings (inet ones such as
 * ip_local_port_range too) or its TCP stack's (ln_tcp_cfg_of). */
enum { B_NODE, B_TCP };

#define NODE_KEY(name, kind, field, lo, hi) {name, kind, B_NODE, offsetof(ln_node_cfg, field), lo, hi}
#define TCP_KEY(name, kind, field, lo, hi) {name, kind, B_TCP, offsetof(ln_tcp_cfg, field), lo, hi}

/* Names are Linux's; times are set like any lunet time and read back in
 * seconds, what a number means when set. */
static const struct sysctl {
    const char *name;
    sysctl_kind kind;
    int base;
    size_t off;
    int64_t min, max;
} sysctls[] = {
    NODE_KEY("net.ipv4.ip_default_ttl", K_U8, ip_default_ttl, 1, 255),
    {"net.ipv4.ip_forward", K_FORWARD, B_NODE, 0, 0, 1},
    NODE_KEY("net.ipv4.ipfrag_time", K_TIME, ipfrag_time, 0, 0),
    NODE_KEY("net.ipv4.ipfrag_high_thresh", K_U32, ipfrag_high_thresh, 0, UINT32_MAX),
    NODE_KEY("net.ipv4.icmp_echo_ignore_all", K_BOOL, icmp_echo_ignore_all, 0, 1),
    NODE_KEY("net.ipv4.icmp_ratelimit", K_TIME, icmp_ratelimit, 0, 0),
    NODE_KEY("net.ipv4.icmp_ratemask", K_U32, icmp_ratemask, 0, UINT32_MAX),
    NODE_KEY("net.ipv4.icmp_msgs_per_sec", K_U32, icmp_msgs_per_sec, 0, INT32_MAX),
    NODE_KEY("net.ipv4.icmp_msgs_burst", K_U32, icmp_msgs_burst, 0, INT32_MAX),
    NODE_KEY("net.ipv4.conf.all.arp_accept", K_BOOL, arp_accept, 0, 1),
    NODE_KEY("net.ipv4.neigh.default.base_reachable_time", K_TIME, arp_reachable_time, 0, 0),
    NODE_KEY("net.ipv4.neigh.default.retrans_time", K_TIME, arp_retrans_time, 0, 0),
    NODE_KEY("net.ipv4.neigh.default.gc_stale_time", K_TIME, arp_gc_stale_time, 0, 0),
    NODE_KEY("net.ipv4.neigh.default.delay_first_probe_time", K_TIME, arp_delay_first_probe, 0, 0),
    NODE_KEY("net.ipv4.neigh.default.mcast_solicit", K_U32, arp_mcast_solicit, 1, 255),
    NODE_KEY("net.ipv4.neigh.default.ucast_solicit", K_U32, arp_ucast_solicit, 0, 255),
    NODE_KEY("net.ipv4.neigh.default.unres_qlen", K_U32, arp_unres_qlen, 0, 65535),
    NODE_KEY("net.ipv4.neigh.default.gc_thresh1", K_U32, arp_gc_thresh1, 0, INT32_MAX),
    NODE_KEY("net.ipv4.neigh.default.gc_thresh2", K_U32, arp_gc_thresh2, 0, INT32_MAX),
    NODE_KEY("net.ipv4.neigh.default.gc_thresh3", K_U32, arp_gc_thresh3, 0, INT32_MAX),
    /* IPv6 (its neighbour table shares the settings above) */
    NODE_KEY("net.ipv6.conf.default.hop_limit", K_U8, ip6_hop_limit, 1, 255),
    NODE_KEY("net.ipv6.conf.default.accept_ra", K_BOOL, ip6_accept_ra, 0, 1),
    NODE_KEY("net.ipv6.conf.default.autoconf", K_BOOL, ip6_autoconf, 0, 1),
    NODE_KEY("net.ipv6.conf.default.dad_transmits", K_U32, ip6_dad_transmits, 0, 255),
    NODE_KEY("net.ipv6.conf.default.router_solicitations", K_U32, ip6_rtr_solicits, 0, 255),
    NODE_KEY("net.ipv6.conf.default.router_solicitation_interval", K_TIME, ip6_rtr_solicit_interval, 0, 0),
    NODE_KEY("net.ipv6.conf.default.router_solicitation_delay", K_TIME, ip6_rtr_solicit_delay, 0, 0),
    NODE_KEY("net.ipv6.ip6frag_time", K_TIME, ip6frag_time, 0, 0),
    NODE_KEY("net.ipv6.route.mtu_expires", K_TIME, ip6_mtu_expires, 0, 0),
    NODE_KEY("net.ipv6.icmp.echo_ignore_all", K_BOOL, icmp6_echo_ignore_all, 0, 1),
    NODE_KEY("net.ipv6.icmp.ratelimit", K_TIME, icmp6_ratelimit, 0, 0),
    /* TCP (Documentation/networking/ip-sysctl.rst; ranges as Linux checks them) */
    TCP_KEY("net.ipv4.tcp_syn_retries", K_U32, syn_retries, 1, 127),
    TCP_KEY("net.ipv4.tcp_synack_retries", K_U32, synack_retries, 0, 255),
    TCP_KEY("net.ipv4.tcp_syn_linear_timeouts", K_U32, syn_linear_timeouts, 0, 255),
    TCP_KEY("net.ipv4.tcp_retries1", K_U32, retries1, 0, 255),
    TCP_KEY("net.ipv4.tcp_retries2", K_U32, retries2, 0, 255),
    TCP_KEY("net.ipv4.tcp_orphan_retries", K_U32, orphan_retries, 0, 255),
    TCP_KEY("net.ipv4.tcp_fin_timeout", K_TIME, fin_timeout, 0, 0),
    TCP_KEY("net.ipv4.tcp_max_syn_backlog", K_U32, max_syn_backlog, 1, 1 << 24),
    TCP_KEY("net.core.somaxconn", K_U32, somaxconn, 0, 1 << 24),
    TCP_KEY("net.ipv4.tcp_syncookies", K_U32, syncookies, 0, 2),
    TCP_KEY("net.ipv4.tcp_sack", K_BOOL, sack, 0, 1),
    TCP_KEY("net.ipv4.tcp_dsack", K_BOOL, dsack, 0, 1),
    TCP_KEY("net.ipv4.tcp_timestamps", K_BOOL, timestamps, 0, 1),
    TCP_KEY("net.ipv4.tcp_window_scaling", K_BOOL, window_scaling, 0, 1),
    TCP_KEY("net.ipv4.tcp_rmem", K_U32X3, rmem, 1, INT32_MAX),
    TCP_KEY("net.ipv4.tcp_wmem", K_U32X3, wmem, 1, INT32_MAX),
    TCP_KEY("net.core.rmem_max", K_U32, rmem_max, 1, INT32_MAX),
    TCP_KEY("net.core.wmem_max", K_U32, wmem_max, 1, INT32_MAX),
    TCP_KEY("net.ipv4.tcp_rto_min", K_TIME, rto_min, 0, 0),
    TCP_KEY("net.ipv4.tcp_rto_max", K_TIME, rto_max, 0, 0),
    TCP_KEY("net.ipv4.tcp_congestion_control", K_STR, congestion, 0, 0),
    TCP_KEY("net.ipv4.tcp_reordering", K_U32, reordering, 1, 1024),
    TCP_KEY("net.ipv4.tcp_recovery", K_U32, recovery, 0, 7),
    TCP_KEY("net.ipv4.tcp_early_retrans", K_U32, early_retrans, 0, 4),
    TCP_KEY("net.ipv4.tcp_frto", K_U32, frto, 0, 2),
    TCP_KEY("net.ipv4.tcp_keepalive_time", K_TIME, keepalive_time, 0, 0),
    TCP_KEY("net.ipv4.tcp_keepalive_intvl", K_TIME, keepalive_intvl, 0, 0),
    TCP_KEY("net.ipv4.tcp_keepalive_probes", K_U32, keepalive_probes, 0, 255),
    TCP_KEY("net.ipv4.tcp_invalid_ratelimit", K_TIME, invalid_ratelimit, 0, 0),
    TCP_KEY("net.ipv4.tcp_challenge_ack_limit", K_U32, challenge_ack_limit, 0, UINT32_MAX),
    NODE_KEY("net.ipv4.ip_local_port_range", K_PORTS, port_lo, 1, 65535),
    TCP_KEY("net.ipv4.tcp_slow_start_after_idle", K_BOOL, slow_start_after_idle, 0, 1),
    TCP_KEY("net.ipv4.tcp_max_tw_buckets", K_U32, max_tw_buckets, 0, UINT32_MAX),
    TCP_KEY("net.ipv4.tcp_base_mss", K_U32, base_mss, 88, 65535),
    /* Read-only in Linux, whose table is sized once (thash_entries at boot,
     * a parent's tcp_child_ehash_entries for a namespace); here settable,
     * with the same range. */
    TCP_KEY("net.ipv4.tcp_ehash_entries", K_U32, ehash_entries, 0, 1 << 24),
    /* lunet's own */
    TCP_KEY("net.ipv4.tcp_msl", K_TIME, msl, 0, 0),
    TCP_KEY("net.ipv4.tcp_fixed_isn", K_I64, fixed_isn, -1, UINT32_MAX),
    TCP_KEY("net.ipv4.tcp_initial_cwnd", K_U32, initial_cwnd, 1, 65535),
    {NULL, 0, 0, 0, 0, 0},
};

/* The setting's storage, or NULL (no TCP stack on the node). */
static char *sysctl_ptr(ln_node *nd, const struct sysctl *s)
{
    if (s->base == B_NODE) return (char *)&nd->cfg + s->off;
    ln_tcp_cfg *c = nd->tcp ? ln_tcp_cfg_of(nd) : NULL;
    return c ? (char *)c + s->off : NULL;
}

static void push_sysctl(lua_State *L, ln_node *nd, const struct sysctl *s)
{
    char *p = sysctl_ptr(nd, s);
    if (!p) { lua_pushnil(L); return; }
    switch (s->kind) {
    case K_U8: lua_pushinteger(L, *(uint8_t *)p); break;
    case K_U32: lua_pushinteger(L, *(uint32_t *)p); break;
    case K_TIME: lnl_push_time(L, *(ln_time *)p); break;
    case K_BOOL: lua_pushinteger(L, *(bool *)p ? 1 : 0); break;
    case K_FORWARD: lua_pushinteger(L, nd->forwarding ? 1 : 0); break;
    case K_I64: lua_pushinteger(L, (lua_Integer)*(int64_t *)p); break;
    case K_STR: lua_pushstring(L, p); break;
    case K_U32X3:
        lua_createtable(L, 3, 0);
        for (int i = 0; i < 3; i++) {
            lua_pushinteger(L, ((uint32_t *)p)[i]);
            lua_rawseti(L, -2, i + 1);
        }
        break;
    case K_PORTS: {
        const ln_node_cfg *c = &nd->cfg;
        lua_createtable(L, 2, 0);
        lua_pushinteger(L, c->port_lo);
        lua_rawseti(L, -2, 1);
        lua_pushinteger(L, c->port_hi);
        lua_rawseti(L, -2, 2);
        break;
    }
    }
}

/* A bad value for key s: argument arg of fname, the key named first. */
static int bad_sysctl(lua_State *L, int arg, const char *fname, const struct sysctl *s,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    return lnl_argerror(L, arg, fname, "%s: %s", s->name, msg);
}

/* Integer i of the table at idx (1-based), in lo..hi. */
static lua_Integer table_int(lua_State *L, int idx, int i, const struct sysctl *s, const char *fname)
{
    lua_rawgeti(L, idx, i);
    if (!lua_isinteger(L, -1))
        bad_sysctl(L, idx, fname, s, "element %d must be an integer, got %s", i, luaL_typename(L, -1));
    lua_Integer v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (v < s->min || v > s->max)
        bad_sysctl(L, idx, fname, s, "element %d (%I) out of range (%I..%I)", i, v,
                   (lua_Integer)s->min, (lua_Integer)s->max);
    return v;
}

/* Set key s from argument idx of fname. */
static void set_sysctl(lua_State *L, ln_node *nd, const struct sysctl *s, int idx, const char *fname)
{
    char *p = sysctl_ptr(nd, s);
    switch (s->kind) {
    case K_TIME:
        *(ln_time *)p = lnl_argtime(L, idx, fname, s->name);
        return;
    case K_STR: {
        const char *v = lua_tostring(L, idx);
        if (lua_type(L, idx) != LUA_TSTRING)
            bad_sysctl(L, idx, fname, s, "expected a string, got %s", luaL_typename(L, idx));
        if (!ln_tcp_cc_find(v))
            bad_sysctl(L, idx, fname, s, "\"%s\" unknown (known: %s)", v, ln_tcp_cc_names());
        snprintf(p, sizeof ((ln_tcp_cfg *)0)->congestion, "%s", v);
        return;
    }
    case K_U32X3: {
        if (!lua_istable(L, idx) || lua_rawlen(L, idx) != 3)
            bad_sysctl(L, idx, fname, s, "expected a table of 3 sizes {min, default, max}");
        uint32_t v[3];
        for (int i = 0; i < 3; i++) v[i] = (uint32_t)table_int(L, idx, i + 1, s, fname);
        if (v[0] > v[1] || v[1] > v[2]) bad_sysctl(L, idx, fname, s, "expected min <= default <= max");
        memcpy(p, v, sizeof v);
        return;
    }
    case K_PORTS: {
        if (!lua_istable(L, idx) || lua_rawlen(L, idx) != 2)
            bad_sysctl(L, idx, fname, s, "expected a table of 2 ports {low, high}");
        lua_Integer lo = table_int(L, idx, 1, s, fname);
        lua_Integer hi = table_int(L, idx, 2, s, fname);
        if (lo > hi) bad_sysctl(L, idx, fname, s, "the low port %I is above the high port %I", lo, hi);
        nd->cfg.port_lo = (uint16_t)lo;
        nd->cfg.port_hi = (uint16_t)hi;
        return;
    }
    default:
        break;
    }
    lua_Integer v;
    if (lua_isboolean(L, idx)) v = lua_toboolean(L, idx);
    else if (lua_isinteger(L, idx)) v = lua_tointeger(L, idx);
    else return (void)bad_sysctl(L, idx, fname, s, "expected an integer, got %s", luaL_typename(L, idx));
    if (v < s->min || v > s->max)
        bad_sysctl(L, idx, fname, s, "%I out of range (%I..%I)", v, (lua_Integer)s->min,
                   (lua_Integer)s->max);
    switch (s->kind) {
    case K_U8: *(uint8_t *)p = (uint8_t)v; break;
    case K_U32: *(uint32_t *)p = (uint32_t)v; break;
    case K_BOOL: *(bool *)p = v != 0; break;
    case K_FORWARD: nd->forwarding = v != 0; break;
    case K_I64: *(int64_t *)p = v; break;
    default: break;
    }
}

static int node_sysctl(lua_State *L)
{
    const char *F = "node:sysctl";
    lnl_handle *h = checknode(L, F, LNL_DESCRIBE);      /* the key decides, below */
    ln_node *nd = NODE(h);
    if (lua_isnoneornil(L, 2)) {                         /* sysctl -a */
        checknode(L, F, LNL_OBSERVE);
        lua_newtable(L);
        for (const struct sysctl *s = sysctls; s->name; s++) {
            push_sysctl(L, nd, s);
            lua_setfield(L, -2, s->name);
        }
        return 1;
    }
    const char *k = lnl_checkstring(L, 2, F);
    const struct sysctl *s = sysctls;
    while (s->name && strcmp(s->name, k) != 0) s++;
    if (!s->name) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (const struct sysctl *t = sysctls; t->name; t++) {
            if (t != sysctls) luaL_addstring(&b, ", ");
            luaL_addstring(&b, t->name);
        }
        luaL_pushresult(&b);
        lnl_argerror(L, 2, F, "unknown key \"%s\" (known: %s)", k, lua_tostring(L, -1));
    }
    /* A setting its tasks may change is the host's state; ip_forward is
     * whether it is a router, which every rank knows. */
    if (s->kind == K_FORWARD) checknode(L, F, lua_isnone(L, 3) ? LNL_DESCRIBE : LNL_RESHAPE);
    else checknode(L, F, lua_isnone(L, 3) ? LNL_OBSERVE : LNL_DRIVE);
    if (!sysctl_ptr(nd, s)) luaL_error(L, "%s: %s: %s has no TCP stack", F, s->name, nd->name);
    if (!lua_isnone(L, 3)) set_sysctl(L, nd, s, 3, F);
    push_sysctl(L, nd, s);
    return 1;
}

static int node_netstat(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:netstat", LNL_OBSERVE);
    lua_createtable(L, 0, LN_MIB__COUNT);
    for (int i = 0; i < LN_MIB__COUNT; i++) {
        lua_pushinteger(L, (lua_Integer)NODE(h)->mib[i]);
        lua_setfield(L, -2, ln_mib_names[i]);
    }
    return 1;
}

static int node_drops(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:drops", LNL_OBSERVE);
    lnl_push_drops(L, NODE(h)->drops);
    return 1;
}

static int node_spawn(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:spawn", LNL_DRIVE);
    return lnl_spawn(L, h->n, NODE(h), 2, "node:spawn");
}

/* ---- raw frames -------------------------------------------------------- */

static ln_pkt *frame_arg(lua_State *L, lnl_handle *h, const char *fname)
{
    size_t len;
    if (lua_type(L, 3) != LUA_TSTRING) lnl_typeerror(L, 3, fname, "string of frame bytes");
    const char *bytes = lua_tolstring(L, 3, &len);
    if (len > 65535) lnl_argerror(L, 3, fname, "frame of %d bytes is too large (max 65535)", (int)len);
    ln_pkt *p = ln_net_pkt(h->n->net, (uint32_t)len);
    if (!p) luaL_error(L, "%s: out of packet buffers", fname);
    memcpy(p->data, bytes, len);
    return p;
}

static int node_send_frame(lua_State *L)
{
    lnl_handle *h = checknode(L, "node:send_frame", LNL_DRIVE);
    ln_iface *ifc = lnl_argiface(L, 2, NODE(h), "node:send_frame");
    ln_iface_xmit(ifc, frame_arg(L, h, "node:send_frame"));
    return 0;
}

void lnl_open_node(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"iface", node_iface}, {"ifaces", node_ifaces}, {"add_iface", node_add_iface},
        {"addr", node_addr}, {"ip", node_ip},
        {"route", node_route}, {"gateway", node_gateway}, {"unroute", node_unroute},
        {"routes", node_routes}, {"lookup", node_lookup},
        {"arp", node_arp}, {"arp_set", node_arp_set}, {"arp_flush", node_arp_flush},
        {"forwarding", node_forwarding}, {"sysctl", node_sysctl},
        {"netstat", node_netstat}, {"drops", node_drops}, {"spawn", node_spawn},
        {"icmp_socket", lnl_node_icmp_socket},
        {"send_frame", node_send_frame},   /* inject, deliver: l_inject.c */
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", node_index}, {"__tostring", node_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_NODE, "Node", methods, meta);
}
