/* ra.c - router discovery (RFC 4861 6) and stateless address
 * autoconfiguration (RFC 4862 5.5): what radvd does on a Linux router and
 * what addrconf.c / ndisc.c do on a Linux host.  See ra.h.
 *
 *   ip6_addr.c (link-local passed DAD) -> ln_ra_host_start
 *       -> router: first advertisement      -> host: solicitations
 *   ra_timer -> unsolicited advertisement, next one armed
 *   icmp6.c -> ln_ra_input -> RS (router): an advertisement soon
 *                          -> RA (host): default route, hop limit, MTU,
 *                             on-link prefixes, SLAAC addresses
 *
 * Not done yet: the M and O flags (DHCPv6) and the Reachable Time / Retrans
 * Timer fields are sent as 0 and ignored; no route information option. */
#include "ra.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "icmp6.h"
#include "ip6.h"
#include "nd.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

/* RFC 4862 5.5.3 (e): the least an advertisement can leave of an
 * autoconfigured address's valid lifetime. */
#define TWO_HOURS (2 * 3600 * LN_SEC)

/* RFC 4861 10 */
#define MAX_INITIAL_RTR_ADVERT_INTERVAL (16 * LN_SEC)
#define MAX_INITIAL_RTR_ADVERTISEMENTS  3
#define MIN_DELAY_BETWEEN_RAS           (3 * LN_SEC)
#define MAX_RA_DELAY_TIME               (500 * LN_MSEC)

typedef struct ln_ra {
    ln_iface *ifc;
    ln_ra_cfg cfg;
    ln_timer timer;               /* the next advertisement */
    uint32_t sent;                /* unsolicited ones so far */
    ln_time last;                 /* the last one sent (LN_NEVER: none) */
} ln_ra;

void ln_ra_cfg_default(ln_ra_cfg *c)
{
    *c = (ln_ra_cfg){ .max_interval = 600 * LN_SEC, .min_interval = 198 * LN_SEC,
                      .lifetime = 1800, .hop_limit = 64 };
}

/* ---- router ------------------------------------------------------------ */

static void send_ra(ln_ra *ra)
{
    ln_iface *ifc = ra->ifc;
    ln_node *n = ifc->node;
    const ln_ip6_addr *ll = ln_ip6_linklocal(ifc);
    if (!ll || !ifc->up) return;           /* 6.2.2: only from a link-local address */
    const ln_ra_cfg *c = &ra->cfg;
    uint32_t len = 16 + 8 + (c->mtu ? 8 : 0) + 32u * c->n_prefix;
    ln_pkt *p = ln_net_pkt(n->net, len);
    if (!p) return;
    uint8_t *d = p->data;
    memset(d, 0, len);
    d[0] = LN_ND_ROUTER_ADVERT;
    d[4] = c->hop_limit;
    ln_put16(d + 6, (uint16_t)c->lifetime);
    uint8_t *o = d + 16;
    o[0] = LN_ND_OPT_SLLA;
    o[1] = 1;
    memcpy(o + 2, ifc->mac, 6);
    o += 8;
    if (c->mtu) {
        o[0] = LN_ND_OPT_MTU;
        o[1] = 1;
        ln_put32(o + 4, c->mtu);
        o += 8;
    }
    for (uint32_t i = 0; i < c->n_prefix; i++) {
        const ln_ra_prefix *pf = &c->prefix[i];
        o[0] = LN_ND_OPT_PREFIX;
        o[1] = 4;
        o[2] = pf->plen;
        o[3] = (uint8_t)((pf->onlink ? LN_ND_PI_ONLINK : 0) | (pf->autonomous ? LN_ND_PI_AUTO : 0));
        ln_put32(o + 4, pf->valid);
        ln_put32(o + 8, pf->preferred);
        memcpy(o + 16, pf->prefix.b, 16);
        o += 32;
    }
    ra->last = ln_net_now(n->net);
    ln_in6 all = ln_in6_all_nodes();
    ln_ip6_opts opt = { .hlim = 255, .hlim_set = true, .oif = ifc };
    ln_icmp6_send(n, p, &ll->addr, &all, &opt);
}

