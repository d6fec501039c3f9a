/* test_link_book.c - booked frames (link.c): a frame that waits on a
 * direction nobody watches is handed over as it joins the queue, with no
 * event to start it.  Nothing may tell the difference: the same traffic
 * must give the same arrivals (order and time), drops and counters whether
 * frames are booked, queued (a TX subscriber watches from the start), or
 * booked until a subscriber comes in the middle of the run and settles
 * them back into the queue.
 *
 * The traffic is random but made for the hard cases: frame sizes whose
 * serialization is a whole number of grid steps, so that sends fall on the
 * very instant the transmitter frees up; queue limits in packets and bytes
 * that bind; counters read at those instants; reconfigurations, downs and
 * frames an interception hook would lose, each with frames waiting. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "rand.h"
#include "wire.h"

#define MAXREC 20000
#define ACTIONS 4000
#define GRID (40 * LN_USEC)      /* 50 bytes at 10 Mbit/s */
#define NSTAT 15

enum mode { QUEUED, BOOKED, SETTLED_LATE };
enum act { SEND_AB, SEND_BA, SEND_LOSE, SNAPSHOT, RECONF, BOUNCE, SUBSCRIBE };

typedef struct rec {
    uint32_t n;
    uint32_t seq[MAXREC];
    ln_time at[MAXREC];
} rec;

typedef struct sink {
    ln_port port;                 /* first: rx casts back */
    ln_net *net;
    rec *r;
} sink;

typedef struct action {
    ln_time when;
    enum act what;
    uint32_t len, seq;
} action;

typedef struct run run;
typedef struct slot { ln_timer t; run *r; const struct action *a; } slot;

/* Everything a run leaves, compared byte for byte between modes. */
typedef struct outcome {
    rec at_a, at_b;
    uint64_t snap[ACTIONS][2][NSTAT];
    uint64_t end[2][NSTAT];
    uint64_t drops_queue, drops_down, drops_loss;
} outcome;

struct run {
    ln_net *net;
    ln_link *l;
    sink a, b;
    slot *slots;
    outcome *o;
    uint32_t n_snap;
};

static void sink_rx(ln_port *port, ln_pkt *p)
{
    sink *s = (sink *)port;
    if (s->r->n < MAXREC) {
        s->r->seq[s->r->n] = p->len >= 18 ? ln_get32(p->data + 14) : 0;
        s->r->at[s->r->n] = ln_net_now(s->net);
        s->r->n++;
    }
    ln_pkt_free(p);
}

static ln_pkt *frame(ln_net *net, uint32_t len, uint32_t seq)
{
    ln_pkt *p = ln_net_pkt(net, len);
    memset(p->data, 0, len);
    ln_put16(p->data + 12, 0x88b5);
    ln_put32(p->data + 14, seq);
    return p;
}

/* Every counter a user reads and the queue, as plain numbers (no padding
 * to compare). */
static void stats(const ln_linkdir *d, uint64_t *v)
{
    ln_linkdir_stats st;
    ln_link_stats(d, &st);
    uint32_t qlen, qbytes;
    ln_link_queue(d, &qlen, &qbytes);
    uint64_t all[NSTAT] = { st.enqueued, st.tx_packets, st.tx_bytes, st.delivered,
                            st.delivered_bytes, st.dropped_queue, st.dropped_loss,
                            st.dropped_down, st.dropped_mtu, st.corrupted, st.duplicated,
                            st.reordered, qlen, qbytes, st.max_qlen };
    memcpy(v, all, sizeof all);
}

static void on_tx(const ln_event *ev, void *arg)
{
    (void)ev;
    (void)arg;
}

static ln_linkcfg base_cfg(void)
{
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.bandwidth = 10000000;
    c.delay = 2 * LN_MSEC;
    c.queue_pkts = 8;
    c.queue_bytes = 6000;
    return c;
}

