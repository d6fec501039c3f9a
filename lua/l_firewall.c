/* l_firewall.c - Node methods for the packet filter (core/firewall.h):
 *
 *   h:firewall{hook=, filter=, action=, with=, iface=}  -> position in the hook
 *   h:firewall_policy(hook [, "accept"|"drop"])         -> the policy
 *   h:firewall_rules([hook])                            -> {{hook=, filter=, ...}, ...}
 *   h:firewall_flush([hook])
 *
 * Added to the Node method table by lnl_open_firewall (after Node exists),
 * the way l_tcp.c adds h:tcp.  Rules change only from here, and never
 * from inside an event hook, so the engine may walk them freely. */
#include <string.h>

#include "err.h"
#include "firewall.h"
#include "node.h"
#include "lunet.h"

/* Index of the string at idx in names (NULL-terminated); raises with the
 * allowed words otherwise. */
static int checkword(lua_State *L, int idx, const char *fname, const char *what,
                     const char *const names[])
{
    const char *s = lua_tostring(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING)
        for (int i = 0; names[i]; i++)
            if (strcmp(s, names[i]) == 0) return i;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; names[i]; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, names[i]);
    }
    luaL_pushresult(&b);
    const char *allowed = lua_tostring(L, -1);
    /* idx > 0: an argument (h:firewall_policy("in")); else a field of
     * h:firewall's options, at the top of the stack. */
    if (lua_type(L, idx) == LUA_TSTRING) {
        if (idx > 0) return lnl_argerror(L, idx, fname, "%s \"%s\" unknown (allowed: %s)", what, s, allowed);
        return luaL_error(L, "%s: %s \"%s\" unknown (allowed: %s)", fname, what, s, allowed);
    }
    if (idx > 0)
        return lnl_argerror(L, idx, fname, "%s must be one of %s, got %s", what, allowed,
                            luaL_typename(L, idx));
    return luaL_error(L, "%s: %s must be one of %s, got %s", fname, what, allowed,
                      luaL_typename(L, idx));
}

/* reject's `with`: iptables' words, with and without the "icmp-" prefix. */
static ln_fw_reject checkwith(lua_State *L, int idx, const char *fname)
{
    const char *s = lua_tostring(L, idx);
    if (s && lua_type(L, idx) == LUA_TSTRING && strncmp(s, "icmp-", 5) == 0) {
        for (int i = 0; ln_fw_reject_names[i]; i++)
            if (i != LN_FW_TCP_RESET && strcmp(s + 5, ln_fw_reject_names[i]) == 0)
                return (ln_fw_reject)i;
    }
    return (ln_fw_reject)checkword(L, idx, fname, "with", ln_fw_reject_names);
}

static int node_firewall(lua_State *L)
{
    const char *F = "node:firewall";
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, F, LNL_DRIVE);
    ln_node *nd = h->obj;
    lnl_check_not_in_hook(L, h->n, F);
    static const char *const known[] = { "hook", "filter", "action", "with", "iface", NULL };
    lnl_checkopts(L, 2, F, known);

    ln_fw_hook hook = LN_FW_IN;
    if (lnl_optfield(L, 2, "hook")) hook = (ln_fw_hook)checkword(L, -1, F, "hook", ln_fw_hook_names);
    const char *filter = "";
    if (lnl_optfield(L, 2, "filter")) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: filter must be a string (tcpdump syntax), got %s", F,
                       luaL_typename(L, -1));
        filter = lua_tostring(L, -1);
    }
    if (!lnl_optfield(L, 2, "action"))
        luaL_error(L, "%s: action missing (allowed: accept, drop, reject)", F);
    ln_fw_action act = (ln_fw_action)checkword(L, -1, F, "action", ln_fw_action_names);
    ln_fw_reject with = LN_FW_PORT_UNREACH;
    if (lnl_optfield(L, 2, "with")) {
        if (act != LN_FW_REJECT)
            luaL_error(L, "%s: with is for action \"reject\", not \"%s\"", F,
                       ln_fw_action_names[act]);
        with = checkwith(L, -1, F);
    }
    const char *iface = NULL;
    if (lnl_optfield(L, 2, "iface")) iface = lnl_checkiface_of(L, -1, nd, "node:firewall: iface")->name;

    char err[512];
    int rc = ln_fw_add(nd, hook, iface, filter, act, with, err, sizeof err);
    if (rc < 0) luaL_error(L, "%s: %s", F, err);
    lua_pushinteger(L, rc + 1);
    return 1;
}

