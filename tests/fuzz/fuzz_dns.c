/* fuzz_dns.c - libFuzzer target for DNS messages: any bytes go through
 * the C reader (lua/dns_wire.c) section by section, through
 * lunet.dns.decode, and into a DNS server's answer function (lunet/dns.lua,
 * srv.answer).  Properties beyond "no crash, no read past the input":
 *   - a message decode accepts encodes again, and that decodes too;
 *   - whatever the server says back decodes (it never sends garbage), and
 *     over UDP fits 512 bytes, or the size EDNS negotiated (at most 1232).
 *
 * With clang: cmake -DLUNET_FUZZ=ON, then ./fuzz_dns CORPUS_DIR.  Without
 * it, fuzz_dns_replay (fuzz_replay.c) mutates tests/fuzz/corpus/fuzz_dns
 * under ctest.  The seeds are messages lunet's resolver and server sent
 * (queries, answers, NXDOMAIN with SOA, a truncated answer; queries and
 * answers with OPT, BADVERS). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lualib.h>

#include "dns_wire.h"
#include "fuzz_lua.h"

static lua_State *L;

static const char setup[] =
    "local net = lunet.net{name = 'fuzz_dns'}\n"
    "local h = net:host('ns')\n"
    "local peer = net:host('peer')\n"
    "net:link(h, peer, {ip = {'10.0.0.2/24', '10.0.0.1/24'}})\n"
    "local srv = assert(h:dns_server{reverse = true, zone = {\n"
    "  ['server.lab'] = '10.0.0.2', ['www.lab'] = {cname = 'server.lab'},\n"
    "  ['v6.lab'] = '2001:db8::2', ['out.lab'] = {cname = 'elsewhere.example'},\n"
    "  ['loop.lab'] = {cname = 'loop.lab'}, ['t.lab'] = {txt = {'a', 'b'}},\n"
    "  ['a.b.lab'] = '10.0.0.9'}})\n"
    "fuzz_answer = srv.answer\n";

static void walk_c(const uint8_t *data, size_t size)
{
    static lnl_dns_rr rr;
    lnl_dns_rd r;
    lnl_dns_hdr h;
    lnl_dns_q q;
    const char *why;
    lnl_dns_rd_init(&r, data, size);
    if (lnl_dns_read_header(&r, &h, &why) < 0) return;
    for (int i = 0; i < h.count[0]; i++)
        if (lnl_dns_read_question(&r, &q, &why) < 0) return;
    for (int s = 1; s < 4; s++)
        for (int i = 0; i < h.count[s]; i++)
            if (lnl_dns_read_rr(&r, &rr, &why) < 0) return;
}

static const char roundtrip[] =
    "local d = ...\n"
    "local m = lunet.dns.decode(d)\n"
    "if m then\n"
    "  local again = lunet.dns.encode(m)\n"
    "  assert(lunet.dns.decode(again), 'a decoded message did not encode to a decodable one')\n"
    "end\n"
    "local reply = fuzz_answer(d, 512)\n"
    "if reply then\n"
    "  local rm, why = lunet.dns.decode(reply)\n"
    "  assert(rm, 'the server sent a reply it cannot decode: ' .. tostring(why))\n"
    "  assert(#reply <= 512, 'a UDP reply over 512 bytes')\n"
    "end\n"
    "reply = fuzz_answer(d, 'udp')\n"
    "if reply then\n"
    "  local rm, why = lunet.dns.decode(reply)\n"
    "  assert(rm, 'the server sent a reply it cannot decode: ' .. tostring(why))\n"
    "  local limit = m and m.edns and 1232 or 512\n"
    "  assert(#reply <= limit, 'a UDP reply over ' .. limit .. ' bytes')\n"
    "  if m and m.edns and rm.rcode ~= 'FORMERR' then assert(rm.edns, 'an EDNS query answered without OPT') end\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        L = fuzz_lua();
        if (luaL_dostring(L, setup) != LUA_OK) {
            fprintf(stderr, "fuzz_dns: setup: %s\n", lua_tostring(L, -1));
            abort();
        }
    }
    if (size > 70000) return 0;
    walk_c(data, size);
    if (luaL_loadstring(L, roundtrip) != LUA_OK) abort();
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_dns: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_settop(L, 0);
    return 0;
}
