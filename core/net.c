/* net.c - the network object: registries, the event stream, drops.
 *
 * It knows the objects that live in it only by pointer: each constructor
 * registers its object with a finalizer (ln_net_own), so nothing here
 * includes link.h, switch.h or intercept.h to tear a network down. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "dist.h"
#include "err.h"
#include "link.h"
#include "node.h"
#include "switch.h"
#include "tcp.h"

/* The changes subscribers asked for, in the order asked; those asked
 * while they run (a hook that reacts to the LINK event of a change) join
 * the end of the same pass. */
static void run_deferred(void *arg)
{
    ln_net *net = arg;
    if (net->draining) return;
    net->draining = true;
    for (uint32_t i = 0; i < net->n_deferred; i++) {
        ln_deferred d = net->deferred[i];   /* the array may move meanwhile */
        d.fn(net, d.data);
        free(d.data);
    }
    net->n_deferred = 0;
    net->draining = false;
}

ln_net *ln_net_new(uint64_t seed)
{
    ln_net *net = calloc(1, sizeof *net);
    if (!net) return NULL;
    net->seed = seed;
    net->pool = ln_pktpool_new();
    ln_slab_init(&net->tcp_socks, ln_tcp_sock_size());
    ln_slab_init(&net->tcp_reqs, ln_tcp_req_size(false));
    ln_slab_init(&net->tcp_reqs6, ln_tcp_req_size(true));
    ln_slab_init(&net->link_slab, ln_link_size());
    ln_slab_init(&net->txbook_slab, ln_link_book_size());
    net->cap_actors = 16;
    net->actors = calloc(net->cap_actors, sizeof *net->actors);
    if (!net->pool || !net->actors || ln_sim_init(&net->sim) != 0) {
        ln_pktpool_free(net->pool);
        free(net->actors);
        free(net);
        return NULL;
    }
    net->counts.drops = ln_drops_none;
    net->actors[LN_ACTOR_NET] = &net->counts;
    net->next_sub_id = 1;
    net->sim.after = run_deferred;
    net->sim.after_arg = net;
    ln_timer_init(&net->defer_timer, run_deferred, net);
    return net;
}

void ln_net_set_dist(ln_net *net, ln_dist *d)
{
    /* Frames are booked only in one process (link.c). */
    if (d) ln_link_settle_all(net);
    ln_dist_free(net->dist);
    net->dist = d;
    ln_sim_set_remote(&net->sim, d ? d->remote : NULL, d ? d->n_actors + 1 : 0);
}

bool ln_net_local(const ln_net *net, uint32_t actor)
{
    return ln_dist_local(net->dist, actor);
}

void ln_net_free(ln_net *net)
{
    if (!net) return;
    while (net->n_caps) ln_capture_close(net->caps[net->n_caps - 1]);
    /* Disarm every timer first: the objects that own them go next, in any
     * order, and packets may be freed only once no timer points at them. */
    ln_sim_destroy(&net->sim);
    for (int stage = 0; stage < LN_OWN__STAGES; stage++)
        for (uint32_t i = 0; i < net->n_owned; i++)
            if (net->owned[i].stage == stage) net->owned[i].fin(net->owned[i].obj);
    free(net->owned);
    free(net->nodes);
    free(net->links);
    free(net->switches);
    free(net->names);
    free(net->actors);
    ln_dist_free(net->dist);
    free(net->caps);
    free(net->subs);
    free(net->wide_subs.v);
    for (uint32_t i = 0; i < net->n_deferred; i++) free(net->deferred[i].data);
    free(net->deferred);
    ln_pktpool_free(net->pool);
    ln_slab_destroy(&net->tcp_socks);
    ln_slab_destroy(&net->tcp_reqs);
    ln_slab_destroy(&net->tcp_reqs6);
    ln_slab_destroy(&net->link_slab);
    ln_slab_destroy(&net->txbook_slab);
    ln_drops_release(net->counts.drops);
    free(net);
}

