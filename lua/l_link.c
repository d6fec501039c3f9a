/* l_link.c - net:link and lunet.Link: option tables to ln_linkcfg, both
 * directions or one (ab = A to B, ba = B to A), and the link's knobs and
 * counters while the network runs.
 *
 * net:link checks every option and endpoint before it creates anything, so
 * a typo does not leave a half-built interface behind. */
#include <stdio.h>
#include <string.h>

#include "dist.h"
#include "link.h"
#include "node.h"
#include "switch.h"
#include "ext.h"
#include "lunet.h"

#define LINK(h) ((ln_link *)(h)->obj)

static const char *const link_opts[] = {
    "bandwidth", "delay", "jitter", "loss", "corrupt", "duplicate", "reorder",
    "reorder_delay", "queue", "queue_bytes", "mtu", "min_delay", "up", "ab", "ba", "ip", NULL,
};
static const char *const set_opts[] = {
    "bandwidth", "delay", "jitter", "loss", "corrupt", "duplicate", "reorder",
    "reorder_delay", "queue", "queue_bytes", "mtu", "min_delay", "up", "ab", "ba", NULL,
};
static const char *const dir_opts[] = {
    "bandwidth", "delay", "jitter", "loss", "corrupt", "duplicate", "reorder",
    "reorder_delay", "queue", "queue_bytes", "mtu", "min_delay", "up", NULL,
};
static const char *const ge_opts[] = {"model", "p", "r", "loss_bad", "loss_good", "rate", NULL};

static double prob_field(lua_State *L, int t, const char *k, const char *ctx, double dflt)
{
    if (!lnl_optfield(L, t, k)) return dflt;
    lua_pushfstring(L, "%s.%s", ctx, k);
    double v = lnl_checkprob(L, -2, lua_tostring(L, -1));
    lua_pop(L, 2);
    return v;
}

static void parse_loss(lua_State *L, int idx, ln_loss *loss, const char *ctx)
{
    if (lua_type(L, idx) != LUA_TTABLE) {
        double p = lnl_checkprob(L, idx, ctx);
        loss->kind = p > 0 ? LN_LOSS_RANDOM : LN_LOSS_NONE;
        loss->rate = p;
        return;
    }
    int t = lua_absindex(L, idx);
    lnl_checkopts(L, t, ctx, ge_opts);
    const char *model = "gilbert";
    if (lnl_optfield(L, t, "model")) {
        model = lua_tostring(L, -1);
        if (!model) luaL_error(L, "%s: model must be a string", ctx);
        lua_pop(L, 1);
    }
    if (strcmp(model, "gilbert") == 0 || strcmp(model, "gilbert-elliott") == 0) {
        loss->kind = LN_LOSS_GE;
        loss->p = prob_field(L, t, "p", ctx, 0);
        loss->r = prob_field(L, t, "r", ctx, 1);
        loss->loss_bad = prob_field(L, t, "loss_bad", ctx, 1);
        loss->loss_good = prob_field(L, t, "loss_good", ctx, 0);
    } else if (strcmp(model, "random") == 0 || strcmp(model, "bernoulli") == 0) {
        loss->rate = prob_field(L, t, "rate", ctx, 0);
        loss->kind = loss->rate > 0 ? LN_LOSS_RANDOM : LN_LOSS_NONE;
    } else {
        luaL_error(L, "%s: model \"%s\" unknown (use gilbert, random)", ctx, model);
    }
}

