/* lunet.h - internals shared by the files of the Lua binding (lua/l_*.c).
 *
 * The binding is a thin layer of userdata over the engine in core/:
 *
 *   lunet.Net      owns an ln_net (the only userdata that owns engine state)
 *   lunet.Node, lunet.Iface, lunet.Link, lunet.Switch, lunet.Capture
 *                  handles onto objects the ln_net owns; each keeps the Net
 *                  userdata alive (user value 1) and is cached per object in
 *                  the Net's user value, so one object has one handle
 *   lunet.Task     a coroutine driven by scheduler timers (l_task.c)
 *   lunet.IcmpSocket  a queue of ICMP messages a task can wait on (l_icmp.c)
 *   lunet.TcpSocket, lunet.UdpSocket  handles onto engine sockets the user
 *                  owns; blocking calls yield the task (l_tcp.c, l_udp.c)
 *
 * Lua never runs directly inside an engine callback: timers and event hooks
 * go through lnl_protected(), which runs the Lua part under lua_pcall on the
 * network's callback thread and turns an error into "stop the simulation
 * and raise it from net:run".  This is what lets engine code (which has no
 * idea Lua exists) never be unwound by a longjmp. */
#ifndef LUNET_H
#define LUNET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>
#include <lauxlib.h>

#include "err.h"
#include "net.h"
#include "sim.h"

#define LNL_VERSION "0.1.0"

/* Registry metatable names. */
#define LNL_NET     "lunet.Net"
#define LNL_NODE    "lunet.Node"
#define LNL_IFACE   "lunet.Iface"
#define LNL_LINK    "lunet.Link"
#define LNL_SWITCH  "lunet.Switch"
#define LNL_CAPTURE "lunet.Capture"
#define LNL_SOCK    "lunet.IcmpSocket"
#define LNL_TASK    "lunet.Task"
#define LNL_TCP     "lunet.TcpSocket"
#define LNL_UDP     "lunet.UdpSocket"
#define LNL_BRIDGE  "lunet.Bridge"

/* Registry keys of the binding's own tables. */
#define LNL_REG_MODULE  "lunet.module"   /* the module table */
#define LNL_REG_BYPTR   "lunet.byptr"    /* lightuserdata lnl_net* -> Net (weak) */
#define LNL_REG_LIVE    "lunet.live"     /* Net -> creation number (weak keys) */
#define LNL_REG_THREADS "lunet.threads"  /* coroutine -> Task (weak keys) */

struct lnl_sock;
struct lnl_capref;
struct lnl_tsock;
struct lnl_usock;
struct lnl_grave;
struct ln_tcp_sock;
struct ln_udp_sock;
struct ln_node;

typedef struct lnl_hook {
    int id;                    /* 0: removed, compacted when not dispatching */
    uint32_t mask;
} lnl_hook;

/* The C side of a lunet.Net userdata. */
typedef struct lnl_net {
    ln_net *net;               /* NULL once closed: every handle checks this */
    uint64_t serial;           /* creation number: "most recent network" */
    char name[32];
    lua_State *cb;             /* callback thread, anchored in the user value */
    /* Lua hooks (net:on): functions in uv.hooks[id], order and masks here. */
    lnl_hook *hooks; int n_hooks, cap_hooks, next_hook;
    int sub_id;                /* our one engine subscription, 0 when none */
    uint32_t sub_mask;
    int dispatching;           /* depth of hook dispatch */
    bool running;              /* inside net:run* */
    bool failed;               /* an error waits in uv.err for net:run */
    bool interrupted;          /* Ctrl-C stopped the last run */
    bool livelocked;           /* the last run stopped: time did not move */
    struct lnl_sock *socks;    /* open ICMP sockets, closed before the net */
    struct lnl_tsock *tsocks;  /* TCP sockets the user holds (l_tcp.c) */
    struct lnl_usock *usocks;  /* UDP sockets the user holds (l_udp.c) */
    struct lnl_grave *grave;   /* sockets collected by __gc, closed from a timer */
    struct lnl_capref *caps;   /* capture handles, detached before the net */
    struct lnl_task *tasks;    /* unfinished tasks (their timers are armed) */
    struct lnl_bridge *bridges;/* open bridges to real networks (l_bridge.c) */
} lnl_net;

