/* repl.c - `lunet repl`: a Lua prompt over live networks.
 *
 * One libev loop (our own, for the reason realtime.c gives) watches:
 *
 *   ev_io on stdin     a keystroke for libedit (its readline-compatible
 *                      callback interface), or a chunk of piped input; each
 *                      complete line is evaluated as lua.c's REPL does it:
 *                      `return <line>` first, an `<eof>` syntax error means
 *                      "more lines" (the >> prompt), errors print with a
 *                      traceback and the session goes on
 *   ev_timer tick      the earliest next event of any network, on the wall
 *                      clock: every network advances in real time while
 *                      the prompt waits
 *   ev_async intr      Ctrl-C (our own SIGINT handler, see "Ctrl-C"): at
 *                      the prompt it clears the line, while a line runs it
 *                      stops that line, and a task caught in a loop is
 *                      stopped where it is; SIGTERM or SIGHUP (kill, a
 *                      closed terminal) ends the session cleanly: captures
 *                      closed whole, exit status 128 + the signal
 *
 * Pacing: each network has an anchor (virtual time v0 was current at wall
 * time w0), so at wall time w it should be at v0 + (w - w0).  A batch runs
 * every event up to that point, within a wall-clock budget so the prompt
 * stays responsive when a network is busier than real time, and moves an
 * idle network's clock along, so `net:now()` at the prompt is real time.
 * Every open network is driven, also one a script kept in a local: the
 * REPL pins them (REG_PINNED) until they are closed.
 *
 * What the user types runs through main.c's docall (pcall, traceback,
 * lua.c's SIGINT flag and hook), which has its own SIGINT handler for the
 * call (and `net:run` typed at the prompt starts realtime.c's loop, which
 * watches SIGINT itself); ours is set again after it.  A batch runs under
 * a plain pcall with our handler on, so Ctrl-C during a batch is Ctrl-C at
 * the prompt, and stops a task caught in a loop.  Every network is marked
 * running during a batch, so a hook cannot start a nested net:run.
 *
 * Output from a task while the prompt is on screen would land in the line
 * being typed: print and io.write (wrapped by lunet/repl.lua) call hide()
 * first, which erases the prompt, and it is drawn again, with what was
 * typed, after the batch. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <ev.h>
#ifdef LUNET_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "node.h"
#include "lunet.h"

#define PROG "lunet"

/* Registry key: Net -> true, the networks the REPL keeps alive and drives. */
#define REG_PINNED "lunet.repl.nets"

/* Wall time one batch may take before the loop polls stdin again: 20 ms
 * keeps typing smooth, and is long enough that an overloaded network still
 * gets nearly all the CPU. */
#define BATCH_BUDGET 0.020

/* lua.c's marker of an incomplete statement. */
#define EOFMARK "<eof>"
#define MARKLEN (sizeof(EOFMARK) - 1)

/* One network the REPL drives. */
typedef struct pace {
    lnl_net *n;
    uint64_t serial;              /* with n: a new Net at a reused address is new */
    double w0;                    /* wall time (ev_time) at which ... */
    ln_time v0;                   /* ... the network's virtual time was v0 */
    bool seen;
} pace;

typedef struct repl {
    lua_State *L;
    lnl_docall_fn docall;
    struct ev_loop *loop;
    ev_io in;
    ev_timer tick;
    ev_timer eofw;                /* the end of the wait at end of input */
    ev_async intr;                /* Ctrl-C, from our own SIGINT handler */
#ifdef LUNET_HAVE_LIBEDIT
    ev_signal winch;
    char *line;                   /* from libedit's line callback */
    bool got_line;
    char history[4096];           /* history file, "" for none */
#endif
    int mod;                      /* registry ref of lunet.repl */
    bool interactive;             /* stdin is a terminal: prompts */
    bool editing;                 /* ... and libedit drives it */
    bool shown;                   /* a prompt waits for input on screen */
    bool hidden;                  /* output erased it: draw it again */
    bool done;
    bool waiting;                 /* a line runs as a task: no prompt until it ends */
    bool paused;                  /* pause(): virtual time stands still */
    double speed;                 /* speed(x): virtual seconds per wall second */
    bool eof;                     /* input ended: leave once the tasks are done */
    bool in_eof;                  /* read() said end of input (piped) */
    double eof_deadline;          /* ... or at this wall time */
    int exit_code;
    char *pend; size_t plen, pcap;    /* the incomplete statement so far */
    char *inb; size_t ilen, icap;     /* plain reader: bytes not yet a line */
    pace *nets; int n_nets, cap_nets;
    const char *script;           /* the file loaded, for rewind */
    char **args; int nargs;
} repl;

/* libedit's line callback takes no argument. */
static repl *active;

/* ---- output ------------------------------------------------------------ */

static void message(const char *msg)
{
    fflush(stdout);
    fprintf(stderr, PROG ": %s\n", msg ? msg : "(error object is not a string)");
    fflush(stderr);
}

/* Print the error on top of the stack and pop it. */
static void report(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    message(msg);
    lua_pop(L, 1);
}

/* Erase the prompt before output (see the header comment). */
static void hide(repl *r)
{
    if (!r->shown || r->hidden) return;
    r->hidden = true;
    /* libedit redraws the prompt and the typed text from its buffer, so
     * both go (only the cursor's screen row: a line typed past the right
     * margin leaves its first rows).  Without libedit the terminal echoed
     * the text and still holds it: keep it visible, start a new line. */
    fputs(r->editing ? "\r\033[K" : "\n", stdout);
    fflush(stdout);
}

static int l_hide(lua_State *L)
{
    hide(lua_touserdata(L, lua_upvalueindex(1)));
    return 0;
}

/* The network whose time the prompt shows: the global `net` when it is an
 * open network, else the newest open one.  Raw accesses only: nothing here
 * may raise outside docall. */
