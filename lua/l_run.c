/* l_run.c - the drivers seen from Lua: net:run, run_until, step, stop.
 *
 * The as-fast-as-possible driver is a loop over ln_sim_step that also polls
 * the interrupt flag between events, so Ctrl-C (or SIGTERM, SIGHUP: see
 * main.c) stops even a long run that never enters Lua, between two events,
 * and the run raises "interrupted at t=1.234s": an interrupt ends the
 * script, whichever driver ran.  Under lunet.realtime the loop is
 * realtime.c's instead.  Tasks and hooks run from inside the loop; an error
 * in one stops the simulation (lnl_fail) and is raised here, once the
 * captures are flushed, so the script fails at the task's line.  So does a
 * capture that could not write its file.
 *
 * Arguments are checked before the network is marked running: a bad one
 * raises and leaves the network as it was.
 *
 * A run that takes more than a second of wall time draws a progress line
 * on stderr (lunet.progress, set by the CLI): the loop reads the wall
 * clock every few thousand events; the stacks never do. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "node.h"
#include "lunet.h"

/* The binding's globals (see lunet.h): a signal handler may only touch a
 * volatile sig_atomic_t; the progress line is on the process's one stderr. */
volatile sig_atomic_t lnl_interrupt = 0;
volatile sig_atomic_t lnl_timed_out = 0;
volatile sig_atomic_t lnl_signal = 0;
volatile sig_atomic_t lnl_cli_signals = 0;
bool lnl_progress_shown = false;
bool lnl_out_midline = false;

static bool realtime_on(lua_State *L)
{
    lnl_modfield(L, "realtime");
    bool rt = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return rt;
}

/* lunet.speed (lunet run --speed X): virtual seconds per wall second of a
 * realtime run; 1 when unset. */
static double realtime_speed(lua_State *L)
{
    lnl_modfield(L, "speed");
    double x = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 1.0;
    lua_pop(L, 1);
    return x > 0 ? x : 1.0;
}

/* The network at 1, if the caller may drive it now; changes nothing. */
static lnl_net *checkdrive(lua_State *L, const char *fname)
{
    lnl_net *n = lnl_checknet(L, 1, fname);
    lnl_task *t = lnl_current_task(L);
    if (t && !lnl_task_is_sync(t))
        luaL_error(L, "%s: cannot drive the network from inside a task "
                      "(tasks run while the script's net:run drives it)", fname);
    if (n->running) luaL_error(L, "%s: the network is already running", fname);
    return n;
}

/* Mark n running: from here on every way out goes through finish(). */
static void begin(lua_State *L, lnl_net *n)
{
    lnl_dist_prepare(L, n);                  /* a ranked run splits first: */
    lnl_auto_bridge(L, n);                   /* before: --pcap captures it too */
    lnl_auto_capture(L, n);                  /* each rank captures its own */
    n->running = true;
    n->interrupted = false;
}

const char *lnl_signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return NULL;
    }
}

