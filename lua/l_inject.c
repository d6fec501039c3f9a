/* l_inject.c - the Lua face of packets: lunet.packet and lunet.dissect,
 * the Packet userdata, and host:inject / host:deliver.
 *
 * host:inject sends a crafted packet from a host as a raw socket would
 * (SOCK_RAW with IP_HDRINCL for an IP packet, AF_PACKET for a frame): it
 * bypasses the host's sockets and TCP/UDP state but not its routing, ARP
 * and output firewall, and any source address goes. */
#include <string.h>

#include "arp.h"
#include "igmp.h"
#include "addr.h"
#include "ip.h"
#include "ip6.h"
#include "nd.h"
#include "net.h"
#include "node.h"
#include "route.h"
#include "wire.h"
#include "lunet.h"
#include "packet.h"

/* ---- Packet ---------------------------------------------------------------- */

static lnl_packet *checkpacket(lua_State *L, int idx, const char *fname)
{
    lnl_packet *p = luaL_testudata(L, idx, LNL_PACKET);
    if (!p) lnl_typeerror(L, idx, fname, "Packet (from lunet.packet)");
    return p;
}

static int packet_bytes(lua_State *L)
{
    lnl_packet *p = checkpacket(L, 1, "Packet:bytes");
    lua_pushlstring(L, (const char *)p->bytes, p->len);
    return 1;
}

static int packet_dissect(lua_State *L)
{
    lnl_packet *p = checkpacket(L, 1, "Packet:dissect");
    lnl_dissect_push(L, p->bytes, p->len, p->at);
    return 1;
}

static int packet_len(lua_State *L)
{
    lua_pushinteger(L, checkpacket(L, 1, "Packet:__len")->len);
    return 1;
}

static int packet_eq(lua_State *L)
{
    lnl_packet *a = luaL_testudata(L, 1, LNL_PACKET), *b = luaL_testudata(L, 2, LNL_PACKET);
    lua_pushboolean(L, a && b && a->len == b->len && a->at == b->at && memcmp(a->bytes, b->bytes, a->len) == 0);
    return 1;
}

/* tostring of a Packet or of a dissection: the layers, one line each, as
 * lunet.layers formats them. */
static int fmt_layers(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lunet.layers");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "format");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

static int packet_tostring(lua_State *L)
{
    lnl_packet *p = checkpacket(L, 1, "Packet:__tostring");
    lnl_dissect_push(L, p->bytes, p->len, p->at);
    lua_replace(L, 1);
    return fmt_layers(L);
}

/* ---- lunet.packet, lunet.dissect -------------------------------------------- */

static int l_packet(lua_State *L)
{
    lnl_packet_build(L, 1, "lunet.packet", NULL);
    return 1;
}

const uint8_t *lnl_packet_arg(lua_State *L, int idx, const char *fname, uint32_t *len, lnl_at *at)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (n > UINT32_MAX) luaL_error(L, "%s: too many bytes", fname);
        *len = (uint32_t)n;
        *at = LNL_AT_ETH;
        return (const uint8_t *)s;
    }
    if (lua_type(L, idx) == LUA_TTABLE) {
        lnl_packet_build(L, idx, fname, NULL);
        lua_replace(L, idx);
    }
    lnl_packet *p = luaL_testudata(L, idx, LNL_PACKET);
    if (!p) lnl_typeerror(L, idx, fname, "Packet, table of layers or string of frame bytes");
    *len = p->len;
    *at = p->at;
    return p->bytes;
}

static int l_dissect(lua_State *L)
{
    uint32_t len;
    lnl_at at;
    const uint8_t *b = lnl_packet_arg(L, 1, "lunet.dissect", &len, &at);
    if (!lua_isnoneornil(L, 2)) {
        const char *s = lnl_checkstring(L, 2, "lunet.dissect");
        if (strcmp(s, "eth") == 0) at = LNL_AT_ETH;
        else if (strcmp(s, "ip") == 0) at = LNL_AT_IP;
        else lnl_argerror(L, 2, "lunet.dissect", "the first layer \"%s\" unknown (\"eth\" or \"ip\")", s);
    }
    lnl_dissect_push(L, b, len, at);
    return 1;
}

