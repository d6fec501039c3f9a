/* test_actor.c - each actor's share of the network's counters (actor.h):
 * trace ids made from the creating actor's own count, drop totals kept per
 * actor and summed when read.
 *
 * What a split run needs (docs/parallel.md, rule 4) is that what one actor
 * does depends on its own events only: its packets get the same ids
 * however its events interleave with other actors', and whether the other
 * actors run at all (as on a rank that owns only this one).  The tests
 * build the same network several times, change when (or whether) the
 * other actors act, and compare. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "udp.h"
#include "world.h"

/* ---- ln_net_pkt from timers of chosen actors ----------------------------- */

#define MAKERS 3                  /* nodes a, b and switch s: actors 1, 2, 3 */
#define SHOTS 4                   /* packets each maker makes */

typedef struct maker maker;
typedef struct shot { ln_timer t; maker *m; } shot;
struct maker {
    ln_net *net;
    shot s[SHOTS];
    uint64_t ids[SHOTS];
    int n;
};

static void make(void *arg)
{
    maker *m = ((shot *)arg)->m;
    ln_pkt *p = ln_net_pkt(m->net, 60);
    CHECK(p != NULL);
    if (!p) return;
    if (m->n < SHOTS) m->ids[m->n++] = p->id;
    ln_pkt_free(p);
}

/* A network of a, b and s; maker k acts at at[k][0..SHOTS-1] as actor k+1
 * when run has bit k (the others are there, as on a rank that does not own
 * them, but never act).  The script makes a packet of its own before and
 * after the run.  ids gets what each maker saw, script[] the script's. */
static void run_makers(const ln_time at[MAKERS][SHOTS], unsigned run,
                       uint64_t ids[MAKERS][SHOTS], uint64_t script[2])
{
    char err[128];
    ln_net *net = ln_net_new(3);
    ln_node *a = ln_node_new(net, "a", false, err, sizeof err);
    ln_node *b = ln_node_new(net, "b", false, err, sizeof err);
    ln_switch *s = ln_switch_new(net, "s", false, err, sizeof err);
    CHECK(a && b && s);
    if (!a || !b || !s) return;
    const uint32_t actor[MAKERS] = { a->actor, b->actor, s->actor };
    CHECK_EQ(actor[0], 1);
    CHECK_EQ(actor[1], 2);
    CHECK_EQ(actor[2], 3);

    ln_pkt *p = ln_net_pkt(net, 60);        /* outside any event: the network's */
    script[0] = p->id;
    ln_pkt_free(p);

    maker m[MAKERS];
    memset(m, 0, sizeof m);
    for (int k = 0; k < MAKERS; k++) {
        m[k].net = net;
        for (int i = 0; i < SHOTS; i++) {
            m[k].s[i].m = &m[k];
            ln_timer_init(&m[k].s[i].t, make, &m[k].s[i]);
            ln_timer_own(&m[k].s[i].t, actor[k]);
            if (run & 1u << k) ln_timer_arm(&net->sim, &m[k].s[i].t, at[k][i]);
        }
    }
    ln_sim_run(&net->sim);

    p = ln_net_pkt(net, 60);
    script[1] = p->id;
    ln_pkt_free(p);

    for (int k = 0; k < MAKERS; k++) {
        CHECK_EQ(m[k].n, run & 1u << k ? SHOTS : 0);
        memcpy(ids[k], m[k].ids, sizeof m[k].ids);
        /* Each share counted its own packets, and only those. */
        CHECK_U64(net->actors[actor[k]]->pkts, (uint64_t)m[k].n);
    }
    CHECK_U64(net->counts.pkts, 2);
    CHECK_U64(ln_pktpool_in_use(net->pool), 0);
    ln_net_free(net);
}

/* Four schedules: a, b and s alternating; all at the same instants; b
 * all before a, s in between; and each actor alone.  Every packet of an
 * actor gets the same id in all of them: actor << 40 | its count. */
