/* l_capture.c - net:capture and lunet.Capture: pcap files written by the
 * engine (core/capture.c) for an interface, a switch port or a link.
 *
 * The network owns its captures: a Capture handle is anchored in the Net's
 * cache, so dropping the handle does not end the capture; the file is
 * flushed when net:run* returns and closed with the network (explicitly,
 * at exit, or when collected).  With lunet.pcap_auto (lunet run --pcap DIR)
 * every interface is captured into lunet.pcap_dir when a run starts.
 * Relative paths given to net:capture are taken under lunet.pcap_dir.
 *
 * A capture that cannot write (a full disk) is an error naming the file:
 * raised by the net:run that hit it (lnl_captures_flush, from l_run.c), by
 * Capture:flush and Capture:close, by net:close (lnl_captures_finish), or
 * at the latest at exit (lnl_captures_close_all, from main.c), each
 * failure once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "capture.h"
#include "link.h"
#include "node.h"
#include "switch.h"
#include "lunet.h"

/* mkdir -p; returns 0 or errno. */
static int mkdirs(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) return errno;
            *s = c;
            if (!c) break;
        }
    }
    return 0;
}

static void ensure_dir(lua_State *L, const char *dir, const char *fname)
{
    if (!*dir || strcmp(dir, ".") == 0) return;
    int e = mkdirs(dir);
    if (e) luaL_error(L, "%s: cannot create directory \"%s\": %s", fname, dir, strerror(e));
}

/* "h1.eth0<->r1.eth0" -> "h1.eth0-r1.eth0": no shell metacharacters. */
static void file_name(char *out, size_t len, const char *name)
{
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < len; i++) {
        if (strncmp(name + i, "<->", 3) == 0) { out[j++] = '-'; i += 2; continue; }
        char c = name[i];
        out[j++] = (c == '/' || c == '<' || c == '>' || c == ' ') ? '-' : c;
    }
    out[j] = '\0';
}

/* A relative dir or file given to net:capture lives under lunet.pcap_dir
 * ("." unless --pcap or $LUNET_PCAP_DIR say otherwise), so a test run can
 * send every capture of every script somewhere else. */
static void under(char *out, size_t len, const char *pdir, const char *p)
{
    if (!p) snprintf(out, len, "%s", pdir);
    else if (p[0] == '/' || strcmp(pdir, ".") == 0 || !*pdir) snprintf(out, len, "%s", p);
    else snprintf(out, len, "%s/%s", pdir, p);
}

/* In a split run: does this rank run the capture's target?  A link both
 * of whose ends are here; a link between ranks cannot be captured whole
 * by either. */
static bool target_here(lua_State *L, ln_net *net, const ln_port *port, const ln_link *link,
                        const char *fname)
{
    if (port) return ln_net_local(net, port->actor);
    bool a = ln_net_local(net, link->d[0].from->actor), b = ln_net_local(net, link->d[1].from->actor);
    if (a != b)
        luaL_error(L, "%s: link %s joins two ranks of this split run, and neither sees both "
                      "directions: capture an interface at either end", fname, LN_LINK_NAME_OF(link));
    return a;
}

/* A pending capture's file until the split (see lnl_capref.pending). */
static void part_path(char *out, size_t n, const char *path)
{
    snprintf(out, n, "%s.rank%d.part", path, lnl_rank_ctx ? (int)lnl_rank_ctx->rank : 0);
}

