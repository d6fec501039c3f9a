/* l_net.c - lunet.Net: the userdata that owns an ln_net, the handle cache,
 * and the network-level methods that are not drivers, links, captures or
 * hooks (those live in l_run.c, l_link.c, l_capture.c, l_event.c).
 *
 * Lifetime: handles (Node, Iface, Link, Switch, Capture, Task, IcmpSocket)
 * keep the Net userdata alive through their user value, so the ln_net is
 * freed only when nothing in Lua can reach it, or explicitly by net:close()
 * (also __close, and lnl_close_all at exit).  After that every handle finds
 * n->net == NULL and raises instead of touching freed memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "dist.h"
#include "link.h"
#include "node.h"
#include "switch.h"
#include "trace.h"
#include "lunet.h"

/* ---- handles and the cache --------------------------------------------- */

bool lnl_push_net(lua_State *L, lnl_net *n)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_BYPTR);
    lua_rawgetp(L, -1, n);
    lua_remove(L, -2);
    return !lua_isnil(L, -1);
}

void lnl_push_uv(lua_State *L, lnl_net *n)
{
    if (!lnl_push_net(L, n)) luaL_error(L, "lunet: network is being collected");
    lua_getiuservalue(L, -1, 1);
    lua_remove(L, -2);
}

/* Open sockets are held by their network, not only by the script: a
 * socket nobody closes stays open until its network closes, as a leaked
 * descriptor stays open until the process exits.  Closing it when the
 * collector found it unreachable would put a FIN or RST on the wire at a
 * moment that depends on the collector (and on Lua's per-process string
 * hash seed), and the same script would give other pcaps. */
void lnl_anchor(lua_State *L, lnl_net *n, int idx, const void *key)
{
    idx = lua_absindex(L, idx);
    lnl_push_uv(L, n);
    if (lua_getfield(L, -1, "anchors") == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "anchors");
    }
    lua_pushvalue(L, idx);
    lua_rawsetp(L, -2, key);
    lua_pop(L, 2);
}

void lnl_unanchor(lua_State *L, lnl_net *n, const void *key)
{
    if (!lnl_push_net(L, n)) {                /* the network is being collected */
        lua_pop(L, 1);
        return;
    }
    lua_getiuservalue(L, -1, 1);
    if (lua_type(L, -1) == LUA_TTABLE && lua_getfield(L, -1, "anchors") == LUA_TTABLE) {
        lua_pushnil(L);
        lua_rawsetp(L, -2, key);
    }
    lua_settop(L, lua_gettop(L) - 3);
}

void lnl_push_handle(lua_State *L, lnl_net *n, void *obj, const char *tname)
{
    if (!obj) { lua_pushnil(L); return; }
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "cache");
    lua_remove(L, -2);
    if (lua_rawgetp(L, -1, obj) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    lnl_handle *h = lua_newuserdatauv(L, sizeof *h, 1);
    h->obj = obj;
    h->n = n;
    luaL_setmetatable(L, tname);
    lnl_push_net(L, n);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, obj);
    lua_remove(L, -2);
}

/* ---- the rule of a split run (lunet.h, lnl_access) ----------------------- */

/* What a rank may do with an actor, or with a link between actors a and
 * b, of a split network; raises if not.  name and noun ("host", "switch",
 * "link") say what the method was called on. */