static lnl_net *prompt_net(lua_State *L)
{
    lua_pushglobaltable(L);
    lua_pushliteral(L, "net");
    lua_rawget(L, -2);
    lnl_net *n = luaL_testudata(L, -1, LNL_NET);
    lua_pop(L, 2);
    if (n && n->net) return n;
    n = lnl_current_net(L);
    lua_pop(L, 1);
    return n;
}

static void make_prompt(repl *r, char *buf, size_t len)
{
    if (r->plen) { snprintf(buf, len, ">> "); return; }
    lnl_net *n = prompt_net(r->L);
    char mode[32] = "";
    if (r->paused) snprintf(mode, sizeof mode, " paused");
    else if (r->speed != 1.0) snprintf(mode, sizeof mode, " x%g", r->speed);
    if (!n) snprintf(buf, len, "lunet%s> ", mode);
    else snprintf(buf, len, "lunet %.3fs%s> ", (double)ln_net_now(n->net) / 1e9, mode);
}

#ifdef LUNET_HAVE_LIBEDIT
static void on_line(char *line)
{
    active->line = line;
    active->got_line = true;
    active->shown = false;
}
#endif

/* Show a fresh prompt (with an empty line) and wait for input. */
static void show_prompt(repl *r)
{
    if (!r->interactive || r->done || r->waiting || r->eof) return;
    char p[64];
    make_prompt(r, p, sizeof p);
    r->hidden = false;
    r->shown = true;
#ifdef LUNET_HAVE_LIBEDIT
    if (r->editing) {
        /* Installing puts libedit into its raw mode and draws the prompt;
         * it is undone before each line is handed to on_line. */
        rl_callback_handler_install(p, on_line);
        return;
    }
#endif
    fputs(p, stdout);
    fflush(stdout);
}

/* Draw the prompt again after output erased it; its time is brought up to
 * date on the way. */
static void redraw(repl *r)
{
    if (!r->hidden || r->done || r->waiting || r->eof) return;
    r->hidden = false;
    char p[64];
    make_prompt(r, p, sizeof p);
#ifdef LUNET_HAVE_LIBEDIT
    if (r->editing) {
        rl_set_prompt(p);
        rl_forced_update_display();   /* prompt + buffer, cursor where it was */
        return;
    }
#endif
    fputs(p, stdout);
    fflush(stdout);
}

/* ---- running Lua --------------------------------------------------------- */

/* ---- Ctrl-C -------------------------------------------------------------
 *
 * Outside docall, SIGINT is ours, not a libev watcher's: a watcher runs
 * from the loop, which a task caught in a loop during a batch never gives
 * back to.  The handler stops such a task where it is (a hook on its
 * coroutine, as main.c's does for lunet run; lua_sethook is signal-safe)
 * and wakes the loop (ev_async_send is too), which then does what Ctrl-C
 * means at the prompt. */

static void repl_lstop(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

static void on_sigint_raw(int sig)
{
    (void)sig;
    lua_State *co = lnl_running_co;
    if (co) lua_sethook(co, repl_lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    if (active) ev_async_send(active->loop, &active->intr);
}

/* SIGTERM, SIGHUP: the session ends (interrupted() sees lnl_signal); a
 * task caught in a loop is stopped first, and a second signal kills. */
static void on_term_raw(int sig)
{
    signal(sig, SIG_DFL);
    if (!lnl_signal) lnl_signal = sig;
    lnl_interrupt = 1;
    on_sigint_raw(sig);
}

static bool ending_signal(void)
{
    return lnl_signal == SIGTERM || lnl_signal == SIGHUP;
}

static void own_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint_raw;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_term_raw;
    static const int term[] = { SIGTERM, SIGHUP };
    for (int i = 0; i < 2; i++) {
        /* not again once it came (a second kills), nor when it is
         * ignored (nohup; main.c leaves it so) */
        struct sigaction cur;
        if (lnl_signal == term[i] || sigaction(term[i], NULL, &cur) != 0 || cur.sa_handler == SIG_IGN)
            continue;
        sigaction(term[i], &sa, NULL);
    }
}

/* docall, which sets its own SIGINT handler for the call and leaves the
 * default one after it: ours goes back.  A Ctrl-C during the call leaves
 * lnl_interrupt set, and lua.c's hook too if it came after the last Lua
 * instruction: both are cleared, or the next batch would stop at once and
 * the next line raise "interrupted!". */
static int protected(repl *r, int narg, int nres)
{
    int st = r->docall(r->L, narg, nres);
    if (ending_signal()) {
        /* SIGTERM or SIGHUP during the call (main.c's handler took it):
         * the loop ends the session at its next turn. */
        lua_sethook(r->L, NULL, 0, 0);
        ev_async_send(r->loop, &r->intr);
    } else if (lnl_interrupt) {
        lua_sethook(r->L, NULL, 0, 0);
        lnl_interrupt = 0;
        lnl_signal = 0;               /* Ctrl-C stopped the line, not the session */
    }
    own_sigint();
    return st;
}

/* Push field k of the lunet.repl module. */
static void push_modfield(repl *r, const char *k)
{
    lua_rawgeti(r->L, LUA_REGISTRYINDEX, r->mod);
    lua_getfield(r->L, -1, k);
    lua_remove(r->L, -2);
}

/* ---- pacing the networks --------------------------------------------------- */

static pace *find_pace(repl *r, lnl_net *n)
{
    for (int i = 0; i < r->n_nets; i++)
        if (r->nets[i].n == n && r->nets[i].serial == n->serial) return &r->nets[i];
    return NULL;
}

/* Pin every open network, unpin closed ones, and anchor new ones at the
 * current wall time.  After a line was evaluated, also start --pcap's
 * captures of interfaces added since (as net:run does when it starts). */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents);

/* A bridge holds frames: a batch now, as if the tick were due (drive()
 * brings the network up to the wall clock, then lets the frames in). */