/* Append to a growable array of pointers. */
static int push_ptr(void ***v, uint32_t *n, uint32_t *cap, void *item)
{
    if (*n == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 8;
        void **nv = realloc(*v, ncap * sizeof *nv);
        if (!nv) return LN_ENOMEM;
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = item;
    return 0;
}

int ln_net_own(ln_net *net, void *obj, ln_finalizer fin, int stage)
{
    if (net->n_owned == net->cap_owned) {
        uint32_t ncap = net->cap_owned ? net->cap_owned * 2 : 16;
        ln_owned *nv = realloc(net->owned, ncap * sizeof *nv);
        if (!nv) return LN_ENOMEM;
        net->owned = nv;
        net->cap_owned = ncap;
    }
    net->owned[net->n_owned++] = (ln_owned){ .obj = obj, .fin = fin, .stage = (uint8_t)stage };
    return 0;
}

/* Listed in v and owned, or neither. */
static int add_owned(ln_net *net, void ***v, uint32_t *n, uint32_t *cap, void *obj, ln_finalizer fin)
{
    if (ln_net_own(net, obj, fin, LN_OWN_OBJECTS) != 0) return LN_ENOMEM;
    if (push_ptr(v, n, cap, obj) != 0) {
        net->n_owned--;
        return LN_ENOMEM;
    }
    return 0;
}

/* Put an actor's counters at its id in net->actors, growing the table. */
static int add_actor(ln_net *net, uint32_t actor, ln_actor_counts *c)
{
    if (actor >= net->cap_actors) {
        uint32_t ncap = net->cap_actors * 2 > actor ? net->cap_actors * 2 : actor + 1;
        ln_actor_counts **nv = realloc(net->actors, ncap * sizeof *nv);
        if (!nv) return LN_ENOMEM;
        /* An id whose creation failed keeps NULL: nothing runs as it. */
        memset(nv + net->cap_actors, 0, (ncap - net->cap_actors) * sizeof *nv);
        net->actors = nv;
        net->cap_actors = ncap;
    }
    if (!c->drops) c->drops = ln_drops_none;
    net->actors[actor] = c;
    return 0;
}

/* ---- names ------------------------------------------------------------- */

#define LN_NAME_SWITCH 0x80000000u
#define LN_NAME_EMPTY  0xffffffffu

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;                  /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static const char *name_at(const ln_net *net, uint32_t v)
{
    return v & LN_NAME_SWITCH ? net->switches[v & ~LN_NAME_SWITCH]->name : net->nodes[v]->name;
}

/* The slot holding name, or the empty slot where it would go. */
static uint32_t name_slot(const ln_net *net, const char *name)
{
    uint32_t i = name_hash(name) & net->names_mask;
    while (net->names[i] != LN_NAME_EMPTY && strcmp(name_at(net, net->names[i]), name) != 0)
        i = (i + 1) & net->names_mask;
    return i;
}

static uint32_t name_find(const ln_net *net, const char *name)
{
    return net->names ? net->names[name_slot(net, name)] : LN_NAME_EMPTY;
}

/* Room for one more name, so that adding it after the object is in its
 * array cannot fail. */
static int names_reserve(ln_net *net)
{
    if (net->names && 2 * (net->n_names + 1) <= net->names_mask + 1) return 0;
    uint32_t cap = net->names ? 2 * (net->names_mask + 1) : 64;
    uint32_t *old = net->names, old_cap = old ? net->names_mask + 1 : 0;
    uint32_t *t = malloc(cap * sizeof *t);
    if (!t) return LN_ENOMEM;
    memset(t, 0xff, cap * sizeof *t);
    net->names = t;
    net->names_mask = cap - 1;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i] != LN_NAME_EMPTY) t[name_slot(net, name_at(net, old[i]))] = old[i];
    free(old);
    return 0;
}

static void names_add(ln_net *net, uint32_t v)
{
    net->names[name_slot(net, name_at(net, v))] = v;
    net->n_names++;
}

ln_node *ln_net_node(const ln_net *net, const char *name)
{
    uint32_t v = name_find(net, name);
    return v == LN_NAME_EMPTY || (v & LN_NAME_SWITCH) ? NULL : net->nodes[v];
}

ln_switch *ln_net_switch(const ln_net *net, const char *name)
{
    uint32_t v = name_find(net, name);
    return v == LN_NAME_EMPTY || !(v & LN_NAME_SWITCH) ? NULL : net->switches[v & ~LN_NAME_SWITCH];
}

bool ln_net_name_taken(const ln_net *net, const char *name)
{
    return name_find(net, name) != LN_NAME_EMPTY;
}

int ln_net_add_node(ln_net *net, ln_node *n, ln_finalizer fin)
{
    if (names_reserve(net) != 0 || add_actor(net, n->actor, &n->counts) != 0) return LN_ENOMEM;
    if (add_owned(net, (void ***)&net->nodes, &net->n_nodes, &net->cap_nodes, n, fin) != 0) {
        net->actors[n->actor] = NULL;
        return LN_ENOMEM;
    }
    names_add(net, net->n_nodes - 1);
    return 0;
}