static void split_rule(lua_State *L, const lnl_net *n, const char *fname, lnl_access acc,
                       const char *name, const char *noun, uint32_t a, uint32_t b)
{
    const ln_dist *d = n->net->dist;
    int here = (int)d->rank;
    if (acc == LNL_DESCRIBE) return;
    if (acc == LNL_RESHAPE) {
        /* Every rank reads it as topology, so every rank must make the
         * change: only the script's top level runs on all of them. */
        if (n->running)
            luaL_error(L, "%s: in a split run %s's interfaces, addresses, MTUs and forwarding change "
                          "only from the script's top level, between net:run calls (every rank knows "
                          "them, and a task or a hook runs on one rank only)", fname, name);
        return;
    }
    if (ln_dist_local(d, a) && ln_dist_local(d, b)) return;
    /* Between runs the top level runs on every rank alike: a change
     * there is made by every copy, and the owner's is the real one. */
    if (acc == LNL_DRIVE && !n->running) return;
    int ra = a <= d->n_actors ? (int)d->rank_of[a] : here;
    int rb = b <= d->n_actors ? (int)d->rank_of[b] : here;
    if (ra != rb) {
        /* A link cut between ranks: its settings change only from the top
         * level (below), and its counters are summed at the end of every
         * run, so between runs every rank has all of it. */
        if (!n->running) return;
        if (acc == LNL_OBSERVE)
            luaL_error(L, "%s: %s joins ranks %d and %d: while the network runs each rank has only "
                          "the halves it runs (a direction's sender half on the sending end's rank, "
                          "its receiver half on the other's); read it between net:run calls, when "
                          "every rank has the whole link", fname, name, ra < rb ? ra : rb, ra < rb ? rb : ra);
        luaL_error(L, "%s: %s joins ranks %d and %d: while the network runs a link changes only on a "
                      "rank that runs both its ends (the change must reach both halves of a direction, "
                      "and every rank's copy must agree); change it from the script's top level, "
                      "between net:run calls, which every rank runs", fname, name,
                   ra < rb ? ra : rb, ra < rb ? rb : ra);
    }
    if (acc == LNL_OBSERVE)
        luaL_error(L, "%s: %s runs on rank %d, this is rank %d: in a split run only a %s's own rank "
                      "has its state (the copy here stopped at the split); guard with net:owns(%s)",
                   fname, name, ra, here, noun, name);
    luaL_error(L, "%s: %s runs on rank %d, this is rank %d: in a split run a %s is driven from its own "
                  "rank (its own tasks, hooks on its events) while the network runs; guard with "
                  "net:owns(%s)", fname, name, ra, here, noun, name);
}

lnl_handle *lnl_checkhandle(lua_State *L, int idx, const char *tname, const char *fname, lnl_access acc)
{
    lnl_handle *h = lnl_checkudata(L, idx, tname, fname);
    if (!h->n->net) luaL_error(L, "%s: the network is closed", fname);
    /* Unsplit: one pointer test, and nothing else. */
    if (!h->n->net->dist || acc == LNL_DESCRIBE) return h;
    if (strcmp(tname, LNL_NODE) == 0) {
        const ln_node *nd = h->obj;
        split_rule(L, h->n, fname, acc, nd->name, "host", nd->actor, nd->actor);
    } else if (strcmp(tname, LNL_IFACE) == 0) {
        const ln_iface *ifc = h->obj;
        split_rule(L, h->n, fname, acc, ifc->node->name, "host", ifc->port.actor, ifc->port.actor);
    } else if (strcmp(tname, LNL_SWITCH) == 0) {
        const ln_switch *sw = h->obj;
        split_rule(L, h->n, fname, acc, sw->name, "switch", sw->actor, sw->actor);
    } else if (strcmp(tname, LNL_LINK) == 0) {
        const ln_link *l = h->obj;
        split_rule(L, h->n, fname, acc, LN_LINK_NAME_OF(l), "link", l->d[0].from->actor, l->d[0].to->actor);
    }
    return h;
}

void lnl_checkowner(lua_State *L, lnl_net *n, const ln_node *nd, const char *fname, lnl_access acc)
{
    if (!n->net) luaL_error(L, "%s: the network is closed", fname);
    if (nd && n->net->dist) split_rule(L, n, fname, acc, nd->name, "host", nd->actor, nd->actor);
}

int lnl_remote_rank(const lnl_net *n, const ln_node *nd)
{
    const ln_dist *d = n->net ? n->net->dist : NULL;
    if (!d || !nd || ln_dist_local(d, nd->actor)) return -1;
    return (int)d->rank_of[nd->actor];
}

lnl_net *lnl_checknet(lua_State *L, int idx, const char *fname)
{
    lnl_net *n = lnl_checkudata(L, idx, LNL_NET, fname);
    if (!n->net) luaL_error(L, "%s: the network is closed", fname);
    return n;
}

lnl_net *lnl_current_net(lua_State *L)
{
    lnl_task *t = lnl_current_task(L);
    if (t && lnl_task_net(t)->net && lnl_push_net(L, lnl_task_net(t)))
        return lnl_task_net(t);
    if (t) lua_pop(L, 1);
    lnl_net *best = NULL;
    lua_pushnil(L);                                   /* result slot */
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_LIVE);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lnl_net *n = lua_touserdata(L, -1);
        if (n && n->net && (!best || n->serial > best->serial)) {
            best = n;
            lua_pushvalue(L, -1);
            lua_replace(L, -4);
        }
    }
    lua_pop(L, 1);
    return best;
}

