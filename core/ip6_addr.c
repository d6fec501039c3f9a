/* ip6_addr.c - IPv6 addresses on interfaces: turning IPv6 on, the
 * link-local address, duplicate address detection, the groups an
 * interface listens to, and source address selection.
 *
 *   script / ra.c (SLAAC) -> ln_ip6_addr_add -> connected route, DAD timer
 *   addr_timer -> ln_nd_send_ns (from ::) ... -> PREFERRED -> ln_ra_host_start
 *   addr_timer (after DAD) -> deprecated -> removed (lifetimes, below)
 *   nd.c, on an NS or NA for a tentative address -> ln_ip6_dad_failed
 *   ipv6.c, icmp6.c, nd.c -> ln_ip6_src_select / ln_ip6_is_local
 *
 * Linux's choices where RFC 4862 leaves them (addrconf.c): the link-local
 * address comes from the MAC by EUI-64 (addr_gen_mode 0); one DAD probe
 * (dad_transmits = 1) after a random delay of up to rtr_solicit_delay
 * (1 s), then retrans_time (1 s) of listening; an address that fails DAD
 * stays listed as duplicate and is never used.  No MLD reports are sent
 * (lunet's switches flood multicast, so no snooping switch needs them).
 *
 * Lifetimes (RFC 4862 5.5.4): an address whose preferred lifetime ends is
 * deprecated (kept, and still taken in, but not picked as a source while
 * another will do); one whose valid lifetime ends is removed.  Linux checks
 * every address in a periodic addrconf_verify; here each address's own
 * timer is armed for its next end, once DAD no longer needs it. */
#include "ip6.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "icmp6.h"
#include "nd.h"
#include "node.h"
#include "ra.h"
#include "tcp.h"
#include "udp.h"
#include "trace.h"

static ln_ip6 *stack_new(ln_node *n)
{
    ln_ip6 *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    ln_rt6table_init(&s->routes);
    ln_nd_init(n, &s->nd);
    char label[64];
    snprintf(label, sizeof label, "ip6:%s", n->name);
    ln_rng_derive(&s->rng, n->net->seed, label);
    s->frag_id = (uint32_t)ln_rng_next(&s->rng);
    n->ip6 = s;
    ln_icmp6_attach(n);
    /* The transports take IPv6 from now on. */
    ln_tcp_attach6(n);
    ln_udp_attach6(n);
    return s;
}

static void addr_timer(void *arg);

int ln_ip6_enable(ln_iface *ifc)
{
    if (ifc->ip6) return 0;
    ln_node *n = ifc->node;
    if (!n->ip6 && !stack_new(n)) return LN_ENOMEM;
    ln_ip6_if *i6 = calloc(1, sizeof *i6);
    if (!i6) return LN_ENOMEM;
    ln_timer_init(&i6->rs_timer, NULL, ifc);      /* ra.c gives it its function */
    ln_timer_own(&i6->rs_timer, n->actor);
    ifc->ip6 = i6;
    n->net->topo_gen++;
    /* RFC 4291 2.5.6 / 4862 5.3: fe80::/64 + interface identifier. */
    ln_in6 ll = {{0xfe, 0x80}};
    ln_in6_set_eui64(&ll, ifc->mac);
    ln_route6 r = { .plen = 64, .iface = ifc, .metric = 256, .kind = LN_RT6_CONNECTED,
                    .expires = LN_NEVER };
    r.prefix = ll;
    ln_route6_add(&n->ip6->routes, &r);
    return ln_ip6_addr_add(ifc, &ll, 64, LN_IP6A_LINK, LN_NEVER);
}

ln_ip6_addr *ln_ip6_addr_find(const ln_node *n, const ln_iface *ifc, const ln_in6 *a)
{
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        const ln_iface *c = n->ifaces[i];
        if ((ifc && c != ifc) || !c->ip6) continue;
        for (uint32_t k = 0; k < c->ip6->n_addr; k++)
            if (ln_in6_eq(&c->ip6->addr[k]->addr, a)) return c->ip6->addr[k];
    }
    return NULL;
}

