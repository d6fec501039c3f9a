/* l_units.c - units people write ("10ms", "100Mbps", "64KB", "1%") and the
 * checks on option tables.
 *
 * A bare number is always the base unit: seconds, bit/s, bytes, 0..1, and
 * getters read values back in the same units (lnl_push_time), so what is
 * read can be written back.
 *
 * A field parser (lnl_check*) takes a context string naming what is being
 * set, as the user wrote it ("link: delay"), so an error reads
 *     script.lua:7: link: bandwidth "10Mbs": unknown unit (use bps, ...)
 * luaL_error puts the position of the script's call in front.  A
 * positional argument (lnl_arg*) is reported through lnl_argerror:
 *     script.lua:7: bad argument #1 to 'net:run' ("5 parsecs": unknown ...) */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lunet.h"

typedef struct unit { const char *name; double scale; } unit;

static const unit time_units[] = {
    {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
    {NULL, 0},
};
#define TIME_USE "use ns, us, ms, s, m, h"

/* Rates: the prefix letter's case is free; "bps", or "bit" as tc writes
 * it ("10mbit"), or "bit/s" as lunet prints it ("10 Mbit/s"). */
static const unit rate_units[] = {
    {"bps", 1.0}, {"kbps", 1e3}, {"Kbps", 1e3}, {"mbps", 1e6}, {"Mbps", 1e6},
    {"gbps", 1e9}, {"Gbps", 1e9}, {"tbps", 1e12}, {"Tbps", 1e12},
    {"bit", 1.0}, {"kbit", 1e3}, {"Kbit", 1e3}, {"mbit", 1e6}, {"Mbit", 1e6},
    {"gbit", 1e9}, {"Gbit", 1e9}, {"tbit", 1e12}, {"Tbit", 1e12},
    {"bit/s", 1.0}, {"kbit/s", 1e3}, {"Kbit/s", 1e3}, {"mbit/s", 1e6}, {"Mbit/s", 1e6},
    {"gbit/s", 1e9}, {"Gbit/s", 1e9}, {"tbit/s", 1e12}, {"Tbit/s", 1e12},
    {NULL, 0},
};
#define RATE_USE "use bps, kbps, Mbps, Gbps, Tbps, or Mbit, Mbit/s, ..."

/* Sizes are decimal (KB = 1000) unless binary (KiB = 1024); a negative
 * scale marks packet units. */
static const unit size_units[] = {
    {"B", 1.0}, {"KB", 1e3}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
    {"p", -1.0}, {"pkts", -1.0},
    {NULL, 0},
};
#define SIZE_USE_B "use B, KB, MB, GB, KiB, MiB, GiB"
#define SIZE_USE   SIZE_USE_B ", p, pkts"

/* Split "1.5ms" into 1.5 and "ms".  Returns NULL when it is fine, else the
 * reason; *unit_out points into s. */
static const char *split(const char *s, double *v, const char **unit_out)
{
    const char *p = s;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '-') return "must not be negative";
    if (*p == '+') p++;
    /* Only plain decimal numbers: strtod alone would take "inf", "nan" and
     * hexadecimal, none of which is a sensible amount of time. */
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return "expected a number followed by a unit";
    const char *q = p;
    while (isdigit((unsigned char)*q)) q++;
    if (*q == '.') { q++; while (isdigit((unsigned char)*q)) q++; }
    if ((*q == 'e' || *q == 'E') &&
        (isdigit((unsigned char)q[1]) ||
         ((q[1] == '-' || q[1] == '+') && isdigit((unsigned char)q[2])))) {
        q += 2;
        while (isdigit((unsigned char)*q)) q++;
    }
    char num[64];
    size_t n = (size_t)(q - p);
    if (n >= sizeof num) return "number too long";
    memcpy(num, p, n);
    num[n] = '\0';
    errno = 0;
    *v = strtod(num, NULL);
    if (errno == ERANGE || !isfinite(*v)) return "out of range";
    while (isspace((unsigned char)*q)) q++;
    *unit_out = q;
    return NULL;
}

/* Find the unit: exact match, ignoring trailing spaces. */
static const unit *find_unit(const unit *tab, const char *u)
{
    size_t n = strlen(u);
    while (n && isspace((unsigned char)u[n - 1])) n--;
    for (const unit *t = tab; t->name; t++)
        if (strlen(t->name) == n && memcmp(t->name, u, n) == 0) return t;
    return NULL;
}

/* What a value is, for its error: a field of an options table (fname
 * NULL; ctx names it as the user wrote it, "link: delay"), or positional
 * argument `arg` of `fname` (ctx, when set, names what it sets:
 * "net.ipv4.tcp_fin_timeout"). */
typedef struct where {
    const char *ctx;
    const char *fname;
    int arg;
} where;

/* Raise an error about the value.  A `valued` message starts with the
 * value ("-5: must not be negative"), so a field reads "link: delay -5: ...";
 * any other reads "link: delay: expected ...". */