static void push_capture(lua_State *L, lnl_net *n, const char *path, ln_port *port,
                         ln_link *link, const char *filter, const char *fname)
{
    char err[512], tmp[4200];
    /* A split run: the rank that runs the target writes the file.  Before
     * the split nobody knows which: every rank writes its own part file,
     * and the split keeps one (lnl_captures_split). */
    bool pending = lnl_rank_ctx && lnl_rank_ctx->size > 1 && !n->net->dist;
    bool elsewhere = n->net->dist && !target_here(L, n->net, port, link, fname);
    ln_capture *c = NULL;
    if (!elsewhere) {
        if (pending) part_path(tmp, sizeof tmp, path);
        c = ln_capture_open(n->net, pending ? tmp : path, port, link, filter, err, sizeof err);
        if (!c) luaL_error(L, "%s: %s", fname, err);
    }
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "cache");
    lnl_capref *r = lua_newuserdatauv(L, sizeof *r, 1);
    memset(r, 0, sizeof *r);
    r->c = c;
    r->n = n;
    r->pending = pending;
    r->target = port ? (const void *)port : (const void *)link;
    snprintf(r->path, sizeof r->path, "%s", path);
    r->next = n->caps;
    n->caps = r;
    luaL_setmetatable(L, LNL_CAPTURE);
    lnl_push_net(L, n);
    lua_setiuservalue(L, -2, 1);
    if (c) {
        lua_pushvalue(L, -1);
        lua_rawsetp(L, -3, c);
    }
    lua_pushvalue(L, -1);
    lua_rawsetp(L, -3, r);          /* found again by net:captures() after close */
    lua_replace(L, -3);
    lua_pop(L, 1);
}

/* net:captures(): every capture this network made, open or closed, in
 * the order they were made (what a report links to). */
int lnl_net_captures(lua_State *L)
{
    lnl_net *n = lnl_checknet(L, 1, "net:captures");
    int count = 0;
    for (lnl_capref *r = n->caps; r; r = r->next) count++;
    lua_createtable(L, count, 0);
    lnl_push_uv(L, n);
    lua_getfield(L, -1, "cache");
    int i = count;
    for (lnl_capref *r = n->caps; r; r = r->next) {   /* newest first */
        lua_rawgetp(L, -1, r);
        lua_rawseti(L, -4, i--);
    }
    lua_pop(L, 2);
    return 1;
}

static bool captured(lnl_net *n, const void *target)
{
    for (lnl_capref *r = n->caps; r; r = r->next)
        if (r->c && r->target == target) return true;
    return false;
}

/* A file name for an automatic capture that no earlier automatic capture
 * of this process used: a script that makes several networks with the
 * same node names (one per experiment) must not overwrite the first
 * one's files.  The first keeps <node>-<iface>.pcap; later ones are
 * prefixed with their network's name (and number, if that is taken too). */
static void auto_path(lua_State *L, lnl_net *n, const char *dir, const ln_node *nd,
                      const ln_iface *ifc, char *path, size_t len)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "lunet.auto_pcaps") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "lunet.auto_pcaps");
    }
    for (int k = 0; ; k++) {
        if (k == 0) snprintf(path, len, "%s/%s-%s.pcap", dir, nd->name, ifc->name);
        else if (k == 1) snprintf(path, len, "%s/%s-%s-%s.pcap", dir, n->name, nd->name, ifc->name);
        else snprintf(path, len, "%s/%s-%s-%s-%d.pcap", dir, n->name, nd->name, ifc->name, k);
        if (lua_getfield(L, -1, path) == LUA_TNIL) {
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
    }
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, path);
    lua_pop(L, 1);
}

/* Every interface of every node into dir, one file each; pushes an array.
 * skip_captured: the automatic capture (--pcap), which leaves alone what
 * the script captures itself. */
static void capture_all(lua_State *L, lnl_net *n, const char *dir, const char *filter,
                        bool skip_captured, const char *fname)
{
    ensure_dir(L, dir, fname);
    lua_newtable(L);
    for (uint32_t i = 0; i < n->net->n_nodes; i++) {
        ln_node *nd = n->net->nodes[i];
        if (!ln_net_local(n->net, nd->actor)) continue;   /* its own rank captures it */
        for (uint32_t j = 0; j < nd->n_ifaces; j++) {
            ln_iface *ifc = nd->ifaces[j];
            if (skip_captured && captured(n, &ifc->port)) continue;
            char path[4096];
            if (skip_captured) auto_path(L, n, dir, nd, ifc, path, sizeof path);
            else snprintf(path, sizeof path, "%s/%s-%s.pcap", dir, nd->name, ifc->name);
            push_capture(L, n, path, &ifc->port, NULL, filter, fname);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        }
    }
}

