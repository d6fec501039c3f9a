/* ra.h - router discovery (RFC 4861 6) and stateless address
 * autoconfiguration (RFC 4862), in ra.c.
 *
 * A router sends advertisements on the interfaces a script configured
 * (radvd's job on Linux): unsolicited ones at random intervals between
 * MinRtrAdvInterval and MaxRtrAdvInterval (the first three at most 16 s
 * apart, 6.2.4), and one in answer to a solicitation, to all-nodes, after a
 * random delay of up to 500 ms (6.2.6).  A host whose link-local address
 * has passed DAD solicits routers (6.3.7) and from an advertisement takes
 * a default route (the router lifetime), the hop limit, the MTU, on-link
 * prefixes and, for prefixes with the A flag, an address made of the /64
 * prefix and its EUI-64 interface identifier (RFC 4862 5.5.3). */
#ifndef LN_RA_H
#define LN_RA_H

#include <stdbool.h>
#include <stdint.h>
#include "in6.h"
#include "pkt.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

#define LN_RA_MAX_PREFIXES 4

typedef struct ln_ra_prefix {
    ln_in6 prefix;
    uint8_t plen;
    bool onlink, autonomous;      /* L and A flags: radvd's defaults, both on */
    uint32_t valid, preferred;    /* seconds: radvd's 86400 and 14400 */
} ln_ra_prefix;

typedef struct ln_ra_cfg {
    ln_time max_interval;         /* MaxRtrAdvInterval: 600 s */
    ln_time min_interval;         /* MinRtrAdvInterval: 0.33 x max */
    uint32_t lifetime;            /* router lifetime (s): 3 x max, 1800 */
    uint8_t hop_limit;            /* CurHopLimit: 64 */
    uint32_t mtu;                 /* MTU option; 0: none */
    ln_ra_prefix prefix[LN_RA_MAX_PREFIXES];
    uint8_t n_prefix;
} ln_ra_cfg;

void ln_ra_cfg_default(ln_ra_cfg *c);
/* Start advertising on ifc with cfg (turns IPv6 on); a second call
 * replaces the configuration.  0 or LN_ENOMEM. */
int ln_ra_enable(struct ln_iface *ifc, const ln_ra_cfg *cfg);
void ln_ra_free(struct ln_iface *ifc);
/* The host's link-local address on ifc became usable: solicit routers
 * (when not forwarding and accept_ra). */
void ln_ra_host_start(struct ln_iface *ifc);
/* A router solicitation or advertisement arrived (data at the ICMPv6
 * header, checksum and hop limit 255 checked).  Consumes pkt. */
void ln_ra_input(struct ln_node *n, struct ln_iface *ifc, ln_pkt *pkt, const ln_in6 *src,
                 const ln_in6 *dst);

#endif