/* The next unsolicited advertisement (6.2.4): uniformly between the
 * minimum and maximum interval, the first few no more than 16 s apart. */
static void arm_next(ln_ra *ra)
{
    ln_node *n = ra->ifc->node;
    const ln_ra_cfg *c = &ra->cfg;
    ln_time span = c->max_interval > c->min_interval ? c->max_interval - c->min_interval : 0;
    ln_time iv = c->min_interval + (span ? ln_rng_below(&n->ip6->rng, span) : 0);
    if (ra->sent < MAX_INITIAL_RTR_ADVERTISEMENTS && iv > MAX_INITIAL_RTR_ADVERT_INTERVAL)
        iv = MAX_INITIAL_RTR_ADVERT_INTERVAL;
    ln_timer_arm_in(&n->net->sim, &ra->timer, iv);
}

static void ra_timer(void *arg)
{
    ln_ra *ra = arg;
    if (!ln_ip6_linklocal(ra->ifc)) {
        /* DAD of the link-local address is still running; it calls
         * ln_ra_host_start when done. */
        return;
    }
    send_ra(ra);
    ra->sent++;
    arm_next(ra);
}

int ln_ra_enable(ln_iface *ifc, const ln_ra_cfg *cfg)
{
    int rc = ln_ip6_enable(ifc);
    if (rc) return rc;
    ln_ra *ra = ifc->ip6->ra;
    if (!ra) {
        ra = calloc(1, sizeof *ra);
        if (!ra) return LN_ENOMEM;
        ra->ifc = ifc;
        ra->last = LN_NEVER;
        ln_timer_init(&ra->timer, ra_timer, ra);
        ln_timer_own(&ra->timer, ifc->node->actor);
        ifc->ip6->ra = ra;
    }
    ra->cfg = *cfg;
    /* The first one as soon as the link-local address is usable. */
    if (ln_ip6_linklocal(ifc)) ln_timer_arm_in(&ifc->node->net->sim, &ra->timer, 0);
    return 0;
}

void ln_ra_free(ln_iface *ifc)
{
    ln_ra *ra = ifc->ip6 ? ifc->ip6->ra : NULL;
    if (!ra) return;
    ln_timer_cancel(&ifc->node->net->sim, &ra->timer);
    free(ra);
    ifc->ip6->ra = NULL;
}

/* ---- host --------------------------------------------------------------- */

static void send_rs(ln_iface *ifc)
{
    ln_node *n = ifc->node;
    const ln_ip6_addr *ll = ln_ip6_linklocal(ifc);
    if (!ll || !ifc->up) return;
    ln_pkt *p = ln_net_pkt(n->net, 16);
    if (!p) return;
    uint8_t *d = p->data;
    memset(d, 0, 16);
    d[0] = LN_ND_ROUTER_SOLICIT;
    d[8] = LN_ND_OPT_SLLA;
    d[9] = 1;
    memcpy(d + 10, ifc->mac, 6);
    ifc->ip6->rs_sent++;
    ln_in6 all = ln_in6_all_routers();
    ln_ip6_opts opt = { .hlim = 255, .hlim_set = true, .oif = ifc };
    ln_icmp6_send(n, p, &ll->addr, &all, &opt);
}

static void rs_timer(void *arg)
{
    ln_iface *ifc = arg;
    ln_node *n = ifc->node;
    if (!ifc->ip6 || ifc->ip6->rs_sent >= n->cfg.ip6_rtr_solicits) return;
    send_rs(ifc);
    if (ifc->ip6->rs_sent < n->cfg.ip6_rtr_solicits)
        ln_timer_arm_in(&n->net->sim, &ifc->ip6->rs_timer, n->cfg.ip6_rtr_solicit_interval);
}

void ln_ra_host_start(ln_iface *ifc)
{
    ln_node *n = ifc->node;
    if (ifc->ip6->ra) {
        ln_timer_arm_in(&n->net->sim, &ifc->ip6->ra->timer, 0);
        return;
    }
    if (n->forwarding || !n->cfg.ip6_accept_ra || n->cfg.ip6_rtr_solicits == 0) return;
    /* addrconf_dad_completed: the first solicitation at once. */
    ln_timer_cancel(&n->net->sim, &ifc->ip6->rs_timer);
    ln_timer_init(&ifc->ip6->rs_timer, rs_timer, ifc);
    ln_timer_own(&ifc->ip6->rs_timer, n->actor);
    ifc->ip6->rs_sent = 0;
    ln_timer_arm_in(&n->net->sim, &ifc->ip6->rs_timer, 0);
}

