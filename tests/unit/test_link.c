/* test_link.c - links: serialization arithmetic, queueing, impairments,
 * up/down, determinism, and that no packet leaks.
 *
 * Ports are built by hand with a recording rx, so no host stack is
 * involved: each frame carries a sequence number at byte 14 and the sink
 * notes when and in what order frames arrive. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "wire.h"

#define MAXREC 300000

typedef struct sink {
    ln_port port;                 /* first: rx casts back */
    uint32_t n;
    uint32_t *seq;                /* sequence number of each arrival */
    ln_time *at;                  /* arrival time */
    ln_net *net;
    ln_pkt *keep;                 /* last frame, kept when keep_last */
    bool keep_last;
} sink;

static void sink_rx(ln_port *port, ln_pkt *frame)
{
    sink *s = (sink *)port;
    if (s->n < MAXREC) {
        s->seq[s->n] = frame->len >= 18 ? ln_get32(frame->data + 14) : 0;
        s->at[s->n] = ln_net_now(s->net);
        s->n++;
    }
    if (s->keep_last) {
        ln_pkt_free(s->keep);
        s->keep = frame;
    } else {
        ln_pkt_free(frame);
    }
}

static void sink_init(sink *s, ln_net *net, const char *name)
{
    memset(s, 0, sizeof *s);
    s->port.rx = sink_rx;
    snprintf(s->port.name, sizeof s->port.name, "%s", name);
    s->seq = calloc(MAXREC, sizeof *s->seq);
    s->at = calloc(MAXREC, sizeof *s->at);
    s->net = net;
}

static void sink_done(sink *s)
{
    ln_pkt_free(s->keep);
    free(s->seq);
    free(s->at);
}

/* An Ethernet frame of `len` bytes carrying seq; with ip set, a plausible
 * IPv4 header so corruption aims inside the datagram. */
