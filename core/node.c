/* node.c - hosts, routers and their interfaces.
 *
 * The node owns its stack instance; this file creates and tears it down and
 * implements the interface operations that sit between the IP layer and
 * the link: addresses (with their connected routes), up/down, transmit. */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "err.h"
#include "eth.h"
#include "firewall.h"
#include "icmp.h"
#include "icmp_rate.h"
#include "igmp.h"
#include "intercept.h"
#include "ip.h"
#include "ip6.h"
#include "link.h"
#include "tcp.h"
#include "udp.h"

void ln_node_cfg_default(ln_node_cfg *c)
{
    /* Linux defaults (Documentation/networking/ip-sysctl.rst, neighbour
     * defaults in net/ipv4/arp.c). */
    *c = (ln_node_cfg){
        .ip_default_ttl = 64,
        .ipfrag_time = 30 * LN_SEC,
        .ipfrag_high_thresh = 4u << 20,
        .arp_reachable_time = 30 * LN_SEC,
        .arp_retrans_time = 1 * LN_SEC,
        .arp_gc_stale_time = 60 * LN_SEC,
        .arp_delay_first_probe = 5 * LN_SEC,
        .arp_mcast_solicit = 3,
        .arp_ucast_solicit = 3,
        /* Linux bounds the queue by bytes (unres_qlen_bytes = 212992),
         * which is about 101 full-size frames. */
        .arp_unres_qlen = 101,
        .arp_gc_thresh1 = 128,
        .arp_gc_thresh2 = 512,
        .arp_gc_thresh3 = 1024,
        .arp_accept = false,
        .icmp_echo_ignore_all = false,
        .icmp_ratelimit = 1000 * LN_MSEC,
        .icmp_ratemask = 0x1818,
        .icmp_msgs_per_sec = 1000,
        .icmp_msgs_burst = 50,
        .port_lo = 32768,
        .port_hi = 60999,
        .ip6_hop_limit = 64,
        .ip6_accept_ra = true,
        .ip6_autoconf = true,
        .ip6_dad_transmits = 1,
        /* Linux 4.9+ defaults to -1 (for ever, backing off to an hour);
         * the classic 3 lets a network with no router go idle. */
        .ip6_rtr_solicits = 3,
        .ip6_rtr_solicit_interval = 4 * LN_SEC,
        .ip6_rtr_solicit_delay = 1 * LN_SEC,
        .ip6frag_time = 60 * LN_SEC,
        .ip6_mtu_expires = 600 * LN_SEC,
        .icmp6_echo_ignore_all = false,
        .icmp6_ratelimit = 1000 * LN_MSEC,
    };
}

static int name_ok(const char *name, size_t max, char *err, size_t errlen, const char *what)
{
    size_t n = strlen(name);
    if (n == 0 || n >= max) {
        snprintf(err, errlen, "%s name \"%s\": must be 1 to %zu characters", what, name, max - 1);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-')) {
            snprintf(err, errlen, "%s name \"%s\": character '%c' not allowed (use letters, digits, _ and -)",
                     what, name, ch);
            return 0;
        }
    }
    return 1;
}

static void node_fin(void *n) { ln_node_free(n); }

uint64_t ln_mib_none[LN_MIB__COUNT];

uint64_t *ln_node_mib_alloc(ln_node *n)
{
    uint64_t *m = calloc(LN_MIB__COUNT, sizeof *m);
    if (!m) ln_fatal("%s: out of memory for its counters", n->name);
    return n->mib = m;
}

