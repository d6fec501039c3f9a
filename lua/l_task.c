/* l_task.c - tasks: Lua functions run as coroutines in virtual time, like
 * OpenResty's light threads.
 *
 * A task owns one ln_timer.  Every resume happens from that timer's
 * callback, inside the scheduler (so inside net:run): spawning arms it for
 * "now", lunet.sleep arms it for now + t, and a blocking call (IcmpSocket:
 * receive) arms it for its deadline and lets the event source re-arm it for
 * "now" (lnl_task_wake).  When the timer fires, the blocking call's builder
 * pushes the call's results onto the coroutine and it resumes:
 *
 *   lunet.sleep / s:receive -> lnl_task_block -> lua_yield
 *   ... scheduler ... timer -> lnl_protected(resume) -> builder -> lua_resume
 *
 * A call blocked with lnl_task_block_poll (TcpSocket send, receive, drain)
 * first retries in C when the timer fires (poll_again), and the coroutine
 * resumes only once the call can finish: a transfer costs a resume per
 * call, not one per segment.
 *
 * While unfinished, a task is anchored in its network's user value (its
 * timer must not point into a collected userdata) and linked into the
 * network's list, so closing the network can disarm it without Lua.  An
 * error in a task stops the simulation; net:run raises it with the task's
 * traceback. */
#include <stdio.h>
#include <string.h>

#include "node.h"
#include "lunet.h"

typedef enum { T_NEW, T_RUNNING, T_BLOCKED, T_YIELDED, T_DONE, T_FAILED, T_KILLED } tstate;

static const char *const state_names[] = {
    "new", "running", "blocked", "yielded", "done", "failed", "killed",
};

struct lnl_task {
    lnl_net *n;
    ln_node *node;                /* host it runs on, or NULL */
    ln_timer timer;
    tstate state;
    bool sync;                    /* in its first part, run by lnl_task_run_now */
    int nargs;                    /* T_NEW: arguments on the coroutine */
    int nres;                     /* T_DONE: results on the coroutine */
    lnl_wake_fn wake;             /* T_BLOCKED: builds the call's results */
    lnl_poll_fn poll;             /* T_BLOCKED: retries the call in C, or NULL */
    void *wake_arg;
    ln_time deadline;             /* T_BLOCKED with poll: when to give up */
    struct lnl_task *next, *prev; /* n->tasks, while unfinished */
    char where[80];               /* "h1, script.lua:12": for livelock reports */
};

lnl_net *lnl_task_net(const lnl_task *t) { return t->n; }

static void unlink_task(lnl_task *t)
{
    if (t->prev) t->prev->next = t->next;
    else if (t->n->tasks == t) t->n->tasks = t->next;
    if (t->next) t->next->prev = t->prev;
    t->next = t->prev = NULL;
}

/* The task is over: disarm, unlink, and drop the anchor (needs Lua). */
static void retire(lua_State *L, lnl_task *t, tstate st)
{
    t->state = st;
    if (t->n->net) ln_timer_cancel(&t->n->net->sim, &t->timer);
    unlink_task(t);
    if (t->n->net && lnl_push_net(L, t->n)) {
        lua_getiuservalue(L, -1, 1);
        lua_getfield(L, -1, "tasks");
        lua_pushnil(L);
        lua_rawsetp(L, -2, t);
        lua_pop(L, 3);
    } else {
        lua_pop(L, 1);
    }
}

/* Push the task's coroutine (from the task userdata found by pointer). */
static lua_State *push_co(lua_State *L, lnl_task *t)
{
    lnl_push_uv(L, t->n);
    lua_getfield(L, -1, "tasks");
    lua_rawgetp(L, -1, t);
    lua_getiuservalue(L, -1, 1);
    lua_State *co = lua_tothread(L, -1);
    lua_replace(L, -4);
    lua_pop(L, 2);
    return co;
}

/* The coroutine being resumed, for a SIGINT handler: a hook set on the
 * main thread does not reach a running coroutine (see lunet.h). */
lua_State *volatile lnl_running_co = NULL;

/* Which task ran last, for a livelock report (copied: the task may be
 * gone by then). */
char lnl_last_task[80] = "";

/* The task whose coroutine is being resumed, innermost first: every
 * blocking call asks which task it runs in, and this answers without the
 * registry (see lnl_current_task). */
