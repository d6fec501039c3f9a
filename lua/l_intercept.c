/* l_intercept.c - interception hooks from Lua (core/intercept.h):
 *
 *   local ic = net:intercept{on = link_or_node, dir = "ab", filter = "tcp",
 *                            action = "drop" | {delay = "50ms"} | ..., nth = 3}
 *   ic.matched, ic.acted, ic:matches(), ic:remove(), tostring(ic)
 *   net:intercepts()                       -- the live ones, in order
 *
 * A hook's handle is anchored in the Net's user value (uv.intercepts[id])
 * while the hook is live, so the Lua function it calls (the handle's user
 * value 2) cannot be collected under the engine.  Observe and rewrite
 * callbacks enter Lua through lnl_protected with n->dispatching raised, as
 * net:on hooks do: an error stops the run and net:run raises it, and calls
 * that would re-enter the engine raise instead of corrupting the frame in
 * hand. */
#include <stdio.h>
#include <string.h>

#include "eth.h"
#include "intercept.h"
#include "link.h"
#include "node.h"
#include "wire.h"
#include "lunet.h"

#define LNL_INTERCEPT "lunet.Intercept"
#define MAX_FRAME (LN_PKT_LARGE - LN_PKT_HEADROOM)

/* User values of the handle. */
enum { UV_NET = 1, UV_FN, UV_FILTER, UV_ON, UV__COUNT = UV_ON };

typedef struct lnl_ic {
    ln_ic *ic;                    /* NULL once removed; dangling once the net closed */
    lnl_net *n;
    uint64_t id;
    uint64_t matched, acted;      /* as they were when it was removed */
    ln_ic_action action;
    int dir;                      /* as configured: -1 both */
    bool on_link;
    bool raw;                     /* callbacks get bytes even when lunet.dissect exists */
    char on[120];                 /* what it is on, for tostring */
} lnl_ic;

static const char *const HINT = "tcpdump's filter syntax, e.g. \"tcp port 80\", \"icmp or arp\", "
                                "\"tcp[tcpflags] & tcp-syn != 0\"";

/* The hook, or NULL when it was removed or its network closed. */
static ln_ic *live(const lnl_ic *h)
{
    return h->n->net ? h->ic : NULL;
}

static const char *dir_name(bool on_link, int dir)
{
    if (dir < 0) return "both";
    if (on_link) return dir ? "ba" : "ab";
    return dir == LN_IC_OUT ? "out" : "in";
}

/* ---- the callback ------------------------------------------------------------ */

typedef struct call {
    lnl_ic *h;
    const ln_ic_ctx *ctx;
    ln_pkt **frame;
    bool go;
} call;

/* Raise about what a rewrite function returned, naming where it was
 * defined (the error surfaces from net:run, far from the function). */
static int bad_return(lua_State *L, int fidx, const char *what)
{
    lua_Debug ar;
    lua_pushvalue(L, fidx);
    lua_getinfo(L, ">S", &ar);
    return luaL_error(L, "net:intercept: the rewrite function (%s:%d) returned %s: return the "
                         "packet, its bytes as a string, or nil to drop it", ar.short_src,
                      ar.linedefined, what);
}

/* The rewrite's result at idx: nil or false drops; a string is the new
 * frame; anything with a bytes method gives its bytes; another table is
 * built by lunet.packet first. */
static void take_result(lua_State *L, call *c, int idx, int fidx)
{
    int t = lua_type(L, idx);
    if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, idx))) {
        c->go = false;
        return;
    }
    if (t == LUA_TTABLE || t == LUA_TUSERDATA) {
        bool indexable = t == LUA_TTABLE || luaL_getmetafield(L, idx, "__index") != LUA_TNIL;
        if (t == LUA_TUSERDATA && indexable) lua_pop(L, 1);
        if (indexable && lua_getfield(L, idx, "bytes") == LUA_TFUNCTION) {
            lua_pushvalue(L, idx);
            lua_call(L, 1, 1);
        } else {
            if (indexable) lua_pop(L, 1);
            if (t != LUA_TTABLE) bad_return(L, fidx, luaL_typename(L, idx));
            if (lnl_modfield(L, "packet") != LUA_TFUNCTION)
                bad_return(L, fidx, "a table, and lunet.packet is not there to build it");
            lua_pushvalue(L, idx);
            lua_call(L, 1, 1);
            if (lua_getfield(L, -1, "bytes") != LUA_TFUNCTION)
                bad_return(L, fidx, "a table that lunet.packet made no packet of");
            lua_insert(L, -2);
            lua_call(L, 1, 1);
        }
        idx = lua_gettop(L);
        if (lua_type(L, idx) != LUA_TSTRING) bad_return(L, fidx, "a packet whose bytes() is no string");
    } else if (t != LUA_TSTRING) {
        bad_return(L, fidx, luaL_typename(L, idx));
    }
    size_t len;
    const char *b = lua_tolstring(L, idx, &len);
    if (len < LN_ETH_HLEN || len > MAX_FRAME)
        luaL_error(L, "net:intercept: the rewrite function returned a frame of %d bytes (allowed: "
                      "%d to %d, an Ethernet frame)", (int)len, LN_ETH_HLEN, (int)MAX_FRAME);
    if (ln_ic_set_frame(c->frame, (const uint8_t *)b, (uint32_t)len) != 0)
        luaL_error(L, "net:intercept: out of memory");
}