/* Handle userdata for Node, Iface, Link, Switch. */
typedef struct lnl_handle {
    void *obj;
    lnl_net *n;
} lnl_handle;

/* Capture handle: the capture may be closed (or the net freed) under it. */
typedef struct lnl_capref {
    struct ln_capture *c;      /* NULL when closed */
    lnl_net *n;
    struct lnl_capref *next;
    const void *target;        /* port or link watched (auto-capture skips it) */
    uint64_t count;            /* frames, kept after close */
    bool reported;             /* its write error was raised already */
    bool pending;              /* a split run, not split yet: writing to
                                * path.rankN.part until the split says
                                * which rank keeps it (l_dist.c) */
    char path[4096];
} lnl_capref;

/* ---- l_module.c --------------------------------------------------------- */
int  luaopen_lunet(lua_State *L);
/* Push field `k` of the module table. */
int  lnl_modfield(lua_State *L, const char *k);
/* The start of every __index: true, with the method pushed, when key 2
 * names a method of the object at 1 (its metatable's __methods); else
 * false, with the key as a string (NULL if it is none) in *k. */
bool lnl_index_method(lua_State *L, const char **k);
/* Build a method table + metatable named tname; __index dispatches to
 * `index` (or to the methods when NULL); methods also go to lunet._methods. */
void lnl_newclass(lua_State *L, const char *tname, const char *short_name,
                  const luaL_Reg *methods, const luaL_Reg *meta);
/* Push the method table of a class (for __index functions). */
void lnl_getmethods(lua_State *L, const char *short_name);

/* ---- l_net.c ------------------------------------------------------------ */
void lnl_open_net(lua_State *L);
int  lnl_net_new(lua_State *L);               /* lunet.net{...} */
lnl_net *lnl_checknet(lua_State *L, int idx, const char *fname);
/* Push the Net userdata / its user value table; false if it is gone. */
bool lnl_push_net(lua_State *L, lnl_net *n);
void lnl_push_uv(lua_State *L, lnl_net *n);
/* The network holds the socket userdata at idx (under key) until
 * lnl_unanchor: an open socket is never collected while its network
 * lives, so nothing reaches the wire at a moment the collector picks. */
void lnl_anchor(lua_State *L, lnl_net *n, int idx, const void *key);
void lnl_unanchor(lua_State *L, lnl_net *n, const void *key);
/* Push the cached handle for obj (creating it with metatable tname). */
void lnl_push_handle(lua_State *L, lnl_net *n, void *obj, const char *tname);
/* What a method does with the host, switch or link it is called on: the
 * one rule of a split run (docs/parallel.md, "Handles in a split run").
 * Once the network is split, another rank's actor here is an inert copy,
 * frozen at the split, and a task or a hook runs on one rank only:
 *   LNL_DESCRIBE  reads the topology, which every rank knows alike (names,
 *                 interfaces, addresses, MACs, MTUs, forwarding): anywhere;
 *   LNL_OBSERVE   reads what the actor's own events change (counters,
 *                 tables, sockets, settings its tasks may change): on its
 *                 own rank only, running or not.  A link cut between ranks
 *                 is every rank's between runs (its counters are summed at
 *                 the end of each run) and no rank's while it runs;
 *   LNL_DRIVE     changes it: from the script's top level on every rank
 *                 (each makes the same change; the owner's is the real
 *                 one), but while the network runs only on its own rank (a
 *                 link: only on a rank that runs both its ends);
 *   LNL_RESHAPE   changes what LNL_DESCRIBE reads: in a split run, only
 *                 from the top level, so that every rank goes on knowing it.
 * Unsplit, nothing but the network's being open is checked. */
typedef enum lnl_access { LNL_DESCRIBE, LNL_OBSERVE, LNL_DRIVE, LNL_RESHAPE } lnl_access;
/* Check a handle argument, that its network is still open, and that this
 * rank may do acc with it (raising "<fname>: h2 runs on rank 1, ..."). */
