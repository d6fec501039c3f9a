/* l_filter.c - lunet.filter(expr): a tcpdump filter expression, compiled
 * by libpcap as captures and firewall rules compile theirs (core/bpf.h),
 * to match the frames events carry (ev.bytes of "tx" and "rx" events:
 * Ethernet frames).
 *
 *   local f = lunet.filter("tcp port 80")   -- raises on a bad expression
 *   f:match(ev.bytes)                      -- true or false
 *
 * lunet repl's `tcpdump h1 tcp port 80` is built on it. */
#include <string.h>

#include "bpf.h"
#include "lunet.h"

#define LNL_FILTER "lunet.Filter"

typedef struct lnl_filter {
    ln_bpf *bpf;                  /* NULL once collected (or if compiling failed) */
} lnl_filter;

static int filter_new(lua_State *L)
{
    const char *expr = lnl_checkstring(L, 1, "lunet.filter");
    lnl_filter *f = lua_newuserdatauv(L, sizeof *f, 1);
    f->bpf = NULL;
    luaL_setmetatable(L, LNL_FILTER);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);          /* the text, for tostring */
    char err[256];
    f->bpf = ln_bpf_new(expr, err, sizeof err);
    if (!f->bpf)
        return lnl_argerror(L, 1, "lunet.filter", "\"%s\": %s (tcpdump's filter syntax, e.g. "
                               "\"tcp port 80\", \"icmp or arp\", \"host 10.0.0.2\")", expr, err);
    return 1;
}

static int filter_match(lua_State *L)
{
    lnl_filter *f = lnl_checkudata(L, 1, LNL_FILTER, "Filter:match");
    size_t len;
    if (lua_type(L, 2) != LUA_TSTRING) lnl_typeerror(L, 2, "Filter:match", "string of frame bytes");
    const char *bytes = lua_tolstring(L, 2, &len);
    lua_pushboolean(L, f->bpf && len <= UINT32_MAX &&
                       ln_bpf_match(f->bpf, (const uint8_t *)bytes, (uint32_t)len));
    return 1;
}

static int filter_gc(lua_State *L)
{
    lnl_filter *f = luaL_checkudata(L, 1, LNL_FILTER);
    ln_bpf_free(f->bpf);
    f->bpf = NULL;
    return 0;
}

static int filter_tostring(lua_State *L)
{
    luaL_checkudata(L, 1, LNL_FILTER);
    lua_getiuservalue(L, 1, 1);
    lua_pushfstring(L, "lunet.Filter(%s)", lua_tostring(L, -1));
    return 1;
}

void lnl_open_filter(lua_State *L)
{
    static const luaL_Reg methods[] = { {"match", filter_match}, {NULL, NULL} };
    static const luaL_Reg meta[] = {
        {"__gc", filter_gc}, {"__tostring", filter_tostring}, {NULL, NULL},
    };
    lnl_newclass(L, LNL_FILTER, "Filter", methods, meta);
    lua_pushcfunction(L, filter_new);
    lua_setfield(L, -2, "filter");
}
