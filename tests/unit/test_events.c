/* test_events.c - the facts events carry for pictures: RTT samples, a
 * link's waiting queue, which link dropped a frame, what a TCP segment was
 * sent as (retransmission, fast retransmission, probes), the timeout an
 * RTO arms next; and that none of it changes the wire, nor is built, when
 * nobody listens. */
#include "tcp_conn.h"

static th *T;

/* b's ACK, with window wnd and the SACK blocks given. */
static void back(ln_seq ack, uint16_t wnd, int n_sack, const ln_tcp_sackblk *sack)
{
    th_tx x = th_bseg(T, F_A, 2001, ack, 0);
    x.wnd = wnd;
    x.n_sack = (uint8_t)n_sack;
    for (int i = 0; i < n_sack; i++) x.sack[i] = sack[i];
    th_deliver(T, &x);
}

/* ---- recorders ------------------------------------------------------------------- */

static int kind_of(const th_seg *g)
{
    return g ? g->kind : -1;
}

typedef struct rec {
    ln_ev_type type;
    ln_time time;
    int64_t value, value2, value3;
    ln_time srtt_now, rto_now;     /* RTT: the socket's, when the event came */
    const char *text;
    const ln_node *node;
    const ln_iface *iface;
    const ln_port *port;
    const ln_link *link;
    int dir;
    ln_drop_reason reason;
    bool has_pkt;
} rec;

#define MAXREC 64
static rec recs[MAXREC];
static uint32_t n_recs;

static void on_rec(const ln_event *ev, void *arg)
{
    (void)arg;
    if (n_recs >= MAXREC) return;
    rec *r = &recs[n_recs++];
    memset(r, 0, sizeof *r);
    r->type = ev->type;
    r->time = ev->time;
    r->value = ev->value;
    r->value2 = ev->value2;
    r->value3 = ev->value3;
    r->text = ev->text;
    r->node = ev->node;
    r->iface = ev->iface;
    r->port = ev->port;
    r->link = ev->link;
    r->dir = ev->dir;
    r->reason = ev->reason;
    r->has_pkt = ev->pkt != NULL;
    if (ev->type == LN_EV_TCP_RTT) {
        const ln_tcp_sock *s = ev->obj;
        r->srtt_now = s->srtt;
        r->rto_now = s->rto;
    }
}

static void rec_reset(void) { n_recs = 0; }

/* A raw-b harness recording the given event types. */
static void setup(th *t, uint32_t mask)
{
    th_init(t, true);
    T = t;
    rec_reset();
    if (mask) ln_net_subscribe(t->net, mask, on_rec, NULL);
}

/* ---- RTT samples ------------------------------------------------------------------- */

/* One event per sample, after the estimator: the sample as measured, and
 * SRTT / RTO equal to the socket's.  The handshake takes 30 ms, then three
 * segments are acknowledged 20 ms (the first) and 30 ms (the rest) after
 * they left.  RFC 6298 with Linux's floors: SRTT 30, 28.75, 28.90625 ms;
 * RTO = SRTT + max(4 RTTVAR, 200 ms) in 4 ms jiffies = 232 ms each time. */
static void test_established_rtt_events(void)
{
    th t;
    setup(&t, LN_EV_MASK(LN_EV_TCP_RTT));
    ln_tcp_sock *s = th_syn_sent(&t);
    th_run(&t, 30 * LN_MSEC);
    th_tx x = th_bsynack(&t);
    th_deliver(&t, &x);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, -1);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    CHECK_EQ(n_recs, 1);

    static char data[3000];
    CHECK_EQ(ln_tcp_send(s, data, sizeof data), 3000);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 1448, -1);
    TH_EXPECT(&t, TH_A, F_A, 1001 + 1448, 2001, 1448, -1);
    TH_EXPECT(&t, TH_A, F_PA, 1001 + 2896, 2001, 104, -1);
    th_run(&t, 20 * LN_MSEC);
    th_bsend(&t, F_A, 2001, 1001 + 1448, 0);
    CHECK_EQ(n_recs, 2);
    th_run(&t, 10 * LN_MSEC);
    th_bsend(&t, F_A, 2001, 1001 + 3000, 0);
    TH_NONE(&t, TH_A);
    CHECK_EQ(n_recs, 3);

    static const ln_time sample[3] = { 30 * LN_MSEC, 20 * LN_MSEC, 30 * LN_MSEC };
    static const ln_time srtt[3] = { 30000000, 28750000, 28906250 };
    for (uint32_t i = 0; i < n_recs && i < 3; i++) {
        CHECK_EQ(recs[i].type, LN_EV_TCP_RTT);
        CHECK(recs[i].node == t.a);
        CHECK_U64(recs[i].value, sample[i]);
        CHECK_U64(recs[i].value2, srtt[i]);
        CHECK_U64(recs[i].value3, 232 * LN_MSEC);
        CHECK_U64(recs[i].value2, recs[i].srtt_now);
        CHECK_U64(recs[i].value3, recs[i].rto_now);
    }
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_U64(in.srtt, recs[2].value2);
    CHECK_U64(in.rto, recs[2].value3);
    th_free(&t);
}

