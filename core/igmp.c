/* igmp.c - group membership and IGMPv3 reports (RFC 3376), following
 * Linux's net/ipv4/igmp.c for the host side.
 *
 * Join/leave: ln_igmp_join/leave -> group users -> state-change record
 *               -> report now, and once more at a random time below 1 s
 * Input:      ln_ip_input -> deliver -> igmp_input (protocol 2)
 *               -> length, checksum -> v3 query -> response timer
 *               -> current-state report
 * Output:     report() -> ln_ip_output(224.0.0.22, TTL 1, Router Alert)
 *
 * Groups are kept per interface in address order, so reports and listings
 * come out the same in every run.  A group whose last user left stays in
 * the list (users 0, no longer a member) until its leave report has been
 * repeated, then it is freed. */
#include "igmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "ip.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

/* RFC 3376 4.2.12 record types. */
enum { MODE_IS_EXCLUDE = 2, CHANGE_TO_INCLUDE = 3, CHANGE_TO_EXCLUDE = 4 };
enum { IGMP_QUERY = 0x11, IGMPV3_REPORT = 0x22 };

#define ROBUSTNESS 2                        /* RFC 3376 8.1; Linux igmp_qrv */
#define UNSOLICITED_INTERVAL (1 * LN_SEC)   /* RFC 3376 8.11 for version 3 */
#define QUERY_HLEN 12                       /* a v3 query without sources */
#define REC_LEN 8                           /* a group record without sources */

typedef struct ln_mc_group {
    struct ln_mc_group *next;     /* ln_igmp_if.groups, by address */
    struct ln_igmp_if *owner;
    uint32_t group;
    uint32_t users;               /* 0: left, leave report still repeating */
    uint8_t change;               /* record type of the pending state change */
    uint8_t retx;                 /* state-change reports still to send */
    bool asked;                   /* named by a group-specific query */
    ln_timer timer;               /* next state-change report */
} ln_mc_group;

typedef struct ln_igmp_if {
    ln_iface *ifc;
    ln_mc_group *groups;
    bool general;                 /* a general query waits for its answer */
    ln_timer query_timer;         /* the answer to the pending queries */
    ln_rng rng;                   /* report delays: "igmp:<node>:<iface>" */
} ln_igmp_if;

static void igmp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip);
static void on_query_timer(void *arg);

void ln_mc_mac(uint32_t group, uint8_t mac[6])
{
    mac[0] = 0x01; mac[1] = 0x00; mac[2] = 0x5e;
    mac[3] = (uint8_t)((group >> 16) & 0x7f);
    mac[4] = (uint8_t)(group >> 8);
    mac[5] = (uint8_t)group;
}

void ln_igmp_attach(ln_node *n)
{
    ln_ip_register(n, LN_IPPROTO_IGMP, igmp_input);
}

static ln_igmp_if *iface_state(ln_iface *ifc)
{
    if (ifc->igmp) return ifc->igmp;
    ln_igmp_if *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->ifc = ifc;
    char label[80];
    snprintf(label, sizeof label, "igmp:%s:%s", ifc->node->name, ifc->name);
    ln_rng_derive(&st->rng, ifc->node->net->seed, label);
    ln_timer_init(&st->query_timer, on_query_timer, st);
    ifc->igmp = st;
    return st;
}

static ln_mc_group *find(const ln_iface *ifc, uint32_t group)
{
    for (ln_mc_group *g = ifc->igmp ? ifc->igmp->groups : NULL; g; g = g->next)
        if (g->group == group) return g;
    return NULL;
}

bool ln_igmp_member(const ln_iface *ifc, uint32_t group)
{
    if (group == LN_MC_ALL_HOSTS) return true;
    const ln_mc_group *g = find(ifc, group);
    return g && g->users > 0;
}

bool ln_igmp_mac_member(const ln_iface *ifc, const uint8_t mac[6])
{
    uint8_t m[6];
    ln_mc_mac(LN_MC_ALL_HOSTS, m);
    if (memcmp(m, mac, 6) == 0) return true;
    /* A NIC's filter knows MAC addresses only: 32 groups share each one,
     * and the IP layer drops the others (ln_ip_input). */
    for (const ln_mc_group *g = ifc->igmp ? ifc->igmp->groups : NULL; g; g = g->next) {
        if (!g->users) continue;
        ln_mc_mac(g->group, m);
        if (memcmp(m, mac, 6) == 0) return true;
    }
    return false;
}

void ln_igmp_foreach(const ln_iface *ifc, bool (*fn)(uint32_t, uint32_t, void *), void *arg)
{
    /* 224.0.0.1 sorts first; sockets may join it too, adding users. */
    const ln_mc_group *all = find(ifc, LN_MC_ALL_HOSTS);
    if (!fn(LN_MC_ALL_HOSTS, all ? all->users : 0, arg)) return;
    for (const ln_mc_group *g = ifc->igmp ? ifc->igmp->groups : NULL; g; g = g->next)
        if (g->users && g->group != LN_MC_ALL_HOSTS && !fn(g->group, g->users, arg)) return;
}

