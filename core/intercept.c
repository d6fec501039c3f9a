/* intercept.c - interception hooks on link directions and node points.
 *
 * Call chain: ln_link_send / ln_eth_input / ln_iface_xmit test their chain
 * pointer and call ln_ic_link_run / ln_ic_node_run -> run(): for each hook
 * of the point in order, acts() (window, interface, filter, selection)
 * then the action; a frame that goes on reaches cont(), which calls the
 * point's *_cont function (link.h, eth.h, node.h).  DELAY parks the frame
 * in a held record whose timer calls run() again past the delaying hook.
 *
 * A point's chain is an array of hooks sorted by id (hooks are only ever
 * appended).  run() never keeps an index into it across an action: it
 * looks up "the first hook after id X" each time, so a callback that
 * removes hooks (its own included) leaves nothing dangling, and a frame
 * released after a delay finds its place even if the chain changed. */
#include "intercept.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf.h"
#include "err.h"
#include "eth.h"
#include "link.h"
#include "net.h"
#include "node.h"

const char *const ln_ic_action_names[] = {
    "drop", "delay", "duplicate", "corrupt", "observe", "rewrite", "lose", NULL,
};

struct ln_ic_chain {
    ln_ic **v;
    uint32_t n, cap;
};

/* A point: a link direction (d set), or a node's input or output. */
typedef struct point {
    ln_linkdir *d;
    ln_node *n;
    ln_iface *ifc;                /* node points: the frame's interface */
    int dir;                      /* link 0/1, node LN_IC_IN/OUT */
} point;

struct ln_ic {
    ln_ic_info info;
    ln_net *net;
    ln_bpf *bpf;
    ln_iface *ifc;                /* node hooks limited to one interface */
    ln_rng rng;                   /* "intercept:<id>" */
    point pts[2];                 /* the chains it sits in (ifc unused) */
    int n_pts;
    uint32_t busy;                /* its callback is running */
    bool removed;
};

/* A frame parked by DELAY: where it was, and past which hook it resumes. */
typedef struct held {
    ln_timer timer;
    ln_pkt *frame;
    point pt;
    uint64_t after;
    struct ln_ic_set *set;
    struct held *prev, *next;
} held;

struct ln_ic_set {
    ln_ic **v; uint32_t n, cap;   /* every live hook, in the order added */
    uint64_t next_id;
    held *held;                   /* frames being delayed */
    held *spare;                  /* records to reuse: delays do not malloc per frame */
};

/* ---- pure parts ---------------------------------------------------------------- */

void ln_ic_cfg_default(ln_ic_cfg *c)
{
    *c = (ln_ic_cfg){ .action = LN_IC_DROP, .dir = -1, .copies = 1, .bits = 1,
                      .from = 0, .until = LN_NEVER };
}

bool ln_ic_selects(const ln_ic_cfg *c, uint64_t k, uint64_t acted)
{
    if (c->nth && k != c->nth) return false;
    if (c->every && k % c->every != 0) return false;
    if (c->count && acted >= c->count) return false;
    return true;
}

int ln_ic_set_frame(ln_pkt **frame, const uint8_t *bytes, uint32_t len)
{
    ln_pkt *p = *frame;
    if (len == 0 || len > LN_PKT_LARGE - LN_PKT_HEADROOM) return LN_EINVAL;
    if (len <= p->cap - ln_pkt_headroom(p)) {
        memmove(p->data, bytes, len);       /* bytes may come from the frame itself */
        p->len = len;
        return 0;
    }
    ln_pkt *q = ln_pkt_alloc(p->pool, len);
    if (!q) return LN_ENOMEM;
    memcpy(q->data, bytes, len);
    /* The same packet, changed: it keeps its identity for traces. */
    q->id = p->id;
    q->kind = p->kind;
    q->mark = p->mark;
    q->in_if = p->in_if;
    ln_pkt_free(p);
    *frame = q;
    return 0;
}

