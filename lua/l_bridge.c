/* l_bridge.c - net:bridge and lunet.Bridge: a virtual host or switch joined
 * to a real network, through a TAP device lunet creates or an existing
 * interface (libpcap).
 *
 * The virtual side is an ordinary link (delay, loss, queue apply) whose far
 * end is an external port (core/ext.h).  Frames that reach it are written
 * to the device at once; frames the device holds are read by whichever
 * driver runs the network (realtime.c, the REPL), which first brings
 * virtual time up to the wall clock and then starts them onto the link
 * (lnl_bridges_drain).  A bridged network therefore always runs on the
 * wall clock, at speed 1: the real side cannot be slowed down or sped up.
 */
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "ext.h"
#include "link.h"
#include "node.h"
#include "switch.h"
#include "wire.h"
#include "bridge_dev.h"
#include "lunet.h"

typedef struct lnl_bridge {
    lnl_net *n;
    ln_ext *ext;
    lnl_dev dev;
    ev_io io;
    struct ev_loop *loop;         /* the loop io is started in, or NULL */
    void (*ready)(void *arg);
    void *ready_arg;
    struct lnl_bridge *next;
} lnl_bridge;

#define EXT(h) ((ln_ext *)(h)->obj)

/* Frames wait in the device until a driver drains them; one buffer serves
 * every bridge (drivers run on one thread). */
static uint8_t frame_buf[LN_ETH_HLEN + 65535 + 4];

static int dev_out(ln_ext *e, const uint8_t *frame, size_t len, void *ud)
{
    (void)e;
    return lnl_dev_write(&((lnl_bridge *)ud)->dev, frame, len);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop; (void)revents;
    lnl_bridge *b = w->data;
    if (b->ready) b->ready(b->ready_arg);
}

static void unwatch(lnl_bridge *b)
{
    if (b->loop) ev_io_stop(b->loop, &b->io);
    b->loop = NULL;
}

static void bridge_close(lnl_bridge *b)
{
    lnl_net *n = b->n;
    for (lnl_bridge **pp = (lnl_bridge **)&n->bridges; *pp; pp = &(*pp)->next) {
        if (*pp == b) { *pp = b->next; break; }
    }
    unwatch(b);
    lnl_dev_close(&b->dev);
    ln_ext_detach(b->ext);
    free(b);
}

bool lnl_bridged(const lnl_net *n) { return n->bridges != NULL; }

void lnl_bridges_watch(lnl_net *n, struct ev_loop *loop, void (*ready)(void *arg), void *arg)
{
    for (lnl_bridge *b = n->bridges; b; b = b->next) {
        if (b->loop == loop && b->ready == ready && b->ready_arg == arg) continue;
        unwatch(b);
        b->ready = ready;
        b->ready_arg = arg;
        ev_io_init(&b->io, on_readable, b->dev.fd, EV_READ);
        b->io.data = b;
        ev_io_start(loop, &b->io);
        b->loop = loop;
    }
}

void lnl_bridges_unwatch(lnl_net *n)
{
    for (lnl_bridge *b = n->bridges; b; b = b->next) unwatch(b);
}

unsigned lnl_bridges_drain(lnl_net *n, unsigned budget)
{
    unsigned done = 0;
    for (lnl_bridge *b = n->bridges; b && done < budget && n->net; b = b->next) {
        while (done < budget) {
            char err[256];
            long len = lnl_dev_read(&b->dev, frame_buf, sizeof frame_buf, err, sizeof err);
            if (len == 0) break;
            if (len < 0) {
                /* The device went away under us (deleted with ip link):
                 * the run stops with the reason, as a failed task would. */
                lua_State *L = n->cb;
                lua_pushfstring(L, "bridge %s: %s", b->ext->port.name, err);
                lnl_fail(L, n);
                unwatch(b);
                return done;
            }
            ln_ext_inject(b->ext, frame_buf, (size_t)len);
            done++;
        }
    }
    return done;
}

void lnl_bridges_close_all(lnl_net *n)
{
    while (n->bridges) bridge_close(n->bridges);
}