/* ---- reports ------------------------------------------------------------ */

/* Send one Version 3 report carrying a record of type `type` for each of
 * the n groups in g[] (RFC 3376 4.2). */
static void report(ln_iface *ifc, const uint32_t *groups, uint32_t count, uint8_t type)
{
    ln_node *n = ifc->node;
    if (!ifc->up || !count) return;
    uint32_t len = 8 + count * REC_LEN;
    ln_pkt *p = ln_net_pkt(n->net, len);
    if (!p) return;
    uint8_t *r = p->data;
    memset(r, 0, len);
    r[0] = IGMPV3_REPORT;
    ln_put16(r + 6, (uint16_t)count);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *rec = r + 8 + i * REC_LEN;
        rec[0] = type;                    /* aux length and sources: 0 */
        ln_put32(rec + 4, groups[i]);
    }
    ln_put16(r + 2, ln_csum(r, len));
    if (LN_TRACE_ON(n->net, LN_TR_IGMP)) {
        static const char *const kind[] = { "", "", "is-exclude", "to-include (leave)", "to-exclude (join)" };
        char a[16];
        ln_trace_emit(n->net, LN_TR_IGMP, n->name, "%s: v3 report, %u record(s) %s, first %s", ifc->name, count,
                      type < 5 ? kind[type] : "?", ln_ip_fmt(groups[0], a));
    }
    /* RFC 2113 Router Alert, so routers look at a datagram that is not
     * addressed to them; TOS 0xc0 (internetwork control) and DF as Linux's
     * igmpv3_newpack sets them. */
    static const uint8_t router_alert[4] = { 0x94, 0x04, 0x00, 0x00 };
    ln_ip_opts o = { .ttl = 1, .tos = 0xc0, .df = true, .df_set = true, .oif = ifc,
                     .hdr_opt = router_alert, .hdr_opt_len = sizeof router_alert };
    /* The interface's address; without one, as Linux's route lookup
     * picks it, another of the host's, and 0.0.0.0 when it has none
     * (RFC 3376 4.2.13 allows it). */
    ln_ip_output(n, p, 0, LN_MC_IGMPV3_ROUTERS, LN_IPPROTO_IGMP, &o);
}

static void free_group(ln_igmp_if *st, ln_mc_group *g)
{
    for (ln_mc_group **pp = &st->groups; *pp; pp = &(*pp)->next) {
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    }
    ln_timer_cancel(&st->ifc->node->net->sim, &g->timer);
    free(g);
}

/* Send the pending state-change record now and schedule its repetition
 * (Linux igmp_ifc_timer_expire: mr_ifc_count reports in all). */
static void state_change(ln_mc_group *g)
{
    ln_igmp_if *st = g->owner;
    ln_sim *sim = &st->ifc->node->net->sim;
    report(st->ifc, &g->group, 1, g->change);
    if (g->retx) g->retx--;
    if (g->retx) {
        ln_timer_arm_in(sim, &g->timer, (ln_time)ln_rng_below(&st->rng, UNSOLICITED_INTERVAL));
    } else if (!g->users) {
        free_group(st, g);
    }
}

static void on_group_timer(void *arg) { state_change(arg); }

static void start_change(ln_mc_group *g, uint8_t type)
{
    ln_timer_cancel(&g->owner->ifc->node->net->sim, &g->timer);
    g->change = type;
    g->retx = ROBUSTNESS;
    state_change(g);
}

int ln_igmp_join(ln_iface *ifc, uint32_t group)
{
    if (!ln_ip_is_mcast(group)) return LN_EINVAL;
    ln_mc_group *g = find(ifc, group);
    if (g && g->users) {
        g->users++;
        return 0;
    }
    if (!g) {
        ln_igmp_if *st = iface_state(ifc);
        if (!st) return LN_ENOMEM;
        g = calloc(1, sizeof *g);
        if (!g) return LN_ENOMEM;
        g->owner = st;
        g->group = group;
        ln_timer_init(&g->timer, on_group_timer, g);
        ln_mc_group **pp = &st->groups;
        while (*pp && (*pp)->group < group) pp = &(*pp)->next;
        g->next = *pp;
        *pp = g;
    }
    g->users = 1;
    if (group != LN_MC_ALL_HOSTS) start_change(g, CHANGE_TO_EXCLUDE);
    return 0;
}

