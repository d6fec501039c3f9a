/* l_tcp.c - lunet.TcpSocket: TCP sockets for tasks, OpenResty-cosocket
 * style, on top of the non-blocking API of core/tcp.h.  Also h:tcp(),
 * h:listen(), h:connect(), h:sockets(), and the "grave" where sockets
 * dropped by the garbage collector wait to be closed.
 *
 * A blocking call (connect, accept, receive, send, drain) first tries to
 * finish at once; if it cannot, it records the task in the socket's read
 * or write slot and yields with a continuation (lnl_task_block_k).  The
 * socket's notify callback (called from inside the stack) only re-arms the
 * waiting task's timer (lnl_task_wake), so the task resumes from the
 * scheduler, never from inside TCP input; the continuation retries and
 * either finishes or blocks again, until the deadline in its opts passes.
 * send, receive and drain retry in C from the timer instead (a poll,
 * lnl_task_block_poll), and resume the task only once they can finish:
 * a transfer costs a coroutine switch per call, not per segment:
 *
 *   s:receive(100) -> recv_try -> ln_tcp_recv -> LN_EAGAIN
 *     -> lnl_task_block_poll ... segment arrives -> ln_tcp_notify -> on_notify
 *     -> lnl_task_wake ... task timer -> recv_poll -> recv_try (more to come:
 *     blocked again) ... task timer -> recv_poll -> recv_try -> resume ->
 *     recv_k -> recv_results -> "data"
 *
 * One task may wait on each side of a socket (a reader and a writer, so a
 * connection can be full duplex); a second gets nil, "busy".  Network
 * outcomes return nil plus the word of ln_strerror; misuse raises.
 *
 * Bytes are moved from the stack's receive buffer only as far as the
 * pattern needs (a line reader takes what is readable, up to 4 KiB at a
 * time, and keeps the rest in the socket's read-ahead), so a task that
 * reads slowly still closes the advertised window as it would on Linux.
 *
 * Lifetime: the userdata owns the engine socket until close() or abort()
 * hands it back to the stack (ln_tcp_close/ln_tcp_abort).  Until then the
 * network holds the userdata (lnl_anchor), so an open socket is never
 * collected and nothing reaches the wire at a moment the collector picks;
 * one nobody closes stays open until its network closes.  A close during
 * event dispatch cannot call into the stack (TCP code may be on the C
 * stack), so it queues the socket in the network's grave, which a
 * zero-delay timer closes from the scheduler. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "node.h"
#include "tcp.h"
#include "tcp_cc.h"
#include "udp.h"
#include "lunet.h"
#include "l_tcp.h"
#include "crc64.h"
#include "wire.h"

#define F_PREFIX "TcpSocket:"


/* ---- helpers shared with l_udp.c --------------------------------------- */

char *lnl_fmt_endpoint(uint32_t addr, uint16_t port, bool star, char *buf)
{
    char a[16];
    ln_ip_fmt(addr, a);
    if (star && port == 0) snprintf(buf, 24, "%s:*", a);
    else snprintf(buf, 24, "%s:%u", a, (unsigned)port);
    return buf;
}

char *lnl_fmt_endpoint6(const ln_in6 *addr, uint16_t port, bool star, char *buf)
{
    char a[LN_IN6_FMTLEN];
    ln_ip6_fmt(addr, a);
    if (star && port == 0) snprintf(buf, LNL_EPLEN, "[%s]:*", a);
    else snprintf(buf, LNL_EPLEN, "[%s]:%u", a, (unsigned)port);
    return buf;
}

bool lnl_argaddr46(lua_State *L, int arg, uint32_t *a4, ln_in6 *a6, const char *fname)
{
    return lnl_argaddr46z(L, arg, NULL, a4, a6, NULL, fname);
}

bool lnl_argaddr46z(lua_State *L, int arg, ln_node *nd, uint32_t *a4, ln_in6 *a6, ln_iface **zone,
                    const char *fname)
{
    if (zone) *zone = NULL;
    if (lua_type(L, arg) == LUA_TSTRING && strchr(lua_tostring(L, arg), ':')) {
        *a6 = lnl_argaddr6z(L, arg, nd, zone, fname);
        if (!ln_in6_is_v4mapped(a6) || ln_in6_is_unspec(a6)) return true;
        *a4 = ln_get32(a6->b + 12);
        return false;
    }
    *a4 = lnl_argaddr(L, arg, NULL, fname);
    return false;
}

bool lnl_checkaddr46(lua_State *L, int idx, uint32_t *a4, ln_in6 *a6, const char *ctx)
{
    if (lua_type(L, idx) == LUA_TSTRING && strchr(lua_tostring(L, idx), ':')) {
        char err[200];
        if (ln_ip6_parse(lua_tostring(L, idx), a6, NULL, err, sizeof err) != 0)
            luaL_error(L, "%s: %s", ctx, err);
        if (!ln_in6_is_v4mapped(a6) || ln_in6_is_unspec(a6)) return true;
        *a4 = ln_get32(a6->b + 12);
        return false;
    }
    *a4 = lnl_checkaddr(L, idx, NULL, ctx);
    return false;
}

/* The local or remote endpoint of ti, in ss's form. */
static char *info_ep(const ln_tcp_info *ti, bool remote, bool star, char *buf)
{
    if (ti->v6)
        return lnl_fmt_endpoint6(remote ? &ti->raddr6 : &ti->laddr6, remote ? ti->rport : ti->lport, star, buf);
    return lnl_fmt_endpoint(remote ? ti->raddr : ti->laddr, remote ? ti->rport : ti->lport, star, buf);
}

void lnl_check_not_in_hook(lua_State *L, lnl_net *n, const char *fname)
{
    if (n->dispatching)
        luaL_error(L, "%s: not allowed inside an event hook (the network is in the middle of "
                      "an event; do it from a task: net:spawn or host:spawn)", fname);
}

/* ---- the grave ------------------------------------------------------------ */

typedef struct lnl_grave {
    ln_timer timer;
    lnl_net *n;
    ln_tcp_sock **tv; int tn, tcap;
    ln_udp_sock **uv; int un, ucap;
} lnl_grave;

static void grave_fire(void *arg)
{
    lnl_grave *g = arg;
    /* Closing may emit events whose hooks drop more sockets: pop until
     * empty rather than walk a snapshot. */
    while (g->tn || g->un) {
        if (g->tn) ln_tcp_close(g->tv[--g->tn]);
        else ln_udp_close(g->uv[--g->un]);
    }
}

static lnl_grave *grave_of(lnl_net *n)
{
    if (!n->grave) {
        lnl_grave *g = calloc(1, sizeof *g);
        if (!g) return NULL;
        g->n = n;
        ln_timer_init(&g->timer, grave_fire, g);
        n->grave = g;
    }
    return n->grave;
}

static bool grave_push(void ***v, int *len, int *cap, void *p)
{
    if (*len == *cap) {
        int nc = *cap ? *cap * 2 : 8;
        void **nv = realloc(*v, (size_t)nc * sizeof *nv);
        if (!nv) return false;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*len)++] = p;
    return true;
}

static void grave_arm(lnl_grave *g)
{
    ln_sim *sim = &g->n->net->sim;
    if (!ln_timer_armed(&g->timer)) ln_timer_arm(sim, &g->timer, sim->now);
}

void lnl_grave_tcp(lnl_net *n, ln_tcp_sock *s)
{
    lnl_grave *g = n->net ? grave_of(n) : NULL;
    ln_tcp_set_notify(s, NULL, NULL);
    /* Out of memory: leave it to ln_net_free rather than re-enter TCP. */
    if (!g || !grave_push((void ***)&g->tv, &g->tn, &g->tcap, s)) return;
    grave_arm(g);
}

void lnl_grave_udp(lnl_net *n, ln_udp_sock *s)
{
    lnl_grave *g = n->net ? grave_of(n) : NULL;
    ln_udp_set_notify(s, NULL, NULL);
    if (!g || !grave_push((void ***)&g->uv, &g->un, &g->ucap, s)) return;
    grave_arm(g);
}

static void grave_free(lnl_net *n)
{
    lnl_grave *g = n->grave;
    if (!g) return;
    if (n->net) ln_timer_cancel(&n->net->sim, &g->timer);
    free(g->tv);
    free(g->uv);
    free(g);
    n->grave = NULL;
}

/* ---- socket handles -------------------------------------------------------- */