int ln_net_add_link(ln_net *net, struct ln_link *l, ln_finalizer fin)
{
    return add_owned(net, (void ***)&net->links, &net->n_links, &net->cap_links, l, fin);
}

int ln_net_add_switch(ln_net *net, ln_switch *s, ln_finalizer fin)
{
    if (names_reserve(net) != 0 || add_actor(net, s->actor, &s->counts) != 0) return LN_ENOMEM;
    if (add_owned(net, (void ***)&net->switches, &net->n_switches, &net->cap_switches, s, fin) != 0) {
        net->actors[s->actor] = NULL;
        return LN_ENOMEM;
    }
    names_add(net, LN_NAME_SWITCH | (net->n_switches - 1));
    return 0;
}

int ln_net_add_capture(ln_net *net, ln_capture *c)
{
    return push_ptr((void ***)&net->caps, &net->n_caps, &net->cap_caps, c);
}

void ln_net_remove_capture(ln_net *net, ln_capture *c)
{
    for (uint32_t i = 0; i < net->n_caps; i++) {
        if (net->caps[i] == c) {
            memmove(&net->caps[i], &net->caps[i + 1], (net->n_caps - i - 1) * sizeof *net->caps);
            net->n_caps--;
            return;
        }
    }
}

void ln_net_flush_captures(ln_net *net)
{
    for (uint32_t i = 0; i < net->n_caps; i++) ln_capture_flush(net->caps[i]);
}

#define STARTS (LN_EV_MASK(LN_EV_TX) | LN_EV_MASK(LN_EV_QUEUE))

/* The directions whose frames a scoped subscriber sees start: a link's
 * two, or the one its port sends into.  None for a port with no link
 * yet: such a subscriber stays in wide_subs and counts as watching every
 * link (wide_mask), so that a link attached later books nothing under it. */
static int sub_dirs(const ln_sub *s, ln_linkdir *out[2])
{
    if (s->link) {
        out[0] = &s->link->d[0];
        out[1] = &s->link->d[1];
        return 2;
    }
    if (s->port && s->port->out) {
        out[0] = s->port->out;
        return 1;
    }
    return 0;
}

/* A subscriber of one link, or of a port with a link, is listed on that
 * link, every other one in wide_subs; an event calls the wide ones and
 * its own link's alone.  `lunet run --pcap` captures every interface, and
 * with one subscriber each, every event walked them all (3,000 hosts
 * pinging: 49 s of CPU, against 4.5 s without the captures). */
static ln_sublist *home_of(ln_net *net, const ln_sub *s)
{
    ln_link *l = s->link ? s->link : s->port ? s->port->link : NULL;
    return l ? &l->subs : &net->wide_subs;
}

static int list_add(ln_sublist *l, uint32_t slot)
{
    if (l->n == l->cap) {
        uint32_t ncap = l->cap ? l->cap * 2 : 4;
        uint32_t *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) return LN_ENOMEM;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = slot;
    return 0;
}

/* Not while an emit may be walking the list (ln_sub.home). */
static void list_del(ln_sublist *l, uint32_t slot)
{
    for (uint32_t k = 0; k < l->n; k++) {
        if (l->v[k] != slot) continue;
        memmove(&l->v[k], &l->v[k + 1], (l->n - k - 1) * sizeof *l->v);
        l->n--;
        return;
    }
}

/* After the outermost emit: those who left during it leave their lists,
 * and their slots are free. */
static void unlist(ln_net *net)
{
    for (uint32_t i = 0; i < net->n_subs && net->n_unlisted; i++) {
        ln_sub *s = &net->subs[i];
        if (s->id || !s->home) continue;
        list_del(s->home, i);
        s->home = NULL;
        net->n_unlisted--;
    }
}

static void recompute_mask(ln_net *net)
{
    uint32_t m = 0, wide = 0;
    for (uint32_t i = 0; i < net->n_subs; i++) {
        const ln_sub *s = &net->subs[i];
        if (!s->id) continue;
        m |= s->mask;
        if (s->home == &net->wide_subs) wide |= s->mask;
    }
    net->ev_mask = m;
    net->wide_mask = wide & STARTS;
}

