/* l_event.c - the event stream seen from Lua (net:on / net:off), and the
 * one way engine callbacks enter Lua (lnl_protected).
 *
 * A network has at most one engine subscription for Lua hooks, with the
 * union of the hooks' masks (so the engine builds no event nobody wants);
 * each event is turned into a table once and handed to every hook that
 * asked for its type, in subscription order.  A hook that raises stops the
 * simulation; net:run raises the error.  Hooks never run while an error is
 * pending or while the network is being torn down. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "in6.h"
#include "link.h"
#include "node.h"
#include "tcp.h"
#include "wire.h"
#include "lunet.h"
#include "packet.h"

void lnl_fail(lua_State *L, lnl_net *n)
{
    if (!n->failed && n->net && lnl_push_net(L, n)) {
        lua_getiuservalue(L, -1, 1);
        lua_pushvalue(L, -3);
        lua_setfield(L, -2, "err");
        lua_pop(L, 2);
        n->failed = true;
    } else if (!n->failed) {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (n->net) ln_sim_stop(&n->net->sim);
}

void lnl_protected(lnl_net *n, lua_CFunction fn, void *arg)
{
    lua_State *D = n->cb;
    if (!lua_checkstack(D, 4)) { if (n->net) ln_sim_stop(&n->net->sim); return; }
    int top = lua_gettop(D);
    lua_pushcfunction(D, fn);
    lua_pushlightuserdata(D, arg);
    if (lua_pcall(D, 1, 0, 0) != LUA_OK) lnl_fail(D, n);
    lua_settop(D, top);
}

/* ---- net:on / net:off -------------------------------------------------- */

static const struct { const char *name; uint32_t mask; } ev_types[] = {
    {"tx", LN_EV_MASK(LN_EV_TX)},
    {"rx", LN_EV_MASK(LN_EV_RX)},
    {"drop", LN_EV_MASK(LN_EV_DROP)},
    {"link", LN_EV_MASK(LN_EV_LINK)},
    {"arp", LN_EV_MASK(LN_EV_ARP)},
    {"icmp", LN_EV_MASK(LN_EV_ICMP_OUT)},
    {"tcp", LN_EV_MASK(LN_EV_TCP_STATE)},
    {"cwnd", LN_EV_MASK(LN_EV_TCP_CWND)},
    {"timer", LN_EV_MASK(LN_EV_TIMER)},
    {"rtt", LN_EV_MASK(LN_EV_TCP_RTT)},
    {"queue", LN_EV_MASK(LN_EV_QUEUE)},
    {"tcp_state", LN_EV_MASK(LN_EV_TCP_STATE)},      /* older names */
    {"tcp_cwnd", LN_EV_MASK(LN_EV_TCP_CWND)},
    {"user", LN_EV_MASK(LN_EV_USER)},
    {"all", LN_EV_ALL},
    {NULL, 0},
};

static const char *type_name(ln_ev_type t)
{
    if (t == LN_EV_ICMP_OUT) return "icmp";
    if (t == LN_EV_TCP_STATE) return "tcp";
    if (t == LN_EV_TCP_CWND) return "cwnd";
    if (t == LN_EV_TCP_RTT) return "rtt";
    return ln_ev_type_name(t);
}

