/* l_clock.c - lunet.wallclock(): seconds of CLOCK_MONOTONIC as a float.
 *
 * For `lunet test`'s durations (lua/lunet/test.lua): how long a test took
 * on the wall, which os.clock() (CPU time) does not tell once a test waits
 * for a child process or sleeps.  Monotonic, so a clock step (NTP, a
 * suspended laptop) never makes a duration negative; the origin means
 * nothing, only differences do.
 *
 * Time is an argument everywhere else: besides the drivers (realtime.c,
 * the REPL's loop, l_run.c's progress line, main.c's --timeout alarm) this
 * is the only place in the binding that reads the wall clock, and only the
 * test runner calls it.  Nothing that runs inside a network may: its time
 * is net:now(), virtual, so that a run stays deterministic. */
#include <time.h>

#include "lunet.h"

static int l_wallclock(lua_State *L)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return luaL_error(L, "lunet.wallclock: the monotonic clock is not available");
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* Adds lunet.wallclock to the module table on the top of the stack. */
void lnl_open_clock(lua_State *L)
{
    lua_pushcfunction(L, l_wallclock);
    lua_setfield(L, -2, "wallclock");
}