ln_node *ln_node_new(ln_net *net, const char *name, bool forwarding, char *err, size_t errlen)
{
    if (!name_ok(name, sizeof ((ln_node *)0)->name, err, errlen, "node")) return NULL;
    if (ln_net_name_taken(net, name)) {
        snprintf(err, errlen, "node name \"%s\": already used in this network", name);
        return NULL;
    }
    ln_node *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    n->net = net;
    n->mib = ln_mib_none;
    n->drops = ln_drops_none;
    n->id = net->n_nodes;
    n->actor = ln_net_new_actor(net);
    if (!n->actor) {
        free(n);
        snprintf(err, errlen, "node \"%s\": too many nodes and switches (%u at most)",
                 name, (unsigned)LN_PKT_ID_ACTOR_MAX);
        return NULL;
    }
    snprintf(n->name, sizeof n->name, "%s", name);
    n->forwarding = forwarding;
    char label[64];
    snprintf(label, sizeof label, "node:%s", name);
    ln_rng_derive(&n->rng, net->seed, label);
    ln_node_cfg_default(&n->cfg);
    ln_rtable_init(&n->routes);
    ln_arp_init(n);
    /* Linux starts IP IDs at a random value; seeded, so still repeatable. */
    n->ip_id = (uint16_t)ln_rng_next(&n->rng);
    ln_icmp_attach(n);
    ln_igmp_attach(n);
    ln_udp_attach(n);
    ln_tcp_attach(n);
    if (ln_net_add_node(net, n, node_fin) != 0) {
        ln_node_free(n);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    net->topo_gen++;
    return n;
}

void ln_node_free(ln_node *n)
{
    if (!n) return;
    ln_tcp_detach(n);
    ln_udp_detach(n);
    while (n->icmp_socks) ln_icmp_sock_close(n->icmp_socks);
    ln_icmp_rate_free(n);
    ln_arp_destroy(n);
    ln_reasm_free(n);
    ln_ip6_free(n);
    ln_rtable_destroy(&n->routes);
    ln_fw_free(n);
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        ln_igmp_iface_free(n->ifaces[i]);
        ln_ip6_if_free(n->ifaces[i]);
        free(n->ifaces[i]);
    }
    free(n->ifaces);
    free(n->addr_idx);
    free(n->a4);
    if (n->mib != ln_mib_none) free(n->mib);
    ln_drops_release(n->drops);
    ln_drops_release(n->counts.drops);
    free(n);
}