char *ln_ic_where(const ln_ic_ctx *ctx, char *buf, size_t len)
{
    if (ctx->link)
        snprintf(buf, len, "%s:%s", LN_LINK_NAME_OF(ctx->link), ctx->dir ? "ba" : "ab");
    else
        snprintf(buf, len, "%s.%s:%s", ctx->node ? ctx->node->name : "?",
                 ctx->iface ? ctx->iface->name : "?", ctx->dir == LN_IC_OUT ? "out" : "in");
    return buf;
}

/* ---- chains and the set ------------------------------------------------------- */

static struct ln_ic_chain **slot_of(const point *pt)
{
    return pt->d ? &pt->d->ic : &pt->n->ic[pt->dir];
}

static ln_net *net_of(const point *pt)
{
    return pt->d ? pt->d->link->net : pt->n->net;
}

static int chain_add(struct ln_ic_chain **slot, ln_ic *ic)
{
    struct ln_ic_chain *c = *slot;
    if (!c && !(c = calloc(1, sizeof *c))) return LN_ENOMEM;
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 4;
        ln_ic **v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            if (!*slot) free(c);
            return LN_ENOMEM;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = ic;
    *slot = c;
    return 0;
}

/* An empty chain is freed, so the point is back to one pointer test. */
static void chain_del(struct ln_ic_chain **slot, const ln_ic *ic)
{
    struct ln_ic_chain *c = *slot;
    if (!c) return;
    for (uint32_t i = 0; i < c->n; i++) {
        if (c->v[i] != ic) continue;
        memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof *c->v);
        c->n--;
        break;
    }
    if (c->n == 0) {
        free(c->v);
        free(c);
        *slot = NULL;
    }
}

static ln_ic *next_after(const struct ln_ic_chain *c, uint64_t after)
{
    for (uint32_t i = 0; c && i < c->n; i++)
        if (c->v[i]->info.id > after) return c->v[i];
    return NULL;
}

static void free_all(void *net);

/* The network's hooks, made on first use; the network frees them before
 * the nodes and links they hang off (LN_OWN_HOOKS). */
static struct ln_ic_set *set_get(ln_net *net)
{
    if (net->ic) return net->ic;
    struct ln_ic_set *set = calloc(1, sizeof *set);
    if (!set) return NULL;
    if (ln_net_own(net, net, free_all, LN_OWN_HOOKS) != 0) {
        free(set);
        return NULL;
    }
    set->next_id = 1;
    net->ic = set;
    return set;
}

static void hook_free(ln_ic *ic)
{
    ln_bpf_free(ic->bpf);
    free((char *)ic->info.cfg.filter);
    free((char *)ic->info.cfg.iface);
    free(ic);
}

/* ---- adding and removing ------------------------------------------------------ */

static int check_cfg(const ln_ic_cfg *c, char *err, size_t errlen)
{
    if ((unsigned)c->action >= LN_IC__ACTIONS) {
        snprintf(err, errlen, "action %d unknown", (int)c->action);
        return LN_EINVAL;
    }
    if (c->dir < -1 || c->dir > 1) {
        snprintf(err, errlen, "direction %d out of range (0, 1, or -1 for both)", c->dir);
        return LN_EINVAL;
    }
    if (c->action == LN_IC_DUPLICATE && (c->copies < 1 || c->copies > LN_IC_MAX_COPIES)) {
        snprintf(err, errlen, "duplicate: %u copies (allowed: 1 to %u)", c->copies,
                 LN_IC_MAX_COPIES);
        return LN_EINVAL;
    }
    if (c->action == LN_IC_CORRUPT && (c->bits < 1 || c->bits > LN_ETH_CORRUPT_MAX)) {
        snprintf(err, errlen, "corrupt: %u bits (allowed: 1 to %u)", c->bits, LN_ETH_CORRUPT_MAX);
        return LN_EINVAL;
    }
    if (c->action == LN_IC_DELAY && c->delay > LN_IC_MAX_DELAY) {
        snprintf(err, errlen, "delay beyond %llu s", (unsigned long long)(LN_IC_MAX_DELAY / LN_SEC));
        return LN_EINVAL;
    }
    if ((c->action == LN_IC_OBSERVE || c->action == LN_IC_REWRITE) && !c->fn) {
        snprintf(err, errlen, "%s needs a function", ln_ic_action_names[c->action]);
        return LN_EINVAL;
    }
    if (c->until <= c->from) {
        snprintf(err, errlen, "the window ends (until) before it starts (from)");
        return LN_EINVAL;
    }
    return 0;
}