static void push_ctx(lua_State *L, const ln_ic_ctx *x)
{
    char where[160];
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, (lua_Integer)x->now);
    lua_setfield(L, -2, "t");
    lua_pushstring(L, ln_ic_where(x, where, sizeof where));
    lua_setfield(L, -2, "where");
    lua_pushinteger(L, (lua_Integer)x->match);
    lua_setfield(L, -2, "match");
    lua_pushinteger(L, (lua_Integer)x->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, dir_name(x->link != NULL, x->dir));
    lua_setfield(L, -2, "dir");
    if (x->link) {
        lua_pushstring(L, LN_LINK_NAME_OF(x->link));
        lua_setfield(L, -2, "link");
    } else {
        lua_pushstring(L, x->node->name);
        lua_setfield(L, -2, "node");
        lua_pushstring(L, x->iface->name);
        lua_setfield(L, -2, "iface");
    }
}

/* On the callback thread, inside n->dispatching: fn(pkt, ctx). */
static int call_hook(lua_State *L)
{
    call *c = lua_touserdata(L, 1);
    lnl_ic *h = c->h;
    lnl_push_uv(L, h->n);
    lua_getfield(L, -1, "intercepts");
    if (lua_rawgeti(L, -1, (lua_Integer)h->id) != LUA_TUSERDATA) return 0;   /* cannot be: anchored */
    lua_getiuservalue(L, -1, UV_FN);
    int fidx = lua_gettop(L);
    lua_pushvalue(L, fidx);
    const ln_pkt *p = *c->frame;
    /* Scripts get the dissected packet when lunet.dissect is there (looked
     * up each time: it may come or go), else the bytes. */
    if (!h->raw && lnl_modfield(L, "dissect") == LUA_TFUNCTION) {
        lua_pushlstring(L, (const char *)p->data, p->len);
        lua_call(L, 1, 1);
    } else {
        if (!h->raw) lua_pop(L, 1);
        lua_pushlstring(L, (const char *)p->data, p->len);
    }
    push_ctx(L, c->ctx);
    lua_call(L, 2, 1);
    if (h->action == LN_IC_REWRITE) take_result(L, c, lua_gettop(L), fidx);
    return 0;
}

static int call_guarded(lua_State *L)
{
    call *c = lua_touserdata(L, 1);
    lnl_net *n = c->h->n;
    n->dispatching++;
    lua_pushcfunction(L, call_hook);
    lua_pushlightuserdata(L, c);
    int rc = lua_pcall(L, 1, 0, 0);
    n->dispatching--;
    if (rc != LUA_OK) return lua_error(L);
    return 0;
}

/* ln_ic_fn: engine -> Lua.  After an error (or while one waits for
 * net:run) frames go on untouched: the run is stopping anyway. */
static bool on_frame(void *arg, const ln_ic_ctx *ctx, ln_pkt **frame)
{
    lnl_ic *h = arg;
    lnl_net *n = h->n;
    if (n->failed || !n->net) return true;
    call c = { h, ctx, frame, true };
    lnl_protected(n, call_guarded, &c);
    return c.go;
}

/* ---- net:intercept -------------------------------------------------------------- */

static const char *const F = "net:intercept";

