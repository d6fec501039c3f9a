/* test_switch.c - the learning switch and the hub.
 *
 * Three hand-built "host" ports are linked to switch ports (unlimited
 * bandwidth, no delay); each records the frames it receives, so a test
 * can say exactly which hosts saw a frame. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "link.h"
#include "net.h"
#include "switch.h"
#include "wire.h"

#define NHOST 3

typedef struct host {
    ln_port port;                 /* first: rx casts back */
    uint32_t got;                 /* frames received */
    uint32_t last_tag;            /* tag of the last one */
} host;

static void host_rx(ln_port *port, ln_pkt *frame)
{
    host *h = (host *)port;
    h->got++;
    h->last_tag = frame->len >= 18 ? ln_get32(frame->data + 14) : 0;
    ln_pkt_free(frame);
}

typedef struct rig {
    ln_net *net;
    ln_switch *sw;
    host h[NHOST];
} rig;

static const uint8_t MAC[NHOST][6] = {
    { 0x02, 0, 0, 0, 0, 0x01 }, { 0x02, 0, 0, 0, 0, 0x02 }, { 0x02, 0, 0, 0, 0, 0x03 },
};
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

static void rig_open(rig *r, const char *name, bool hub)
{
    char err[128];
    memset(r, 0, sizeof *r);
    r->net = ln_net_new(1);
    r->sw = ln_switch_new(r->net, name, hub, err, sizeof err);
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.bandwidth = 0;
    for (int i = 0; i < NHOST; i++) {
        r->h[i].port.rx = host_rx;
        snprintf(r->h[i].port.name, sizeof r->h[i].port.name, "h%d.eth0", i + 1);
        ln_port *sp = ln_switch_add_port(r->sw);
        ln_link_new(r->net, &r->h[i].port, sp, &c, NULL, err, sizeof err);
    }
}

static void rig_close(rig *r)
{
    CHECK_U64(ln_pktpool_in_use(r->net->pool), 0);
    ln_net_free(r->net);
}

/* Host `from` sends a frame src -> dst tagged `tag`, and the network runs
 * until it is delivered; returns the bitmask of hosts that received it. */
static unsigned xmit(rig *r, int from, const uint8_t *src, const uint8_t *dst, uint32_t tag)
{
    uint32_t before[NHOST];
    for (int i = 0; i < NHOST; i++) before[i] = r->h[i].got;
    ln_pkt *p = ln_net_pkt(r->net, 60);
    memset(p->data, 0, 60);
    memcpy(p->data + LN_ETH_DST, dst, 6);
    memcpy(p->data + LN_ETH_SRC, src, 6);
    ln_put16(p->data + LN_ETH_TYPE, LN_ETHERTYPE_IPV4);
    ln_put32(p->data + 14, tag);
    ln_link_send(r->h[from].port.out, p);
    ln_sim_run(&r->net->sim);
    unsigned mask = 0;
    for (int i = 0; i < NHOST; i++) {
        if (r->h[i].got != before[i]) {
            mask |= 1u << i;
            CHECK_EQ(r->h[i].got - before[i], 1);
            CHECK_EQ(r->h[i].last_tag, tag);
        }
    }
    return mask;
}

static void count_entry(const ln_fdb_entry *e, void *arg)
{
    (void)e;
    ++*(int *)arg;
}

static void test_create(void)
{
    char err[128];
    ln_net *net = ln_net_new(1);
    ln_switch *s = ln_switch_new(net, "sw1", false, err, sizeof err);
    CHECK(s != NULL);
    CHECK_EQ(net->n_switches, 1);
    CHECK_U64(s->aging, 300 * LN_SEC);
    ln_port *p1 = ln_switch_add_port(s), *p2 = ln_switch_add_port(s);
    CHECK(strcmp(p1->name, "sw1.p1") == 0);
    CHECK(strcmp(p2->name, "sw1.p2") == 0);
    CHECK(p1->owner == s && p1->rx != NULL && p1->link == NULL);
    CHECK_EQ(s->n_ports, 2);
    for (int i = 0; i < 20; i++) ln_switch_add_port(s);   /* grows the array */
    CHECK(strcmp(s->ports[21]->name, "sw1.p22") == 0);
    CHECK(ln_switch_new(net, "sw1", true, err, sizeof err) == NULL);
    CHECK(strcmp(err, "name \"sw1\" already in use") == 0);
    CHECK(ln_switch_new(net, "", true, err, sizeof err) == NULL);
    CHECK(ln_switch_new(net, "a-name-that-is-far-too-long-for-a-switch", true, err, sizeof err) == NULL);
    CHECK(strstr(err, "too long") != NULL);
    ln_net_free(net);
}

