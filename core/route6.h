/* route6.h - the IPv6 routing table: longest-prefix match (route6.c).
 *
 * Connected routes appear with an interface's addresses (the link-local
 * fe80::/64 on every IPv6 interface, a global prefix with its address, an
 * on-link prefix from a router advertisement); static routes come from
 * scripts; default routes from router advertisements (RFC 4861 6.3.4)
 * carry the router lifetime as their expiry.  Among routes of the same
 * prefix length the lowest metric wins, then the earliest added, as in the
 * IPv4 table (route.h). */
#ifndef LN_ROUTE6_H
#define LN_ROUTE6_H

#include <stdbool.h>
#include <stdint.h>
#include "in6.h"
#include "sim.h"

struct ln_iface;

typedef enum { LN_RT6_CONNECTED, LN_RT6_STATIC, LN_RT6_RA } ln_rt6_kind;

typedef struct ln_route6 {
    ln_in6 prefix;            /* already masked */
    uint8_t plen;             /* 0..128 */
    bool has_gw;              /* false: on-link (deliver to dst directly) */
    ln_in6 gateway;
    struct ln_iface *iface;
    uint32_t metric;
    ln_rt6_kind kind;
    ln_time expires;          /* LN_NEVER, or when an RA's lifetime ends */
} ln_route6;

typedef struct ln_rt6table {
    ln_route6 *v;             /* sorted: plen descending, then metric, then age */
    uint32_t n, cap;
} ln_rt6table;

void ln_rt6table_init(ln_rt6table *t);
void ln_rt6table_destroy(ln_rt6table *t);
/* Add a route (prefix masked here).  LN_EEXIST if the same prefix, plen,
 * gateway and interface are there already. */
int ln_route6_add(ln_rt6table *t, const ln_route6 *r);
/* The route with this prefix, plen, gateway (NULL: on-link) and interface,
 * to refresh its expiry, or NULL. */
ln_route6 *ln_route6_find(ln_rt6table *t, const ln_in6 *prefix, uint8_t plen,
                          const ln_in6 *gw, const struct ln_iface *iface);
/* Remove routes matching prefix/plen (and iface when non-NULL); returns how
 * many went. */
int ln_route6_del(ln_rt6table *t, const ln_in6 *prefix, uint8_t plen, const struct ln_iface *iface);
/* Longest-prefix match among the routes that are usable at `now` (not
 * expired, interface up); NULL when nothing matches. */
const ln_route6 *ln_route6_lookup(const ln_rt6table *t, const ln_in6 *dst, ln_time now);

#endif