static void test_ids_per_actor(void)
{
    static const ln_time sched[3][MAKERS][SHOTS] = {
        { { 10, 40, 70, 100 }, { 20, 50, 80, 110 }, { 30, 60, 90, 120 } },
        { { 10, 20, 30, 40 },  { 10, 20, 30, 40 },  { 10, 20, 30, 40 } },
        { { 500, 600, 700, 800 }, { 1, 2, 3, 4 },   { 5, 550, 650, 900 } },
    };
    uint64_t want[MAKERS][SHOTS];
    for (int k = 0; k < MAKERS; k++)
        for (int i = 0; i < SHOTS; i++) want[k][i] = (uint64_t)(k + 1) << 40 | (uint64_t)(i + 1);
    /* The encoding is what users see (lunet.trace_id "1.1"): pinned. */
    CHECK_U64(want[0][0], 0x10000000001ull);
    CHECK_U64(ln_pkt_id(1, 1), want[0][0]);
    CHECK_EQ(ln_pkt_id_actor(want[2][3]), 3);
    CHECK_U64(ln_pkt_id_count(want[2][3]), 4);

    uint64_t first[MAKERS][SHOTS];
    for (int c = 0; c < 3; c++) {
        uint64_t ids[MAKERS][SHOTS], script[2];
        run_makers(sched[c], 0x7, ids, script);
        if (c == 0) memcpy(first, ids, sizeof ids);
        /* The same ids as the first schedule, whatever the encoding... */
        CHECK(memcmp(ids, first, sizeof ids) == 0);
        /* ... and the encoding. */
        for (int k = 0; k < MAKERS; k++)
            for (int i = 0; i < SHOTS; i++) CHECK_U64(ids[k][i], want[k][i]);
        /* The script is actor 0: its ids are its own count, 1 and 2,
         * whatever the nodes made in between. */
        CHECK_U64(script[0], 1);
        CHECK_U64(script[1], 2);
    }
    /* Split: each actor alone, as a rank that owns only it would run. */
    for (int k = 0; k < MAKERS; k++) {
        uint64_t ids[MAKERS][SHOTS], script[2];
        run_makers(sched[0], 1u << k, ids, script);
        CHECK(memcmp(ids[k], first[k], sizeof ids[k]) == 0);
        for (int i = 0; i < SHOTS; i++) CHECK_U64(ids[k][i], want[k][i]);
        CHECK_U64(script[1], 2);
    }
}

/* ---- trace ids on real traffic -------------------------------------------- */

#define LAN_HOSTS 3
#define LAN_SENDS 3
#define MAXTX 256

/* h1, h2, h3 on switch sw (actor 1; the hosts are 2, 3, 4), every host with
 * a socket on port 9; host k sends a datagram to host k+1 at each of its
 * times, from a timer of its own (a task of that host, in Lua terms). */
typedef struct lan_send { ln_timer t; ln_udp_sock *s; uint32_t dst; } lan_send;
typedef struct lan_tx { const ln_node *node; const ln_port *port; uint64_t id; } lan_tx;
typedef struct lan_log { lan_tx tx[MAXTX]; int n; } lan_log;

static void lan_fire(void *arg)
{
    lan_send *x = arg;
    CHECK(ln_udp_sendto(x->s, "ping", 4, x->dst, 9) == 4);
}

static void lan_on_tx(const ln_event *ev, void *arg)
{
    lan_log *log = arg;
    if (log->n < MAXTX) log->tx[log->n++] = (lan_tx){ ev->node, ev->port, ev->pkt->id };
}