static void test_learn_forward_flood(void)
{
    rig r;
    rig_open(&r, "sw1", false);
    ln_switch *s = r.sw;

    /* Unknown unicast floods to every other port, and teaches the source. */
    CHECK_EQ(xmit(&r, 0, MAC[0], MAC[1], 1), 0x6);
    CHECK_EQ(ln_switch_lookup(s, MAC[0]), 0);
    CHECK_EQ(ln_switch_lookup(s, MAC[1]), -1);
    CHECK_U64(s->st.flooded, 1);
    CHECK_U64(s->st.learned, 1);

    /* The reply goes to h1 only. */
    CHECK_EQ(xmit(&r, 1, MAC[1], MAC[0], 2), 0x1);
    CHECK_EQ(ln_switch_lookup(s, MAC[1]), 1);
    CHECK_U64(s->st.forwarded, 1);
    /* And now both directions are known. */
    CHECK_EQ(xmit(&r, 0, MAC[0], MAC[1], 3), 0x2);
    CHECK_U64(s->st.forwarded, 2);

    /* Broadcast and multicast always flood. */
    CHECK_EQ(xmit(&r, 2, MAC[2], BCAST, 4), 0x3);
    CHECK_EQ(xmit(&r, 0, MAC[0], MCAST, 5), 0x6);
    CHECK_U64(s->st.flooded, 3);
    CHECK_EQ(ln_switch_lookup(s, MAC[2]), 2);

    /* A multicast source is never learned. */
    CHECK_EQ(xmit(&r, 2, MCAST, MAC[0], 6), 0x1);
    CHECK_EQ(ln_switch_lookup(s, MCAST), -1);

    /* Filtering: the destination lives on the ingress port. */
    static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x11 };
    CHECK_EQ(xmit(&r, 0, other, BCAST, 7), 0x6);           /* learn `other` on p1 */
    CHECK_EQ(xmit(&r, 0, MAC[0], other, 8), 0x0);
    CHECK_U64(s->st.filtered, 1);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_SWITCH_FILTER), 1);

    /* A station that moves is relearned on its new port. */
    CHECK_EQ(xmit(&r, 2, MAC[0], BCAST, 9), 0x3);
    CHECK_EQ(ln_switch_lookup(s, MAC[0]), 2);
    CHECK_U64(s->st.moved, 1);
    CHECK_EQ(xmit(&r, 1, MAC[1], MAC[0], 10), 0x4);

    /* A runt frame is dropped as truncated. */
    ln_pkt *p = ln_net_pkt(r.net, 10);
    memset(p->data, 0xff, 10);
    ln_link_send(r.h[0].port.out, p);
    ln_sim_run(&r.net->sim);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_TRUNCATED), 1);

    /* foreach sees the live entries: MAC[0..2] and `other`. */
    int count = 0;
    ln_switch_foreach(s, count_entry, &count);
    CHECK_EQ(count, 4);
    rig_close(&r);
}

static void test_aging(void)
{
    rig r;
    rig_open(&r, "sw1", false);
    ln_switch *s = r.sw;
    CHECK_EQ(xmit(&r, 0, MAC[0], BCAST, 1), 0x6);
    CHECK_EQ(xmit(&r, 1, MAC[1], BCAST, 2), 0x5);
    int n = 0;
    ln_switch_foreach(s, count_entry, &n);
    CHECK_EQ(n, 2);

    /* Just before the aging time the entry still forwards... */
    ln_time t0 = ln_net_now(r.net);
    ln_sim_run_until(&r.net->sim, t0 + 300 * LN_SEC - 1);
    CHECK_EQ(ln_switch_lookup(s, MAC[0]), 0);
    /* ...h2 refreshes itself, h1 stays silent... */
    CHECK_EQ(xmit(&r, 1, MAC[1], MAC[0], 3), 0x1);
    /* ...and at the aging time h1 is forgotten: frames to it flood again. */
    ln_sim_run_until(&r.net->sim, t0 + 300 * LN_SEC);
    n = 0;
    ln_switch_foreach(s, count_entry, &n);
    CHECK_EQ(n, 1);
    CHECK_EQ(xmit(&r, 1, MAC[1], MAC[0], 4), 0x5);
    CHECK_U64(s->st.aged, 1);
    CHECK_EQ(ln_switch_lookup(s, MAC[0]), -1);
    CHECK_EQ(ln_switch_lookup(s, MAC[1]), 1);

    /* A shorter aging time is honoured too. */
    s->aging = 10 * LN_SEC;
    ln_sim_run_until(&r.net->sim, ln_net_now(r.net) + 11 * LN_SEC);
    CHECK_EQ(ln_switch_lookup(s, MAC[1]), -1);
    CHECK_U64(s->st.aged, 2);

    /* Flush forgets everything at once. */
    CHECK_EQ(xmit(&r, 0, MAC[0], BCAST, 5), 0x6);
    ln_switch_flush(s);
    CHECK_EQ(ln_switch_lookup(s, MAC[0]), -1);
    CHECK_EQ(s->fdb_used, 0);
    rig_close(&r);
}

/* Many stations: the table grows and keeps every one of them; deletion by
 * aging keeps the probe runs intact for the others. */