static int node_firewall_policy(lua_State *L)
{
    const char *F = "node:firewall_policy";
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, F, lua_isnoneornil(L, 3) ? LNL_OBSERVE : LNL_DRIVE);
    ln_node *nd = h->obj;
    ln_fw_hook hook = (ln_fw_hook)checkword(L, 2, F, "hook", ln_fw_hook_names);
    if (!lua_isnoneornil(L, 3)) {
        lnl_check_not_in_hook(L, h->n, F);
        static const char *const policies[] = { "accept", "drop", NULL };
        ln_fw_action p = (ln_fw_action)checkword(L, 3, F, "policy", policies);
        if (ln_fw_set_policy(nd, hook, p) != 0) luaL_error(L, "%s: out of memory", F);
    }
    lua_pushstring(L, ln_fw_action_names[ln_fw_policy(nd, hook)]);
    return 1;
}

static int node_firewall_rules(lua_State *L)
{
    const char *F = "node:firewall_rules";
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, F, LNL_OBSERVE);   /* with its packet counts */
    ln_node *nd = h->obj;
    int only = lua_isnoneornil(L, 2) ? -1 : checkword(L, 2, F, "hook", ln_fw_hook_names);
    lua_newtable(L);
    lua_Integer k = 0;
    for (int hk = 0; hk < LN_FW__HOOKS; hk++) {
        if (only >= 0 && hk != only) continue;
        for (uint32_t i = 0; i < ln_fw_count(nd, (ln_fw_hook)hk); i++) {
            const ln_fw_rule_info *r = ln_fw_rule(nd, (ln_fw_hook)hk, i);
            lua_createtable(L, 0, 8);
            lua_pushstring(L, ln_fw_hook_names[hk]);
            lua_setfield(L, -2, "hook");
            lua_pushinteger(L, (lua_Integer)i + 1);
            lua_setfield(L, -2, "index");
            lua_pushstring(L, r->filter);
            lua_setfield(L, -2, "filter");
            lua_pushstring(L, ln_fw_action_names[r->action]);
            lua_setfield(L, -2, "action");
            if (r->action == LN_FW_REJECT) {
                lua_pushstring(L, ln_fw_reject_names[r->with]);
                lua_setfield(L, -2, "with");
            }
            if (r->iface) {
                lua_pushstring(L, r->iface);
                lua_setfield(L, -2, "iface");
            }
            lua_pushinteger(L, (lua_Integer)r->packets);
            lua_setfield(L, -2, "packets");
            lua_pushinteger(L, (lua_Integer)r->bytes);
            lua_setfield(L, -2, "bytes");
            lua_rawseti(L, -2, ++k);
        }
    }
    return 1;
}

static int node_firewall_flush(lua_State *L)
{
    const char *F = "node:firewall_flush";
    lnl_handle *h = lnl_checkhandle(L, 1, LNL_NODE, F, LNL_DRIVE);
    lnl_check_not_in_hook(L, h->n, F);
    int only = lua_isnoneornil(L, 2) ? -1 : checkword(L, 2, F, "hook", ln_fw_hook_names);
    ln_fw_flush(h->obj, only);
    return 0;
}

void lnl_open_firewall(lua_State *L)
{
    static const luaL_Reg node_methods[] = {
        {"firewall", node_firewall}, {"firewall_policy", node_firewall_policy},
        {"firewall_rules", node_firewall_rules}, {"firewall_flush", node_firewall_flush},
        {NULL, NULL},
    };
    lnl_getmethods(L, "Node");
    luaL_setfuncs(L, node_methods, 0);
    lua_pop(L, 1);
}