/* ---- segment kinds and the RTO's next timeout ------------------------------------------- */

/* SYN retransmissions are retransmissions; the "rto" timer event tells
 * the timeout it arms next (1 s: linear, then doubling), and 0 when the
 * connection gives up. */
static void test_syn_sent_rto_kind(void)
{
    th t;
    setup(&t, LN_EV_MASK(LN_EV_TIMER));
    ln_tcp_cfg *c = ln_tcp_cfg_of(t.a);
    c->fixed_isn = 1000;
    c->syn_retries = 1;
    c->syn_linear_timeouts = 1;
    ln_tcp_sock *s = ln_tcp_socket(t.a);
    ln_tcp_connect(s, TH_B, 80);
    th_run(&t, 10 * LN_SEC);
    CHECK_EQ(ln_tcp_error(s), LN_ETIMEDOUT);
    /* SYNs at 0, 1 (linear), 2 s; the third timeout, at 4 s, gives up --
     * each rounded up to Linux's timer wheel (32 ms buckets for 1-2 s
     * timers): 1.024, 2.048, 4.064 s. */
    static const ln_time at[3] = { 0, 1024 * LN_MSEC, 2048 * LN_MSEC };
    for (int i = 0; i < 3; i++) {
        th_seg *g = TH_EXPECT(&t, TH_A, F_S, 1000, 0, 0, 64240);
        if (g) CHECK_U64(g->t, at[i]);
        CHECK_EQ(kind_of(g), i ? LN_PKT_KIND_RETRANS : LN_PKT_KIND_NONE);
    }
    TH_NONE(&t, TH_A);
    CHECK_EQ(n_recs, 3);
    static const ln_time fired[3] = { 1024 * LN_MSEC, 2048 * LN_MSEC, 4064 * LN_MSEC };
    static const int64_t next[3] = { LN_SEC, 2 * LN_SEC, 0 };
    for (uint32_t i = 0; i < n_recs && i < 3; i++) {
        CHECK(recs[i].text && strcmp(recs[i].text, "rto") == 0);
        CHECK_U64(recs[i].time, fired[i]);
        CHECK_EQ(recs[i].value, i == 2 ? 1 : 0);     /* backoff when it fired */
        CHECK_EQ(recs[i].value2, next[i]);
        /* The event tells the nominal timeout; the wheel adds up to one
         * bucket. */
        if (i < 2) {
            ln_time due = recs[i].time + (ln_time)recs[i].value2;
            CHECK(fired[i + 1] > due && fired[i + 1] <= due + 32 * LN_MSEC);
        }
    }
    th_free(&t);
}

/* A stalled flight first gets a tail-loss probe (RFC 8985 7: the last
 * segment again, 2 SRTT + 2 ms = one 4 ms jiffy on this instant link),
 * then the RTO from the probe on.  After an RTO: the head goes again as a
 * retransmission, then the rest from SND.UNA in Loss; new data after
 * that is original.  The timer event says 408 ms, and the next one comes
 * 408 ms later. */