/* The interface or switch port at the virtual end of the bridge's link. */
static ln_port *virtual_end(const ln_ext *e)
{
    const ln_link *l = e->port.link;
    if (!l) return NULL;
    return l->d[0].from == &e->port ? l->d[1].from : l->d[0].from;
}

/* ---- net:bridge ----------------------------------------------------------- */

/* The link options net:link takes (but ip, which is ours) and the bridge's. */
static const char *const bridge_opts[] = {
    "tap", "device", "tap_ip", "iface", "ip",
    "bandwidth", "delay", "jitter", "loss", "corrupt", "duplicate", "reorder",
    "reorder_delay", "queue", "queue_bytes", "mtu", "up", "ab", "ba", NULL,
};
static const char *const own_opts[] = { "tap", "device", "tap_ip", "iface", "ip", NULL };

static const char *optstring(lua_State *L, const char *k)
{
    if (!lnl_optfield(L, 3, k)) return NULL;
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "net:bridge: %s must be a string, got %s", k, luaL_typename(L, -1));
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);                      /* still referenced by the options table */
    return s;
}

/* net:link(target_or_iface, bridge, link_options) under pcall: its errors
 * come back as net:bridge's, after the device is closed. */
static int call_link(lua_State *L)
{
    return lnl_net_link(L);
}

static int net_bridge(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:bridge");
    lnl_handle *th = luaL_testudata(L, 2, LNL_NODE);
    bool is_switch = false;
    if (!th) {
        th = luaL_testudata(L, 2, LNL_SWITCH);
        is_switch = th != NULL;
    }
    if (!th)
        lnl_argerror(L, 2, "net:bridge", "a Node or a Switch expected, got %s", luaL_typename(L, 2));
    if (th->n != n) lnl_argerror(L, 2, "net:bridge", "it belongs to another network");
    if (!lua_istable(L, 3))
        lnl_argerror(L, 3, "net:bridge", "options expected: {tap = \"lunet0\"} or {device = \"veth1\"}");
    lnl_checkopts(L, 3, "net:bridge", bridge_opts);
    if (n->net->dist || lnl_rank_ctx)
        luaL_error(L, "net:bridge: not in a split run (--ranks): a bridge is one process's door "
                      "to the real network");
    if (n->running)
        luaL_error(L, "net:bridge: the network is running (bridge it before net:run, or at the "
                      "REPL's prompt)");

    const char *tap = optstring(L, "tap"), *device = optstring(L, "device");
    const char *ifname = optstring(L, "iface");
    if (!tap == !device)
        luaL_error(L, "net:bridge: give tap = \"name\" (a TAP device lunet creates) or device = "
                      "\"name\" (an existing interface, through libpcap), %s",
                   tap ? "not both" : "got neither");
    uint32_t tap_addr = 0;
    uint8_t tap_plen = LN_NO_ADDR;
    if (lnl_optfield(L, 3, "tap_ip")) {
        if (!tap) luaL_error(L, "net:bridge: tap_ip is the TAP device's own address: only with tap");
        tap_addr = lnl_checkaddr(L, -1, &tap_plen, "net:bridge: tap_ip");
        if (tap_plen == LN_NO_ADDR)
            luaL_error(L, "net:bridge: tap_ip \"%s\": missing prefix length (like %s/24)",
                       lua_tostring(L, -1), lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (is_switch && (ifname || lnl_optfield(L, 3, "ip")))
        luaL_error(L, "net:bridge: %s is a switch: its port has no %s", ((ln_switch *)th->obj)->name,
                   ifname ? "interface name" : "address");
    lua_Integer mtu = 1500;
    if (lnl_optfield(L, 3, "mtu")) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 68 || lua_tointeger(L, -1) > 65535)
            luaL_error(L, "net:bridge: mtu must be an integer from 68 to 65535");
        mtu = lua_tointeger(L, -1);
        lua_pop(L, 1);
    }

    /* The link's options: ours taken out, ip given to the virtual end. */
    lua_newtable(L);
    int linkopts = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, 3)) {
        bool own = false;
        if (lua_type(L, -2) == LUA_TSTRING)
            for (int i = 0; own_opts[i]; i++) own |= strcmp(lua_tostring(L, -2), own_opts[i]) == 0;
        if (own) { lua_pop(L, 1); continue; }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, linkopts);
    }
    if (lnl_optfield(L, 3, "ip")) {
        lua_createtable(L, 1, 0);
        lua_insert(L, -2);
        lua_rawseti(L, -2, 1);
        lua_setfield(L, linkopts, "ip");
    }

    /* The device first: nothing is added to the network if it fails. */
    lnl_bridge *b = calloc(1, sizeof *b);
    if (!b) luaL_error(L, "net:bridge: out of memory");
    char err[320];
    int rc = tap ? lnl_dev_open_tap(&b->dev, tap, err, sizeof err)
                 : lnl_dev_open_pcap(&b->dev, device, err, sizeof err);
    if (rc == 0 && tap) rc = lnl_dev_configure(&b->dev, (unsigned)mtu, tap_addr, tap_plen, err, sizeof err);
    if (rc != 0) {
        lnl_dev_close(&b->dev);
        free(b);
        luaL_error(L, "net:bridge: %s", err);
    }
    char name[48];
    snprintf(name, sizeof name, "%s:%s", tap ? "tap" : "pcap", b->dev.name);
    b->ext = ln_ext_new(n->net, name, dev_out, b);
    if (!b->ext) {
        lnl_dev_close(&b->dev);
        free(b);
        luaL_error(L, "net:bridge: out of memory");
    }
    b->n = n;
    b->next = n->bridges;
    n->bridges = b;

    /* The virtual end: a new interface (named when asked) or switch port. */
    lua_pushcfunction(L, call_link);
    lua_pushvalue(L, 1);
    if (ifname) {
        ln_iface *ifc = ln_iface_new(th->obj, ifname, err, sizeof err);
        if (!ifc) {
            bridge_close(b);
            luaL_error(L, "net:bridge: %s", err);
        }
        lnl_push_handle(L, n, ifc, LNL_IFACE);
    } else {
        lua_pushvalue(L, 2);
    }
    lnl_push_handle(L, n, b->ext, LNL_BRIDGE);
    lua_pushvalue(L, linkopts);
    if (lua_pcall(L, 4, 1, 0) != LUA_OK) {
        bridge_close(b);
        const char *msg = lua_tostring(L, -1);
        if (msg && strncmp(msg, "link: ", 6) == 0) msg += 6;
        luaL_error(L, "net:bridge: %s", msg ? msg : "failed");
    }
    /* A frame the size of the interface's MTU passes both ways. */
    ln_iface *vif = ln_port_iface(virtual_end(b->ext));
    if (vif) vif->mtu = (uint32_t)mtu;
    lua_pop(L, 1);
    lnl_push_handle(L, n, b->ext, LNL_BRIDGE);
    return 1;
}