/* ids[k][i]: the trace id of host k's i-th frame onto its own wire. */
static void run_lan(const ln_time at[LAN_HOSTS][LAN_SENDS], unsigned run,
                    uint64_t ids[LAN_HOSTS][LAN_SENDS])
{
    world_cfg c = { .seed = 9, .delay = 10 * LN_USEC, .static_arp = true, .quiet = true };
    world *w = world_lan(&c, LAN_HOSTS);
    static lan_log log;
    log.n = 0;
    ln_net_subscribe(w->net, LN_EV_MASK(LN_EV_TX), lan_on_tx, &log);
    CHECK_EQ(w->sw->actor, 1);
    ln_udp_sock *sock[LAN_HOSTS];
    lan_send snd[LAN_HOSTS][LAN_SENDS];
    for (int k = 0; k < LAN_HOSTS; k++) {
        CHECK_EQ(w->h[k]->actor, (uint32_t)k + 2);
        sock[k] = ln_udp_socket(w->h[k]);
        CHECK_EQ(ln_udp_bind(sock[k], 0, 9), 0);
        for (int i = 0; i < LAN_SENDS; i++) {
            snd[k][i] = (lan_send){ .s = sock[k], .dst = IP(10, 0, 0, 1 + (k + 1) % LAN_HOSTS) };
            ln_timer_init(&snd[k][i].t, lan_fire, &snd[k][i]);
            ln_timer_own(&snd[k][i].t, w->h[k]->actor);
            if (run & 1u << k) ln_timer_arm(&w->net->sim, &snd[k][i].t, at[k][i]);
        }
    }
    world_run(w);

    int seen[LAN_HOSTS] = { 0 };
    for (int j = 0; j < log.n; j++) {
        const lan_tx *t = &log.tx[j];
        if (!t->node) {
            /* A switch port passes a host's packet on: the same id, still
             * the host's; a switch makes none of its own. */
            uint32_t by = ln_pkt_id_actor(t->id);
            CHECK(by >= 2 && by < 2 + LAN_HOSTS);
            continue;
        }
        for (int k = 0; k < LAN_HOSTS; k++)
            if (t->node == w->h[k] && seen[k] < LAN_SENDS) ids[k][seen[k]++] = t->id;
    }
    for (int k = 0; k < LAN_HOSTS; k++) {
        CHECK_EQ(seen[k], run & 1u << k ? LAN_SENDS : 0);
        ln_udp_close(sock[k]);
    }
    world_free(w);
}

static void test_ids_on_a_lan(void)
{
    static const ln_time sched[2][LAN_HOSTS][LAN_SENDS] = {
        { { 1 * LN_MSEC, 2 * LN_MSEC, 3 * LN_MSEC },          /* all at once */
          { 1 * LN_MSEC, 2 * LN_MSEC, 3 * LN_MSEC },
          { 1 * LN_MSEC, 2 * LN_MSEC, 3 * LN_MSEC } },
        { { 5 * LN_MSEC, 6 * LN_MSEC, 7 * LN_MSEC },          /* h2 first, h3 around h1 */
          { 1 * LN_MSEC, 1 * LN_MSEC + 1, 2 * LN_MSEC },
          { 4 * LN_MSEC, 6 * LN_MSEC, 9 * LN_MSEC } },
    };
    uint64_t first[LAN_HOSTS][LAN_SENDS];
    for (int c = 0; c < 2; c++) {
        uint64_t ids[LAN_HOSTS][LAN_SENDS] = { { 0 } };
        run_lan(sched[c], 0x7, ids);
        if (c == 0) memcpy(first, ids, sizeof ids);
        CHECK(memcmp(ids, first, sizeof ids) == 0);
        for (int k = 0; k < LAN_HOSTS; k++)
            for (int i = 0; i < LAN_SENDS; i++)
                CHECK_U64(ids[k][i], ln_pkt_id((uint32_t)k + 2, (uint64_t)i + 1));
    }
    /* h1 alone: its ids do not depend on whether the others ran. */
    uint64_t ids[LAN_HOSTS][LAN_SENDS] = { { 0 } };
    run_lan(sched[1], 0x1, ids);
    CHECK(memcmp(ids[0], first[0], sizeof ids[0]) == 0);
    for (int i = 0; i < LAN_SENDS; i++) CHECK_U64(ids[0][i], ln_pkt_id(2, (uint64_t)i + 1));
}

/* ---- drop totals ----------------------------------------------------------- */

typedef struct burst { ln_timer t; ln_udp_sock *s; } burst;

/* Four datagrams at once onto a wire that holds one sending and one
 * waiting: two QUEUE_FULL drops, in h1's event. */
static void burst_fire(void *arg)
{
    burst *x = arg;
    for (int i = 0; i < 4; i++) CHECK(ln_udp_sendto(x->s, "data", 4, IP(10, 0, 0, 2), 7) == 4);
}

/* Drops are counted in the share of the actor whose event made them:
 * queue full in h1's (its sending half), no listener in h2's, the frames
 * a down takes in the script's (actor 0) when the script takes the link
 * down.  The totals (ln_net_drops, net:drops()) are the shares summed and
 * agree with the DROP events, reason by reason. */