static void unlink_sock(lnl_tsock *k)
{
    if (k->prev) k->prev->next = k->next;
    else if (k->n->tsocks == k) k->n->tsocks = k->next;
    if (k->next) k->next->prev = k->prev;
    k->next = k->prev = NULL;
}

static void wake_all(lnl_tsock *k)
{
    if (k->rwait) lnl_task_wake(k->rwait);
    if (k->wwait) lnl_task_wake(k->wwait);
}

/* Called by the stack (inside TCP code): only wake, never run Lua. */
static void on_notify(ln_tcp_sock *s, unsigned events, void *arg)
{
    (void)s;
    (void)events;
    wake_all(arg);
}

/* The socket leaves the user: forget the engine pointer, wake waiters so
 * they read "closed". */
void lnl_tcp_release(lua_State *L, lnl_tsock *k)
{
    if (!k->s) return;
    lnl_unanchor(L, k->n, k);
    ln_tcp_set_notify(k->s, NULL, NULL);
    k->s = NULL;
    unlink_sock(k);
    wake_all(k);
}

void lnl_tcp_close_all(lnl_net *n)
{
    /* ln_net_free frees the engine sockets; nothing may touch them now. */
    while (n->tsocks) {
        lnl_tsock *k = n->tsocks;
        k->s = NULL;
        unlink_sock(k);
    }
    grave_free(n);
}

/* Wrap an engine socket the user owns in a new userdata. */
lnl_tsock *lnl_tcp_push(lua_State *L, lnl_net *n, ln_node *node, ln_tcp_sock *s)
{
    lnl_tsock *k = lua_newuserdatauv(L, sizeof *k, 1);
    memset(k, 0, sizeof *k);
    k->n = n;
    k->node = node;
    luaL_setmetatable(L, LNL_TCP);
    lnl_push_net(L, n);
    lua_setiuservalue(L, -2, 1);
    k->s = s;
    k->next = n->tsocks;
    if (n->tsocks) n->tsocks->prev = k;
    n->tsocks = k;
    ln_tcp_set_notify(s, on_notify, k);
    lnl_anchor(L, n, -1, k);
    return k;
}

lnl_tsock *lnl_tcp_check(lua_State *L, const char *fname)
{
    lnl_tsock *k = lnl_checkudata(L, 1, LNL_TCP, fname);
    lnl_checkowner(L, k->n, k->node, fname, LNL_OBSERVE);
    return k;
}


/* Deadline from opts.timeout (opts at idx, may be nil); LN_NEVER if none. */
static ln_time opt_deadline(lua_State *L, int idx, lnl_net *n, const char *fname,
                            const char *const known[])
{
    if (lua_isnoneornil(L, idx)) return LN_NEVER;
    if (!lua_istable(L, idx))
        lnl_argerror(L, idx, fname, "options must be a table like {timeout = \"1s\"}, got %s",
                     luaL_typename(L, idx));
    lnl_checkopts(L, idx, fname, known);
    if (!lnl_optfield(L, idx, "timeout")) return LN_NEVER;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "%s: timeout", fname);
    ln_time d = lnl_checktime(L, -1, ctx);
    lua_pop(L, 1);
    ln_time now = ln_net_now(n->net);
    return d > LN_NEVER - 1 - now ? LN_NEVER - 1 : now + d;
}

static int woke(lua_State *co, lnl_task *t, void *arg)
{
    (void)co;
    lnl_tsock *k = arg;
    if (k->rwait == t) k->rwait = NULL;
    if (k->wwait == t) k->wwait = NULL;
    return 0;
}

/* Block in the read (write = false) or write slot until the deadline or
 * the next notification; k continues the call. */
static int wait_for(lua_State *L, lnl_tsock *k, bool write, ln_time deadline, lua_KContext ctx,
                    lua_KFunction kf)
{
    lnl_task *t = lnl_current_task(L);
    if (!t || !lua_isyieldable(L)) return luaL_error(L, "TcpSocket: cannot block here");
    if (ln_net_now(k->n->net) >= deadline) return lnl_push_err(L, LN_ETIMEDOUT);
    if (write) k->wwait = t;
    else k->rwait = t;
    return lnl_task_block_k(L, t, deadline, woke, k, ctx, kf);
}

/* Entry check of a blocking call: in a task, and that side of the socket
 * free.  Returns false after pushing nil, "busy". */
static bool enter(lua_State *L, lnl_tsock *k, bool write, const char *fname)
{
    lnl_task *t = lnl_checktask(L, fname);
    lnl_task *w = write ? k->wwait : k->rwait;
    if (w && w != t) {
        lnl_push_err(L, LN_EBUSY);
        return false;
    }
    return true;
}

/* ---- options --------------------------------------------------------------- */

typedef enum { O_BOOL, O_TIME, O_INT, O_SIZE, O_CC } okind;

static const struct topt {
    const char *name;
    int opt;
    okind kind;
} topts[] = {
    {"nodelay", LN_TCP_OPT_NODELAY, O_BOOL},
    {"reuseaddr", LN_TCP_OPT_REUSEADDR, O_BOOL},
    {"keepalive", LN_TCP_OPT_KEEPALIVE, O_BOOL},
    {"keepidle", LN_TCP_OPT_KEEPIDLE, O_TIME},
    {"keepintvl", LN_TCP_OPT_KEEPINTVL, O_TIME},
    {"keepcnt", LN_TCP_OPT_KEEPCNT, O_INT},
    {"rcvbuf", LN_TCP_OPT_RCVBUF, O_SIZE},
    {"sndbuf", LN_TCP_OPT_SNDBUF, O_SIZE},
    {"maxseg", LN_TCP_OPT_MAXSEG, O_INT},
    {"quickack", LN_TCP_OPT_QUICKACK, O_BOOL},
    {"linger0", LN_TCP_OPT_LINGER0, O_BOOL},
    {"cork", LN_TCP_OPT_CORK, O_BOOL},
    {"user_timeout", LN_TCP_OPT_USER_TIMEOUT, O_TIME},
    {"v6only", LN_TCP_OPT_V6ONLY, O_BOOL},
    {"congestion", -1, O_CC},
    {NULL, 0, 0},
};

static const char OPT_NAMES[] = "nodelay, reuseaddr, keepalive, keepidle, keepintvl, keepcnt, "
                                "rcvbuf, sndbuf, maxseg, quickack, linger0, cork, user_timeout, "
                                "v6only, congestion";