static void on_bridge(void *arg)
{
    repl *r = arg;
    ev_feed_event(r->loop, &r->tick, EV_TIMER);
}

static void adopt(lua_State *L, repl *r, double now, bool after_eval)
{
    lua_getfield(L, LUA_REGISTRYINDEX, REG_PINNED);
    int pinned = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_LIVE);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lnl_net *n = luaL_testudata(L, -1, LNL_NET);   /* skips the "serial" key */
        if (n && n->net) {
            lua_pushvalue(L, -1);
            lua_pushboolean(L, 1);
            lua_rawset(L, pinned);
        }
    }
    lua_pop(L, 1);

    for (int i = 0; i < r->n_nets; i++) r->nets[i].seen = false;
    lua_pushnil(L);
    while (lua_next(L, pinned)) {
        lua_pop(L, 1);
        lnl_net *n = lua_touserdata(L, -1);
        if (!n->net) {                         /* closed: let it go */
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, pinned);             /* clearing a field is allowed in lua_next */
            continue;
        }
        pace *p = find_pace(r, n);
        if (!p) {
            if (r->n_nets == r->cap_nets) {
                int cap = r->cap_nets ? 2 * r->cap_nets : 8;
                pace *np = realloc(r->nets, sizeof *np * (size_t)cap);
                if (!np) luaL_error(L, "repl: out of memory");
                r->nets = np;
                r->cap_nets = cap;
            }
            p = &r->nets[r->n_nets++];
            *p = (pace){ n, n->serial, now, ln_net_now(n->net), false };
        }
        p->seen = true;
        if (after_eval) {
            lnl_auto_bridge(L, n);
            lnl_auto_capture(L, n);
        }
        /* Bridges wake the loop with frames; paused, they wait in the
         * device (a watcher would fire on them forever). */
        if (r->paused) lnl_bridges_unwatch(n);
        else lnl_bridges_watch(n, r->loop, on_bridge, r);
    }
    lua_pop(L, 1);
    int j = 0;
    for (int i = 0; i < r->n_nets; i++) if (r->nets[i].seen) r->nets[j++] = r->nets[i];
    r->n_nets = j;
}

/* A task or hook failed in the background: print its error (with the
 * task's traceback) and carry on; under net:run it would have been raised. */
static void report_failure(lua_State *L, repl *r, lnl_net *n)
{
    n->failed = false;
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "err");
    lua_pushnil(L);
    lua_setfield(L, -3, "err");
    hide(r);
    message(luaL_tolstring(L, -1, NULL));
    lua_pop(L, 3);
}

/* Run one network's events up to where the wall clock says it should be. */
static void drive(lua_State *L, repl *r, pace *p, double now, double deadline)
{
    lnl_net *n = p->n;
    if (!n->net) return;                 /* closed by a task of another network */
    ln_sim *s = &n->net->sim;
    if (r->paused) {                     /* held where it is */
        p->w0 = now;
        p->v0 = s->now;
        return;
    }
    double dv = (now - p->w0) * 1e9 * r->speed;
    ln_time target = dv <= 0 ? p->v0 : p->v0 + (ln_time)dv;
    if (s->now > target) {
        /* Ahead of the wall clock: someone ran it faster (net:step, or
         * lunet.realtime = false and net:run).  Real time counts from here. */
        p->w0 = now;
        p->v0 = s->now;
        return;
    }
    s->stop = false;
    bool behind = false;
    for (unsigned k = 1; !s->stop; k++) {
        ln_time nx = ln_sim_next(s);
        if (nx == LN_NEVER || nx > target) break;
        ln_sim_step(s);
        if (k % 64 == 0 && ev_time() > deadline) { behind = true; break; }
    }
    if (!behind && !s->stop && s->now < target) s->now = target;
    if (!behind && !s->stop) lnl_bridges_drain(n, 1024);
    ln_net_flush_captures(n->net);     /* so Wireshark can follow the files */
    if (n->failed) report_failure(L, r, n);
}

/* Protected body of catch_up(): (repl, after_eval). */
static int l_sync(lua_State *L)
{
    repl *r = lua_touserdata(L, 1);
    bool after_eval = lua_toboolean(L, 2);
    double now = ev_time();
    adopt(L, r, now, after_eval);
    for (int i = 0; i < r->n_nets; i++) r->nets[i].n->running = true;
    for (int i = 0; i < r->n_nets; i++) drive(L, r, &r->nets[i], now, now + BATCH_BUDGET);
    return 0;
}

/* Arm the tick for the earliest next event of any network. */
static void arm(repl *r)
{
    bool any = false;
    double due = 0;
    if (r->paused) {
        for (int i = 0; i < r->n_nets; i++)
            if (r->nets[i].n->net) lnl_bridges_unwatch(r->nets[i].n);
        ev_timer_stop(r->loop, &r->tick);
        return;
    }
    for (int i = 0; i < r->n_nets; i++) {
        pace *p = &r->nets[i];
        if (!p->n->net) continue;
        ln_time nx = ln_sim_next(&p->n->net->sim);
        if (nx == LN_NEVER) continue;
        double d = p->w0 + ((double)nx - (double)p->v0) / 1e9 / r->speed;
        if (!any || d < due) due = d;
        any = true;
    }
    ev_timer_stop(r->loop, &r->tick);
    if (!any) return;
    ev_now_update(r->loop);
    double wait = due - ev_now(r->loop);
    ev_timer_set(&r->tick, wait > 0 ? wait : 0., 0.);
    ev_timer_start(r->loop, &r->tick);
}

static void poll_tasks(repl *r);

/* Bring every network up to the wall clock (a batch), then arm the tick. */
static void catch_up(repl *r, bool after_eval)
{
    lua_State *L = r->L;
    lua_pushcfunction(L, l_sync);
    lua_pushlightuserdata(L, r);
    lua_pushboolean(L, after_eval);
    int st = lua_pcall(L, 2, 0, 0);      /* see the header comment */
    for (int i = 0; i < r->n_nets; i++) r->nets[i].n->running = false;
    if (st != LUA_OK) {
        hide(r);
        report(L);
    }
    arm(r);
    poll_tasks(r);
    redraw(r);
}

