/* route.c - the IPv4 routing table: longest-prefix match.
 *
 * Called by ln_ip_output (local traffic), ln_ip_input (forwarding) and
 * ln_ip_src_for; filled by ln_iface_set_addr (connected routes) and by
 * scripts (static and default routes).
 *
 * A sorted array: prefix length descending, then metric ascending, then
 * insertion order.  The first matching entry is therefore the answer, and
 * lookup is a linear scan.  Tables in a lab hold a handful to a few
 * hundred routes, where a scan over contiguous memory beats a trie; if a
 * topology ever needs full BGP tables, this file is the one to replace. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

void ln_rtable_init(ln_rtable *t)
{
    t->v = NULL;
    t->n = t->cap = 0;
    t->gen++;
}

void ln_rtable_destroy(ln_rtable *t)
{
    free(t->v);
    ln_rtable_init(t);
}

/* True when a sorts strictly before b; equal keys keep insertion order
 * because a new route is placed after every route it does not beat. */
static int beats(const ln_route *a, const ln_route *b)
{
    if (a->plen != b->plen) return a->plen > b->plen;
    return a->metric < b->metric;
}

int ln_route_add(ln_rtable *t, const ln_route *r)
{
    if (r->plen > 32) return LN_EINVAL;
    ln_route nr = *r;
    nr.prefix &= ln_mask(r->plen);
    for (uint32_t i = 0; i < t->n; i++) {
        const ln_route *o = &t->v[i];
        if (o->prefix == nr.prefix && o->plen == nr.plen && o->gateway == nr.gateway &&
            o->iface == nr.iface)
            return LN_EEXIST;
    }
    if (t->n == t->cap) {
        uint32_t ncap = t->cap ? t->cap * 2 : 8;
        ln_route *nv = realloc(t->v, ncap * sizeof *nv);
        if (!nv) return LN_ENOMEM;
        t->v = nv;
        t->cap = ncap;
    }
    uint32_t pos = t->n;
    while (pos > 0 && beats(&nr, &t->v[pos - 1])) pos--;
    memmove(&t->v[pos + 1], &t->v[pos], (t->n - pos) * sizeof *t->v);
    t->v[pos] = nr;
    t->n++;
    t->gen++;
    return 0;
}

/* Remove entries for which match() holds, keeping the order of the rest. */
static int remove_if(ln_rtable *t, int (*match)(const ln_route *, const void *), const void *arg)
{
    uint32_t w = 0;
    int removed = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        if (match(&t->v[i], arg)) {
            removed++;
            continue;
        }
        t->v[w++] = t->v[i];
    }
    t->n = w;
    if (removed) t->gen++;
    return removed;
}

typedef struct { uint32_t prefix; uint8_t plen; const struct ln_iface *iface; } del_key;

static int match_del(const ln_route *r, const void *arg)
{
    const del_key *k = arg;
    return r->prefix == k->prefix && r->plen == k->plen && (!k->iface || r->iface == k->iface);
}

int ln_route_del(ln_rtable *t, uint32_t prefix, uint8_t plen, const struct ln_iface *iface)
{
    if (plen > 32) return 0;
    del_key k = { prefix & ln_mask(plen), plen, iface };
    return remove_if(t, match_del, &k);
}

typedef struct { const struct ln_iface *iface; ln_rt_kind kind; } flush_key;

static int match_flush(const ln_route *r, const void *arg)
{
    const flush_key *k = arg;
    return r->iface == k->iface && r->kind == k->kind;
}

void ln_route_flush_iface(ln_rtable *t, const struct ln_iface *iface, ln_rt_kind kind)
{
    flush_key k = { iface, kind };
    remove_if(t, match_flush, &k);
}

const ln_route *ln_route_lookup_filter(const ln_rtable *t, uint32_t dst,
                                       bool (*usable)(const ln_route *r, void *arg),
                                       void *arg)
{
    for (uint32_t i = 0; i < t->n; i++) {
        const ln_route *r = &t->v[i];
        if ((dst & ln_mask(r->plen)) != r->prefix) continue;
        if (usable && !usable(r, arg)) continue;
        return r;
    }
    return NULL;
}

const ln_route *ln_route_lookup(const ln_rtable *t, uint32_t dst)
{
    return ln_route_lookup_filter(t, dst, NULL, NULL);
}