/* Whether a subscriber scoped to d still sees its frames start. */
static bool watched(const ln_net *net, const ln_linkdir *d)
{
    for (uint32_t i = 0; i < net->n_subs; i++) {
        const ln_sub *s = &net->subs[i];
        ln_linkdir *sd[2];
        if (!s->id || !(s->mask & STARTS)) continue;
        for (int k = sub_dirs(s, sd); k-- > 0;)
            if (sd[k] == d) return true;
    }
    return false;
}

int ln_net_subscribe_on(ln_net *net, uint32_t mask, ln_ev_fn fn, void *arg, ln_link *link,
                        ln_port *port)
{
    /* A frame booked on a link (link.c) has no event of its own to tell
     * of its start or of the queue shrinking: those who watch them see
     * frames that wait in a queue.  First, before a slot is taken: what
     * is due starts now, and tells the subscribers there are. */
    ln_sub sub = { .mask = mask, .fn = fn, .arg = arg, .link = link, .port = port };
    ln_linkdir *d[2];
    int nd = sub_dirs(&sub, d);
    if (mask & STARTS) {
        if (!nd) ln_link_settle_all(net);
        for (int k = 0; k < nd; k++) ln_link_settle(d[k]);
    }
    uint32_t i;
    for (i = 0; i < net->n_subs; i++)
        if (!net->subs[i].home) break;
    if (i == net->n_subs) {
        if (net->n_subs == net->cap_subs) {
            uint32_t ncap = net->cap_subs ? net->cap_subs * 2 : 8;
            ln_sub *ns = realloc(net->subs, ncap * sizeof *ns);
            if (!ns) return LN_ENOMEM;
            net->subs = ns;
            net->cap_subs = ncap;
        }
        net->subs[net->n_subs++] = (ln_sub){ 0 };   /* a free slot */
    }
    sub.home = home_of(net, &sub);
    if (list_add(sub.home, i) != 0) return LN_ENOMEM;
    sub.id = net->next_sub_id++;
    net->subs[i] = sub;
    recompute_mask(net);
    if (mask & STARTS)
        for (int k = 0; k < nd; k++) d[k]->watched = true;
    return sub.id;
}

int ln_net_subscribe(ln_net *net, uint32_t mask, ln_ev_fn fn, void *arg)
{
    return ln_net_subscribe_on(net, mask, fn, arg, NULL, NULL);
}

void ln_net_unsubscribe(ln_net *net, int id)
{
    for (uint32_t i = 0; i < net->n_subs; i++) {
        ln_sub *s = &net->subs[i];
        ln_linkdir *d[2];
        if (!s->id || s->id != id) continue;
        s->id = 0;
        if (s->mask & STARTS)
            for (int k = sub_dirs(s, d); k-- > 0;) d[k]->watched = watched(net, d[k]);
        /* Inside an emit the list may be being walked: the slot stays
         * taken, skipped, until the outermost emit ends. */
        if (net->emitting) {
            net->n_unlisted++;
        } else {
            list_del(s->home, i);
            s->home = NULL;
        }
    }
    recompute_mask(net);
}

/* The lists an event concerns: the wide one, its link's, and its port's
 * link's should that differ. */
typedef struct walk {
    const ln_sublist *l[3];
    uint32_t n[3], k[3];
} walk;

/* The next subscriber still subscribed, the oldest first across the
 * lists (ids grow with each subscription), as one table in the order
 * they came would call them: a capture opened before a hook that closes
 * it still sees the frame; NULL at the end. */
static const ln_sub *walk_next(const ln_net *net, walk *w)
{
    int best = -1, best_id = 0;
    for (int j = 0; j < 3; j++) {
        if (!w->l[j]) continue;
        while (w->k[j] < w->n[j] && !net->subs[w->l[j]->v[w->k[j]]].id) w->k[j]++;
        if (w->k[j] == w->n[j]) continue;
        int id = net->subs[w->l[j]->v[w->k[j]]].id;
        if (best < 0 || id < best_id) best = j, best_id = id;
    }
    return best < 0 ? NULL : &net->subs[w->l[best]->v[w->k[best]++]];
}