static void test_established_rto_kind(void)
{
    th t;
    setup(&t, LN_EV_MASK(LN_EV_TIMER));
    ln_tcp_sock *s = th_established(&t);
    ln_time t0 = th_now(&t);
    static char data[4000];
    CHECK_EQ(ln_tcp_send(s, data, 3000), 3000);
    th_settle(&t);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 1448, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_NONE);
    g = TH_EXPECT(&t, TH_A, F_A, 1001 + 1448, 2001, 1448, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_NONE);
    g = TH_EXPECT(&t, TH_A, F_PA, 1001 + 2896, 2001, 104, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_NONE);
    th_run_until(&t, t0 + 4 * LN_MSEC + 204 * LN_MSEC + 408 * LN_MSEC);
    g = TH_EXPECT(&t, TH_A, F_PA, 1001 + 2896, 2001, 104, 63);
    if (g) CHECK_U64(g->t - t0, 4 * LN_MSEC);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_RETRANS);
    g = TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 1448, 63);
    if (g) CHECK_U64(g->t - t0, 208 * LN_MSEC);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_RETRANS);
    g = TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 1448, 63);
    if (g) CHECK_U64(g->t - t0, 616 * LN_MSEC);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_RETRANS);
    TH_NONE(&t, TH_A);
    CHECK_EQ(n_recs, 3);
    CHECK(n_recs > 0 && recs[0].text && strcmp(recs[0].text, "probe") == 0);
    for (uint32_t i = 1; i < n_recs && i < 3; i++) {
        CHECK(recs[i].text && strcmp(recs[i].text, "rto") == 0);
        CHECK_EQ(recs[i].value, i - 1);
        CHECK_EQ(recs[i].value2, (int64_t)(408 * LN_MSEC) << (i - 1));
    }
    if (n_recs == 3) CHECK_U64(recs[2].time, recs[1].time + (ln_time)recs[1].value2);

    /* The head acknowledged: the rest from SND.UNA, still retransmissions
     * (Loss), then new data, which is not. */
    rec_reset();
    th_bsend(&t, F_A, 2001, 1001 + 1448, 0);
    g = TH_EXPECT(&t, TH_A, F_A, 1001 + 1448, 2001, 1448, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_RETRANS);
    g = TH_EXPECT(&t, TH_A, F_PA, 1001 + 2896, 2001, 104, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_RETRANS);
    TH_NONE(&t, TH_A);
    th_bsend(&t, F_A, 2001, 1001 + 3000, 0);
    CHECK_EQ(ln_tcp_send(s, data, 100), 100);
    th_settle(&t);
    g = TH_EXPECT(&t, TH_A, F_PA, 1001 + 3000, 2001, 100, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_NONE);
    TH_NONE(&t, TH_A);
    CHECK_EQ(n_recs, 0);                          /* no timer fired meanwhile */
    th_free(&t);
}

/* The hole SACK recovery resends at the third duplicate ACK is a fast
 * retransmission; what left before it is original. */
static void test_established_fast_retransmit_kind(void)
{
    th t;
    setup(&t, 0);
    ln_tcp_sock *s = th_established(&t);
    static char data[14480];
    CHECK_EQ(ln_tcp_send(s, data, sizeof data), (int64_t)sizeof data);
    th_settle(&t);
    for (int i = 0; i < 10; i++) {
        th_seg *g = TH_EXPECT(&t, TH_A, i == 9 ? F_PA : F_A, 1001 + 1448u * i, 2001, 1448, 63);
        CHECK_EQ(kind_of(g), LN_PKT_KIND_NONE);
    }
    ln_tcp_sackblk b = { 1001 + 1448, 1001 + 2 * 1448 };
    for (int i = 0; i < 3; i++) {
        back(1001, 64, 1, &b);
        b.end += 1448;
    }
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 1448, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_FAST_RETRANS);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPFastRetrans), 1);
    th_free(&t);
}

/* A zero window: the persist timer's probe is tagged, and its timer event
 * has no RTO to tell (value2 0). */