static struct running { lua_State *co; lnl_task *t; } running;

static int resume_co(lnl_task *t, lua_State *co, lua_State *from, int nargs, int *nres)
{
    memcpy(lnl_last_task, t->where, sizeof lnl_last_task);
    lua_State *outer = lnl_running_co;
    struct running outer_task = running;
    lnl_running_co = co;
    running = (struct running){ co, t };
    int st = lua_resume(co, from, nargs, nres);
    lnl_running_co = outer;
    running = outer_task;
    return st;
}

/* Runs on the network's callback thread under lua_pcall (lnl_protected). */
static int resume(lua_State *L)
{
    lnl_task *t = lua_touserdata(L, 1);
    if (t->state == T_DONE || t->state == T_FAILED || t->state == T_KILLED || t->state == T_RUNNING)
        return 0;
    lua_State *co = push_co(L, t);
    int nargs = 0;
    if (t->state == T_NEW) {
        nargs = t->nargs;
    } else if (t->state == T_BLOCKED) {
        lnl_wake_fn fn = t->wake;
        t->wake = NULL;
        t->poll = NULL;
        if (fn) nargs = fn(co, t, t->wake_arg);
    }
    t->state = T_RUNNING;
    int nres = 0;
    int st = resume_co(t, co, L, nargs, &nres);
    if (t->state == T_KILLED) return 0;             /* killed itself */
    if (st == LUA_YIELD) {
        lua_pop(co, nres);
        if (t->state == T_RUNNING) {
            /* A bare coroutine.yield() in a task: let everything else due
             * now run, then continue. */
            t->state = T_YIELDED;
            ln_timer_arm(&t->n->net->sim, &t->timer, ln_net_now(t->n->net));
        }
        return 0;
    }
    if (st == LUA_OK) {
        t->nres = nres;
        retire(L, t, T_DONE);
        return 0;
    }
    retire(L, t, T_FAILED);
    if (lua_type(co, -1) == LUA_TSTRING) {
        luaL_traceback(L, co, lua_tostring(co, -1), 0);
    } else {
        lua_pushvalue(co, -1);          /* a table (e.g. skip()) goes as is */
        lua_xmove(co, L, 1);
    }
    return lua_error(L);
}

/* Set the timer of a task that blocks: its deadline, or none. */
static void arm_deadline(lnl_task *t, ln_time deadline)
{
    if (deadline != LN_NEVER) ln_timer_arm(&t->n->net->sim, &t->timer, deadline);
    else ln_timer_cancel(&t->n->net->sim, &t->timer);
}

/* A blocked task with a poll function tries its call again in C; true if
 * it stays blocked, so that no coroutine is resumed for a wake that
 * finishes nothing (a sink reading segment after segment, a sender whose
 * buffer each ACK opens a little).  The poll makes the same stack calls,
 * in the same event, as the continuation would, and the timer is re-armed
 * as lnl_task_block_k arms it: the run is the same event for event. */
static bool poll_again(lnl_task *t)
{
    /* As while Lua runs the call: a wake from inside the stack is moot. */
    t->state = T_RUNNING;
    lnl_wake_fn fn = t->wake;
    void *arg = t->wake_arg;
    bool done = t->poll(t, arg);
    if (t->state != T_RUNNING) {
        /* An event hook the call set off killed the task: it lets go of
         * what it waited on, and nothing resumes it. */
        if (fn) fn(NULL, t, arg);
        return true;
    }
    t->state = T_BLOCKED;
    if (done || ln_net_now(t->n->net) >= t->deadline) return false;
    arm_deadline(t, t->deadline);
    return true;
}

static void on_timer(void *arg)
{
    lnl_task *t = arg;
    if (t->poll && t->state == T_BLOCKED && poll_again(t)) return;
    lnl_protected(t->n, resume, t);
}

/* A new task for the function at fidx and the arguments after it, anchored
 * in its network; pushes the Task.  Not started. */
