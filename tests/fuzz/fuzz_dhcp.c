/* fuzz_dhcp.c - libFuzzer target for the DHCP message parser (core/dhcp.c)
 * and its Lua face (lunet.dhcp.decode/encode, lua/l_dhcp.c).
 *
 * Byte 0 picks the path (fuzz_replay never mutates it): even, the C
 * parser; odd, lunet.dhcp.decode too.  The rest is a UDP payload.  A
 * message the parser accepts must encode, and the encoding must parse
 * back to the same values: the encoder never writes what the parser
 * refuses, and nothing the parser keeps is lost on the way (the search
 * list of option 119 is compressed again by the encoder, maybe otherwise:
 * its names must come back the same).
 *
 * With clang: cmake -DLUNET_FUZZ=ON, then ./fuzz_dhcp CORPUS_DIR (the
 * corpus is tests/fuzz/corpus/fuzz_dhcp).  Without it, fuzz_dhcp_replay
 * (fuzz_replay.c) drives the same entry point under ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "dhcp.h"
#include "lunet.h"
#include "fuzz_lua.h"

static lua_State *L;
static ln_dhcp_msg a, b;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_dhcp: %s\n", what);
    abort();
}

/* The values both messages must agree on (not the raw sname/file, which
 * the first may have used for options, nor the codes' order). */
static void same(const ln_dhcp_msg *x, const ln_dhcp_msg *y)
{
    if (x->op != y->op || x->htype != y->htype || x->hlen != y->hlen || x->hops != y->hops ||
        x->xid != y->xid || x->secs != y->secs || x->flags != y->flags || x->ciaddr != y->ciaddr ||
        x->yiaddr != y->yiaddr || x->siaddr != y->siaddr || x->giaddr != y->giaddr ||
        memcmp(x->chaddr, y->chaddr, 16) != 0)
        fail("fixed header changed on the way back");
    if (x->type != y->type || x->has != y->has || x->mask != y->mask || x->requested != y->requested ||
        x->lease != y->lease || x->server_id != y->server_id || x->t1 != y->t1 || x->t2 != y->t2 ||
        x->max_size != y->max_size)
        fail("a scalar option changed on the way back");
    if (x->n_routers != y->n_routers || x->n_dns != y->n_dns ||
        memcmp(x->routers, y->routers, sizeof x->routers[0] * x->n_routers) != 0 ||
        memcmp(x->dns, y->dns, sizeof x->dns[0] * x->n_dns) != 0)
        fail("an address list changed on the way back");
    if (x->hostname.len != y->hostname.len || memcmp(x->hostname.s, y->hostname.s, x->hostname.len) ||
        x->domain.len != y->domain.len || memcmp(x->domain.s, y->domain.s, x->domain.len) ||
        x->message.len != y->message.len || memcmp(x->message.s, y->message.s, x->message.len) ||
        x->prl_len != y->prl_len || memcmp(x->prl, y->prl, x->prl_len) ||
        x->client_id_len != y->client_id_len || memcmp(x->client_id, y->client_id, x->client_id_len))
        fail("a string option changed on the way back");
    if (x->n_search != y->n_search || x->agent_len != y->agent_len ||
        memcmp(x->agent, y->agent, x->agent_len) != 0)
        fail("the search list or the relay agent option changed on the way back");
    for (int i = 0; i < x->n_search; i++)
        if (strcmp(x->search[i], y->search[i]) != 0) fail("a search domain changed on the way back");
}

static void lua_path(const uint8_t *data, size_t size)
{
    if (!L) {
        L = fuzz_lua();
        if (luaL_dostring(L, "local d = require('lunet').dhcp\n"
                             "function check(s)\n"
                             "  local m, why = d.decode(s)\n"
                             "  if not m then assert(type(why) == 'string') return end\n"
                             "  m.options, m.overload = nil, nil\n"
                             "  if type(m.type) == 'number' then m.type = nil end\n"
                             "  if m.sname and #m.sname > 63 then m.sname = nil end\n"
                             "  if m.file and #m.file > 127 then m.file = nil end\n"
                             "  local back = assert(d.decode(d.encode(m)))\n"
                             "  assert(back.xid == m.xid and back.chaddr == m.chaddr and back.yiaddr == m.yiaddr)\n"
                             "end") != LUA_OK)
            fail(lua_tostring(L, -1));
    }
    lua_getglobal(L, "check");
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        /* encode refuses a max_size under 576 that decode accepted, and
         * a chaddr of other than 6 bytes: those are the script's rules,
         * not a parser bug. */
        if (!msg || (!strstr(msg, "max_size") && !strstr(msg, "chaddr"))) fail(msg ? msg : "(no message)");
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 70000) return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    if (ln_dhcp_parse(data, size, &a, NULL) == LN_DHCP_OK) {
        uint8_t buf[LN_DHCP_MAX_BUILD];
        int n = ln_dhcp_build(&a, buf, sizeof buf);
        if (n < 0) fail("a parsed message does not encode");
        if (ln_dhcp_parse(buf, (size_t)n, &b, NULL) != LN_DHCP_OK) fail("an encoded message does not parse");
        same(&a, &b);
    }
    if (sel & 1) lua_path(data, size);
    return 0;
}