/* The option named by argument arg of fname. */
static const struct topt *find_opt(lua_State *L, int arg, const char *fname)
{
    const char *name = lnl_checkstring(L, arg, fname);
    for (const struct topt *o = topts; o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    lnl_argerror(L, arg, fname, "option \"%s\" unknown (known: %s)", name, OPT_NAMES);
    return NULL;
}

/* Apply option o with the value at idx, argument arg of fname (or 0: a
 * field); returns an LN_E* code. */
static int set_opt(lua_State *L, ln_tcp_sock *s, const struct topt *o, int idx, int arg,
                   const char *fname)
{
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s: %s", fname, o->name);
    int64_t v = 0;
    switch (o->kind) {
    case O_BOOL:
        if (!lua_isboolean(L, idx))
            lnl_opterror(L, arg, fname, o->name, "expected a boolean, got %s", luaL_typename(L, idx));
        v = lua_toboolean(L, idx);
        break;
    case O_TIME:
        v = (int64_t)(arg ? lnl_argtime(L, arg, fname, o->name) : lnl_checktime(L, idx, ctx));
        break;
    case O_INT:
        if (!lua_isinteger(L, idx) || lua_tointeger(L, idx) < 0)
            lnl_opterror(L, arg, fname, o->name, "expected a non-negative integer, got %s",
                    lua_isinteger(L, idx) ? "a negative one" : luaL_typename(L, idx));
        v = lua_tointeger(L, idx);
        break;
    case O_SIZE:
        v = (int64_t)(arg ? lnl_argsize(L, arg, fname, o->name) : lnl_checksize(L, idx, ctx, NULL, false));
        break;
    case O_CC: {
        if (lua_type(L, idx) != LUA_TSTRING)
            lnl_opterror(L, arg, fname, o->name, "expected a name (%s), got %s", ln_tcp_cc_names(),
                    luaL_typename(L, idx));
        const char *name = lua_tostring(L, idx);
        int rc = ln_tcp_set_cc(s, name);
        if (rc == LN_ENOENT)
            lnl_opterror(L, arg, fname, o->name, "\"%s\" unknown (known: %s)", name, ln_tcp_cc_names());
        return rc;
    }
    }
    return ln_tcp_setopt(s, (ln_tcp_opt)o->opt, v);
}

/* Apply every socket option found in the opts table at idx (other keys
 * were already checked by the caller). */
static int apply_opts(lua_State *L, ln_tcp_sock *s, int idx, const char *fname)
{
    if (lua_isnoneornil(L, idx)) return 0;
    for (const struct topt *o = topts; o->name; o++) {
        if (!lnl_optfield(L, idx, o->name)) continue;
        int rc = set_opt(L, s, o, lua_gettop(L), 0, fname);
        lua_pop(L, 1);
        if (rc < 0) return rc;
    }
    return 0;
}

static int tcp_setoption(lua_State *L)
{
    const char *F = F_PREFIX "setoption";
    lnl_tsock *k = lnl_tcp_check(L, F);
    const struct topt *o = find_opt(L, 2, F);
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    return lnl_push_rc(L, set_opt(L, k->s, o, 3, 3, F));
}

static int tcp_getoption(lua_State *L)
{
    const char *F = F_PREFIX "getoption";
    lnl_tsock *k = lnl_tcp_check(L, F);
    const struct topt *o = find_opt(L, 2, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    if (o->kind == O_CC) {
        ln_tcp_info ti;
        ln_tcp_get_info(k->s, &ti);
        lua_pushstring(L, ti.cc ? ti.cc : "");
        return 1;
    }
    int64_t v = 0;
    int rc = ln_tcp_getopt(k->s, (ln_tcp_opt)o->opt, &v);
    if (rc < 0) return lnl_push_err(L, rc);
    /* What setoption takes back: a time in seconds, not the stack's ns. */
    if (o->kind == O_BOOL) lua_pushboolean(L, v != 0);
    else if (o->kind == O_TIME) lnl_push_time(L, (ln_time)v);
    else lua_pushinteger(L, (lua_Integer)v);
    return 1;
}

/* ---- bind / listen ----------------------------------------------------------- */

/* s:bind(port) or s:bind(addr, port); port 0 = ephemeral. */
static int do_bind(lua_State *L, lnl_tsock *k, int idx, const char *fname)
{
    uint32_t addr = 0;
    ln_in6 a6;
    bool v6 = false;
    int pidx = idx;
    if (lua_type(L, idx) == LUA_TSTRING) {
        v6 = lnl_argaddr46(L, idx, &addr, &a6, fname);
        pidx = idx + 1;
    }
    lua_Integer port = lnl_checkinteger(L, pidx, fname);
    if (port < 0 || port > 65535) lnl_argerror(L, pidx, fname, "port %I out of range (0..65535)", port);
    return v6 ? ln_tcp_bind6(k->s, &a6, (uint16_t)port) : ln_tcp_bind(k->s, addr, (uint16_t)port);
}

static int tcp_bind(lua_State *L)
{
    const char *F = F_PREFIX "bind";
    lnl_tsock *k = lnl_tcp_check(L, F);
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    int rc = do_bind(L, k, 2, F);
    if (rc == LN_EINVAL) luaL_error(L, "%s: the socket is already bound", F);
    if (rc == LN_ENOTSUP)
        luaL_error(L, "%s: an IPv4-mapped address (bind its IPv4 address, or :: for both families)", F);
    return lnl_push_rc(L, rc);
}

/* The backlog at idx: argument arg of fname, or with arg 0 the field
 * {backlog =} of h:listen. */
static int check_backlog(lua_State *L, int idx, int arg, const char *fname)
{
    if (lua_isnoneornil(L, idx)) return 128;
    if (!lua_isinteger(L, idx)) {
        if (arg) lnl_typeerror(L, arg, fname, "integer backlog");
        luaL_error(L, "%s: backlog must be an integer, got %s", fname, luaL_typename(L, idx));
    }
    lua_Integer b = lua_tointeger(L, idx);
    if (b < 0 || b > 65535) {
        if (arg) lnl_argerror(L, arg, fname, "backlog %I out of range (0..65535)", b);
        luaL_error(L, "%s: backlog %I out of range (0..65535)", fname, b);
    }
    return (int)b;
}

/* The stack binds an ephemeral port for an unbound socket, as Linux's
 * listen() does. */
static int start_listen(lnl_tsock *k, int backlog)
{
    int rc = ln_tcp_listen(k->s, backlog);
    if (rc == 0) k->was_listening = true;
    return rc;
}

static int tcp_listen(lua_State *L)
{
    const char *F = F_PREFIX "listen";
    lnl_tsock *k = lnl_tcp_check(L, F);
    int backlog = check_backlog(L, 2, 2, F);
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    ln_tcp_state st = ln_tcp_get_state(k->s);
    if (st != LN_TCP_CLOSED && st != LN_TCP_LISTEN)
        luaL_error(L, "%s: the socket is %s (only a new socket can listen)", F, ln_tcp_state_name(st));
    return lnl_push_rc(L, start_listen(k, backlog));
}

/* ---- accept ---------------------------------------------------------------------- */

int lnl_tcp_accept_step(lua_State *L, lnl_tsock *k, int not_listening)
{
    ln_tcp_sock *c = ln_tcp_accept(k->s);
    if (c) {
        lnl_tcp_push(L, k->n, ln_tcp_node(c), c);
        return 1;
    }
    if (ln_tcp_get_state(k->s) != LN_TCP_LISTEN) {
        int e = ln_tcp_error(k->s);
        return lnl_push_err(L, e ? e : not_listening);
    }
    return 0;
}

static const char *const accept_opts[] = {"timeout", NULL};

static int accept_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    lua_settop(L, 2);
    lnl_tsock *k = lua_touserdata(L, 1);
    ln_time deadline = (ln_time)lua_tointeger(L, 2);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    int n = lnl_tcp_accept_step(L, k, LN_ECLOSED);
    if (n) return n;
    return wait_for(L, k, false, deadline, 0, accept_k);
}

static int tcp_accept(lua_State *L)
{
    const char *F = F_PREFIX "accept";
    lnl_tsock *k = lnl_tcp_check(L, F);
    ln_time deadline = opt_deadline(L, 2, k->n, F, accept_opts);
    if (!enter(L, k, false, F)) return 2;
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    if (ln_tcp_get_state(k->s) != LN_TCP_LISTEN)
        luaL_error(L, "%s: the socket is not listening (call listen first)", F);
    lua_settop(L, 1);
    lua_pushinteger(L, (lua_Integer)deadline);
    return accept_k(L, LUA_OK, 0);
}

/* ---- connect ----------------------------------------------------------------------- */

static bool synchronized(ln_tcp_state st)
{
    return st >= LN_TCP_ESTABLISHED;
}

/* Stack: 1 socket, 2 deadline.  ctx 1: h:connect, which returns the
 * socket itself and closes it on failure. */
static int connect_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lua_settop(L, 2);
    lnl_tsock *k = lua_touserdata(L, 1);
    ln_time deadline = (ln_time)lua_tointeger(L, 2);
    int err = 0;
    if (!k->s) {
        err = LN_ECLOSED;
    } else {
        ln_tcp_state st = ln_tcp_get_state(k->s);
        int e = ln_tcp_error(k->s);
        if (synchronized(st) && !e) {
            if (ctx) lua_pushvalue(L, 1);
            else lua_pushboolean(L, 1);
            return 1;
        }
        if (e) {
            err = e;
        } else if (st != LN_TCP_SYN_SENT && st != LN_TCP_SYN_RCVD) {
            err = LN_ECLOSED;
        } else if (ln_net_now(k->n->net) >= deadline) {
            /* Our timeout, not the stack's: abandon the attempt (the
             * socket is closed), as OpenResty does. */
            ln_tcp_sock *s = k->s;
            lnl_tcp_release(L, k);
            ln_tcp_abort(s);
            err = LN_ETIMEDOUT;
        } else {
            return wait_for(L, k, true, deadline, ctx, connect_k);
        }
    }
    if (ctx && k->s) {
        ln_tcp_sock *s = k->s;
        lnl_tcp_release(L, k);
        ln_tcp_close(s);
    }
    return lnl_push_err(L, err);
}

static const char *const connect_opts[] = {"timeout", NULL};

/* Start an active open on k and finish it (the socket is at 1). */
/* connect() of either family; LN_ENOTSUP (the socket was bound to the
 * other family) raises. */