static void act(void *arg)
{
    slot *s = arg;
    run *r = s->r;
    const action *a = s->a;
    switch (a->what) {
    case SEND_AB:
        ln_link_send(&r->l->d[0], frame(r->net, a->len, a->seq));
        break;
    case SEND_BA:
        ln_link_send(&r->l->d[1], frame(r->net, a->len, a->seq));
        break;
    case SEND_LOSE: {
        ln_pkt *p = frame(r->net, a->len, a->seq);
        p->wire_lose = 1;
        ln_link_send(&r->l->d[0], p);
        break;
    }
    case SNAPSHOT:
        for (int k = 0; k < 2; k++) stats(&r->l->d[k], r->o->snap[r->n_snap][k]);
        r->n_snap++;
        break;
    case RECONF: {
        ln_linkcfg c = base_cfg();
        c.bandwidth = a->len & 1 ? 20000000 : 10000000;
        c.delay = (1 + a->len % 3) * LN_MSEC;
        c.queue_pkts = 4 + a->len % 6;
        CHECK_EQ(ln_link_configure(r->l, 0, &c, NULL, 0), 0);
        break;
    }
    case BOUNCE:
        ln_link_set_up(r->l, 0, false);
        ln_link_set_up(r->l, 0, true);
        break;
    case SUBSCRIBE:
        ln_net_subscribe(r->net, LN_EV_MASK(LN_EV_TX), on_tx, NULL);
        break;
    }
}

/* Frames of 50-byte multiples serialize in whole grid steps at both
 * bandwidths, and every action falls on the grid: sends meet the
 * transmitter's free instants often. */
static void make_actions(action *acts, uint64_t seed)
{
    ln_rng g;
    ln_rng_seed(&g, seed);
    ln_time t = 0;
    for (uint32_t i = 0; i < ACTIONS; i++) {
        /* A third of the actions come at the same instant as the one
         * before (bursts), the rest a mean of 20 steps later: a frame
         * takes 16 on average, so the queue fills and drains. */
        t += ln_rng_below(&g, 3) ? GRID * ln_rng_below(&g, 41) : 0;
        uint64_t k = ln_rng_below(&g, 100);
        action *a = &acts[i];
        a->when = t;
        a->seq = i;
        a->len = 50 * (uint32_t)(2 + ln_rng_below(&g, 29));   /* 100..1500 */
        a->what = k < 78 ? SEND_AB : k < 86 ? SEND_BA : k < 89 ? SEND_LOSE :
                  k < 97 ? SNAPSHOT : k < 99 ? RECONF : BOUNCE;
    }
}

static void run_mode(const action *acts, enum mode m, outcome *o, uint64_t *events)
{
    memset(o, 0, sizeof *o);
    run *r = calloc(1, sizeof *r);
    r->net = ln_net_new(7);
    r->o = o;
    r->a = (sink){ .port.rx = sink_rx, .net = r->net, .r = &o->at_a };
    r->b = (sink){ .port.rx = sink_rx, .net = r->net, .r = &o->at_b };
    snprintf(r->a.port.name, sizeof r->a.port.name, "a.eth0");
    snprintf(r->b.port.name, sizeof r->b.port.name, "b.eth0");
    ln_linkcfg c = base_cfg();
    char err[160];
    r->l = ln_link_new(r->net, &r->a.port, &r->b.port, &c, NULL, err, sizeof err);
    CHECK(r->l != NULL);
    if (m == QUEUED) ln_net_subscribe(r->net, LN_EV_MASK(LN_EV_TX), on_tx, NULL);
    r->slots = calloc(ACTIONS + 1, sizeof *r->slots);
    for (uint32_t i = 0; i < ACTIONS; i++) {
        r->slots[i] = (slot){ .r = r, .a = &acts[i] };
        ln_timer_init(&r->slots[i].t, act, &r->slots[i]);
        ln_timer_arm(&r->net->sim, &r->slots[i].t, acts[i].when);
    }
    /* The late subscriber: half way, at an instant things happen. */
    action sub = { .what = SUBSCRIBE, .when = acts[ACTIONS / 2].when };
    if (m == SETTLED_LATE) {
        slot *s = &r->slots[ACTIONS];
        *s = (slot){ .r = r, .a = &sub };
        ln_timer_init(&s->t, act, s);
        ln_timer_arm(&r->net->sim, &s->t, sub.when);
    }
    ln_sim_run(&r->net->sim);
    for (int k = 0; k < 2; k++) stats(&r->l->d[k], o->end[k]);
    o->drops_queue = ln_net_drop_total(r->net, LN_DROP_QUEUE_FULL);
    o->drops_down = ln_net_drop_total(r->net, LN_DROP_LINK_DOWN);
    o->drops_loss = ln_net_drop_total(r->net, LN_DROP_LOSS);
    *events = r->net->sim.events;
    CHECK_U64(ln_pktpool_in_use(r->net->pool), 0);
    ln_net_free(r->net);
    free(r->slots);
    free(r);
}

