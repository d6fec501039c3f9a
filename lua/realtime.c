/* realtime.c - the wall-clock driver (libev), used by net:run* when
 * lunet.realtime is true (lunet run --realtime, net:run typed in the REPL).
 *
 * Virtual time stays the only time the stacks see: this driver merely waits
 * (an ev_timer for the next event's wall-clock due time) before letting the
 * scheduler run each event, so a run paced to the wall clock executes the
 * same events in the same order as an as-fast-as-possible run.
 *
 * Signals: under the lunet command, SIGINT, SIGTERM and SIGHUP belong to
 * main.c's handler, which sets lnl_interrupt and hooks a task caught in a
 * loop; it wakes this loop through an ev_async (lnl_realtime_wake), so the
 * run stops between two events and net:run raises, as the other driver's
 * does.  In a plain `require "lunet"` nobody handles them: an ev_signal
 * watches SIGINT instead, with the same outcome.  Only drivers read a
 * clock: this file, the REPL's loop and l_run.c's progress line. */
#include <signal.h>
#include <string.h>

#include <ev.h>

#include "lunet.h"

/* The running loop and its wake-up, for lnl_realtime_wake: a signal
 * handler gets no argument.  rt_loop is NULL when no realtime run is going
 * on; it is set after rt_wake and cleared before, so a handler that sees
 * a loop sees its watcher. */
static struct ev_loop *volatile rt_loop;
static ev_async *volatile rt_wake;

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w; (void)revents;
    ev_break(loop, EVBREAK_ONE);
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)w; (void)revents;
    ev_break(loop, EVBREAK_ONE);
}

/* Without the CLI: Ctrl-C stops the run as the CLI's handler would. */
static void on_sigint(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w; (void)revents;
    if (!lnl_signal) lnl_signal = SIGINT;
    lnl_interrupt = 1;
    ev_break(loop, EVBREAK_ONE);
}

void lnl_realtime_wake(void)
{
    struct ev_loop *loop = rt_loop;
    if (loop) ev_async_send(loop, rt_wake);
}

/* A bridge holds frames: stop waiting (rt_io says why). */
static void on_bridge(void *arg)
{
    bool *io = arg;
    *io = true;
    struct ev_loop *loop = rt_loop;
    if (loop) ev_break(loop, EVBREAK_ONE);
}

/* Frames from a bridge enter at the wall clock's virtual time: the events
 * due by then run first, so time never goes back and nothing jumps the
 * queue.  Not past `until`: what comes later waits for the next run. */
static void take_bridged(lnl_net *n, struct ev_loop *loop, double w0, ln_time v0, ln_time until)
{
    ln_sim *s = &n->net->sim;
    ev_now_update(loop);
    double dv = (ev_now(loop) - w0) * 1e9;
    ln_time vw = dv > 0 ? v0 + (ln_time)dv : v0;
    if (vw > until) vw = until;
    while (!s->stop && !n->failed && ln_sim_next(s) <= vw) ln_sim_step(s);
    if (s->stop || n->failed) return;
    if (vw > s->now) s->now = vw;
    lnl_bridges_drain(n, 1024);
}

bool lnl_realtime_run(lnl_net *n, ln_time until, double speed)
{
    /* The real side of a bridge keeps its own time. */
    bool bridged = lnl_bridged(n);
    if (!(speed > 0) || bridged) speed = 1.0;
    /* A loop of our own, not libev's default one: the default loop reaps
     * child processes (SIGCHLD), which would break a script's io.popen.
     * The select backend, because it sleeps to the microsecond: epoll's
     * timeout is whole milliseconds, rounded up, so every event ran up to
     * 1 ms after its due time, and a virtual host timing a round trip
     * through a bridge saw up to 1 ms more than the wire took.  We watch
     * a handful of descriptors, where select costs nothing more. */
    struct ev_loop *loop = ev_loop_new(EVBACKEND_SELECT);
    if (!loop) loop = ev_loop_new(EVFLAG_AUTO);
    if (!loop) return true;
    ln_sim *s = &n->net->sim;

    ev_async wake;
    ev_async_init(&wake, on_wake);
    ev_async_start(loop, &wake);
    struct ev_loop *outer_loop = rt_loop;
    ev_async *outer_wake = rt_wake;
    rt_loop = NULL;
    rt_wake = &wake;
    rt_loop = loop;
    /* libev resets SIGINT to SIG_DFL when its watcher stops: keep the
     * handler there was to put back afterwards. */
    bool own_sigint = !lnl_cli_signals;
    struct sigaction old;
    ev_signal sig;
    if (own_sigint) {
        sigaction(SIGINT, NULL, &old);
        ev_signal_init(&sig, on_sigint, SIGINT);
        ev_signal_start(loop, &sig);
    }
    ev_timer tm;
    ev_timer_init(&tm, on_timer, 0., 0.);
    bool io = false;
    if (bridged) lnl_bridges_watch(n, loop, on_bridge, &io);

    ev_now_update(loop);
    double w0 = ev_now(loop);
    ln_time v0 = s->now;
    unsigned spin = 0;
    s->stop = false;
    while (!s->stop && !lnl_interrupt && !n->failed) {
        if (io) {
            io = false;
            take_bridged(n, loop, w0, v0, until);
            continue;
        }
        ln_time nx = ln_sim_next(s);
        bool idle = nx == LN_NEVER || nx > until;
        /* Nothing left to do, unless the real side may still send: a
         * bridged network runs until `until`, or until stopped. */
        if (idle && until == LN_NEVER && !bridged) break;
        ln_time target = idle ? until : nx;
        double due = target == LN_NEVER ? 0 : w0 + (double)(target - v0) / 1e9 / speed;
        ev_now_update(loop);
        double wait = target == LN_NEVER ? 1.0 : due - ev_now(loop);
        if (wait > 0) {
            ev_timer_set(&tm, wait, 0.);
            ev_timer_start(loop, &tm);
            ev_run(loop, EVRUN_ONCE);
            ev_timer_stop(loop, &tm);
            ev_now_update(loop);
            if (target == LN_NEVER || ev_now(loop) < due) continue;   /* woken early */
        } else if ((bridged || own_sigint) && ++spin % (bridged ? 64 : 1024) == 0) {
            /* Behind the wall clock: still notice Ctrl-C and the bridges
             * now and then (the CLI's handler sets lnl_interrupt itself). */
            ev_run(loop, EVRUN_NOWAIT);
            if (lnl_interrupt) break;
            if (io) continue;
        }
        if (idle) { s->now = until; break; }
        ln_sim_step(s);
    }
    if (bridged) lnl_bridges_unwatch(n);
    if (lnl_interrupt) {
        /* Stopped while waiting: virtual time is where the wall clock got
         * to (never past the next event or `until`), so the stop line
         * tells the time the user saw. */
        ev_now_update(loop);
        double dv = (ev_now(loop) - w0) * 1e9 * speed;
        ln_time nx = ln_sim_next(s), cap = nx < until ? nx : until;
        ln_time v = dv > 0 ? v0 + (ln_time)dv : v0;
        if (v > cap) v = cap;
        if (v > s->now) s->now = v;
    }
    rt_loop = NULL;
    rt_wake = outer_wake;
    rt_loop = outer_loop;
    if (own_sigint) {
        ev_signal_stop(loop, &sig);
        sigaction(SIGINT, &old, NULL);
    }
    ev_async_stop(loop, &wake);
    ev_loop_destroy(loop);
    return !lnl_interrupt;
}
