/* main.c - the lunet command: `lunet run`, `lunet test`, `lunet repl`,
 * `lunet version`, `lunet help`.
 *
 * Shaped like lua.c: everything runs inside a protected C function (pmain)
 * under lua_pcall, a message handler adds the traceback, and the handler
 * of SIGINT, SIGTERM and SIGHUP (Ctrl-C; kill, timeout(1), systemd and
 * docker stop; a closed terminal) only sets flags and a hook (a signal
 * handler may not touch the Lua state otherwise).  The drivers poll the
 * flag between events, so a signal also stops a long run that never
 * enters Lua; the realtime driver is woken.  The script ends with one line,
 * "lunet: interrupted at t=1.234s" (or "terminated at ... (SIGTERM)"),
 * naming the task's line when the signal stopped a task caught in a loop,
 * and exit status 128 + the signal, as a shell reports a process the
 * signal killed.  At exit every capture is closed and checked (a write
 * that failed is an error naming the file, and a non-zero exit), then every
 * network before lua_close, so captures end on a whole record even after
 * an error or a signal.  The REPL's loop is in repl.c; it runs its Lua
 * through docall too.
 *
 * Terminal manners: the error line is red when lunet.term says stderr is
 * coloured (--color, $LUNET_COLOR, NO_COLOR, TERM, isatty: the rules are
 * term.lua's), and run and test wrap print and io.write so that script
 * output erases net:run's progress line (l_run.c) instead of being glued
 * after it. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "trace.h"
#include "lunet.h"
#include "partition.h"

#define PROG "lunet"

/* The state the signal handler hooks: lua.c's one global, for the same
 * reason (a signal handler gets no argument). */
static lua_State *globalL = NULL;

/* lunet repl: Ctrl-C stops the line with lua.c's "interrupted!", not the
 * session, so no "at t=" line is made for it. */
static bool in_repl = false;

/* The signals that end a script cleanly (SIGALRM is --timeout's).
 * SIGTERM or SIGHUP ignored when lunet started (nohup) stays ignored, as
 * daemons leave it; SIGINT is always caught, as lua.c does (a shell
 * without job control starts background commands with it ignored, and
 * `kill -INT` must still stop them). */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_STOP_SIGNALS (int)(sizeof stop_signals / sizeof stop_signals[0])
static bool ignored[N_STOP_SIGNALS];

/* Instructions a task may still run after a signal before it counts as
 * caught in a loop: a few milliseconds of Lua, far more than one resume
 * of a task that waits on the network takes. */
#define LOOP_COUNT 1000000