lnl_handle *lnl_checkhandle(lua_State *L, int idx, const char *tname, const char *fname, lnl_access acc);
/* The same rule for what belongs to node nd without being a handle: its
 * sockets and tasks.  nd NULL (a network task): nothing to check. */
void lnl_checkowner(lua_State *L, lnl_net *n, const struct ln_node *nd, const char *fname, lnl_access acc);
/* A split run, and nd runs on another rank: its rank, else -1.  For
 * __tostring, which must not raise but must not show a stale state. */
int lnl_remote_rank(const lnl_net *n, const struct ln_node *nd);
/* At the split: drop the tasks of hosts other ranks run (l_task.c). */
void lnl_tasks_release_remote(lua_State *L, lnl_net *n);
/* The network the running task belongs to, else the most recently created
 * open one; pushes it and returns its lnl_net, or pushes nil and returns
 * NULL. */
lnl_net *lnl_current_net(lua_State *L);
/* Free the engine side of a network (idempotent; runs no Lua code). */
void lnl_net_close(lnl_net *n);
/* Close every open network (at exit, so captures are complete). */
void lnl_close_all(lua_State *L);
/* A drop-reason table: non-zero counters; absent known reasons read 0. */
void lnl_push_drops(lua_State *L, const uint64_t *drops);
/* One uint64_t counter of an engine stats struct, named in Lua as in C:
 * LNL_COUNTER(ln_iface_stats, rx_packets).  A field of another type does
 * not compile, so a struct that changes cannot be read wrong. */
typedef struct lnl_counter { const char *name; size_t off; } lnl_counter;
#define LNL_COUNTER(type, field) { #field, _Generic(((type *)0)->field, uint64_t: offsetof(type, field)) }
/* A new table {name = value} of the counters c (up to a NULL name) of the
 * struct at st: what iface:stats, link:stats and switch:stats return. */
void lnl_push_counters(lua_State *L, const void *st, const lnl_counter *c);

/* ---- l_node.c, l_iface.c, l_link.c, l_switch.c, l_capture.c ------------- */
void lnl_open_node(lua_State *L);
void lnl_open_iface(lua_State *L);
void lnl_open_link(lua_State *L);
void lnl_open_switch(lua_State *L);
void lnl_open_capture(lua_State *L);
int  lnl_net_link(lua_State *L);              /* net:link(A, B, opts) */
int  lnl_net_capture(lua_State *L);           /* net:capture(opts) */
int  lnl_net_captures(lua_State *L);          /* net:captures() */
/* Auto-capture every interface of the network into lunet.pcap_dir (when
 * lunet.pcap_auto is set, e.g. by --pcap). */
void lnl_auto_capture(lua_State *L, lnl_net *n);
/* Resolve an interface: an Iface of node `nd`, or its name; positional
 * argument arg of fname, or (lnl_checkiface_of) a field ctx names. */
struct ln_iface *lnl_argiface(lua_State *L, int arg, struct ln_node *nd, const char *fname);
struct ln_iface *lnl_checkiface_of(lua_State *L, int idx, struct ln_node *nd, const char *ctx);
/* Get or set an interface address from argument idx (Iface:addr, Node:addr). */
int lnl_iface_addr(lua_State *L, struct ln_iface *ifc, int idx, const char *fname);
/* Parse an address (plen may be NULL: no prefix allowed); positional
 * argument arg of fname, or (lnl_checkaddr) a field, raising
 * "<ctx>: address ...: why". */
uint32_t lnl_argaddr(lua_State *L, int arg, uint8_t *plen, const char *fname);
uint32_t lnl_checkaddr(lua_State *L, int idx, uint8_t *plen, const char *ctx);
/* Flush every open capture of n; if one failed and nobody was told yet,
 * push its message ("capture \"x.pcap\": write failed: ..."), mark it told
 * and return true. */
