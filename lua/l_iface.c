/* l_iface.c - lunet.Iface: one interface of a node (address, MTU, state,
 * counters, gratuitous ARP, the link it is attached to, multicast groups).
 *
 * Fields: name, node, mac, index; everything else is a method. */
#include <string.h>

#include "arp.h"
#include "igmp.h"
#include "node.h"
#include "lunet.h"

#define IFC(h) ((ln_iface *)(h)->obj)

/* An interface is its node's: the rule of a split run is its node's
 * (lnl_access). */
static lnl_handle *checkiface(lua_State *L, const char *fname, lnl_access acc)
{
    return lnl_checkhandle(L, 1, LNL_IFACE, fname, acc);
}

static int iface_index(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_IFACE);
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (!k || !h->n->net) { lua_pushnil(L); return 1; }
    ln_iface *ifc = IFC(h);
    char b[18];
    if (strcmp(k, "name") == 0) lua_pushstring(L, ifc->name);
    else if (strcmp(k, "node") == 0) lnl_push_handle(L, h->n, ifc->node, LNL_NODE);
    else if (strcmp(k, "mac") == 0) lua_pushstring(L, ln_mac_fmt(ifc->mac, b));
    else if (strcmp(k, "index") == 0) lua_pushinteger(L, (lua_Integer)ifc->index + 1);
    else lua_pushnil(L);
    return 1;
}

static int iface_tostring(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_IFACE);
    if (!h->n->net) lua_pushliteral(L, "lunet.Iface(closed)");
    else lua_pushfstring(L, "lunet.Iface(%s)", IFC(h)->port.name);
    return 1;
}

static int iface_addr(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:addr", lua_isnone(L, 2) ? LNL_DESCRIBE : LNL_RESHAPE);
    return lnl_iface_addr(L, IFC(h), 2, "iface:addr");
}

static int iface_ip(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:ip", LNL_DESCRIBE);
    char b[16];
    if (IFC(h)->plen == LN_NO_ADDR) lua_pushnil(L);
    else lua_pushstring(L, ln_ip_fmt(IFC(h)->addr, b));
    return 1;
}

static int iface_mtu(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:mtu", lua_isnone(L, 2) ? LNL_DESCRIBE : LNL_RESHAPE);
    if (!lua_isnone(L, 2)) {
        lua_Integer m = lnl_checkinteger(L, 2, "iface:mtu");
        /* RFC 791: every IPv4 link must carry 68-byte datagrams. */
        if (m < 68 || m > 65535) lnl_argerror(L, 2, "iface:mtu", "%I out of range (68..65535)", m);
        IFC(h)->mtu = (uint32_t)m;
    }
    lua_pushinteger(L, IFC(h)->mtu);
    return 1;
}

static int iface_up(lua_State *L)
{
    ln_iface_set_up(IFC(checkiface(L, "iface:up", LNL_DRIVE)), true);
    return 0;
}

static int iface_down(lua_State *L)
{
    ln_iface_set_up(IFC(checkiface(L, "iface:down", LNL_DRIVE)), false);
    return 0;
}

static int iface_is_up(lua_State *L)
{
    lua_pushboolean(L, IFC(checkiface(L, "iface:is_up", LNL_OBSERVE))->up);
    return 1;
}

static int iface_promisc(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:promisc", lua_isnone(L, 2) ? LNL_OBSERVE : LNL_DRIVE);
    if (!lua_isnone(L, 2)) {
        if (!lua_isboolean(L, 2)) lnl_typeerror(L, 2, "iface:promisc", "boolean");
        IFC(h)->promisc = lua_toboolean(L, 2);
    }
    lua_pushboolean(L, IFC(h)->promisc);
    return 1;
}

static int iface_stats(lua_State *L)
{
#define C(field) LNL_COUNTER(ln_iface_stats, field)
    static const lnl_counter counters[] = {
        C(rx_packets), C(rx_bytes), C(rx_dropped), C(rx_errors), C(tx_packets), C(tx_bytes),
        C(tx_dropped), {NULL, 0},
    };
#undef C
    lnl_push_counters(L, &IFC(checkiface(L, "iface:stats", LNL_OBSERVE))->st, counters);
    return 1;
}

static int iface_garp(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:garp", LNL_OBSERVE);
    if (IFC(h)->plen == LN_NO_ADDR)
        luaL_error(L, "iface:garp: %s has no address to announce", IFC(h)->port.name);
    int rc = ln_arp_gratuitous(IFC(h));
    if (rc < 0) {
        lua_pushnil(L);
        lua_pushstring(L, ln_strerror(rc));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

struct groups_ctx { lua_State *L; lua_Integer i; };

static bool push_group(uint32_t group, uint32_t users, void *arg)
{
    struct groups_ctx *c = arg;
    char b[18];
    uint8_t mac[6];
    lua_createtable(c->L, 0, 3);
    lua_pushstring(c->L, ln_ip_fmt(group, b));
    lua_setfield(c->L, -2, "group");
    ln_mc_mac(group, mac);
    lua_pushstring(c->L, ln_mac_fmt(mac, b));
    lua_setfield(c->L, -2, "mac");
    lua_pushinteger(c->L, (lua_Integer)users);
    lua_setfield(c->L, -2, "users");
    lua_rawseti(c->L, -2, ++c->i);
    return true;
}

/* ifc:groups(): the multicast groups the interface receives, in address
 * order, {group=, mac=, users=} (users: sockets that joined; 224.0.0.1 is
 * always there, joined by the host itself), like `ip maddr show dev`. */
static int iface_groups(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:groups", LNL_OBSERVE);
    lua_newtable(L);
    struct groups_ctx c = { L, 0 };
    ln_igmp_foreach(IFC(h), push_group, &c);
    return 1;
}

static int iface_link(lua_State *L)
{
    lnl_handle *h = checkiface(L, "iface:link", LNL_DESCRIBE);
    lnl_push_handle(L, h->n, IFC(h)->port.link, LNL_LINK);
    return 1;
}

void lnl_open_iface(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"addr", iface_addr}, {"ip", iface_ip}, {"mtu", iface_mtu},
        {"up", iface_up}, {"down", iface_down}, {"is_up", iface_is_up},
        {"promisc", iface_promisc}, {"stats", iface_stats}, {"garp", iface_garp},
        {"link", iface_link}, {"groups", iface_groups}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", iface_index}, {"__tostring", iface_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_IFACE, "Iface", methods, meta);
}
