/* l_icmp.c - lunet.IcmpSocket: ping sockets for tasks (echo requests, UDP
 * probes, and a receive queue of replies and errors).
 *
 * The engine calls on_msg from inside the IP input path; it only queues the
 * message and wakes the waiting task through the task's timer, so the task
 * resumes from the scheduler, not from inside ICMP input.  One task may
 * wait on a socket at a time; a second gets nil, "busy".  The queue is
 * bounded like a socket receive buffer: overflow is counted as a drop
 * ("no buffer"), never lost silently. */
#include <stdlib.h>
#include <string.h>

#include "icmp.h"
#include "icmp6.h"
#include "node.h"
#include "wire.h"
#include "lunet.h"

#define QUEUE_MAX 1024

typedef struct qmsg {
    ln_icmp_msg m;
    ln_time at;                   /* arrival */
} qmsg;

typedef struct lnl_sock {
    ln_icmp_sock *s;              /* NULL once closed */
    lnl_net *n;
    ln_node *node;
    struct lnl_sock *next;        /* n->socks */
    qmsg *q;
    uint32_t head, len, cap;
    lnl_task *waiter;
    uint16_t id;
    uint16_t next_seq;
} lnl_sock;

static void unlink_sock(lnl_sock *k)
{
    for (lnl_sock **p = &k->n->socks; *p; p = &(*p)->next)
        if (*p == k) { *p = k->next; break; }
    k->next = NULL;
}

static void close_sock(lnl_sock *k)
{
    if (k->s && k->n->net) ln_icmp_sock_close(k->s);
    if (k->s) unlink_sock(k);
    k->s = NULL;
    if (k->waiter) lnl_task_wake(k->waiter);    /* it reads "closed" */
}

void lnl_socks_close_all(lnl_net *n)
{
    while (n->socks) close_sock(n->socks);
}

static void on_msg(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg)
{
    (void)s;
    lnl_sock *k = arg;
    if (k->len == k->cap) {
        if (k->cap >= QUEUE_MAX) {
            ln_net_drop(k->n->net, k->node, NULL, NULL, LN_LAYER_NONE, LN_DROP_NO_BUFFER);
            return;
        }
        uint32_t ncap = k->cap ? k->cap * 2 : 16;
        qmsg *nq = malloc(ncap * sizeof *nq);
        if (!nq) {
            ln_net_drop(k->n->net, k->node, NULL, NULL, LN_LAYER_NONE, LN_DROP_NO_BUFFER);
            return;
        }
        for (uint32_t i = 0; i < k->len; i++) nq[i] = k->q[(k->head + i) % k->cap];
        free(k->q);
        k->q = nq;
        k->head = 0;
        k->cap = ncap;
    }
    qmsg *e = &k->q[(k->head + k->len) % k->cap];
    e->m = *m;
    e->at = ln_net_now(k->n->net);
    k->len++;
    if (k->waiter) lnl_task_wake(k->waiter);
}

/* A socket is its host's state: in a split run, its host's rank's only
 * (lnl_access). */
static lnl_sock *checksock(lua_State *L, const char *fname, lnl_access acc)
{
    lnl_sock *k = lnl_checkudata(L, 1, LNL_SOCK, fname);
    lnl_checkowner(L, k->n, k->node, fname, acc);
    return k;
}

int lnl_node_icmp_socket(lua_State *L)
{
    /* Which ids are free is the host's state. */
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, "node:icmp_socket", LNL_OBSERVE);
    lua_Integer id = lua_isnoneornil(L, 2) ? 0 : lnl_checkinteger(L, 2, "node:icmp_socket");
    if (id < 0 || id > 65535)
        lnl_argerror(L, 2, "node:icmp_socket", "id %I out of range (1..65535, or 0 for any)", id);
    lnl_sock *k = lua_newuserdatauv(L, sizeof *k, 1);
    memset(k, 0, sizeof *k);
    k->n = h->n;
    k->node = h->obj;
    k->next_seq = 1;
    luaL_setmetatable(L, LNL_SOCK);
    lnl_push_net(L, h->n);
    lua_setiuservalue(L, -2, 1);
    k->s = ln_icmp_sock_open(k->node, (uint16_t)id, on_msg, k);
    if (!k->s) {
        lua_pushnil(L);
        lua_pushstring(L, ln_strerror(LN_EADDRINUSE));
        return 2;
    }
    k->id = k->s->id;
    k->next = h->n->socks;
    h->n->socks = k;
    return 1;
}