static ln_pkt *frame(ln_net *net, uint32_t len, uint32_t seq, bool ip)
{
    ln_pkt *p = ln_net_pkt(net, len);
    memset(p->data, 0, len);
    if (len < LN_ETH_HLEN) return p;
    memcpy(p->data, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
    ln_put16(p->data + 12, ip ? LN_ETHERTYPE_IPV4 : 0x88b5);
    for (uint32_t i = 14; i < len; i++) p->data[i] = (uint8_t)(i * 7);
    if (len >= 18) ln_put32(p->data + 14, seq);
    if (ip && len >= 34) {
        p->data[14] = 0x45;
        ln_put16(p->data + 16, (uint16_t)(len - 14 - 6));   /* 6 bytes of padding */
    }
    return p;
}

typedef struct rig {
    ln_net *net;
    sink a, b;
    ln_link *l;
} rig;

static void rig_open(rig *r, uint64_t seed, const ln_linkcfg *ab, const ln_linkcfg *ba)
{
    char err[160] = "";
    r->net = ln_net_new(seed);
    sink_init(&r->a, r->net, "a.eth0");
    sink_init(&r->b, r->net, "b.eth0");
    r->l = ln_link_new(r->net, &r->a.port, &r->b.port, ab, ba, err, sizeof err);
    if (!r->l) fprintf(stderr, "ln_link_new: %s\n", err);
}

static void rig_close(rig *r)
{
    ln_pkt_free(r->a.keep);
    ln_pkt_free(r->b.keep);
    r->a.keep = r->b.keep = NULL;
    CHECK_U64(ln_pktpool_in_use(r->net->pool), 0);
    ln_net_free(r->net);
    sink_done(&r->a);
    sink_done(&r->b);
}

static void send_ab(rig *r, uint32_t len, uint32_t seq)
{
    ln_link_send(r->a.port.out, frame(r->net, len, seq, false));
}

/* n frames of len bytes from a, numbered first, first + 1, ... */
static void send_n(rig *r, uint32_t n, uint32_t len, uint32_t first)
{
    for (uint32_t i = 0; i < n; i++) send_ab(r, len, first + i);
}

/* The default link, for a test to change what it is about. */
static ln_linkcfg linkcfg(void)
{
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    return c;
}

/* A direction's counters as users read them: both halves summed. */
static ln_linkdir_stats stats_of(const ln_linkdir *d)
{
    ln_linkdir_stats st;
    ln_link_stats(d, &st);
    return st;
}

/* ---- serialization arithmetic -------------------------------------------- */

static void test_txtime(void)
{
    CHECK_U64(ln_link_txtime(10000000, 1500), 1200000);          /* 1.2 ms exactly */
    CHECK_U64(ln_link_txtime(1000000000, 1500), 12000);
    CHECK_U64(ln_link_txtime(100000000, 64), 5120);
    CHECK_U64(ln_link_txtime(0, 1500), 0);                       /* unlimited */
    CHECK_U64(ln_link_txtime(10000000, 0), 0);
    CHECK_U64(ln_link_txtime(3, 1), 2666666667);                 /* 8e9/3 rounded up */
    CHECK_U64(ln_link_txtime(1000000007, 1), 8);                 /* 7.99999 -> 8 */
    CHECK_U64(ln_link_txtime(1, 65535), 524280ull * 1000000000ull);
    CHECK_U64(ln_link_txtime(UINT64_MAX, 1500), 1);
    CHECK_U64(ln_link_txtime(7000000000ull, 3000000000u), 3428571429ull);  /* 128-bit path */
    CHECK_U64(ln_link_txtime(1, UINT32_MAX), LN_NEVER);         /* saturates */
}

static void test_defaults_and_check(void)
{
    ln_linkcfg c;
    char err[160];
    ln_linkcfg_default(&c);
    CHECK_U64(c.bandwidth, 1000000000);
    CHECK_EQ(c.queue_pkts, 1000);
    CHECK(c.up);
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), 0);

    c.loss.kind = LN_LOSS_RANDOM;
    c.loss.rate = 1.5;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK(strcmp(err, "loss 1.5 out of range (0..1)") == 0);
    c.loss.rate = 0.5;
    c.corrupt = -0.1;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK(strcmp(err, "corrupt -0.1 out of range (0..1)") == 0);
    c.corrupt = 0;
    c.reorder = 0.25;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "reorder_delay") != NULL);
    c.reorder_delay = LN_MSEC;
    c.mtu = 20;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK(strcmp(err, "mtu 20 out of range (68..65535, or 0 for no limit)") == 0);
    c.mtu = 1500;
    c.loss.kind = LN_LOSS_GE;
    c.loss.p = 0.1;
    c.loss.r = 2;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK(strcmp(err, "gilbert-elliott r 2 out of range (0..1)") == 0);
    c.loss.r = 0.5;
    c.loss.loss_bad = 1;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), 0);
    c.loss.kind = (ln_loss_kind)7;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "unknown") != NULL);
}

static void test_new_and_names(void)
{
    ln_net *net = ln_net_new(1);
    sink a, b, c;
    char err[160];
    sink_init(&a, net, "h1.eth0");
    sink_init(&b, net, "r1.eth0");
    sink_init(&c, net, "h2.eth0");
    ln_link *l = ln_link_new(net, &a.port, &b.port, NULL, NULL, err, sizeof err);
    CHECK(l != NULL);
    CHECK(strcmp(LN_LINK_NAME_OF(l), "h1.eth0<->r1.eth0") == 0);
    CHECK(a.port.link == l && b.port.link == l);
    CHECK(a.port.out == &l->d[0] && b.port.out == &l->d[1]);
    CHECK(l->d[0].from == &a.port && l->d[0].to == &b.port);
    CHECK(l->d[1].from == &b.port && l->d[1].to == &a.port);
    CHECK_EQ(net->n_links, 1);
    /* The two directions have different streams. */
    CHECK(memcmp(&l->d[0].rng, &l->d[1].rng, sizeof l->d[0].rng) != 0);

    CHECK(ln_link_new(net, &a.port, &c.port, NULL, NULL, err, sizeof err) == NULL);
    CHECK(strcmp(err, "port h1.eth0 is already linked") == 0);
    CHECK(ln_link_new(net, &c.port, &c.port, NULL, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "itself") != NULL);
    ln_linkcfg bad;
    ln_linkcfg_default(&bad);
    bad.duplicate = 2;
    sink d;
    sink_init(&d, net, "h3.eth0");
    CHECK(ln_link_new(net, &c.port, &d.port, &bad, NULL, err, sizeof err) == NULL);
    CHECK(strcmp(err, "duplicate 2 out of range (0..1)") == 0);
    CHECK(c.port.link == NULL && d.port.link == NULL);
    CHECK(ln_link_new(net, &c.port, NULL, NULL, NULL, err, sizeof err) == NULL);
    CHECK(ln_link_configure(l, 0, &bad, err, sizeof err) == LN_EINVAL);
    CHECK(strcmp(err, "duplicate 2 out of range (0..1)") == 0);
    CHECK(ln_link_configure(l, 2, &bad, err, sizeof err) == LN_EINVAL);
    ln_net_free(net);
    sink_done(&a);
    sink_done(&b);
    sink_done(&c);
    sink_done(&d);
}