bool lnl_captures_flush(lua_State *L, lnl_net *n);
/* At exit: close every open capture of every network; push the failures
 * nobody was told of, one per line, and return how many (0: nothing
 * pushed). */
int  lnl_captures_close_all(lua_State *L);
/* Finish the captures of one network (net:close): 1 with the failures
 * not yet reported pushed as one message, else 0. */
int  lnl_captures_finish(lua_State *L, lnl_net *n);

/* ---- l_units.c ---------------------------------------------------------- */
/* A bare number is the base unit: seconds, bit/s, bytes, 0..1.  Each field
 * parser raises "<ctx> \"<input>\": <why>" on bad input; ctx is what the
 * user wrote, e.g. "link: delay". */
ln_time  lnl_checktime(lua_State *L, int idx, const char *ctx);
uint64_t lnl_checkrate(lua_State *L, int idx, const char *ctx);
/* Sizes: bytes, or packets when *pkts is non-NULL and a packet unit
 * (p, pkts) was used; a bare number is bytes, or packets if num_is_pkts. */
uint64_t lnl_checksize(lua_State *L, int idx, const char *ctx, bool *pkts, bool num_is_pkts);
double   lnl_checkprob(lua_State *L, int idx, const char *ctx);
/* The same for positional argument arg of fname, through lnl_argerror;
 * what (may be NULL) names what it sets ("net.ipv4.tcp_fin_timeout"). */
ln_time  lnl_argtime(lua_State *L, int arg, const char *fname, const char *what);
uint64_t lnl_argsize(lua_State *L, int arg, const char *fname, const char *what);
/* Push a time as getters return it: seconds, what a number means when
 * set (an integer when whole, else a float), so it can be written back. */
void lnl_push_time(lua_State *L, ln_time ns);
/* Raise if the table at idx has a key not in known (NULL-terminated), or
 * is not a table: idx > 0 is an argument of the function ctx names, idx
 * < 0 a table that is itself a field ("link: ab"). */
void lnl_checkopts(lua_State *L, int idx, const char *ctx, const char *const known[]);
/* Field helpers: push t[k]; return true when it is not nil (pops nil). */
bool lnl_optfield(lua_State *L, int idx, const char *k);
/* "1.200ms"-style formatting into buf (at least 32 bytes). */
char *lnl_fmt_time(int64_t ns, char *buf, size_t len);
void lnl_open_units(lua_State *L);            /* lunet.time/rate/size/... */

/* ---- l_task.c ----------------------------------------------------------- */
typedef struct lnl_task lnl_task;
void lnl_open_task(lua_State *L);
void lnl_open_filter(lua_State *L);           /* lunet.filter (l_filter.c) */
void lnl_open_clock(lua_State *L);            /* lunet.wallclock (l_clock.c) */
void lnl_open_rng(lua_State *L);              /* net:rng (l_rng.c) */
void lnl_open_dns(lua_State *L);              /* lunet.dns.encode/decode (l_dns.c) */
/* A host name (a string with a letter, not an IPv6 address or a prefix)
 * at argument arg, where an address is expected. */
bool lnl_is_hostname(lua_State *L, int arg);
/* Resolve the name at argument arg for node nd through lunet.dns (which
 * blocks, so only in a task, unless h:hosts knows it), put the address in
 * its place and return again(L); when the name does not resolve, return
 * nil, why.  For the socket calls that take an address: call it first
 * thing, with the function itself as again. */
int lnl_resolve_arg(lua_State *L, lnl_net *n, struct ln_node *nd, int arg, const char *fname,
                    lua_CFunction again);
int  lnl_spawn(lua_State *L, lnl_net *n, struct ln_node *node, int fidx, const char *fname);
/* The task running on L, or NULL (pushes nothing). */
lnl_task *lnl_current_task(lua_State *L);
/* Run the function at fidx (arguments after it) as a task of n, its first
 * part now; pushes the Task and nil, or its error with a traceback. */