/* ---- input -------------------------------------------------------------- */

static void bad(ln_node *n, ln_iface *ifc, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, Icmp6InErrors);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, why);
}

static void rs_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt, const ln_in6 *src)
{
    uint8_t mac[6];
    bool has;
    /* 6.1.1: options well formed; from :: no source link-layer address. */
    if (pkt->len < 8 || !ln_nd_opts_lladdr(pkt->data + 8, pkt->len - 8, LN_ND_OPT_SLLA, mac, &has) ||
        (has && ln_in6_is_unspec(src))) {
        bad(n, ifc, pkt, LN_DROP_ND_INVALID);
        return;
    }
    ln_ra *ra = ifc->ip6->ra;
    if (!ra) {
        /* Hosts, and routers not advertising here, ignore it. */
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_OTHER_HOST);
        return;
    }
    ln_pkt_free(pkt);
    if (has) ln_nd_learn(n, ifc, src, mac, false);
    /* 6.2.6: to all-nodes after up to 500 ms, and never within 3 s of
     * the last multicast advertisement. */
    ln_time now = ln_net_now(n->net);
    ln_time at = now + ln_rng_below(&n->ip6->rng, MAX_RA_DELAY_TIME + 1);
    if (ra->last != LN_NEVER && at < ra->last + MIN_DELAY_BETWEEN_RAS) at = ra->last + MIN_DELAY_BETWEEN_RAS;
    if (!ln_timer_armed(&ra->timer) || ra->timer.when > at) ln_timer_arm(&n->net->sim, &ra->timer, at);
}

static void prefix_input(ln_node *n, ln_iface *ifc, const uint8_t *o)
{
    uint8_t plen = o[2], flags = o[3];
    uint32_t valid = ln_get32(o + 4), preferred = ln_get32(o + 8);
    ln_in6 pfx;
    memcpy(pfx.b, o + 16, 16);
    ln_in6_mask(&pfx, plen > 128 ? 128 : plen);
    /* RFC 4862 5.5.3 (a)-(c): not link-local, preferred within valid. */
    if (plen > 128 || ln_in6_is_linklocal(&pfx) || preferred > valid) return;
    ln_time now = ln_net_now(n->net);
    ln_time until = valid == 0xffffffffu ? LN_NEVER : now + (ln_time)valid * LN_SEC;
    if (flags & LN_ND_PI_ONLINK) {
        /* RFC 4861 6.3.4: an on-link prefix, for its valid lifetime. */
        ln_route6 *r = ln_route6_find(&n->ip6->routes, &pfx, plen, NULL, ifc);
        if (r) {
            if (r->kind == LN_RT6_RA) r->expires = until;
        } else if (valid) {
            ln_route6 nr = { .prefix = pfx, .plen = plen, .iface = ifc, .metric = 256,
                             .kind = LN_RT6_RA, .expires = until };
            ln_route6_add(&n->ip6->routes, &nr);
        }
    }
    /* RFC 4862 5.5.3 (d): an address from a /64 and our EUI-64 (RFC 4291
     * 2.5.1: 64-bit interface identifiers on Ethernet). */
    if (!(flags & LN_ND_PI_AUTO) || !n->cfg.ip6_autoconf || plen != 64 || !valid) return;
    ln_in6 a = pfx;
    ln_in6_set_eui64(&a, ifc->mac);
    ln_time pref_until = preferred == 0xffffffffu ? LN_NEVER : now + (ln_time)preferred * LN_SEC;
    ln_ip6_addr *e = ln_ip6_addr_find(n, ifc, &a);
    if (e) {
        if (e->origin != LN_IP6A_AUTOCONF) return;
        /* RFC 4862 5.5.3 (e), as Linux's addrconf_prefix_rcv_add_addr
         * reads it: the valid lifetime becomes the advertised one, but an
         * advertisement cannot cut it below two hours (or what is left,
         * if less), so a forged RA cannot take a host's address away at
         * once; the preferred lifetime is always taken as advertised. */
        ln_time left = e->valid_until == LN_NEVER ? LN_NEVER : e->valid_until - now;
        ln_time floor = left < TWO_HOURS ? left : TWO_HOURS;
        ln_time v = valid == 0xffffffffu ? LN_NEVER : (ln_time)valid * LN_SEC;
        if (v < floor) v = floor;
        ln_time v_until = v == LN_NEVER ? LN_NEVER : now + v;
        ln_ip6_addr_lifetimes(e, pref_until, v_until);
        return;
    }
    if (LN_TRACE_ON(n->net, LN_TR_IP)) {
        char b[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_IP, n->name, "%s: autoconfigured %s/64 from a router advertisement",
                      ifc->name, ln_ip6_fmt(&a, b));
    }
    if (ln_ip6_addr_add(ifc, &a, 64, LN_IP6A_AUTOCONF, until) == 0 &&
        (e = ln_ip6_addr_find(n, ifc, &a)) != NULL)
        ln_ip6_addr_lifetimes(e, pref_until, until);
}

