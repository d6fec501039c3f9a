/* fuzz_lua.h - the Lua state of the fuzz targets that drive the binding
 * (fuzz_dissect, fuzz_parse, fuzz_pkt): one per process, with the
 * standard libraries and the lunet module loaded, made on first use. */
#ifndef FUZZ_LUA_H
#define FUZZ_LUA_H

#include <lauxlib.h>
#include <lualib.h>

#include "lunet.h"

static lua_State *fuzz_lua(void)
{
    static lua_State *L;
    if (!L) {
        L = luaL_newstate();
        luaL_openlibs(L);
        luaL_requiref(L, "lunet", luaopen_lunet, 1);
        lua_pop(L, 1);
    }
    return L;
}

#endif