/* ---- lunet --bridge ------------------------------------------------------- */

/* The command line's bridges (lunet.bridge_auto, "NODE:TAP[:TAP_ADDR[:ADDR]]"),
 * made when a network first runs (or, in the REPL, once the script has
 * built it).  Each network gets them once. */
void lnl_auto_bridge(lua_State *L, lnl_net *n)
{
    if (lnl_modfield(L, "bridge_auto") != LUA_TTABLE) { lua_pop(L, 1); return; }
    int specs = lua_gettop(L);
    lnl_push_uv(L, n);
    bool done = lua_getfield(L, -1, "cli_bridged") != LUA_TNIL;
    lua_pop(L, 1);
    if (done) { lua_pop(L, 2); return; }
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "cli_bridged");
    lua_pop(L, 1);
    for (lua_Integer i = 1; lua_rawgeti(L, specs, i) == LUA_TSTRING; i++) {
        const char *spec = lua_tostring(L, -1);
        char buf[256], *field[4] = {NULL, NULL, NULL, NULL};
        snprintf(buf, sizeof buf, "%s", spec);
        int nf = 0;
        for (char *p = buf; p && nf < 4; nf++) {
            field[nf] = p;
            p = strchr(p, ':');
            if (p) *p++ = '\0';
        }
        ln_node *nd = ln_net_node(n->net, field[0]);
        ln_switch *sw = nd ? NULL : ln_net_switch(n->net, field[0]);
        if (!nd && !sw)
            luaL_error(L, "lunet --bridge %s: this network has no host, router or switch named \"%s\"",
                       spec, field[0]);
        lua_pushcfunction(L, net_bridge);
        lnl_push_net(L, n);
        lnl_push_handle(L, n, nd ? (void *)nd : (void *)sw, nd ? LNL_NODE : LNL_SWITCH);
        lua_createtable(L, 0, 3);
        lua_pushstring(L, field[1]);
        lua_setfield(L, -2, "tap");
        if (field[2] && *field[2]) {
            lua_pushstring(L, field[2]);
            lua_setfield(L, -2, "tap_ip");
        }
        if (field[3] && *field[3]) {
            lua_pushstring(L, field[3]);
            lua_setfield(L, -2, "ip");
        }
        if (lua_pcall(L, 3, 1, 0) != LUA_OK)
            luaL_error(L, "lunet --bridge %s: %s", spec, lua_tostring(L, -1));
        lua_pop(L, 2);                  /* the bridge, the spec */
    }
    lua_pop(L, 2);                      /* nil, the specs */
}