int ln_igmp_leave(ln_iface *ifc, uint32_t group)
{
    ln_mc_group *g = find(ifc, group);
    if (!g || !g->users) return LN_EADDRNOTAVAIL;
    if (--g->users) return 0;
    g->asked = false;
    if (group == LN_MC_ALL_HOSTS) {
        free_group(g->owner, g);
        return 0;
    }
    start_change(g, CHANGE_TO_INCLUDE);
    return 0;
}

void ln_igmp_iface_up(ln_iface *ifc)
{
    for (ln_mc_group *g = ifc->igmp ? ifc->igmp->groups : NULL; g; g = g->next)
        if (g->users && g->group != LN_MC_ALL_HOSTS) start_change(g, CHANGE_TO_EXCLUDE);
}

void ln_igmp_iface_free(ln_iface *ifc)
{
    ln_igmp_if *st = ifc->igmp;
    if (!st) return;
    while (st->groups) free_group(st, st->groups);
    ln_timer_cancel(&ifc->node->net->sim, &st->query_timer);
    free(st);
    ifc->igmp = NULL;
}

/* ---- queries ------------------------------------------------------------ */

/* The answer to the queries heard: every group for a general query, else
 * the groups that group-specific queries named (RFC 3376 5.2). */
static void on_query_timer(void *arg)
{
    ln_igmp_if *st = arg;
    uint32_t groups[64];
    uint32_t count = 0;
    for (ln_mc_group *g = st->groups; g; g = g->next) {
        bool wanted = g->users && g->group != LN_MC_ALL_HOSTS && (st->general || g->asked);
        g->asked = false;
        if (!wanted) continue;
        groups[count++] = g->group;
        if (count == sizeof groups / sizeof groups[0]) {
            report(st->ifc, groups, count, MODE_IS_EXCLUDE);
            count = 0;
        }
    }
    st->general = false;
    report(st->ifc, groups, count, MODE_IS_EXCLUDE);
}

/* RFC 3376 4.1.1: Max Resp Code to tenths of a second. */
static uint32_t max_resp_tenths(uint8_t code)
{
    if (code < 128) return code;
    uint32_t exp = (code >> 4) & 7, mant = code & 0x0f;
    return (mant | 0x10) << (exp + 3);
}

static void heard_query(ln_node *n, ln_iface *ifc, const uint8_t *q)
{
    uint32_t group = ln_get32(q + 4);
    ln_igmp_if *st = ifc->igmp;
    if (!st || !st->groups) return;          /* nothing to report */
    if (group) {
        ln_mc_group *g = find(ifc, group);
        if (!g || !g->users) return;
        g->asked = true;
    } else {
        st->general = true;
    }
    /* RFC 3376 5.2: a random delay in [0, Max Resp Time); a response
     * already due sooner stands. */
    ln_time max = (ln_time)max_resp_tenths(q[1]) * (LN_SEC / 10);
    if (max == 0) max = LN_MSEC;
    ln_sim *sim = &n->net->sim;
    ln_time when = ln_sim_now(sim) + (ln_time)ln_rng_below(&st->rng, max);
    bool sooner = !ln_timer_armed(&st->query_timer) || when < st->query_timer.when;
    if (LN_TRACE_ON(n->net, LN_TR_IGMP)) {
        char a[16];
        ln_time due = sooner ? when : st->query_timer.when;
        ln_trace_emit(n->net, LN_TR_IGMP, n->name, "%s: %s query, answer at %llu.%09llu (max %llu ms)%s", ifc->name,
                      group ? ln_ip_fmt(group, a) : "general", (unsigned long long)(due / LN_SEC),
                      (unsigned long long)(due % LN_SEC), (unsigned long long)(max / LN_MSEC),
                      sooner ? "" : ", an answer already due sooner");
    }
    if (sooner) ln_timer_arm(sim, &st->query_timer, when);
}

/* Protocol 2; pkt->data at the IGMP message.  Consumes pkt. */
static void igmp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    ln_iface *ifc = ip->in_if;
    const uint8_t *m = pkt->data;
    /* igmp_rcv: at least the 8-byte common header, then the checksum over
     * the whole message. */
    if (pkt->len < 8) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_TRUNCATED);
        return;
    }
    if (ln_csum(m, pkt->len) != 0) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_BAD_CSUM);
        return;
    }
    if (m[0] == IGMP_QUERY && pkt->len >= QUERY_HLEN && ifc) {
        /* RFC 3376 7.1: a query of 12 bytes or more is version 3; its
         * sources must fit in what arrived, and a group-specific query
         * names a multicast group. */
        uint32_t nsrc = ln_get16(m + 10);
        uint32_t group = ln_get32(m + 4);
        if ((uint32_t)pkt->len < QUERY_HLEN + 4 * nsrc || (group && !ln_ip_is_mcast(group))) {
            ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_MALFORMED);
            return;
        }
        heard_query(n, ifc, m);
    }
    ln_pkt_free(pkt);
}