bool ln_ip6_is_local(const ln_node *n, const ln_in6 *a)
{
    if (ln_in6_is_loopback(a)) return true;
    const ln_ip6_addr *e = ln_ip6_addr_find(n, NULL, a);
    return e && e->state == LN_IP6A_PREFERRED;
}

static void trace_state(const ln_ip6_addr *e, const char *what)
{
    ln_node *n = e->ifc->node;
    if (!LN_TRACE_ON(n->net, LN_TR_IP)) return;
    char a[LN_IN6_FMTLEN];
    ln_trace_emit(n->net, LN_TR_IP, n->name, "%s: %s/%u %s", e->ifc->name, ln_ip6_fmt(&e->addr, a),
                  e->plen, what);
}

/* Arm the timer for the next lifetime to end, if any (not while DAD has
 * it). */
static void lifetime_arm(ln_ip6_addr *e)
{
    ln_sim *sim = &e->ifc->node->net->sim;
    if (e->state == LN_IP6A_TENTATIVE) return;
    ln_time next = e->deprecated ? e->valid_until : e->prefer_until;
    if (e->valid_until < next) next = e->valid_until;
    if (next == LN_NEVER) ln_timer_cancel(sim, &e->timer);
    else ln_timer_arm(sim, &e->timer, next);
}

/* An address's lifetimes have come (or may have): deprecate it, or remove
 * it.  Returns false when e is gone. */
static bool lifetime_check(ln_ip6_addr *e)
{
    ln_node *n = e->ifc->node;
    ln_time now = ln_net_now(n->net);
    if (now >= e->valid_until) {
        trace_state(e, "valid lifetime over: removed");
        ln_ip6_addr_del(e->ifc, &e->addr);
        return false;
    }
    if (!e->deprecated && now >= e->prefer_until) {
        e->deprecated = true;
        n->net->topo_gen++;
        trace_state(e, "preferred lifetime over: deprecated");
    }
    lifetime_arm(e);
    return true;
}

void ln_ip6_addr_lifetimes(ln_ip6_addr *e, ln_time prefer_until, ln_time valid_until)
{
    if (prefer_until > valid_until) prefer_until = valid_until;
    e->valid_until = valid_until;
    e->prefer_until = prefer_until;
    if (e->deprecated && ln_net_now(e->ifc->node->net) < prefer_until) {
        /* Linux: a new preferred lifetime makes it preferred again. */
        e->deprecated = false;
        e->ifc->node->net->topo_gen++;
        trace_state(e, "preferred again");
    }
    if (e->state != LN_IP6A_TENTATIVE) lifetime_check(e);
}

static void dad_done(ln_ip6_addr *e)
{
    e->state = LN_IP6A_PREFERRED;
    e->ifc->node->net->topo_gen++;
    trace_state(e, "passed duplicate address detection: preferred");
    ln_iface *ifc = e->ifc;
    bool link = e->origin == LN_IP6A_LINK;
    /* Lifetimes that ended during DAD end now (then e may be gone). */
    if (lifetime_check(e) && link) ln_ra_host_start(ifc);
}

/* RFC 4862 5.4.2: one NS from :: per retrans_time, dad_transmits of them;
 * silence for retrans_time after the last means the address is ours. */
static void addr_timer(void *arg)
{
    ln_ip6_addr *e = arg;
    if (e->state != LN_IP6A_TENTATIVE) {
        lifetime_check(e);
        return;
    }
    ln_iface *ifc = e->ifc;
    ln_node *n = ifc->node;
    if (e->dad_sent >= n->cfg.ip6_dad_transmits) {
        dad_done(e);
        return;
    }
    if (!ifc->up) {
        /* Linux restarts DAD when the link comes up; lunet retries. */
        ln_timer_arm_in(&n->net->sim, &e->timer, n->cfg.arp_retrans_time);
        return;
    }
    e->dad_sent++;
    ln_in6 any = {{0}}, group = ln_in6_solicited(&e->addr);
    ln_nd_send_ns(ifc, &any, &e->addr, &group);
    ln_timer_arm_in(&n->net->sim, &e->timer, n->cfg.arp_retrans_time);
}

