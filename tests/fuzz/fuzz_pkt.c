/* fuzz_pkt.c - libFuzzer target for the packetdrill script reader
 * (lua/lunet/pd_parse.lua): any text must parse, or fail with an error
 * naming the script's line ("fuzz.pkt:N: ..."), never with a Lua error
 * from inside the parser (indexing nil, comparing a number with nil),
 * which would reach the user as a confusing traceback.
 *
 * With clang: cmake -DLUNET_FUZZ=ON, then ./fuzz_pkt CORPUS_DIR (the
 * corpus is tests/fuzz/corpus/fuzz_pkt).  Without it, fuzz_pkt_replay
 * (fuzz_replay.c) drives the same entry point under ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lunet.h"
#include "fuzz_lua.h"

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        L = fuzz_lua();
        lua_getglobal(L, "require");
        lua_pushliteral(L, "lunet.pd_parse");
        if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
            fprintf(stderr, "fuzz_pkt: %s\n", lua_tostring(L, -1));
            abort();
        }
        lua_getfield(L, -1, "parse");
        lua_setglobal(L, "pd_parse");
        lua_pop(L, 1);
    }
    if (size > 20000) return 0;
    lua_getglobal(L, "pd_parse");
    lua_pushlstring(L, (const char *)data, size);
    lua_pushliteral(L, "fuzz.pkt");
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!msg || strncmp(msg, "fuzz.pkt:", 9) != 0) {
            fprintf(stderr, "fuzz_pkt: the parser failed without naming a line: %s\n",
                    msg ? msg : "(not a string)");
            abort();
        }
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