static void test_same_outcome(uint64_t seed)
{
    action *acts = calloc(ACTIONS, sizeof *acts);
    make_actions(acts, seed);
    outcome *q = malloc(sizeof *q), *b = malloc(sizeof *b), *s = malloc(sizeof *s);
    uint64_t ev_q, ev_b, ev_s;
    run_mode(acts, QUEUED, q, &ev_q);
    run_mode(acts, BOOKED, b, &ev_b);
    run_mode(acts, SETTLED_LATE, s, &ev_s);
    /* The traffic reached the hard cases. */
    CHECK(q->at_b.n > 1000);
    CHECK(q->drops_queue > 50);
    CHECK(q->drops_down > 0);
    CHECK(q->drops_loss > 0);
    CHECK(q->end[0][NSTAT - 1] >= 4);         /* max_qlen */
    /* Booking saved events (the queued run starts each waiting frame with
     * one), and the late subscriber's run lies between. */
    CHECK(ev_b + 500 < ev_q);
    CHECK(ev_b < ev_s && ev_s < ev_q);
    CHECK(memcmp(q, b, sizeof *q) == 0);
    CHECK(memcmp(q, s, sizeof *q) == 0);
    if (memcmp(&q->at_b, &b->at_b, sizeof q->at_b) != 0) {
        for (uint32_t i = 0; i < q->at_b.n; i++)
            if (q->at_b.seq[i] != b->at_b.seq[i] || q->at_b.at[i] != b->at_b.at[i]) {
                fprintf(stderr, "arrival %u: queued #%u at %llu, booked #%u at %llu\n", i,
                        q->at_b.seq[i], (unsigned long long)q->at_b.at[i], b->at_b.seq[i],
                        (unsigned long long)b->at_b.at[i]);
                break;
            }
    }
    free(q);
    free(b);
    free(s);
    free(acts);
}

/* Two ports and a link of base_cfg() with queue_pkts frames of queue,
 * watched (a TX subscriber) or not. */
typedef struct pair {
    ln_net *net;
    rec *ra, *rb;
    sink a, b;
    ln_linkdir *d;                /* a -> b */
} pair;

static void pair_open(pair *p, uint32_t queue_pkts, bool watched)
{
    p->net = ln_net_new(1);
    p->ra = calloc(1, sizeof *p->ra);
    p->rb = calloc(1, sizeof *p->rb);
    p->a = (sink){ .port.rx = sink_rx, .net = p->net, .r = p->ra };
    p->b = (sink){ .port.rx = sink_rx, .net = p->net, .r = p->rb };
    ln_linkcfg c = base_cfg();
    c.queue_pkts = queue_pkts;
    c.queue_bytes = 0;
    char err[160];
    ln_link *l = ln_link_new(p->net, &p->a.port, &p->b.port, &c, NULL, err, sizeof err);
    p->d = &l->d[0];
    if (watched) ln_net_subscribe(p->net, LN_EV_MASK(LN_EV_TX), on_tx, NULL);
}

static void pair_close(pair *p)
{
    CHECK_U64(ln_pktpool_in_use(p->net->pool), 0);
    ln_net_free(p->net);
    free(p->ra);
    free(p->rb);
}

/* A frame offered at the instant the transmitter frees up finds the head
 * of the queue started, booked or not, before or after the event that
 * would start it at that instant. */
static void test_tie(void)
{
    for (int watched = 0; watched < 2; watched++) {
        pair p;
        pair_open(&p, 1, watched);
        /* 1500 bytes: 1.2 ms.  Frame 0 on the wire, 1 waits. */
        ln_link_send(p.d, frame(p.net, 1500, 0));
        ln_link_send(p.d, frame(p.net, 1500, 1));
        ln_link_send(p.d, frame(p.net, 1500, 2));        /* queue full */
        ln_sim_run_until(&p.net->sim, 1200 * LN_USEC);
        /* At 1.2 ms frame 1 has started, so frame 3 takes its place. */
        ln_link_send(p.d, frame(p.net, 1500, 3));
        ln_linkdir_stats st;
        ln_link_stats(p.d, &st);
        CHECK_U64(st.tx_packets, 2);
        CHECK_U64(st.dropped_queue, 1);
        ln_sim_run(&p.net->sim);
        CHECK_EQ(p.rb->n, 3);
        CHECK_EQ(p.rb->seq[2], 3);
        CHECK_U64(p.rb->at[2], 3600 * LN_USEC + 2 * LN_MSEC);
        pair_close(&p);
    }
}