static void test_drops_per_actor(void)
{
    ln_linkcfg lc;
    ln_linkcfg_default(&lc);
    lc.bandwidth = 1000000;             /* a 46-byte frame: 368 us on the wire */
    lc.queue_pkts = 1;
    lc.delay = 10 * LN_USEC;
    world_cfg c = { .seed = 4, .link = &lc, .static_arp = true };
    world *w = world_lan(&c, 2);
    ln_node *h1 = w->h[0], *h2 = w->h[1];
    ln_udp_sock *s = ln_udp_socket(h1);
    burst b1 = { .s = s }, b2 = { .s = s };
    ln_timer_init(&b1.t, burst_fire, &b1);
    ln_timer_own(&b1.t, h1->actor);
    ln_timer_arm(&w->net->sim, &b1.t, LN_MSEC);
    ln_timer_init(&b2.t, burst_fire, &b2);
    ln_timer_own(&b2.t, h1->actor);
    ln_timer_arm(&w->net->sim, &b2.t, 10 * LN_MSEC);
    /* The first burst goes through (h2 has nothing on port 7); stop while
     * the second is on h1's wire and take the wire down from the script. */
    world_run_until(w, 10 * LN_MSEC + 100 * LN_USEC);
    ln_link_set_up(w->link, -1, false);
    world_run(w);

    CHECK_U64(h1->counts.drops[LN_DROP_QUEUE_FULL], 4);
    CHECK_U64(h2->counts.drops[LN_DROP_NO_LISTENER], 2);
    CHECK_U64(h2->drops[LN_DROP_NO_LISTENER], 2);
    CHECK_U64(w->net->counts.drops[LN_DROP_LINK_DOWN], 2);   /* sending and waiting */
    CHECK_U64(w->drops[LN_DROP_LINK_DOWN], 2);
    /* Each share holds only its own actor's drops. */
    uint64_t n1 = 0, n2 = 0, n0 = 0, ns = 0;
    for (int r = 0; r < LN_DROP__COUNT; r++) {
        n1 += h1->counts.drops[r];
        n2 += h2->counts.drops[r];
        n0 += w->net->counts.drops[r];
        ns += w->sw->counts.drops[r];
    }
    CHECK_U64(n1, 4);
    CHECK_U64(n2, 2);
    CHECK_U64(n0, 2);
    CHECK_U64(ns, 0);
    /* The totals are the sums, and what the DROP events said. */
    uint64_t tot[LN_DROP__COUNT];
    ln_net_drops(w->net, tot);
    uint64_t all = 0;
    for (int r = 0; r < LN_DROP__COUNT; r++) {
        CHECK_U64(tot[r], w->drops[r]);
        CHECK_U64(ln_net_drop_total(w->net, (ln_drop_reason)r), tot[r]);
        all += tot[r];
    }
    CHECK_U64(all, n0 + n1 + n2 + ns);
    CHECK_U64(all, w->n_drops);
    /* Every drop went to an array of its own: the shared zeros of those
     * that dropped nothing (the switch) were never written. */
    uint64_t shared = 0;
    for (int r = 0; r < LN_DROP__COUNT; r++) shared += ln_drops_none[r];
    CHECK_U64(shared, 0);
    CHECK(w->sw->counts.drops == ln_drops_none);
    CHECK(h1->counts.drops != ln_drops_none);
    ln_udp_close(s);
    world_free(w);
}

/* Every actor that can run has its share where ln_net_counts looks, also
 * past the table's first size; a node refused before it got an id takes
 * none. */
static void test_registration(void)
{
    char err[128];
    ln_net *net = ln_net_new(1);
    CHECK(net->actors[LN_ACTOR_NET] == &net->counts);
    ln_node *nodes[40];
    for (int i = 0; i < 40; i++) {             /* past the first table size */
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        nodes[i] = ln_node_new(net, name, false, err, sizeof err);
        CHECK(nodes[i] != NULL);
        if (nodes[i]) CHECK(net->actors[nodes[i]->actor] == &nodes[i]->counts);
    }
    CHECK(ln_node_new(net, "n0", false, err, sizeof err) == NULL);   /* name taken */
    CHECK_EQ(net->n_actors, 40);
    ln_net_free(net);
}

int main(void)
{
    test_ids_per_actor();
    test_ids_on_a_lan();
    test_drops_per_actor();
    test_registration();
    return check_report("test_actor");
}