/* ---- timing ------------------------------------------------------------------ */

typedef struct evlog {
    int n;
    ln_ev_type type[16];
    ln_time time[16];
    ln_port *port[16];
    int dir[16];
} evlog;

static void log_ev(const ln_event *ev, void *arg)
{
    evlog *g = arg;
    if (g->n < 16) {
        g->type[g->n] = ev->type;
        g->time[g->n] = ev->time;
        g->port[g->n] = ev->port;
        g->dir[g->n] = ev->dir;
        g->n++;
    }
}

static void test_timing(void)
{
    ln_linkcfg c = linkcfg();
    c.bandwidth = 10000000;
    c.delay = 5 * LN_MSEC;
    rig r;
    rig_open(&r, 1, &c, NULL);
    evlog g = {0};
    ln_net_subscribe(r.net, LN_EV_MASK(LN_EV_TX) | LN_EV_MASK(LN_EV_RX), log_ev, &g);
    uint64_t start = ln_pktpool_in_use(r.net->pool);
    CHECK_U64(start, 0);

    /* One frame: arrival = serialization + propagation, exactly. */
    send_ab(&r, 1500, 1);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 1);
    CHECK_U64(r.b.at[0], 1200000 + 5 * LN_MSEC);
    CHECK_EQ(g.n, 2);
    CHECK(g.type[0] == LN_EV_TX && g.time[0] == 0 && g.port[0] == &r.a.port && g.dir[0] == 0);
    CHECK(g.type[1] == LN_EV_RX && g.time[1] == 6200000 && g.port[1] == &r.b.port);

    /* Back to back: each waits for the one before; TX events at the start
     * of each frame's serialization. */
    ln_time t0 = ln_net_now(r.net);
    g.n = 0;
    send_n(&r, 3, 1500, 10);
    CHECK_EQ(r.a.port.out->q_len, 2);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 4);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(r.b.seq[1 + i], 10 + i);
        CHECK_U64(r.b.at[1 + i], t0 + (ln_time)(i + 1) * 1200000 + 5 * LN_MSEC);
    }
    CHECK_EQ(g.n, 6);
    CHECK(g.type[0] == LN_EV_TX && g.time[0] == t0);
    CHECK(g.type[1] == LN_EV_TX && g.time[1] == t0 + 1200000);
    CHECK(g.type[2] == LN_EV_TX && g.time[2] == t0 + 2400000);
    CHECK_EQ(r.a.port.out->st.max_qlen, 2);
    CHECK_U64(stats_of(r.a.port.out).delivered, 4);
    CHECK_U64(r.a.port.out->st.tx_bytes, 6000);

    /* A frame offered while the transmitter is still busy but with an empty
     * queue waits only for the remainder. */
    t0 = ln_net_now(r.net);
    send_ab(&r, 1500, 20);
    ln_sim_run_until(&r.net->sim, t0 + 1000000);
    send_ab(&r, 1500, 21);
    ln_sim_run(&r.net->sim);
    CHECK_U64(r.b.at[5], t0 + 2400000 + 5 * LN_MSEC);

    /* The reverse direction is independent. */
    t0 = ln_net_now(r.net);
    ln_link_send(r.b.port.out, frame(r.net, 100, 99, false));
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.a.n, 1);
    CHECK_U64(r.a.at[0], t0 + 80000 + 5 * LN_MSEC);
    rig_close(&r);
}

/* Events per hop: an uncongested frame costs one scheduler event. */
static void test_event_cost(void)
{
    ln_linkcfg c = linkcfg();
    c.delay = LN_MSEC;
    rig r;
    rig_open(&r, 1, &c, NULL);
    uint64_t ev0 = r.net->sim.events;
    for (uint32_t i = 0; i < 100; i++) {
        send_ab(&r, 1000, i);
        ln_sim_run_until(&r.net->sim, ln_net_now(r.net) + 100 * LN_USEC);
    }
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 100);
    CHECK_U64(r.net->sim.events - ev0, 100);
    rig_close(&r);
}

