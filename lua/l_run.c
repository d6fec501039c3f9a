/* l_run.c - the drivers seen from Lua: net:run, run_until, step, stop.
 *
 * The as-fast-as-possible driver is a loop over ln_sim_step that also polls
 * the interrupt flag between events, so Ctrl-C stops even a long run that
 * never enters Lua.  Under lunet.realtime the loop is realtime.c's instead.
 * Tasks and hooks run from inside the loop; an error in one stops the
 * simulation (lnl_fail) and is raised here, once the captures are flushed,
 * so the script fails at the task's line. */
#include <string.h>

#include "lunet.h"

/* The binding's one global (see lunet.h): a signal handler may only touch
 * a volatile sig_atomic_t. */
volatile sig_atomic_t lnl_interrupt = 0;

static bool realtime_on(lua_State *L)
{
    lnl_modfield(L, "realtime");
    bool rt = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return rt;
}

static lnl_net *begin(lua_State *L, const char *fname)
{
    lnl_net *n = lnl_checknet(L, 1, fname);
    if (lnl_current_task(L))
        luaL_error(L, "%s: cannot drive the network from inside a task "
                      "(tasks run while the script's net:run drives it)", fname);
    if (n->running) luaL_error(L, "%s: the network is already running", fname);
    lnl_auto_capture(L, n);
    n->running = true;
    n->interrupted = false;
    return n;
}

/* End of a run: flush captures, then raise what a task or hook raised. */
static int finish(lua_State *L, lnl_net *n, int nret)
{
    n->running = false;
    if (n->net) ln_net_flush_captures(n->net);
    if (n->failed) {
        n->failed = false;
        lnl_push_uv(L, n);
        lua_getfield(L, -1, "err");
        lua_pushnil(L);
        lua_setfield(L, -3, "err");
        return lua_error(L);
    }
    if (lnl_interrupt) {
        lnl_interrupt = 0;
        return luaL_error(L, "interrupted!");
    }
    if (n->interrupted) {                 /* realtime Ctrl-C: a clean stop */
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "interrupted");
        return 2;
    }
    return nret;
}

static void drive(lnl_net *n, ln_time until)
{
    ln_sim *s = &n->net->sim;
    s->stop = false;
    while (!s->stop && !lnl_interrupt) {
        ln_time nx = ln_sim_next(s);
        if (nx == LN_NEVER || nx > until) break;
        ln_sim_step(s);
    }
    if (!s->stop && !lnl_interrupt && until != LN_NEVER && until > s->now) s->now = until;
}

static int run_to(lua_State *L, lnl_net *n, ln_time until)
{
    if (realtime_on(L)) {
        if (!lnl_realtime_run(n, until)) n->interrupted = true;
    } else {
        drive(n, until);
    }
    lua_pushboolean(L, 1);
    return finish(L, n, 1);
}

static int net_run(lua_State *L)
{
    lnl_net *n = begin(L, "net:run");
    ln_time until = LN_NEVER;
    if (!lua_isnoneornil(L, 2)) {
        ln_time d = lnl_checktime(L, 2, "net:run");
        ln_time now = ln_net_now(n->net);
        until = d > LN_NEVER - 1 - now ? LN_NEVER - 1 : now + d;
    }
    return run_to(L, n, until);
}

static int net_run_until(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:run_until");
    ln_time t = lnl_checktime(L, 2, "net:run_until");
    if (t < ln_net_now(n->net)) {
        char a[48], b[48];
        luaL_error(L, "net:run_until: %s is in the past (now %s)",
                   lnl_fmt_time((int64_t)t, a, sizeof a),
                   lnl_fmt_time((int64_t)ln_net_now(n->net), b, sizeof b));
    }
    begin(L, "net:run_until");
    return run_to(L, n, t);
}

static int net_step(lua_State *L)
{
    lnl_net *n = begin(L, "net:step");
    n->net->sim.stop = false;
    lua_pushboolean(L, ln_sim_step(&n->net->sim));
    return finish(L, n, 1);
}

static int net_stop(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:stop");
    ln_sim_stop(&n->net->sim);
    return 0;
}

static int net_next(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:next");
    ln_time t = ln_sim_next(&n->net->sim);
    if (t == LN_NEVER) lua_pushnil(L);
    else lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

void lnl_open_run(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"run", net_run}, {"run_until", net_run_until}, {"step", net_step},
        {"stop", net_stop}, {"next_event", net_next}, {NULL, NULL},
    };
    lnl_getmethods(L, "Net");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 1);
}