static void ra_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt, const ln_in6 *src)
{
    const uint8_t *d = pkt->data;
    uint8_t mac[6];
    bool has;
    /* 6.1.2: from a link-local address, 16 bytes at least, options well
     * formed. */
    if (!ln_in6_is_linklocal(src) || pkt->len < 16 ||
        !ln_nd_opts_lladdr(d + 16, pkt->len - 16, LN_ND_OPT_SLLA, mac, &has)) {
        bad(n, ifc, pkt, LN_DROP_ND_INVALID);
        return;
    }
    /* Routers and hosts with accept_ra = 0 ignore them (6.2.7: a router
     * may only check them for consistency). */
    if (n->forwarding || !n->cfg.ip6_accept_ra) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_OTHER_HOST);
        return;
    }
    ln_ip6_if *i6 = ifc->ip6;
    ln_timer_cancel(&n->net->sim, &i6->rs_timer);        /* 6.3.7: a router answered */
    if (d[4]) i6->hlim = d[4];
    uint32_t lifetime = ln_get16(d + 6);
    ln_time now = ln_net_now(n->net);
    ln_in6 any = {{0}};
    ln_route6 *r = ln_route6_find(&n->ip6->routes, &any, 0, src, ifc);
    if (lifetime == 0) {
        if (r && r->kind == LN_RT6_RA) r->expires = now;
    } else if (r) {
        r->expires = now + (ln_time)lifetime * LN_SEC;
    } else {
        /* Linux: the RA default route, metric 1024, "proto ra". */
        ln_route6 nr = { .plen = 0, .has_gw = true, .gateway = *src, .iface = ifc, .metric = 1024,
                         .kind = LN_RT6_RA, .expires = now + (ln_time)lifetime * LN_SEC };
        ln_route6_add(&n->ip6->routes, &nr);
    }
    if (has) ln_nd_learn(n, ifc, src, mac, true);
    /* The options, walked again now that they are known to be sound. */
    for (uint32_t i = 16; i + 8 <= pkt->len;) {
        const uint8_t *o = d + i;
        uint32_t olen = (uint32_t)o[1] * 8;
        if (o[0] == LN_ND_OPT_MTU && olen == 8) {
            uint32_t mtu = ln_get32(o + 4);
            /* 6.3.4: within what the link can carry. */
            if (mtu >= LN_IP6_MIN_MTU && mtu <= ifc->mtu) i6->mtu = mtu;
        } else if (o[0] == LN_ND_OPT_PREFIX && olen == 32) {
            prefix_input(n, ifc, o);
        }
        i += olen;
    }
    n->net->topo_gen++;
    ln_pkt_free(pkt);
}

void ln_ra_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt, const ln_in6 *src, const ln_in6 *dst)
{
    (void)dst;
    if (pkt->data[0] == LN_ND_ROUTER_SOLICIT) rs_input(n, ifc, pkt, src);
    else ra_input(n, ifc, pkt, src);
}
