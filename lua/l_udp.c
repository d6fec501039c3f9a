/* l_udp.c - lunet.UdpSocket: UDP sockets for tasks, on top of core/udp.h,
 * and h:udp().
 *
 * Sending never blocks (UDP has no send buffer to wait for); receiving
 * blocks the task the same way TcpSocket:receive does (see l_tcp.c): the
 * socket's notify callback only wakes the waiting task, which retries in
 * a continuation until a datagram, an error or its deadline.  A second
 * task waiting on the same socket gets nil, "busy".
 *
 * An ICMP error for a connected socket (port unreachable -> "refused")
 * is returned once, by the next receive or send, as on Linux. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "igmp.h"
#include "ip.h"
#include "node.h"
#include "udp.h"
#include "wire.h"
#include "lunet.h"

#define F_PREFIX "UdpSocket:"
#define MAX_DGRAM 65535    /* more than any UDP payload (65507) */

typedef struct lnl_usock {
    ln_udp_sock *s;               /* NULL once closed or the network closed */
    lnl_net *n;
    ln_node *node;
    struct lnl_usock *next, *prev;/* n->usocks while s != NULL */
    lnl_task *waiter;
    char *buf;                    /* receive buffer (MAX_DGRAM), on first use */
    size_t cap;
} lnl_usock;

static void unlink_sock(lnl_usock *k)
{
    if (k->prev) k->prev->next = k->next;
    else if (k->n->usocks == k) k->n->usocks = k->next;
    if (k->next) k->next->prev = k->prev;
    k->next = k->prev = NULL;
}

static void on_notify(ln_udp_sock *s, unsigned events, void *arg)
{
    (void)s;
    (void)events;
    lnl_usock *k = arg;
    if (k->waiter) lnl_task_wake(k->waiter);
}

void lnl_udp_close_all(lnl_net *n)
{
    while (n->usocks) {
        lnl_usock *k = n->usocks;
        k->s = NULL;
        unlink_sock(k);
    }
}

static void release(lua_State *L, lnl_usock *k)
{
    if (!k->s) return;
    lnl_unanchor(L, k->n, k);
    ln_udp_set_notify(k->s, NULL, NULL);
    k->s = NULL;
    unlink_sock(k);
    if (k->waiter) lnl_task_wake(k->waiter);
}

/* A socket is its host's state: in a split run every method but close
 * is its host's rank's only (lnl_access). */
static lnl_usock *checksock(lua_State *L, const char *fname)
{
    lnl_usock *k = lnl_checkudata(L, 1, LNL_UDP, fname);
    lnl_checkowner(L, k->n, k->node, fname, LNL_OBSERVE);
    return k;
}


/* ---- options ------------------------------------------------------------ */

static const struct uopt {
    const char *name;
    ln_udp_opt opt;
    char kind;     /* b: boolean, s: size, i: TTL 1..255, t: TTL 0..255, f: interface */
} uopts[] = {
    {"broadcast", LN_UDP_OPT_BROADCAST, 'b'},
    {"reuseaddr", LN_UDP_OPT_REUSEADDR, 'b'},
    {"rcvbuf", LN_UDP_OPT_RCVBUF, 's'},
    {"ttl", LN_UDP_OPT_TTL, 'i'},
    {"multicast_ttl", LN_UDP_OPT_MCAST_TTL, 't'},
    {"multicast_loop", LN_UDP_OPT_MCAST_LOOP, 'b'},
    {"multicast_if", LN_UDP_OPT_MCAST_IF, 'f'},
    {"multicast_all", LN_UDP_OPT_MCAST_ALL, 'b'},
    {"bindtodevice", LN_UDP_OPT_BINDTODEVICE, 'f'},
    {"v6only", LN_UDP_OPT_V6ONLY, 'b'},
    {NULL, 0, 0},
};

static const char *const new_opts[] = {"broadcast", "reuseaddr", "rcvbuf", "ttl", "multicast_ttl",
                                       "multicast_loop", "multicast_if", "multicast_all", "bindtodevice",
                                       "v6only", NULL};