static const char *const usage_text =
    "usage: lunet <command> [options]\n"
    "\n"
    "  lunet run [--seed N] [--realtime] [--pcap DIR] [--report DIR] [--timeout T]\n"
    "            [--step] [--speed X] [--quiz] [--lang LANG] [--trace LIST] [--color=WHEN]\n"
    "            [--progress=WHEN] [--ranks] [--bridge SPEC] FILE.lua [ARGS...]\n"
    "      run a scenario script (expect/eventually/test are globals)\n"
    "  lunet test [--seed N] [--filter PAT] [--tap] [--junit FILE] [--pcap DIR] [-v]\n"
    "             [--timeout T] [--lang LANG] [--color=WHEN] [--progress=WHEN] PATH...\n"
    "      run scenario tests (files, or directories searched for *.lua)\n"
    "  lunet repl [--seed N] [--pcap DIR] [--trace LIST] [--color=WHEN] [--bridge SPEC]\n"
    "             [FILE.lua [ARGS...]]\n"
    "      load FILE.lua (a topology or a script), then a Lua prompt while\n"
    "      every network runs in real time (.help at the prompt)\n"
    "  lunet packetdrill [--tolerance_usecs=N] [-D NAME=VALUE] [--pcap DIR] [--ladder] [-v]\n"
    "                    [packetdrill's address and --mtu options] FILE.pkt...\n"
    "      run packetdrill scripts against lunet's TCP in virtual time (--help lists\n"
    "      the options)\n"
    "  lunet version\n"
    "  lunet help\n"
    "\n"
    "  --seed N         seed of networks made without one (default 1)\n"
    "  --realtime       pace virtual time to the wall clock (Ctrl-C stops cleanly)\n"
    "  --ranks          under mpirun: split the network across the ranks, each\n"
    "                   running its own part (docs/parallel.md)\n"
    "  --bridge NODE:TAP[:TAP_ADDR/LEN[:NODE_ADDR/LEN]]\n"
    "                   join host, router or switch NODE to a new Linux TAP device\n"
    "                   TAP (root or CAP_NET_ADMIN), giving the TAP TAP_ADDR and\n"
    "                   NODE's new interface NODE_ADDR; repeatable.  A bridged\n"
    "                   network runs on the wall clock (net:bridge, README)\n"
    "  --pcap DIR       capture every interface into DIR (also $LUNET_PCAP_DIR); a\n"
    "                   script's own relative captures go there too, else (run)\n"
    "                   to $TMPDIR/lunet/SCRIPT/, never into the current directory\n"
    "  --timeout T      stop after T of wall-clock time (run: exit 124; test: that\n"
    "                   test fails and the next one runs)\n"
    "  --report DIR     write DIR/index.html: ladders, state timelines, plots,\n"
    "                   counters, output and pcaps of the run (pcaps go to DIR\n"
    "                   unless --pcap says otherwise)\n"
    "  --step           pause after each packet a host sends, printed as a ladder\n"
    "                   row (Enter continues, c runs to the end)\n"
    "  --speed X        play the run in real time, X virtual seconds per wall\n"
    "                   second (0.01: slow motion; implies --realtime)\n"
    "  --quiz           blank the seq, ack and states of the ladders and ask for\n"
    "                   them on stdin (Enter alone shows the answer), then a score\n"
    "  --lang LANG      language of the scenarios' explanations: en (the default)\n"
    "                   or zh (also $LUNET_LANG); FILE.lua --help lists a\n"
    "                   scenario's what-if knobs (key=value arguments)\n"
    "  --trace LIST     debug trace of the stack's decisions on stderr, one line\n"
    "                   each (time, node, subsystem): LIST of link, switch, arp,\n"
    "                   ip, icmp, igmp, udp, tcp, or all (also $LUNET_TRACE)\n"
    "  --color=WHEN     colour: auto (on a terminal, unless NO_COLOR is set or\n"
    "                   TERM=dumb; the default), always or never\n"
    "  --progress=WHEN  a progress line on stderr for runs over a second: auto\n"
    "                   (when stderr is a terminal; the default), always or never\n"
    "\n"
    "Environment: LUNET_PCAP_DIR (capture directory), LUNET_LUA_DIR (load\n"
    "lunet/*.lua from there instead of the copies built in), LUNET_COLOR and\n"
    "LUNET_PROGRESS (the default WHEN of --color and --progress), LUNET_LANG,\n"
    "LUNET_TRACE, NO_COLOR.\n";

/* The hook a signal sets: stop the Lua code running, saying where it was
 * ("interrupted at t=1.000s in the task at x.lua:7"), the line that
 * matters when a task was caught in a loop. */
static void lstop(lua_State *L, lua_Debug *ar)
{
    lua_sethook(L, NULL, 0, 0);
    if (in_repl && lnl_signal != SIGTERM && lnl_signal != SIGHUP) luaL_error(L, "interrupted!");
    char where[160] = "";
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(where, sizeof where, "%s%s:%d", lnl_current_task(L) ? "in the task at " : "in ",
                 ar->short_src, ar->currentline);
    lnl_net *n = lnl_current_net(L);
    lua_pop(L, 1);
    lnl_push_stop_message(L, n, lnl_signal, where);
    lua_error(L);
}

static void laction(int sig)
{
    signal(sig, SIG_DFL);             /* a second one kills, as Ctrl-C in lua.c */
    if (!lnl_signal) lnl_signal = sig;
    lnl_interrupt = 1;
    /* A task caught in a loop runs on its own coroutine, which the main
     * thread's hook does not reach (lua_sethook is signal-safe): stop it
     * there, and its error ends the run.  A task that is merely running
     * when the signal comes is left to yield, so the run stops between
     * events: only one still running LOOP_COUNT instructions later is
     * taken to be caught in a loop. */
    lua_State *co = lnl_running_co;
    if (co) lua_sethook(co, lstop, LUA_MASKCOUNT, LOOP_COUNT);
    else lua_sethook(globalL, lstop, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    lnl_realtime_wake();              /* ev_async_send: signal-safe too */
}

/* ---- --timeout: a wall-clock limit -----------------------------------------
 *
 * SIGALRM stops whatever runs, as Ctrl-C does (the drivers see
 * lnl_interrupt between events; Lua code, the main thread's or a task's,
 * gets a hook), with lnl_timed_out telling the two apart.  lunet test arms
 * it per test through lunet._alarm. */

static void ltimeout(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "timeout: the wall-clock limit of --timeout ran out");
}