/* A burst on an idle link: with nobody watching, one event per frame (its
 * arrival); watched, one more per frame that waited (its start). */
static void test_event_cost(void)
{
    for (int watched = 0; watched < 2; watched++) {
        pair p;
        pair_open(&p, 0, watched);
        for (uint32_t i = 0; i < 100; i++) ln_link_send(p.d, frame(p.net, 1000, i));
        ln_sim_run(&p.net->sim);
        CHECK_EQ(p.rb->n, 100);
        CHECK_U64(p.rb->at[99], 100 * 800 * LN_USEC + 2 * LN_MSEC);
        CHECK_U64(p.net->sim.events, watched ? 199 : 100);
        pair_close(&p);
    }
}

/* ---- a subscriber of one link or one port (ln_net_subscribe_on) ------------- */

/* Two links in one network, each between two sinks; a log of the TX events
 * a subscriber saw. */
typedef struct two {
    ln_net *net;
    rec *r[4];
    sink s[4];                    /* l[0]: s0 - s1, l[1]: s2 - s3 */
    ln_link *l[2];
    uint32_t n_tx;
    ln_time tx_at[256];
    const ln_link *tx_link[256];
} two;

static void two_open(two *t)
{
    memset(t, 0, sizeof *t);
    t->net = ln_net_new(1);
    for (int i = 0; i < 4; i++) {
        t->r[i] = calloc(1, sizeof *t->r[i]);
        t->s[i] = (sink){ .port.rx = sink_rx, .net = t->net, .r = t->r[i] };
    }
    ln_linkcfg c = base_cfg();
    c.queue_pkts = c.queue_bytes = 0;
    char err[160];
    t->l[0] = ln_link_new(t->net, &t->s[0].port, &t->s[1].port, &c, NULL, err, sizeof err);
    t->l[1] = ln_link_new(t->net, &t->s[2].port, &t->s[3].port, &c, NULL, err, sizeof err);
}

static void two_close(two *t)
{
    CHECK_U64(ln_pktpool_in_use(t->net->pool), 0);
    ln_net_free(t->net);
    for (int i = 0; i < 4; i++) free(t->r[i]);
}

static void two_tx(const ln_event *ev, void *arg)
{
    two *t = arg;
    if (ev->type == LN_EV_TX && t->n_tx < 256) {
        t->tx_at[t->n_tx] = ev->time;
        t->tx_link[t->n_tx++] = ev->link;
    }
}

/* A burst of n 1000-byte frames (0.8 ms each) into d now. */
static void burst(ln_net *net, ln_linkdir *d, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) ln_link_send(d, frame(net, 1000, i));
}

/* Every frame of a 100-frame burst arrives where it must. */
static void check_burst(const rec *r, ln_time t0)
{
    CHECK_EQ(r->n, 100);
    for (uint32_t i = 0; i < r->n && i < 100; i++) {
        CHECK_EQ(r->seq[i], i);
        CHECK_U64(r->at[i], t0 + (i + 1) * 800 * LN_USEC + 2 * LN_MSEC);
    }
}

/* A capture of one link (or of one port) watches its frames start; the
 * others book theirs: one event a frame there, and the watched link's TX
 * events at each frame's start as if everything were queued.  Frames
 * booked before the subscription come back into the queue on the watched
 * link only. */