/* ---- time control: pause, resume, speed, step, now --------------------------
 *
 * Closures over the repl (upvalue 1), installed as globals by repl.lua.
 * Pausing holds every network's virtual time; speed(x) runs x virtual
 * seconds per wall second (0.1 slow motion, 10 fast forward); both
 * re-anchor the pacing so that time goes on from where it stands. */

static repl *self_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

static void reanchor(repl *r)
{
    double now = ev_time();
    for (int i = 0; i < r->n_nets; i++) {
        pace *p = &r->nets[i];
        if (!p->n->net) continue;
        p->w0 = now;
        p->v0 = ln_net_now(p->n->net);
    }
}

/* The prompt's network, or an error that says there is none. */
static lnl_net *check_prompt_net(lua_State *L, const char *fname)
{
    lnl_net *n = prompt_net(L);
    if (!n) luaL_error(L, "%s: no network (make one: net = lunet.net{})", fname);
    return n;
}

static int l_pause(lua_State *L)
{
    repl *r = self_of(L);
    catch_up(r, false);                 /* up to now, then hold */
    r->paused = true;
    arm(r);
    return 0;
}

static int l_resume(lua_State *L)
{
    repl *r = self_of(L);
    r->paused = false;
    reanchor(r);
    arm(r);
    return 0;
}

static int l_speed(lua_State *L)
{
    repl *r = self_of(L);
    if (lua_isnoneornil(L, 1)) { lua_pushnumber(L, r->speed); return 1; }
    if (lua_type(L, 1) != LUA_TNUMBER) lnl_typeerror(L, 1, "speed", "number");
    double x = lua_tonumber(L, 1);
    if (!(x >= 1e-6 && x <= 1e6))
        lnl_argerror(L, 1, "speed", "%f out of range (a factor in 0.000001..1000000: 0.1 is slow "
                                    "motion, 10 fast forward, 1 real time)", x);
    catch_up(r, false);
    r->speed = x;
    reanchor(r);
    arm(r);
    return 0;
}

typedef struct step_watch {
    bool seen;
    char line[320];
} step_watch;

/* The first packet event of a step(), as a line like tcpdump's. */
static void on_step_event(const ln_event *ev, void *arg)
{
    step_watch *w = arg;
    if (w->seen || !ev->pkt) return;
    w->seen = true;
    char sum[256];
    lnl_summary(ev->pkt->data, ev->pkt->len, (int)ev->layer, ev->pkt->buf, sum, sizeof sum);
    /* tcpdump names the protocol of an IPv4 frame: "IP 10.0.0.1 > ..." */
    bool ip = ev->layer == LN_LAYER_L2 && ev->pkt->len >= 14 &&
              ev->pkt->data[12] == 0x08 && ev->pkt->data[13] == 0x00;
    const char *where = ev->iface ? ev->iface->name : ev->port ? ev->port->name : "?";
    const char *node = ev->iface && ev->iface->node ? ev->iface->node->name : "";
    snprintf(w->line, sizeof w->line, "%.6f %.40s%s%.40s %s %s%.220s", (double)ev->time / 1e9, node,
             *node ? "." : "", where, ev->type == LN_EV_TX ? "Out" : "In ", ip ? "IP " : "", sum);
}

/* step("10ms"): run the prompt's network that much further now; step():
 * up to its next packet on a wire (sent or received), which it returns as
 * a tcpdump-like line (nil when nothing is left to happen). */
static int l_step(lua_State *L)
{
    repl *r = self_of(L);
    lnl_net *n = check_prompt_net(L, "step");
    /* Read before the network is marked running: a bad one raises with
     * nothing changed. */
    bool timed = !lua_isnoneornil(L, 1);
    ln_time d = timed ? lnl_argtime(L, 1, "step", NULL) : 0;
    if (n->running) luaL_error(L, "step: the network is already running");
    ln_sim *s = &n->net->sim;
    int nres = 0;
    n->running = true;
    s->stop = false;
    if (timed) {
        ln_time until = s->now + d;
        while (!s->stop && !lnl_interrupt) {
            ln_time nx = ln_sim_next(s);
            if (nx == LN_NEVER || nx > until) break;
            ln_sim_step(s);
        }
        if (!s->stop && !lnl_interrupt && s->now < until) s->now = until;
    } else {
        step_watch w = { false, "" };
        int id = ln_net_subscribe(n->net, LN_EV_MASK(LN_EV_TX) | LN_EV_MASK(LN_EV_RX), on_step_event, &w);
        if (id < 0) { n->running = false; luaL_error(L, "step: out of memory"); }
        while (!w.seen && !s->stop && !lnl_interrupt && ln_sim_step(s)) {}
        ln_net_unsubscribe(n->net, id);
        if (w.seen) lua_pushstring(L, w.line);
        else lua_pushnil(L);
        nres = 1;
    }
    n->running = false;
    ln_net_flush_captures(n->net);
    reanchor(r);
    arm(r);
    if (n->failed) report_failure(L, r, n);
    return nres;
}

/* now(): the prompt network's virtual time, with its unit. */
static int l_now(lua_State *L)
{
    lnl_net *n = check_prompt_net(L, "now");
    char b[48];
    lua_pushstring(L, lnl_fmt_time((int64_t)ln_net_now(n->net), b, sizeof b));
    return 1;
}

/* ---- rewind ----------------------------------------------------------------
 *
 * rewind(t) (repl.lua) only asks; once the line that asked is over, every
 * network is closed, the file is loaded again (same seed, so the same
 * network), and the lines typed before t run again at their times, as
 * fast as possible (repl.lua's replay_to, lunet.session); then time stands
 * still at t. */