static void on_alarm(int sig)
{
    (void)sig;
    lnl_timed_out = 1;
    lnl_interrupt = 1;
    lua_State *co = lnl_running_co;
    lua_sethook(co ? co : globalL, ltimeout, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* Arm (seconds > 0) or disarm (0) the limit; either way the previous
 * one's marks are cleared. */
static void set_alarm(lua_State *L, double seconds)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    if (seconds > 0) {
        it.it_value.tv_sec = (time_t)seconds;
        it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
        if (!it.it_value.tv_sec && !it.it_value.tv_usec) it.it_value.tv_usec = 1;
        signal(SIGALRM, on_alarm);
    }
    setitimer(ITIMER_REAL, &it, NULL);
    if (lnl_timed_out) {
        lnl_timed_out = 0;
        lnl_interrupt = 0;
        lua_sethook(L, NULL, 0, 0);
    }
}

/* lunet._alarm(seconds): set_alarm for lunet test's --timeout. */
static int l_alarm(lua_State *L)
{
    set_alarm(L, luaL_checknumber(L, 1));
    return 0;
}

/* lunet._stop_signal(): the name of the signal that asked lunet to stop
 * ("SIGINT", "SIGTERM"), nil while none came; lunet test ends its run. */
static int l_stop_signal(lua_State *L)
{
    if (!lnl_signal) return 0;
    const char *nm = lnl_signal_name(lnl_signal);
    if (nm) lua_pushstring(L, nm);
    else lua_pushfstring(L, "signal %d", (int)lnl_signal);
    return 1;
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    globalL = L;
    sig_atomic_t outer = lnl_cli_signals;
    for (int i = 0; i < N_STOP_SIGNALS; i++)      /* not again once it came: a second kills */
        if (!ignored[i] && lnl_signal != stop_signals[i]) signal(stop_signals[i], laction);
    lnl_cli_signals = 1;
    int status = lua_pcall(L, narg, nres, base);
    lnl_cli_signals = outer;
    for (int i = 0; i < N_STOP_SIGNALS; i++)
        if (!ignored[i]) signal(stop_signals[i], SIG_DFL);
    if (lnl_signal) lua_sethook(L, NULL, 0, 0);   /* one set after the last instruction */
    lua_remove(L, base);
    return status;
}

typedef struct opts {
    const char *cmd;
    long long seed;
    bool has_seed, realtime, step, quiz, ranks;
    double speed;                     /* --speed X, or 0 */
    const char *pcap;
    const char *report;               /* --report DIR, or NULL */
    const char *timeout;              /* --timeout T (run), or NULL */
    const char *color, *progress;     /* "auto", "always", "never" or NULL */
    const char *lang;                 /* --lang: "en" or "zh", or NULL */
    const char *bridge[8];            /* --bridge NODE:TAP[:TAP_ADDR[:ADDR]] */
    int n_bridge;
    const char *script;
    int first_arg;                    /* argv index of the script's first argument */
    int argc;
    char **argv;
    int exit_code;
} opts;

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see lunet help)\n");
    return 2;
}

static bool parse_seed(const char *s, long long *out)
{
    char *end;
    if (!s || !*s) return false;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 0) return false;
    *out = v;
    return true;
}

static bool is_when(const char *v)
{
    return v && (strcmp(v, "auto") == 0 || strcmp(v, "always") == 0 || strcmp(v, "never") == 0);
}

/* lunet run's and lunet repl's options, up to the script name (which the
 * REPL does not need).  The REPL runs in real time: no --progress. */