static void test_fdb_scale(void)
{
    rig r;
    rig_open(&r, "sw1", false);
    ln_switch *s = r.sw;
    enum { N = 5000 };
    uint8_t mac[6] = { 0x02, 0x10, 0, 0, 0, 0 };
    for (uint32_t i = 0; i < N; i++) {
        mac[3] = (uint8_t)(i >> 16);
        mac[4] = (uint8_t)(i >> 8);
        mac[5] = (uint8_t)i;
        xmit(&r, (int)(i % NHOST), mac, BCAST, i);
    }
    CHECK_EQ(s->fdb_used, N);
    CHECK(s->fdb_size >= N * 4 / 3);
    int bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        mac[3] = (uint8_t)(i >> 16);
        mac[4] = (uint8_t)(i >> 8);
        mac[5] = (uint8_t)i;
        bad += ln_switch_lookup(s, mac) != (int)(i % NHOST);
    }
    CHECK_EQ(bad, 0);
    /* Age out the even ones (refresh the odd ones first), then check the
     * odd ones are all still found after the deletions. */
    ln_sim_run_until(&r.net->sim, ln_net_now(r.net) + 200 * LN_SEC);
    for (uint32_t i = 1; i < N; i += 2) {
        mac[3] = (uint8_t)(i >> 16);
        mac[4] = (uint8_t)(i >> 8);
        mac[5] = (uint8_t)i;
        xmit(&r, (int)(i % NHOST), mac, BCAST, i);
    }
    ln_sim_run_until(&r.net->sim, ln_net_now(r.net) + 150 * LN_SEC);
    bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        mac[3] = (uint8_t)(i >> 16);
        mac[4] = (uint8_t)(i >> 8);
        mac[5] = (uint8_t)i;
        bad += ln_switch_lookup(s, mac) != ((i & 1) ? (int)(i % NHOST) : -1);
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(s->fdb_used, N / 2);
    CHECK_U64(s->st.aged, N / 2);
    rig_close(&r);
}

/* With a table limit, new stations are flooded, not learned (a CAM
 * overflow); once old entries age out there is room again. */
static void test_fdb_limit(void)
{
    rig r;
    rig_open(&r, "sw1", false);
    ln_switch *s = r.sw;
    s->fdb_max = 10;
    uint8_t mac[6] = { 0x02, 0x20, 0, 0, 0, 0 };
    for (uint32_t i = 0; i < 20; i++) {
        mac[5] = (uint8_t)i;
        xmit(&r, 0, mac, BCAST, i);
    }
    CHECK_EQ(s->fdb_used, 10);
    CHECK_U64(s->st.fdb_full, 10);
    mac[5] = 15;
    CHECK_EQ(xmit(&r, 1, MAC[1], mac, 100), 0x5);     /* unknown: flooded */
    ln_sim_run_until(&r.net->sim, ln_net_now(r.net) + 301 * LN_SEC);
    CHECK_EQ(xmit(&r, 0, mac, BCAST, 101), 0x6);
    CHECK_EQ(ln_switch_lookup(s, mac), 0);
    rig_close(&r);
}

static void test_hub(void)
{
    rig r;
    rig_open(&r, "hub1", true);
    CHECK(strcmp(r.sw->ports[0]->name, "hub1.p1") == 0);
    CHECK_EQ(xmit(&r, 0, MAC[0], MAC[1], 1), 0x6);
    CHECK_EQ(xmit(&r, 1, MAC[1], MAC[0], 2), 0x5);      /* no learning: still everywhere */
    CHECK_EQ(xmit(&r, 2, MAC[2], BCAST, 3), 0x3);
    CHECK_EQ(ln_switch_lookup(r.sw, MAC[0]), -1);
    CHECK_U64(r.sw->st.rx, 3);
    CHECK_U64(r.sw->st.flooded, 3);
    rig_close(&r);
}

/* A port without a link is skipped when flooding and is no carrier for a
 * known station; a lone port has nowhere to flood to. */
static void test_unlinked(void)
{
    rig r;
    rig_open(&r, "sw1", false);
    ln_switch_add_port(r.sw);                       /* p4, no link */
    CHECK_EQ(xmit(&r, 0, MAC[0], BCAST, 1), 0x6);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_NO_CARRIER), 0);
    rig_close(&r);

    char err[64];
    ln_net *net = ln_net_new(1);
    ln_switch *s = ln_switch_new(net, "lone", false, err, sizeof err);
    host h = { .port.rx = host_rx, .port.name = "h.eth0" };
    ln_link_new(net, &h.port, ln_switch_add_port(s), NULL, NULL, err, sizeof err);
    ln_pkt *p = ln_net_pkt(net, 60);
    memset(p->data, 0xff, 60);
    ln_link_send(h.port.out, p);
    ln_sim_run(&net->sim);
    CHECK_U64(ln_net_drop_total(net, LN_DROP_NO_CARRIER), 1);
    CHECK_U64(ln_pktpool_in_use(net->pool), 0);
    ln_net_free(net);
}

int main(void)
{
    test_create();
    test_learn_forward_flood();
    test_aging();
    test_fdb_scale();
    test_fdb_limit();
    test_hub();
    test_unlinked();
    return check_report("test_switch");
}