static bool load_script(repl *r, const char *script, char **args, int nargs);

static void do_rewind(repl *r, lua_Integer t)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    hide(r);
    lnl_close_all(L);                      /* captures flushed and closed */
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_PINNED);
    lua_pushnil(L);                        /* the same pcap names again */
    lua_setfield(L, LUA_REGISTRYINDEX, "lunet.auto_pcaps");
    r->n_nets = 0;
    push_modfield(r, "reset");
    if (protected(r, 0, 0) != LUA_OK) report(L);
    r->paused = true;                      /* nothing moves until replayed */
    bool ok = !r->script || load_script(r, r->script, r->args, r->nargs);
    if (ok) {
        catch_up(r, true);                 /* pin it, start --pcap's captures */
        push_modfield(r, "replay_to");
        lua_pushinteger(L, t);
        if (protected(r, 1, 0) != LUA_OK) report(L);
    }
    lua_settop(L, top);
    reanchor(r);
    arm(r);
    char b[48];
    lnl_net *n = prompt_net(L);
    printf("rewound to %s: paused (resume() goes on, step() one packet at a time)\n",
           lnl_fmt_time(n && n->net ? (int64_t)ln_net_now(n->net) : (int64_t)t, b, sizeof b));
    fflush(stdout);
}

/* A rewind asked for by the line that just ended. */
static void check_rewind(repl *r)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    push_modfield(r, "take_rewind");
    if (lua_pcall(L, 0, 1, 0) == LUA_OK && lua_isinteger(L, -1)) {
        lua_Integer t = lua_tointeger(L, -1);
        lua_settop(L, top);
        do_rewind(r, t);
    }
    lua_settop(L, top);
}

/* ---- lines --------------------------------------------------------------- */

static int incomplete(lua_State *L, int status)
{
    if (status != LUA_ERRSYNTAX) return 0;
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    return lmsg >= MARKLEN && strcmp(msg + lmsg - MARKLEN, EOFMARK) == 0;
}

static void pend_add(repl *r, const char *s, size_t len)
{
    if (r->plen + len + 1 > r->pcap) {
        size_t cap = r->pcap ? r->pcap : 256;
        while (cap < r->plen + len + 1) cap *= 2;
        char *np = realloc(r->pend, cap);
        if (!np) luaL_error(r->L, "repl: out of memory");
        r->pend = np;
        r->pcap = cap;
    }
    memcpy(r->pend + r->plen, s, len);
    r->plen += len;
    r->pend[r->plen] = '\0';
}

static void check_rewind(repl *r);

/* Run the chunk on top of the stack as lunet.repl's start() decides: a
 * task of the prompt's network, whose first part runs now (a line that
 * blocks then waits in virtual time, the prompt with it, or in the
 * background with a trailing &), or, with no network, plainly as lua.c
 * does.  Results print readably (repl.lua's format). */
static void exec(repl *r, int top, const char *line, bool background)
{
    lua_State *L = r->L;
    catch_up(r, false);                    /* the networks are where time says */
    push_modfield(r, "start");
    lua_insert(L, top + 1);                /* start, chunk */
    lua_pushstring(L, line);
    lua_pushboolean(L, background);
    int st = protected(r, 3, 1);
    if (st != LUA_OK) {
        report(L);
    } else if (lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "wait") == 0) {
        r->waiting = true;
        ev_io_stop(r->loop, &r->in);       /* the next line waits for this one */
    }
    lua_settop(L, top);
    catch_up(r, true);                     /* new networks join; time went by */
    if (!r->waiting) check_rewind(r);
}

static void dot_command(repl *r, const char *line)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    push_modfield(r, "command");
    lua_pushstring(L, line);
    if (protected(r, 1, 1) != LUA_OK) report(L);
    else if (lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "quit") == 0) r->done = true;
    lua_settop(L, top);
}

/* At the end of input, how long (wall seconds) tasks still at work may
 * take before the session ends anyway. */
#define EOF_WAIT 30.0

static void finish(repl *r)
{
    if (r->plen) {
        /* An unfinished statement at EOF: say why, as lua.c would. */
        if (luaL_loadbuffer(r->L, r->pend, r->plen, "=stdin") != LUA_OK) report(r->L);
        else lua_pop(r->L, 1);
        r->plen = 0;
    }
    if (r->interactive) { fputs("\n", stdout); fflush(stdout); }
    /* Piped input that started work (a ping in the background, a task
     * spawned by a line) sees it end before the session does. */
    r->eof = true;
    r->eof_deadline = ev_time() + EOF_WAIT;
    ev_io_stop(r->loop, &r->in);
    poll_tasks(r);
}

/* A line as lua.c takes it: a dot command, or `return <line>`, or the
 * line added to the unfinished statement, which runs once it compiles. */
/* A trailing " &": run the line in the background.  (No Lua statement
 * ends in &, a binary operator.) */
static bool strip_background(char *line)
{
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1])) n--;
    if (!n || line[n - 1] != '&') return false;
    n--;
    while (n && isspace((unsigned char)line[n - 1])) n--;
    line[n] = '\0';
    return true;
}

/* A command word line (`h1 ping h2`, `nodes`): lunet.repl's command()
 * gives a function to run like a line of Lua, or nil.  Pushes it. */
static bool command_fn(repl *r, const char *line)
{
    lua_State *L = r->L;
    push_modfield(r, "command_fn");
    lua_pushstring(L, line);
    if (protected(r, 1, 1) != LUA_OK) {
        report(L);
        lua_pushboolean(L, 0);         /* handled: the error was the answer */
        return true;
    }
    if (lua_isnil(L, -1)) { lua_pop(L, 1); return false; }
    return true;
}