static int bad(lua_State *L, const where *w, bool valued, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    const char *sep = valued ? " " : ": ";
    if (!w->fname) return luaL_error(L, "%s%s%s", w->ctx, sep, msg);
    if (!w->ctx) return lnl_argerror(L, w->arg, w->fname, "%s", msg);
    return lnl_argerror(L, w->arg, w->fname, "%s%s%s", w->ctx, sep, msg);
}

/* Parse the value at idx: a number times num_scale, or a string with one
 * of `tab`'s units.  *scale_out receives the unit's scale (or num_scale).
 * A number stands for num_unit ("seconds"): the errors about it say so,
 * since 5 meant as milliseconds is the likely slip. */
static double parse(lua_State *L, int idx, const where *w, const char *kind,
                    const unit *tab, const char *use, double num_scale, const char *num_unit,
                    double *scale_out)
{
    int t = lua_type(L, idx);
    if (t == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (!isfinite(v))
            bad(L, w, true, "%s: not a finite number (a number is taken in %s)",
                lua_tostring(L, idx), num_unit);
        if (v < 0)
            bad(L, w, true, "%s: must not be negative (a number is taken in %s)",
                lua_tostring(L, idx), num_unit);
        *scale_out = num_scale;
        return v * fabs(num_scale);
    }
    if (t != LUA_TSTRING)
        bad(L, w, false, "expected a %s (a string with a unit, or a number in %s), got %s",
            kind, num_unit, luaL_typename(L, idx));
    const char *s = lua_tostring(L, idx);
    double v;
    const char *u = NULL;
    const char *why = split(s, &v, &u);
    if (why) bad(L, w, true, "\"%s\": %s (%s)", s, why, use);
    if (*u == '\0') bad(L, w, true, "\"%s\": missing unit (%s)", s, use);
    const unit *un = find_unit(tab, u);
    if (!un) bad(L, w, true, "\"%s\": unknown unit (%s)", s, use);
    *scale_out = un->scale;
    return v * fabs(un->scale);
}

/* Round to an integer, refusing values that do not fit in 63 bits. */
static uint64_t to_u64(lua_State *L, int idx, const where *w, double v, const char *num_unit)
{
    if (v >= 9.2e18) {
        if (lua_type(L, idx) == LUA_TNUMBER)
            bad(L, w, true, "%s: too large (a number is taken in %s)",
                luaL_tolstring(L, idx, NULL), num_unit);
        bad(L, w, true, "%s: too large", luaL_tolstring(L, idx, NULL));
    }
    return (uint64_t)llround(v);
}

static ln_time check_time(lua_State *L, int idx, const where *w)
{
    double sc;
    double v = parse(L, idx, w, "time", time_units, TIME_USE, 1e9, "seconds", &sc);
    return to_u64(L, idx, w, v, "seconds");
}

static uint64_t check_rate(lua_State *L, int idx, const where *w)
{
    double sc;
    double v = parse(L, idx, w, "rate", rate_units, RATE_USE, 1.0, "bit/s", &sc);
    return to_u64(L, idx, w, v, "bit/s");
}

static uint64_t check_size(lua_State *L, int idx, const where *w, bool *pkts, bool num_is_pkts)
{
    double sc;
    const char *num_unit = num_is_pkts ? "packets" : "bytes";
    double v = parse(L, idx, w, "size", size_units, pkts ? SIZE_USE : SIZE_USE_B,
                     num_is_pkts ? -1.0 : 1.0, num_unit, &sc);
    if (sc < 0 && !pkts)
        bad(L, w, true, "\"%s\": a packet count is not a size in bytes (%s)",
            lua_tostring(L, idx), SIZE_USE_B);
    if (pkts) *pkts = sc < 0;
    return to_u64(L, idx, w, v, num_unit);
}

static double check_prob(lua_State *L, int idx, const where *w)
{
    int t = lua_type(L, idx);
    if (t == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (!(v >= 0.0 && v <= 1.0))
            bad(L, w, true, "%s: out of range (a number in 0..1, or a percentage like \"1%%\")",
                lua_tostring(L, idx));
        return v;
    }
    if (t != LUA_TSTRING)
        bad(L, w, false, "expected a probability (a number in 0..1 or a percentage like \"1%%\"), got %s",
            luaL_typename(L, idx));
    const char *s = lua_tostring(L, idx);
    double v;
    const char *u = NULL;
    const char *why = split(s, &v, &u);
    if (why) bad(L, w, true, "\"%s\": %s (use a number in 0..1 or a percentage like \"1%%\")", s, why);
    if (strcmp(u, "%") != 0)
        bad(L, w, true, "\"%s\": expected a percentage like \"1%%\" or a number in 0..1", s);
    if (v > 100.0) bad(L, w, true, "\"%s\": out of range (0%%..100%%)", s);
    return v / 100.0;
}

