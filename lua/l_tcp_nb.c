/* l_tcp_nb.c - TcpSocket's non-blocking calls, as a BSD socket with
 * O_NONBLOCK sees them: they never yield, so they work outside tasks, and
 * a call that would wait returns nil, "would block" (EAGAIN) instead.
 * `lunet packetdrill` builds its system calls on these (lua/lunet/pd_sys.lua),
 * and a script can drive sockets step by step with them:
 *
 *   s:try_connect(addr, port) -> true (the SYN is out) | nil, err
 *   s:try_accept()            -> TcpSocket | nil, "would block" | nil, err
 *   s:try_send(data)          -> bytes queued | nil, err
 *   s:try_receive(n)          -> data ("" at EOF) | nil, err
 *   s:poll()                  -> {state=, readable=, eof=, writable=, accept=, error=}
 *
 * Bytes a blocking receive already took into the read-ahead come first, so
 * the two styles can be mixed on one socket. */
#include <string.h>

#include "l_tcp.h"

#define F_PREFIX "TcpSocket:"

/* The engine socket, or NULL after pushing nil, "closed". */
static ln_tcp_sock *live(lua_State *L, lnl_tsock *k)
{
    if (!k->s) lnl_push_err(L, LN_ECLOSED);
    return k->s;
}

static int nb_connect(lua_State *L)
{
    const char *F = F_PREFIX "try_connect";
    lnl_tsock *k = lnl_tcp_check(L, F);
    uint32_t addr = 0;
    ln_in6 a6;
    ln_iface *zone;
    bool v6 = lnl_argaddr46z(L, 2, k->node, &addr, &a6, &zone, F);
    lua_Integer port = lnl_checkinteger(L, 3, F);
    if (port < 1 || port > 65535) lnl_argerror(L, 3, F, "port %I out of range (1..65535)", port);
    lnl_check_not_in_hook(L, k->n, F);
    if (!live(L, k)) return 2;
    return lnl_push_rc(L, v6 ? ln_tcp_connect6(k->s, &a6, (uint16_t)port, zone)
                             : ln_tcp_connect(k->s, addr, (uint16_t)port));
}

static int nb_accept(lua_State *L)
{
    const char *F = F_PREFIX "try_accept";
    lnl_tsock *k = lnl_tcp_check(L, F);
    lnl_check_not_in_hook(L, k->n, F);
    if (!live(L, k)) return 2;
    int n = lnl_tcp_accept_step(L, k, LN_EINVAL);
    return n ? n : lnl_push_err(L, LN_EAGAIN);
}

static int nb_send(lua_State *L)
{
    const char *F = F_PREFIX "try_send";
    lnl_tsock *k = lnl_tcp_check(L, F);
    if (lua_type(L, 2) != LUA_TSTRING) lnl_typeerror(L, 2, F, "string");
    size_t len;
    const char *data = lua_tolstring(L, 2, &len);
    lnl_check_not_in_hook(L, k->n, F);
    if (!live(L, k)) return 2;
    if (!len) {
        lua_pushinteger(L, 0);
        return 1;
    }
    int64_t r = ln_tcp_send(k->s, data, len);
    if (r < 0) return lnl_push_err(L, (int)r);
    lua_pushinteger(L, (lua_Integer)r);
    return 1;
}

static int nb_receive(lua_State *L)
{
    const char *F = F_PREFIX "try_receive";
    lnl_tsock *k = lnl_tcp_check(L, F);
    lua_Integer n = lnl_checkinteger(L, 2, F);
    if (n < 0) lnl_argerror(L, 2, F, "byte count %I is negative", n);
    lnl_check_not_in_hook(L, k->n, F);
    if (k->rlen) {
        lnl_tcp_rbuf_take(L, k, (size_t)n < k->rlen ? (size_t)n : k->rlen, 0);
        return 1;
    }
    if (!live(L, k)) return 2;
    if (n == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (!lnl_tcp_rbuf_reserve(k, (size_t)n)) return luaL_error(L, "%s: out of memory", F);
    int64_t r = ln_tcp_recv(k->s, k->rbuf, (size_t)n);
    if (r < 0) return lnl_push_err(L, (int)r);
    lua_pushlstring(L, k->rbuf, (size_t)r);
    return 1;
}

static void setint(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

/* What poll(2) and SO_ERROR need, in one look. */
static int nb_poll(lua_State *L)
{
    lnl_tsock *k = lnl_tcp_check(L, F_PREFIX "poll");
    lua_createtable(L, 0, 6);
    if (!k->s) {
        lua_pushliteral(L, "CLOSED");
        lua_setfield(L, -2, "state");
        setint(L, "readable", (lua_Integer)k->rlen);
        return 1;
    }
    ln_tcp_info ti;
    ln_tcp_get_info(k->s, &ti);
    bool eof = false;
    size_t avail = ln_tcp_readable(k->s, &eof);
    lua_pushstring(L, ln_tcp_state_name(ti.state));
    lua_setfield(L, -2, "state");
    setint(L, "readable", (lua_Integer)(avail + k->rlen));
    lua_pushboolean(L, eof);
    lua_setfield(L, -2, "eof");
    setint(L, "writable", (lua_Integer)ln_tcp_writable(k->s));
    if (ti.state == LN_TCP_LISTEN) setint(L, "accept", ti.accept_queue);
    if (ti.error) {
        lua_pushstring(L, ln_strerror(ti.error));
        lua_setfield(L, -2, "error");
    }
    return 1;
}

void lnl_open_tcp_nb(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"try_connect", nb_connect}, {"try_accept", nb_accept}, {"try_send", nb_send},
        {"try_receive", nb_receive}, {"poll", nb_poll}, {NULL, NULL},
    };
    lnl_getmethods(L, "TcpSocket");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 1);
}