static void test_scoped_watch(void)
{
    /* A link subscriber: l[0] queues (199 events), l[1] books (100). */
    two t;
    two_open(&t);
    int id = ln_net_subscribe_on(t.net, LN_EV_MASK(LN_EV_TX), two_tx, &t, t.l[0], NULL);
    CHECK(id > 0);
    CHECK(t.l[0]->d[0].watched && t.l[0]->d[1].watched);
    CHECK(!t.l[1]->d[0].watched && !t.l[1]->d[1].watched);
    CHECK_EQ(t.net->wide_mask, 0);
    burst(t.net, &t.l[0]->d[0], 100);
    burst(t.net, &t.l[1]->d[0], 100);
    ln_sim_run(&t.net->sim);
    check_burst(t.r[1], 0);
    check_burst(t.r[3], 0);
    CHECK_U64(t.net->sim.events, 199 + 100);
    CHECK_EQ(t.n_tx, 100);                      /* l[1]'s are not its own */
    for (uint32_t i = 0; i < t.n_tx && i < 100; i++) {
        CHECK(t.tx_link[i] == t.l[0]);
        CHECK_U64(t.tx_at[i], i * 800 * LN_USEC);
    }
    /* Gone: l[0] books again. */
    ln_net_unsubscribe(t.net, id);
    CHECK(!t.l[0]->d[0].watched && !t.l[0]->d[1].watched);
    uint64_t ev0 = t.net->sim.events;
    ln_time t0 = ln_net_now(t.net);
    t.r[1]->n = 0;
    burst(t.net, &t.l[0]->d[0], 100);
    ln_sim_run(&t.net->sim);
    check_burst(t.r[1], t0);
    CHECK_U64(t.net->sim.events - ev0, 100);
    two_close(&t);

    /* A port subscriber: the direction it sends into queues, the one it
     * receives from books; two on one link, one gone, the other still
     * watches. */
    two_open(&t);
    int a = ln_net_subscribe_on(t.net, LN_EV_MASK(LN_EV_TX), two_tx, &t, NULL, &t.s[2].port);
    int b = ln_net_subscribe_on(t.net, LN_EV_MASK(LN_EV_QUEUE), two_tx, &t, t.l[1], NULL);
    ln_net_unsubscribe(t.net, b);
    CHECK(t.l[1]->d[0].watched && !t.l[1]->d[1].watched);
    burst(t.net, &t.l[1]->d[0], 100);
    burst(t.net, &t.l[1]->d[1], 100);
    ln_sim_run(&t.net->sim);
    check_burst(t.r[3], 0);
    check_burst(t.r[2], 0);
    CHECK_U64(t.net->sim.events, 199 + 100);
    CHECK_EQ(t.n_tx, 100);
    (void)a;
    two_close(&t);

    /* Half way through two bursts nobody watched, a subscriber of l[0]
     * comes: l[0]'s booked frames go back into its queue and start each
     * at its time (a TX event for each of the last half), l[1]'s stay
     * booked; every arrival is where it was. */
    two_open(&t);
    burst(t.net, &t.l[0]->d[0], 100);
    burst(t.net, &t.l[1]->d[0], 100);
    ln_sim_run_until(&t.net->sim, 50 * 800 * LN_USEC + 400 * LN_USEC);
    ln_net_subscribe_on(t.net, LN_EV_MASK(LN_EV_TX), two_tx, &t, t.l[0], NULL);
    ln_sim_run(&t.net->sim);
    check_burst(t.r[1], 0);
    check_burst(t.r[3], 0);
    CHECK_EQ(t.n_tx, 49);                       /* frames 51 to 99 */
    CHECK_U64(t.n_tx ? t.tx_at[0] : 0, 51 * 800 * LN_USEC);
    CHECK_U64(t.net->sim.events, 200 + 49);
    two_close(&t);

    /* A port with no link yet cannot say which direction it will send
     * into: its subscriber watches every link until it goes. */
    two_open(&t);
    sink lone = { .port.rx = sink_rx, .net = t.net, .r = t.r[0] };
    id = ln_net_subscribe_on(t.net, LN_EV_MASK(LN_EV_TX), two_tx, &t, NULL, &lone.port);
    CHECK(t.net->wide_mask != 0);
    burst(t.net, &t.l[1]->d[0], 100);
    ln_sim_run(&t.net->sim);
    check_burst(t.r[3], 0);
    CHECK_U64(t.net->sim.events, 199);
    CHECK_EQ(t.n_tx, 0);                        /* none of them its own */
    ln_net_unsubscribe(t.net, id);
    CHECK_EQ(t.net->wide_mask, 0);
    two_close(&t);
}

/* Who is called for which event: each subscriber counts its calls and
 * logs its tag in one shared order. */
typedef struct who {
    struct whos *all;
    char tag;
    uint32_t calls;
    const ln_link *link;          /* every event it gets must be this link's */
    const ln_port *port;          /* or this port's */
    bool wrong;
    int id;
    int drop_id, add_on;          /* act once: unsubscribe drop_id, and subscribe
                                   * a new one on link add_on - 1 */
} who;

typedef struct whos {
    two *t;
    char order[64];
    uint32_t n_order;
    who w[80];
    uint32_t n;
} whos;

