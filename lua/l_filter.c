/* l_filter.c - lunet.filter(expr): a tcpdump filter expression, compiled
 * by libpcap as captures and firewall rules compile theirs, to match the
 * frames events carry (ev.bytes of "tx" and "rx" events: Ethernet frames).
 *
 *   local f = lunet.filter("tcp port 80")   -- raises on a bad expression
 *   f:match(ev.bytes)                      -- true or false
 *
 * lunet repl's `tcpdump h1 tcp port 80` is built on it. */
#define _DEFAULT_SOURCE               /* pcap.h needs the BSD u_int names */
#include <string.h>

#include <pcap/pcap.h>

#include "lunet.h"

#define LNL_FILTER "lunet.Filter"
#define SNAPLEN 65535

typedef struct lnl_filter {
    pcap_t *pd;                   /* dead handle: pcap_compile needs one */
    struct bpf_program prog;
    bool compiled;
} lnl_filter;

static int filter_new(lua_State *L)
{
    const char *expr = luaL_checkstring(L, 1);
    lnl_filter *f = lua_newuserdatauv(L, sizeof *f, 1);
    memset(f, 0, sizeof *f);
    luaL_setmetatable(L, LNL_FILTER);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);          /* the text, for tostring */
    f->pd = pcap_open_dead(DLT_EN10MB, SNAPLEN);
    if (!f->pd) return luaL_error(L, "lunet.filter: out of memory");
    if (pcap_compile(f->pd, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return luaL_error(L, "lunet.filter: \"%s\": %s (tcpdump's filter syntax, e.g. "
                             "\"tcp port 80\", \"icmp or arp\", \"host 10.0.0.2\")",
                          expr, pcap_geterr(f->pd));
    f->compiled = true;
    return 1;
}

static int filter_match(lua_State *L)
{
    lnl_filter *f = luaL_checkudata(L, 1, LNL_FILTER);
    size_t len;
    const char *bytes = luaL_checklstring(L, 2, &len);
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.caplen = h.len = (bpf_u_int32)len;
    lua_pushboolean(L, f->compiled && pcap_offline_filter(&f->prog, &h, (const u_char *)bytes) != 0);
    return 1;
}

static int filter_gc(lua_State *L)
{
    lnl_filter *f = luaL_checkudata(L, 1, LNL_FILTER);
    if (f->compiled) pcap_freecode(&f->prog);
    if (f->pd) pcap_close(f->pd);
    f->compiled = false;
    f->pd = NULL;
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
