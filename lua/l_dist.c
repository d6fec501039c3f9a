/* l_dist.c - a network split across the ranks of `lunet run --ranks`
 * (docs/parallel.md): net:partition, net:rank, net:owns, net:dist_stats,
 * and the windowed driver net:run uses once the network is split.
 *
 * Every rank runs the same script.  The split happens at the first
 * net:run (lnl_dist_prepare): the parts the script gave (net:partition)
 * or the partitioner's (partition.h), over the topology as it stands then;
 * nodes and switches made later are refused.  From then on a rank runs
 * the events of its own actors and, between windows no longer than the
 * lookahead, trades with the others the frames that cross (the transport,
 * lnl_rank_ctx: MPI in l_mpi.c). */
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "link.h"
#include "node.h"
#include "partition.h"
#include "switch.h"
#include "lunet.h"

const lnl_ranks *lnl_rank_ctx = NULL;

static uint32_t nranks(void) { return lnl_rank_ctx ? lnl_rank_ctx->size : 1; }
static uint32_t myrank(void) { return lnl_rank_ctx ? lnl_rank_ctx->rank : 0; }

/* The actor of a Node or Switch argument. */
static uint32_t check_actor(lua_State *L, int idx, const char *fname, const char **name)
{
    lnl_handle *h = luaL_testudata(L, idx, LNL_NODE);
    if (h && h->obj) {
        if (name) *name = ((ln_node *)h->obj)->name;
        return ((ln_node *)h->obj)->actor;
    }
    h = luaL_testudata(L, idx, LNL_SWITCH);
    if (h && h->obj) {
        if (name) *name = ((ln_switch *)h->obj)->name;
        return ((ln_switch *)h->obj)->actor;
    }
    lnl_argerror(L, idx, fname, "a node or a switch%s expected, got %s",
                 strcmp(fname, "net:owns") == 0 ? " (or an interface, a link)" : "", luaL_typename(L, idx));
    return 0;
}

/* net:partition{ {h1, s1, r1}, {h2, r2}, ... }: part i runs on rank i - 1;
 * every node and switch in exactly one part.  Kept until the first run. */