static int parse_run(opts *o, int i)
{
    bool need_script = strcmp(o->cmd, "run") == 0;
    for (; i < o->argc; i++) {
        const char *a = o->argv[i];
        const char *val = NULL;
        if (strncmp(a, "--seed=", 7) == 0) val = a + 7, a = "--seed";
        else if (strncmp(a, "--pcap=", 7) == 0) val = a + 7, a = "--pcap";
        else if (strncmp(a, "--color=", 8) == 0) val = a + 8, a = "--color";
        else if (strncmp(a, "--lang=", 7) == 0) val = a + 7, a = "--lang";
        else if (need_script && strncmp(a, "--speed=", 8) == 0) val = a + 8, a = "--speed";
        else if (need_script && strncmp(a, "--progress=", 11) == 0) val = a + 11, a = "--progress";
        else if (need_script && strncmp(a, "--report=", 9) == 0) val = a + 9, a = "--report";
        else if (need_script && strncmp(a, "--timeout=", 10) == 0) val = a + 10, a = "--timeout";
        bool color = strcmp(a, "--color") == 0;
        if (color || (need_script && strcmp(a, "--progress") == 0)) {
            if (!val) val = i + 1 < o->argc ? o->argv[++i] : NULL;
            if (!is_when(val))
                return usage_error(color ? "--color needs auto, always or never, got %s"
                                         : "--progress needs auto, always or never, got %s",
                                   val ? val : "nothing");
            *(color ? &o->color : &o->progress) = val;
        } else if (need_script && strcmp(a, "--timeout") == 0) {
            if (!val) val = i + 1 < o->argc ? o->argv[++i] : NULL;
            if (!val || !*val) return usage_error("%s needs a time, like 30s", "--timeout");
            o->timeout = val;
        } else if (need_script && strcmp(a, "--report") == 0) {
            if (!val) val = i + 1 < o->argc ? o->argv[++i] : NULL;
            if (!val || !*val) return usage_error("%s needs a directory", "--report");
            o->report = val;
        } else if (strcmp(a, "--seed") == 0) {
            if (!val) val = i + 1 < o->argc ? o->argv[++i] : NULL;
            if (!parse_seed(val, &o->seed)) return usage_error("--seed needs a non-negative integer, got %s", val ? val : "nothing");
            o->has_seed = true;
        } else if (strcmp(a, "--pcap") == 0) {
            if (!val) val = i + 1 < o->argc ? o->argv[++i] : NULL;
            if (!val) return usage_error("%s needs a directory", "--pcap");
            o->pcap = val;
        } else if (strcmp(a, "--trace") == 0 || strncmp(a, "--trace=", 8) == 0) {
            /* (not folded into `a` like the others: GCC then warns about
             * every longer option name compared after it) */
            val = a[7] == '=' ? a + 8 : i + 1 < o->argc ? o->argv[++i] : NULL;
            uint32_t mask;
            char err[200];
            if (!val) return usage_error("%s needs subsystems, like arp,ip (or all)", "--trace");
            if (ln_trace_parse(val, &mask, err, sizeof err) != 0) return usage_error("--trace: %s", err);
            /* Every network the script makes reads it (l_net.c). */
            setenv("LUNET_TRACE", val, 1);
        } else if (strcmp(a, "--lang") == 0) {
            if (!val) val = i + 1 < o->argc ? o->argv[++i] : NULL;
            if (!val || (strcmp(val, "en") != 0 && strcmp(val, "zh") != 0))
                return usage_error("--lang needs en or zh, got %s", val ? val : "nothing");
            o->lang = val;
        } else if (need_script && strcmp(a, "--speed") == 0) {
            if (!val) val = i + 1 < o->argc ? o->argv[++i] : NULL;
            char *end = NULL;
            double x = val ? strtod(val, &end) : 0;
            if (!val || end == val || *end || !(x >= 1e-6 && x <= 1e6))
                return usage_error("--speed needs a factor in 0.000001..1000000 (0.01 is slow motion), got %s",
                                   val ? val : "nothing");
            o->speed = x;
            o->realtime = true;
        } else if (need_script && strcmp(a, "--step") == 0) {
            o->step = true;
        } else if (need_script && strcmp(a, "--quiz") == 0) {
            o->quiz = true;
        } else if (strcmp(a, "--realtime") == 0) {
            o->realtime = true;
        } else if (strcmp(a, "--bridge") == 0 || strncmp(a, "--bridge=", 9) == 0) {
            val = a[8] == '=' ? a + 9 : i + 1 < o->argc ? o->argv[++i] : NULL;
            if (!val || !strchr(val, ':'))
                return usage_error("--bridge needs NODE:TAP[:TAP_ADDR/LEN[:NODE_ADDR/LEN]], like "
                                   "sw1:lunet0:10.0.0.254/24, got %s", val ? val : "nothing");
            if (o->n_bridge == (int)(sizeof o->bridge / sizeof o->bridge[0]))
                return usage_error("%s: at most 8 bridges on the command line", "--bridge");
            o->bridge[o->n_bridge++] = val;
        } else if (strcmp(o->cmd, "run") == 0 && strcmp(a, "--ranks") == 0) {
            o->ranks = true;
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option %s", a);
        } else {
            break;
        }
    }
    if (i >= o->argc) {
        if (need_script) return usage_error("%s: no script given", "run");
        o->first_arg = i;
        return 0;
    }
    o->script = o->argv[i];
    o->first_arg = i + 1;
    return 0;
}