const char *lnl_push_stop_message(lua_State *L, lnl_net *n, int sig, const char *where)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, sig == SIGINT || sig == 0 ? "interrupted" : "terminated");
    if (n && n->net) {
        char t[48];
        luaL_addstring(&b, " at t=");
        luaL_addstring(&b, lnl_fmt_time((int64_t)ln_net_now(n->net), t, sizeof t));
    }
    if (where && *where) {
        luaL_addchar(&b, ' ');
        luaL_addstring(&b, where);
    }
    if (sig && sig != SIGINT) {
        char nm[32];
        if (lnl_signal_name(sig)) snprintf(nm, sizeof nm, "%s", lnl_signal_name(sig));
        else snprintf(nm, sizeof nm, "signal %d", sig);
        luaL_addstring(&b, " (");
        luaL_addstring(&b, nm);
        luaL_addchar(&b, ')');
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
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

/* What a livelocked run saw in its last events (see sample_livelock). */
#define LOOP_NAMES 8

typedef struct livelock_seen {
    const ln_link *links[LOOP_NAMES];
    int n_links;
    bool more_links;
    bool loop;                         /* links are switch to switch only */
    char task[sizeof lnl_last_task];   /* "" when no task ran */
} livelock_seen;

/* "livelock: ..." with the culprit: the frames going round (the links the
 * last events sent them over), else the task that ran last. */
static int raise_livelock(lua_State *L, lnl_net *n, const livelock_seen *w)
{
    static const livelock_seen none;
    if (!w) w = &none;
    char b[48];
    int limit = livelock_limit(L);
    luaL_Buffer buf;
    luaL_buffinit(L, &buf);
    lua_pushfstring(L, "livelock: virtual time stuck at %s for %d events in a row (nothing lets "
                       "time pass); ",
                    lnl_fmt_time((int64_t)ln_net_now(n->net), b, sizeof b), limit);
    luaL_addvalue(&buf);
    if (w->n_links) {
        luaL_addstring(&buf, w->loop ? "frames going round a loop of switches, sent again and "
                                       "again at that instant over "
                                     : "frames sent again and again at that instant over ");
        for (int i = 0; i < w->n_links; i++) {
            if (i) luaL_addstring(&buf, ", ");
            luaL_addstring(&buf, LN_LINK_NAME_OF(w->links[i]));
        }
        if (w->more_links) luaL_addstring(&buf, ", ...");
        luaL_addstring(&buf, w->loop ? " (a delay or a bandwidth limit on one of them lets time "
                                       "pass; better, break the loop)"
                                     : " (a delay or a bandwidth limit lets time pass)");
        if (*w->task) {
            luaL_addstring(&buf, "; the task that ran last: ");
            luaL_addstring(&buf, w->task);
        }
    } else {
        luaL_addstring(&buf, "the task that ran last: ");
        luaL_addstring(&buf, *w->task ? w->task : *lnl_last_task ? lnl_last_task : "none");
    }
    luaL_addstring(&buf, " (lunet.livelock sets the limit, 0 turns the check off)");
    luaL_pushresult(&buf);
    return lua_error(L);
}

/* End of a run: flush captures, then raise what stopped it: a task's or a
 * hook's error, a signal, a capture that could not write, a livelock. */
static int finish(lua_State *L, lnl_net *n, int nret, const livelock_seen *ls)
{
    n->running = false;
    if (n->net) ln_net_flush_captures(n->net);
    if (lnl_interrupt && lnl_signal) lua_sethook(L, NULL, 0, 0);   /* the handler's, spent here */
    if (n->failed) {
        n->failed = false;
        if (!lnl_signal) lnl_interrupt = 0;   /* a timeout that stopped a task is spent */
        lnl_push_uv(L, n);
        lua_getfield(L, -1, "err");
        lua_pushnil(L);
        lua_setfield(L, -3, "err");
        return lua_error(L);
    }
    if (lnl_interrupt) {
        if (lnl_timed_out) {
            lnl_interrupt = 0;
            return luaL_error(L, "timeout: the wall-clock limit of --timeout ran out");
        }
        /* lnl_interrupt stays: every later run of the script stops too */
        lnl_push_stop_message(L, n, lnl_signal, NULL);
        return lua_error(L);
    }
    if (lnl_captures_flush(L, n)) return lua_error(L);
    if (n->livelocked) {
        n->livelocked = false;
        return raise_livelock(L, n, ls);
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

/* ---- what keeps a livelocked run busy ------------------------------------ */

/* Events watched once a run is stuck: enough for frames to go round any
 * loop a lab builds many times, nothing next to the events already run. */
#define LIVELOCK_SAMPLE 2000

static bool switch_port(const ln_port *p)
{
    return p && p->kind == LN_PORT_SWITCH;
}

/* Every link the sample saw a frame start onto, in order, up to a bound. */
typedef struct tx_seen {
    const ln_link *links[64];
    int n;
    bool more;
} tx_seen;

static void on_sample_tx(const ln_event *ev, void *arg)
{
    tx_seen *w = arg;
    const ln_link *l = ev->link;
    if (!l) return;
    for (int i = 0; i < w->n; i++)
        if (w->links[i] == l) return;
    if (w->n < (int)(sizeof w->links / sizeof w->links[0])) w->links[w->n++] = l;
    else w->more = true;
}

/* Copy the links `keep` accepts (all when NULL) into w. */
static void pick_links(livelock_seen *w, const tx_seen *all, bool (*keep)(const ln_link *))
{
    w->n_links = 0;
    w->more_links = all->more;
    for (int i = 0; i < all->n; i++) {
        if (keep && !keep(all->links[i])) continue;
        if (w->n_links < LOOP_NAMES) w->links[w->n_links++] = all->links[i];
        else w->more_links = true;
    }
}

static bool switch_to_switch(const ln_link *l)
{
    return switch_port(l->d[0].from) && switch_port(l->d[1].from);
}

/* The run is stuck at one instant.  Time stands still anyway, so watch a
 * few more events: the links frames are sent over (a broadcast storm in
 * a loop of switches over links without delay) and whether any task runs.
 * A loop is named by its switch-to-switch links only: the copies flooded
 * to hosts along the way are not part of it. */
static void sample_livelock(lnl_net *n, livelock_seen *w)
{
    ln_sim *s = &n->net->sim;
    memset(w, 0, sizeof *w);
    char before[sizeof lnl_last_task];
    memcpy(before, lnl_last_task, sizeof before);
    lnl_last_task[0] = '\0';
    tx_seen all;
    memset(&all, 0, sizeof all);
    int id = ln_net_subscribe(n->net, LN_EV_MASK(LN_EV_TX), on_sample_tx, &all);
    ln_time t = s->now;
    for (int i = 0; i < LIVELOCK_SAMPLE && !s->stop && !n->failed && !lnl_interrupt; i++) {
        if (ln_sim_next(s) != t) break;
        ln_sim_step(s);
    }
    if (id > 0) ln_net_unsubscribe(n->net, id);
    pick_links(w, &all, switch_to_switch);
    w->loop = w->n_links > 0;
    if (!w->loop) pick_links(w, &all, NULL);
    memcpy(w->task, lnl_last_task, sizeof w->task);
    if (!*lnl_last_task) memcpy(lnl_last_task, before, sizeof before);
}

static void drive(lnl_net *n, ln_time until, int pg_mode, uint64_t stuck_limit, livelock_seen *ls)
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
            if (stuck_limit && s->stuck >= stuck_limit) {
                n->livelocked = true;
                sample_livelock(n, ls);
                break;
            }
        }
    }
    lnl_progress_erase();             /* ended, stopped, failed or interrupted */
    /* Time moves on to `until` only when the run got there: not when it
     * was stopped, interrupted or stuck at one instant. */
    if (!s->stop && !lnl_interrupt && !n->livelocked && until != LN_NEVER && until > s->now)
        s->now = until;
}