static void test_drop_tail(void)
{
    ln_linkcfg c = linkcfg();
    c.bandwidth = 10000000;
    c.queue_pkts = 2;
    rig r;
    rig_open(&r, 1, &c, NULL);
    send_n(&r, 5, 1500, 0);   /* 1 sending + 2 waiting */
    ln_sim_run(&r.net->sim);
    ln_linkdir *d = r.a.port.out;
    CHECK_EQ(r.b.n, 3);
    CHECK_EQ(r.b.seq[0], 0);
    CHECK_EQ(r.b.seq[2], 2);
    CHECK_U64(d->st.dropped_queue, 2);
    CHECK_U64(d->st.enqueued, 3);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_QUEUE_FULL), 2);

    /* In bytes: 1000-byte frames against a 3000-byte queue. */
    c.queue_pkts = 0;
    c.queue_bytes = 3000;
    CHECK_EQ(ln_link_configure(r.l, 0, &c, NULL, 0), 0);
    send_n(&r, 6, 1000, 100);
    CHECK_EQ(d->q_len, 3);
    CHECK_EQ(d->q_bytes, 3000);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 7);
    CHECK_U64(d->st.dropped_queue, 4);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_QUEUE_FULL), 4);
    /* A smaller frame still fits where a bigger one did not. */
    send_n(&r, 3, 1000, 200);   /* 1 sending, 2000 B waiting */
    send_ab(&r, 1001, 300);
    send_ab(&r, 60, 301);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 11);
    CHECK_U64(d->st.dropped_queue, 5);
    CHECK_EQ(r.b.seq[10], 301);
    rig_close(&r);
}

static void test_mtu(void)
{
    ln_linkcfg c = linkcfg();
    c.mtu = 1500;
    rig r;
    rig_open(&r, 1, &c, NULL);
    send_ab(&r, 1514, 1);
    send_ab(&r, 1515, 2);
    send_ab(&r, 10, 3);                 /* shorter than a header: not the link's business */
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 2);
    CHECK_EQ(r.b.seq[0], 1);
    CHECK_U64(r.a.port.out->st.dropped_mtu, 1);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_LINK_MTU), 1);
    rig_close(&r);
}

/* ---- loss -------------------------------------------------------------------- */

/* Send n frames (unlimited bandwidth, so no queue) and record which were
 * lost in `lost` (n bytes). */
static void loss_pattern(uint64_t seed, const ln_linkcfg *c, uint32_t n, uint8_t *lost)
{
    rig r;
    rig_open(&r, seed, c, NULL);
    /* In batches, so the pool stays small. */
    for (uint32_t i = 0; i < n; i++) {
        send_ab(&r, 64, i);
        if (i % 1000 == 999) ln_sim_run(&r.net->sim);
    }
    ln_sim_run(&r.net->sim);
    memset(lost, 1, n);
    for (uint32_t i = 0; i < r.b.n; i++) lost[r.b.seq[i]] = 0;
    uint64_t nlost = 0;
    for (uint32_t i = 0; i < n; i++) nlost += lost[i];
    CHECK_U64(r.a.port.out->st.dropped_loss, nlost);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_LOSS), nlost);
    rig_close(&r);
}

static void bursts(const uint8_t *lost, uint32_t n, double *rate, double *mean_burst)
{
    uint32_t nl = 0, nb = 0;
    for (uint32_t i = 0; i < n; i++) {
        nl += lost[i];
        if (lost[i] && (i == 0 || !lost[i - 1])) nb++;
    }
    *rate = (double)nl / n;
    *mean_burst = nb ? (double)nl / nb : 0;
}