static const char *const cap_opts[] = {"iface", "link", "port", "switch", "dir", "file", "filter", NULL};

/* The string field k of net:capture's options, at the top of the stack. */
static const char *string_field(lua_State *L, const char *fname, const char *k)
{
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "%s: %s must be a string, got %s", fname, k, luaL_typename(L, -1));
    return lua_tostring(L, -1);
}

int lnl_net_capture(lua_State *L)
{
    const char *F = "net:capture";
    lnl_net *n = lnl_checknet(L, 1, F);
    if (lua_isnoneornil(L, 2)) lua_newtable(L), lua_replace(L, 2);
    lnl_checkopts(L, 2, F, cap_opts);
    const char *filter = NULL, *file = NULL;
    if (lnl_optfield(L, 2, "filter")) filter = string_field(L, F, "filter");   /* stays on the stack */
    if (lnl_optfield(L, 2, "file")) file = string_field(L, F, "file");
    lnl_modfield(L, "pcap_dir");
    const char *pdir = lua_isstring(L, -1) ? lua_tostring(L, -1) : ".";

    ln_port *port = NULL;
    ln_link *link = NULL;
    char base[256];
    int targets = 0;
    if (lnl_optfield(L, 2, "iface")) {
        lnl_handle *h = luaL_testudata(L, -1, LNL_IFACE);
        if (!h || h->n != n) luaL_error(L, "%s: iface must be an Iface of this network", F);
        ln_iface *ifc = h->obj;
        port = &ifc->port;
        snprintf(base, sizeof base, "%s-%s", ifc->node->name, ifc->name);
        targets++;
    }
    if (lnl_optfield(L, 2, "link")) {
        lnl_handle *h = luaL_testudata(L, -1, LNL_LINK);
        if (!h || h->n != n) luaL_error(L, "%s: link must be a Link of this network", F);
        link = h->obj;
        file_name(base, sizeof base, LN_LINK_NAME_OF(link));
        targets++;
    }
    if (lnl_optfield(L, 2, "switch")) {
        lnl_handle *h = luaL_testudata(L, -1, LNL_SWITCH);
        if (!h || h->n != n) luaL_error(L, "%s: switch must be a Switch of this network", F);
        ln_switch *sw = h->obj;
        if (!lnl_optfield(L, 2, "port")) luaL_error(L, "%s: a switch capture needs port = N", F);
        if (!lua_isinteger(L, -1))
            luaL_error(L, "%s: port must be an integer, got %s", F, luaL_typename(L, -1));
        lua_Integer p = lua_tointeger(L, -1);
        if (p < 1 || p > sw->n_ports)
            luaL_error(L, "%s: %s has no port %I (ports 1..%d)", F, sw->name, p, (int)sw->n_ports);
        port = sw->ports[p - 1];
        snprintf(base, sizeof base, "%s-p%d", sw->name, (int)p);
        targets++;
    } else if (lnl_optfield(L, 2, "port")) {
        luaL_error(L, "%s: port = N needs switch = sw", F);
    }
    const char *dir = NULL;
    if (lnl_optfield(L, 2, "dir")) { dir = string_field(L, F, "dir"); targets++; }
    if (targets > 1) luaL_error(L, "%s: give one of iface, link, switch+port or dir", F);
    if (targets == 0 || dir) {
        if (file) luaL_error(L, "%s: file names one capture; this captures every interface (use dir)", F);
        char d[4096];
        under(d, sizeof d, pdir, dir);
        capture_all(L, n, d, filter, false, F);
        return 1;
    }
    char path[4096];
    if (file && strcmp(file, "-") == 0) {
        /* A live stream on standard output (wireshark -k -i -): the
         * capture takes it, and what the script prints goes to stderr
         * from here on, so it cannot land inside the pcap stream. */
        if (lnl_rank_ctx && lnl_rank_ctx->size > 1)
            luaL_error(L, "%s: file \"-\" (standard output) is one stream: not in a split run "
                          "(each rank writes its own files)", F);
        push_capture(L, n, "-", port, link, filter, F);
        fflush(stdout);
        if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
            luaL_error(L, "%s: standard output: %s", F, strerror(errno));
        return 1;
    }
    if (file) {
        under(path, sizeof path, pdir, file);
        char *slash = strrchr(path, '/');
        if (slash && slash != path) {
            *slash = '\0';
            ensure_dir(L, path, F);
            *slash = '/';
        }
    } else {
        ensure_dir(L, pdir, F);
        snprintf(path, sizeof path, "%s/%s.pcap", pdir, base);
    }
    push_capture(L, n, path, port, link, filter, F);
    return 1;
}