static lnl_task *new_task(lua_State *L, lnl_net *n, ln_node *node, int fidx, const char *fname)
{
    if (!lua_isfunction(L, fidx)) lnl_typeerror(L, fidx, fname, "function");
    int top = lua_gettop(L);
    lua_Debug ar;
    lua_pushvalue(L, fidx);
    lua_getinfo(L, ">S", &ar);
    lnl_task *t = lua_newuserdatauv(L, sizeof *t, 2);
    memset(t, 0, sizeof *t);
    t->n = n;
    t->node = node;
    snprintf(t->where, sizeof t->where, "%.31s%s%.40s:%d", node ? node->name : "", node ? ", " : "",
             ar.short_src, ar.linedefined);
    t->state = T_NEW;
    t->nargs = top - fidx;
    luaL_setmetatable(L, LNL_TASK);
    lua_State *co = lua_newthread(L);
    for (int i = fidx; i <= top; i++) lua_pushvalue(L, i);
    lua_xmove(L, co, top - fidx + 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_THREADS);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, -4);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_setiuservalue(L, -2, 1);
    lnl_push_net(L, n);
    lua_setiuservalue(L, -2, 2);
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "tasks");
    lua_pushvalue(L, -3);
    lua_rawsetp(L, -2, t);
    lua_pop(L, 2);
    t->next = n->tasks;
    if (n->tasks) n->tasks->prev = t;
    n->tasks = t;
    ln_timer_init(&t->timer, on_timer, t);
    /* Every resume is this timer's event: the task runs as its host's actor
     * (a task with no host as the network's), whoever woke it. */
    ln_timer_own(&t->timer, node ? node->actor : LN_ACTOR_NET);
    return t;
}

int lnl_spawn(lua_State *L, lnl_net *n, ln_node *node, int fidx, const char *fname)
{
    lnl_task *t = new_task(L, n, node, fidx, fname);
    ln_timer_arm(&n->net->sim, &t->timer, ln_net_now(n->net));
    return 1;
}

/* Run the function at fidx as a task of n, its first part now, from the
 * caller (lunet repl's prompt: a line that blocks waits in virtual time
 * like any task; one that does not is done when this returns, and may
 * even drive a network, which a task resumed by the scheduler may not).
 * Pushes the Task, then nil or, when the first part failed, its error
 * with the task's traceback (the task is "failed"). */
int lnl_task_run_now(lua_State *L, lnl_net *n, int fidx)
{
    lnl_task *t = new_task(L, n, NULL, fidx, "lunet._task_now");
    int tidx = lua_gettop(L);
    lua_getiuservalue(L, tidx, 1);
    lua_State *co = lua_tothread(L, -1);
    lua_pop(L, 1);
    t->state = T_RUNNING;
    t->sync = true;
    int nres = 0;
    int st = resume_co(t, co, L, t->nargs, &nres);
    t->sync = false;
    if (t->state == T_KILLED) { lua_pushnil(L); return 2; }
    if (st == LUA_YIELD) {
        lua_pop(co, nres);
        if (t->state == T_RUNNING) {               /* a bare yield: go on later */
            t->state = T_YIELDED;
            ln_timer_arm(&n->net->sim, &t->timer, ln_net_now(n->net));
        }
        lua_pushnil(L);
        return 2;
    }
    if (st == LUA_OK) {
        t->nres = nres;
        retire(L, t, T_DONE);
        lua_pushnil(L);
        return 2;
    }
    retire(L, t, T_FAILED);
    if (lua_type(co, -1) == LUA_TSTRING) luaL_traceback(L, co, lua_tostring(co, -1), 0);
    else lua_pushliteral(L, "(error object is not a string)");
    return 2;
}

bool lnl_task_is_sync(const lnl_task *t) { return t && t->sync; }

/* Tasks that will run again without anything from outside: new, yielded,
 * or blocked with a deadline (a sleep, a ping's wait), not one waiting
 * for a connection with none. */
bool lnl_tasks_busy(const lnl_net *n)
{
    for (const lnl_task *t = n->tasks; t; t = t->next)
        if (t->state == T_NEW || t->state == T_YIELDED ||
            (t->state == T_BLOCKED && ln_timer_armed(&t->timer)))
            return true;
    return false;
}

lnl_task *lnl_current_task(lua_State *L)
{
    if (L == running.co) return running.t->state == T_RUNNING ? running.t : NULL;
    if (lua_pushthread(L)) { lua_pop(L, 1); return NULL; }   /* main thread */
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_THREADS);
    lua_insert(L, -2);
    lua_rawget(L, -2);
    lnl_task *t = luaL_testudata(L, -1, LNL_TASK);
    lua_pop(L, 2);
    return t && t->state == T_RUNNING ? t : NULL;
}