typedef struct dispatch_arg {
    lnl_net *n;
    const ln_event *ev;
} dispatch_arg;

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (!v) return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* ev.src, ev.sport, ev.flags, ev.seq, ... of an IPv4 or IPv6 packet. */
static void push_pktinfo(lua_State *L, const ln_event *ev)
{
    lnl_pktinfo pi;
    if (!lnl_pktinfo_get(ev->pkt->data, ev->pkt->len, (int)ev->layer, ev->pkt->buf, &pi)) return;
    if (pi.v6) {
        char b[LN_IN6_FMTLEN];
        ln_in6 a;
        memcpy(a.b, pi.src6, 16);
        set_str(L, "src", ln_ip6_fmt(&a, b));
        memcpy(a.b, pi.dst6, 16);
        set_str(L, "dst", ln_ip6_fmt(&a, b));
        set_str(L, "proto", pi.proto == 6 ? "tcp" : pi.proto == 17 ? "udp" : pi.proto == 58 ? "icmp6" : "ip6");
        set_int(L, "ttl", pi.ttl);                 /* the hop limit */
    } else {
        char b[16];
        set_str(L, "src", ln_ip_fmt(pi.src, b));
        set_str(L, "dst", ln_ip_fmt(pi.dst, b));
        set_str(L, "proto", pi.proto == 6 ? "tcp" : pi.proto == 17 ? "udp" : pi.proto == 1 ? "icmp"
                            : pi.proto == 2 ? "igmp" : "ip");
        set_int(L, "ttl", pi.ttl);
        set_int(L, "ipid", pi.ipid);
    }
    if (!pi.l4) return;
    set_int(L, "sport", pi.sport);
    set_int(L, "dport", pi.dport);
    set_int(L, "payload", pi.payload);
    if (!pi.tcp) return;
    set_str(L, "flags", pi.flag_letters);
    set_int(L, "seq", pi.seq);
    if (pi.flags & 0x10) set_int(L, "ack", pi.ack);
    set_int(L, "win", pi.win);
}

/* "10.0.0.1:40000>10.0.0.2:80", the local side first. */
static void push_flow(lua_State *L, const ln_flow *f)
{
    char a[LNL_EPLEN], b[LNL_EPLEN];
    if (f->src6 && f->dst6)
        lua_pushfstring(L, "%s>%s", lnl_fmt_endpoint6(f->src6, f->sport, false, a),
                        lnl_fmt_endpoint6(f->dst6, f->dport, false, b));
    else
        lua_pushfstring(L, "%s>%s", lnl_fmt_endpoint(f->src, f->sport, false, a),
                        lnl_fmt_endpoint(f->dst, f->dport, false, b));
    lua_setfield(L, -2, "flow");
}

/* ev.packet: the dissection of ev.bytes, made on first read (most hooks
 * never look) and then kept in the table. */
static int event_index(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING || strcmp(lua_tostring(L, 2), "packet") != 0) return 0;
    lua_getfield(L, 1, "bytes");
    lua_getfield(L, 1, "layer");
    size_t n;
    const char *b = lua_tolstring(L, -2, &n);
    const char *layer = lua_tostring(L, -1);
    if (!b || !layer || (strcmp(layer, "l2") != 0 && strcmp(layer, "l3") != 0)) return 0;
    lnl_dissect_push(L, (const uint8_t *)b, (uint32_t)n, layer[1] == '2' ? LNL_AT_ETH : LNL_AT_IP);
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "packet");
    return 1;
}