void lnl_captures_split(lua_State *L, lnl_net *n)
{
    for (lnl_capref *r = n->caps; r; r = r->next) {
        if (!r->pending) continue;
        r->pending = false;
        if (!r->c) continue;                 /* closed already: nothing kept */
        char tmp[4200];
        part_path(tmp, sizeof tmp, r->path);
        const ln_port *port = ln_capture_port(r->c);
        const ln_link *link = ln_capture_link(r->c);
        if (target_here(L, n->net, port, link, "net:capture")) {
            int e = ln_capture_move(r->c, r->path);
            if (e) luaL_error(L, "net:capture: cannot move %s to %s: %s", tmp, r->path, strerror(e));
            continue;
        }
        lnl_push_uv(L, n);
        lua_getfield(L, -1, "cache");
        lua_pushnil(L);
        lua_rawsetp(L, -2, r->c);
        lua_pop(L, 2);
        ln_capture_close(r->c);
        r->c = NULL;
        unlink(tmp);
    }
}

void lnl_auto_capture(lua_State *L, lnl_net *n)
{
    lnl_modfield(L, "pcap_auto");
    bool on = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!on) return;
    lnl_modfield(L, "pcap_dir");
    const char *pdir = lua_isstring(L, -1) ? lua_tostring(L, -1) : ".";
    /* Interfaces already captured (by the script, or by an earlier run of
     * this network) are skipped; lunet test points pcap_dir at a fresh
     * directory per test. */
    capture_all(L, n, pdir, NULL, true, "lunet --pcap");
    lua_pop(L, 2);
}

/* ---- lunet.Capture ----------------------------------------------------- */

static lnl_capref *checkcap(lua_State *L, const char *fname)
{
    lnl_capref *r = lnl_checkudata(L, 1, LNL_CAPTURE, fname);
    if (r->c && !r->n->net) r->c = NULL;
    return r;
}

static int cap_index(lua_State *L)
{
    lnl_capref *r = checkcap(L, "Capture:__index");
    const char *k;
    if (lnl_index_method(L, &k)) return 1;
    if (k && strcmp(k, "path") == 0) lua_pushstring(L, r->path);
    else lua_pushnil(L);
    return 1;
}

static int cap_count(lua_State *L)
{
    lnl_capref *r = checkcap(L, "Capture:count");
    if (r->c) r->count = ln_capture_count(r->c);
    lua_pushinteger(L, (lua_Integer)r->count);
    return 1;
}

static int cap_flush(lua_State *L)
{
    lnl_capref *r = checkcap(L, "Capture:flush");
    char err[4200];
    if (r->c && ln_capture_flush(r->c) != 0) {
        ln_capture_status(r->c, err, sizeof err);
        r->reported = true;
        return luaL_error(L, "Capture:flush: %s", err);
    }
    return 0;
}

static int cap_close(lua_State *L)
{
    lnl_capref *r = checkcap(L, "Capture:close");
    if (r->c) {
        char err[4200];
        r->count = ln_capture_count(r->c);
        int rc = ln_capture_finish(r->c, err, sizeof err);
        r->c = NULL;
        if (rc != 0) {
            r->reported = true;
            return luaL_error(L, "Capture:close: %s", err);
        }
    }
    return 0;
}

