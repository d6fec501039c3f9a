/* intercept.h - interception hooks: frames selected by a tcpdump filter on
 * a link direction, or on a node's input or output, are dropped, delayed,
 * duplicated, corrupted, shown to a callback (observe) or rewritten by it.
 * The firewall keeps its role; this is for experiments and faults.
 *
 * Call chain (each point costs one pointer test while it has no hook):
 *
 *   ln_link_send   -> [d->ic]           -> ln_link_send_cont  (up? mtu? queue)
 *   ln_eth_input   -> Ethernet checks, rx counted -> [n->ic[LN_IC_IN]]
 *                  -> ln_eth_input_cont (firewall IN, ARP | IP)
 *   ln_iface_xmit  -> firewall OUT -> [n->ic[LN_IC_OUT]]
 *                  -> ln_iface_xmit_cont (up? carrier? link)
 *
 * Input hooks run before the firewall and output hooks after it, where
 * Linux runs tc's ingress and egress qdiscs (netem) around netfilter.
 *
 * At a point, hooks run in the order they were added to the network.  A
 * hook acts on a frame when the frame is inside its time window, passes
 * its interface and filter (that is a match, counted), and the match is
 * selected by nth / every / count.  A frame a hook lets go (observed,
 * corrupted, rewritten, each copy of a duplicate, a delayed frame when its
 * time comes) continues with the next hook of the point, then where it
 * was going.  A dropped frame is a DROP event with reason INTERCEPT; a
 * lost one (LOSE) is sent and lost on the wire, a DROP with reason LOSS.
 *
 * Randomness (which bits to corrupt) comes from the hook's own stream,
 * derived from the seed and the hook's number, so a run repeats. */
#ifndef LN_INTERCEPT_H
#define LN_INTERCEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pkt.h"
#include "sim.h"

struct ln_net;
struct ln_node;
struct ln_iface;
struct ln_link;
struct ln_linkdir;

typedef enum {
    LN_IC_DROP, LN_IC_DELAY, LN_IC_DUPLICATE, LN_IC_CORRUPT, LN_IC_OBSERVE, LN_IC_REWRITE,
    LN_IC_LOSE,         /* links only: the frame goes through the queue and onto
                         * the wire, and is lost there like the link's own loss */
    LN_IC__ACTIONS
} ln_ic_action;

/* A node's two points (ln_node.ic[]); a link's are its directions 0, 1. */
enum { LN_IC_IN = 0, LN_IC_OUT = 1 };

extern const char *const ln_ic_action_names[];  /* "drop", "delay", ... */

#define LN_IC_MAX_COPIES 1000     /* more duplicates is a storm, not an experiment */
#define LN_IC_MAX_DELAY  (1000000 * LN_SEC)   /* as a link's delay */

/* Where a callback's frame is. */
typedef struct ln_ic_ctx {
    ln_time now;
    uint64_t match;               /* this hook's matches so far, this one included */
    uint64_t id;                  /* the hook's number */
    struct ln_link *link;         /* link hooks: the link and direction (0 a->b, 1 b->a) */
    struct ln_node *node;         /* node hooks: the node, interface and point */
    struct ln_iface *iface;
    int dir;                      /* link: 0, 1; node: LN_IC_IN, LN_IC_OUT */
} ln_ic_ctx;

/* OBSERVE and REWRITE call this with the frame (data at the Ethernet
 * header).  An observer must leave it alone; a rewriter may change its
 * bytes in place or replace them with ln_ic_set_frame (which may swap the
 * packet, hence the double pointer).  Never free it.  Return false to drop
 * it (REWRITE only; an observer's frame always goes on). */
typedef bool (*ln_ic_fn)(void *arg, const ln_ic_ctx *ctx, ln_pkt **frame);

typedef struct ln_ic_cfg {
    ln_ic_action action;
    const char *filter;           /* tcpdump syntax; NULL or "": every frame */
    const char *iface;            /* node hooks: only this interface; NULL: all */
    int dir;                      /* -1: both; link 0 a->b, 1 b->a; node LN_IC_IN, OUT */
    ln_time delay;                /* DELAY, at most LN_IC_MAX_DELAY */
    uint32_t copies;              /* DUPLICATE: extra copies, 1..LN_IC_MAX_COPIES */
    uint32_t bits;                /* CORRUPT: distinct bits, 1..LN_ETH_CORRUPT_MAX */
    uint64_t nth;                 /* act on the nth match only; 0: any */
    uint64_t every;               /* act on every nth match (n, 2n, ...); 0: any */
    uint64_t count;               /* act this many times, then no more; 0: no limit */
    ln_time from, until;          /* matches only at from <= now < until */
    ln_ic_fn fn;                  /* OBSERVE, REWRITE */
    void *arg;
} ln_ic_cfg;

/* What a hook is and has done (read-only to callers). */
typedef struct ln_ic_info {
    uint64_t id;                  /* 1, 2, ... in the order added to the network */
    ln_ic_cfg cfg;                /* cfg.filter and cfg.iface owned by the hook */
    struct ln_link *link;         /* what it is on: a link or a node */
    struct ln_node *node;
    uint64_t matched, acted;
} ln_ic_info;

typedef struct ln_ic ln_ic;

/* Every field unset: action DROP, all frames, both directions, one copy,
 * one bit, no count, a window from 0 to LN_NEVER. */
void ln_ic_cfg_default(ln_ic_cfg *c);

/* Add a hook on a link (both directions or cfg->dir) or a node (its input,
 * its output or both).  Checks the configuration and compiles the filter;
 * returns NULL and fills err ("filter \"tcp port\": syntax error", ...)
 * when it cannot. */
ln_ic *ln_ic_add_link(struct ln_link *l, const ln_ic_cfg *cfg, char *err, size_t errlen);
ln_ic *ln_ic_add_node(struct ln_node *n, const ln_ic_cfg *cfg, char *err, size_t errlen);
/* Take a hook out of its points at once: it sees no further frame (frames
 * it holds still continue when their time comes).  It is freed now, or
 * when its callback returns if that is running. */
void ln_ic_remove(ln_ic *ic);
const ln_ic_info *ln_ic_get_info(const ln_ic *ic);
/* The network's hooks in the order added (removed ones are gone). */
uint32_t ln_ic_count(const struct ln_net *net);
ln_ic *ln_ic_at(const struct ln_net *net, uint32_t i);
/* "h1.eth0<->h2.eth0:ab", "h1.eth0:in": where a callback's frame is. */
char *ln_ic_where(const ln_ic_ctx *ctx, char *buf, size_t len);

/* The points.  Call only when the chain pointer is set; consume frame. */
void ln_ic_link_run(struct ln_linkdir *d, ln_pkt *frame);
void ln_ic_node_run(struct ln_node *n, int point, struct ln_iface *ifc, ln_pkt *frame);

/* ---- pure parts (unit-tested on their own) ---- */

/* Does the k-th match (1-based), with `acted` actions so far, act? */
bool ln_ic_selects(const ln_ic_cfg *c, uint64_t k, uint64_t acted);
/* Replace a frame's bytes (1..LN_PKT_LARGE - LN_PKT_HEADROOM of them):
 * in place when they fit its buffer, else in a new packet that keeps the
 * trace id, kind, mark and interface (the old one is freed).  Returns 0,
 * LN_EINVAL for a bad length or LN_ENOMEM (the frame is then unchanged). */
int ln_ic_set_frame(ln_pkt **frame, const uint8_t *bytes, uint32_t len);

#endif