ln_time lnl_checktime(lua_State *L, int idx, const char *ctx)
{
    return check_time(L, idx, &(where){ctx, NULL, 0});
}

uint64_t lnl_checkrate(lua_State *L, int idx, const char *ctx)
{
    return check_rate(L, idx, &(where){ctx, NULL, 0});
}

uint64_t lnl_checksize(lua_State *L, int idx, const char *ctx, bool *pkts, bool num_is_pkts)
{
    return check_size(L, idx, &(where){ctx, NULL, 0}, pkts, num_is_pkts);
}

double lnl_checkprob(lua_State *L, int idx, const char *ctx)
{
    return check_prob(L, idx, &(where){ctx, NULL, 0});
}

ln_time lnl_argtime(lua_State *L, int arg, const char *fname, const char *what)
{
    return check_time(L, arg, &(where){what, fname, arg});
}

uint64_t lnl_argsize(lua_State *L, int arg, const char *fname, const char *what)
{
    return check_size(L, arg, &(where){what, fname, arg}, NULL, false);
}

void lnl_push_time(lua_State *L, ln_time ns)
{
    /* Whole seconds stay an integer: 60 reads back as 60, as Linux's
     * tcp_fin_timeout does, and prints without a ".0". */
    if (ns % LN_SEC == 0 && ns / LN_SEC <= (ln_time)LUA_MAXINTEGER)
        lua_pushinteger(L, (lua_Integer)(ns / LN_SEC));
    else
        lua_pushnumber(L, (lua_Number)ns / 1e9);
}

void lnl_checkopts(lua_State *L, int idx, const char *ctx, const char *const known[])
{
    if (!lua_istable(L, idx)) {
        if (idx > 0) lnl_typeerror(L, idx, ctx, "table of options");
        luaL_error(L, "%s: expected a table of options, got %s", ctx, luaL_typename(L, idx));
    }
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        bool ok = false;
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -1);
            for (int i = 0; known[i]; i++)
                if (strcmp(k, known[i]) == 0) { ok = true; break; }
        }
        if (!ok) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int i = 0; known[i]; i++) {
                if (i) luaL_addstring(&b, ", ");
                luaL_addstring(&b, known[i]);
            }
            luaL_pushresult(&b);
            if (lua_type(L, -2) == LUA_TSTRING)
                luaL_error(L, "%s: option \"%s\" unknown (known: %s)", ctx,
                           lua_tostring(L, -2), lua_tostring(L, -1));
            const char *list = lua_tostring(L, -1);
            luaL_error(L, "%s: option [%s] unknown (known: %s)", ctx,
                       luaL_tolstring(L, -2, NULL), list);
        }
    }
}

bool lnl_optfield(lua_State *L, int idx, const char *k)
{
    if (lua_getfield(L, idx, k) != LUA_TNIL) return true;
    lua_pop(L, 1);
    return false;
}

char *lnl_fmt_time(int64_t ns, char *buf, size_t len)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (a == 0) snprintf(buf, len, "0s");
    else if (a < LN_USEC) snprintf(buf, len, "%s%lluns", sign, (unsigned long long)a);
    else if (a < LN_MSEC) snprintf(buf, len, "%s%.3fus", sign, (double)a / 1e3);
    else if (a < LN_SEC) snprintf(buf, len, "%s%.3fms", sign, (double)a / 1e6);
    else snprintf(buf, len, "%s%.3fs", sign, (double)a / 1e9);
    return buf;
}

/* ---- module functions -------------------------------------------------- */

static int l_time(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_time(L, 1, &(where){NULL, "lunet.time", 1}));
    return 1;
}

static int l_rate(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_rate(L, 1, &(where){NULL, "lunet.rate", 1}));
    return 1;
}

static int l_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_size(L, 1, &(where){NULL, "lunet.size", 1}, NULL, false));
    return 1;
}

static int l_prob(lua_State *L)
{
    lua_pushnumber(L, check_prob(L, 1, &(where){NULL, "lunet.prob", 1}));
    return 1;
}

static int l_fmt_time(lua_State *L)
{
    char buf[48];
    lua_Integer ns;
    if (lua_isinteger(L, 1)) ns = lua_tointeger(L, 1);
    else if (lua_type(L, 1) == LUA_TNUMBER) ns = (lua_Integer)llround(lua_tonumber(L, 1));
    else return lnl_typeerror(L, 1, "lunet.fmt_time", "number of nanoseconds");
    lua_pushstring(L, lnl_fmt_time(ns, buf, sizeof buf));
    return 1;
}

void lnl_open_units(lua_State *L)
{
    static const luaL_Reg f[] = {
        {"time", l_time}, {"rate", l_rate}, {"size", l_size}, {"prob", l_prob},
        {"fmt_time", l_fmt_time}, {NULL, NULL},
    };
    luaL_setfuncs(L, f, 0);
}