static uint64_t checkcount(lua_State *L, int idx, const char *name)
{
    if (!lua_isinteger(L, idx) || lua_tointeger(L, idx) < 1)
        luaL_error(L, "%s: %s must be a whole number from 1, got %s", F, name,
                   luaL_tolstring(L, idx, NULL));
    return (uint64_t)lua_tointeger(L, idx);
}

static ln_time checktime(lua_State *L, int idx, const char *name)
{
    char ctx[48];
    snprintf(ctx, sizeof ctx, "%s: %s", F, name);
    return lnl_checktime(L, idx, ctx);
}

static int checkdir(lua_State *L, int idx, bool on_link)
{
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    const char *a = on_link ? "ab" : "in", *b = on_link ? "ba" : "out";
    if (s && strcmp(s, a) == 0) return 0;
    if (s && strcmp(s, b) == 0) return 1;
    if (s && strcmp(s, "both") == 0) return -1;
    return luaL_error(L, "%s: dir %s%s%s unknown for a %s (allowed: %s, %s, both)", F,
                      s ? "\"" : "", s ? s : luaL_typename(L, idx), s ? "\"" : "",
                      on_link ? "link" : "node", a, b);
}

/* action = "drop" | "duplicate" | "corrupt" | "observe" | "rewrite" |
 * "lose", or a table with one of drop=true, delay=, duplicate=n,
 * corrupt=bits, observe=fn, rewrite=fn, lose=true.  Leaves a function it found on the stack and
 * returns true then. */
static bool parse_action(lua_State *L, int idx, ln_ic_cfg *c)
{
    static const char *const words[] = {
        "drop", "delay", "duplicate", "corrupt", "observe", "rewrite", "lose", NULL,
    };
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        for (int i = 0; words[i]; i++) {
            if (strcmp(s, words[i]) != 0) continue;
            if (i == LN_IC_DELAY)
                luaL_error(L, "%s: action \"delay\" needs a duration: action = {delay = \"50ms\"}", F);
            c->action = (ln_ic_action)i;
            return false;
        }
        luaL_error(L, "%s: action \"%s\" unknown (allowed: drop, duplicate, corrupt, observe, "
                      "rewrite, lose, or a table: {delay = \"50ms\"}, {duplicate = n}, {corrupt = bits}, "
                      "{rewrite = fn}, {observe = fn})", F, s);
    }
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: action must be a string (drop, duplicate, corrupt, observe, rewrite, lose) or "
                      "a table such as {delay = \"50ms\"}, got %s", F, luaL_typename(L, idx));
    lnl_checkopts(L, idx, "net:intercept: action", words);
    int found = -1;
    for (int i = 0; words[i]; i++) {
        if (!lnl_optfield(L, idx, words[i])) continue;
        if (found >= 0)
            luaL_error(L, "%s: action has both %s and %s (give one)", F, words[found], words[i]);
        found = i;
        lua_pop(L, 1);
    }
    if (found < 0)
        luaL_error(L, "%s: action table is empty (give one of drop, delay, duplicate, corrupt, "
                      "observe, rewrite, lose)", F);
    c->action = (ln_ic_action)found;
    lua_getfield(L, idx, words[found]);
    int v = lua_gettop(L);
    switch (c->action) {
    case LN_IC_DELAY:
        c->delay = checktime(L, v, "delay");
        if (c->delay > LN_IC_MAX_DELAY)
            luaL_error(L, "%s: delay beyond %d s", F, (int)(LN_IC_MAX_DELAY / LN_SEC));
        break;
    case LN_IC_DUPLICATE:
    case LN_IC_CORRUPT: {
        bool dup = c->action == LN_IC_DUPLICATE;
        uint64_t max = dup ? LN_IC_MAX_COPIES : LN_ETH_CORRUPT_MAX;
        uint64_t k = lua_isboolean(L, v) && lua_toboolean(L, v) ? 1
                     : checkcount(L, v, dup ? "duplicate (copies)" : "corrupt (bits)");
        if (k > max)
            luaL_error(L, "%s: %s %d: too many (allowed: 1 to %d)", F, dup ? "duplicate" : "corrupt",
                       (int)k, (int)max);
        if (dup) c->copies = (uint32_t)k;
        else c->bits = (uint32_t)k;
        break;
    }
    case LN_IC_OBSERVE:
    case LN_IC_REWRITE:
        if (!lua_isfunction(L, v))
            luaL_error(L, "%s: %s must be a function(pkt, ctx), got %s", F, words[found],
                       luaL_typename(L, v));
        return true;                      /* the function stays on the stack */
    default:                              /* drop = true, lose = true */
        if (lua_toboolean(L, v) != 1 || !lua_isboolean(L, v))
            luaL_error(L, "%s: action {%s = ...} takes true", F, words[found]);
        break;
    }
    lua_pop(L, 1);
    return false;
}