static int net_partition(lua_State *L)
{
    const char *F = "net:partition";
    lnl_net *n = lnl_checknet(L, 1, F);
    if (n->net->dist) luaL_error(L, "%s: the network is split already (the first net:run splits it)", F);
    luaL_checktype(L, 2, LUA_TTABLE);
    uint32_t na = n->net->n_actors;
    uint32_t *part = lua_newuserdatauv(L, (na + 1) * sizeof *part, 0);
    for (uint32_t a = 0; a <= na; a++) part[a] = UINT32_MAX;
    lua_Integer np = luaL_len(L, 2);
    if (np < 1) lnl_argerror(L, 2, F, "a list of parts (lists of nodes and switches) expected");
    if ((uint32_t)np > nranks())
        lnl_argerror(L, 2, F, "%d parts for %d ranks (run under mpirun -np %d, or give fewer parts)",
                     (int)np, (int)nranks(), (int)np);
    for (lua_Integer i = 1; i <= np; i++) {
        if (lua_rawgeti(L, 2, i) != LUA_TTABLE)
            lnl_argerror(L, 2, F, "part %d: a list of nodes and switches expected, got %s", (int)i,
                         luaL_typename(L, -1));
        lua_Integer k = luaL_len(L, -1);
        for (lua_Integer j = 1; j <= k; j++) {
            lua_rawgeti(L, -1, j);
            const char *nm = NULL;
            uint32_t a = check_actor(L, lua_gettop(L), F, &nm);
            if (part[a] != UINT32_MAX)
                lnl_argerror(L, 2, F, "%s is in parts %d and %d", nm, (int)part[a] + 1, (int)i);
            part[a] = (uint32_t)(i - 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    for (uint32_t i = 0; i < n->net->n_nodes; i++)
        if (part[n->net->nodes[i]->actor] == UINT32_MAX)
            lnl_argerror(L, 2, F, "node %s is in no part (every node and switch must be placed)",
                         n->net->nodes[i]->name);
    for (uint32_t i = 0; i < n->net->n_switches; i++)
        if (part[n->net->switches[i]->actor] == UINT32_MAX)
            lnl_argerror(L, 2, F, "switch %s is in no part (every node and switch must be placed)",
                         n->net->switches[i]->name);
    lnl_push_uv(L, n);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "partition");
    return 0;
}

/* What cutting a link costs: a window is no longer than the least
 * lookahead of a cut link, so a short one costs every rank many more
 * rounds.  1 for 10 ms and more, 10 for 1 ms, 200 for 50 us. */
static uint32_t cut_cost(const ln_link *l)
{
    ln_time md = l->d[0].cfg.min_delay < l->d[1].cfg.min_delay ? l->d[0].cfg.min_delay
                                                               : l->d[1].cfg.min_delay;
    ln_time ref = 10 * LN_MSEC;
    if (!md || md >= ref) return 1;
    ln_time w = ref / md;
    return w > 1000000 ? 1000000 : (uint32_t)w;
}

/* The partitioner's parts: actors are vertices, links edges; a link
 * without min_delay both ways may not be cut, and a short one costs
 * more to cut (cut_cost). */
static void auto_parts(lua_State *L, ln_net *net, uint32_t *rank_of)
{
    uint32_t na = net->n_actors;
    ln_part_edge *e = lua_newuserdatauv(L, (net->n_links + 1) * sizeof *e, 0);
    for (uint32_t i = 0; i < net->n_links; i++) {
        ln_link *l = net->links[i];
        e[i] = (ln_part_edge){ .a = l->d[0].from->actor - 1, .b = l->d[0].to->actor - 1,
                               .weight = cut_cost(l),
                               .cuttable = l->d[0].cfg.min_delay > 0 && l->d[1].cfg.min_delay > 0 };
    }
    int rc = ln_partition(na, NULL, e, net->n_links, nranks(), LN_PART_AUTO, rank_of + 1);
    if (rc) luaL_error(L, "net:run: partitioning %d nodes and switches into %d ranks: %s", (int)na, (int)nranks(),
                       ln_strerror(rc));
    lua_pop(L, 1);
}

void lnl_dist_prepare(lua_State *L, lnl_net *n)
{
    ln_net *net = n->net;
    if (!lnl_rank_ctx || net->dist) {
        if (net->dist && net->dist->n_actors != net->n_actors)
            luaL_error(L, "net:run: nodes or switches were added after the network was split "
                          "across ranks (the first net:run splits it: build the whole topology first)");
        return;
    }
    uint32_t na = net->n_actors;
    uint32_t *rank_of = lua_newuserdatauv(L, (na + 1) * sizeof *rank_of, 0);
    rank_of[0] = 0;
    lnl_push_uv(L, n);
    if (lua_getfield(L, -1, "partition") == LUA_TUSERDATA &&
        lua_rawlen(L, -1) == (na + 1) * sizeof(uint32_t)) {
        memcpy(rank_of, lua_touserdata(L, -1), (na + 1) * sizeof *rank_of);
        rank_of[0] = 0;
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "net:run: nodes or switches were added after net:partition: "
                      "call it once the topology is complete");
    } else {
        auto_parts(L, net, rank_of);
    }
    lua_pop(L, 2);
    char err[512];
    ln_dist *d = ln_dist_new(net, myrank(), nranks(), rank_of, err, sizeof err);
    if (!d) luaL_error(L, "net:run: cannot split the network across %d ranks: %s", (int)nranks(), err);
    lua_pop(L, 1);
    ln_net_set_dist(net, d);
    lnl_captures_split(L, n);
    lnl_tasks_release_remote(L, n);
}

/* The end of a run, on every rank: each learns what the others' halves of
 * the links cut between them counted (one reduction for all of them, in
 * link order), so that l:stats() reads the same on every rank. */
static void sum_cut_counts(ln_dist *d, const lnl_ranks *rk)
{
    size_t len = ln_dist_counts_len(d);
    if (!len) return;                 /* nothing cut: the same on every rank */
    uint64_t *v = malloc(len * sizeof *v);
    if (!v) ln_fatal("out of memory for the counters of %u cut links", d->cut_links);
    ln_dist_counts_pack(d, v);
    rk->sum(v, len);
    ln_dist_counts_set(d, v);
    free(v);
}

/* Windows until `until` (LN_NEVER: until no rank has events).  Every
 * rank goes through the same rounds: a stop anywhere (an error, Ctrl-C)
 * ends the run everywhere at the next agreement. */
bool lnl_dist_drive(lnl_net *n, ln_time until, uint32_t *stopped_by)
{
    ln_sim *s = &n->net->sim;
    ln_dist *d = n->net->dist;
    const lnl_ranks *rk = lnl_rank_ctx;
    s->stop = false;
    *stopped_by = 0;
    for (;;) {
        /* Exchange first: what the script sent since the last run, outside
         * any window, is in the outboxes and must be armed before the
         * ranks agree on the next event. */
        if (rk->exchange(d) != 0) ln_fatal("rank %u: a malformed message from another rank", d->rank);
        ln_time next = ln_sim_next(s);
        uint32_t stop = (s->stop || n->failed || lnl_interrupt) ? d->rank + 1 : 0;
        rk->agree(&next, &stop);
        if (stop) {
            /* Every rank saw the stop in this same round: all sum. */
            sum_cut_counts(d, rk);
            *stopped_by = stop;
            return false;
        }
        if (next == LN_NEVER || next > until) break;
        ln_time end = ln_dist_window_end(d, next, until);
        while (!s->stop && !n->failed && s->len && ln_sim_next(s) < end) ln_sim_step(s);
        d->st.windows++;
    }
    sum_cut_counts(d, rk);
    if (until != LN_NEVER && until > s->now) s->now = until;
    return true;
}

static int net_rank(lua_State *L)
{
    lnl_checknet(L, 1, "net:rank");
    lua_pushinteger(L, myrank());
    lua_pushinteger(L, nranks());
    return 2;
}

/* Does this rank run x's events (always true unsplit)?  An interface's
 * are its node's; a link's are its two ends' (true when this rank runs
 * both: what a task or a hook may change while the network runs). */
static int net_owns(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:owns");
    uint32_t a, b;
    lnl_handle *h;
    if ((h = luaL_testudata(L, 2, LNL_IFACE)) && h->obj) {
        a = b = ((ln_iface *)h->obj)->port.actor;
    } else if ((h = luaL_testudata(L, 2, LNL_LINK)) && h->obj) {
        a = ((ln_link *)h->obj)->d[0].from->actor;
        b = ((ln_link *)h->obj)->d[0].to->actor;
    } else {
        a = b = check_actor(L, 2, "net:owns", NULL);
    }
    lua_pushboolean(L, !n->net->dist || (ln_net_local(n->net, a) && ln_net_local(n->net, b)));
    return 1;
}

static void setnum(lua_State *L, const char *k, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

static int net_dist_stats(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:dist_stats");
    ln_dist *d = n->net->dist;
    lua_newtable(L);
    setnum(L, "rank", myrank());
    setnum(L, "ranks", nranks());
    setnum(L, "events", n->net->sim.events);
    if (!d) return 1;
    if (d->lookahead != LN_NEVER) setnum(L, "lookahead", d->lookahead);
    setnum(L, "cut_links", d->cut_links);
    setnum(L, "windows", d->st.windows);
    setnum(L, "msgs_out", d->st.msgs_out);
    setnum(L, "msgs_in", d->st.msgs_in);
    setnum(L, "bytes_out", d->st.bytes_out);
    setnum(L, "bytes_in", d->st.bytes_in);
    uint32_t mine = 0;
    for (uint32_t a = 1; a <= d->n_actors; a++) mine += !d->remote[a];
    setnum(L, "actors", mine);
    return 1;
}

void lnl_open_dist(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"partition", net_partition}, {"rank", net_rank}, {"owns", net_owns},
        {"dist_stats", net_dist_stats}, {NULL, NULL},
    };
    lnl_getmethods(L, "Net");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 1);
}