lnl_task *lnl_checktask(lua_State *L, const char *fname)
{
    lnl_task *t = lnl_current_task(L);
    if (!t) luaL_error(L, "%s: not inside a task (use host:spawn)", fname);
    if (!lua_isyieldable(L))
        luaL_error(L, "%s: cannot block here (inside a metamethod or a C function)", fname);
    if (!t->n->net) luaL_error(L, "%s: the network is closed", fname);
    return t;
}

int lnl_task_block_k(lua_State *L, lnl_task *t, ln_time deadline, lnl_wake_fn fn, void *arg,
                     lua_KContext ctx, lua_KFunction k)
{
    t->state = T_BLOCKED;
    t->wake = fn;
    t->poll = NULL;
    t->wake_arg = arg;
    arm_deadline(t, deadline);
    return lua_yieldk(L, 0, ctx, k);
}

int lnl_task_block_poll(lua_State *L, lnl_task *t, ln_time deadline, lnl_poll_fn poll,
                        lnl_wake_fn fn, void *arg, lua_KContext ctx, lua_KFunction k)
{
    t->state = T_BLOCKED;
    t->wake = fn;
    t->poll = poll;
    t->wake_arg = arg;
    t->deadline = deadline;
    arm_deadline(t, deadline);
    return lua_yieldk(L, 0, ctx, k);
}

int lnl_task_block(lua_State *L, lnl_task *t, ln_time deadline, lnl_wake_fn fn, void *arg)
{
    return lnl_task_block_k(L, t, deadline, fn, arg, 0, NULL);
}

void lnl_task_wake(lnl_task *t)
{
    if (t->state != T_BLOCKED || !t->n->net) return;
    ln_sim *s = &t->n->net->sim;
    if (ln_timer_armed(&t->timer) && t->timer.when == s->now) return;
    ln_timer_arm(s, &t->timer, s->now);
}

void lnl_tasks_abort(lnl_net *n)
{
    while (n->tasks) {
        lnl_task *t = n->tasks;
        if (t->state == T_BLOCKED && t->wake) t->wake(NULL, t, t->wake_arg);
        t->wake = NULL;
        t->poll = NULL;
        t->state = T_KILLED;
        if (n->net) ln_timer_cancel(&n->net->sim, &t->timer);
        unlink_task(t);
    }
}

/* A split run has just begun: the tasks of hosts other ranks run can never
 * run here (their timers are not armed on this rank), so they let go of
 * their coroutines now instead of holding them to the end. */
void lnl_tasks_release_remote(lua_State *L, lnl_net *n)
{
    for (lnl_task *t = n->tasks, *next; t; t = next) {
        next = t->next;
        if (t->node && lnl_remote_rank(n, t->node) >= 0) retire(L, t, T_KILLED);
    }
}

/* ---- lunet.sleep ------------------------------------------------------- */

static int woke_from_sleep(lua_State *co, lnl_task *t, void *arg)
{
    (void)co; (void)t; (void)arg;
    return 0;
}

static int l_sleep(lua_State *L)
{
    lnl_task *t = lnl_checktask(L, "lunet.sleep");
    /* lunet.sleep(): until the task is killed (no timer: the network may
     * go idle around it) */
    if (lua_isnoneornil(L, 1)) return lnl_task_block(L, t, LN_NEVER, woke_from_sleep, NULL);
    ln_time d = lnl_argtime(L, 1, "lunet.sleep", NULL);
    ln_time now = ln_net_now(t->n->net);
    return lnl_task_block(L, t, d > LN_NEVER - 1 - now ? LN_NEVER - 1 : now + d,
                          woke_from_sleep, NULL);
}

/* ---- lunet.Task methods ------------------------------------------------ */

/* A host's task runs on its host's rank only: in a split run its handle
 * elsewhere never moves (lnl_access).  A task of the network runs on
 * every rank, and a closed network's tasks still tell how they ended. */
static lnl_task *checktask_ud(lua_State *L, const char *fname, lnl_access acc)
{
    lnl_task *t = lnl_checkudata(L, 1, LNL_TASK, fname);
    if (t->n->net) lnl_checkowner(L, t->n, t->node, fname, acc);
    return t;
}

static bool finished(const lnl_task *t)
{
    return t->state == T_DONE || t->state == T_FAILED || t->state == T_KILLED;
}