/* What net:intercept's options say, and the stack slots of the values
 * the handle keeps as user values: what it is on, the filter string
 * (cfg.filter points into it) and the function (0: none). */
typedef struct ic_opts {
    ln_ic_cfg cfg;
    lnl_handle *link, *node;      /* one of them: what the hook is on */
    int on, filter, fn;
    bool raw;
} ic_opts;

/* on = a Link or a Node of this network. */
static void opt_on(lua_State *L, lnl_net *n, ic_opts *o)
{
    if (!lnl_optfield(L, 2, "on")) luaL_error(L, "%s: on missing (a Link, or a Node: host or router)", F);
    o->on = lua_gettop(L);
    o->link = luaL_testudata(L, o->on, LNL_LINK);
    o->node = luaL_testudata(L, o->on, LNL_NODE);
    if (!o->link && !o->node) {
        const char *got = luaL_getmetafield(L, o->on, "__name") == LUA_TSTRING ? lua_tostring(L, -1)
                                                                             : luaL_typename(L, o->on);
        luaL_error(L, "%s: on must be a Link or a Node (host or router), got %s", F, got);
    }
    if ((o->link ? o->link : o->node)->n != n) luaL_error(L, "%s: on belongs to another network", F);
}

/* dir, and iface (on a node only). */
static void opt_where(lua_State *L, ic_opts *o)
{
    bool on_link = o->link != NULL;
    if (lnl_optfield(L, 2, "dir")) {
        o->cfg.dir = checkdir(L, lua_gettop(L), on_link);
        lua_pop(L, 1);
    }
    if (lnl_optfield(L, 2, "iface")) {
        if (on_link) luaL_error(L, "%s: iface is for a hook on a node (a link has its own two ends)", F);
        o->cfg.iface = lnl_checkiface_of(L, lua_gettop(L), o->node->obj, "net:intercept: iface")->name;
        lua_pop(L, 1);
    }
}

/* filter: a tcpdump expression; "" (every frame) when absent. */
static void opt_filter(lua_State *L, ic_opts *o)
{
    lua_pushliteral(L, "");
    if (lnl_optfield(L, 2, "filter")) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: filter must be a string (%s), got %s", F, HINT, luaL_typename(L, -1));
        lua_remove(L, -2);
    }
    o->filter = lua_gettop(L);
    o->cfg.filter = lua_tostring(L, o->filter);
}

/* action, and what its callback gets: the function (in the action table
 * or as fn, never both) and raw. */
