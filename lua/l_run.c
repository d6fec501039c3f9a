/* l_run.c - the drivers seen from Lua: net:run, run_until, step, stop.
 *
 * The as-fast-as-possible driver is a loop over ln_sim_step that also polls
 * the interrupt flag between events, so Ctrl-C stops even a long run that
 * never enters Lua.  Under lunet.realtime the loop is realtime.c's instead.
 * Tasks and hooks run from inside the loop; an error in one stops the
 * simulation (lnl_fail) and is raised here, once the captures are flushed,
 * so the script fails at the task's line.
 *
 * A run that takes more than a second of wall time draws a progress line
 * on stderr (lunet.progress, set by the CLI): the loop reads the wall
 * clock every few thousand events; the stacks never do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lunet.h"

/* The binding's globals (see lunet.h): a signal handler may only touch a
 * volatile sig_atomic_t; the progress line is on the process's one stderr. */
volatile sig_atomic_t lnl_interrupt = 0;
volatile sig_atomic_t lnl_timed_out = 0;
bool lnl_progress_shown = false;
bool lnl_out_midline = false;

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
    lnl_task *t = lnl_current_task(L);
    if (t && !lnl_task_is_sync(t))
        luaL_error(L, "%s: cannot drive the network from inside a task "
                      "(tasks run while the script's net:run drives it)", fname);
    if (n->running) luaL_error(L, "%s: the network is already running", fname);
    lnl_auto_capture(L, n);
    n->running = true;
    n->interrupted = false;
    return n;
}

/* lunet.livelock: how many events in a row at one virtual instant mean
 * that time will never move again (a task yielding in a loop, two hooks
 * answering each other); 0 turns the check off.  Legitimate work at one
 * instant is far less: even a transfer over a zero-delay, unlimited link
 * advances time with every packet. */
#define LIVELOCK_DEFAULT 10000000

static int livelock_limit(lua_State *L)
{
    lnl_modfield(L, "livelock");
    int lim = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : LIVELOCK_DEFAULT;
    lua_pop(L, 1);
    return lim < 0 ? 0 : lim;
}

/* End of a run: flush captures, then raise what a task or hook raised. */
static int finish(lua_State *L, lnl_net *n, int nret)
{
    n->running = false;
    if (n->net) ln_net_flush_captures(n->net);
    if (n->failed) {
        n->failed = false;
        lnl_interrupt = 0;              /* a Ctrl-C that stopped a task is spent */
        lnl_push_uv(L, n);
        lua_getfield(L, -1, "err");
        lua_pushnil(L);
        lua_setfield(L, -3, "err");
        return lua_error(L);
    }
    if (lnl_interrupt) {
        lnl_interrupt = 0;
        if (lnl_timed_out) return luaL_error(L, "timeout: the wall-clock limit of --timeout ran out");
        return luaL_error(L, "interrupted!");
    }
    if (n->livelocked) {
        n->livelocked = false;
        char b[48];
        return luaL_error(L, "livelock: virtual time stuck at %s for %d events in a row (nothing "
                             "lets time pass); the task that ran last: %s (lunet.livelock sets "
                             "the limit, 0 turns the check off)",
                          lnl_fmt_time((int64_t)ln_net_now(n->net), b, sizeof b),
                          livelock_limit(L), *lnl_last_task ? lnl_last_task : "none");
    }
    if (n->interrupted) {                 /* realtime Ctrl-C: a clean stop */
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "interrupted");
        return 2;
    }
    return nret;
}

/* ---- the progress line ------------------------------------------------- */

/* A clock read per PG_EVERY events is a vDSO call per few thousand events:
 * nothing next to the events themselves.  Nothing is drawn in the first
 * PG_AFTER seconds (most runs end before) nor more often than PG_GAP. */
#define PG_EVERY 4096u
#define PG_AFTER 1.0
#define PG_GAP   0.1

enum { PG_NEVER, PG_AUTO, PG_ALWAYS };