/* Apply the direction options found in table idx to c. */
static void apply(lua_State *L, int idx, ln_linkcfg *c, const char *fname)
{
    char ctx[96];
#define CTX(k) (snprintf(ctx, sizeof ctx, "%s: %s", fname, k), ctx)
    if (lnl_optfield(L, idx, "bandwidth")) { c->bandwidth = lnl_checkrate(L, -1, CTX("bandwidth")); lua_pop(L, 1); }
    if (lnl_optfield(L, idx, "delay")) { c->delay = lnl_checktime(L, -1, CTX("delay")); lua_pop(L, 1); }
    if (lnl_optfield(L, idx, "jitter")) { c->jitter = lnl_checktime(L, -1, CTX("jitter")); lua_pop(L, 1); }
    if (lnl_optfield(L, idx, "reorder_delay")) {
        c->reorder_delay = lnl_checktime(L, -1, CTX("reorder_delay"));
        lua_pop(L, 1);
    }
    if (lnl_optfield(L, idx, "min_delay")) {
        c->min_delay = lnl_checktime(L, -1, CTX("min_delay"));
        lua_pop(L, 1);
    }
    if (lnl_optfield(L, idx, "loss")) { parse_loss(L, -1, &c->loss, CTX("loss")); lua_pop(L, 1); }
    if (lnl_optfield(L, idx, "corrupt")) { c->corrupt = lnl_checkprob(L, -1, CTX("corrupt")); lua_pop(L, 1); }
    if (lnl_optfield(L, idx, "duplicate")) { c->duplicate = lnl_checkprob(L, -1, CTX("duplicate")); lua_pop(L, 1); }
    if (lnl_optfield(L, idx, "reorder")) { c->reorder = lnl_checkprob(L, -1, CTX("reorder")); lua_pop(L, 1); }
    if (lnl_optfield(L, idx, "queue")) {
        bool pkts;
        uint64_t q = lnl_checksize(L, -1, CTX("queue"), &pkts, true);
        if (q > UINT32_MAX) luaL_error(L, "%s: too large", ctx);
        c->queue_pkts = pkts ? (uint32_t)q : 0;
        c->queue_bytes = pkts ? 0 : (uint32_t)q;
        lua_pop(L, 1);
    }
    /* queue = "64KB" under the name link:get reports a byte limit by, so
     * it can be written back: a number here is bytes. */
    if (lnl_optfield(L, idx, "queue_bytes")) {
        if (lua_getfield(L, idx, "queue") != LUA_TNIL)
            luaL_error(L, "%s: give queue or queue_bytes, not both (one limit replaces the other)", fname);
        lua_pop(L, 1);
        uint64_t q = lnl_checksize(L, -1, CTX("queue_bytes"), NULL, false);
        if (q > UINT32_MAX) luaL_error(L, "%s: too large", ctx);
        c->queue_pkts = 0;
        c->queue_bytes = (uint32_t)q;
        lua_pop(L, 1);
    }
    if (lnl_optfield(L, idx, "mtu")) {
        if (!lua_isinteger(L, -1)) luaL_error(L, "%s: expected an integer, got %s", CTX("mtu"), luaL_typename(L, -1));
        lua_Integer m = lua_tointeger(L, -1);
        if (m != 0 && (m < 68 || m > 65535)) luaL_error(L, "%s: %I out of range (68..65535, or 0 for none)", CTX("mtu"), m);
        c->mtu = (uint32_t)m;
        lua_pop(L, 1);
    }
    if (lnl_optfield(L, idx, "up")) {
        if (!lua_isboolean(L, -1)) luaL_error(L, "%s: expected a boolean, got %s", CTX("up"), luaL_typename(L, -1));
        c->up = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
#undef CTX
}

/* Common options, then per-direction overrides; checks both results. */
static void parse_cfgs(lua_State *L, int idx, ln_linkcfg *ab, ln_linkcfg *ba, const char *fname,
                       const char *const known[])
{
    if (lua_isnoneornil(L, idx)) return;
    lnl_checkopts(L, idx, fname, known);
    apply(L, idx, ab, fname);
    apply(L, idx, ba, fname);
    ln_linkcfg common[2] = {*ab, *ba};   /* before the per-direction overrides */
    static const char *const dn[2] = {"ab", "ba"};
    ln_linkcfg *cfg[2] = {ab, ba};
    for (int d = 0; d < 2; d++) {
        if (!lnl_optfield(L, idx, dn[d])) continue;
        char ctx[64];
        snprintf(ctx, sizeof ctx, "%s: %s", fname, dn[d]);
        lnl_checkopts(L, -1, ctx, dir_opts);
        apply(L, lua_gettop(L), cfg[d], ctx);
        lua_pop(L, 1);
    }
    /* A fault the options for both directions already had is reported
     * without a direction: naming "ab" for a delay written once for the
     * whole link would send the user looking for an ab table. */
    char err[200], cerr[200];
    for (int d = 0; d < 2; d++) {
        if (ln_linkcfg_check(cfg[d], err, sizeof err) == 0) continue;
        if (ln_linkcfg_check(&common[d], cerr, sizeof cerr) != 0 && strcmp(cerr, err) == 0)
            luaL_error(L, "%s: %s", fname, err);
        luaL_error(L, "%s: %s: %s", fname, dn[d], err);
    }
}

/* ---- net:link ---------------------------------------------------------- */

typedef struct endpoint {
    ln_node *node;          /* a new interface will be made on it */
    ln_iface *ifc;          /* an existing unattached interface */
    ln_switch *sw;          /* a new switch port */
    ln_ext *ext;            /* a bridge's external port (l_bridge.c) */
} endpoint;

static void check_endpoint(lua_State *L, int idx, lnl_net *n, endpoint *e, const char *side)
{
    memset(e, 0, sizeof *e);
    lnl_handle *h;
    if ((h = luaL_testudata(L, idx, LNL_NODE))) e->node = h->obj;
    else if ((h = luaL_testudata(L, idx, LNL_IFACE))) e->ifc = h->obj;
    else if ((h = luaL_testudata(L, idx, LNL_SWITCH))) e->sw = h->obj;
    else if ((h = luaL_testudata(L, idx, LNL_BRIDGE))) e->ext = h->obj;
    else lnl_argerror(L, idx, "net:link", "%s must be a Node, an Iface or a Switch, got %s", side,
                      luaL_typename(L, idx));
    if (h->n != n) lnl_argerror(L, idx, "net:link", "%s belongs to another network", side);
    if (!n->net) luaL_error(L, "link: the network is closed");
    if (e->ifc && e->ifc->port.link)
        luaL_error(L, "link: %s: interface %s is already attached to %s", side, e->ifc->port.name,
                   LN_LINK_NAME_OF(e->ifc->port.link));
    if (e->ext && e->ext->port.link)
        luaL_error(L, "link: %s: bridge %s is already attached to %s", side, e->ext->port.name,
                   LN_LINK_NAME_OF(e->ext->port.link));
}

int lnl_net_link(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:link");
    endpoint e[2];
    check_endpoint(L, 2, n, &e[0], "A");
    check_endpoint(L, 3, n, &e[1], "B");
    if (e[0].ifc && e[0].ifc == e[1].ifc) luaL_error(L, "link: A and B are the same interface");
    if (e[0].sw && e[0].sw == e[1].sw)
        luaL_error(L, "link: A and B are the same switch (%s): a cable from a switch to itself is "
                      "a loop that floods every broadcast round forever", e[0].sw->name);
    const ln_dist *d = n->net->dist;
    if (d) {
        /* The split fixed which links are cut, their lookahead and the
         * counters the ranks sum: a new link between ranks would have none. */
        uint32_t act[2];
        for (int i = 0; i < 2; i++)
            act[i] = e[i].node ? e[i].node->actor : e[i].ifc ? e[i].ifc->port.actor : e[i].sw->actor;
        if (act[0] <= d->n_actors && act[1] <= d->n_actors && d->rank_of[act[0]] != d->rank_of[act[1]])
            luaL_error(L, "link: its ends run on ranks %d and %d, and the network is split already (the "
                          "first net:run splits it, fixing the links between ranks: make them before)",
                       (int)d->rank_of[act[0]], (int)d->rank_of[act[1]]);
    }
    ln_linkcfg cfg[2];
    ln_linkcfg_default(&cfg[0]);
    ln_linkcfg_default(&cfg[1]);
    parse_cfgs(L, 4, &cfg[0], &cfg[1], "link", link_opts);
    lua_Integer mtu = 0;
    if (!lua_isnoneornil(L, 4) && lnl_optfield(L, 4, "mtu")) {
        mtu = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    uint32_t addr[2] = {0, 0};
    uint8_t plen[2] = {LN_NO_ADDR, LN_NO_ADDR};
    if (!lua_isnoneornil(L, 4) && lnl_optfield(L, 4, "ip")) {
        int t = lua_gettop(L);
        if (!lua_istable(L, t)) luaL_error(L, "link: ip must be a table {A_address, B_address}");
        for (int i = 0; i < 2; i++) {
            if (lua_rawgeti(L, t, i + 1) != LUA_TNIL) {
                if (e[i].sw) luaL_error(L, "link: ip[%d]: a switch port has no address", i + 1);
                if (e[i].ext) luaL_error(L, "link: ip[%d]: a bridge has no address", i + 1);
                addr[i] = lnl_checkaddr(L, -1, &plen[i], "link: ip");
                if (plen[i] == LN_NO_ADDR)
                    luaL_error(L, "link: ip[%d]: address \"%s\": missing prefix length (like %s/24)",
                               i + 1, lua_tostring(L, -1), lua_tostring(L, -1));
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }

    /* Everything checked: build. */
    ln_port *port[2];
    char err[200];
    for (int i = 0; i < 2; i++) {
        if (e[i].node) {
            e[i].ifc = ln_iface_new(e[i].node, NULL, err, sizeof err);
            if (!e[i].ifc) luaL_error(L, "link: %s", err);
            if (mtu) e[i].ifc->mtu = (uint32_t)mtu;
        }
        if (e[i].sw) {
            port[i] = ln_switch_add_port(e[i].sw);
            if (!port[i]) luaL_error(L, "link: out of memory");
        } else if (e[i].ext) {
            port[i] = &e[i].ext->port;
        } else {
            port[i] = &e[i].ifc->port;
        }
    }
    ln_link *l = ln_link_new(n->net, port[0], port[1], &cfg[0], &cfg[1], err, sizeof err);
    if (!l) luaL_error(L, "link: %s", err);
    for (int i = 0; i < 2; i++) {
        if (plen[i] == LN_NO_ADDR) continue;
        int rc = ln_iface_set_addr(e[i].ifc, addr[i], plen[i]);
        if (rc != 0) luaL_error(L, "link: ip[%d]: %s", i + 1, ln_strerror(rc));
    }
    lnl_push_handle(L, n, l, LNL_LINK);
    return 1;
}

/* ---- lunet.Link -------------------------------------------------------- */

/* A link is its two ends': in a split run the rule is lnl_access's for
 * a link (a link cut between ranks is every rank's between runs). */
static lnl_handle *checklink(lua_State *L, const char *fname, lnl_access acc)
{
    return lnl_checkhandle(L, 1, LNL_LINK, fname, acc);
}

static void push_end(lua_State *L, lnl_net *n, ln_port *p)
{
    if (!p) lua_pushnil(L);
    else if (p->kind == LN_PORT_IFACE) lnl_push_handle(L, n, p->owner, LNL_IFACE);
    else if (p->kind == LN_PORT_EXT) lnl_push_handle(L, n, p->owner, LNL_BRIDGE);
    else lnl_push_handle(L, n, p->owner, LNL_SWITCH);
}

static int link_index(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_LINK);
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (!k || !h->n->net) { lua_pushnil(L); return 1; }
    ln_link *l = LINK(h);
    if (strcmp(k, "name") == 0) lua_pushstring(L, LN_LINK_NAME_OF(l));
    else if (strcmp(k, "a") == 0) push_end(L, h->n, l->d[0].from);
    else if (strcmp(k, "b") == 0) push_end(L, h->n, l->d[0].to);
    else lua_pushnil(L);
    return 1;
}

static int link_tostring(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_LINK);
    if (!h->n->net) lua_pushliteral(L, "lunet.Link(closed)");
    else lua_pushfstring(L, "lunet.Link(%s)", LN_LINK_NAME_OF(LINK(h)));
    return 1;
}

/* "ab" -> 0, "ba" -> 1, none -> -1 (both). */
static int check_dir(lua_State *L, int idx, const char *fname, bool allow_both)
{
    if (lua_isnoneornil(L, idx)) {
        if (allow_both) return -1;
        return 0;
    }
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    if (s && strcmp(s, "ab") == 0) return 0;
    if (s && strcmp(s, "ba") == 0) return 1;
    if (!s) return lnl_typeerror(L, idx, fname, "direction \"ab\" or \"ba\"");
    return lnl_argerror(L, idx, fname, "direction \"%s\" unknown (use \"ab\" or \"ba\")", s);
}

static int link_set(lua_State *L)
{
    lnl_handle *h = checklink(L, "link:set", LNL_DRIVE);
    ln_link *l = LINK(h);
    if (!lua_istable(L, 2)) lnl_typeerror(L, 2, "link:set", "table of options");
    ln_linkcfg cfg[2] = { *ln_link_cfg(l, 0), *ln_link_cfg(l, 1) };
    parse_cfgs(L, 2, &cfg[0], &cfg[1], "link:set", set_opts);
    char err[200];
    for (int d = 0; d < 2; d++)
        if (ln_link_configure(l, d, &cfg[d], err, sizeof err) != 0)
            luaL_error(L, "link:set: %s", err);
    lua_settop(L, 1);
    return 1;
}

/* A direction's settings in the units a number means in link:set
 * (seconds, bit/s, bytes, 0..1), so l:set(l:get("ab")) changes nothing. */
static int link_get(lua_State *L)
{
    lnl_handle *h = checklink(L, "link:get", LNL_OBSERVE);
    const ln_linkcfg *c = ln_link_cfg(LINK(h), check_dir(L, 2, "link:get", false));
    lua_createtable(L, 0, 13);
    lua_pushinteger(L, (lua_Integer)c->bandwidth); lua_setfield(L, -2, "bandwidth");
    lnl_push_time(L, c->delay); lua_setfield(L, -2, "delay");
    lnl_push_time(L, c->jitter); lua_setfield(L, -2, "jitter");
    if (c->loss.kind == LN_LOSS_GE) {
        lua_createtable(L, 0, 5);
        lua_pushliteral(L, "gilbert"); lua_setfield(L, -2, "model");
        lua_pushnumber(L, c->loss.p); lua_setfield(L, -2, "p");
        lua_pushnumber(L, c->loss.r); lua_setfield(L, -2, "r");
        lua_pushnumber(L, c->loss.loss_bad); lua_setfield(L, -2, "loss_bad");
        lua_pushnumber(L, c->loss.loss_good); lua_setfield(L, -2, "loss_good");
    } else {
        lua_pushnumber(L, c->loss.kind == LN_LOSS_RANDOM ? c->loss.rate : 0.0);
    }
    lua_setfield(L, -2, "loss");
    lua_pushnumber(L, c->corrupt); lua_setfield(L, -2, "corrupt");
    lua_pushnumber(L, c->duplicate); lua_setfield(L, -2, "duplicate");
    lua_pushnumber(L, c->reorder); lua_setfield(L, -2, "reorder");
    lnl_push_time(L, c->reorder_delay); lua_setfield(L, -2, "reorder_delay");
    /* One limit, as link:set makes it: queue in packets (what a bare
     * number means there; 0 is no limit), or queue_bytes. */
    if (c->queue_bytes) { lua_pushinteger(L, c->queue_bytes); lua_setfield(L, -2, "queue_bytes"); }
    else { lua_pushinteger(L, c->queue_pkts); lua_setfield(L, -2, "queue"); }
    lua_pushinteger(L, c->mtu); lua_setfield(L, -2, "mtu");
    lnl_push_time(L, c->min_delay); lua_setfield(L, -2, "min_delay");
    lua_pushboolean(L, c->up); lua_setfield(L, -2, "up");
    return 1;
}

static int link_updown(lua_State *L, bool up, const char *fname)
{
    lnl_handle *h = checklink(L, fname, LNL_DRIVE);
    ln_link_set_up(LINK(h), check_dir(L, 2, fname, true), up);
    lua_settop(L, 1);
    return 1;
}

static int link_up(lua_State *L) { return link_updown(L, true, "link:up"); }
static int link_down(lua_State *L) { return link_updown(L, false, "link:down"); }

static int link_is_up(lua_State *L)
{
    lnl_handle *h = checklink(L, "link:is_up", LNL_OBSERVE);
    int d = check_dir(L, 2, "link:is_up", true);
    ln_link *l = LINK(h);
    lua_pushboolean(L, d < 0 ? ln_link_cfg(l, 0)->up && ln_link_cfg(l, 1)->up : ln_link_cfg(l, d)->up);
    return 1;
}

static void push_dirstats(lua_State *L, const ln_net *net, const ln_linkdir *d)
{
#define C(field) LNL_COUNTER(ln_linkdir_stats, field)
    static const lnl_counter counters[] = {
        C(enqueued), C(tx_packets), C(tx_bytes), C(delivered), C(delivered_bytes),
        C(dropped_queue), C(dropped_loss), C(dropped_down), C(dropped_mtu), C(corrupted),
        C(duplicated), C(reordered), {NULL, 0},
    };
#undef C
    ln_linkdir_stats st;
    uint32_t q_len, q_bytes;
    /* A split run: the halves another rank runs as that rank counted them
     * at the end of the last run (lnl_dist_drive sums them). */
    if (net->dist) {
        ln_dist_link_stats(net->dist, d, &st, &q_len, &q_bytes);
    } else {
        ln_link_stats(d, &st);
        ln_link_queue(d, &q_len, &q_bytes);
    }
    lnl_push_counters(L, &st, counters);
    lua_pushinteger(L, st.max_qlen);      /* a high-water mark, not a uint64_t counter */
    lua_setfield(L, -2, "max_qlen");
    lua_pushinteger(L, q_len);
    lua_setfield(L, -2, "qlen");
    lua_pushinteger(L, q_bytes);
    lua_setfield(L, -2, "qbytes");
}

static int link_stats(lua_State *L)
{
    lnl_handle *h = checklink(L, "link:stats", LNL_OBSERVE);
    lua_createtable(L, 0, 2);
    push_dirstats(L, h->n->net, &LINK(h)->d[0]);
    lua_setfield(L, -2, "ab");
    push_dirstats(L, h->n->net, &LINK(h)->d[1]);
    lua_setfield(L, -2, "ba");
    return 1;
}

void lnl_open_link(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"set", link_set}, {"get", link_get}, {"up", link_up}, {"down", link_down},
        {"is_up", link_is_up}, {"stats", link_stats}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", link_index}, {"__tostring", link_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_LINK, "Link", methods, meta);
}