/* The option named by argument arg of fname. */
static const struct uopt *find_opt(lua_State *L, int arg, const char *fname)
{
    const char *name = lnl_checkstring(L, arg, fname);
    luaL_Buffer known;
    luaL_buffinit(L, &known);
    for (const struct uopt *o = uopts; o->name; o++) {
        if (strcmp(o->name, name) == 0) return o;
        if (o != uopts) luaL_addstring(&known, ", ");
        luaL_addstring(&known, o->name);
    }
    luaL_pushresult(&known);
    lnl_argerror(L, arg, fname, "option \"%s\" unknown (known: %s)", name, lua_tostring(L, -1));
    return NULL;
}

/* An interface of nd named by the value at idx: an Iface, its name, or one
 * of its addresses (as IP_MULTICAST_IF and IP_ADD_MEMBERSHIP take it).
 * Errors name argument arg of fname, or socket option opt when not NULL. */
static ln_iface *iface_arg(lua_State *L, int idx, int arg, ln_node *nd, const char *fname,
                           const char *opt)
{
    uint32_t a;
    if (lua_type(L, idx) == LUA_TSTRING && ln_ip_parse(lua_tostring(L, idx), &a, NULL, NULL, 0) == 0) {
        ln_iface *ifc = ln_node_iface_by_addr(nd, a);
        if (ifc) return ifc;
        char b[16];
        if (opt) lnl_opterror(L, arg, fname, opt, "%s has no interface with address %s", nd->name, ln_ip_fmt(a, b));
        lnl_argerror(L, arg, fname, "%s has no interface with address %s", nd->name, ln_ip_fmt(a, b));
    }
    if (!opt) return lnl_argiface(L, arg, nd, fname);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s: %s", fname, opt);
    return lnl_checkiface_of(L, idx, nd, ctx);
}

/* Apply option o with the value at idx, argument arg of fname (or 0: a
 * field); returns an LN_E* code. */
static int set_opt(lua_State *L, ln_udp_sock *s, const struct uopt *o, int idx, int arg,
                   const char *fname)
{
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s: %s", fname, o->name);
    int64_t v;
    if (o->kind == 'b') {
        if (!lua_isboolean(L, idx))
            lnl_opterror(L, arg, fname, o->name, "expected a boolean, got %s", luaL_typename(L, idx));
        v = lua_toboolean(L, idx);
    } else if (o->kind == 's') {
        uint64_t b = arg ? lnl_argsize(L, arg, fname, o->name) : lnl_checksize(L, idx, ctx, NULL, false);
        if (b > INT32_MAX) lnl_opterror(L, arg, fname, o->name, "%I bytes is too large", (lua_Integer)b);
        v = (int64_t)b;
    } else if (o->kind == 'f') {
        /* nil or false: back to the route's interface */
        v = lua_isnil(L, idx) || (lua_isboolean(L, idx) && !lua_toboolean(L, idx))
                ? 0 : (int64_t)iface_arg(L, idx, arg, ln_udp_node(s), fname, o->name)->index + 1;
    } else {
        int lo = o->kind == 't' ? 0 : 1;
        if (!lua_isinteger(L, idx))
            lnl_opterror(L, arg, fname, o->name, "expected an integer, got %s", luaL_typename(L, idx));
        v = lua_tointeger(L, idx);
        if (v < lo || v > 255) lnl_opterror(L, arg, fname, o->name, "%I out of range (%d..255)", (lua_Integer)v, lo);
    }
    return ln_udp_setopt(s, o->opt, v);
}