static int connect46(lua_State *L, ln_tcp_sock *s, bool v6, uint32_t addr, const ln_in6 *a6,
                     ln_iface *zone, lua_Integer port, const char *fname)
{
    int rc = v6 ? ln_tcp_connect6(s, a6, (uint16_t)port, zone) : ln_tcp_connect(s, addr, (uint16_t)port);
    if (rc == LN_ENOTSUP)
        luaL_error(L, "%s: the socket is bound to an %s address and cannot reach an %s one", fname,
                   v6 ? "IPv4" : "IPv6", v6 ? "IPv6" : "IPv4");
    return rc;
}

static int start_connect(lua_State *L, lnl_tsock *k, bool v6, uint32_t addr, const ln_in6 *a6,
                         ln_iface *zone, lua_Integer port, ln_time deadline, const char *fname)
{
    ln_tcp_state st = ln_tcp_get_state(k->s);
    if (st == LN_TCP_LISTEN) luaL_error(L, "%s: the socket is listening", fname);
    if (st != LN_TCP_CLOSED) luaL_error(L, "%s: the socket is already %s", fname, ln_tcp_state_name(st));
    int rc = connect46(L, k->s, v6, addr, a6, zone, port, fname);
    if (rc == LN_EINVAL)
        luaL_error(L, "%s: a socket connects only once (make a new one with h:tcp())", fname);
    if (rc < 0) return lnl_push_err(L, rc);
    lua_settop(L, 1);
    lua_pushinteger(L, (lua_Integer)deadline);
    return connect_k(L, LUA_OK, 0);
}

static lua_Integer check_port(lua_State *L, int idx, const char *fname)
{
    lua_Integer port = lnl_checkinteger(L, idx, fname);
    if (port < 1 || port > 65535) lnl_argerror(L, idx, fname, "port %I out of range (1..65535)", port);
    return port;
}

static int tcp_connect(lua_State *L)
{
    const char *F = F_PREFIX "connect";
    lnl_tsock *k = lnl_tcp_check(L, F);
    if (lnl_is_hostname(L, 2)) return lnl_resolve_arg(L, k->n, k->node, 2, F, tcp_connect);
    uint32_t addr = 0;
    ln_in6 a6;
    ln_iface *zone;
    bool v6 = lnl_argaddr46z(L, 2, k->node, &addr, &a6, &zone, F);
    lua_Integer port = check_port(L, 3, F);
    ln_time deadline = opt_deadline(L, 4, k->n, F, connect_opts);
    if (!enter(L, k, true, F)) return 2;
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    return start_connect(L, k, v6, addr, &a6, zone, port, deadline, F);
}

/* ---- send ----------------------------------------------------------------------------- */

static const char *const io_opts[] = {"timeout", NULL};

/* Queue what is left of k->w; false while the stack has no room (then
 * k->w.res is LN_EAGAIN).  Runs from the call and from the task's poll. */
static bool send_try(lnl_tsock *k)
{
    while (k->w.off < k->w.len) {
        if (!k->s) {
            k->w.res = LN_ECLOSED;
            return true;
        }
        int64_t r = ln_tcp_send(k->s, k->w.data ? k->w.data + k->w.off : NULL, k->w.len - k->w.off);
        if (r > 0) {
            k->w.off += (size_t)r;
            continue;
        }
        k->w.res = r == 0 ? LN_ECLOSED : r;
        return r != LN_EAGAIN;
    }
    k->w.res = 0;
    return true;
}

static bool send_poll(lnl_task *t, void *arg)
{
    (void)t;
    return send_try(arg);
}

/* The call's results from k->w: n, or nil, word, n queued so far (a
 * timeout when it is still waiting). */
static int send_results(lua_State *L, lnl_tsock *k)
{
    if (k->w.res == 0) {
        lua_pushinteger(L, (lua_Integer)k->w.len);
        return 1;
    }
    lnl_push_err(L, k->w.res == LN_EAGAIN ? LN_ETIMEDOUT : (int)k->w.res);
    lua_pushinteger(L, (lua_Integer)k->w.off);
    return 3;
}

/* Resumed once send_poll finished the call or the deadline passed.
 * Stack: 1 socket, 2 data (string, or a count of pattern bytes: it keeps
 * k->w.data alive), 3 deadline. */
static int send_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return send_results(L, lua_touserdata(L, 1));
}

static int tcp_send(lua_State *L)
{
    const char *F = F_PREFIX "send";
    lnl_tsock *k = lnl_tcp_check(L, F);
    size_t len;
    const char *data = NULL;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        if (!lua_isinteger(L, 2) || lua_tointeger(L, 2) < 0)
            lnl_argerror(L, 2, F, "a byte count must be a non-negative integer");
        len = (size_t)lua_tointeger(L, 2);
    } else if (lua_type(L, 2) == LUA_TSTRING) {
        data = lua_tolstring(L, 2, &len);
    } else {
        lnl_argerror(L, 2, F, "expected a string (or a byte count of generated data), got %s",
                     luaL_typename(L, 2));
    }
    ln_time deadline = opt_deadline(L, 3, k->n, F, io_opts);
    if (!enter(L, k, true, F)) return 2;
    k->w.data = data;
    k->w.len = len;
    k->w.off = 0;
    if (send_try(k)) return send_results(L, k);
    lnl_task *t = lnl_current_task(L);
    if (!t || !lua_isyieldable(L)) return luaL_error(L, "TcpSocket: cannot block here");
    if (ln_net_now(k->n->net) >= deadline) return send_results(L, k);
    lua_settop(L, 2);
    k->wwait = t;
    return lnl_task_block_poll(L, t, deadline, send_poll, woke, k, 0, send_k);
}

/* ---- receive ---------------------------------------------------------------------------- */

enum { P_COUNT, P_LINE, P_ALL, P_ANY };

#define LINE_CHUNK 4096

bool lnl_tcp_rbuf_reserve(lnl_tsock *k, size_t extra)
{
    if (k->rcap - k->rlen >= extra) return true;
    size_t nc = k->rcap ? k->rcap : 256;
    while (nc - k->rlen < extra) nc *= 2;
    char *nb = realloc(k->rbuf, nc);
    if (!nb) return false;
    k->rbuf = nb;
    k->rcap = nc;
    return true;
}

/* Push the first n read-ahead bytes (dropping `skip` more after them). */
void lnl_tcp_rbuf_take(lua_State *L, lnl_tsock *k, size_t n, size_t skip)
{
    lua_pushlstring(L, k->rbuf ? k->rbuf : "", n);
    size_t used = n + skip;
    memmove(k->rbuf, k->rbuf + used, k->rlen - used);
    k->rlen -= used;
}

/* A line: without "\n" and a "\r" before it (as HTTP writes lines). */
static void push_line(lua_State *L, lnl_tsock *k, size_t n, size_t skip)
{
    size_t len = n;
    if (len && k->rbuf[len - 1] == '\r') {
        len--;
        skip++;
    }
    lnl_tcp_rbuf_take(L, k, len, skip);
}

/* Results for the pattern once EOF (r == 0) or an error (r < 0) ends it. */
static int recv_end(lua_State *L, lnl_tsock *k, int kind, int64_t r)
{
    if (r == 0) {
        switch (kind) {
        case P_ALL:
            lnl_tcp_rbuf_take(L, k, k->rlen, 0);
            return 1;
        case P_LINE:
            if (!k->rlen) return lnl_push_err(L, LN_ECLOSED);
            push_line(L, k, k->rlen, 0);
            return 1;
        case P_COUNT:
            if (!k->rlen) return lnl_push_err(L, LN_ECLOSED);
            lnl_tcp_rbuf_take(L, k, k->rlen, 0);
            lua_pushstring(L, ln_strerror(LN_ECLOSED));
            return 2;
        default:
            return lnl_push_err(L, LN_ECLOSED);
        }
    }
    lnl_push_err(L, (int)r);
    lnl_tcp_rbuf_take(L, k, k->rlen, 0);                  /* what came before it */
    return 3;
}

/* How a receive attempt ended (k->r.res). */
enum {
    R_WAIT,        /* nothing more now: block */
    R_READY,       /* the pattern is in the read-ahead */
    R_RELEASED,    /* the socket left the user (closed by another task) */
    R_END,         /* EOF or an error, k->r.end */
    R_NOMEM,
};