ln_iface *ln_iface_new(ln_node *n, const char *name, char *err, size_t errlen)
{
    char auto_name[16];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "eth%u", n->n_ifaces);
        name = auto_name;
    }
    if (!name_ok(name, sizeof ((ln_iface *)0)->name, err, errlen, "interface")) return NULL;
    if (ln_node_iface(n, name)) {
        snprintf(err, errlen, "interface \"%s\": %s already has one by that name", name, n->name);
        return NULL;
    }
    ln_iface **v = realloc(n->ifaces, (n->n_ifaces + 1) * sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    n->ifaces = v;
    ln_iface *ifc = calloc(1, sizeof *ifc);
    if (!ifc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ifc->node = n;
    ifc->index = n->n_ifaces;
    snprintf(ifc->name, sizeof ifc->name, "%s", name);
    /* Locally administered, unicast (02:...), numbered in creation order
     * across the network so captures are stable and easy to read. */
    uint32_t seq = ++n->net->mac_seq;
    uint8_t mac[6] = { 0x02, 0x00, (uint8_t)(seq >> 24), (uint8_t)(seq >> 16),
                       (uint8_t)(seq >> 8), (uint8_t)seq };
    memcpy(ifc->mac, mac, 6);
    ifc->plen = LN_NO_ADDR;
    ifc->mtu = 1500;
    ifc->up = true;
    ifc->port.rx = ln_eth_input;
    ifc->port.kind = LN_PORT_IFACE;
    ifc->port.owner = ifc;
    ifc->port.actor = n->actor;
    snprintf(ifc->port.name, sizeof ifc->port.name, "%s.%s", n->name, ifc->name);
    n->net->topo_gen++;
    n->ifaces[n->n_ifaces++] = ifc;
    return ifc;
}

ln_iface *ln_node_iface(const ln_node *n, const char *name)
{
    for (uint32_t i = 0; i < n->n_ifaces; i++)
        if (strcmp(n->ifaces[i]->name, name) == 0) return n->ifaces[i];
    return NULL;
}

#define ADDR_SCAN_MAX 16         /* list entries a plain scan serves best */

static uint32_t addr_hash(uint32_t a) { return (a * 2654435761u) ^ (a >> 16); }

/* Rebuilt whole on every address change: routers are built once, and a
 * rebuild is one pass over their interfaces.  The list is in interface
 * order, so the first entry found for an address is the lowest
 * interface's, as a walk over the interfaces would find it; the hash
 * keeps only the first entry of each (address, kind). */
static void addr_index_rebuild(ln_node *n)
{
    n->routes.gen++;                  /* cached routes checked their source */
    free(n->addr_idx);
    n->addr_idx = NULL;
    free(n->a4);
    n->a4 = NULL;
    n->n_a4 = 0;
    uint32_t cnt = 0;
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        const ln_iface *ifc = n->ifaces[i];
        if (ifc->plen != LN_NO_ADDR) cnt += ifc->plen < 31 ? 2 : 1;
    }
    if (!cnt) return;
    ln_addr4 *v = malloc(cnt * sizeof *v);
    if (!v) ln_fatal("node %s: out of memory for its address list", n->name);
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        const ln_iface *ifc = n->ifaces[i];
        if (ifc->plen == LN_NO_ADDR) continue;
        v[n->n_a4++] = (ln_addr4){ ifc->addr, LN_A4_LOCAL | i };
        if (ifc->plen < 31)
            v[n->n_a4++] = (ln_addr4){ ifc->addr | ~ln_mask(ifc->plen), LN_A4_BCAST | i };
    }
    n->a4 = v;
    if (n->n_a4 <= ADDR_SCAN_MAX) return;
    uint32_t cap = 16;
    while (cap < 2 * n->n_a4) cap *= 2;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t) return;                                /* the scan still works */
    for (uint32_t j = 0; j < n->n_a4; j++) {
        uint32_t k = addr_hash(v[j].addr) & (cap - 1);
        for (; t[k]; k = (k + 1) & (cap - 1)) {
            const ln_addr4 *o = &v[t[k] - 1];
            if (o->addr == v[j].addr && (o->tag & LN_A4_BCAST) == (v[j].tag & LN_A4_BCAST)) break;
        }
        if (!t[k]) t[k] = j + 1;
    }
    n->addr_idx = t;
    n->addr_mask = cap - 1;
}

/* The entry for addr: its own address if it is one, else a broadcast
 * entry, else NULL. */
static const ln_addr4 *addr_find(const ln_node *n, uint32_t addr)
{
    const ln_addr4 *bcast = NULL;
    if (n->addr_idx) {
        for (uint32_t k = addr_hash(addr) & n->addr_mask; n->addr_idx[k]; k = (k + 1) & n->addr_mask) {
            const ln_addr4 *e = &n->a4[n->addr_idx[k] - 1];
            if (e->addr != addr) continue;
            if (!(e->tag & LN_A4_BCAST)) return e;
            bcast = e;
        }
        return bcast;
    }
    for (uint32_t j = 0; j < n->n_a4; j++) {
        const ln_addr4 *e = &n->a4[j];
        if (e->addr != addr) continue;
        if (!(e->tag & LN_A4_BCAST)) return e;
        if (!bcast) bcast = e;
    }
    return bcast;
}

ln_addr_class ln_node_addr_class(const ln_node *n, uint32_t addr)
{
    const ln_addr4 *e = addr_find(n, addr);
    if (!e) return LN_ADDR_OTHER;
    return (e->tag & LN_A4_BCAST) ? LN_ADDR_BCAST : LN_ADDR_LOCAL;
}