static void eval_line(repl *r, const char *text)
{
    lua_State *L = r->L;
#ifdef LUNET_HAVE_LIBEDIT
    if (r->editing && *text) add_history(text);
#endif
    if (!r->plen && text[0] == '.' && isalpha((unsigned char)text[1])) {
        dot_command(r, text);
        catch_up(r, true);             /* time went by: the prompt shows it */
        return;
    }
    char *line = strdup(text);
    if (!line) luaL_error(L, "repl: out of memory");
    bool bg = !r->plen && strip_background(line);
    int top = lua_gettop(L);
    if (!r->plen && command_fn(r, line)) {
        if (lua_isfunction(L, -1)) exec(r, top, line, bg);
        lua_settop(L, top);
        free(line);
        return;
    }
    if (!r->plen) {
        const char *ret = lua_pushfstring(L, "return %s;", line);
        if (luaL_loadbuffer(L, ret, strlen(ret), "=stdin") == LUA_OK) {
            lua_remove(L, -2);
            exec(r, top, line, bg);
            free(line);
            return;
        }
        lua_pop(L, 2);
    } else {
        pend_add(r, "\n", 1);
    }
    pend_add(r, line, strlen(line));
    free(line);
    int st = luaL_loadbuffer(L, r->pend, r->plen, "=stdin");
    if (incomplete(L, st)) {           /* wait for more lines (>> prompt) */
        lua_pop(L, 1);
        return;
    }
    r->plen = 0;
    if (st != LUA_OK) { report(L); return; }
    exec(r, top, r->pend, bg);
}

/* One complete input line (NULL at end of input). */
static void handle_line(repl *r, const char *line)
{
    r->shown = false;
    if (line) eval_line(r, line);
    else finish(r);
}

/* ---- the loop's callbacks -------------------------------------------------- */

/* SIGTERM or SIGHUP: end the session, saying so; pmain then closes every
 * capture whole. */
static void terminated(repl *r)
{
    hide(r);
    lua_State *L = r->L;
    lnl_net *n = prompt_net(L);
    message(lnl_push_stop_message(L, n, lnl_signal, NULL));
    lua_pop(L, 1);
    r->exit_code = 128 + lnl_signal;
    r->done = true;
    ev_break(r->loop, EVBREAK_ALL);
}

/* Ctrl-C at the prompt: drop the line (and an unfinished statement). */
static void interrupted(repl *r)
{
    if (ending_signal()) {
        terminated(r);
        return;
    }
    if (r->waiting && r->interactive) {
        /* Ctrl-C stops the line the prompt waits for, not the session */
        lua_State *L = r->L;
        int top = lua_gettop(L);
        fputs("\n", stdout);          /* the terminal echoed the ^C itself */
        fflush(stdout);
        push_modfield(r, "interrupt");  /* what the line prints as it ends follows */
        if (lua_pcall(L, 0, 0, 0) != LUA_OK) report(L);
        lua_settop(L, top);
        poll_tasks(r);
        return;
    }
    r->plen = 0;
    r->ilen = 0;
    if (!r->interactive) {             /* nobody to give a prompt to: stop */
        r->exit_code = 130;
        r->done = true;
        ev_break(r->loop, EVBREAK_ALL);
        return;
    }
#ifdef LUNET_HAVE_LIBEDIT
    if (r->editing) {
        /* Removing and installing again empties libedit's line buffer. */
        rl_callback_handler_remove();
        fputs("^C\n", stdout);
        show_prompt(r);
        return;
    }
#endif
    tcflush(STDIN_FILENO, TCIFLUSH);   /* what was typed but not read */
    fputs("\n", stdout);
    show_prompt(r);
}

static void on_sigint(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop; (void)revents;
    interrupted(w->data);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    catch_up(w->data, false);
}

/* Hand the complete lines read so far to handle_line, until one makes the
 * prompt wait (the rest wait with it); at_eof: what is left is the last
 * line, then the end. */
static void process_lines(repl *r, bool at_eof)
{
    for (;;) {
        if (r->done || r->waiting || r->eof) return;
        char *nl = r->ilen ? memchr(r->inb, '\n', r->ilen) : NULL;
        if (!nl && !at_eof) return;
        if (!nl && r->ilen == 0) { handle_line(r, NULL); return; }   /* end of input */
        size_t len = nl ? (size_t)(nl - r->inb) : r->ilen;            /* last line, no \n */
        char *line = malloc(len + 1);
        if (!line) luaL_error(r->L, "repl: out of memory");
        memcpy(line, r->inb, len);
        line[len] = '\0';
        if (len && line[len - 1] == '\r') line[len - 1] = '\0';
        size_t used = nl ? len + 1 : len;
        memmove(r->inb, r->inb + used, r->ilen - used);
        r->ilen -= used;
        handle_line(r, line);
        free(line);
        show_prompt(r);
    }
}

/* Plain reader: whatever arrived, split into lines. */
static void read_plain(repl *r)
{
    char buf[4096];
    ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (k > 0) {
        if (r->ilen + (size_t)k > r->icap) {
            size_t cap = r->icap ? r->icap : 4096;
            while (cap < r->ilen + (size_t)k) cap *= 2;
            char *np = realloc(r->inb, cap);
            if (!np) luaL_error(r->L, "repl: out of memory");
            r->inb = np;
            r->icap = cap;
        }
        memcpy(r->inb + r->ilen, buf, (size_t)k);
        r->ilen += (size_t)k;
    } else {
        r->in_eof = true;
    }
    process_lines(r, r->in_eof);
}

/* Whether tasks started at the prompt, or by what it ran, still have work
 * to do (repl.lua's jobs, or tasks with a deadline or due now). */
static bool tasks_busy(repl *r)
{
    for (int i = 0; i < r->n_nets; i++)
        if (r->nets[i].n->net && lnl_tasks_busy(r->nets[i].n)) return true;
    return false;
}

/* After every batch: report tasks that ended (repl.lua's poll); when the
 * line the prompt waited for is over, take input again; at the end of
 * input, end the session once nothing is left to do. */
