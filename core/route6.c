/* route6.c - the IPv6 routing table, a sorted array like route.c's (same
 * reasons: lab tables are small, a scan over contiguous memory is quick).
 *
 * Called by ln_ip6_output, forwarding and source selection (ipv6.c);
 * filled by ip6_addr.c (connected routes), ra.c (routes from router
 * advertisements) and scripts (static routes).  Expired RA routes are
 * skipped at lookup rather than removed by a timer, so a quiet network
 * keeps no timer armed for them. */
#include "route6.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "node.h"

void ln_rt6table_init(ln_rt6table *t)
{
    t->v = NULL;
    t->n = t->cap = 0;
}

void ln_rt6table_destroy(ln_rt6table *t)
{
    free(t->v);
    ln_rt6table_init(t);
}

static bool beats(const ln_route6 *a, const ln_route6 *b)
{
    if (a->plen != b->plen) return a->plen > b->plen;
    return a->metric < b->metric;
}

static bool same_gw(const ln_route6 *r, const ln_in6 *gw)
{
    return gw ? (r->has_gw && ln_in6_eq(&r->gateway, gw)) : !r->has_gw;
}

ln_route6 *ln_route6_find(ln_rt6table *t, const ln_in6 *prefix, uint8_t plen, const ln_in6 *gw,
                          const struct ln_iface *iface)
{
    ln_in6 p = *prefix;
    ln_in6_mask(&p, plen);
    for (uint32_t i = 0; i < t->n; i++) {
        ln_route6 *o = &t->v[i];
        if (o->plen == plen && ln_in6_eq(&o->prefix, &p) && same_gw(o, gw) && o->iface == iface)
            return o;
    }
    return NULL;
}

int ln_route6_add(ln_rt6table *t, const ln_route6 *r)
{
    if (r->plen > 128) return LN_EINVAL;
    ln_route6 nr = *r;
    ln_in6_mask(&nr.prefix, nr.plen);
    if (ln_route6_find(t, &nr.prefix, nr.plen, nr.has_gw ? &nr.gateway : NULL, nr.iface))
        return LN_EEXIST;
    if (t->n == t->cap) {
        uint32_t ncap = t->cap ? t->cap * 2 : 8;
        ln_route6 *nv = realloc(t->v, ncap * sizeof *nv);
        if (!nv) return LN_ENOMEM;
        t->v = nv;
        t->cap = ncap;
    }
    uint32_t pos = t->n;
    while (pos > 0 && beats(&nr, &t->v[pos - 1])) pos--;
    memmove(&t->v[pos + 1], &t->v[pos], (t->n - pos) * sizeof *t->v);
    t->v[pos] = nr;
    t->n++;
    return 0;
}

int ln_route6_del(ln_rt6table *t, const ln_in6 *prefix, uint8_t plen, const struct ln_iface *iface)
{
    if (plen > 128) return 0;
    ln_in6 p = *prefix;
    ln_in6_mask(&p, plen);
    uint32_t w = 0;
    int removed = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        const ln_route6 *r = &t->v[i];
        if (r->plen == plen && ln_in6_eq(&r->prefix, &p) && (!iface || r->iface == iface)) {
            removed++;
            continue;
        }
        t->v[w++] = t->v[i];
    }
    t->n = w;
    return removed;
}

const ln_route6 *ln_route6_lookup(const ln_rt6table *t, const ln_in6 *dst, ln_time now)
{
    for (uint32_t i = 0; i < t->n; i++) {
        const ln_route6 *r = &t->v[i];
        if (!ln_in6_prefix_eq(dst, &r->prefix, r->plen)) continue;
        /* Linux removes the routes of an interface that goes down and
         * expires RA routes; skipping them has the same effect. */
        if (!r->iface || !r->iface->up || now >= r->expires) continue;
        return r;
    }
    return NULL;
}