static void test_established_zero_window_probe_kind(void)
{
    th t;
    setup(&t, LN_EV_MASK(LN_EV_TIMER));
    ln_tcp_sock *s = th_established(&t);
    ln_tcp_send(s, "0123456789", 10);
    th_settle(&t);
    th_seg *g = TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_NONE);
    back(1011, 0, 0, NULL);                       /* all acked, window 0 */
    CHECK_EQ(ln_tcp_send(s, NULL, 3000), 3000);
    th_run(&t, 204 * LN_MSEC);
    g = TH_EXPECT(&t, TH_A, F_A, 1010, 2001, 0, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_ZERO_WINDOW_PROBE);
    TH_NONE(&t, TH_A);
    CHECK_EQ(n_recs, 1);
    if (n_recs) {
        CHECK(recs[0].text && strcmp(recs[0].text, "persist") == 0);
        CHECK_EQ(recs[0].value2, 0);
    }
    th_free(&t);
}

static void test_established_keepalive_kind(void)
{
    th t;
    setup(&t, LN_EV_MASK(LN_EV_TIMER));
    ln_tcp_sock *s = th_established(&t);
    ln_tcp_setopt(s, LN_TCP_OPT_KEEPIDLE, 10 * LN_SEC);
    ln_tcp_setopt(s, LN_TCP_OPT_KEEPALIVE, 1);
    th_run(&t, 10 * LN_SEC);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1000, 2001, 0, 63);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_KEEPALIVE);
    TH_NONE(&t, TH_A);
    CHECK_EQ(n_recs, 1);
    if (n_recs) {
        CHECK(recs[0].text && strcmp(recs[0].text, "keepalive") == 0);
        CHECK_EQ(recs[0].value2, 0);
    }
    th_free(&t);
}

/* A request's SYN-ACK that its timer sends again is a retransmission. */
static void test_listen_synack_retrans_kind(void)
{
    th t;
    setup(&t, 0);
    ln_tcp_cfg_of(t.a)->fixed_isn = 1000;
    th_notes ln;
    th_listen(t.a, 80, &ln);
    th_tx x = { .sport = 40000, .dport = 80, .seq = 2000, .flags = F_S, .wnd = 64240,
                .syn_opts = true, .mss = 1460, .ws = -1, .from = TH_B, .to = TH_A };
    th_send(&t, &x);
    th_settle(&t);
    th_seg *g = TH_EXPECT(&t, TH_A, F_SA, 1000, 2001, 0, -1);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_NONE);
    TH_NONE(&t, TH_A);
    th_run(&t, 1500 * LN_MSEC);
    g = TH_EXPECT(&t, TH_A, F_SA, 1000, 2001, 0, -1);
    CHECK_EQ(kind_of(g), LN_PKT_KIND_RETRANS);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

static void test_kind_names(void)
{
    CHECK(ln_pkt_kind_name(LN_PKT_KIND_NONE) == NULL);
    CHECK(strcmp(ln_pkt_kind_name(LN_PKT_KIND_RETRANS), "retransmission") == 0);
    CHECK(strcmp(ln_pkt_kind_name(LN_PKT_KIND_FAST_RETRANS), "fast retransmission") == 0);
    CHECK(strcmp(ln_pkt_kind_name(LN_PKT_KIND_ZERO_WINDOW_PROBE), "zero window probe") == 0);
    CHECK(strcmp(ln_pkt_kind_name(LN_PKT_KIND_KEEPALIVE), "keep-alive") == 0);
    CHECK(ln_pkt_kind_name(LN_PKT_KIND__COUNT) == NULL);
    CHECK(ln_pkt_kind_name(-1) == NULL);
    /* A copy keeps the kind; a fresh packet has none. */
    ln_net *net = ln_net_new(1);
    ln_pkt *p = ln_net_pkt(net, 100);
    CHECK_EQ(p->kind, LN_PKT_KIND_NONE);
    p->kind = LN_PKT_KIND_FAST_RETRANS;
    ln_pkt *c = ln_pkt_clone(p);
    CHECK_EQ(c->kind, LN_PKT_KIND_FAST_RETRANS);
    ln_pkt_free(p);
    ln_pkt_free(c);
    p = ln_net_pkt(net, 100);                     /* the same buffer again */
    CHECK_EQ(p->kind, LN_PKT_KIND_NONE);
    ln_pkt_free(p);
    ln_net_free(net);
}

/* ---- a link's queue and drops ------------------------------------------------------- */

/* Node a's interface on one end, a bare sink port on the other. */
typedef struct sink {
    ln_port port;
    uint32_t n;
} sink;