/* ICMPv6 (RFC 4443 3-4), in the words iputils ping prints. */
static const char *kind6(const ln_icmp_msg *m)
{
    switch (m->type) {
    case LN_ICMP6_ECHO_REPLY: return "echo reply";
    case LN_ICMP6_TIME_EXCEED:
        return m->code == LN_ICMP6_TIMXCEED_REASM ? "reassembly time exceeded" : "time exceeded";
    case LN_ICMP6_PKT_TOOBIG: return "packet too big";
    case LN_ICMP6_PARAM_PROB: return "parameter problem";
    case LN_ICMP6_DST_UNREACH:
        switch (m->code) {
        case LN_ICMP6_UNREACH_NOROUTE: return "no route";
        case LN_ICMP6_UNREACH_ADMIN: return "admin prohibited";
        case LN_ICMP6_UNREACH_BEYONDSCOPE: return "beyond scope";
        case LN_ICMP6_UNREACH_ADDR: return "address unreachable";
        case LN_ICMP6_UNREACH_PORT: return "port unreachable";
        default: return "unreachable";
        }
    default: return "other";
    }
}

static const char *kind(const ln_icmp_msg *m)
{
    if (m->v6) return kind6(m);
    switch (m->type) {
    case LN_ICMP_ECHOREPLY: return "echo reply";
    case LN_ICMP_ECHO: return "echo request";
    case LN_ICMP_TIMXCEED:
        return m->code == LN_ICMP_TIMXCEED_REASM ? "reassembly time exceeded" : "time exceeded";
    case LN_ICMP_UNREACH:
        switch (m->code) {
        case LN_ICMP_UNREACH_NET: return "net unreachable";
        case LN_ICMP_UNREACH_HOST: return "host unreachable";
        case LN_ICMP_UNREACH_PROTO: return "protocol unreachable";
        case LN_ICMP_UNREACH_PORT: return "port unreachable";
        case LN_ICMP_UNREACH_NEEDFRAG: return "frag needed";
        case LN_ICMP_UNREACH_ADMIN: return "admin prohibited";
        default: return "unreachable";
        }
    default: return "other";
    }
}