int  lnl_task_run_now(lua_State *L, lnl_net *n, int fidx);
/* In that first part (which may drive a network, as the caller could). */
bool lnl_task_is_sync(const lnl_task *t);
/* A task of n will run again by itself (not waiting on I/O forever). */
bool lnl_tasks_busy(const lnl_net *n);
lnl_net *lnl_task_net(const lnl_task *t);
/* Block the current task until lnl_task_wake (or its timer at `deadline`,
 * LN_NEVER for none) and return what the waker's builder pushes.
 * `builder(co, arg)` runs on the task's stack when it resumes and returns
 * the number of values it pushed. */
typedef int (*lnl_wake_fn)(lua_State *co, lnl_task *t, void *arg);
int  lnl_task_block(lua_State *L, lnl_task *t, ln_time deadline, lnl_wake_fn fn, void *arg);
/* The same, but the blocked C function goes on in `k` when the task
 * resumes (lua_yieldk), with its stack as it left it plus what the builder
 * pushed: a socket call retries, and blocks again until it can finish. */
int  lnl_task_block_k(lua_State *L, lnl_task *t, ln_time deadline, lnl_wake_fn fn, void *arg,
                      lua_KContext ctx, lua_KFunction k);
/* The same again, but each wake first runs poll(t, arg) from the
 * scheduler, without Lua: it retries the call in C (it may not raise or
 * touch a Lua stack) and returns true when the call can finish; the task
 * resumes in k only then or once `deadline` has passed, and otherwise
 * stays blocked.  k tells the two apart from what poll left in arg. */
typedef bool (*lnl_poll_fn)(lnl_task *t, void *arg);
int  lnl_task_block_poll(lua_State *L, lnl_task *t, ln_time deadline, lnl_poll_fn poll,
                         lnl_wake_fn fn, void *arg, lua_KContext ctx, lua_KFunction k);
/* Make a blocked task resume at the current virtual time (through its
 * timer, so resumes only ever happen from the scheduler). */
void lnl_task_wake(lnl_task *t);
/* Kill every task of a network without running Lua (network closing). */
void lnl_tasks_abort(lnl_net *n);
/* Raise "<fname>: not inside a task (use host:spawn)" unless L is a task
 * that can yield; returns the task. */
lnl_task *lnl_checktask(lua_State *L, const char *fname);

/* ---- l_icmp.c ----------------------------------------------------------- */
void lnl_open_icmp(lua_State *L);
int  lnl_node_icmp_socket(lua_State *L);
void lnl_socks_close_all(lnl_net *n);

/* ---- l_tcp.c, l_udp.c ---------------------------------------------------- */
void lnl_open_tcp(lua_State *L);              /* also h:tcp/listen/connect/sockets */
void lnl_open_udp(lua_State *L);              /* also h:udp */
void lnl_open_dhcp(lua_State *L);             /* lunet.dhcp.encode/decode (l_dhcp.c) */
/* Network closing: forget every engine socket (ln_net_free frees them). */
void lnl_tcp_close_all(lnl_net *n);
void lnl_udp_close_all(lnl_net *n);
/* Close an engine socket later, from a timer: __gc and event hooks run
 * inside engine code, which must not be re-entered. */
void lnl_grave_tcp(lnl_net *n, struct ln_tcp_sock *s);
void lnl_grave_udp(lnl_net *n, struct ln_udp_sock *s);
/* "10.0.0.1:80" into buf (at least 24 bytes); "0.0.0.0:*" for port 0
 * when star is set. */
char *lnl_fmt_endpoint(uint32_t addr, uint16_t port, bool star, char *buf);
/* "[2001:db8::1]:80" (ss's form for IPv6) into buf of LNL_EPLEN bytes;
 * "[::]:*" for port 0 when star is set. */
#define LNL_EPLEN 56
char *lnl_fmt_endpoint6(const struct ln_in6 *addr, uint16_t port, bool star, char *buf);
/* An address argument of either family: an IPv6 literal (true, *a6), or
 * what lnl_argaddr takes (false, *a4); an IPv4-mapped literal is its
 * IPv4 address.  lnl_checkaddr46: the same for a field (errors name ctx). */