static void sink_rx(ln_port *port, ln_pkt *frame)
{
    ((sink *)port)->n++;
    ln_pkt_free(frame);
}

static ln_pkt *frame(ln_net *net, uint32_t len)
{
    ln_pkt *p = ln_net_pkt(net, len);
    memset(p->data, 0, len);
    memcpy(p->data, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
    ln_put16(p->data + 12, 0x88b5);
    return p;
}

/* A burst into a 10 Mbit/s link with room for 3 waiting frames: the
 * first goes straight to the transmitter, three wait (1, 2, 3), the fifth
 * is dropped as queue full, then the queue drains one frame per 0.8 ms
 * (2, 1, 0).  Every QUEUE names the link, direction and sending
 * interface; drops name the link and direction but count on no node. */
static void test_link_queue_and_drops(void)
{
    char err[128];
    ln_net *net = ln_net_new(7);
    ln_node *a = ln_node_new(net, "a", false, err, sizeof err);
    ln_iface *ia = ln_iface_new(a, NULL, err, sizeof err);
    sink sk;
    memset(&sk, 0, sizeof sk);
    sk.port.rx = sink_rx;
    snprintf(sk.port.name, sizeof sk.port.name, "sink");
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.bandwidth = 10000000;
    c.queue_pkts = 3;
    ln_link *l = ln_link_new(net, &ia->port, &sk.port, &c, NULL, err, sizeof err);
    uint64_t pool0 = ln_pktpool_in_use(net->pool);
    rec_reset();
    ln_net_subscribe(net, LN_EV_MASK(LN_EV_QUEUE) | LN_EV_MASK(LN_EV_DROP) | LN_EV_MASK(LN_EV_LINK),
                     on_rec, NULL);
    for (int i = 0; i < 5; i++) ln_link_send(ia->port.out, frame(net, 1000));
    ln_sim_run(&net->sim);
    CHECK_EQ(sk.n, 4);

    static const struct { ln_ev_type type; ln_time t; int64_t qlen; } want[] = {
        { LN_EV_QUEUE, 0, 1 }, { LN_EV_QUEUE, 0, 2 }, { LN_EV_QUEUE, 0, 3 },
        { LN_EV_DROP, 0, 0 },
        { LN_EV_QUEUE, 800000, 2 }, { LN_EV_QUEUE, 1600000, 1 }, { LN_EV_QUEUE, 2400000, 0 },
    };
    CHECK_EQ(n_recs, 7);
    for (uint32_t i = 0; i < n_recs && i < 7; i++) {
        rec *r = &recs[i];
        CHECK_EQ(r->type, want[i].type);
        CHECK_U64(r->time, want[i].t);
        CHECK(r->link == l);
        CHECK_EQ(r->dir, 0);
        CHECK(r->port == &ia->port);
        if (r->type == LN_EV_QUEUE) {
            CHECK_EQ(r->value, want[i].qlen);
            CHECK_EQ(r->value2, want[i].qlen * 1000);
            CHECK(r->node == a && r->iface == ia);
        } else {
            CHECK_EQ(r->reason, LN_DROP_QUEUE_FULL);
            CHECK(r->node == NULL && r->iface == NULL && r->has_pkt);
        }
    }
    CHECK(n_recs && recs[n_recs - 1].type == LN_EV_QUEUE && recs[n_recs - 1].value == 0 &&
          recs[n_recs - 1].value2 == 0);
    CHECK_U64(ln_net_drop_total(net, LN_DROP_QUEUE_FULL), 1);
    CHECK_U64(a->drops[LN_DROP_QUEUE_FULL], 0);

    /* Going down flushes the queue: LINK, QUEUE 0, then the drops (the
     * frame on the wire and the two that waited). */
    rec_reset();
    for (int i = 0; i < 3; i++) ln_link_send(ia->port.out, frame(net, 1000));
    ln_link_set_up(l, 0, false);
    CHECK_EQ(n_recs, 7);
    static const ln_ev_type down[7] = { LN_EV_QUEUE, LN_EV_QUEUE, LN_EV_LINK, LN_EV_QUEUE,
                                        LN_EV_DROP, LN_EV_DROP, LN_EV_DROP };
    static const int64_t down_qlen[7] = { 1, 2, 0, 0, 0, 0, 0 };
    for (uint32_t i = 0; i < n_recs && i < 7; i++) {
        CHECK_EQ(recs[i].type, down[i]);
        CHECK(recs[i].link == l && recs[i].dir == 0 && recs[i].port == &ia->port);
        if (down[i] == LN_EV_QUEUE) CHECK_EQ(recs[i].value, down_qlen[i]);
        if (down[i] == LN_EV_DROP) CHECK_EQ(recs[i].reason, LN_DROP_LINK_DOWN);
    }
    ln_link_set_up(l, 0, true);
    CHECK_U64(ln_net_drop_total(net, LN_DROP_LINK_DOWN), 3);
    CHECK_U64(a->drops[LN_DROP_LINK_DOWN], 0);

    /* Loss on the other direction: the drop names the link, direction 1
     * and the sink's port, at the end of serialization. */
    c.loss.kind = LN_LOSS_RANDOM;
    c.loss.rate = 1.0;
    CHECK_EQ(ln_link_configure(l, 1, &c, err, sizeof err), 0);
    rec_reset();
    ln_time t0 = ln_net_now(net);
    ln_link_send(&l->d[1], frame(net, 1000));
    ln_sim_run(&net->sim);
    CHECK_EQ(n_recs, 1);
    if (n_recs) {
        CHECK_EQ(recs[0].type, LN_EV_DROP);
        CHECK_EQ(recs[0].reason, LN_DROP_LOSS);
        CHECK(recs[0].link == l && recs[0].dir == 1 && recs[0].port == &sk.port);
        CHECK(recs[0].node == NULL && recs[0].iface == NULL && recs[0].has_pkt);
        CHECK_U64(recs[0].time - t0, 800000);
    }
    CHECK_U64(ln_net_drop_total(net, LN_DROP_LOSS), 1);
    CHECK_U64(a->drops[LN_DROP_LOSS], 0);
    CHECK_U64(ln_pktpool_in_use(net->pool), pool0);
    ln_net_free(net);
}

/* ---- nobody listening ------------------------------------------------------------- */

/* Two real hosts over a slow, lossy link with a short queue, so that the
 * run has RTT samples, queueing, drops of both kinds and retransmissions.
 * Frames are tapped at the receiving ports (not through events), so a run
 * without subscribers can be compared with one that takes everything. */
typedef struct duo {
    world *w;
    uint64_t hash, frames, received, sent;
    ln_tcp_sock *c;
    uint64_t evs[LN_EV__COUNT];
    uint64_t kinded, link_drops;
    bool shut;
} duo;

static duo *D;
static ln_port_rx_fn eth_rx;

static void tap_rx(ln_port *port, ln_pkt *frame)
{
    ln_pkt_finish(frame);          /* a tap reads bytes, as a capture does (pkt.h) */
    uint64_t h = D->hash ^ (port == &D->w->ia->port ? 1 : 2);
    for (uint32_t i = 0; i < frame->len; i++) h = (h ^ frame->data[i]) * 0x100000001b3ull;
    h = (h ^ (uint64_t)ln_net_now(D->w->net)) * 0x100000001b3ull;
    D->hash = h;
    D->frames++;
    eth_rx(port, frame);
}

#define DUO_BYTES 300000u

static void duo_client(ln_tcp_sock *s, unsigned ev, void *arg)
{
    duo *d = arg;
    if (!(ev & (LN_TCP_EV_CONNECTED | LN_TCP_EV_WRITABLE))) return;
    while (d->sent < DUO_BYTES) {
        int64_t n = ln_tcp_send(s, NULL, DUO_BYTES - d->sent);
        if (n <= 0) break;
        d->sent += (uint64_t)n;
    }
    if (d->sent == DUO_BYTES && !d->shut) {
        d->shut = true;
        ln_tcp_shutdown(s, LN_SHUT_WR);
    }
}

static void duo_server(ln_tcp_sock *s, unsigned ev, void *arg)
{
    duo *d = arg;
    (void)ev;
    int64_t n;
    while ((n = ln_tcp_recv(s, NULL, 65536)) > 0) d->received += (uint64_t)n;
}

static void duo_listener(ln_tcp_sock *l, unsigned ev, void *arg)
{
    ln_tcp_sock *c;
    if (ev & LN_TCP_EV_ACCEPT)
        while ((c = ln_tcp_accept(l)) != NULL) ln_tcp_set_notify(c, duo_server, arg);
}

static void on_any(const ln_event *ev, void *arg)
{
    duo *d = arg;
    d->evs[ev->type]++;
    if (ev->pkt && ln_pkt_kind_name(ev->pkt->kind)) d->kinded++;
    if (ev->type == LN_EV_DROP && ev->link) d->link_drops++;
}

static void duo_run(duo *d, bool listen)
{
    memset(d, 0, sizeof *d);
    D = d;
    ln_linkcfg lc;
    ln_linkcfg_default(&lc);
    lc.bandwidth = 10000000;
    lc.delay = 5 * LN_MSEC;
    lc.queue_pkts = 8;
    lc.loss.kind = LN_LOSS_RANDOM;
    lc.loss.rate = 0.01;
    world_cfg c = { .seed = 11, .addr = { TH_A, TH_B }, .link = &lc, .static_arp = true, .quiet = true };
    d->w = world_new(&c);
    eth_rx = d->w->ia->port.rx;
    d->w->ia->port.rx = tap_rx;
    d->w->ib->port.rx = tap_rx;
    if (listen) ln_net_subscribe(d->w->net, LN_EV_ALL, on_any, d);
    ln_tcp_sock *l = ln_tcp_socket(d->w->b);
    ln_tcp_bind(l, 0, 5001);
    ln_tcp_listen(l, 16);
    ln_tcp_set_notify(l, duo_listener, d);
    d->c = ln_tcp_socket(d->w->a);
    ln_tcp_set_notify(d->c, duo_client, d);
    ln_tcp_connect(d->c, TH_B, 5001);
    ln_sim_run_until(&d->w->net->sim, 60 * LN_SEC);
}

static void test_nobody_listening_same_wire(void)
{
    static duo quiet, loud;
    duo_run(&quiet, false);
    CHECK_EQ(quiet.w->net->ev_mask, 0);
    CHECK(!ln_net_wants(quiet.w->net, LN_EV_QUEUE) && !ln_net_wants(quiet.w->net, LN_EV_TCP_RTT));
    duo_run(&loud, true);
    CHECK_U64(quiet.received, DUO_BYTES);
    CHECK_U64(loud.received, quiet.received);
    CHECK_U64(loud.frames, quiet.frames);
    CHECK_U64(loud.hash, quiet.hash);
    uint64_t loud_drops[LN_DROP__COUNT], quiet_drops[LN_DROP__COUNT];
    ln_net_drops(loud.w->net, loud_drops);
    ln_net_drops(quiet.w->net, quiet_drops);
    CHECK(memcmp(loud_drops, quiet_drops, sizeof quiet_drops) == 0);
    CHECK_U64(TH_MIB(loud.w->a, TcpRetransSegs), TH_MIB(quiet.w->a, TcpRetransSegs));
    /* The run exercised what the events now carry. */
    CHECK(loud.evs[LN_EV_TCP_RTT] > 0);
    CHECK(loud.evs[LN_EV_QUEUE] > 0);
    CHECK(loud.kinded > 0);
    CHECK(ln_net_drop_total(loud.w->net, LN_DROP_LOSS) > 0 && ln_net_drop_total(loud.w->net, LN_DROP_QUEUE_FULL) > 0);
    CHECK_U64(loud.link_drops, ln_net_drop_total(loud.w->net, LN_DROP_LOSS) +
                               ln_net_drop_total(loud.w->net, LN_DROP_QUEUE_FULL));
    CHECK(TH_MIB(quiet.w->a, TcpRetransSegs) > 0);
    world_release(quiet.w);
    world_release(loud.w);
}

int main(void)
{
    test_established_rtt_events();
    test_syn_sent_rto_kind();
    test_established_rto_kind();
    test_established_fast_retransmit_kind();
    test_established_zero_window_probe_kind();
    test_established_keepalive_kind();
    test_listen_synack_retrans_kind();
    test_kind_names();
    test_link_queue_and_drops();
    test_nobody_listening_same_wire();
    return check_report("test_events");
}