typedef struct progress {
    int mode;
    bool drawing;              /* past PG_AFTER and allowed to draw */
    bool out_tty;              /* stdout on a terminal too (see draw) */
    double w0, wlast;          /* wall seconds: run start, last draw */
    uint64_t elast;            /* s->events at the last draw */
} progress;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lunet.progress: "always", "auto" (stderr a terminal), anything else is
 * "never" (a plain require "lunet" has it so). */
static int progress_mode(lua_State *L)
{
    lnl_modfield(L, "progress");
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "never";
    int mode = strcmp(m, "always") == 0 ? PG_ALWAYS : strcmp(m, "auto") == 0 ? PG_AUTO : PG_NEVER;
    lua_pop(L, 1);
    return mode;
}

void lnl_progress_erase(void)
{
    if (!lnl_progress_shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    lnl_progress_shown = false;
}

static void draw(progress *p, const ln_sim *s, double now)
{
    double rate = (double)(s->events - p->elast) / (now - p->wlast);
    char r[32], line[128];
    if (rate >= 1e9) snprintf(r, sizeof r, "%.2fG", rate / 1e9);
    else if (rate >= 1e6) snprintf(r, sizeof r, "%.2fM", rate / 1e6);
    else if (rate >= 1e3) snprintf(r, sizeof r, "%.1fk", rate / 1e3);
    else snprintf(r, sizeof r, "%.0f", rate);
    /* Output the script left without a newline stays: the line goes below
     * it instead of erasing it. */
    fflush(stdout);
    bool nl = lnl_out_midline && p->out_tty;
    if (nl) lnl_out_midline = false;
    snprintf(line, sizeof line, "%s\r\033[K  virtual %.3fs  %s events/s  (Ctrl-C stops)",
             nl ? "\n" : "", (double)s->now / 1e9, r);
    fputs(line, stderr);
    fflush(stderr);
    lnl_progress_shown = true;
    p->wlast = now;
    p->elast = s->events;
}

static void progress_tick(progress *p, const ln_sim *s)
{
    double now = wall();
    if (now - p->w0 < PG_AFTER || now - p->wlast < PG_GAP) return;
    if (!p->drawing) {
        /* Decided this late so that only runs this long pay for it;
         * a dumb terminal has no \033[K. */
        const char *term = getenv("TERM");
        if (p->mode == PG_AUTO &&
            (!isatty(STDERR_FILENO) || (term && strcmp(term, "dumb") == 0))) {
            p->mode = PG_NEVER;
            return;
        }
        p->drawing = true;
        p->out_tty = isatty(STDOUT_FILENO);
    }
    draw(p, s, now);
}

static void drive(lnl_net *n, ln_time until, int pg_mode, uint64_t stuck_limit)
{
    ln_sim *s = &n->net->sim;
    progress pg = { .mode = pg_mode };
    if (pg.mode != PG_NEVER) {
        pg.w0 = pg.wlast = wall();
        pg.elast = s->events;
    }
    unsigned left = PG_EVERY;
    s->stop = false;
    while (!s->stop && !lnl_interrupt) {
        ln_time nx = ln_sim_next(s);
        if (nx == LN_NEVER || nx > until) break;
        ln_sim_step(s);
        if (--left == 0) {
            left = PG_EVERY;
            if (pg.mode != PG_NEVER) progress_tick(&pg, s);
            if (stuck_limit && s->stuck >= stuck_limit) { n->livelocked = true; break; }
        }
    }
    lnl_progress_erase();             /* ended, stopped, failed or interrupted */
    if (!s->stop && !lnl_interrupt && until != LN_NEVER && until > s->now) s->now = until;
}

static int run_to(lua_State *L, lnl_net *n, ln_time until)
{
    if (realtime_on(L)) {
        if (!lnl_realtime_run(n, until)) n->interrupted = true;
    } else {
        drive(n, until, progress_mode(L), (uint64_t)livelock_limit(L));
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