void lnl_open_event_meta(lua_State *L)
{
    luaL_newmetatable(L, LNL_EVENT);
    lua_pushcfunction(L, event_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

static void push_event(lua_State *L, const ln_event *ev)
{
    lua_createtable(L, 0, 12);
    set_str(L, "type", type_name(ev->type));
    lua_pushinteger(L, (lua_Integer)ev->time);
    lua_setfield(L, -2, "time");
    const ln_node *nd = ev->node;
    if (!nd && ev->iface) nd = ev->iface->node;
    if (nd) set_str(L, "node", nd->name);
    if (ev->iface) set_str(L, "iface", ev->iface->name);
    if (ev->port) set_str(L, "port", ev->port->name);
    const ln_link *lk = ev->link ? ev->link : ev->port ? ev->port->link : NULL;
    if (lk) set_str(L, "link", LN_LINK_NAME_OF(lk));
    if (ev->type == LN_EV_TX || ev->type == LN_EV_RX || ev->type == LN_EV_LINK ||
        ev->type == LN_EV_QUEUE || (ev->type == LN_EV_DROP && ev->link)) {
        lua_pushinteger(L, ev->dir);
        lua_setfield(L, -2, "dir");
    }
    if (ev->type == LN_EV_DROP) set_str(L, "reason", ln_drop_reason_name(ev->reason));
    if (ev->pkt) {
        lua_pushinteger(L, ev->pkt->len);
        lua_setfield(L, -2, "len");
        lua_pushinteger(L, (lua_Integer)ev->pkt->id);
        lua_setfield(L, -2, "id");
        /* The packet itself, from the layer the event saw it at: scripts
         * can decode what the summary leaves out (string.unpack). */
        lua_pushlstring(L, (const char *)ev->pkt->data, ev->pkt->len);
        lua_setfield(L, -2, "bytes");
        static const char *const layers[] = { "none", "l2", "l3", "l4" };
        set_str(L, "layer", layers[ev->layer <= LN_LAYER_L4 ? ev->layer : 0]);
        if (ev->layer == LN_LAYER_L2 && ev->pkt->len >= LN_ETH_HLEN) {
            char m[18];
            set_str(L, "dst_mac", ln_mac_fmt(ev->pkt->data + LN_ETH_DST, m));
            set_str(L, "src_mac", ln_mac_fmt(ev->pkt->data + LN_ETH_SRC, m));
            set_int(L, "ethertype", ln_get16(ev->pkt->data + LN_ETH_TYPE));
        }
        char sum[256];
        lnl_summary(ev->pkt->data, ev->pkt->len, (int)ev->layer, ev->pkt->buf, sum, sizeof sum);
        if (*sum) set_str(L, "summary", sum);
        push_pktinfo(L, ev);
        if (ev->pkt->kind) set_str(L, "kind", ln_pkt_kind_name(ev->pkt->kind));
        luaL_setmetatable(L, LNL_EVENT);       /* made once by lnl_open_event_meta */
    }
    switch (ev->type) {
    case LN_EV_TCP_STATE:
        set_str(L, "from", ln_tcp_state_name((ln_tcp_state)ev->value));
        set_str(L, "to", ln_tcp_state_name((ln_tcp_state)ev->value2));
        push_flow(L, &ev->flow);
        break;
    case LN_EV_TCP_CWND:
        set_int(L, "cwnd", (lua_Integer)ev->value);
        set_int(L, "ssthresh", (lua_Integer)ev->value2);
        set_str(L, "why", ev->text);
        push_flow(L, &ev->flow);
        break;
    case LN_EV_TIMER:
        set_str(L, "timer", ev->text);
        set_int(L, "backoff", (lua_Integer)ev->value);
        if (ev->value2) set_int(L, "rto", (lua_Integer)ev->value2);
        push_flow(L, &ev->flow);
        break;
    case LN_EV_TCP_RTT:
        set_int(L, "rtt", (lua_Integer)ev->value);
        set_int(L, "srtt", (lua_Integer)ev->value2);
        set_int(L, "rto", (lua_Integer)ev->value3);
        push_flow(L, &ev->flow);
        break;
    case LN_EV_QUEUE:
        set_int(L, "qlen", (lua_Integer)ev->value);
        set_int(L, "qbytes", (lua_Integer)ev->value2);
        break;
    default:
        break;
    }
    lua_pushinteger(L, (lua_Integer)ev->value);
    lua_setfield(L, -2, "value");
    if (ev->type == LN_EV_ARP) set_str(L, "state", ln_nud_state_name((ln_nud_state)ev->value));
    if (ev->type == LN_EV_LINK) {
        lua_pushboolean(L, ev->value != 0);
        lua_setfield(L, -2, "up");
    }
    if (ev->type == LN_EV_ICMP_OUT) {
        lua_pushinteger(L, (lua_Integer)((ev->value >> 8) & 0xff));
        lua_setfield(L, -2, "icmp_type");
        lua_pushinteger(L, (lua_Integer)(ev->value & 0xff));
        lua_setfield(L, -2, "icmp_code");
        /* value2: the next header of ICMPv6 (58), 0 for ICMP */
        if (ev->value2 == 58) {
            lua_pushinteger(L, 6);
            lua_setfield(L, -2, "family");
        }
    }
    set_str(L, "text", ev->text);
}

static int dispatch(lua_State *L)
{
    dispatch_arg *a = lua_touserdata(L, 1);
    lnl_net *n = a->n;
    uint32_t bit = LN_EV_MASK(a->ev->type);
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "hooks");                     /* 3 */
    bool built = false;
    n->dispatching++;
    /* n_hooks may grow while we call (a hook adding a hook): new ones see
     * the next event. */
    int count = n->n_hooks;
    for (int i = 0; i < count && !n->failed && n->net; i++) {
        lnl_hook h = n->hooks[i];
        if (!h.id || !(h.mask & bit)) continue;
        if (!built) { push_event(L, a->ev); built = true; }   /* 4 */
        lua_rawgeti(L, 3, h.id);
        lua_pushvalue(L, 4);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            n->dispatching--;
            return lua_error(L);
        }
    }
    n->dispatching--;
    return 0;
}