/* net:trace("arp,ip" | "all" | "") sets the debug trace (trace.h);
 * net:trace() returns what is on, as the same kind of list. */
static int net_trace(lua_State *L)
{
    const char *F = "net:trace";
    lnl_net *n = lnl_checknet(L, 1, F);
    if (!n->net) luaL_error(L, "%s: the network is closed", F);
    if (!lua_isnoneornil(L, 2)) {
        char err[200];
        uint32_t mask;
        if (ln_trace_parse(lnl_checkstring(L, 2, F), &mask, err, sizeof err) != 0)
            lnl_argerror(L, 2, F, "%s", err);
        n->net->trace_mask = mask;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    bool first = true;
    for (int i = 0; i < LN_TR__COUNT; i++) {
        if (!LN_TRACE_ON(n->net, i)) continue;
        if (!first) luaL_addchar(&b, ',');
        luaL_addstring(&b, ln_trace_name((ln_trace_sub)i));
        first = false;
    }
    luaL_pushresult(&b);
    return 1;
}

/* ---- creation and closing ---------------------------------------------- */

static const char *const net_opts[] = {"seed", "name", "trace", NULL};

int lnl_net_new(lua_State *L)
{
    uint64_t seed;
    const char *name = "";
    /* Decided once: the new userdata lands at index 1 when no table came. */
    const bool opts = !lua_isnoneornil(L, 1);
    if (opts) lnl_checkopts(L, 1, "lunet.net", net_opts);
    if (opts && lnl_optfield(L, 1, "seed")) {
        if (!lua_isinteger(L, -1))
            luaL_error(L, "lunet.net: seed must be an integer, got %s", luaL_typename(L, -1));
        seed = (uint64_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
    } else {
        lnl_modfield(L, "default_seed");
        seed = (uint64_t)luaL_optinteger(L, -1, 1);
        lua_pop(L, 1);
    }
    if (opts && lnl_optfield(L, 1, "name")) {
        name = lua_tostring(L, -1);
        if (!name || lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "lunet.net: name must be a string");
        lua_pop(L, 1);
    }
    lnl_net *n = lua_newuserdatauv(L, sizeof *n, 1);
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    n->next_hook = 1;
    luaL_setmetatable(L, LNL_NET);
    n->net = ln_net_new(seed);
    if (!n->net) luaL_error(L, "lunet.net: out of memory");
    /* The debug trace: {trace = "arp,ip"}, else $LUNET_TRACE (--trace). */
    const char *tr = getenv("LUNET_TRACE"), *from = "LUNET_TRACE";
    if (opts && lnl_optfield(L, 1, "trace")) {
        tr = lua_tostring(L, -1), from = "lunet.net: trace";
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "lunet.net: trace must be a string like \"arp,ip\"");
        lua_pop(L, 1);
    }
    if (tr) {
        char err[200];
        if (ln_trace_parse(tr, &n->net->trace_mask, err, sizeof err) != 0) luaL_error(L, "%s: %s", from, err);
    }

    lua_createtable(L, 0, 4);                          /* user value */
    lua_newtable(L);
    lua_setfield(L, -2, "cache");
    lua_newtable(L);
    lua_setfield(L, -2, "hooks");
    lua_newtable(L);
    lua_setfield(L, -2, "tasks");
    n->cb = lua_newthread(L);
    lua_setfield(L, -2, "cb");
    lua_setiuservalue(L, -2, 1);

    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_BYPTR);
    lua_pushvalue(L, -2);
    lua_rawsetp(L, -2, n);
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_LIVE);
    lua_getfield(L, -1, "serial");   /* a string key: never collected */
    n->serial = (uint64_t)lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    lua_pushinteger(L, (lua_Integer)n->serial);
    lua_setfield(L, -2, "serial");
    lua_pushvalue(L, -2);
    lua_pushinteger(L, (lua_Integer)n->serial);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return 1;
}

void lnl_net_close(lnl_net *n)
{
    if (!n->net) return;
    /* Order matters: nothing may call back into Lua once we start tearing
     * down, and the binding's own objects let go of engine objects before
     * ln_net_free frees them. */
    lnl_hooks_clear(n);
    lnl_tasks_abort(n);
    lnl_socks_close_all(n);
    lnl_tcp_close_all(n);
    lnl_udp_close_all(n);
    lnl_bridges_close_all(n);
    for (lnl_capref *c = n->caps; c; c = c->next) {
        if (c->c) c->count = ln_capture_count(c->c);
        c->c = NULL;                   /* ln_net_free closes (and flushes) it */
    }
    ln_net_free(n->net);
    n->net = NULL;
}