static int run_to(lua_State *L, lnl_net *n, ln_time until)
{
    livelock_seen ls;
    memset(&ls, 0, sizeof ls);
    if (n->net->dist) {
        uint32_t by;
        if (!lnl_dist_drive(n, until, &by) && !n->failed && !lnl_interrupt) {
            n->running = false;
            ln_net_flush_captures(n->net);
            return luaL_error(L, "net:run: rank %d stopped the run (its error is in its output)",
                              (int)by - 1);
        }
    } else if (realtime_on(L) || lnl_bridged(n)) {
        /* A bridged network always goes by the wall clock: the real hosts
         * behind it do not wait for virtual time. */
        if (!lnl_realtime_run(n, until, realtime_speed(L))) n->interrupted = true;
    } else {
        drive(n, until, progress_mode(L), (uint64_t)livelock_limit(L), &ls);
    }
    lua_pushboolean(L, 1);
    return finish(L, n, 1, &ls);
}

/* The arguments are read before begin(): a bad one raises with the
 * network untouched. */
static int net_run(lua_State *L)
{
    lnl_net *n = checkdrive(L, "net:run");
    ln_time until = LN_NEVER;
    if (!lua_isnoneornil(L, 2)) {
        ln_time d = lnl_argtime(L, 2, "net:run", NULL);
        ln_time now = ln_net_now(n->net);
        until = d > LN_NEVER - 1 - now ? LN_NEVER - 1 : now + d;
    }
    begin(L, n);
    return run_to(L, n, until);
}

static int net_run_until(lua_State *L)
{
    lnl_net *n = checkdrive(L, "net:run_until");
    ln_time t = lnl_argtime(L, 2, "net:run_until", NULL);
    if (t < ln_net_now(n->net)) {
        char a[48], b[48];
        lnl_argerror(L, 2, "net:run_until", "%s is in the past (now %s)",
                   lnl_fmt_time((int64_t)t, a, sizeof a),
                   lnl_fmt_time((int64_t)ln_net_now(n->net), b, sizeof b));
    }
    begin(L, n);
    return run_to(L, n, t);
}

static int net_step(lua_State *L)
{
    lnl_net *n = checkdrive(L, "net:step");
    if (lnl_rank_ctx) luaL_error(L, "net:step: not in a ranked run (ranks move in windows: use net:run)");
    begin(L, n);
    n->net->sim.stop = false;
    lua_pushboolean(L, ln_sim_step(&n->net->sim));
    return finish(L, n, 1, NULL);
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