static void who_ev(const ln_event *ev, void *arg)
{
    who *w = arg;
    whos *a = w->all;
    w->calls++;
    if ((w->link && ev->link != w->link) || (w->port && ev->port != w->port)) w->wrong = true;
    if (a->n_order < sizeof a->order - 1) a->order[a->n_order++] = w->tag;
    if (w->drop_id) {
        ln_net_unsubscribe(a->t->net, w->drop_id);
        w->drop_id = 0;
    }
    if (w->add_on) {
        who *x = &a->w[a->n++];
        *x = (who){ .all = a, .tag = 'N', .link = a->t->l[w->add_on - 1] };
        ln_net_subscribe_on(a->t->net, LN_EV_MASK(LN_EV_TX), who_ev, x, a->t->l[w->add_on - 1], NULL);
        w->add_on = 0;
    }
}

static int who_add(whos *a, char tag, uint32_t mask, ln_link *l, ln_port *p)
{
    who *w = &a->w[a->n++];
    *w = (who){ .all = a, .tag = tag, .link = l, .port = p };
    w->id = ln_net_subscribe_on(a->t->net, mask, who_ev, w, l, p);
    CHECK(w->id > 0);
    return w->id;
}

/* An event calls the network-wide subscribers and its own link's only
 * (each link keeps its list: a capture on every interface of a large
 * network made every event walk them all), each once, wide ones first
 * and then in the order they came; one who leaves or comes during an
 * event is called no more for it, or not yet. */
static void test_subscriber_lists(void)
{
    two t;
    two_open(&t);
    static whos a;
    memset(&a, 0, sizeof a);
    a.t = &t;
    uint32_t tx = LN_EV_MASK(LN_EV_TX), txrx = tx | LN_EV_MASK(LN_EV_RX);
    who_add(&a, 'a', tx, t.l[0], NULL);                 /* w[0] */
    who_add(&a, 'G', txrx, NULL, NULL);                 /* w[1]: everything */
    who_add(&a, 'p', txrx, NULL, &t.s[2].port);         /* w[2]: l[1]'s a end */
    for (int i = 0; i < 50; i++) who_add(&a, 'm', tx, t.l[0], NULL);   /* w[3..52] */
    int b_id = who_add(&a, 'b', tx, t.l[1], NULL);      /* w[53] */
    ln_link_send(&t.l[1]->d[0], frame(t.net, 100, 0));
    ln_sim_run(&t.net->sim);
    /* l[1]'s frame: a TX from s2 (G, then p and b in the order they came),
     * an RX at s3 (G only: p is s2's, b wants TX). */
    CHECK(strcmp(a.order, "GpbG") == 0);
    CHECK_EQ(a.w[0].calls, 0);
    for (int i = 3; i < 53; i++) CHECK_EQ(a.w[i].calls, 0);

    /* On l[0], with b gone: one of the fifty makes another, further on,
     * leave and a newcomer come on l[0], during the TX event. */
    a.n_order = 0;
    memset(a.order, 0, sizeof a.order);
    a.w[10].add_on = 1;
    a.w[10].drop_id = a.w[20].id;
    ln_net_unsubscribe(t.net, b_id);
    ln_link_send(&t.l[0]->d[0], frame(t.net, 100, 1));
    ln_sim_run(&t.net->sim);
    CHECK_EQ(a.w[0].calls, 1);
    CHECK_EQ(a.w[20].calls, 0);                         /* left before its turn */
    for (int i = 3; i < 53; i++)
        if (i != 20) CHECK_EQ(a.w[i].calls, 1);
    CHECK_EQ(a.w[53].calls, 1);                         /* b: only l[1]'s frame */
    CHECK_EQ(a.w[54].calls, 0);                         /* came during the event */
    ln_link_send(&t.l[0]->d[0], frame(t.net, 100, 2));
    ln_sim_run(&t.net->sim);
    CHECK_EQ(a.w[54].calls, 1);
    CHECK_EQ(a.w[0].calls, 2);
    for (uint32_t i = 0; i < a.n; i++) CHECK(!a.w[i].wrong);
    CHECK_EQ(a.w[1].calls, 2 + 2 + 2);                  /* G: every TX and RX */
    two_close(&t);

    /* Across the lists, the oldest first; and one who comes during an
     * event, on a list not walked yet, waits for the next one too (a
     * capture opened in a hook). */
    two_open(&t);
    memset(&a, 0, sizeof a);
    a.t = &t;
    who_add(&a, 'c', tx, t.l[0], NULL);                 /* w[0]: a capture */
    who_add(&a, 'K', tx, NULL, NULL);                   /* w[1]: a hook */
    who_add(&a, 'd', tx, NULL, &t.s[0].port);           /* w[2] */
    a.w[1].drop_id = a.w[0].id;                         /* K closes c ... */
    a.w[1].add_on = 1;                                  /* ... and opens one on l[0] */
    ln_link_send(&t.l[0]->d[0], frame(t.net, 100, 0));
    ln_sim_run(&t.net->sim);
    CHECK(strcmp(a.order, "cKd") == 0);                 /* c saw the frame it closed on */
    CHECK_EQ(a.w[3].calls, 0);                          /* came during the event */
    ln_link_send(&t.l[0]->d[0], frame(t.net, 100, 1));
    ln_sim_run(&t.net->sim);
    CHECK(strcmp(a.order, "cKdKdN") == 0);
    CHECK_EQ(a.w[0].calls, 1);
    two_close(&t);
}

