/* realtime.c - the wall-clock driver (libev), used by net:run* when
 * lunet.realtime is true (lunet run --realtime, later the REPL).
 *
 * Virtual time stays the only time the stacks see: this driver merely waits
 * (an ev_timer for the next event's wall-clock due time) before letting the
 * scheduler run each event, so a run paced to the wall clock executes the
 * same events in the same order as an as-fast-as-possible run.  Ctrl-C is
 * an ev_signal: it ends the run cleanly (captures are flushed by net:run)
 * instead of killing the process.  Only drivers read a clock: this file,
 * the REPL's loop and l_run.c's progress line. */
#include <signal.h>
#include <string.h>

#include <ev.h>

#include "lunet.h"

typedef struct rt_state {
    bool interrupted;
} rt_state;

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w; (void)revents;
    ev_break(loop, EVBREAK_ONE);
}

static void on_sigint(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    ((rt_state *)w->data)->interrupted = true;
    ev_break(loop, EVBREAK_ONE);
}

bool lnl_realtime_run(lnl_net *n, ln_time until)
{
    /* A loop of our own, not libev's default one: the default loop reaps
     * child processes (SIGCHLD), which would break a script's io.popen. */
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    if (!loop) return true;
    ln_sim *s = &n->net->sim;
    rt_state st = { false };

    /* libev resets SIGINT to SIG_DFL when its watcher stops: keep the CLI's
     * handler to put back afterwards. */
    struct sigaction old;
    sigaction(SIGINT, NULL, &old);
    ev_signal sig;
    ev_signal_init(&sig, on_sigint, SIGINT);
    sig.data = &st;
    ev_signal_start(loop, &sig);
    ev_timer tm;
    ev_timer_init(&tm, on_timer, 0., 0.);

    ev_now_update(loop);
    double w0 = ev_now(loop);
    ln_time v0 = s->now;
    unsigned spin = 0;
    s->stop = false;
    while (!s->stop && !st.interrupted && !lnl_interrupt) {
        ln_time nx = ln_sim_next(s);
        bool idle = nx == LN_NEVER || nx > until;
        if (idle && until == LN_NEVER) break;
        ln_time target = idle ? until : nx;
        double due = w0 + (double)(target - v0) / 1e9;
        ev_now_update(loop);
        double wait = due - ev_now(loop);
        if (wait > 0) {
            ev_timer_set(&tm, wait, 0.);
            ev_timer_start(loop, &tm);
            ev_run(loop, EVRUN_ONCE);
            ev_timer_stop(loop, &tm);
            ev_now_update(loop);
            if (ev_now(loop) < due) continue;   /* woken early: a signal */
        } else if (++spin % 1024 == 0) {
            /* Behind the wall clock: still notice Ctrl-C now and then. */
            ev_run(loop, EVRUN_NOWAIT);
            if (st.interrupted) break;
        }
        if (idle) { s->now = until; break; }
        ln_sim_step(s);
    }
    ev_signal_stop(loop, &sig);
    ev_loop_destroy(loop);
    sigaction(SIGINT, &old, NULL);
    return !st.interrupted;
}