static void on_event(const ln_event *ev, void *arg)
{
    lnl_net *n = arg;
    if (n->failed || !n->net) return;
    dispatch_arg a = { n, ev };
    lnl_protected(n, dispatch, &a);
}

/* Keep the engine subscription's mask equal to the union of the hooks'. */
static void resubscribe(lnl_net *n)
{
    uint32_t m = 0;
    for (int i = 0; i < n->n_hooks; i++) if (n->hooks[i].id) m |= n->hooks[i].mask;
    if (m == n->sub_mask && (n->sub_id != 0) == (m != 0)) return;
    if (n->sub_id) ln_net_unsubscribe(n->net, n->sub_id);
    n->sub_id = 0;
    n->sub_mask = m;
    if (m) {
        int id = ln_net_subscribe(n->net, m, on_event, n);
        n->sub_id = id > 0 ? id : 0;
    }
}

int lnl_net_on(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:on");
    const char *ty = lnl_checkstring(L, 2, "net:on");
    if (!lua_isfunction(L, 3)) lnl_typeerror(L, 3, "net:on", "function");
    uint32_t mask = 0;
    for (int i = 0; ev_types[i].name; i++)
        if (strcmp(ev_types[i].name, ty) == 0) mask = ev_types[i].mask;
    if (!mask)
        lnl_argerror(L, 2, "net:on", "event type \"%s\" unknown (known: tx, rx, drop, link, arp, "
                                     "icmp, tcp, cwnd, timer, rtt, queue, user, all)", ty);
    if (!n->dispatching) {                 /* compact removed hooks */
        int j = 0;
        for (int i = 0; i < n->n_hooks; i++) if (n->hooks[i].id) n->hooks[j++] = n->hooks[i];
        n->n_hooks = j;
    }
    if (n->n_hooks == n->cap_hooks) {
        int ncap = n->cap_hooks ? n->cap_hooks * 2 : 8;
        lnl_hook *nh = realloc(n->hooks, sizeof *nh * (size_t)ncap);
        if (!nh) luaL_error(L, "net:on: out of memory");
        n->hooks = nh;
        n->cap_hooks = ncap;
    }
    int id = n->next_hook++;
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "hooks");
    lua_pushvalue(L, 3);
    lua_rawseti(L, -2, id);
    lua_pop(L, 2);
    n->hooks[n->n_hooks++] = (lnl_hook){ id, mask };
    resubscribe(n);
    if (!n->sub_id) luaL_error(L, "net:on: out of memory");
    lua_pushinteger(L, id);
    return 1;
}

int lnl_net_off(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:off");
    lua_Integer id = lnl_checkinteger(L, 2, "net:off");
    bool found = false;
    for (int i = 0; i < n->n_hooks; i++)
        if (n->hooks[i].id == id) { n->hooks[i].id = 0; found = true; }
    if (found) {
        lnl_push_uv(L, n);
        lua_getfield(L, -1, "hooks");
        lua_pushnil(L);
        lua_rawseti(L, -2, id);
        lua_pop(L, 2);
        resubscribe(n);
    }
    lua_pushboolean(L, found);
    return 1;
}

/* Network closing: no hook may run any more.  The array itself is freed by
 * the Net's __gc. */
void lnl_hooks_clear(lnl_net *n)
{
    if (n->sub_id && n->net) ln_net_unsubscribe(n->net, n->sub_id);
    n->sub_id = 0;
    n->sub_mask = 0;
    for (int i = 0; i < n->n_hooks; i++) n->hooks[i].id = 0;
}