/* ---- what a review found: each once a difference or a crash ------------ */

/* A log of what happens at the receiver and to subscribers, to compare. */
static char logbuf[4096];
static size_t logn;
static pair *logged;

static void logf_(const char *what, uint32_t seq)
{
    logn += (size_t)snprintf(logbuf + logn, sizeof logbuf - logn, "%s#%u@%llu ", what, seq,
                             (unsigned long long)ln_net_now(logged->net));
}

static uint32_t seq_of(const ln_pkt *p) { return p && p->len >= 18 ? ln_get32(p->data + 14) : 0; }

static void log_rx(ln_port *port, ln_pkt *p)
{
    logf_("rx", seq_of(p));
    sink_rx(port, p);
}

static void log_ev(const ln_event *ev, void *arg)
{
    logf_(arg, seq_of(ev->pkt));
}

static void log_open(pair *p, uint32_t queue_pkts, bool watched)
{
    pair_open(p, queue_pkts, watched);
    p->b.port.rx = log_rx;
    logged = p;
    logn = 0;
    logbuf[0] = 0;
}

static void subscribe_tx(void *arg)
{
    ln_net_subscribe(((pair *)arg)->net, LN_EV_MASK(LN_EV_TX), log_ev, "tx");
}

/* Subscribing to TX at the instant a queued frame is due, before the
 * event that starts it: the settle starts it and tells the QUEUE
 * subscriber there is, before the new subscriber has a slot (it used to
 * be told through a slot not written yet). */
static void test_subscribe_when_due(void)
{
    pair p;
    log_open(&p, 0, false);
    ln_net_subscribe(p.net, LN_EV_MASK(LN_EV_QUEUE), log_ev, "q");
    ln_timer t;
    ln_timer_init(&t, subscribe_tx, &p);
    ln_timer_arm(&p.net->sim, &t, 1200 * LN_USEC);        /* before the frames' events */
    ln_link_send(p.d, frame(p.net, 1500, 0));
    ln_link_send(p.d, frame(p.net, 1500, 1));
    ln_sim_run(&p.net->sim);
    CHECK_STR(logbuf, "q#0@0 q#0@1200000 rx#0@3200000 rx#1@4400000 ");
    pair_close(&p);
}

/* Bandwidth 0 with frames queued, and a TX subscriber that sends on the
 * same direction when frame 1 starts: frame 1 is not on its way yet, so
 * what the send finds due is left to the loop that started it, in order
 * (the send used to start 2 and 3 ahead of 1). */
static void send_on_tx(const ln_event *ev, void *arg)
{
    pair *p = arg;
    if (seq_of(ev->pkt) == 1) ln_link_send(p->d, frame(p->net, 1500, 9));
}

static void test_bandwidth_zero_reentry(void)
{
    pair p;
    log_open(&p, 0, false);
    ln_net_subscribe(p.net, LN_EV_MASK(LN_EV_TX), send_on_tx, &p);
    for (uint32_t i = 0; i < 4; i++) ln_link_send(p.d, frame(p.net, 1500, i));
    ln_sim_run_until(&p.net->sim, 100 * LN_USEC);
    ln_linkcfg c = base_cfg();
    c.queue_pkts = c.queue_bytes = 0;
    c.bandwidth = 0;
    CHECK_EQ(ln_link_configure(p.d->link, 0, &c, NULL, 0), 0);
    ln_sim_run(&p.net->sim);
    CHECK_STR(logbuf, "rx#0@3200000 rx#1@3200000 rx#2@3200000 rx#3@3200000 rx#9@3200000 ");
    pair_close(&p);
}