static void opt_action(lua_State *L, ic_opts *o)
{
    if (!lnl_optfield(L, 2, "action"))
        luaL_error(L, "%s: action missing (drop, duplicate, corrupt, observe, rewrite, lose, or a table "
                      "such as {delay = \"50ms\"})", F);
    o->fn = parse_action(L, lua_gettop(L), &o->cfg) ? lua_gettop(L) : 0;
    bool wants_fn = o->cfg.action == LN_IC_OBSERVE || o->cfg.action == LN_IC_REWRITE;
    if (lnl_optfield(L, 2, "fn")) {
        if (!wants_fn)
            luaL_error(L, "%s: fn is for the observe and rewrite actions, not %s", F,
                       ln_ic_action_names[o->cfg.action]);
        if (o->fn) luaL_error(L, "%s: the function is given twice (in action and as fn)", F);
        if (!lua_isfunction(L, -1))
            luaL_error(L, "%s: fn must be a function(pkt, ctx), got %s", F, luaL_typename(L, -1));
        o->fn = lua_gettop(L);
    }
    if (wants_fn && !o->fn)
        luaL_error(L, "%s: action \"%s\" needs a function: fn = function(pkt, ctx) ... end", F,
                   ln_ic_action_names[o->cfg.action]);
    if (lnl_optfield(L, 2, "raw")) {
        if (!lua_isboolean(L, -1)) luaL_error(L, "%s: raw must be true or false", F);
        o->raw = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
}

/* Which matches act: nth, count, every, and the window from <= t < until. */
static void opt_when(lua_State *L, ln_ic_cfg *cfg)
{
    if (lnl_optfield(L, 2, "nth")) { cfg->nth = checkcount(L, -1, "nth"); lua_pop(L, 1); }
    if (lnl_optfield(L, 2, "count")) { cfg->count = checkcount(L, -1, "count"); lua_pop(L, 1); }
    if (lnl_optfield(L, 2, "every")) { cfg->every = checkcount(L, -1, "every"); lua_pop(L, 1); }
    if (lnl_optfield(L, 2, "from")) { cfg->from = checktime(L, lua_gettop(L), "from"); lua_pop(L, 1); }
    if (lnl_optfield(L, 2, "until")) { cfg->until = checktime(L, lua_gettop(L), "until"); lua_pop(L, 1); }
    if (cfg->until <= cfg->from)
        luaL_error(L, "%s: until must come after from (the window is from <= t < until)", F);
}

/* The handle, on the stack, holding what the hook needs alive; a callback
 * action gets on_frame with the handle as its argument. */
static lnl_ic *push_handle(lua_State *L, lnl_net *n, ic_opts *o)
{
    lnl_ic *h = lua_newuserdatauv(L, sizeof *h, UV__COUNT);
    memset(h, 0, sizeof *h);
    luaL_setmetatable(L, LNL_INTERCEPT);
    h->n = n;
    h->action = o->cfg.action;
    h->dir = o->cfg.dir;
    h->on_link = o->link != NULL;
    h->raw = o->raw;
    if (h->on_link) {
        snprintf(h->on, sizeof h->on, "%s", LN_LINK_NAME_OF((ln_link *)o->link->obj));
    } else {
        snprintf(h->on, sizeof h->on, "%s%s%s", ((ln_node *)o->node->obj)->name,
                 o->cfg.iface ? "." : "", o->cfg.iface ? o->cfg.iface : "");
    }
    lnl_push_net(L, n);
    lua_setiuservalue(L, -2, UV_NET);
    if (o->fn) {
        lua_pushvalue(L, o->fn);
        lua_setiuservalue(L, -2, UV_FN);
    }
    lua_pushvalue(L, o->filter);
    lua_setiuservalue(L, -2, UV_FILTER);
    lua_pushvalue(L, o->on);
    lua_setiuservalue(L, -2, UV_ON);
    if (o->cfg.action == LN_IC_OBSERVE || o->cfg.action == LN_IC_REWRITE) {
        o->cfg.fn = on_frame;
        o->cfg.arg = h;
    }
    return h;
}

/* Add the hook to the engine and anchor the handle (on top of the stack)
 * in uv.intercepts[id] while the hook lives. */
static void install(lua_State *L, lnl_net *n, lnl_ic *h, const ic_opts *o)
{
    char err[512];
    ln_ic *ic = o->link ? ln_ic_add_link(o->link->obj, &o->cfg, err, sizeof err)
                        : ln_ic_add_node(o->node->obj, &o->cfg, err, sizeof err);
    if (!ic) {
        if (strncmp(err, "filter \"", 8) == 0) luaL_error(L, "%s: %s (%s)", F, err, HINT);
        luaL_error(L, "%s: %s", F, err);
    }
    h->ic = ic;
    h->id = ln_ic_get_info(ic)->id;
    lnl_push_uv(L, n);
    if (lua_getfield(L, -1, "intercepts") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "intercepts");
    }
    lua_pushvalue(L, -3);
    lua_rawseti(L, -2, (lua_Integer)h->id);
    lua_pop(L, 2);
}

/* net:intercept{...}: the options in the order their errors are checked,
 * then the handle, then the hook. */
static int net_intercept(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, F);
    lnl_check_not_in_hook(L, n, F);
    static const char *const known[] = {
        "on", "dir", "iface", "filter", "action", "fn", "raw", "nth", "count", "every",
        "from", "until", NULL,
    };
    lnl_checkopts(L, 2, F, known);
    ic_opts o;
    memset(&o, 0, sizeof o);
    ln_ic_cfg_default(&o.cfg);
    opt_on(L, n, &o);
    opt_where(L, &o);
    opt_filter(L, &o);
    opt_action(L, &o);
    opt_when(L, &o.cfg);
    lnl_ic *h = push_handle(L, n, &o);
    install(L, n, h, &o);
    return 1;
}