void ln_net_emit(ln_net *net, ln_event *ev)
{
    ev->time = net->sim.now;
    /* Subscribers see bytes (captures write them): finish an offloaded
     * checksum first (pkt.h). */
    if (ev->pkt) ln_pkt_finish((ln_pkt *)ev->pkt);
    uint32_t bit = LN_EV_MASK(ev->type);
    /* Each list's length is taken before anyone is called: whoever comes
     * during the event (appended: the lists and the table may move, and
     * are read again each time) sees the next one. */
    walk w = { .l = { &net->wide_subs } };
    if (ev->link) w.l[1] = &ev->link->subs;
    if (ev->port && ev->port->link && ev->port->link != ev->link) w.l[2] = &ev->port->link->subs;
    for (int j = 0; j < 3; j++) w.n[j] = w.l[j] ? w.l[j]->n : 0;
    net->emitting++;
    for (const ln_sub *s; (s = walk_next(net, &w)) != NULL;)
        if ((s->mask & bit) && (!s->link || s->link == ev->link) && (!s->port || s->port == ev->port))
            s->fn(ev, s->arg);
    if (!--net->emitting && net->n_unlisted) unlist(net);
}

void ln_net_defer(ln_net *net, ln_defer_fn fn, const void *data, size_t len)
{
    if (!net->emitting) {
        fn(net, data);
        return;
    }
    if (net->n_deferred == net->cap_deferred) {
        uint32_t ncap = net->cap_deferred ? net->cap_deferred * 2 : 8;
        ln_deferred *nv = realloc(net->deferred, ncap * sizeof *nv);
        if (!nv) ln_fatal("out of memory deferring a change asked for in a subscriber");
        net->deferred = nv;
        net->cap_deferred = ncap;
    }
    void *copy = malloc(len ? len : 1);
    if (!copy) ln_fatal("out of memory deferring a change asked for in a subscriber");
    if (len) memcpy(copy, data, len);
    net->deferred[net->n_deferred++] = (ln_deferred){ .fn = fn, .data = copy };
    /* Inside a scheduler event the scheduler runs the changes once it
     * returns.  Outside any (a script's top level), the code that emitted
     * is still running when the emit returns: the changes become the next
     * event, at the same instant. */
    if (net->sim.in_event) ln_sim_after(&net->sim);
    else if (!ln_timer_armed(&net->defer_timer)) ln_timer_arm(&net->sim, &net->defer_timer, net->sim.now);
}

uint64_t ln_drops_none[LN_DROP__COUNT];

void ln_drops_count(uint64_t **d, ln_drop_reason reason)
{
    if (*d == ln_drops_none) {
        uint64_t *v = calloc(LN_DROP__COUNT, sizeof *v);
        if (!v) ln_fatal("out of memory for drop counters");
        *d = v;
    }
    (*d)[reason]++;
}

void ln_drops_release(uint64_t *d)
{
    if (d != ln_drops_none) free(d);
}

void ln_net_drop(ln_net *net, ln_node *node, ln_iface *iface, ln_pkt *pkt,
                 ln_layer layer, ln_drop_reason reason)
{
    /* The running actor's share, not node's: a drop is counted by the
     * event that made it, whichever node it concerns (node is NULL for a
     * switch's drops, and need not be the running actor when the script
     * or another node's hook reached into it). */
    ln_drops_count(&ln_net_counts(net)->drops, reason);
    if (node) ln_drops_count(&node->drops, reason);
    if (ln_net_wants(net, LN_EV_DROP)) {
        ln_event ev = { .type = LN_EV_DROP, .node = node, .iface = iface,
                        .port = iface ? &iface->port : NULL, .pkt = pkt,
                        .layer = pkt ? layer : LN_LAYER_NONE, .reason = reason };
        ln_net_emit(net, &ev);
    }
    ln_pkt_free(pkt);
}

/* Reading sums over every actor: reads are rare (net:drops(), tests, a
 * report), drops are not. */
void ln_net_drops(const ln_net *net, uint64_t *out)
{
    memset(out, 0, LN_DROP__COUNT * sizeof *out);
    for (uint32_t a = 0; a < net->cap_actors; a++) {
        const ln_actor_counts *c = net->actors[a];
        if (!c) continue;
        for (int r = 0; r < LN_DROP__COUNT; r++) out[r] += c->drops[r];
    }
}

uint64_t ln_net_drop_total(const ln_net *net, ln_drop_reason reason)
{
    uint64_t n = 0;
    for (uint32_t a = 0; a < net->cap_actors; a++)
        if (net->actors[a]) n += net->actors[a]->drops[reason];
    return n;
}

ln_pkt *ln_net_pkt(ln_net *net, uint32_t len)
{
    ln_pkt *p = ln_pkt_alloc(net->pool, len);
    if (p) {
        uint32_t actor = ln_sim_actor(&net->sim);
        p->id = ln_pkt_id(actor, ++net->actors[actor]->pkts);
    }
    return p;
}