/* lunet.* settings from the command line. */
static void configure(lua_State *L, const opts *o)
{
    lua_getglobal(L, "lunet");
    if (o->has_seed) {
        lua_pushinteger(L, (lua_Integer)o->seed);
        lua_setfield(L, -2, "default_seed");
    }
    lua_pushboolean(L, o->realtime);
    lua_setfield(L, -2, "realtime");
    if (o->n_bridge) {                /* l_bridge.c's lnl_auto_bridge applies them */
        lua_createtable(L, o->n_bridge, 0);
        for (int i = 0; i < o->n_bridge; i++) {
            lua_pushstring(L, o->bridge[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "bridge_auto");
    }
    if (o->speed > 0) {
        lua_pushnumber(L, o->speed);
        lua_setfield(L, -2, "speed");
    }
    if (o->quiz) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "quiz");
    }
    if (o->step) {
        /* every network the script makes steps: wrap lunet.net */
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "step");
        if (luaL_dostring(L, "local make = lunet.net\n"
                             "lunet.net = function(...)\n"
                             "  local n = make(...)\n"
                             "  require('lunet.step').attach(n)\n"
                             "  return n\n"
                             "end") != LUA_OK) {
            fprintf(stderr, PROG ": --step: %s\n", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    if (o->lang) {                        /* else lunet.scenario reads $LUNET_LANG */
        lua_pushstring(L, o->lang);
        lua_setfield(L, -2, "lang");
    }
    if (o->pcap) {
        lua_pushstring(L, o->pcap);
        lua_setfield(L, -2, "pcap_dir");
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "pcap_auto");
    }
    const char *env_pd = getenv("LUNET_PCAP_DIR");
    if (!o->pcap && !o->report && (!env_pd || !*env_pd) && o->script && strcmp(o->cmd, "run") == 0) {
        /* Nothing lands in the user's current directory unless asked: a
         * script's relative captures go to $TMPDIR/lunet/<script>/, which
         * stays after the run for Wireshark (the script prints the paths). */
        const char *tmp = getenv("TMPDIR");
        const char *base = strrchr(o->script, '/');
        base = base ? base + 1 : o->script;
        size_t stem = strlen(base);
        if (stem > 4 && strcmp(base + stem - 4, ".lua") == 0) stem -= 4;
        lua_pushfstring(L, "%s/lunet/%s", tmp && *tmp ? tmp : "/tmp", "");
        lua_pushlstring(L, base, stem);
        lua_concat(L, 2);
        lua_setfield(L, -2, "pcap_dir");
    }
    if (o->report && !o->pcap) {      /* the report links to every interface's pcap */
        lua_pushstring(L, o->report);
        lua_setfield(L, -2, "pcap_dir");
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "pcap_auto");
    }
    if (o->color) {                   /* else lunet.term reads $LUNET_COLOR */
        lua_pushstring(L, o->color);
        lua_setfield(L, -2, "color");
    }
    if (o->progress) {
        lua_pushstring(L, o->progress);
        lua_setfield(L, -2, "progress");
    }
    lua_pop(L, 1);
}

/* lunet.progress before any flag: $LUNET_PROGRESS, else auto (an unknown
 * word too, as lunet.term treats $LUNET_COLOR). */
static void progress_default(lua_State *L)
{
    const char *e = getenv("LUNET_PROGRESS");
    lua_getglobal(L, "lunet");
    lua_pushstring(L, is_when(e) ? e : "auto");
    lua_setfield(L, -2, "progress");
    lua_pop(L, 1);
}

/* ---- output beside the progress line -------------------------------------
 *
 * print, io.write and file:write on stdout or stderr erase net:run's
 * progress line first (it is drawn again at its next tick), and note
 * whether stdout was left in the middle of a line.  The wrappers check
 * their arguments themselves, so that a bad call still reads "file:line:
 * bad argument #1 to 'write'": an error raised from inside a function they
 * call would name neither. */

/* luaB_print, with the erase: lua_writestring is stdout. */
static int out_print(lua_State *L)
{
    lnl_progress_erase();
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t l;
        const char *s = luaL_tolstring(L, i, &l);
        if (i > 1) lua_writestring("\t", 1);
        lua_writestring(s, l);
        lua_pop(L, 1);
    }
    lua_writeline();
    lnl_out_midline = false;
    return 0;
}

/* Check the values first..top as io.write does; true when the last
 * non-empty one does not end a line. */
static bool check_values(lua_State *L, int first, bool midline)
{
    for (int i = first, top = lua_gettop(L); i <= top; i++) {
        if (lua_type(L, i) == LUA_TNUMBER) { midline = true; continue; }
        size_t l;
        const char *s = luaL_checklstring(L, i, &l);
        if (l) midline = s[l - 1] != '\n';
    }
    return midline;
}