/* Is the pattern in the read-ahead? */
static bool recv_ready(const lnl_tsock *k)
{
    switch (k->r.kind) {
    case P_COUNT: return k->rlen >= k->r.count;
    case P_LINE: return k->rlen && memchr(k->rbuf, '\n', k->rlen);
    case P_ANY: return k->rlen > 0;
    default: return false;
    }
}

/* Move bytes from the stack into the read-ahead until the pattern of k->r
 * is there or the stack has none; true when the call can finish (k->r.res
 * says how).  Runs from the call and from the task's poll, so it may not
 * touch Lua. */
static bool recv_try(lnl_tsock *k)
{
    for (;;) {
        if (recv_ready(k)) {
            k->r.res = R_READY;
            return true;
        }
        if (!k->s) {
            k->r.res = R_RELEASED;
            return true;
        }
        bool eof = false;
        size_t avail = ln_tcp_readable(k->s, &eof);
        /* Take no more than the pattern needs and the stack holds; with
         * nothing readable, ask for one byte to learn EOF or the error. */
        int kind = k->r.kind;
        size_t want = kind == P_COUNT ? k->r.count - k->rlen : kind == P_LINE ? LINE_CHUNK : avail;
        if (want > avail) want = avail;
        if (!want) want = 1;
        if (!lnl_tcp_rbuf_reserve(k, want)) {
            k->r.res = R_NOMEM;
            return true;
        }
        int64_t r = ln_tcp_recv(k->s, k->rbuf + k->rlen, want);
        if (r > 0) {
            k->rlen += (size_t)r;
            continue;
        }
        if (r == LN_EAGAIN) {
            k->r.res = R_WAIT;
            return false;
        }
        k->r.res = R_END;
        k->r.end = r;
        return true;
    }
}

/* The call's results from what recv_try left (R_WAIT: the deadline). */
static int recv_results(lua_State *L, lnl_tsock *k)
{
    int kind = k->r.kind;
    switch (k->r.res) {
    case R_READY:
        if (kind == P_COUNT) {
            lnl_tcp_rbuf_take(L, k, k->r.count, 0);
        } else if (kind == P_LINE) {
            char *nl = memchr(k->rbuf, '\n', k->rlen);
            push_line(L, k, (size_t)(nl - k->rbuf), 1);
        } else {
            lnl_tcp_rbuf_take(L, k, k->rlen, 0);
        }
        return 1;
    case R_RELEASED:
        if ((kind == P_ALL || kind == P_COUNT || kind == P_LINE) && k->rlen)
            return recv_end(L, k, kind, 0);
        return lnl_push_err(L, LN_ECLOSED);
    case R_END:
        return recv_end(L, k, kind, k->r.end);
    case R_NOMEM:
        return luaL_error(L, F_PREFIX "receive: out of memory");
    default:
        /* On timeout nothing is consumed: the bytes stay for the next call. */
        return lnl_push_err(L, LN_ETIMEDOUT);
    }
}

static bool recv_poll(lnl_task *t, void *arg)
{
    (void)t;
    return recv_try(arg);
}

/* Resumed once recv_poll finished the call or the deadline passed. */
static int recv_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return recv_results(L, lua_touserdata(L, 1));
}

/* Try the call at once, else block with poll until it can finish. */
static int recv_start(lua_State *L, lnl_tsock *k, ln_time deadline, lnl_poll_fn poll,
                      int (*results)(lua_State *, lnl_tsock *), lua_KFunction kf)
{
    if (poll(NULL, k)) return results(L, k);
    lnl_task *t = lnl_current_task(L);
    if (!t || !lua_isyieldable(L)) return luaL_error(L, "TcpSocket: cannot block here");
    if (ln_net_now(k->n->net) >= deadline) return results(L, k);
    lua_settop(L, 1);
    k->rwait = t;
    return lnl_task_block_poll(L, t, deadline, poll, woke, k, 0, kf);
}

static int tcp_receive(lua_State *L)
{
    const char *F = F_PREFIX "receive";
    lnl_tsock *k = lnl_tcp_check(L, F);
    int kind = P_ANY;
    lua_Integer count = 0;
    int oidx = 3;
    if (lua_istable(L, 2)) {
        oidx = 2;
    } else if (lua_isinteger(L, 2)) {
        count = lua_tointeger(L, 2);
        if (count < 0) lnl_argerror(L, 2, F, "byte count %I is negative", count);
        kind = P_COUNT;
    } else if (lua_type(L, 2) == LUA_TSTRING) {
        const char *p = lua_tostring(L, 2);
        if (strcmp(p, "*l") == 0 || strcmp(p, "l") == 0) kind = P_LINE;
        else if (strcmp(p, "*a") == 0 || strcmp(p, "a") == 0) kind = P_ALL;
        else lnl_argerror(L, 2, F, "pattern \"%s\" unknown (use a byte count, \"*l\" or \"*a\")", p);
    } else if (!lua_isnoneornil(L, 2)) {
        lnl_argerror(L, 2, F, "pattern must be a byte count, \"*l\" or \"*a\", got %s",
                     luaL_typename(L, 2));
    }
    ln_time deadline = opt_deadline(L, oidx, k->n, F, io_opts);
    if (!enter(L, k, false, F)) return 2;
    if (kind == P_COUNT && count == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    k->r.kind = kind;
    k->r.count = (size_t)count;
    return recv_start(L, k, deadline, recv_poll, recv_results, recv_k);
}

/* ---- drain: read to EOF, keeping only a count and a digest --------------------------------- */

/* Take every byte the stack holds into the digest, as receive() would take
 * them (all that is readable at once, then one byte to learn EOF or the
 * error), so the stack sees the same calls; true at EOF, an error or a
 * release. */
/* A run of the generated pattern is digested when it ends, in O(log n)
 * (lnl_crc64_pattern_from) instead of byte by byte: a sink of a bulk
 * sender's 200 MB then costs no copy and no CRC per segment.  The digest
 * is the same, since the run's bytes are the pattern (tcp.h
 * ln_tcp_recv_gen). */
static void drain_flush(lnl_tsock *k)
{
    if (!k->r.gen) return;
    k->r.hash = lnl_crc64_pattern_from(k->r.hash, k->r.gen_first, k->r.gen);
    k->r.gen = 0;
}

static void drain_gen(lnl_tsock *k, uint8_t first, uint64_t n)
{
    if (k->r.gen && (uint8_t)(k->r.gen_first + k->r.gen) != first) drain_flush(k);
    if (!k->r.gen) k->r.gen_first = first;
    k->r.gen += n;
    k->r.bytes += n;
}

static bool drain_try(lnl_tsock *k)
{
    if (k->rlen) {                                     /* read-ahead first */
        drain_flush(k);
        k->r.hash = lnl_crc64(k->r.hash, k->rbuf, k->rlen);
        k->r.bytes += k->rlen;
        k->rlen = 0;
    }
    for (;;) {
        if (!k->s) {
            k->r.res = R_RELEASED;
            return true;
        }
        size_t want = ln_tcp_readable(k->s, NULL);
        if (!want) want = 1;
        if (!lnl_tcp_rbuf_reserve(k, want)) {
            k->r.res = R_NOMEM;
            return true;
        }
        uint8_t first;
        if (ln_tcp_recv_gen(k->s, &first)) {
            int64_t r = ln_tcp_recv(k->s, NULL, want);
            if (r > 0) {
                drain_gen(k, first, (uint64_t)r);
                continue;
            }
        }
        int64_t r = ln_tcp_recv(k->s, k->rbuf, want);
        if (r > 0) {
            drain_flush(k);                            /* the run before them */
            k->r.hash = lnl_crc64(k->r.hash, k->rbuf, (size_t)r);
            k->r.bytes += (uint64_t)r;
            continue;
        }
        if (r == LN_EAGAIN) {
            k->r.res = R_WAIT;
            return false;
        }
        k->r.res = R_END;
        k->r.end = r;
        return true;
    }
}

static bool drain_poll(lnl_task *t, void *arg)
{
    (void)t;
    return drain_try(arg);
}

/* n, hash at EOF; nil, word, n, hash otherwise. */
static int drain_results(lua_State *L, lnl_tsock *k)
{
    drain_flush(k);
    int nres;
    switch (k->r.res) {
    case R_END:
        if (k->r.end == 0) {
            lua_pushinteger(L, (lua_Integer)k->r.bytes);
            lua_pushinteger(L, (lua_Integer)k->r.hash);
            return 2;
        }
        nres = lnl_push_err(L, (int)k->r.end);
        break;
    case R_RELEASED:
        nres = lnl_push_err(L, LN_ECLOSED);
        break;
    case R_NOMEM:
        return luaL_error(L, F_PREFIX "drain: out of memory");
    default:
        nres = lnl_push_err(L, LN_ETIMEDOUT);
        break;
    }
    lua_pushinteger(L, (lua_Integer)k->r.bytes);
    lua_pushinteger(L, (lua_Integer)k->r.hash);
    return nres + 2;
}

static int drain_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    return drain_results(L, lua_touserdata(L, 1));
}