bool lnl_captures_flush(lua_State *L, lnl_net *n)
{
    if (!n->net) return false;
    ln_net_flush_captures(n->net);
    for (lnl_capref *r = n->caps; r; r = r->next) {
        char err[4200];
        if (!r->c || r->reported || ln_capture_status(r->c, err, sizeof err) == 0) continue;
        r->reported = true;
        lua_pushstring(L, err);
        return true;
    }
    return false;
}

/* Finish n's captures, appending each failure not yet reported to the
 * table at msgs; returns how many there were. */
static int finish_net(lua_State *L, lnl_net *n, int msgs)
{
    int failed = 0;
    for (lnl_capref *r = n->caps; r; r = r->next) {
        if (!r->c) continue;
        char err[4200];
        r->count = ln_capture_count(r->c);
        int rc = ln_capture_finish(r->c, err, sizeof err);
        r->c = NULL;
        if (rc == 0 || r->reported) continue;
        r->reported = true;
        lua_pushstring(L, err);
        lua_rawseti(L, msgs, (lua_Integer)lua_rawlen(L, msgs) + 1);
        failed++;
    }
    return failed;
}

/* The messages of the table at msgs, one per line, replacing it. */
static void join_lines(lua_State *L, int msgs)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_Integer k = (lua_Integer)lua_rawlen(L, msgs);
    for (lua_Integer i = 1; i <= k; i++) {
        if (i > 1) luaL_addchar(&b, '\n');
        lua_rawgeti(L, msgs, i);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    lua_remove(L, msgs);
}

int lnl_captures_finish(lua_State *L, lnl_net *n)
{
    if (!n->net) return 0;
    lua_newtable(L);
    int msgs = lua_gettop(L);
    if (!finish_net(L, n, msgs)) {
        lua_pop(L, 1);
        return 0;
    }
    join_lines(L, msgs);
    return 1;
}

int lnl_captures_close_all(lua_State *L)
{
    lua_newtable(L);                  /* the messages, in order */
    int msgs = lua_gettop(L), failed = 0;
    if (lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_LIVE) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            lnl_net *n = lua_type(L, -1) == LUA_TUSERDATA ? lua_touserdata(L, -1) : NULL;
            if (n && n->net) failed += finish_net(L, n, msgs);
        }
    }
    lua_settop(L, msgs);
    if (!failed) {
        lua_pop(L, 1);
        return 0;
    }
    join_lines(L, msgs);
    return failed;
}

static int cap_tostring(lua_State *L)
{
    lnl_capref *r = checkcap(L, "Capture:__tostring");
    lua_pushfstring(L, "lunet.Capture(%s%s)", r->path, r->c ? "" : ", closed");
    return 1;
}

/* lunet.mkdir(path): mkdir -p, for reports and captures; raises with the
 * system's reason. */
static int l_mkdir(lua_State *L)
{
    ensure_dir(L, lnl_checkstring(L, 1, "lunet.mkdir"), "lunet.mkdir");
    return 0;
}

/* lunet.getcwd(): the working directory ($PWD may be stale), for the
 * relative links of a report. */
static int l_getcwd(lua_State *L)
{
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) return luaL_error(L, "lunet.getcwd: %s", strerror(errno));
    lua_pushstring(L, buf);
    return 1;
}

void lnl_open_capture(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LNL_REG_MODULE);
    lua_pushcfunction(L, l_mkdir);
    lua_setfield(L, -2, "mkdir");
    lua_pushcfunction(L, l_getcwd);
    lua_setfield(L, -2, "getcwd");
    lua_pop(L, 1);
    static const luaL_Reg methods[] = {
        {"count", cap_count}, {"flush", cap_flush}, {"close", cap_close}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__index", cap_index}, {"__tostring", cap_tostring}, {"__close", cap_close},
        {NULL, NULL},
    };
    lnl_newclass(L, LNL_CAPTURE, "Capture", methods, meta);
}