bool lnl_argaddr46(lua_State *L, int arg, uint32_t *a4, struct ln_in6 *a6, const char *fname);
/* The same with a zone allowed on a link-local IPv6 address (see
 * lnl_argaddr6z): *zone NULL for IPv4 and for none. */
bool lnl_argaddr46z(lua_State *L, int arg, struct ln_node *nd, uint32_t *a4, struct ln_in6 *a6,
                    struct ln_iface **zone, const char *fname);
bool lnl_checkaddr46(lua_State *L, int idx, uint32_t *a4, struct ln_in6 *a6, const char *ctx);
/* Raise "<fname>: not allowed inside an event hook (...)" when called from
 * a net:on hook, where engine code is on the C stack. */
void lnl_check_not_in_hook(lua_State *L, lnl_net *n, const char *fname);

/* ---- l_firewall.c ------------------------------------------------------- */
void lnl_open_firewall(lua_State *L);
void lnl_open_ip6(lua_State *L);              /* ifc:addr6, h:addr6, ifc:ra, h:neigh6 ... */
/* IPv6 for l_node.c's route methods (l_ip6.c). */
struct ln_in6 lnl_argaddr6(lua_State *L, int arg, uint8_t *plen, const char *fname);
/* A destination that may carry a zone, "fe80::1%eth1" (RFC 4007 11.2, as
 * Linux's sin6_scope_id): *zone gets nd's interface of that name, NULL
 * without one.  A zone on a global address, or a name nd has no
 * interface of, raises (naming its interfaces).  nd or zone NULL: a zone
 * raises as not taken here. */
struct ln_in6 lnl_argaddr6z(lua_State *L, int arg, struct ln_node *nd, struct ln_iface **zone,
                            const char *fname);
/* An address as ss and ping print it: "fe80::1%eth1" when it is
 * link-local and zone is known, else RFC 5952.  buf: LNL_IN6Z_LEN. */
#define LNL_IN6Z_LEN 64
char *lnl_fmt_in6z(const struct ln_in6 *a, const struct ln_iface *zone, char *buf);
int lnl_node_route6(lua_State *L, struct ln_node *nd, const char *fname);
int lnl_node_unroute6(lua_State *L, struct ln_node *nd, const char *fname);
int lnl_node_lookup6(lua_State *L, struct ln_node *nd, int arg, const char *fname);
void lnl_push_routes6(lua_State *L, struct ln_node *nd, int t);         /* h:firewall/firewall_policy/... */
void lnl_open_intercept(lua_State *L);        /* net:intercept, lunet.Intercept (l_intercept.c) */

/* ---- l_bridge.c --------------------------------------------------------- */
struct ev_loop;
void lnl_open_bridge(lua_State *L);
/* True while n has an open bridge: its runs go by the wall clock. */
bool lnl_bridged(const lnl_net *n);
/* Watch every open bridge of n on loop: ready(arg) when one holds frames.
 * Idempotent; bridges opened since the last call are added. */
void lnl_bridges_watch(lnl_net *n, struct ev_loop *loop, void (*ready)(void *arg), void *arg);
void lnl_bridges_unwatch(lnl_net *n);
/* Start what the devices hold (at most budget frames) onto the bridges'
 * links at the current virtual time, which the driver has brought up to
 * the wall clock.  A device that fails fails the run (net:run raises). */
unsigned lnl_bridges_drain(lnl_net *n, unsigned budget);
void lnl_bridges_close_all(lnl_net *n);
/* lunet run/repl --bridge: bridge what the command line asked for, once
 * per network. */
void lnl_auto_bridge(lua_State *L, lnl_net *n);

/* ---- l_event.c ---------------------------------------------------------- */
int  lnl_net_on(lua_State *L);
int  lnl_net_off(lua_State *L);
void lnl_hooks_clear(lnl_net *n);
/* Run fn(L, arg) as Lua under lua_pcall on the network's callback thread;
 * an error stops the simulation and is kept for net:run to raise. */
void lnl_protected(lnl_net *n, lua_CFunction fn, void *arg);
/* Record an error value (on top of L, popped) to be raised by net:run. */
void lnl_fail(lua_State *L, lnl_net *n);