static int net_intercepts(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:intercepts");
    uint32_t count = ln_ic_count(n->net);
    lua_createtable(L, (int)count, 0);
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "intercepts");
    for (uint32_t i = 0; i < count; i++) {
        lua_rawgeti(L, -1, (lua_Integer)ln_ic_get_info(ln_ic_at(n->net, i))->id);
        lua_rawseti(L, -4, (lua_Integer)i + 1);
    }
    lua_pop(L, 2);
    return 1;
}

/* ---- the handle --------------------------------------------------------------- */

static lnl_ic *checkic(lua_State *L)
{
    return luaL_checkudata(L, 1, LNL_INTERCEPT);
}

static void counters(lnl_ic *h, uint64_t *matched, uint64_t *acted)
{
    ln_ic *ic = live(h);
    *matched = ic ? ln_ic_get_info(ic)->matched : h->matched;
    *acted = ic ? ln_ic_get_info(ic)->acted : h->acted;
}

static int ic_matches(lua_State *L)
{
    lnl_ic *h = checkic(L);
    if (!h->n->net) luaL_error(L, "Intercept:matches: the network is closed");
    uint64_t m, a;
    counters(h, &m, &a);
    lua_pushinteger(L, (lua_Integer)m);
    lua_pushinteger(L, (lua_Integer)a);
    return 2;
}

/* Safe anywhere, its own callback included: the engine frees the hook
 * once that returns.  Removing twice, or after the network closed, does
 * nothing. */
static int ic_remove(lua_State *L)
{
    lnl_ic *h = checkic(L);
    ln_ic *ic = live(h);
    if (!ic) return 0;
    counters(h, &h->matched, &h->acted);
    ln_ic_remove(ic);
    h->ic = NULL;
    lnl_push_uv(L, h->n);
    lua_getfield(L, -1, "intercepts");
    lua_pushnil(L);
    lua_rawseti(L, -2, (lua_Integer)h->id);
    return 0;
}

static int ic_index(lua_State *L)
{
    lnl_ic *h = checkic(L);
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (!k) return 0;
    uint64_t m, a;
    if (strcmp(k, "matched") == 0 || strcmp(k, "acted") == 0) {
        if (!h->n->net) luaL_error(L, "Intercept.%s: the network is closed", k);
        counters(h, &m, &a);
        lua_pushinteger(L, (lua_Integer)(k[0] == 'm' ? m : a));
    } else if (strcmp(k, "removed") == 0) {
        lua_pushboolean(L, live(h) == NULL);
    } else if (strcmp(k, "id") == 0) {
        lua_pushinteger(L, (lua_Integer)h->id);
    } else if (strcmp(k, "action") == 0) {
        lua_pushstring(L, ln_ic_action_names[h->action]);
    } else if (strcmp(k, "dir") == 0) {
        lua_pushstring(L, dir_name(h->on_link, h->dir));
    } else if (strcmp(k, "filter") == 0) {
        lua_getiuservalue(L, 1, UV_FILTER);
    } else if (strcmp(k, "on") == 0) {
        lua_getiuservalue(L, 1, UV_ON);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int ic_tostring(lua_State *L)
{
    lnl_ic *h = checkic(L);
    lua_getiuservalue(L, 1, UV_FILTER);
    const char *filter = lua_tostring(L, -1);
    const char *dir = dir_name(h->on_link, h->dir);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "lunet.Intercept(#%I %s on %s%s%s%s, filter \"%s\"", (lua_Integer)h->id,
                    ln_ic_action_names[h->action], h->on, h->dir >= 0 ? " (" : "",
                    h->dir >= 0 ? dir : "", h->dir >= 0 ? ")" : "", filter ? filter : "");
    luaL_addvalue(&b);
    if (!h->n->net) {
        luaL_addstring(&b, ", network closed)");
    } else {
        uint64_t m, a;
        counters(h, &m, &a);
        lua_pushfstring(L, ", matched %I, acted %I%s)", (lua_Integer)m, (lua_Integer)a,
                        live(h) ? "" : ", removed");
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

void lnl_open_intercept(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"matches", ic_matches}, {"remove", ic_remove}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", ic_index}, {"__tostring", ic_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_INTERCEPT, "Intercept", methods, meta);
    static const luaL_Reg net_methods[] = {
        {"intercept", net_intercept}, {"intercepts", net_intercepts}, {NULL, NULL},
    };
    lnl_getmethods(L, "Net");
    luaL_setfuncs(L, net_methods, 0);
    lua_pop(L, 1);
}