static void poll_tasks(repl *r)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    push_modfield(r, "poll");
    bool still = false;
    if (lua_pcall(L, 0, 1, 0) == LUA_OK) still = lua_toboolean(L, -1);
    else report(L);
    lua_settop(L, top);
    if (r->waiting && !still) {
        r->waiting = false;
        check_rewind(r);
        if (r->eof || r->done) {
            /* nothing to read */
        } else if (r->ilen || r->in_eof) {
            process_lines(r, r->in_eof);   /* lines read while it ran */
        } else {
            ev_io_start(r->loop, &r->in);
        }
        if (!r->waiting && !r->eof && !r->done) {
            if (!r->in_eof) ev_io_start(r->loop, &r->in);
            show_prompt(r);
        }
    }
    if (r->eof && !r->done && !r->waiting) {
        double now = ev_time();
        if (!tasks_busy(r) || now >= r->eof_deadline) {
            if (now >= r->eof_deadline)
                message("input ended; tasks still running after 30 s stopped there");
            r->done = true;
            ev_break(r->loop, EVBREAK_ALL);
        } else {
            ev_timer_stop(r->loop, &r->eofw);
            ev_timer_set(&r->eofw, r->eof_deadline - now, 0.);
            ev_timer_start(r->loop, &r->eofw);
        }
    }
}

static void on_eof_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    poll_tasks(w->data);
}

static void on_stdin(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    repl *r = w->data;
#ifdef LUNET_HAVE_LIBEDIT
    if (r->editing) {
        /* Readable with nothing to read: the terminal hung up.  libedit
         * would return without calling on_line, and we would spin. */
        int avail = 0;
        if (ioctl(STDIN_FILENO, FIONREAD, &avail) < 0 || avail == 0) {
            rl_callback_handler_remove();
            handle_line(r, NULL);
        } else {
            rl_callback_read_char();
            if (r->got_line) {
                char *line = r->line;
                r->got_line = false;
                r->line = NULL;
                handle_line(r, line);
                free(line);
                show_prompt(r);
            }
        }
        if (r->done) ev_break(loop, EVBREAK_ALL);
        return;
    }
#endif
    read_plain(r);
    if (r->done) ev_break(loop, EVBREAK_ALL);
}

#ifdef LUNET_HAVE_LIBEDIT
/* ---- Tab completion: repl.lua's complete() gives the words, libedit
 * shows them ------------------------------------------------------------- */

static char **cands;              /* this completion's words, for the generator */
static int n_cands;

static void free_cands(void)
{
    for (int i = 0; i < n_cands; i++) free(cands[i]);
    free(cands);
    cands = NULL;
    n_cands = 0;
}

static char *cand_gen(const char *text, int state)
{
    (void)text;
    return state < n_cands ? strdup(cands[state]) : NULL;
}

/* Protected: (text, line before it) -> repl.lua's complete -> cands. */
static int l_complete(lua_State *L)
{
    repl *r = lua_touserdata(L, 1);
    push_modfield(r, "complete");
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 1);
    int n = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
    cands = calloc((size_t)n + 1, sizeof *cands);
    if (!cands) return 0;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        const char *w = lua_tostring(L, -1);
        if (w && (cands[n_cands] = strdup(w))) n_cands++;
        lua_pop(L, 1);
    }
    return 0;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;   /* no file names */
    repl *r = active;
    if (!r) return NULL;
    free_cands();
    lua_State *L = r->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, l_complete);
    lua_pushlightuserdata(L, r);
    lua_pushstring(L, text);
    lua_pushlstring(L, rl_line_buffer ? rl_line_buffer : "", rl_line_buffer ? (size_t)start : 0);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK) free_cands();
    lua_settop(L, top);
    if (n_cands == 0) return NULL;
    return rl_completion_matches(text, cand_gen);
}

static void on_winch(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop; (void)w; (void)revents;
    rl_resize_terminal();
}