static void test_loss(void)
{
    enum { N = 100000 };
    uint8_t *p1 = malloc(N), *p2 = malloc(N), *p3 = malloc(N);
    ln_linkcfg c = linkcfg();
    c.bandwidth = 0;
    c.queue_pkts = 0;
    c.loss.kind = LN_LOSS_RANDOM;
    c.loss.rate = 0.1;
    double rate, mb;
    loss_pattern(42, &c, N, p1);
    bursts(p1, N, &rate, &mb);
    /* sd of the rate is sqrt(0.09 / 1e5) ~ 0.00095: 5 sd. */
    CHECK(rate > 0.095 && rate < 0.105);
    CHECK(mb > 1.05 && mb < 1.17);        /* independent: 1 / (1 - 0.1) */

    /* Same seed, same pattern; another seed, another pattern. */
    loss_pattern(42, &c, N, p2);
    CHECK(memcmp(p1, p2, N) == 0);
    loss_pattern(43, &c, N, p3);
    CHECK(memcmp(p1, p3, N) != 0);

    /* Gilbert (loss only in the bad state): bursts last 1/r on average and
     * the loss rate is p / (p + r). */
    ln_linkcfg g = c;
    g.loss.kind = LN_LOSS_GE;
    g.loss.p = 0.01;
    g.loss.r = 0.25;
    g.loss.loss_good = 0;
    g.loss.loss_bad = 1;
    enum { NG = 200000 };
    uint8_t *pg = malloc(NG);
    loss_pattern(7, &g, NG, pg);
    bursts(pg, NG, &rate, &mb);
    CHECK(mb > 3.6 && mb < 4.4);
    CHECK(rate > 0.0385 * 0.85 && rate < 0.0385 * 1.15);
    free(pg);

    /* All or nothing. */
    c.loss.rate = 1;
    loss_pattern(1, &c, 100, p1);
    CHECK(memchr(p1, 0, 100) == NULL);
    free(p1);
    free(p2);
    free(p3);
}

/* Enabling loss on one link leaves another link's pattern alone, and a
 * lost frame still takes its time on the wire. */
static void test_independence(void)
{
    enum { N = 2000 };
    uint8_t first[N], second[N];
    for (int round = 0; round < 2; round++) {
        ln_net *net = ln_net_new(5);
        sink a, b, c, d;
        sink_init(&a, net, "a.eth0");
        sink_init(&b, net, "b.eth0");
        sink_init(&c, net, "c.eth0");
        sink_init(&d, net, "d.eth0");
        ln_linkcfg lossy, other;
        ln_linkcfg_default(&lossy);
        lossy.bandwidth = 0;
        lossy.queue_pkts = 0;
        lossy.loss.kind = LN_LOSS_RANDOM;
        lossy.loss.rate = 0.2;
        other = lossy;
        other.loss.rate = round ? 0.5 : 0;
        other.corrupt = round ? 0.5 : 0;
        ln_link *l2 = ln_link_new(net, &c.port, &d.port, &other, NULL, NULL, 0);
        ln_link *l1 = ln_link_new(net, &a.port, &b.port, &lossy, NULL, NULL, 0);
        for (uint32_t i = 0; i < N; i++) {
            ln_link_send(l1->d[0].from->out, frame(net, 64, i, false));
            ln_link_send(l2->d[0].from->out, frame(net, 64, i, true));
        }
        ln_sim_run(&net->sim);
        uint8_t *pat = round ? second : first;
        memset(pat, 1, N);
        for (uint32_t i = 0; i < b.n; i++) pat[b.seq[i]] = 0;
        ln_net_free(net);
        sink_done(&a);
        sink_done(&b);
        sink_done(&c);
        sink_done(&d);
    }
    CHECK(memcmp(first, second, N) == 0);

    ln_linkcfg c = linkcfg();
    c.bandwidth = 10000000;
    c.loss.kind = LN_LOSS_RANDOM;
    c.loss.rate = 1;
    rig r;
    rig_open(&r, 1, &c, NULL);
    evlog g = {0};
    ln_net_subscribe(r.net, LN_EV_MASK(LN_EV_DROP), log_ev, &g);
    send_ab(&r, 1500, 1);
    send_ab(&r, 1500, 2);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(g.n, 2);
    CHECK_U64(g.time[0], 1200000);      /* when its last bit would have left */
    CHECK_U64(g.time[1], 2400000);      /* and the next one waited for it */
    rig_close(&r);
}

/* ---- corruption, duplication, reordering, jitter ------------------------------ */