/* Call upvalue 1 (the original) with our arguments, return its results. */
static int call_original(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* io.write: taken to go to stdout, which it does unless io.output moved. */
static int out_io_write(lua_State *L)
{
    lnl_out_midline = check_values(L, 1, lnl_out_midline);
    lnl_progress_erase();
    return call_original(L);
}

static int out_file_write(lua_State *L)
{
    luaL_Stream *p = luaL_checkudata(L, 1, LUA_FILEHANDLE);
    if (!p->closef) return luaL_error(L, "attempt to use a closed file");
    bool mid = check_values(L, 2, lnl_out_midline);
    if (p->f == stdout) lnl_out_midline = mid;
    if (p->f == stdout || p->f == stderr) lnl_progress_erase();
    return call_original(L);
}

static void wrap(lua_State *L, const char *k, lua_CFunction f)
{
    lua_getfield(L, -1, k);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, k);
}

static void wrap_output(lua_State *L)
{
    lua_pushcfunction(L, out_print);
    lua_setglobal(L, "print");
    if (lua_getglobal(L, "io") == LUA_TTABLE) wrap(L, "write", out_io_write);
    lua_pop(L, 1);
    if (luaL_getmetatable(L, LUA_FILEHANDLE) == LUA_TTABLE) {
        if (lua_getfield(L, -1, "__index") == LUA_TTABLE) wrap(L, "write", out_file_write);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* arg as in lua.c: arg[0] the script, arg[1..] its arguments, negative
 * indices the command line before it; lunet.args the arguments only.
 * Without a script (a bare `lunet repl`), arg[0] is the program. */
static void set_args(lua_State *L, const opts *o)
{
    int script = o->script ? o->first_arg - 1 : 0;
    lua_createtable(L, o->argc - o->first_arg, script + 1);
    for (int i = 0; i < o->argc; i++) {
        lua_pushstring(L, o->argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
    lua_getglobal(L, "lunet");
    lua_createtable(L, o->argc - o->first_arg, 0);
    for (int i = o->first_arg; i < o->argc; i++) {
        lua_pushstring(L, o->argv[i]);
        lua_rawseti(L, -2, i - o->first_arg + 1);
    }
    lua_setfield(L, -2, "args");
    lua_pop(L, 1);
}

static int stderr_color_k(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lunet.term");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "color");
    lua_pushliteral(L, "stderr");
    lua_call(L, 1, 1);
    return 1;
}

/* term.color("stderr"), so that the rules stay in term.lua; false when it
 * cannot be asked (the state is broken, the module is missing). */
static bool stderr_color(lua_State *L)
{
    if (!lua_checkstack(L, 4)) return false;
    lua_pushcfunction(L, stderr_color_k);
    bool on = lua_pcall(L, 0, 1, 0) == LUA_OK && lua_toboolean(L, -1);
    lua_pop(L, 1);
    return on;
}

/* "lunet: <error>" on stderr, its first line red when stderr is coloured
 * (the traceback after it stays plain). */
static void report(lua_State *L, int status)
{
    if (status == LUA_OK) return;
    lnl_progress_erase();
    fflush(stdout);
    const char *msg = lua_tostring(L, -1);
    if (!msg) msg = "(error object is not a string)";
    if (lnl_signal && !lnl_timed_out) {
        /* A signal's stop is one line, where it stopped: no traceback. */
        const char *nl = strchr(msg, '\n');
        if (nl) {
            lua_pushlstring(L, msg, (size_t)(nl - msg));
            lua_remove(L, -2);
            msg = lua_tostring(L, -1);
        }
    }
    if (stderr_color(L)) {
        const char *nl = strchr(msg, '\n');
        int len = nl ? (int)(nl - msg) : (int)strlen(msg);
        fprintf(stderr, "\033[31m" PROG ": %.*s\033[0m%s\n", len, msg, nl ? nl : "");
    } else {
        fprintf(stderr, PROG ": %s\n", msg);
    }
    fflush(stderr);
    lua_pop(L, 1);
}

/* Each line of the string on top (popped) as an error line of its own. */
static void report_lines(lua_State *L)
{
    const char *p = lua_tostring(L, -1);
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lua_pushlstring(L, p, len);
        report(L, LUA_ERRRUN);
        p = nl ? nl + 1 : NULL;
    }
    lua_pop(L, 1);
}

/* expect / eventually / test as globals, for run and repl. */
static int install_test_globals(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lunet.test");
    int st = docall(L, 1, 1);
    if (st == LUA_OK) {
        lua_getfield(L, -1, "install_globals");
        lua_remove(L, -2);
        st = docall(L, 0, 0);
    }
    return st;
}

/* Push lunet.report's function `name` (begin or finish). */
static int push_report_fn(lua_State *L, const char *name)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lunet.report");
    int st = docall(L, 1, 1);
    if (st != LUA_OK) return st;
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    return LUA_OK;
}

/* --report: record from before the script's first line. */
static int report_begin(lua_State *L, const opts *o)
{
    int st = push_report_fn(L, "begin");
    if (st != LUA_OK) return st;
    lua_createtable(L, 0, 2);
    lua_pushstring(L, o->report);
    lua_setfield(L, -2, "dir");
    lua_pushstring(L, o->script);
    lua_setfield(L, -2, "title");
    st = docall(L, 1, 0);
    return st;
}

/* --report: write the page (also after a failure, whose message it shows)
 * and say where it is. */
static int report_finish(lua_State *L, const char *err)
{
    int st = push_report_fn(L, "finish");
    if (st != LUA_OK) return st;
    if (err) lua_pushstring(L, err);
    else lua_pushnil(L);
    st = docall(L, 1, 1);
    if (st != LUA_OK) return st;
    const char *path = lua_tostring(L, -1);
    if (path) {
        lnl_progress_erase();
        printf("report: %s\n", path);
        fflush(stdout);
    }
    lua_pop(L, 1);
    return LUA_OK;
}

/* After a signal: 128 + its number, as a shell shows a process it killed;
 * a script that caught the stop and ended anyway still says it stopped. */
static int signal_status(lua_State *L, int code)
{
    if (!lnl_signal) return code;
    if (code == 0) {
        lnl_push_stop_message(L, NULL, lnl_signal, NULL);
        report(L, LUA_ERRRUN);
    }
    return 128 + lnl_signal;
}

static int cmd_run(lua_State *L, opts *o)
{
    if (o->ranks) {
        char err[256];
        if (o->realtime || o->step || o->quiz || o->report || o->n_bridge)
            return usage_error("%s: --ranks runs in virtual time, without --realtime, --speed, --step, "
                               "--quiz, --report or --bridge", "run");
        int ac = o->argc;                   /* MPI may rewrite its copies */
        char **av = o->argv;
        if (lnl_mpi_init(&ac, &av, err, sizeof err) != 0) {
            fprintf(stderr, PROG " run --ranks: %s\n", err);
            return 2;
        }
    }
    configure(L, o);
    set_args(L, o);
    int st = install_test_globals(L);
    if (st == LUA_OK && o->report) st = report_begin(L, o);
    if (st != LUA_OK) { report(L, st); return 1; }
    if (o->timeout) {
        /* the limit in lunet's own time syntax ("30s", "2m", 30) */
        lua_getglobal(L, "lunet");
        lua_getfield(L, -1, "time");
        lua_pushstring(L, o->timeout);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
            fprintf(stderr, PROG ": --timeout %s: %s\n", o->timeout, lua_tostring(L, -1));
            lua_pop(L, 2);
            return 2;
        }
        double secs = (double)lua_tointeger(L, -1) / 1e9;
        lua_pop(L, 2);
        set_alarm(L, secs);
    }
    st = luaL_loadfile(L, o->script);
    if (st == LUA_OK) {
        int n = o->argc - o->first_arg;
        luaL_checkstack(L, n, "too many script arguments");
        for (int i = o->first_arg; i < o->argc; i++) lua_pushstring(L, o->argv[i]);
        st = docall(L, n, 0);
    }
    bool timed_out = lnl_timed_out;
    if (o->timeout) set_alarm(L, 0);
    if (o->report) {
        /* the message stays on the stack, under the report's calls */
        const char *err = st != LUA_OK ? lua_tostring(L, -1) : NULL;
        int rst = report_finish(L, st != LUA_OK ? (err ? err : "(error object is not a string)") : NULL);
        if (rst != LUA_OK) {
            report(L, rst);
            if (st == LUA_OK) return 1;
        }
    }
    report(L, st);
    if (st != LUA_OK && timed_out) return 124;   /* as timeout(1) */
    return signal_status(L, st == LUA_OK ? 0 : 1);
}

/* The REPL is the wall-clock driver: net:run typed at the prompt (or in
 * FILE.lua) is paced like `lunet run --realtime`. */
static int cmd_repl(lua_State *L, opts *o)
{
    in_repl = true;
    o->realtime = true;
    configure(L, o);
    set_args(L, o);
    int st = install_test_globals(L);
    if (st != LUA_OK) { report(L, st); return 1; }
    int code = lnl_repl_main(L, o->script, o->argv + o->first_arg, o->argc - o->first_arg, docall);
    return signal_status(L, code);   /* SIGTERM, SIGHUP: the session ended */
}

/* `lunet test` and `lunet packetdrill`: a Lua module's main(args, opts)
 * parses its own options and returns the exit code. */
static int cmd_module(lua_State *L, opts *o, int first, const char *module)
{
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    int st = docall(L, 1, 1);
    if (st != LUA_OK) { report(L, st); return 1; }
    lua_getfield(L, -1, "main");
    lua_remove(L, -2);
    /* The test module parses its own options (the same table a Lua caller
     * would pass); opts carries what the C side already knows. */
    lua_createtable(L, o->argc - first, 0);
    for (int i = first; i < o->argc; i++) {
        lua_pushstring(L, o->argv[i]);
        lua_rawseti(L, -2, i - first + 1);
    }
    lua_createtable(L, 0, 1);
    lua_pushfstring(L, PROG " %s", o->cmd);
    lua_setfield(L, -2, "prog");
    st = docall(L, 2, 1);
    if (st != LUA_OK) { report(L, st); return 1; }
    int code = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : (lua_toboolean(L, -1) ? 0 : 1);
    lua_pop(L, 1);
    return signal_status(L, code);
}

static int pmain(lua_State *L)
{
    opts *o = lua_touserdata(L, 1);
    luaL_checkversion(L);
    luaL_openlibs(L);
    lua_gc(L, LUA_GCRESTART);
    lua_gc(L, LUA_GCGEN, 0, 0);
    luaL_requiref(L, "lunet", luaopen_lunet, 1);
    lua_pushcfunction(L, l_alarm);
    lua_setfield(L, -2, "_alarm");
    lua_pushcfunction(L, l_stop_signal);
    lua_setfield(L, -2, "_stop_signal");
    lua_pop(L, 1);
    if (strcmp(o->cmd, "repl") != 0) {    /* the REPL has its own (repl.lua) */
        progress_default(L);
        wrap_output(L);
    }
    if (strcmp(o->cmd, "run") == 0) {
        int rc = parse_run(o, 2);
        o->exit_code = rc ? rc : cmd_run(L, o);
    } else if (strcmp(o->cmd, "repl") == 0) {
        int rc = parse_run(o, 2);
        o->exit_code = rc ? rc : cmd_repl(L, o);
    } else if (strcmp(o->cmd, "packetdrill") == 0) {
        o->exit_code = cmd_module(L, o, 2, "lunet.packetdrill");
    } else {
        o->exit_code = cmd_module(L, o, 2, "lunet.test");
    }
    /* Close captures and networks now, while the state is whole: captures
     * complete before anything else is torn down.  A capture that could not
     * write and nobody heard of yet is an error now. */
    if (lnl_captures_close_all(L) > 0) {
        report_lines(L);
        if (o->exit_code == 0) o->exit_code = 1;
    }
    lnl_close_all(L);
    return 0;
}

int main(int argc, char **argv)
{
    opts o = { .argc = argc, .argv = argv };
    const char *cmd = argc > 1 ? argv[1] : "help";
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "-v") == 0) {
        printf(PROG " %s (%s)\n", LNL_VERSION, LUA_RELEASE);
#ifdef LUNET_HAVE_LIBEDIT
        printf("repl: line editing and history with libedit\n");
#else
        printf("repl: no line editing (built without libedit; install libedit-dev and rebuild)\n");
#endif
#ifdef LUNET_HAVE_MPI
        printf("split runs: lunet run --ranks with MPI, partitions by %s\n",
               ln_partition_method_name(LN_PART_AUTO));
#else
        printf("split runs: none (built without MPI; install libopenmpi-dev and rebuild)\n");
#endif
        return 0;
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "test") != 0 && strcmp(cmd, "repl") != 0 &&
        strcmp(cmd, "packetdrill") != 0) {
        if (cmd[0] == '-') return usage_error("unknown option %s", cmd);
        return usage_error("unknown command \"%s\"", cmd);
    }
    o.cmd = cmd;
    for (int i = 0; i < N_STOP_SIGNALS; i++) {
        struct sigaction sa;
        ignored[i] = stop_signals[i] != SIGINT && sigaction(stop_signals[i], NULL, &sa) == 0 &&
                     sa.sa_handler == SIG_IGN;
    }
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, PROG ": cannot create the Lua state: not enough memory\n");
        return 1;
    }
    lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, pmain);
    lua_pushlightuserdata(L, &o);
    int st = lua_pcall(L, 1, 0, 0);
    if (st != LUA_OK) {
        report(L, st);
        o.exit_code = 1;
    }
    lnl_close_all(L);
    lua_close(L);
    lnl_mpi_finish(o.exit_code);
    return o.exit_code;
}