/* s:drain([h [, opts]]): what h:sink does with a connection, in C: read to
 * EOF without making a string of anything, and return the byte count and
 * the lunet.hash of the bytes (continued from h). */
static int tcp_drain(lua_State *L)
{
    const char *F = F_PREFIX "drain";
    lnl_tsock *k = lnl_tcp_check(L, F);
    uint64_t h = 0;
    if (!lua_isnoneornil(L, 2)) h = (uint64_t)lnl_checkinteger(L, 2, F);
    ln_time deadline = opt_deadline(L, 3, k->n, F, io_opts);
    if (!enter(L, k, false, F)) return 2;
    k->r.bytes = 0;
    k->r.hash = h;
    k->r.gen = 0;
    return recv_start(L, k, deadline, drain_poll, drain_results, drain_k);
}

/* ---- shutdown / close / abort -------------------------------------------------------------- */

static int tcp_shutdown(lua_State *L)
{
    const char *F = F_PREFIX "shutdown";
    lnl_tsock *k = lnl_tcp_check(L, F);
    static const char *const hows[] = {"send", "receive", "both", NULL};
    int how = 2;
    if (!lua_isnoneornil(L, 2)) {
        const char *w = lnl_checkstring(L, 2, F);
        for (how = 0; hows[how] && strcmp(hows[how], w) != 0; how++) continue;
        if (!hows[how])
            lnl_argerror(L, 2, F, "\"%s\" unknown (use \"send\", \"receive\" or \"both\")", w);
    }
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    int rc = ln_tcp_shutdown(k->s, how == 0 ? LN_SHUT_WR : how == 1 ? LN_SHUT_RD : LN_SHUT_RDWR);
    wake_all(k);
    return lnl_push_rc(L, rc);
}

static int tcp_close(lua_State *L)
{
    lnl_tsock *k = lnl_checkudata(L, 1, LNL_TCP, F_PREFIX "close");
    if (k->n->net) lnl_checkowner(L, k->n, k->node, F_PREFIX "close", LNL_DRIVE);
    if (k->s && k->n->net) {
        ln_tcp_sock *s = k->s;
        lnl_tcp_release(L, k);
        if (k->n->dispatching) lnl_grave_tcp(k->n, s);
        else ln_tcp_close(s);
    }
    free(k->rbuf);
    k->rbuf = NULL;
    k->rlen = k->rcap = 0;
    lua_pushboolean(L, 1);
    return 1;
}