static void editing_start(repl *r)
{
    rl_readline_name = "lunet";        /* for ~/.editrc: lunet:bind ... */
    rl_catch_signals = 0;              /* SIGINT is libev's (see the header) */
    rl_initialize();
    /* "h1:pi" and "net.na" are one word to complete */
    rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{(,+-*/%^~#[]";
    rl_attempted_completion_function = complete;
    using_history();
    stifle_history(1000);
    const char *home = getenv("HOME");
    r->history[0] = '\0';
    if (home && *home) {
        snprintf(r->history, sizeof r->history, "%s/.lunet_history", home);
        read_history(r->history);
    }
    ev_signal_init(&r->winch, on_winch, SIGWINCH);
    ev_signal_start(r->loop, &r->winch);
}

static void editing_stop(repl *r)
{
    free_cands();
    ev_signal_stop(r->loop, &r->winch);
    rl_callback_handler_remove();      /* the terminal back in its normal mode */
    if (r->history[0]) write_history(r->history);
}
#endif

/* ---- entry ----------------------------------------------------------------- */

/* Load FILE.lua (with its arguments) and adopt what it built; false after
 * reporting an error. */
static bool load_script(repl *r, const char *script, char **args, int nargs)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    int st = luaL_loadfile(L, script);
    if (st == LUA_OK) {
        luaL_checkstack(L, nargs + 2, "too many script arguments");
        for (int i = 0; i < nargs; i++) lua_pushstring(L, args[i]);
        st = protected(r, nargs, LUA_MULTRET);
    }
    if (st == LUA_OK) {
        int n = lua_gettop(L) - top;
        push_modfield(r, "adopt");
        lua_insert(L, top + 1);
        lua_pushstring(L, script);
        lua_insert(L, top + 2);
        st = protected(r, n + 1, 0);
    }
    if (st != LUA_OK) report(L);
    lua_settop(L, top);
    return st == LUA_OK;
}

/* The REPL's state, its own event loop and its watchers (not started
 * yet), and our SIGINT handler in place; NULL after saying why not. */
static repl *repl_new(lua_State *L, lnl_docall_fn docall)
{
    repl *r = calloc(1, sizeof *r);
    if (!r) { message("repl: out of memory"); return NULL; }
    r->L = L;
    r->docall = docall;
    r->mod = LUA_NOREF;
    r->speed = 1.0;
    r->interactive = isatty(STDIN_FILENO);
#ifdef LUNET_HAVE_LIBEDIT
    r->editing = r->interactive && isatty(STDOUT_FILENO);
#endif
    active = r;
    /* A loop of our own, not libev's default one: see realtime.c. */
    /* select, as realtime.c: it sleeps to the microsecond where epoll
     * rounds up to whole milliseconds, which a bridged network would see
     * as added latency.  stdin and a few bridges are all it watches. */
    r->loop = ev_loop_new(EVBACKEND_SELECT);
    if (!r->loop) r->loop = ev_loop_new(EVFLAG_AUTO);
    if (!r->loop) {
        message("repl: cannot create the event loop");
        active = NULL;
        free(r);
        return NULL;
    }
    ev_async_init(&r->intr, on_sigint);
    r->intr.data = r;
    ev_async_start(r->loop, &r->intr);
    own_sigint();
    ev_io_init(&r->in, on_stdin, STDIN_FILENO, EV_READ);
    r->in.data = r;
    ev_timer_init(&r->tick, on_tick, 0., 0.);
    r->tick.data = r;
    ev_timer_init(&r->eofw, on_eof_timer, 0., 0.);
    r->eofw.data = r;
    return r;
}

/* require "lunet.repl" and install it with the C functions it drives
 * (hide, and the clock: pause, resume, speed, step, now); false after
 * reporting an error. */
static bool load_module(repl *r)
{
    lua_State *L = r->L;
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, REG_PINNED);
    int top = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lunet.repl");
    bool ok = protected(r, 1, 1) == LUA_OK;
    if (ok) {
        r->mod = luaL_ref(L, LUA_REGISTRYINDEX);
        push_modfield(r, "install");
        lua_pushlightuserdata(L, r);
        lua_pushcclosure(L, l_hide, 1);
        static const luaL_Reg timefns[] = {
            {"pause", l_pause}, {"resume", l_resume}, {"speed", l_speed}, {"step", l_step},
            {"now", l_now}, {NULL, NULL},
        };
        lua_createtable(L, 0, 5);
        for (const luaL_Reg *f = timefns; f->name; f++) {
            lua_pushlightuserdata(L, r);
            lua_pushcclosure(L, f->func, 1);
            lua_setfield(L, -2, f->name);
        }
        ok = protected(r, 2, 0) == LUA_OK;
    }
    if (!ok) report(L);
    lua_settop(L, top);
    return ok;
}

static void greet(const repl *r)
{
#ifdef LUNET_HAVE_LIBEDIT
    const char *why = r->editing ? "" : " (no line editing: stdout is not a terminal)";
#else
    (void)r;
    const char *why = " (no line editing: built without libedit)";
#endif
    printf(PROG " %s (%s): the networks run in real time; .help for help, "
           "Ctrl-D to quit%s\n", LNL_VERSION, LUA_RELEASE, why);
}

/* Tell the module what the session started from (the script and its
 * arguments, "" for none); an error here is reported, not fatal. */
static void set_origin(repl *r)
{
    lua_State *L = r->L;
    int top = lua_gettop(L);
    push_modfield(r, "set_origin");
    lua_pushstring(L, r->script ? r->script : "");
    for (int i = 0; i < r->nargs; i++) lua_pushstring(L, r->args[i]);
    if (protected(r, r->nargs + 1, 0) != LUA_OK) report(L);
    lua_settop(L, top);
}

/* Read, evaluate and keep the networks running until Ctrl-D or .quit. */
static void run_loop(repl *r)
{
#ifdef LUNET_HAVE_LIBEDIT
    if (r->editing) editing_start(r);
#endif
    ev_io_start(r->loop, &r->in);
    catch_up(r, true);
    show_prompt(r);
    if (!r->done) ev_run(r->loop, 0);
#ifdef LUNET_HAVE_LIBEDIT
    if (r->editing) editing_stop(r);
#endif
}

/* Stop the watchers, give the signals back, free r; returns the exit code. */
static int repl_free(repl *r)
{
    for (int i = 0; i < r->n_nets; i++)
        if (r->nets[i].n->net) lnl_bridges_unwatch(r->nets[i].n);
    ev_io_stop(r->loop, &r->in);
    ev_timer_stop(r->loop, &r->tick);
    ev_timer_stop(r->loop, &r->eofw);
    ev_async_stop(r->loop, &r->intr);
    signal(SIGINT, SIG_DFL);
    static const int term[] = { SIGTERM, SIGHUP };
    for (int i = 0; i < 2; i++) {
        struct sigaction cur;      /* ours go; an ignored one stays ignored */
        if (sigaction(term[i], NULL, &cur) == 0 && cur.sa_handler == on_term_raw)
            signal(term[i], SIG_DFL);
    }
    ev_loop_destroy(r->loop);
    if (r->mod != LUA_NOREF) luaL_unref(r->L, LUA_REGISTRYINDEX, r->mod);
    int code = r->exit_code;
    active = NULL;
    free(r->pend);
    free(r->inb);
    free(r->nets);
    free(r);
    return code;
}

int lnl_repl_main(lua_State *L, const char *script, char **args, int nargs, lnl_docall_fn docall)
{
    repl *r = repl_new(L, docall);
    if (!r) return 1;
    bool ok = load_module(r);
    if (ok && r->interactive) greet(r);
    r->script = script;
    r->args = args;
    r->nargs = nargs;
    if (ok) set_origin(r);
    if (ok && script) ok = load_script(r, script, args, nargs);
    if (!ok) r->exit_code = 1;
    if (ok) run_loop(r);
    return repl_free(r);
}