static int udp_setoption(lua_State *L)
{
    const char *F = F_PREFIX "setoption";
    lnl_usock *k = checksock(L, F);
    const struct uopt *o = find_opt(L, 2, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    return lnl_push_rc(L, set_opt(L, k->s, o, 3, 3, F));
}

static int udp_getoption(lua_State *L)
{
    const char *F = F_PREFIX "getoption";
    lnl_usock *k = checksock(L, F);
    const struct uopt *o = find_opt(L, 2, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    int64_t v = 0;
    int rc = ln_udp_getopt(k->s, o->opt, &v);
    if (rc < 0) return lnl_push_err(L, rc);
    if (o->kind == 'b') lua_pushboolean(L, v != 0);
    else if (o->kind == 'f' && v) lua_pushstring(L, k->node->ifaces[v - 1]->name);
    else if (o->kind == 'f') lua_pushnil(L);
    else lua_pushinteger(L, (lua_Integer)v);
    return 1;
}

/* ---- multicast groups ------------------------------------------------------ */

static uint32_t group_arg(lua_State *L, int arg, const char *fname)
{
    uint32_t g = lnl_argaddr(L, arg, NULL, fname);
    if (!ln_ip_is_mcast(g)) {
        char b[16];
        lnl_argerror(L, arg, fname, "%s is not a multicast group (224.0.0.0 to 239.255.255.255)",
                     ln_ip_fmt(g, b));
    }
    return g;
}

/* u:join(group [, iface]): IP_ADD_MEMBERSHIP; true, or nil and why. */
static int udp_join(lua_State *L)
{
    const char *F = F_PREFIX "join";
    lnl_usock *k = checksock(L, F);
    uint32_t g = group_arg(L, 2, F);
    ln_iface *ifc = lua_isnoneornil(L, 3) ? NULL : iface_arg(L, 3, 3, k->node, F, NULL);
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    int rc = ln_udp_join(k->s, g, ifc);
    if (rc == LN_ENOBUFS)
        luaL_error(L, "%s: a socket joins at most %d groups (Linux's igmp_max_memberships)", F,
                   LN_MC_MAX_MEMBERSHIPS);
    if (rc == LN_ENODEV)
        luaL_error(L, "%s: %s has no interface that is up with an address to join on", F, k->node->name);
    return lnl_push_rc(L, rc);
}

/* u:leave(group [, iface]): IP_DROP_MEMBERSHIP; true, or nil and why. */
static int udp_leave(lua_State *L)
{
    const char *F = F_PREFIX "leave";
    lnl_usock *k = checksock(L, F);
    uint32_t g = group_arg(L, 2, F);
    ln_iface *ifc = lua_isnoneornil(L, 3) ? NULL : iface_arg(L, 3, 3, k->node, F, NULL);
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    return lnl_push_rc(L, ln_udp_leave(k->s, g, ifc));
}

struct group_list { lua_State *L; lua_Integer i; };

static void push_group(uint32_t group, ln_iface *ifc, void *arg)
{
    struct group_list *gl = arg;
    char b[16];
    lua_createtable(gl->L, 0, 2);
    lua_pushstring(gl->L, ln_ip_fmt(group, b));
    lua_setfield(gl->L, -2, "group");
    lua_pushstring(gl->L, ifc->name);
    lua_setfield(gl->L, -2, "iface");
    lua_rawseti(gl->L, -2, ++gl->i);
}

/* u:groups(): {{group=, iface=}, ...}, in the order they were joined. */
static int udp_groups(lua_State *L)
{
    lnl_usock *k = checksock(L, F_PREFIX "groups");
    lua_newtable(L);
    struct group_list gl = { L, 0 };
    if (k->s) ln_udp_foreach_group(k->s, push_group, &gl);
    return 1;
}

/* ---- bind / connect ------------------------------------------------------- */

static lua_Integer check_port(lua_State *L, int idx, lua_Integer lo, const char *fname)
{
    lua_Integer port = lnl_checkinteger(L, idx, fname);
    if (port < lo || port > 65535)
        lnl_argerror(L, idx, fname, "port %I out of range (%I..65535)", port, lo);
    return port;
}

static int udp_bind(lua_State *L)
{
    const char *F = F_PREFIX "bind";
    lnl_usock *k = checksock(L, F);
    uint32_t addr = 0;
    ln_in6 a6;
    bool v6 = false;
    int pidx = 2;
    ln_iface *zone = NULL;
    if (lua_type(L, 2) == LUA_TSTRING) {
        v6 = lnl_argaddr46z(L, 2, k->node, &addr, &a6, &zone, F);
        pidx = 3;
    }
    lua_Integer port = check_port(L, pidx, 0, F);
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    int rc = v6 ? ln_udp_bind6(k->s, &a6, (uint16_t)port, zone) : ln_udp_bind(k->s, addr, (uint16_t)port);
    if (rc == LN_EINVAL && zone)
        luaL_error(L, "%s: the socket is already bound, or tied to another interface than %s", F, zone->name);
    if (rc == LN_EINVAL) luaL_error(L, "%s: the socket is already bound", F);
    return lnl_push_rc(L, rc);
}

static void check_bcast(lua_State *L, lnl_usock *k, uint32_t dst, const char *fname)
{
    int64_t on = 0;
    ln_udp_getopt(k->s, LN_UDP_OPT_BROADCAST, &on);
    if (!on && ln_ip_is_bcast(k->node, dst)) {
        char b[16];
        luaL_error(L, "%s: %s is a broadcast address: set the broadcast option first "
                      "(u:setoption(\"broadcast\", true), as SO_BROADCAST)", fname, ln_ip_fmt(dst, b));
    }
}

/* LN_ENOTSUP from the IPv6 calls: the socket is an IPv4 one. */
static int not_family(lua_State *L, int rc, const char *fname)
{
    if (rc == LN_ENOTSUP)
        luaL_error(L, "%s: the socket is bound to an IPv4 address and cannot reach an IPv6 one "
                      "(bind it to :: for both families)", fname);
    return rc;
}

/* u:connect(addr, port) sets the peer; u:connect() (or "*") removes it. */
static int udp_connect(lua_State *L)
{
    const char *F = F_PREFIX "connect";
    lnl_usock *k = checksock(L, F);
    lnl_check_not_in_hook(L, k->n, F);
    if (lua_isnoneornil(L, 2) || (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "*") == 0)) {
        if (!k->s) return lnl_push_err(L, LN_ECLOSED);
        return lnl_push_rc(L, ln_udp_connect(k->s, 0, 0));
    }
    if (lnl_is_hostname(L, 2)) return lnl_resolve_arg(L, k->n, k->node, 2, F, udp_connect);
    uint32_t addr = 0;
    ln_in6 a6;
    ln_iface *zone;
    bool v6 = lnl_argaddr46z(L, 2, k->node, &addr, &a6, &zone, F);
    lua_Integer port = check_port(L, 3, 1, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    if (v6) return lnl_push_rc(L, not_family(L, ln_udp_connect6(k->s, &a6, (uint16_t)port, zone), F));
    check_bcast(L, k, addr, F);
    return lnl_push_rc(L, ln_udp_connect(k->s, addr, (uint16_t)port));
}

/* ---- send ------------------------------------------------------------------ */

static const char *const send_opts[] = {"timeout", NULL};

/* The data at didx and the options at oidx: {timeout =} as every socket
 * call takes them.  A UDP send never waits (a datagram that does not fit
 * is dropped, as on Linux), so the timeout has nothing to bound, but a bad
 * one still raises. */
static int do_send(lua_State *L, lnl_usock *k, int didx, int oidx, uint32_t dst, const ln_in6 *dst6,
                   ln_iface *zone, uint16_t port, const char *fname)
{
    size_t len;
    if (lua_type(L, didx) != LUA_TSTRING) lnl_typeerror(L, didx, fname, "string");
    const char *data = lua_tolstring(L, didx, &len);
    if (!lua_isnoneornil(L, oidx)) {
        if (!lua_istable(L, oidx))
            lnl_argerror(L, oidx, fname, "options must be a table like {timeout = \"1s\"}, got %s",
                         luaL_typename(L, oidx));
        lnl_checkopts(L, oidx, fname, send_opts);
        if (lnl_optfield(L, oidx, "timeout")) {
            char c[64];
            snprintf(c, sizeof c, "%s: timeout", fname);
            lnl_checktime(L, -1, c);
            lua_pop(L, 1);
        }
    }
    lnl_check_not_in_hook(L, k->n, fname);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    if (dst) check_bcast(L, k, dst, fname);
    int64_t r;
    if (dst6) {
        r = not_family(L, (int)ln_udp_sendto6(k->s, data, len, dst6, port, zone), fname);
    } else if (!dst && ln_udp_addrs6(k->s, NULL, NULL)) {
        r = ln_udp_sendto6(k->s, data, len, NULL, 0, NULL);      /* the connected peer */
    } else {
        r = ln_udp_sendto(k->s, data, len, dst, port);
        /* An IPv6 socket on a specific address (or V6ONLY) sends no IPv4. */
        if (r == LN_ENETUNREACH && dst && ln_udp_addrs6(k->s, NULL, NULL))
            luaL_error(L, "%s: the socket is bound to an IPv6 address (or v6only) and cannot reach an "
                          "IPv4 one", fname);
    }
    if (r < 0) return lnl_push_err(L, (int)r);
    lua_pushinteger(L, (lua_Integer)r);
    return 1;
}

static int udp_sendto(lua_State *L)
{
    const char *F = F_PREFIX "sendto";
    lnl_usock *k = checksock(L, F);
    if (lua_type(L, 2) != LUA_TSTRING) lnl_typeerror(L, 2, F, "string");
    if (lnl_is_hostname(L, 3)) return lnl_resolve_arg(L, k->n, k->node, 3, F, udp_sendto);
    uint32_t dst = 0;
    ln_in6 a6;
    ln_iface *zone;
    bool v6 = lnl_argaddr46z(L, 3, k->node, &dst, &a6, &zone, F);
    lua_Integer port = check_port(L, 4, 1, F);
    return do_send(L, k, 2, 5, dst, v6 ? &a6 : NULL, zone, (uint16_t)port, F);
}

static int udp_send(lua_State *L)
{
    const char *F = F_PREFIX "send";
    lnl_usock *k = checksock(L, F);
    return do_send(L, k, 2, 3, 0, NULL, NULL, 0, F);
}

/* ---- receive ------------------------------------------------------------------ */

static const char *const recv_opts[] = {"timeout", NULL};

static int woke(lua_State *co, lnl_task *t, void *arg)
{
    (void)co;
    lnl_usock *k = arg;
    if (k->waiter == t) k->waiter = NULL;
    return 0;
}

/* An address as scripts write it: IPv4 senders (mapped, as an IPv6
 * socket sees them) in dotted form, so that a reply to what receivefrom
 * gave goes back the way it came. */
/* A link-local sender with its zone, the interface it came in on, as
 * recvfrom's sin6_scope_id gives it. */
static void push_addr46(lua_State *L, const ln_in6 *a, const ln_iface *in_if)
{
    char b[LNL_IN6Z_LEN];
    if (ln_in6_is_v4mapped(a) && !ln_in6_is_unspec(a)) lua_pushstring(L, ln_ip_fmt(ln_get32(a->b + 12), b));
    else lua_pushstring(L, lnl_fmt_in6z(a, in_if, b));
}

/* Stack: 1 socket, 2 deadline.  ctx 1: receivefrom (data, ip, port). */
static int recv_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    lua_settop(L, 2);
    lnl_usock *k = lua_touserdata(L, 1);
    ln_time deadline = (ln_time)lua_tointeger(L, 2);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    /* Room for the largest datagram, so nothing is ever truncated for a
     * Lua caller (UDP keeps boundaries). */
    if (!k->buf) {
        k->buf = malloc(MAX_DGRAM);
        if (!k->buf) return luaL_error(L, F_PREFIX "receive: out of memory");
        k->cap = MAX_DGRAM;
    }
    ln_in6 src;
    uint16_t port;
    ln_iface *in_if;
    int64_t r = ln_udp_recvfrom6(k->s, k->buf, k->cap, &src, &port, NULL, &in_if);
    if (r >= 0) {
        lua_pushlstring(L, k->buf, (size_t)r);
        if (!ctx) return 1;
        push_addr46(L, &src, in_if);
        lua_pushinteger(L, port);
        return 3;
    }
    if (r != LN_EAGAIN) return lnl_push_err(L, (int)r);
    lnl_task *t = lnl_current_task(L);
    if (!t || !lua_isyieldable(L)) return luaL_error(L, F_PREFIX "receive: cannot block here");
    if (ln_net_now(k->n->net) >= deadline) return lnl_push_err(L, LN_ETIMEDOUT);
    k->waiter = t;
    return lnl_task_block_k(L, t, deadline, woke, k, ctx, recv_k);
}

static int start_recv(lua_State *L, lua_KContext ctx, const char *fname)
{
    lnl_usock *k = checksock(L, fname);
    ln_time deadline = LN_NEVER;
    if (!lua_isnoneornil(L, 2)) {
        if (!lua_istable(L, 2))
            lnl_argerror(L, 2, fname, "options must be a table like {timeout = \"1s\"}, got %s",
                         luaL_typename(L, 2));
        lnl_checkopts(L, 2, fname, recv_opts);
        if (lnl_optfield(L, 2, "timeout")) {
            char c[64];
            snprintf(c, sizeof c, "%s: timeout", fname);
            ln_time d = lnl_checktime(L, -1, c);
            ln_time now = ln_net_now(k->n->net);
            deadline = d > LN_NEVER - 1 - now ? LN_NEVER - 1 : now + d;
            lua_pop(L, 1);
        }
    }
    lnl_task *t = lnl_checktask(L, fname);
    if (k->waiter && k->waiter != t) return lnl_push_err(L, LN_EBUSY);
    lua_settop(L, 1);
    lua_pushinteger(L, (lua_Integer)deadline);
    return recv_k(L, LUA_OK, ctx);
}

static int udp_receive(lua_State *L) { return start_recv(L, 0, F_PREFIX "receive"); }
static int udp_receivefrom(lua_State *L) { return start_recv(L, 1, F_PREFIX "receivefrom"); }

/* u:try_receive(n): the next datagram cut to n bytes, as recvfrom(2)
 * cuts it, with its source -- data, ip, port -- or nil, "would block" (or
 * the pending error) at once: usable outside tasks (lunet packetdrill). */
static int udp_try_receive(lua_State *L)
{
    const char *F = F_PREFIX "try_receive";
    lnl_usock *k = checksock(L, F);
    lua_Integer n = lnl_checkinteger(L, 2, F);
    if (n < 0 || n > MAX_DGRAM) lnl_argerror(L, 2, F, "byte count %I out of range (0..%d)", n, MAX_DGRAM);
    lnl_check_not_in_hook(L, k->n, F);
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    if (!k->buf) {
        k->buf = malloc(MAX_DGRAM);
        if (!k->buf) return luaL_error(L, "%s: out of memory", F);
        k->cap = MAX_DGRAM;
    }
    uint32_t src;
    uint16_t port;
    int64_t r = ln_udp_recvfrom(k->s, k->buf, (size_t)n, &src, &port, NULL);
    if (r < 0) return lnl_push_err(L, (int)r);
    char b[16];
    lua_pushlstring(L, k->buf, (size_t)r);
    lua_pushstring(L, ln_ip_fmt(src, b));
    lua_pushinteger(L, port);
    return 3;
}

/* u:poll(): {readable = datagrams queued, error = word or nil}. */
static int udp_poll(lua_State *L)
{
    lnl_usock *k = checksock(L, F_PREFIX "poll");
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, k->s ? (lua_Integer)ln_udp_pending(k->s) : 0);
    lua_setfield(L, -2, "readable");
    int e = k->s ? ln_udp_error(k->s) : 0;
    if (e) {
        lua_pushstring(L, ln_strerror(e));
        lua_setfield(L, -2, "error");
    }
    return 1;
}

