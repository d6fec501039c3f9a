/* l_rng.c - net:rng(label): a random stream for scripts, derived from the
 * network's seed and the label as the engine's own streams are (rand.h),
 * so a script's choices (spoofed addresses, ports, ISNs) are the same in
 * every run with the same seed, and do not move when another stream is
 * drawn from.  math.random would tie them to Lua's per-process seed. */
#include "rand.h"
#include "lunet.h"

#define LNL_RNG "lunet.Rng"

static ln_rng *checkrng(lua_State *L, const char *fname)
{
    return lnl_checkudata(L, 1, LNL_RNG, fname);
}

/* r:int(lo, hi) -> an integer in [lo, hi]; r:int(n) -> [1, n]. */
static int rng_int(lua_State *L)
{
    ln_rng *r = checkrng(L, "Rng:int");
    lua_Integer lo = 1, hi = lnl_checkinteger(L, 2, "Rng:int");
    if (!lua_isnoneornil(L, 3)) lo = hi, hi = lnl_checkinteger(L, 3, "Rng:int");
    if (hi < lo) lnl_argerror(L, 2, "Rng:int", "empty range %I..%I", lo, hi);
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    lua_pushinteger(L, (lua_Integer)((uint64_t)lo + (span ? ln_rng_below(r, span) : ln_rng_next(r))));
    return 1;
}

/* r:double() -> [0, 1) */
static int rng_double(lua_State *L)
{
    lua_pushnumber(L, ln_rng_double(checkrng(L, "Rng:double")));
    return 1;
}

static int net_rng(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:rng");
    const char *label = lua_isnoneornil(L, 2) ? "script" : lnl_checkstring(L, 2, "net:rng");
    ln_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
    lua_pushfstring(L, "lua:%s", label);
    ln_rng_derive(r, n->net->seed, lua_tostring(L, -1));
    lua_pop(L, 1);
    luaL_setmetatable(L, LNL_RNG);
    return 1;
}

void lnl_open_rng(lua_State *L)
{
    static const luaL_Reg methods[] = {{"int", rng_int}, {"double", rng_double}, {NULL, NULL}};
    static const luaL_Reg meta[] = {{NULL, NULL}};
    lnl_newclass(L, LNL_RNG, "Rng", methods, meta);
    lnl_getmethods(L, "Net");
    lua_pushcfunction(L, net_rng);
    lua_setfield(L, -2, "rng");
    lua_pop(L, 1);
}