/* ---- lunet.Bridge ---------------------------------------------------------- */

static lnl_bridge *checkbridge(lua_State *L, const char *fname)
{
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_BRIDGE, fname, LNL_DRIVE);
    lnl_bridge *b = EXT(h)->ud;
    if (!b) luaL_error(L, "%s: the bridge %s is closed", fname, EXT(h)->port.name);
    return b;
}

static int bridge_index(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_BRIDGE);
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (!k || !h->n->net) { lua_pushnil(L); return 1; }
    ln_ext *e = EXT(h);
    lnl_bridge *b = e->ud;
    if (strcmp(k, "name") == 0) lua_pushstring(L, e->port.name);
    else if (strcmp(k, "device") == 0) lua_pushstring(L, strchr(e->port.name, ':') + 1);
    else if (strcmp(k, "kind") == 0) lua_pushstring(L, strncmp(e->port.name, "tap:", 4) == 0 ? "tap" : "pcap");
    else if (strcmp(k, "open") == 0) lua_pushboolean(L, b != NULL);
    else if (strcmp(k, "link") == 0) {
        if (e->port.link) lnl_push_handle(L, h->n, e->port.link, LNL_LINK);
        else lua_pushnil(L);
    } else if (strcmp(k, "iface") == 0) {
        ln_port *p = virtual_end(e);
        if (p && p->kind == LN_PORT_IFACE) lnl_push_handle(L, h->n, p->owner, LNL_IFACE);
        else lua_pushnil(L);
    } else lua_pushnil(L);
    return 1;
}

static int bridge_tostring(lua_State *L)
{
    lnl_handle *h = luaL_checkudata(L, 1, LNL_BRIDGE);
    if (!h->n->net) { lua_pushliteral(L, "lunet.Bridge(closed)"); return 1; }
    ln_port *p = virtual_end(EXT(h));
    lua_pushfstring(L, "lunet.Bridge(%s <-> %s%s)", p ? p->name : "?", EXT(h)->port.name,
                    EXT(h)->ud ? "" : ", closed");
    return 1;
}

static int bridge_stats(lua_State *L)
{
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_BRIDGE, "bridge:stats", LNL_OBSERVE);
#define C(field) LNL_COUNTER(ln_ext_stats, field)
    static const lnl_counter counters[] = {
        C(in_frames), C(in_bytes), C(in_dropped), C(out_frames), C(out_bytes), C(out_dropped),
        {NULL, 0},
    };
#undef C
    lnl_push_counters(L, &EXT(h)->st, counters);
    return 1;
}

static int bridge_close_m(lua_State *L)
{
    bridge_close(checkbridge(L, "bridge:close"));
    return 0;
}

void lnl_open_bridge(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"stats", bridge_stats}, {"close", bridge_close_m}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", bridge_index}, {"__tostring", bridge_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_BRIDGE, "Bridge", methods, meta);
    static const luaL_Reg net_methods[] = { {"bridge", net_bridge}, {NULL, NULL} };
    lnl_getmethods(L, "Net");
    luaL_setfuncs(L, net_methods, 0);
    lua_pop(L, 1);
}