void ln_ip6_dad_failed(ln_ip6_addr *e)
{
    if (e->state != LN_IP6A_TENTATIVE) return;
    ln_timer_cancel(&e->ifc->node->net->sim, &e->timer);
    e->state = LN_IP6A_DUPLICATE;
    e->ifc->node->net->topo_gen++;
    /* Linux: "IPv6 duplicate address ... used by ... detected!" */
    trace_state(e, "is a duplicate: never used");
}

int ln_ip6_addr_add(ln_iface *ifc, const ln_in6 *a, uint8_t plen, ln_ip6a_origin origin,
                    ln_time valid_until)
{
    if (plen > 128) return LN_EINVAL;
    if (ln_in6_is_mcast(a) || ln_in6_is_unspec(a) || ln_in6_is_loopback(a)) return LN_EINVAL;
    if (!ifc->ip6) {
        int rc = ln_ip6_enable(ifc);
        if (rc) return rc;
        if (ln_ip6_addr_find(ifc->node, ifc, a)) return 0;     /* it was the link-local */
    }
    ln_node *n = ifc->node;
    ln_ip6_if *i6 = ifc->ip6;
    if (ln_ip6_addr_find(n, ifc, a)) return LN_EEXIST;
    if (i6->n_addr == LN_IP6_MAX_ADDRS) return LN_ENOBUFS;
    ln_ip6_addr *e = calloc(1, sizeof *e);
    if (!e) return LN_ENOMEM;
    *e = (ln_ip6_addr){ .addr = *a, .plen = plen, .state = LN_IP6A_TENTATIVE,
                        .origin = (uint8_t)origin, .ifc = ifc, .valid_until = valid_until,
                        .prefer_until = valid_until };
    ln_timer_init(&e->timer, addr_timer, e);
    /* The node's, even when a script (the network's actor) adds it. */
    ln_timer_own(&e->timer, n->actor);
    i6->addr[i6->n_addr++] = e;
    n->net->topo_gen++;
    if (origin != LN_IP6A_LINK && plen < 128) {
        /* Linux adds the prefix route with the address (metric 256). */
        ln_route6 r = { .prefix = *a, .plen = plen, .iface = ifc, .metric = 256,
                        .kind = LN_RT6_CONNECTED, .expires = LN_NEVER };
        int rc = ln_route6_add(&n->ip6->routes, &r);
        if (rc && rc != LN_EEXIST) return rc;
    }
    if (n->cfg.ip6_dad_transmits == 0) {
        dad_done(e);
        return 0;
    }
    /* addrconf_dad_kick: the first probe after a random delay in
     * [0, rtr_solicit_delay), so hosts that start together do not
     * probe together. */
    ln_time d = n->cfg.ip6_rtr_solicit_delay;
    ln_time delay = d ? ln_rng_below(&n->ip6->rng, d) : 0;
    ln_timer_arm_in(&n->net->sim, &e->timer, delay);
    trace_state(e, "tentative: duplicate address detection");
    return 0;
}

int ln_ip6_addr_del(ln_iface *ifc, const ln_in6 *a)
{
    ln_ip6_if *i6 = ifc->ip6;
    if (!i6) return LN_EADDRNOTAVAIL;
    for (uint32_t k = 0; k < i6->n_addr; k++) {
        ln_ip6_addr *e = i6->addr[k];
        if (!ln_in6_eq(&e->addr, a)) continue;
        ln_node *n = ifc->node;
        ln_timer_cancel(&n->net->sim, &e->timer);
        if (e->origin != LN_IP6A_LINK && e->plen < 128) {
            /* The prefix route goes with the last address in it. */
            bool other = false;
            for (uint32_t j = 0; j < i6->n_addr; j++)
                if (j != k && i6->addr[j]->plen == e->plen &&
                    ln_in6_prefix_eq(&i6->addr[j]->addr, &e->addr, e->plen)) other = true;
            if (!other) ln_route6_del(&n->ip6->routes, &e->addr, e->plen, ifc);
        }
        memmove(&i6->addr[k], &i6->addr[k + 1], (i6->n_addr - k - 1) * sizeof *i6->addr);
        i6->n_addr--;
        free(e);
        n->net->topo_gen++;
        return 0;
    }
    return LN_EADDRNOTAVAIL;
}