static void test_corrupt(void)
{
    ln_linkcfg c = linkcfg();
    c.corrupt = 1;
    rig r;
    rig_open(&r, 3, &c, NULL);
    r.b.keep_last = true;
    int ok = 0;
    for (uint32_t i = 0; i < 200; i++) {
        ln_pkt *f = frame(r.net, 100, i, true);
        uint8_t orig[100];
        memcpy(orig, f->data, 100);
        ln_link_send(r.a.port.out, f);
        ln_sim_run(&r.net->sim);
        if (!r.b.keep || r.b.keep->len != 100) continue;
        int bits = 0, where = -1;
        for (int k = 0; k < 100; k++) {
            uint8_t x = orig[k] ^ r.b.keep->data[k];
            if (x) where = k;
            for (; x; x &= (uint8_t)(x - 1)) bits++;
        }
        /* One bit, inside the 80-byte IP datagram (not the 6 bytes of padding). */
        if (bits == 1 && where >= 14 && where < 14 + 80) ok++;
    }
    CHECK_EQ(ok, 200);
    CHECK_U64(r.a.port.out->st.corrupted, 200);
    rig_close(&r);
}

static void test_duplicate(void)
{
    ln_linkcfg c = linkcfg();
    c.duplicate = 1;
    c.delay = LN_MSEC;
    rig r;
    rig_open(&r, 3, &c, NULL);
    send_n(&r, 10, 200, 0);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 20);
    for (uint32_t i = 0; i < 10; i++) {
        CHECK_EQ(r.b.seq[2 * i], i);
        CHECK_EQ(r.b.seq[2 * i + 1], i);
        CHECK_U64(r.b.at[2 * i], r.b.at[2 * i + 1]);
    }
    CHECK_U64(r.a.port.out->st.duplicated, 10);
    CHECK_U64(stats_of(r.a.port.out).delivered, 20);
    CHECK_U64(r.a.port.out->st.tx_packets, 10);
    rig_close(&r);
}

static void test_reorder(void)
{
    ln_linkcfg c = linkcfg();
    c.bandwidth = 100000000;
    c.delay = LN_MSEC;
    c.reorder = 0.3;
    c.reorder_delay = 2 * LN_MSEC;
    rig r;
    rig_open(&r, 9, &c, NULL);
    send_n(&r, 1000, 1000, 0);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 1000);
    uint32_t inversions = 0;
    uint8_t seen[1000] = {0};
    for (uint32_t i = 0; i < r.b.n; i++) {
        if (i && r.b.seq[i] < r.b.seq[i - 1]) inversions++;
        seen[r.b.seq[i]]++;
    }
    CHECK(inversions > 100);
    CHECK(memchr(seen, 0, 1000) == NULL);          /* every frame, once */
    uint64_t held = r.a.port.out->st.reordered;
    CHECK(held > 240 && held < 360);
    /* Arrival times never go backwards. */
    int mono = 1;
    for (uint32_t i = 1; i < r.b.n; i++) mono &= r.b.at[i] >= r.b.at[i - 1];
    CHECK(mono);
    rig_close(&r);
}

static void test_jitter(void)
{
    ln_linkcfg c = linkcfg();
    c.bandwidth = 0;
    c.queue_pkts = 0;
    c.delay = LN_MSEC;
    c.jitter = 2 * LN_MSEC;
    rig r;
    rig_open(&r, 11, &c, NULL);
    send_n(&r, 10000, 100, 0);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 10000);
    ln_time lo = LN_NEVER, hi = 0;
    uint32_t at_zero = 0;
    for (uint32_t i = 0; i < r.b.n; i++) {
        if (r.b.at[i] < lo) lo = r.b.at[i];
        if (r.b.at[i] > hi) hi = r.b.at[i];
        at_zero += r.b.at[i] == 0;
    }
    CHECK_U64(lo, 0);                    /* clamped at the end of serialization */
    CHECK(hi <= 3 * LN_MSEC && hi > 2900 * LN_USEC);
    /* P(offset <= -1 ms) ~ 1/4 */
    CHECK(at_zero > 2200 && at_zero < 2800);
    rig_close(&r);
}

/* ---- up and down ---------------------------------------------------------------- */