static ln_ic *add(ln_net *net, ln_link *l, ln_node *n, const ln_ic_cfg *cfg,
                  char *err, size_t errlen)
{
    if (check_cfg(cfg, err, errlen)) return NULL;
    ln_iface *ifc = NULL;
    if (cfg->iface && l) {
        snprintf(err, errlen, "iface is for hooks on a node, not on a link");
        return NULL;
    }
    if (cfg->action == LN_IC_LOSE && !l) {
        /* A node's frames meet a wire only after its hooks, and one it
         * received has left the wire already. */
        snprintf(err, errlen, "lose is for hooks on a link (it loses a frame on the wire)");
        return NULL;
    }
    if (cfg->iface && !(ifc = ln_node_iface(n, cfg->iface))) {
        snprintf(err, errlen, "%s has no interface \"%s\"", n->name, cfg->iface);
        return NULL;
    }
    struct ln_ic_set *s = set_get(net);
    ln_ic *ic = calloc(1, sizeof *ic);
    if (!s || !ic) {
        free(ic);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char why[256];
    if (!(ic->bpf = ln_bpf_new(cfg->filter, why, sizeof why))) {
        snprintf(err, errlen, "filter \"%s\": %s", cfg->filter ? cfg->filter : "", why);
        free(ic);
        return NULL;
    }
    ic->net = net;
    ic->ifc = ifc;
    ic->info.cfg = *cfg;
    ic->info.cfg.filter = strdup(cfg->filter ? cfg->filter : "");
    ic->info.cfg.iface = cfg->iface ? strdup(cfg->iface) : NULL;
    ic->info.link = l;
    ic->info.node = n;
    for (int dir = 0; dir < 2; dir++) {
        if (cfg->dir >= 0 && cfg->dir != dir) continue;
        ic->pts[ic->n_pts++] = l ? (point){ .d = &l->d[dir], .dir = dir }
                                 : (point){ .n = n, .dir = dir };
    }
    bool ok = ic->info.cfg.filter && (!cfg->iface || ic->info.cfg.iface);
    if (ok && s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        ln_ic **v = realloc(s->v, cap * sizeof *v);
        if (v) {
            s->v = v;
            s->cap = cap;
        }
        ok = v != NULL;
    }
    int added = 0;
    /* The id is known before the chains see the hook: they are sorted by it. */
    ic->info.id = s->next_id;
    for (; ok && added < ic->n_pts; added++)
        ok = chain_add(slot_of(&ic->pts[added]), ic) == 0;
    if (!ok) {
        for (int i = 0; i < added; i++) chain_del(slot_of(&ic->pts[i]), ic);
        hook_free(ic);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->next_id++;
    s->v[s->n++] = ic;
    char label[48];
    snprintf(label, sizeof label, "intercept:%llu", (unsigned long long)ic->info.id);
    ln_rng_derive(&ic->rng, net->seed, label);
    return ic;
}

ln_ic *ln_ic_add_link(ln_link *l, const ln_ic_cfg *cfg, char *err, size_t errlen)
{
    return add(l->net, l, NULL, cfg, err, errlen);
}

ln_ic *ln_ic_add_node(ln_node *n, const ln_ic_cfg *cfg, char *err, size_t errlen)
{
    return add(n->net, NULL, n, cfg, err, errlen);
}

void ln_ic_remove(ln_ic *ic)
{
    if (!ic || ic->removed) return;
    ic->removed = true;
    for (int i = 0; i < ic->n_pts; i++) chain_del(slot_of(&ic->pts[i]), ic);
    struct ln_ic_set *s = ic->net->ic;
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->v[i] != ic) continue;
        memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
        s->n--;
        break;
    }
    if (!ic->busy) hook_free(ic);
}