static int task_done(lua_State *L)
{
    lua_pushboolean(L, finished(checktask_ud(L, "Task:done", LNL_OBSERVE)));
    return 1;
}

static int task_status(lua_State *L)
{
    lua_pushstring(L, state_names[checktask_ud(L, "Task:status", LNL_OBSERVE)->state]);
    return 1;
}

static int task_result(lua_State *L)
{
    lnl_task *t = checktask_ud(L, "Task:result", LNL_OBSERVE);
    if (t->state != T_DONE) return 0;
    lua_getiuservalue(L, 1, 1);
    lua_State *co = lua_tothread(L, -1);
    lua_pop(L, 1);
    luaL_checkstack(L, t->nres, "Task:result: too many results");
    int base = lua_gettop(co) - t->nres;
    for (int i = 1; i <= t->nres; i++) {
        lua_pushvalue(co, base + i);
        lua_xmove(co, L, 1);
    }
    return t->nres;
}

static int task_error(lua_State *L)
{
    lnl_task *t = checktask_ud(L, "Task:error", LNL_OBSERVE);
    if (t->state != T_FAILED) { lua_pushnil(L); return 1; }
    lua_getiuservalue(L, 1, 1);
    lua_State *co = lua_tothread(L, -1);
    lua_pop(L, 1);
    lua_pushvalue(co, -1);
    lua_xmove(co, L, 1);
    return 1;
}

static int task_kill(lua_State *L)
{
    lnl_task *t = checktask_ud(L, "Task:kill", LNL_DRIVE);
    if (finished(t)) { lua_pushboolean(L, 0); return 1; }
    bool self = lnl_current_task(L) == t;
    if (t->state == T_BLOCKED && t->wake) t->wake(NULL, t, t->wake_arg);
    t->wake = NULL;
    t->poll = NULL;
    retire(L, t, T_KILLED);
    if (self) {
        /* Never resumed again: the coroutine is simply left suspended. */
        if (lua_isyieldable(L)) return lua_yield(L, 0);
        return luaL_error(L, "Task:kill: task killed");
    }
    lua_getiuservalue(L, 1, 1);
    lua_State *co = lua_tothread(L, -1);
    /* Run its pending __close handlers, as coroutine.close would. */
#if LUA_VERSION_RELEASE_NUM >= 50406
    lua_closethread(co, L);
#else
    lua_resetthread(co);
#endif
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
    return 1;
}

static int task_tostring(lua_State *L)
{
    lnl_task *t = checktask_ud(L, "Task:__tostring", LNL_DESCRIBE);
    int r = lnl_remote_rank(t->n, t->node);
    if (r >= 0)                       /* its state here never moves */
        lua_pushfstring(L, "lunet.Task(%s, on rank %d)", t->node->name, r);
    else if (t->node && t->n->net)
        lua_pushfstring(L, "lunet.Task(%s, %s)", t->node->name, state_names[t->state]);
    else
        lua_pushfstring(L, "lunet.Task(%s)", state_names[t->state]);
    return 1;
}

static int task_node(lua_State *L)
{
    lnl_task *t = checktask_ud(L, "Task:node", LNL_DESCRIBE);
    if (!t->node || !t->n->net) { lua_pushnil(L); return 1; }
    lnl_push_handle(L, t->n, t->node, LNL_NODE);
    return 1;
}

/* lunet._task_now(net, fn, ...): lnl_task_run_now for lunet repl's
 * prompt (internal: the name may change). */
static int l_task_now(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "lunet._task_now");
    return lnl_task_run_now(L, n, 2);
}

static int l_current_task(lua_State *L)
{
    if (!lnl_current_task(L)) { lua_pushnil(L); return 1; }
    lua_pushthread(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_THREADS);
    lua_insert(L, -2);
    lua_rawget(L, -2);
    return 1;
}

void lnl_open_task(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"done", task_done}, {"result", task_result}, {"error", task_error},
        {"kill", task_kill}, {"status", task_status}, {"node", task_node},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__tostring", task_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_TASK, "Task", methods, meta);
    lua_pushcfunction(L, l_sleep);
    lua_setfield(L, -2, "sleep");
    lua_pushcfunction(L, l_current_task);
    lua_setfield(L, -2, "current_task");
    lua_pushcfunction(L, l_task_now);
    lua_setfield(L, -2, "_task_now");
}