void lnl_close_all(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_LIVE) != LUA_TTABLE) { lua_pop(L, 1); return; }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TUSERDATA) lnl_net_close(lua_touserdata(L, -1));
    }
    lua_pop(L, 1);
}

static int net_gc(lua_State *L)
{
    lnl_net *n = luaL_checkudata(L, 1, LNL_NET);
    lnl_net_close(n);
    free(n->hooks);
    n->hooks = NULL;
    n->n_hooks = n->cap_hooks = 0;
    return 0;
}

static int net_close(lua_State *L)
{
    lnl_net *n = lnl_checkudata(L, 1, LNL_NET, "net:close");
    if (n->running) luaL_error(L, "net:close: the network is running");
    /* Close the captures first, while their failures can still be told:
     * a pcap cut short by a full disk is an error here, not at exit. */
    int failed = lnl_captures_finish(L, n);
    lnl_net_close(n);
    if (failed) luaL_error(L, "net:close: %s", lua_tostring(L, -1));
    return 0;
}

static int net_tostring(lua_State *L)
{
    lnl_net *n = luaL_checkudata(L, 1, LNL_NET);
    char t[48];
    if (!n->net) {
        lua_pushfstring(L, "lunet.Net(%s%sclosed)", n->name, *n->name ? ", " : "");
        return 1;
    }
    lua_pushfstring(L, "lunet.Net(%s%sseed %I, t=%s, %d nodes)", n->name, *n->name ? ", " : "",
                    (lua_Integer)n->net->seed, lnl_fmt_time((int64_t)ln_net_now(n->net), t, sizeof t),
                    (int)n->net->n_nodes);
    return 1;
}

static int net_index(lua_State *L)
{
    lnl_net *n = luaL_checkudata(L, 1, LNL_NET);
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (k && strcmp(k, "name") == 0) { lua_pushstring(L, n->name); return 1; }
    if (k && strcmp(k, "closed") == 0) { lua_pushboolean(L, n->net == NULL); return 1; }
    lua_pushnil(L);
    return 1;
}

/* ---- nodes and switches ------------------------------------------------ */

static int new_node(lua_State *L, bool router, const char *fname)
{
    lnl_net *n = lnl_checknet(L, 1, fname);
    const char *name = lnl_checkstring(L, 2, fname);
    char err[160];
    ln_node *nd = ln_node_new(n->net, name, router, err, sizeof err);
    if (!nd) luaL_error(L, "%s: %s", fname, err);
    lnl_push_handle(L, n, nd, LNL_NODE);
    return 1;
}

static int net_host(lua_State *L) { return new_node(L, false, "net:host"); }
static int net_router(lua_State *L) { return new_node(L, true, "net:router"); }

static const char *const switch_opts[] = {"aging", NULL};

static int new_switch(lua_State *L, bool hub, const char *fname)
{
    lnl_net *n = lnl_checknet(L, 1, fname);
    const char *name = lnl_checkstring(L, 2, fname);
    ln_time aging = 0;
    bool has_aging = false;
    if (!lua_isnoneornil(L, 3)) {
        lnl_checkopts(L, 3, fname, switch_opts);
        if (lnl_optfield(L, 3, "aging")) {
            char ctx[48];
            snprintf(ctx, sizeof ctx, "%s: aging", fname);
            aging = lnl_checktime(L, -1, ctx);
            has_aging = true;
            lua_pop(L, 1);
        }
    }
    if (ln_net_switch(n->net, name))
        luaL_error(L, "%s: name \"%s\" already used by a switch", fname, name);
    if (ln_net_node(n->net, name))
        luaL_error(L, "%s: name \"%s\" already used by a node", fname, name);
    char err[160];
    ln_switch *s = ln_switch_new(n->net, name, hub, err, sizeof err);
    if (!s) luaL_error(L, "%s: %s", fname, err);
    if (has_aging) s->aging = aging;
    lnl_push_handle(L, n, s, LNL_SWITCH);
    return 1;
}

static int net_switch(lua_State *L) { return new_switch(L, false, "net:switch"); }
static int net_hub(lua_State *L) { return new_switch(L, true, "net:hub"); }