const ln_ic_info *ln_ic_get_info(const ln_ic *ic) { return &ic->info; }

uint32_t ln_ic_count(const ln_net *net) { return net->ic ? net->ic->n : 0; }

ln_ic *ln_ic_at(const ln_net *net, uint32_t i)
{
    return i < ln_ic_count(net) ? net->ic->v[i] : NULL;
}

/* Every hook and held frame record, when the network is freed (after the
 * scheduler is torn down; the pool frees the held packets themselves). */
static void free_all(void *arg)
{
    ln_net *net = arg;
    struct ln_ic_set *s = net->ic;
    if (!s) return;
    for (uint32_t i = 0; i < s->n; i++) {
        ln_ic *ic = s->v[i];
        for (int p = 0; p < ic->n_pts; p++) chain_del(slot_of(&ic->pts[p]), ic);
        hook_free(ic);
    }
    /* Held frames' timers died with the scheduler and their packets go
     * with the pool; only the records are ours. */
    for (held *lists[2] = { s->held, s->spare }, **l = lists; l < lists + 2; l++) {
        for (held *h = *l; h;) {
            held *next = h->next;
            free(h);
            h = next;
        }
    }
    free(s->v);
    free(s);
    net->ic = NULL;
}

/* ---- the run ------------------------------------------------------------------ */

static void run(point pt, ln_pkt *frame, uint64_t after);

static void cont(const point *pt, ln_pkt *frame)
{
    if (pt->d) ln_link_send_cont(pt->d, frame);
    else if (pt->dir == LN_IC_IN) ln_eth_input_cont(pt->ifc, frame);
    else ln_iface_xmit_cont(pt->ifc, frame);
}

/* Not an interface drop: like the firewall's, it is the hook's verdict,
 * counted by reason, not in rx_dropped/tx_dropped. */
static void drop(const point *pt, ln_pkt *frame, ln_drop_reason why)
{
    ln_net *net = net_of(pt);
    if (pt->d) ln_link_drop(net, pt->d->link, pt->d->dir, frame, LN_LAYER_L2, why);
    else ln_net_drop(net, pt->n, pt->ifc, frame, LN_LAYER_L2, why);
}

static bool acts(ln_ic *ic, const point *pt, const ln_pkt *frame)
{
    const ln_ic_cfg *c = &ic->info.cfg;
    ln_time now = ln_net_now(ic->net);
    if (ic->ifc && ic->ifc != pt->ifc) return false;
    if (now < c->from || now >= c->until) return false;
    if (!ln_bpf_match(ic->bpf, frame->data, frame->len)) return false;
    uint64_t k = ++ic->info.matched;
    if (!ln_ic_selects(c, k, ic->info.acted)) return false;
    ic->info.acted++;
    return true;
}

static void release(void *arg)
{
    held *h = arg;
    struct ln_ic_set *s = h->set;
    if (h->prev) h->prev->next = h->next;
    else s->held = h->next;
    if (h->next) h->next->prev = h->prev;
    ln_pkt *frame = h->frame;
    point pt = h->pt;
    uint64_t after = h->after;
    h->next = s->spare;
    s->spare = h;
    run(pt, frame, after);
}