const ln_ip6_addr *ln_ip6_linklocal(const ln_iface *ifc)
{
    if (!ifc->ip6) return NULL;
    for (uint32_t k = 0; k < ifc->ip6->n_addr; k++) {
        const ln_ip6_addr *e = ifc->ip6->addr[k];
        if (ln_in6_is_linklocal(&e->addr) && e->state == LN_IP6A_PREFERRED) return e;
    }
    return NULL;
}

bool ln_ip6_mc_member(const ln_iface *ifc, const ln_in6 *g)
{
    if (!ifc->ip6) return false;
    ln_in6 an = ln_in6_all_nodes(), ar = ln_in6_all_routers();
    if (ln_in6_eq(g, &an)) return true;
    if (ifc->node->forwarding && ln_in6_eq(g, &ar)) return true;
    /* The solicited-node group of every address, tentative ones too
     * (RFC 4862 5.4.2: joined before the first DAD probe). */
    for (uint32_t k = 0; k < ifc->ip6->n_addr; k++) {
        ln_in6 s = ln_in6_solicited(&ifc->ip6->addr[k]->addr);
        if (ln_in6_eq(g, &s)) return true;
    }
    return false;
}

bool ln_ip6_mac_member(const ln_iface *ifc, const uint8_t mac[6])
{
    if (!ifc->ip6 || mac[0] != 0x33 || mac[1] != 0x33) return false;
    if (mac[2] == 0 && mac[3] == 0 && mac[4] == 0 && (mac[5] == 1 || (mac[5] == 2 && ifc->node->forwarding)))
        return true;
    if (mac[2] != 0xff) return false;
    for (uint32_t k = 0; k < ifc->ip6->n_addr; k++) {
        const uint8_t *b = ifc->ip6->addr[k]->addr.b;
        if (b[13] == mac[3] && b[14] == mac[4] && b[15] == mac[5]) return true;
    }
    return false;
}

/* RFC 6724 5, the rules that matter without temporary addresses: 2
 * (appropriate scope: link-local for link-scope destinations, a global one
 * before a link-local otherwise), 3 (avoid deprecated addresses), 5 (the
 * outgoing interface's), 8 (longest matching prefix). */
bool ln_ip6_src_select(const ln_node *n, const ln_iface *oif, const ln_in6 *dst, ln_in6 *src)
{
    bool link_scope = ln_in6_is_linklocal(dst) || (ln_in6_is_mcast(dst) && ln_in6_mc_scope(dst) <= 2);
    const ln_ip6_addr *best = NULL;
    int best_score = -1;
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        const ln_iface *c = n->ifaces[i];
        if (!c->ip6) continue;
        /* Link-local addresses mean something only on their own link. */
        if (link_scope && oif && c != oif) continue;
        for (uint32_t k = 0; k < c->ip6->n_addr; k++) {
            const ln_ip6_addr *e = c->ip6->addr[k];
            if (e->state != LN_IP6A_PREFERRED) continue;
            bool ll = ln_in6_is_linklocal(&e->addr);
            if (link_scope && !ll) continue;
            if (ll && c != oif && oif) continue;
            int score = (ll == link_scope ? 1 << 17 : 0) + (e->deprecated ? 0 : 1 << 16) +
                        (c == oif ? 1 << 8 : 0) + ln_in6_common(&e->addr, dst);
            if (score > best_score) {
                best = e;
                best_score = score;
            }
        }
    }
    if (!best) return false;
    *src = best->addr;
    return true;
}

void ln_ip6_if_free(ln_iface *ifc)
{
    ln_ip6_if *i6 = ifc->ip6;
    if (!i6) return;
    ln_sim *sim = &ifc->node->net->sim;
    for (uint32_t k = 0; k < i6->n_addr; k++) {
        ln_timer_cancel(sim, &i6->addr[k]->timer);
        free(i6->addr[k]);
    }
    ln_timer_cancel(sim, &i6->rs_timer);
    ln_ra_free(ifc);
    free(i6);
    ifc->ip6 = NULL;
}