static void setint(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void push_msg(lua_State *L, const qmsg *e)
{
    const ln_icmp_msg *m = &e->m;
    char b[LN_IN6_FMTLEN];
    lua_createtable(L, 0, 16);
    setint(L, "type", m->type);
    setint(L, "code", m->code);
    /* ping prints a link-local sender with its zone: fe80::1%eth1 */
    char z[LNL_IN6Z_LEN];
    lua_pushstring(L, m->v6 ? lnl_fmt_in6z(&m->from6, m->in_if, z) : ln_ip_fmt(m->from, b));
    lua_setfield(L, -2, "from");
    lua_pushstring(L, m->v6 ? ln_ip6_fmt(&m->to6, b) : ln_ip_fmt(m->to, b));
    lua_setfield(L, -2, "to");
    /* Only IPv6 messages say so: an IPv4 one costs what it always did. */
    if (m->v6) setint(L, "family", 6);
    setint(L, "ttl", m->ttl);
    setint(L, "id", m->id);
    setint(L, "seq", m->seq);
    setint(L, "len", m->len);
    setint(L, "time", (lua_Integer)e->at);
    if (m->sent != LN_NEVER && e->at >= m->sent) setint(L, "rtt", (lua_Integer)(e->at - m->sent));
    if (m->v6 ? m->type == LN_ICMP6_PKT_TOOBIG
              : m->type == LN_ICMP_UNREACH && m->code == LN_ICMP_UNREACH_NEEDFRAG) setint(L, "mtu", m->mtu);
    if (m->error) {
        /* a link-local datagram of ours went out where its error came in */
        lua_pushstring(L, m->v6 ? lnl_fmt_in6z(&m->orig_dst6, m->in_if, z) : ln_ip_fmt(m->orig_dst, b));
        lua_setfield(L, -2, "orig_dst");
        setint(L, "orig_proto", m->orig_proto);
    }
    lua_pushboolean(L, m->error);
    lua_setfield(L, -2, "error");
    lua_pushstring(L, kind(m));
    lua_setfield(L, -2, "kind");
}

static int pop_msg(lua_State *L, lnl_sock *k)
{
    push_msg(L, &k->q[k->head]);
    k->head = (k->head + 1) % k->cap;
    k->len--;
    return 1;
}

/* Builder for a blocked receive: a message, "closed" or "timeout".  Called
 * with co == NULL when the task is killed while waiting. */
static int recv_wake(lua_State *co, lnl_task *t, void *arg)
{
    lnl_sock *k = arg;
    if (k->waiter == t) k->waiter = NULL;
    if (!co) return 0;
    if (k->len) return pop_msg(co, k);
    lua_pushnil(co);
    lua_pushstring(co, k->s ? ln_strerror(LN_ETIMEDOUT) : ln_strerror(LN_ECLOSED));
    return 2;
}

static int sock_receive(lua_State *L)
{
    const char *F = "IcmpSocket:receive";
    lnl_sock *k = lnl_checkudata(L, 1, LNL_SOCK, F);
    if (k->n->net) lnl_checkowner(L, k->n, k->node, F, LNL_OBSERVE);
    lnl_task *t = lnl_checktask(L, F);
    ln_time deadline = LN_NEVER;
    /* {timeout = t} as every socket takes it; a bare t as it always has */
    ln_time d = LN_NEVER;
    if (lua_istable(L, 2)) {
        static const char *const known[] = {"timeout", NULL};
        lnl_checkopts(L, 2, F, known);
        if (lnl_optfield(L, 2, "timeout")) {
            d = lnl_checktime(L, -1, "IcmpSocket:receive: timeout");
            lua_pop(L, 1);
        }
    } else if (!lua_isnoneornil(L, 2)) {
        d = lnl_argtime(L, 2, F, "timeout");
    }
    if (d != LN_NEVER) {
        ln_time now = ln_net_now(k->n->net);
        deadline = d > LN_NEVER - 1 - now ? LN_NEVER - 1 : now + d;
    }
    if (k->len) return pop_msg(L, k);
    lua_pushnil(L);
    if (!k->s) { lua_pushstring(L, ln_strerror(LN_ECLOSED)); return 2; }
    if (k->waiter && k->waiter != t) { lua_pushstring(L, ln_strerror(LN_EBUSY)); return 2; }
    if (deadline == ln_net_now(k->n->net)) { lua_pushstring(L, ln_strerror(LN_ETIMEDOUT)); return 2; }
    lua_pop(L, 1);
    k->waiter = t;
    return lnl_task_block(L, t, deadline, recv_wake, k);
}

static const char *const echo_opts[] = {"seq", "size", "ttl", "df", NULL};
static const char *const probe_opts[] = {"port", "size", "ttl", NULL};

static lua_Integer int_opt(lua_State *L, int t, const char *k, lua_Integer dflt,
                           lua_Integer lo, lua_Integer hi, const char *fname)
{
    if (lua_isnoneornil(L, t) || !lnl_optfield(L, t, k)) return dflt;
    if (!lua_isinteger(L, -1)) luaL_error(L, "%s: %s must be an integer, got %s", fname, k, luaL_typename(L, -1));
    lua_Integer v = lua_tointeger(L, -1);
    if (v < lo || v > hi) luaL_error(L, "%s: %s %I out of range (%I..%I)", fname, k, v, lo, hi);
    lua_pop(L, 1);
    return v;
}

static int result(lua_State *L, int rc, lua_Integer ok)
{
    if (rc < 0) {
        lua_pushnil(L);
        lua_pushstring(L, ln_strerror(rc));
        return 2;
    }
    lua_pushinteger(L, ok);
    return 1;
}

static int sock_echo(lua_State *L)
{
    const char *F = "IcmpSocket:echo";
    lnl_sock *k = checksock(L, F, LNL_OBSERVE);
    bool v6 = lua_type(L, 2) == LUA_TSTRING && ln_ip6_looks(lua_tostring(L, 2));
    ln_in6 dst6 = {{0}};
    uint32_t dst = 0;
    ln_iface *zone = NULL;
    if (v6) dst6 = lnl_argaddr6z(L, 2, k->node, &zone, F);
    else dst = lnl_argaddr(L, 2, NULL, F);
    if (!lua_isnoneornil(L, 3)) lnl_checkopts(L, 3, F, echo_opts);
    lua_Integer seq = int_opt(L, 3, "seq", k->next_seq, 0, 65535, F);
    /* 65507 = 65535 - 20 (IP) - 8 (ICMP), what ping -s accepts. */
    lua_Integer size = int_opt(L, 3, "size", 56, 0, 65507, F);
    lua_Integer ttl = int_opt(L, 3, "ttl", 0, 0, 255, F);
    bool df = false;
    if (!lua_isnoneornil(L, 3) && lnl_optfield(L, 3, "df")) {
        df = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if (!k->s) return result(L, LN_ECLOSED, 0);
    k->next_seq = (uint16_t)(seq + 1);
    /* IPv6 has no DF: only the source fragments, so ping -M do means
     * IPV6_DONTFRAG, which lunet's echo does not offer yet. */
    if (v6) return result(L, ln_icmp6_echo(k->s, &dst6, zone, (uint16_t)seq, (uint32_t)size, (uint8_t)ttl), seq);
    return result(L, ln_icmp_echo(k->s, dst, (uint16_t)seq, (uint32_t)size, (uint8_t)ttl, df), seq);
}

static int sock_probe(lua_State *L)
{
    const char *F = "IcmpSocket:probe";
    lnl_sock *k = checksock(L, F, LNL_OBSERVE);
    bool v6 = lua_type(L, 2) == LUA_TSTRING && ln_ip6_looks(lua_tostring(L, 2));
    ln_in6 dst6 = {{0}};
    uint32_t dst = 0;
    ln_iface *zone = NULL;
    if (v6) dst6 = lnl_argaddr6z(L, 2, k->node, &zone, F);
    else dst = lnl_argaddr(L, 2, NULL, F);
    if (!lua_isnoneornil(L, 3)) lnl_checkopts(L, 3, F, probe_opts);
    lua_Integer port = int_opt(L, 3, "port", 33434, 1, 65535, F);
    lua_Integer size = int_opt(L, 3, "size", 32, 0, 65507, F);
    lua_Integer ttl = int_opt(L, 3, "ttl", 0, 0, 255, F);
    if (!k->s) return result(L, LN_ECLOSED, 0);
    if (v6) return result(L, ln_icmp6_udp_probe(k->s, &dst6, zone, (uint16_t)port, (uint32_t)size, (uint8_t)ttl), port);
    return result(L, ln_icmp_udp_probe(k->s, dst, (uint16_t)port, (uint32_t)size, (uint8_t)ttl), port);
}

static int sock_close(lua_State *L)
{
    lnl_sock *k = lnl_checkudata(L, 1, LNL_SOCK, "IcmpSocket:close");
    if (k->n->net) lnl_checkowner(L, k->n, k->node, "IcmpSocket:close", LNL_DRIVE);
    close_sock(k);
    return 0;
}

static int sock_gc(lua_State *L)
{
    lnl_sock *k = luaL_checkudata(L, 1, LNL_SOCK);
    close_sock(k);
    free(k->q);
    k->q = NULL;
    k->len = k->cap = 0;
    return 0;
}

static int sock_index(lua_State *L)
{
    lnl_sock *k = luaL_checkudata(L, 1, LNL_SOCK);
    const char *f;
    if (lnl_index_method(L, &f)) return 1;
    if (f && strcmp(f, "id") == 0) {
        lua_pushinteger(L, k->id);
    } else if (f && strcmp(f, "pending") == 0) {
        if (k->n->net) lnl_checkowner(L, k->n, k->node, "IcmpSocket.pending", LNL_OBSERVE);
        lua_pushinteger(L, k->len);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int sock_tostring(lua_State *L)
{
    lnl_sock *k = luaL_checkudata(L, 1, LNL_SOCK);
    if (!k->s || !k->n->net) lua_pushliteral(L, "lunet.IcmpSocket(closed)");
    else lua_pushfstring(L, "lunet.IcmpSocket(%s, id %d)", k->node->name, (int)k->id);
    return 1;
}

void lnl_open_icmp(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"echo", sock_echo}, {"probe", sock_probe}, {"receive", sock_receive},
        {"close", sock_close}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", sock_index}, {"__gc", sock_gc}, {"__close", sock_close},
        {"__tostring", sock_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_SOCK, "IcmpSocket", methods, meta);
}