/* ---- host:inject, host:deliver ------------------------------------------------ */

/* The interface and next hop towards dst, as the host's routing says
 * (the iface argument, when given, fixes the interface). */
static bool route_to(ln_node *nd, uint32_t dst, ln_iface *want, ln_iface **ifc, uint32_t *nexthop)
{
    if (ln_ip_is_mcast(dst)) {
        /* As the stack sends to a group (ln_ip_output): the interface its
         * route or the host's first names, the group itself as next hop,
         * never a gateway. */
        *ifc = want ? want : ln_ip_mcast_iface(nd, dst);
        *nexthop = dst;
        return *ifc != NULL;
    }
    const ln_route *r = ln_route_lookup(&nd->routes, dst);
    if (r && (!want || r->iface == want)) {
        *ifc = r->iface;
        *nexthop = r->gateway ? r->gateway : dst;
        return true;
    }
    if (want) {                   /* on the wire of that interface, as SO_BINDTODEVICE */
        *ifc = want;
        *nexthop = dst;
        return true;
    }
    return false;
}

static bool peek_ip(lua_State *L, int t, const char *layer, const char *k, uint32_t *a)
{
    bool ok = false;
    if (lua_getfield(L, t, layer) == LUA_TTABLE && lua_getfield(L, -1, k) == LUA_TSTRING) {
        uint8_t plen;
        char err[8];
        ok = ln_ip_parse(lua_tostring(L, -1), a, &plen, err, sizeof err) == 0;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return ok;
}

/* The same for IPv6: the route's interface and next hop (link-local and
 * multicast destinations go out of the interface given, else the first). */
static bool route6_to(ln_node *nd, const ln_in6 *dst, ln_iface *want, ln_iface **ifc, ln_in6 *nexthop)
{
    ln_iface *i = ln_ip6_route(nd, dst, want, nexthop);
    if (i) {
        *ifc = i;
        return true;
    }
    if (want) {
        *ifc = want;
        *nexthop = *dst;
        return true;
    }
    return false;
}

static bool peek_ip6(lua_State *L, int t, ln_in6 *a)
{
    bool ok = false;
    if (lua_getfield(L, t, "ipv6") == LUA_TTABLE && lua_getfield(L, -1, "dst") == LUA_TSTRING) {
        uint8_t plen;
        char err[8];
        ok = ln_ip6_parse(lua_tostring(L, -1), a, &plen, err, sizeof err) == 0 && plen == LN_NO_ADDR;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return ok;
}

/* Defaults from the host for an IPv6 packet out of ifc towards dst: its
 * source address, and the next hop's MAC from the neighbour cache. */
static void defaults6(ln_node *nd, ln_iface *ifc, bool routed, const ln_in6 *dst, const ln_in6 *nexthop,
                      lnl_pkt_defaults *def, char *why, size_t whylen)
{
    def->have_src_ip6 = ln_ip6_src_select(nd, ifc, dst, &def->src_ip6);
    const ln_neigh *e = routed ? ln_nd_lookup(nd, ifc, nexthop) : NULL;
    char a[LN_IN6_FMTLEN];
    if (routed && ln_in6_is_mcast(nexthop)) {
        def->have_dst_mac = true;        /* 33:33 and the group's low 32 bits (RFC 2464 7) */
        ln_in6_mc_mac(nexthop, def->dst_mac);
    } else if (e && ln_nud_valid(e->state)) {
        def->have_dst_mac = true;
        memcpy(def->dst_mac, e->mac, 6);
    } else if (routed) {
        snprintf(why, whylen, "%s has no neighbour entry for the next hop %s on %s; give eth.dst, or leave "
                 "eth out and %s resolves it", nd->name, ln_ip6_fmt(nexthop, a), ifc->name, nd->name);
        def->why_no_dst_mac = why;
    } else {
        snprintf(why, whylen, "%s has no route to %s", nd->name, ln_ip6_fmt(dst, a));
        def->why_no_dst_mac = why;
    }
}

static int node_inject(lua_State *L)
{
    static const char F[] = "node:inject";
    /* It fills the frame from the host's routes and ARP cache, which only
     * its own rank has as they are. */
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, F, LNL_OBSERVE);
    ln_node *nd = h->obj;
    ln_iface *want = lua_isnoneornil(L, 3) ? NULL : lnl_argiface(L, 3, nd, F);
    ln_iface *ifc = want;
    uint32_t nexthop = 0, dst = 0;
    bool routed = false;

    if (lua_type(L, 2) == LUA_TTABLE) {
        /* Fill what the table leaves out from what the host knows. */
        lnl_pkt_defaults def = {0};
        char why[200] = "";
        ln_in6 dst6, nh6;
        bool v6 = peek_ip6(L, 2, &dst6);
        if (v6) routed = route6_to(nd, &dst6, want, &ifc, &nh6);
        else if (peek_ip(L, 2, "ip", "dst", &dst) || peek_ip(L, 2, "arp", "dst_proto_ipv4", &dst))
            routed = route_to(nd, dst, want, &ifc, &nexthop);
        if (!ifc && nd->n_ifaces) ifc = nd->ifaces[0];
        if (ifc && v6) {
            def.have_src_mac = true;
            memcpy(def.src_mac, ifc->mac, 6);
            defaults6(nd, ifc, routed, &dst6, &nh6, &def, why, sizeof why);
        } else if (ifc) {
            def.have_src_mac = true;
            memcpy(def.src_mac, ifc->mac, 6);
            if (ifc->plen != LN_NO_ADDR) def.have_src_ip = true, def.src_ip = ifc->addr;
            ln_neigh *e = routed ? ln_arp_lookup(nd, ifc, nexthop) : NULL;
            if (routed && ln_ip_is_mcast(nexthop)) {
                def.have_dst_mac = true;          /* no ARP for a group: RFC 1112 6.4 */
                ln_mc_mac(nexthop, def.dst_mac);
            } else if (e && ln_nud_valid(e->state)) {
                def.have_dst_mac = true;
                memcpy(def.dst_mac, e->mac, 6);
            } else {
                char a[16];
                snprintf(why, sizeof why, routed ? "%s has no ARP entry for the next hop %s on %s; give "
                         "eth.dst, or leave eth out and %s resolves it" : "%s has no route to %s (from %s)%s",
                         nd->name, ln_ip_fmt(routed ? nexthop : dst, a), ifc->name, routed ? nd->name : "");
                def.why_no_dst_mac = why;
            }
        }
        lnl_packet_build(L, 2, F, &def);
        lua_replace(L, 2);
    }
    uint32_t len;
    lnl_at at;
    const uint8_t *b = lnl_packet_arg(L, 2, F, &len, &at);
    bool ip6 = false;
    ln_in6 dst6, nh6;
    if (at == LNL_AT_IP && len >= 1 && (b[0] >> 4) == 6) {
        if (len < LN_IP6_HLEN)
            luaL_error(L, "%s: an IPv6 packet needs its 40-byte header (build it with eth to send anything)", F);
        if (!nd->ip6)
            luaL_error(L, "%s: %s has IPv6 off, so nothing resolves an IPv6 next hop (give it an address with "
                       "addr6, or build the packet with eth)", F, nd->name);
        ip6 = true;
        memcpy(dst6.b, b + LN_IP6_DST, 16);
        ifc = want;
        if (!route6_to(nd, &dst6, want, &ifc, &nh6)) {
            lua_pushnil(L);
            lua_pushliteral(L, "unreachable");
            return 2;
        }
    } else if (at == LNL_AT_IP) {
        if (len < LN_IP_HLEN || (b[0] >> 4) != 4)
            luaL_error(L, "%s: an IP packet needs its 20-byte IPv4 or 40-byte IPv6 header (build it with eth to "
                       "send anything)", F);
        dst = ln_get32(b + LN_IP_DST);
        ifc = want;
        if (!route_to(nd, dst, want, &ifc, &nexthop)) {
            lua_pushnil(L);
            lua_pushliteral(L, "unreachable");
            return 2;
        }
    } else if (!ifc) {
        /* A frame: out of the interface given, else the one the IP inside
         * routes to, else the first. */
        if (len >= LN_ETH_HLEN + LN_IP_HLEN && ln_get16(b + LN_ETH_TYPE) == LN_ETHERTYPE_IPV4)
            route_to(nd, ln_get32(b + LN_ETH_HLEN + LN_IP_DST), NULL, &ifc, &nexthop);
        else if (len >= LN_ETH_HLEN + LN_IP6_HLEN && ln_get16(b + LN_ETH_TYPE) == LN_ETHERTYPE_IPV6) {
            memcpy(dst6.b, b + LN_ETH_HLEN + LN_IP6_DST, 16);
            route6_to(nd, &dst6, NULL, &ifc, &nh6);
        }
        if (!ifc && nd->n_ifaces) ifc = nd->ifaces[0];
        if (!ifc) luaL_error(L, "%s: %s has no interface", F, nd->name);
    }
    if (len > 65535) luaL_error(L, "%s: %I bytes is more than a link carries (65535)", F, (lua_Integer)len);
    ln_pkt *p = ln_net_pkt(h->n->net, len);
    if (!p) luaL_error(L, "%s: out of packet buffers", F);
    memcpy(p->data, b, len);
    if (ip6) ln_nd_output(nd, ifc, &nh6, p);
    else if (at == LNL_AT_IP) ln_arp_output(nd, ifc, nexthop, p);
    else ln_iface_xmit(ifc, p);
    lua_pushboolean(L, 1);
    return 1;
}

/* Bytes handed to an interface's receive path, as if they had arrived on
 * its wire (what a fuzzer or a malformed-input test wants). */
static int node_deliver(lua_State *L)
{
    static const char F[] = "node:deliver";
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, F, LNL_DRIVE);
    ln_iface *ifc = lnl_argiface(L, 2, h->obj, F);
    uint32_t len;
    lnl_at at;
    const uint8_t *b = lnl_packet_arg(L, 3, F, &len, &at);
    if (at != LNL_AT_ETH) luaL_error(L, "%s: a frame is delivered, so the packet needs its eth layer", F);
    if (len > 65535) luaL_error(L, "%s: %I bytes is more than a link carries (65535)", F, (lua_Integer)len);
    ln_pkt *p = ln_net_pkt(h->n->net, len);
    if (!p) luaL_error(L, "%s: out of packet buffers", F);
    memcpy(p->data, b, len);
    p->in_if = ifc;
    ifc->port.rx(&ifc->port, p);
    return 0;
}

void lnl_open_packet(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"bytes", packet_bytes}, {"dissect", packet_dissect}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__len", packet_len}, {"__eq", packet_eq}, {"__tostring", packet_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_PACKET, "Packet", methods, meta);

    luaL_newmetatable(L, LNL_DISSECTED);
    lua_pushcfunction(L, fmt_layers);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "lunet.Dissected");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);

    lua_newtable(L);              /* LNL_REG_AUTO: weak keys, dies with the layer tables */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, LNL_REG_AUTO);

    lnl_open_event_meta(L);

    lua_pushcfunction(L, l_packet);
    lua_setfield(L, -2, "packet");
    lua_pushcfunction(L, l_dissect);
    lua_setfield(L, -2, "dissect");

    lnl_getmethods(L, "Node");
    lua_pushcfunction(L, node_inject);
    lua_setfield(L, -2, "inject");
    lua_pushcfunction(L, node_deliver);
    lua_setfield(L, -2, "deliver");
    lua_pop(L, 1);
}
