/* route.h - the IPv4 routing table: longest-prefix match.
 *
 * Connected routes appear when an interface gets an address; static routes
 * and the default route are added by scripts.  Among routes of the same
 * prefix length the lowest metric wins, then the earliest added. */
#ifndef LN_ROUTE_H
#define LN_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

struct ln_iface;

typedef enum { LN_RT_CONNECTED, LN_RT_STATIC } ln_rt_kind;

typedef struct ln_route {
    uint32_t prefix;          /* host byte order, already masked */
    uint8_t plen;             /* 0..32 */
    uint32_t gateway;         /* 0 = on-link (deliver to dst directly) */
    struct ln_iface *iface;
    uint32_t metric;
    ln_rt_kind kind;
} ln_route;

typedef struct ln_rtable {
    ln_route *v;              /* sorted: plen descending, then metric, then age */
    uint32_t n, cap;
    uint32_t gen;             /* changes whenever a lookup's answer may: every
                               * add and removal here, and the node's address
                               * and interface up/down changes (node.c).  A
                               * route cached with an older gen is stale. */
} ln_rtable;

static inline uint32_t ln_mask(uint8_t plen)
{
    return plen == 0 ? 0 : 0xffffffffu << (32 - plen);
}

void ln_rtable_init(ln_rtable *t);
void ln_rtable_destroy(ln_rtable *t);
/* Add a route (prefix is masked here).  LN_EEXIST if the same prefix, plen,
 * gateway and interface are present. */
int ln_route_add(ln_rtable *t, const ln_route *r);
/* Remove routes matching prefix/plen (and iface when non-NULL); returns how
 * many were removed. */
int ln_route_del(ln_rtable *t, uint32_t prefix, uint8_t plen, const struct ln_iface *iface);
/* Remove every route through iface of the given kind. */
void ln_route_flush_iface(ln_rtable *t, const struct ln_iface *iface, ln_rt_kind kind);
/* Longest-prefix match; NULL when nothing matches. */
const ln_route *ln_route_lookup(const ln_rtable *t, uint32_t dst);
/* Longest-prefix match among the routes `usable` accepts (the IP layer
 * skips routes through an interface that is down, as Linux does by
 * removing them). */
const ln_route *ln_route_lookup_filter(const ln_rtable *t, uint32_t dst,
                                       bool (*usable)(const ln_route *r, void *arg),
                                       void *arg);

#endif