/* A frame to lose behind a booked one settles it back into the queue;
 * the lost frame's DROP and a timer due at the same instant keep their
 * order, booked or not (the transmitter's event had a key that depended
 * on when it was armed). */
static void log_timer(void *arg) { logf_(arg, 0); }

static ln_timer tick, mid;

/* A chain of timers, each armed by the one before: at 2.4 ms, the instant
 * frame 2 starts, the last one is armed, its seq taken beside the one the
 * transmitter's event takes for the lost frame's DROP. */
static void arm_tick(void *arg)
{
    pair *p = arg;
    ln_timer_arm(&p->net->sim, &tick, 3600 * LN_USEC);      /* when frame 2 is done */
}

static void arm_mid(void *arg)
{
    pair *p = arg;
    ln_timer_arm(&p->net->sim, &mid, 2400 * LN_USEC);
}

static void send_lost(void *arg)
{
    pair *p = arg;
    ln_pkt *f = frame(p->net, 1500, 2);
    f->wire_lose = 1;
    ln_link_send(p->d, f);
}

static void test_same_instant_order(void)
{
    char first[sizeof logbuf];
    for (int watched = 0; watched < 2; watched++) {
        pair p;
        log_open(&p, 0, watched);
        ln_net_subscribe(p.net, LN_EV_MASK(LN_EV_DROP), log_ev, "drop");
        ln_timer lose, later;
        ln_timer_init(&lose, send_lost, &p);
        ln_timer_init(&later, arm_mid, &p);
        ln_timer_init(&mid, arm_tick, &p);
        ln_timer_init(&tick, log_timer, "tick");
        ln_link_send(p.d, frame(p.net, 1500, 0));
        ln_link_send(p.d, frame(p.net, 1500, 1));
        ln_timer_arm(&p.net->sim, &later, 1200 * LN_USEC);
        ln_timer_arm(&p.net->sim, &lose, 300 * LN_USEC);
        ln_sim_run(&p.net->sim);
        if (!watched) memcpy(first, logbuf, sizeof first);
        else CHECK_STR(logbuf, first);
        pair_close(&p);
    }
    CHECK(strstr(first, "drop#2@3600000") != NULL);
}

/* Duplicates at bandwidth 0: a duplicate takes its seq as it leaves, after
 * the next frame took its own as it joined, and both arrive at the same
 * instant.  In key order whether or not the receiver gives every frame a
 * timer of its own (an older frame with a longer delay still in flight). */
static void test_duplicate_order(void)
{
    char first[sizeof logbuf];
    for (int overtaken = 0; overtaken < 2; overtaken++) {
        pair p;
        log_open(&p, 0, false);
        ln_linkcfg c = base_cfg();
        c.queue_pkts = c.queue_bytes = 0;
        c.duplicate = 1.0;
        c.delay = overtaken ? 5 * LN_MSEC : LN_MSEC;
        CHECK_EQ(ln_link_configure(p.d->link, 0, &c, NULL, 0), 0);
        for (uint32_t i = 0; i < 3; i++) ln_link_send(p.d, frame(p.net, 1500, i));
        ln_sim_run_until(&p.net->sim, 100 * LN_USEC);
        c.bandwidth = 0;
        c.delay = LN_MSEC;
        CHECK_EQ(ln_link_configure(p.d->link, 0, &c, NULL, 0), 0);
        ln_sim_run(&p.net->sim);
        /* Frames 1 and 2 and their copies, all at 2.2 ms. */
        const char *at = strstr(logbuf, "rx#1@2200000");
        CHECK(at != NULL);
        if (!at) at = "";
        if (!overtaken) snprintf(first, sizeof first, "%.52s", at);
        else CHECK(strncmp(at, first, 52) == 0);
        pair_close(&p);
    }
}

int main(void)
{
    test_subscribe_when_due();
    test_bandwidth_zero_reentry();
    test_same_instant_order();
    test_duplicate_order();
    test_event_cost();
    test_scoped_watch();
    test_subscriber_lists();
    test_tie();
    for (uint64_t seed = 1; seed <= 4; seed++) test_same_outcome(seed);
    return check_report("test_link_book");
}