static void test_up_down(void)
{
    ln_linkcfg c = linkcfg();
    c.bandwidth = 10000000;
    c.delay = 10 * LN_MSEC;
    rig r;
    rig_open(&r, 1, &c, NULL);
    evlog g = {0};
    ln_net_subscribe(r.net, LN_EV_MASK(LN_EV_LINK), log_ev, &g);
    ln_linkdir *d = r.a.port.out;

    /* At 3 ms: frames 0 and 1 on the wire, 2 being serialized, 3 and 4
     * queued.  All five are lost. */
    send_n(&r, 5, 1500, 0);
    ln_sim_run_until(&r.net->sim, 3 * LN_MSEC);
    /* Nobody watches: frames 1 to 4 were booked (link.c), handed over as
     * they joined.  Settled, 3 and 4 are back in the queue. */
    CHECK_EQ(d->rx.in_flight, 5);
    ln_link_settle(d);
    CHECK_EQ(d->rx.in_flight, 3);
    CHECK_EQ(d->q_len, 2);
    ln_link_set_up(r.l, 0, false);
    CHECK(!d->cfg.up);
    CHECK(r.l->d[1].cfg.up);
    CHECK_EQ(d->rx.in_flight, 0);
    CHECK_EQ(d->q_len, 0);
    CHECK_U64(d->epoch, 1);
    CHECK_U64(stats_of(d).dropped_down, 5);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_LINK_DOWN), 5);
    CHECK_EQ(g.n, 1);
    CHECK(g.type[0] == LN_EV_LINK && g.dir[0] == 0);
    CHECK_U64(ln_pktpool_in_use(r.net->pool), 0);

    /* Sending while down is refused at the door. */
    send_ab(&r, 1500, 9);
    CHECK_U64(stats_of(d).dropped_down, 6);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 0);

    /* Up again: the transmitter starts from idle. */
    ln_link_set_up(r.l, -1, true);
    CHECK_EQ(g.n, 2);
    ln_time t0 = ln_net_now(r.net);
    send_ab(&r, 1500, 10);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 1);
    CHECK_EQ(r.b.seq[0], 10);
    CHECK_U64(r.b.at[0], t0 + 1200000 + 10 * LN_MSEC);

    /* Down and straight back up while a frame is in flight: it is still
     * lost, and one sent after the bounce arrives. */
    send_ab(&r, 1500, 11);
    ln_sim_run_until(&r.net->sim, ln_net_now(r.net) + 5 * LN_MSEC);
    ln_link_set_up(r.l, -1, false);
    ln_link_set_up(r.l, -1, true);
    send_ab(&r, 1500, 12);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 2);
    CHECK_EQ(r.b.seq[1], 12);
    CHECK_U64(stats_of(d).dropped_down, 7);

    /* Configure can take a direction down too, and changes the delay for
     * frames sent afterwards. */
    ln_linkcfg c2 = c;
    c2.up = false;
    CHECK_EQ(ln_link_configure(r.l, 0, &c2, NULL, 0), 0);
    CHECK(!d->cfg.up);
    c2.up = true;
    c2.delay = LN_MSEC;
    CHECK_EQ(ln_link_configure(r.l, -1, &c2, NULL, 0), 0);
    t0 = ln_net_now(r.net);
    send_ab(&r, 1500, 13);
    ln_sim_run(&r.net->sim);
    CHECK_U64(r.b.at[2], t0 + 1200000 + LN_MSEC);
    rig_close(&r);
}

/* Tearing the net down with frames queued and in flight frees them. */
static void test_teardown(void)
{
    ln_linkcfg c = linkcfg();
    c.bandwidth = 1000000;
    c.delay = LN_SEC;
    c.duplicate = 0.5;
    rig r;
    rig_open(&r, 1, &c, NULL);
    send_n(&r, 50, 1500, 0);
    ln_sim_run_until(&r.net->sim, 100 * LN_MSEC);
    CHECK(r.a.port.out->rx.in_flight > 0);
    CHECK(r.a.port.out->q_len > 0);
    ln_net_free(r.net);          /* ASan/valgrind would catch the rest */
    sink_done(&r.a);
    sink_done(&r.b);
}

int main(void)
{
    test_txtime();
    test_defaults_and_check();
    test_new_and_names();
    test_timing();
    test_event_cost();
    test_drop_tail();
    test_mtu();
    test_loss();
    test_independence();
    test_corrupt();
    test_duplicate();
    test_reorder();
    test_jitter();
    test_up_down();
    test_teardown();
    return check_report("test_link");
}
