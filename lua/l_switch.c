/* l_switch.c - lunet.Switch: learning switches and hubs (forwarding table,
 * aging, counters).  Ports are made by net:link(sw, ...). */
#include <string.h>

#include "node.h"
#include "switch.h"
#include "lunet.h"

#define SW(h) ((ln_switch *)(h)->obj)

static lnl_handle *checksw(lua_State *L, const char *fname, lnl_access acc)
{
    return lnl_checkhandle(L, 1, LNL_SWITCH, fname, acc);
}

static int sw_index(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_SWITCH);
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (!k || !h->n->net) { lua_pushnil(L); return 1; }
    if (strcmp(k, "name") == 0) lua_pushstring(L, SW(h)->name);
    else if (strcmp(k, "is_hub") == 0) lua_pushboolean(L, SW(h)->hub);
    else lua_pushnil(L);
    return 1;
}

static int sw_tostring(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_SWITCH);
    if (!h->n->net) lua_pushliteral(L, "lunet.Switch(closed)");
    else lua_pushfstring(L, "lunet.Switch(%s, %s)", SW(h)->name, SW(h)->hub ? "hub" : "switch");
    return 1;
}

typedef struct fdb_ctx { lua_State *L; ln_time now; } fdb_ctx;

static void fdb_visit(const ln_fdb_entry *e, void *arg)
{
    fdb_ctx *c = arg;
    lua_State *L = c->L;
    char b[18];
    lua_createtable(L, 0, 3);
    lua_pushstring(L, ln_mac_fmt(e->mac, b));
    lua_setfield(L, -2, "mac");
    lua_pushinteger(L, (lua_Integer)e->port + 1);   /* ports are named p1, p2, ... */
    lua_setfield(L, -2, "port");
    lua_pushinteger(L, (lua_Integer)(c->now - e->seen));
    lua_setfield(L, -2, "age");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

static int sw_fdb(lua_State *L)
{
    lnl_handle *h = checksw(L, "switch:fdb", LNL_OBSERVE);
    fdb_ctx c = { L, ln_net_now(h->n->net) };
    lua_newtable(L);
    luaL_checkstack(L, 8, NULL);
    ln_switch_foreach(SW(h), fdb_visit, &c);
    return 1;
}

static int sw_flush(lua_State *L)
{
    ln_switch_flush(SW(checksw(L, "switch:flush", LNL_DRIVE)));
    return 0;
}

static int sw_aging(lua_State *L)
{
    lnl_handle *h = checksw(L, "switch:aging", lua_isnone(L, 2) ? LNL_OBSERVE : LNL_DRIVE);
    if (!lua_isnone(L, 2)) SW(h)->aging = lnl_argtime(L, 2, "switch:aging", NULL);
    lnl_push_time(L, SW(h)->aging);
    return 1;
}

static int sw_stats(lua_State *L)
{
#define C(field) LNL_COUNTER(ln_switch_stats, field)
    static const lnl_counter counters[] = {
        C(rx), C(forwarded), C(flooded), C(filtered), C(learned), C(moved), C(aged), {NULL, 0},
    };
#undef C
    lnl_push_counters(L, &SW(checksw(L, "switch:stats", LNL_OBSERVE))->st, counters);
    return 1;
}

static int sw_ports(lua_State *L)
{
    lua_pushinteger(L, SW(checksw(L, "switch:ports", LNL_DESCRIBE))->n_ports);
    return 1;
}

void lnl_open_switch(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"fdb", sw_fdb}, {"flush", sw_flush}, {"aging", sw_aging},
        {"stats", sw_stats}, {"ports", sw_ports}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", sw_index}, {"__tostring", sw_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_SWITCH, "Switch", methods, meta);
}