/* ---- l_decode.c --------------------------------------------------------- */
/* One-line tcpdump-like summary of a frame/packet; every length checked. */
void lnl_summary(const uint8_t *p, uint32_t len, int layer,
                 const uint8_t *buf_start, char *out, size_t outlen);
/* The fields of an IPv4/TCP/UDP packet that event tables carry (ev.src,
 * ev.sport, ev.seq, ...); false if it is not IPv4. */
typedef struct lnl_pktinfo {
    bool ip, frag, l4, tcp;       /* frag: not the first fragment (no ports) */
    bool v6;                      /* IPv6: the addresses are src6/dst6, ttl the
                                   * hop limit, proto the upper layer's */
    uint32_t src, dst;
    uint8_t src6[16], dst6[16];
    uint8_t proto, ttl;
    uint16_t ipid;
    uint16_t sport, dport;        /* l4 */
    uint8_t flags;                /* tcp */
    char flag_letters[12];        /* tcpdump's: "S", "S.", "P.", "F." ... */
    uint32_t seq, ack;
    uint16_t win;                 /* as on the wire (unscaled) */
    uint32_t payload;             /* TCP or UDP data bytes */
} lnl_pktinfo;
bool lnl_pktinfo_get(const uint8_t *p, uint32_t len, int layer, const uint8_t *buf_start,
                     lnl_pktinfo *pi);

/* ---- l_run.c / realtime.c ----------------------------------------------- */
/* The binding's globals, process-wide by nature.  lnl_interrupt: set by
 * the CLI's handlers of SIGINT, SIGTERM, SIGHUP and --timeout's SIGALRM
 * (or the realtime driver), polled between events by the drivers. */
extern volatile sig_atomic_t lnl_interrupt;
/* The task coroutine running now, or NULL: a SIGINT handler hooks it too,
 * since a hook set on the main thread does not reach it. */
extern lua_State *volatile lnl_running_co;
/* "h1, script.lua:12": the task resumed last (a livelock names it). */
extern char lnl_last_task[80];
/* Set with lnl_interrupt by `--timeout` (main.c): the stop is a timeout. */
extern volatile sig_atomic_t lnl_timed_out;
/* Set with lnl_interrupt by the CLI's handler of SIGINT, SIGTERM and
 * SIGHUP (or by the realtime driver's own SIGINT watcher): which signal
 * stopped the run.  An interrupt ends the script: it stays set, and every
 * net:run raises at once, until the process exits with 128 + it. */
extern volatile sig_atomic_t lnl_signal;
/* True while the CLI's signal handlers are on (they wake the realtime
 * driver through lnl_realtime_wake); otherwise that driver watches SIGINT
 * itself, for a plain require "lunet". */
extern volatile sig_atomic_t lnl_cli_signals;
/* "SIGINT", "SIGTERM", "SIGHUP"; NULL for another signal. */
const char *lnl_signal_name(int sig);
/* "interrupted at t=1.234s", "terminated at t=1.234s (SIGTERM)", with
 * " in the task at x.lua:7" when where is given, pushed; n (NULL: no time)
 * is the network that stopped. */
const char *lnl_push_stop_message(lua_State *L, lnl_net *n, int sig, const char *where);
/* The progress line of net:run (lunet.progress): true while it is on
 * stderr.  Whatever writes to the terminal calls lnl_progress_erase first
 * (main.c wraps print and io.write), and sets lnl_out_midline when what it
 * wrote to stdout did not end a line, so the next line goes below it. */
extern bool lnl_progress_shown;
extern bool lnl_out_midline;
void lnl_progress_erase(void);
void lnl_open_run(lua_State *L);              /* adds run/run_until/step/stop */