/* ---- the rest -------------------------------------------------------------------- */

static int udp_close(lua_State *L)
{
    lnl_usock *k = lnl_checkudata(L, 1, LNL_UDP, F_PREFIX "close");
    if (k->n->net) lnl_checkowner(L, k->n, k->node, F_PREFIX "close", LNL_DRIVE);
    if (k->s && k->n->net) {
        ln_udp_sock *s = k->s;
        release(L, k);
        if (k->n->dispatching) lnl_grave_udp(k->n, s);
        else ln_udp_close(s);
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int udp_gc(lua_State *L)
{
    lnl_usock *k = luaL_checkudata(L, 1, LNL_UDP);
    if (k->s && k->n->net) {
        ln_udp_sock *s = k->s;
        release(L, k);
        lnl_grave_udp(k->n, s);
    }
    free(k->buf);
    k->buf = NULL;
    k->cap = 0;
    return 0;
}

static int push_name(lua_State *L, lnl_usock *k, bool peer)
{
    if (!k->s) return lnl_push_err(L, LN_ECLOSED);
    uint32_t a;
    uint16_t p;
    if (peer) ln_udp_peer(k->s, &a, &p);
    else ln_udp_local(k->s, &a, &p);
    if (peer && !p) return lnl_push_err(L, LN_ENOTCONN);
    ln_in6 l6, r6;
    char b[LNL_IN6Z_LEN];
    int64_t dev = 0;
    ln_udp_getopt(k->s, LN_UDP_OPT_BINDTODEVICE, &dev);
    const ln_iface *zone = dev > 0 && (uint64_t)dev <= k->node->n_ifaces ? k->node->ifaces[dev - 1] : NULL;
    if (ln_udp_addrs6(k->s, &l6, &r6) && !(peer && ln_in6_is_unspec(&r6)))
        lua_pushstring(L, lnl_fmt_in6z(peer ? &r6 : &l6, zone, b));
    else
        lua_pushstring(L, ln_ip_fmt(a, b));
    lua_pushinteger(L, p);
    return 2;
}

static int udp_getsockname(lua_State *L) { return push_name(L, checksock(L, F_PREFIX "getsockname"), false); }
static int udp_getpeername(lua_State *L) { return push_name(L, checksock(L, F_PREFIX "getpeername"), true); }

static int udp_pending(lua_State *L)
{
    lnl_usock *k = checksock(L, F_PREFIX "pending");
    lua_pushinteger(L, k->s ? (lua_Integer)ln_udp_pending(k->s) : 0);
    return 1;
}

static int udp_tostring(lua_State *L)
{
    lnl_usock *k = luaL_checkudata(L, 1, LNL_UDP);
    if (!k->s || !k->n->net) {
        lua_pushliteral(L, "lunet.UdpSocket(closed)");
        return 1;
    }
    int r = lnl_remote_rank(k->n, k->node);
    if (r >= 0) {                     /* its endpoints here are a stale copy's */
        lua_pushfstring(L, "lunet.UdpSocket(%s, on rank %d)", k->node->name, r);
        return 1;
    }
    uint32_t la, ra;
    uint16_t lp, rp;
    ln_udp_local(k->s, &la, &lp);
    ln_udp_peer(k->s, &ra, &rp);
    char a[24], b[24];
    if (rp)
        lua_pushfstring(L, "lunet.UdpSocket(%s, %s > %s)", k->node->name,
                        lnl_fmt_endpoint(la, lp, true, a), lnl_fmt_endpoint(ra, rp, true, b));
    else
        lua_pushfstring(L, "lunet.UdpSocket(%s, %s)", k->node->name, lnl_fmt_endpoint(la, lp, true, a));
    return 1;
}

/* h:udp{broadcast=, reuseaddr=, rcvbuf=, ttl=, multicast_ttl=, multicast_loop=,
 *       multicast_if=, multicast_all=, bindtodevice=} */
static int node_udp(lua_State *L)
{
    const char *F = "node:udp";
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, F, LNL_DRIVE);
    if (!lua_isnoneornil(L, 2)) lnl_checkopts(L, 2, F, new_opts);
    lnl_check_not_in_hook(L, h->n, F);
    ln_udp_sock *s = ln_udp_socket(h->obj);
    if (!s) luaL_error(L, "%s: out of memory", F);
    lnl_usock *k = lua_newuserdatauv(L, sizeof *k, 1);
    memset(k, 0, sizeof *k);
    k->n = h->n;
    k->node = h->obj;
    luaL_setmetatable(L, LNL_UDP);
    lnl_push_net(L, h->n);
    lua_setiuservalue(L, -2, 1);
    k->s = s;
    k->next = h->n->usocks;
    if (h->n->usocks) h->n->usocks->prev = k;
    h->n->usocks = k;
    ln_udp_set_notify(s, on_notify, k);
    lnl_anchor(L, h->n, -1, k);              /* see lnl_anchor: held while open */
    if (!lua_isnoneornil(L, 2)) {
        for (const struct uopt *o = uopts; o->name; o++) {
            if (!lnl_optfield(L, 2, o->name)) continue;
            int rc = set_opt(L, s, o, lua_gettop(L), 0, F);
            lua_pop(L, 1);
            if (rc < 0) return lnl_push_err(L, rc);
        }
    }
    return 1;
}

void lnl_open_udp(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"bind", udp_bind}, {"connect", udp_connect}, {"sendto", udp_sendto}, {"send", udp_send},
        {"receivefrom", udp_receivefrom},
        {"try_receive", udp_try_receive}, {"poll", udp_poll}, {"receive", udp_receive},
        {"setoption", udp_setoption}, {"getoption", udp_getoption},
        {"getsockname", udp_getsockname}, {"getpeername", udp_getpeername},
        {"pending", udp_pending}, {"close", udp_close},
        {"join", udp_join}, {"leave", udp_leave}, {"groups", udp_groups},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", udp_gc}, {"__close", udp_close}, {"__tostring", udp_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_UDP, "UdpSocket", methods, meta);
    lnl_getmethods(L, "Node");
    lua_pushcfunction(L, node_udp);
    lua_setfield(L, -2, "udp");
    lua_pop(L, 1);
}
