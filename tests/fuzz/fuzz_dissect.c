/* fuzz_dissect.c - libFuzzer target for lunet.dissect and the packet
 * builder: any bytes, at either starting layer, must dissect without a
 * crash or a read past the input (ASan), format with tostring, and build
 * again from the dissection (a Lua error is fine there: dissections of
 * malformed input need not be buildable, but memory errors are not).
 *
 * With clang: cmake -DLUNET_FUZZ=ON, then ./fuzz_dissect CORPUS_DIR.
 * Without it, fuzz_dissect_replay (fuzz_replay.c) drives the same entry
 * point over generated and mutated frames under ctest. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lunet.h"
#include "fuzz_lua.h"
#include "packet.h"

static lua_State *L;

static int one(lua_State *S)
{
    const uint8_t *data = lua_touserdata(S, 1);
    size_t size = (size_t)lua_tointeger(S, 2);
    lnl_at at = size && (data[0] & 1) ? LNL_AT_IP : LNL_AT_ETH;
    if (size) data++, size--;
    lnl_dissect_push(S, data, (uint32_t)size, at);
    luaL_tolstring(S, -1, NULL);              /* lunet.layers.format */
    lua_pop(S, 1);
    lua_getglobal(S, "pcall");
    lua_getfield(S, LUA_REGISTRYINDEX, LNL_REG_MODULE);
    lua_getfield(S, -1, "packet");
    lua_remove(S, -2);
    lua_pushvalue(S, -3);
    lua_call(S, 2, 2);
    if (lua_toboolean(S, -2)) {               /* rebuilt: dissect that too */
        lnl_packet *p = lua_touserdata(S, -1);
        lnl_dissect_push(S, p->bytes, p->len, (lnl_at)p->at);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) L = fuzz_lua();
    if (size > 70000) return 0;
    lua_pushcfunction(L, one);
    lua_pushlightuserdata(L, (void *)data);
    lua_pushinteger(L, (lua_Integer)size);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        /* Dissecting and printing must work on any input: an error here
         * (a formatter tripping on a field a malformed packet lacks) is
         * a bug like a crash. */
        fprintf(stderr, "fuzz_dissect: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