/* ---- l_dist.c, l_mpi.c: lunet run --ranks ----------------------------- */
struct ln_dist;
/* The ranks of a split run and their two collectives. */
typedef struct lnl_ranks {
    uint32_t rank, size;
    /* Every rank: *next becomes the least, *stop the largest. */
    void (*agree)(ln_time *next, uint32_t *stop);
    /* Every rank: send the outboxes, deliver what the others sent. */
    int (*exchange)(struct ln_dist *d);
    /* Every rank: v becomes the element-wise sum of every rank's v (the
     * counters of the links cut between ranks, at the end of a run). */
    void (*sum)(uint64_t *v, size_t n);
} lnl_ranks;
extern const lnl_ranks *lnl_rank_ctx;        /* NULL unless lunet run --ranks */
void lnl_open_dist(lua_State *L);             /* net:partition, rank, owns, dist_stats */
/* At the first net:run of a ranked run: split the network. */
void lnl_dist_prepare(lua_State *L, lnl_net *n);
/* After the split: each pending capture is kept by the rank that runs
 * its target (renamed into place) and dropped by the others (l_capture.c). */
void lnl_captures_split(lua_State *L, lnl_net *n);
/* The windowed driver; false when some rank stopped the run
 * (*stopped_by: that rank + 1). */
bool lnl_dist_drive(lnl_net *n, ln_time until, uint32_t *stopped_by);
/* l_mpi.c: start MPI and set lnl_rank_ctx (0), or fill err (not built
 * with MPI); end it after the script (status: its exit status). */
int lnl_mpi_init(int *argc, char ***argv, char *err, size_t errlen);
void lnl_mpi_finish(int status);
/* Pace the simulation to the wall clock until `until`; returns false when
 * a signal (lnl_signal) stopped it. */
bool lnl_realtime_run(lnl_net *n, ln_time until, double speed);   /* speed: virtual s per wall s */
/* Wake a realtime run waiting for its next event (async-signal-safe: the
 * CLI's signal handlers call it). */
void lnl_realtime_wake(void);

/* ---- network outcomes (l_module.c) -------------------------------------- */
/* Push nil and the word for an LN_E* code (ln_strerror): what every
 * blocking call returns when the network says no.  Returns 2. */
int lnl_push_err(lua_State *L, int err);
/* rc < 0: lnl_push_err; else push true.  Returns the number of values. */
int lnl_push_rc(lua_State *L, int rc);

/* ---- argument errors (l_module.c) --------------------------------------- */
/* Every bad positional argument is raised here, worded as luaL_argerror
 * words it but with the function's name as lunet writes it (luaL_argerror
 * guesses names, and through __index it guesses "set" for link:set):
 *     bad argument #2 to 'link:get' (direction "xy" unknown (use ...))
 * A method call counts from the first argument after self, and a bad self
 * reads "calling 'link:get' on bad self (...)".  A bad field of an options
 * table is not an argument error: it is raised as "<fname>: <field> ...". */
int lnl_argerror(lua_State *L, int arg, const char *fname, const char *fmt, ...);
/* A bad value for socket option opt: positional argument arg of fname
 * (s:setoption(name, value)), or with arg 0 a field of an options table
 * (h:tcp{...}), raised as "<fname>: <opt>: <why>". */
int lnl_opterror(lua_State *L, int arg, const char *fname, const char *opt, const char *fmt, ...);
/* "<expected> expected, got <type or __name>", through lnl_argerror. */
int lnl_typeerror(lua_State *L, int arg, const char *fname, const char *expected);
/* luaL_checkstring, luaL_checkinteger and luaL_checkudata through it. */
const char *lnl_checkstring(lua_State *L, int arg, const char *fname);
lua_Integer lnl_checkinteger(lua_State *L, int arg, const char *fname);
void *lnl_checkudata(lua_State *L, int arg, const char *tname, const char *fname);

/* ---- repl.c (linked into the lunet binary only) ------------------------- */
/* The interactive loop of `lunet repl`: load script (may be NULL) with its
 * args, then read and evaluate lines while the networks run in real time.
 * docall runs a chunk under the CLI's traceback handler. */
typedef int (*lnl_docall_fn)(lua_State *L, int narg, int nres);
int lnl_repl_main(lua_State *L, const char *script, char **args, int nargs, lnl_docall_fn docall);

#endif