static int tcp_abort(lua_State *L)
{
    const char *F = F_PREFIX "abort";
    lnl_tsock *k = lnl_checkudata(L, 1, LNL_TCP, F);
    lnl_checkowner(L, k->n, k->node, F, LNL_DRIVE);       /* as close */
    lnl_check_not_in_hook(L, k->n, F);
    if (k->s) {
        ln_tcp_sock *s = k->s;
        lnl_tcp_release(L, k);
        ln_tcp_abort(s);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int tcp_gc(lua_State *L)
{
    lnl_tsock *k = luaL_checkudata(L, 1, LNL_TCP);
    if (k->s && k->n->net) {
        ln_tcp_sock *s = k->s;
        lnl_tcp_release(L, k);
        lnl_grave_tcp(k->n, s);
    }
    free(k->rbuf);
    k->rbuf = NULL;
    return 0;
}

/* ---- introspection ---------------------------------------------------------------------------- */

static int tcp_state(lua_State *L)
{
    lnl_tsock *k = lnl_checkudata(L, 1, LNL_TCP, F_PREFIX "state");
    if (k->n->net) lnl_checkowner(L, k->n, k->node, F_PREFIX "state", LNL_OBSERVE);
    lua_pushstring(L, k->s && k->n->net ? ln_tcp_state_name(ln_tcp_get_state(k->s)) : "CLOSED");
    return 1;
}

static void setint(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static void setbool(lua_State *L, const char *key, bool v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, key);
}

static void setstr(lua_State *L, const char *key, const char *v)
{
    if (!v) return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, key);
}

static void push_info(lua_State *L, const ln_tcp_info *ti)
{
    char b[LNL_EPLEN];
    lua_createtable(L, 0, 56);
    setstr(L, "state", ln_tcp_state_name(ti->state));
    setstr(L, "local", info_ep(ti, false, false, b));
    setstr(L, "remote", info_ep(ti, true, true, b));
    setstr(L, "family", ti->v6 ? "inet6" : "inet");
    setint(L, "iss", ti->iss);
    setint(L, "irs", ti->irs);
    setint(L, "snd_una", ti->snd_una);
    setint(L, "snd_nxt", ti->snd_nxt);
    setint(L, "snd_max", ti->snd_max);
    setint(L, "rcv_nxt", ti->rcv_nxt);
    setint(L, "snd_wnd", ti->snd_wnd);
    setint(L, "rcv_wnd", ti->rcv_wnd);
    setint(L, "cwnd", ti->cwnd);
    setint(L, "ssthresh", ti->ssthresh);
    setint(L, "mss", ti->mss);
    setint(L, "rcv_mss", ti->rcv_mss);
    setint(L, "adv_mss", ti->adv_mss);
    if (ti->snd_wscale != 0xff && ti->rcv_wscale != 0xff) {
        lua_createtable(L, 2, 0);
        lua_pushinteger(L, ti->snd_wscale);
        lua_rawseti(L, -2, 1);
        lua_pushinteger(L, ti->rcv_wscale);
        lua_rawseti(L, -2, 2);
        lua_setfield(L, -2, "wscale");
    }
    setbool(L, "ts", ti->ts);
    setbool(L, "sack", ti->sack);
    setbool(L, "nodelay", ti->nodelay);
    setint(L, "srtt", (lua_Integer)ti->srtt);
    setint(L, "rttvar", (lua_Integer)ti->rttvar);
    setint(L, "rto", (lua_Integer)ti->rto);
    setint(L, "min_rtt", (lua_Integer)ti->min_rtt);
    setint(L, "backoff", ti->backoff);
    setint(L, "retransmits", ti->retransmits);
    setint(L, "total_retrans", (lua_Integer)ti->total_retrans);
    setint(L, "unacked", ti->unacked);
    setint(L, "sacked", ti->sacked);
    setint(L, "lost", ti->lost);
    setint(L, "retrans_out", ti->retrans_out);
    setint(L, "bytes_acked", (lua_Integer)ti->bytes_acked);
    setint(L, "bytes_received", (lua_Integer)ti->bytes_received);
    setint(L, "bytes_sent", (lua_Integer)ti->bytes_sent);
    setint(L, "bytes_retrans", (lua_Integer)ti->bytes_retrans);
    setint(L, "segs_out", (lua_Integer)ti->segs_out);
    setint(L, "segs_in", (lua_Integer)ti->segs_in);
    setint(L, "data_segs_out", (lua_Integer)ti->data_segs_out);
    setint(L, "data_segs_in", (lua_Integer)ti->data_segs_in);
    setint(L, "send_q", ti->send_q);
    setint(L, "recv_q", ti->recv_q);
    setstr(L, "ca_state", ti->ca_state);
    setstr(L, "cc", ti->cc);
    setstr(L, "timer", ti->timer);
    if (ti->timer) setint(L, "timer_left", (lua_Integer)ti->timer_left);
    setint(L, "probes", ti->probes);
    if (ti->state == LN_TCP_LISTEN) {
        setint(L, "syn_queue", ti->syn_queue);
        setint(L, "accept_queue", ti->accept_queue);
        setint(L, "backlog", ti->backlog);
    }
    if (ti->error) setstr(L, "error", ln_strerror(ti->error));
}

static int tcp_info(lua_State *L)
{
    lnl_tsock *k = lnl_tcp_check(L, F_PREFIX "info");
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    ln_tcp_info ti;
    ln_tcp_get_info(k->s, &ti);
    push_info(L, &ti);
    return 1;
}

static int push_name(lua_State *L, lnl_tsock *k, bool peer)
{
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    ln_tcp_info ti;
    ln_tcp_get_info(k->s, &ti);
    uint32_t a = peer ? ti.raddr : ti.laddr;
    uint16_t p = peer ? ti.rport : ti.lport;
    if (peer && !p) return lnl_push_err(L, LN_ENOTCONN);
    /* Linux's getpeername gives a link-local peer its sin6_scope_id, and
     * the local link-local address is on the same interface. */
    char b[LNL_IN6Z_LEN];
    if (ti.v6) lnl_fmt_in6z(peer ? &ti.raddr6 : &ti.laddr6, ln_tcp_zone6(k->s), b);
    lua_pushstring(L, ti.v6 ? b : ln_ip_fmt(a, b));
    lua_pushinteger(L, p);
    return 2;
}

static int tcp_getsockname(lua_State *L)
{
    return push_name(L, lnl_tcp_check(L, F_PREFIX "getsockname"), false);
}

static int tcp_getpeername(lua_State *L)
{
    return push_name(L, lnl_tcp_check(L, F_PREFIX "getpeername"), true);
}

static int tcp_tostring(lua_State *L)
{
    lnl_tsock *k = luaL_checkudata(L, 1, LNL_TCP);
    if (!k->s || !k->n->net) {
        lua_pushliteral(L, "lunet.TcpSocket(closed)");
        return 1;
    }
    int r = lnl_remote_rank(k->n, k->node);
    if (r >= 0) {                     /* its state here is a stale copy's */
        lua_pushfstring(L, "lunet.TcpSocket(%s, on rank %d)", k->node->name, r);
        return 1;
    }
    ln_tcp_info ti;
    ln_tcp_get_info(k->s, &ti);
    char a[LNL_EPLEN], b[LNL_EPLEN];
    if (ti.rport)
        lua_pushfstring(L, "lunet.TcpSocket(%s, %s > %s, %s)", k->node->name, info_ep(&ti, false, false, a),
                        info_ep(&ti, true, false, b), ln_tcp_state_name(ti.state));
    else
        lua_pushfstring(L, "lunet.TcpSocket(%s, %s, %s)", k->node->name, info_ep(&ti, false, true, a),
                        ln_tcp_state_name(ti.state));
    return 1;
}

/* ---- Node methods ------------------------------------------------------------------------------- */

static lnl_handle *checknode(lua_State *L, const char *fname, lnl_access acc)
{
    return lnl_checkhandle(L, 1, LNL_NODE, fname, acc);
}

static const char *const tcp_new_opts[] = {
    "nodelay", "reuseaddr", "keepalive", "keepidle", "keepintvl", "keepcnt", "rcvbuf", "sndbuf",
    "maxseg", "quickack", "linger0", "cork", "user_timeout", "v6only", "congestion", NULL,
};

/* A new socket on the node, with the options in the table at oidx. */
static lnl_tsock *new_sock(lua_State *L, lnl_handle *h, int oidx, const char *fname, int *rc)
{
    ln_tcp_sock *s = ln_tcp_socket(h->obj);
    if (!s) luaL_error(L, "%s: out of memory (or no TCP on %s)", fname, ((ln_node *)h->obj)->name);
    lnl_tsock *k = lnl_tcp_push(L, h->n, h->obj, s);
    *rc = apply_opts(L, s, oidx, fname);
    return k;
}

/* h:tcp{opts} */
static int node_tcp(lua_State *L)
{
    const char *F = "node:tcp";
    /* A new socket reads nothing: made by every copy at the top level. */
    lnl_handle *h = checknode(L, F, LNL_DRIVE);
    if (!lua_isnoneornil(L, 2)) lnl_checkopts(L, 2, F, tcp_new_opts);
    lnl_check_not_in_hook(L, h->n, F);
    int rc;
    new_sock(L, h, 2, F, &rc);
    if (rc < 0) return lnl_push_err(L, rc);
    return 1;
}

static const char *const listen_opts[] = {
    "backlog", "addr", "nodelay", "reuseaddr", "keepalive", "keepidle", "keepintvl", "keepcnt",
    "rcvbuf", "sndbuf", "maxseg", "quickack", "linger0", "cork", "user_timeout", "v6only",
    "congestion", NULL,
};

/* h:listen(port, {backlog=, addr=, <socket options>}) -> listening socket */
static int node_listen(lua_State *L)
{
    const char *F = "node:listen";
    /* Whether the port is free is the host's state. */
    lnl_handle *h = checknode(L, F, LNL_OBSERVE);
    lua_Integer port = lnl_checkinteger(L, 2, F);
    if (port < 0 || port > 65535) lnl_argerror(L, 2, F, "port %I out of range (0..65535)", port);
    int backlog = 128;
    uint32_t addr = 0;
    ln_in6 a6;
    bool v6 = false;
    if (!lua_isnoneornil(L, 3)) {
        lnl_checkopts(L, 3, F, listen_opts);
        if (lnl_optfield(L, 3, "backlog")) {
            backlog = check_backlog(L, lua_gettop(L), 0, F);
            lua_pop(L, 1);
        }
        if (lnl_optfield(L, 3, "addr")) {
            v6 = lnl_checkaddr46(L, lua_gettop(L), &addr, &a6, "node:listen: addr");
            lua_pop(L, 1);
        }
    }
    lnl_check_not_in_hook(L, h->n, F);
    lua_settop(L, 3);
    int rc;
    lnl_tsock *k = new_sock(L, h, 3, F, &rc);
    if (rc == 0) rc = v6 ? ln_tcp_bind6(k->s, &a6, (uint16_t)port) : ln_tcp_bind(k->s, addr, (uint16_t)port);
    if (rc == 0) rc = start_listen(k, backlog);
    if (rc < 0) {
        ln_tcp_sock *s = k->s;
        lnl_tcp_release(L, k);
        ln_tcp_close(s);
        return lnl_push_err(L, rc);
    }
    return 1;
}

static const char *const hconnect_opts[] = {
    "timeout", "nodelay", "reuseaddr", "keepalive", "keepidle", "keepintvl", "keepcnt", "rcvbuf",
    "sndbuf", "maxseg", "quickack", "linger0", "cork", "user_timeout", "v6only", "congestion", NULL,
};

/* h:connect(addr, port, {timeout=, <socket options>}) -> socket | nil, word */
static int node_connect(lua_State *L)
{
    const char *F = "node:connect";
    lnl_handle *h = checknode(L, F, LNL_OBSERVE);
    if (lnl_is_hostname(L, 2)) return lnl_resolve_arg(L, h->n, h->obj, 2, F, node_connect);
    uint32_t addr = 0;
    ln_in6 a6;
    ln_iface *zone;
    bool v6 = lnl_argaddr46z(L, 2, h->obj, &addr, &a6, &zone, F);
    lua_Integer port = check_port(L, 3, F);
    if (!lua_isnoneornil(L, 4)) lnl_checkopts(L, 4, F, hconnect_opts);
    ln_time deadline = opt_deadline(L, 4, h->n, F, hconnect_opts);
    lnl_checktask(L, F);
    lua_settop(L, 4);
    int rc;
    lnl_tsock *k = new_sock(L, h, 4, F, &rc);      /* at 5 */
    if (rc < 0) {
        ln_tcp_sock *s = k->s;
        lnl_tcp_release(L, k);
        ln_tcp_close(s);
        return lnl_push_err(L, rc);
    }
    lua_replace(L, 1);
    lua_settop(L, 1);
    int r = connect46(L, k->s, v6, addr, &a6, zone, port, F);
    if (r < 0) {
        ln_tcp_sock *s = k->s;
        lnl_tcp_release(L, k);
        ln_tcp_close(s);
        return lnl_push_err(L, r);
    }
    lua_pushinteger(L, (lua_Integer)deadline);
    return connect_k(L, LUA_OK, 1);
}

/* ---- h:sockets() -------------------------------------------------------------------------------- */

static void list_tcp(ln_tcp_sock *s, void *arg)
{
    lua_State *L = arg;
    ln_tcp_info ti;
    ln_tcp_get_info(s, &ti);
    char b[LNL_EPLEN];
    lua_createtable(L, 0, 6);
    setstr(L, "proto", "tcp");                       /* ss's Netid, either family */
    if (ti.v6) setstr(L, "family", "inet6");         /* IPv4 entries stay as they were */
    setstr(L, "state", ln_tcp_state_name(ti.state));
    setstr(L, "local", info_ep(&ti, false, true, b));
    setstr(L, "remote", info_ep(&ti, true, true, b));
    setint(L, "recv_q", ti.recv_q);
    setint(L, "send_q", ti.send_q);
    if (ti.timer) {
        setstr(L, "timer", ti.timer);
        setint(L, "timer_left", (lua_Integer)ti.timer_left);
    }
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

/* Half-open requests, as `ss -tan` lists SYN-RECV sockets. */
static void list_req(const ln_tcp_req_view *r, void *arg)
{
    lua_State *L = arg;
    char b[LNL_EPLEN];
    lua_createtable(L, 0, 8);
    setstr(L, "proto", "tcp");
    if (r->v6) setstr(L, "family", "inet6");
    setstr(L, "state", ln_tcp_state_name(LN_TCP_SYN_RCVD));
    if (r->v6) {
        setstr(L, "local", lnl_fmt_endpoint6(&r->laddr6, r->lport, true, b));
        setstr(L, "remote", lnl_fmt_endpoint6(&r->raddr6, r->rport, true, b));
    } else {
        setstr(L, "local", lnl_fmt_endpoint(r->laddr, r->lport, true, b));
        setstr(L, "remote", lnl_fmt_endpoint(r->raddr, r->rport, true, b));
    }
    setint(L, "recv_q", 0);
    setint(L, "send_q", 0);
    setstr(L, "timer", "on");
    setint(L, "timer_left", (lua_Integer)r->timer_left);
    setint(L, "retransmits", (lua_Integer)r->retransmits);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

static void list_udp(ln_udp_sock *s, void *arg)
{
    lua_State *L = arg;
    uint32_t la, ra;
    uint16_t lp, rp;
    ln_udp_local(s, &la, &lp);
    ln_udp_peer(s, &ra, &rp);
    ln_in6 l6, r6;
    bool v6 = ln_udp_addrs6(s, &l6, &r6);
    char b[LNL_EPLEN];
    lua_createtable(L, 0, 6);
    setstr(L, "proto", "udp");
    if (v6) setstr(L, "family", "inet6");
    /* ss -uan's words for a UDP socket. */
    setstr(L, "state", rp ? "ESTAB" : "UNCONN");
    setstr(L, "local", v6 ? lnl_fmt_endpoint6(&l6, lp, true, b) : lnl_fmt_endpoint(la, lp, true, b));
    /* Connected to an IPv4 peer, an IPv6 socket shows it mapped, as ss. */
    if (v6 && rp && ln_in6_is_unspec(&r6)) {
        r6.b[10] = r6.b[11] = 0xff;
        ln_put32(r6.b + 12, ra);
    }
    setstr(L, "remote", v6 ? lnl_fmt_endpoint6(&r6, rp, true, b) : lnl_fmt_endpoint(ra, rp, true, b));
    setint(L, "recv_q", (lua_Integer)ln_udp_queued_bytes(s));
    setint(L, "send_q", 0);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

static const char *const sockets_opts[] = {"proto", NULL};

/* h:sockets([{proto = "tcp"|"udp"}]): like ss -tuan. */
static int node_sockets(lua_State *L)
{
    const char *F = "node:sockets";
    lnl_handle *h = checknode(L, F, LNL_OBSERVE);
    bool tcp = true, udp = true;
    const char *p = NULL;
    if (lua_type(L, 2) == LUA_TSTRING) {
        p = lua_tostring(L, 2);
    } else if (lua_istable(L, 2)) {
        lnl_checkopts(L, 2, F, sockets_opts);
        if (lnl_optfield(L, 2, "proto")) {
            p = lua_tostring(L, -1);
            if (lua_type(L, -1) != LUA_TSTRING || (strcmp(p, "tcp") != 0 && strcmp(p, "udp") != 0))
                luaL_error(L, "%s: proto: expected \"tcp\" or \"udp\", got %s", F,
                           luaL_tolstring(L, -1, NULL));
        }
    } else if (!lua_isnoneornil(L, 2)) {
        lnl_argerror(L, 2, F, "expected \"tcp\", \"udp\" or {proto = ...}, got %s", luaL_typename(L, 2));
    }
    if (p && strcmp(p, "tcp") == 0) udp = false;
    else if (p && strcmp(p, "udp") == 0) tcp = false;
    else if (p) lnl_argerror(L, 2, F, "protocol \"%s\" unknown (use \"tcp\" or \"udp\")", p);
    lua_newtable(L);
    luaL_checkstack(L, 10, NULL);
    if (tcp) {
        ln_tcp_foreach(h->obj, list_tcp, L);
        /* The stack walks newest first; list in creation order, as UDP. */
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1, j = n; i < j; i++, j--) {
            lua_rawgeti(L, -1, i);
            lua_rawgeti(L, -2, j);
            lua_rawseti(L, -3, i);
            lua_rawseti(L, -2, j);
        }
        ln_tcp_foreach_req(h->obj, list_req, L);
    }
    if (udp) ln_udp_foreach(h->obj, list_udp, L);
    return 1;
}

/* lunet.hash(data [, h]): the CRC-64/XZ of a string (crc64.h), continuing
 * from h, so that a receiver can digest a stream chunk by chunk; data may
 * also be a byte count n, for the stack's generated pattern (byte i =
 * i % 256) that s:send(n) queues. */
static int l_hash(lua_State *L)
{
    const char *F = "lunet.hash";
    uint64_t h = 0;
    if (!lua_isnoneornil(L, 2)) h = (uint64_t)lnl_checkinteger(L, 2, F);
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_Integer n = lnl_checkinteger(L, 1, F);
        if (n < 0) lnl_argerror(L, 1, F, "byte count %I is negative", n);
        h = lnl_crc64_pattern(h, (uint64_t)n);
    } else {
        size_t len;
        if (lua_type(L, 1) != LUA_TSTRING) lnl_typeerror(L, 1, F, "string or byte count");
        const char *p = lua_tolstring(L, 1, &len);
        h = lnl_crc64(h, p, len);
    }
    lua_pushinteger(L, (lua_Integer)h);
    return 1;
}

/* lunet.hash_combine(h1, h2, len2): the hash of A then B from A's hash,
 * B's hash and B's length (h:sink's stream of several connections). */
static int l_hash_combine(lua_State *L)
{
    const char *F = "lunet.hash_combine";
    uint64_t h1 = (uint64_t)lnl_checkinteger(L, 1, F);
    uint64_t h2 = (uint64_t)lnl_checkinteger(L, 2, F);
    lua_Integer len2 = lnl_checkinteger(L, 3, F);
    if (len2 < 0) lnl_argerror(L, 3, F, "byte count %I is negative", len2);
    lua_pushinteger(L, (lua_Integer)lnl_crc64_combine(h1, h2, (uint64_t)len2));
    return 1;
}

void lnl_open_tcp(lua_State *L)
{
    lua_pushcfunction(L, l_hash);                      /* the module is at -1 */
    lua_setfield(L, -2, "hash");
    lua_pushcfunction(L, l_hash_combine);
    lua_setfield(L, -2, "hash_combine");
    static const luaL_Reg methods[] = {
        {"bind", tcp_bind}, {"listen", tcp_listen}, {"accept", tcp_accept},
        {"connect", tcp_connect}, {"send", tcp_send}, {"receive", tcp_receive}, {"drain", tcp_drain},
        {"shutdown", tcp_shutdown}, {"close", tcp_close}, {"abort", tcp_abort},
        {"setoption", tcp_setoption}, {"getoption", tcp_getoption},
        {"state", tcp_state}, {"info", tcp_info},
        {"getsockname", tcp_getsockname}, {"getpeername", tcp_getpeername},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", tcp_gc}, {"__close", tcp_close}, {"__tostring", tcp_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_TCP, "TcpSocket", methods, meta);
    static const luaL_Reg node_methods[] = {
        {"tcp", node_tcp}, {"listen", node_listen}, {"connect", node_connect},
        {"sockets", node_sockets}, {NULL, NULL},
    };
    lnl_getmethods(L, "Node");
    luaL_setfuncs(L, node_methods, 0);
    lua_pop(L, 1);
    lnl_open_tcp_nb(L);
}