static int net_node(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:node");
    lnl_push_handle(L, n, ln_net_node(n->net, lnl_checkstring(L, 2, "net:node")), LNL_NODE);
    return 1;
}

static int net_nodes(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:nodes");
    lua_createtable(L, (int)n->net->n_nodes, 0);
    for (uint32_t i = 0; i < n->net->n_nodes; i++) {
        lnl_push_handle(L, n, n->net->nodes[i], LNL_NODE);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int net_switches(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:switches");
    lua_createtable(L, (int)n->net->n_switches, 0);
    for (uint32_t i = 0; i < n->net->n_switches; i++) {
        lnl_push_handle(L, n, n->net->switches[i], LNL_SWITCH);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int net_links(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:links");
    lua_createtable(L, (int)n->net->n_links, 0);
    for (uint32_t i = 0; i < n->net->n_links; i++) {
        lnl_push_handle(L, n, n->net->links[i], LNL_LINK);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* ---- counters ---------------------------------------------------------- */

/* Reading an absent reason gives 0 (so d["queue full"] + 1 works); a name
 * that is no reason at all raises, so a typo does not read as "no drops". */
static int drops_index(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    for (int r = 1; k && r < LN_DROP__COUNT; r++) {
        if (strcmp(k, ln_drop_reason_name((ln_drop_reason)r)) == 0) {
            lua_pushinteger(L, 0);
            return 1;
        }
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int r = 1; r < LN_DROP__COUNT; r++) {
        if (r > 1) luaL_addstring(&b, ", ");
        luaL_addstring(&b, ln_drop_reason_name((ln_drop_reason)r));
    }
    luaL_pushresult(&b);
    return luaL_error(L, "drops: no drop reason \"%s\" (known: %s)",
                      k ? k : luaL_typename(L, 2), lua_tostring(L, -1));
}

void lnl_push_drops(lua_State *L, const uint64_t *drops)
{
    lua_newtable(L);
    for (int r = 1; r < LN_DROP__COUNT; r++) {
        if (!drops[r]) continue;
        lua_pushinteger(L, (lua_Integer)drops[r]);
        lua_setfield(L, -2, ln_drop_reason_name((ln_drop_reason)r));
    }
    if (luaL_newmetatable(L, "lunet.Drops")) {
        lua_pushcfunction(L, drops_index);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
}

void lnl_push_counters(lua_State *L, const void *st, const lnl_counter *c)
{
    int n = 0;
    while (c[n].name) n++;
    lua_createtable(L, 0, n);
    for (; c->name; c++) {
        uint64_t v;
        memcpy(&v, (const char *)st + c->off, sizeof v);
        lua_pushinteger(L, (lua_Integer)v);
        lua_setfield(L, -2, c->name);
    }
}

static int net_drops(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:drops");
    uint64_t drops[LN_DROP__COUNT];
    ln_net_drops(n->net, drops);
    lnl_push_drops(L, drops);
    return 1;
}

static int net_now(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:now");
    lua_pushinteger(L, (lua_Integer)ln_net_now(n->net));
    return 1;
}

static int net_seed(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:seed");
    lua_pushinteger(L, (lua_Integer)n->net->seed);
    return 1;
}

static int net_spawn(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:spawn");
    return lnl_spawn(L, n, NULL, 2, "net:spawn");
}

/* lunet._topo_gen(net): changes whenever a node, an interface or an
 * address is added (lunet.trace caches who owns an address by it). */
static int l_topo_gen(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "lunet._topo_gen");
    lua_pushinteger(L, (lua_Integer)n->net->topo_gen);
    return 1;
}

void lnl_open_net(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"host", net_host}, {"router", net_router}, {"switch", net_switch},
        {"hub", net_hub}, {"node", net_node}, {"nodes", net_nodes},
        {"switches", net_switches}, {"links", net_links},
        {"link", lnl_net_link}, {"capture", lnl_net_capture}, {"captures", lnl_net_captures},
        {"on", lnl_net_on}, {"off", lnl_net_off},
        {"drops", net_drops}, {"now", net_now}, {"seed", net_seed}, {"trace", net_trace},
        {"spawn", net_spawn}, {"close", net_close},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", net_gc}, {"__close", net_close}, {"__tostring", net_tostring},
        {"__index", net_index}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_NET, "Net", methods, meta);
    lua_pushcfunction(L, l_topo_gen);
    lua_setfield(L, -2, "_topo_gen");
}