int ln_iface_set_addr(ln_iface *ifc, uint32_t addr, uint8_t plen)
{
    ifc->node->net->topo_gen++;
    if (plen != LN_NO_ADDR && plen > 32) return LN_EINVAL;
    ln_node *n = ifc->node;
    ln_route_flush_iface(&n->routes, ifc, LN_RT_CONNECTED);
    ln_arp_flush(n, ifc);
    ifc->addr = plen == LN_NO_ADDR ? 0 : addr;
    ifc->plen = plen;
    addr_index_rebuild(n);
    if (plen == LN_NO_ADDR) return 0;
    ln_route r = { .prefix = addr & ln_mask(plen), .plen = plen, .gateway = 0,
                   .iface = ifc, .metric = 0, .kind = LN_RT_CONNECTED };
    int rc = ln_route_add(&n->routes, &r);
    return rc == LN_EEXIST ? 0 : rc;
}

typedef struct iface_updown { ln_iface *ifc; bool up; } iface_updown;

static void iface_set_up_now(ln_net *net, const void *data)
{
    const iface_updown *u = data;
    ln_iface *ifc = u->ifc;
    (void)net;
    if (ifc->up == u->up) return;
    ifc->up = u->up;
    ifc->node->routes.gen++;          /* routes through it come and go */
    if (!u->up) {
        ln_arp_flush(ifc->node, ifc);
        if (ifc->node->ip6) ln_nd_flush(ifc->node, ifc);
    } else {
        ln_igmp_iface_up(ifc);
    }
}

/* Asked for inside a subscriber, it happens after the current event
 * (ln_net_defer), like a link's up and down. */
void ln_iface_set_up(ln_iface *ifc, bool up)
{
    iface_updown u = { .ifc = ifc, .up = up };
    ln_net_defer(ifc->node->net, iface_set_up_now, &u, sizeof u);
}

void ln_iface_xmit(ln_iface *ifc, ln_pkt *frame)
{
    ln_node *n = ifc->node;
    if (n->fw && !ln_fw_hook_run(n, LN_FW_OUT, ifc, frame)) return;
    /* Interception after the firewall, as Linux's egress qdisc (netem)
     * comes after netfilter's POSTROUTING. */
    if (n->ic[LN_IC_OUT]) {
        ln_ic_node_run(n, LN_IC_OUT, ifc, frame);
        return;
    }
    ln_iface_xmit_cont(ifc, frame);
}

void ln_iface_xmit_cont(ln_iface *ifc, ln_pkt *frame)
{
    ln_net *net = ifc->node->net;
    if (!ifc->up) {
        ifc->st.tx_dropped++;
        ln_net_drop(net, ifc->node, ifc, frame, LN_LAYER_L2, LN_DROP_IFACE_DOWN);
        return;
    }
    if (!ifc->port.out) {
        ifc->st.tx_dropped++;
        ln_net_drop(net, ifc->node, ifc, frame, LN_LAYER_L2, LN_DROP_NO_CARRIER);
        return;
    }
    ifc->st.tx_packets++;
    ifc->st.tx_bytes += frame->len;
    ln_link_send(ifc->port.out, frame);
}

/* The packet's own timer carries it to our input at the same instant but
 * as a separate event, so output never recurses into input (Linux queues
 * it on lo's backlog the same way).  pkt->mark holds the node until then;
 * the version nibble says which input. */
static void loop_rx(void *arg)
{
    ln_pkt *p = arg;
    ln_node *n = (ln_node *)(uintptr_t)p->mark;
    p->mark = 0;
    if (p->len && (p->data[0] >> 4) == 6) ln_ip6_input(n, NULL, p);
    else ln_ip_input(n, NULL, p);
}

void ln_node_loopback(ln_node *n, ln_pkt *p)
{
    p->in_if = NULL;
    p->mark = (uint64_t)(uintptr_t)n;
    ln_timer_init(&p->timer, loop_rx, p);
    ln_timer_arm_in(&n->net->sim, &p->timer, 0);
}

bool ln_node_has_addr(const ln_node *n, uint32_t addr)
{
    return ln_node_addr_class(n, addr) == LN_ADDR_LOCAL;
}

ln_iface *ln_node_iface_by_addr(const ln_node *n, uint32_t addr)
{
    const ln_addr4 *e = addr_find(n, addr);
    return e && !(e->tag & LN_A4_BCAST) ? n->ifaces[e->tag] : NULL;
}