static void hold(ln_ic *ic, const point *pt, ln_pkt *frame)
{
    struct ln_ic_set *s = ic->net->ic;
    held *h = s->spare;
    if (h) s->spare = h->next;
    else if (!(h = malloc(sizeof *h))) {
        drop(pt, frame, LN_DROP_NO_BUFFER);
        return;
    }
    *h = (held){ .frame = frame, .pt = *pt, .after = ic->info.id, .set = s, .next = s->held };
    if (s->held) s->held->prev = h;
    s->held = h;
    ln_timer_init(&h->timer, release, h);
    ln_time now = ln_net_now(ic->net);
    /* check_cfg bounds the delay, so only a run near LN_NEVER saturates. */
    ln_time at = now > LN_NEVER - ic->info.cfg.delay ? LN_NEVER : now + ic->info.cfg.delay;
    ln_timer_arm(&ic->net->sim, &h->timer, at);
}

/* The original goes on first, then each copy, each through the rest of
 * the point: as a duplicating wire delivers the same frame again right
 * after.  Copies are cloned before the original moves on (and may be
 * changed by what comes next). */
static void duplicate(ln_ic *ic, const point *pt, ln_pkt *frame)
{
    ln_pkt *copies = NULL, **tail = &copies;
    for (uint32_t i = 0; i < ic->info.cfg.copies; i++) {
        ln_pkt *c = ln_pkt_clone(frame);
        if (!c) {
            drop(pt, NULL, LN_DROP_NO_BUFFER);
            continue;
        }
        *tail = c;
        tail = &c->next;
    }
    uint64_t after = ic->info.id;
    run(*pt, frame, after);
    while (copies) {
        ln_pkt *c = copies;
        copies = c->next;
        c->next = NULL;
        run(*pt, c, after);
    }
}

/* OBSERVE / REWRITE: false when a rewrite dropped the frame. */
static bool call(ln_ic *ic, const point *pt, ln_pkt **frame)
{
    ln_ic_ctx ctx = { .now = ln_net_now(ic->net), .match = ic->info.matched, .id = ic->info.id,
                      .link = pt->d ? pt->d->link : NULL, .node = pt->n, .iface = pt->ifc,
                      .dir = pt->dir };
    bool rewrite = ic->info.cfg.action == LN_IC_REWRITE;
    ic->busy++;
    bool go = ic->info.cfg.fn(ic->info.cfg.arg, &ctx, frame);
    if (rewrite && *frame) (*frame)->l4_csum_ok = 0;   /* whatever it changed is checked again */
    ic->busy--;
    if (ic->removed && !ic->busy) hook_free(ic);      /* it removed itself */
    return go || !rewrite;
}

static void run(point pt, ln_pkt *frame, uint64_t after)
{
    ln_pkt_finish(frame);          /* filters and hooks see every byte (pkt.h) */
    for (;;) {
        ln_ic *ic = next_after(*slot_of(&pt), after);
        if (!ic) {
            cont(&pt, frame);
            return;
        }
        after = ic->info.id;
        if (!acts(ic, &pt, frame)) continue;
        switch (ic->info.cfg.action) {
        case LN_IC_DROP:
            drop(&pt, frame, LN_DROP_INTERCEPT);
            return;
        case LN_IC_DELAY:
            hold(ic, &pt, frame);
            return;
        case LN_IC_DUPLICATE:
            duplicate(ic, &pt, frame);
            return;
        case LN_IC_CORRUPT:
            ln_eth_corrupt(&ic->rng, frame, ic->info.cfg.bits);
            break;
        case LN_IC_LOSE:
            frame->wire_lose = 1;               /* link.c's on_wire acts on it */
            break;
        case LN_IC_OBSERVE:
        case LN_IC_REWRITE:
            /* ic may be freed by now: only `after` is used past here. */
            if (!call(ic, &pt, &frame)) {
                drop(&pt, frame, LN_DROP_INTERCEPT);
                return;
            }
            break;
        default:
            break;
        }
    }
}

void ln_ic_link_run(ln_linkdir *d, ln_pkt *frame)
{
    run((point){ .d = d, .dir = d->dir }, frame, 0);
}

void ln_ic_node_run(ln_node *n, int dir, ln_iface *ifc, ln_pkt *frame)
{
    run((point){ .n = n, .ifc = ifc, .dir = dir }, frame, 0);
}
