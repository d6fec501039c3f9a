/* test_tcp_listen.c - the passive open (tcp_listen.c): SYN-ACKs and their
 * options, SYN-ACK retransmission, request sockets, the accept queue, SYN
 * floods with tcp_syncookies 0, 1 and 2 against reference/linux-tcp.md 9,
 * and SYN cookies themselves.
 *
 * The topology is the reference captures': client C 10.99.0.1 and server S
 * 10.99.0.2 on one link (a veth: no bandwidth limit, a few us of delay).
 * Spoofed SYNs leave C from 10.99.1.x; S routes 10.99.1.0/24 back via C,
 * which does not forward and drops the SYN-ACKs, so nobody answers them.
 * Every test checks the exact segments S sent, and that no packet leaked. */
#include "tcp_harness.h"

#define C_ADDR IP(10, 99, 0, 1)
#define S_ADDR IP(10, 99, 0, 2)
#define SPOOF(x) IP(10, 99, 1, (x))
#define PORT 5008
#define LINK_DELAY (10 * LN_USEC)

/* ---- the reference's topology on the harness ----------------------------------- */

/* a is S, the stack under test; b is C, which both connects (a real
 * stack) and sends hand-made segments (th_send_ok). */
static const world_cfg veth = { .seed = 1, .name = { "s", "c" }, .addr = { S_ADDR, C_ADDR },
                                .delay = LINK_DELAY, .unlimited = true };
#define MAXSEG 16384                /* a flood's SYNs and SYN-ACKs */

static int states[LN_TCP__NSTATES][LN_TCP__NSTATES];   /* on S: from -> to */

static void on_state(const ln_event *ev, void *arg)
{
    th *t = arg;
    if (ev->node == t->a && ev->value >= 0 && ev->value < LN_TCP__NSTATES &&
        ev->value2 >= 0 && ev->value2 < LN_TCP__NSTATES)
        states[ev->value][ev->value2]++;
}

static th *listen_new(uint32_t syncookies)
{
    th *t = malloc(sizeof *t);
    th_init_on(t, &veth, false, MAXSEG);
    memset(states, 0, sizeof states);
    ln_net_subscribe(t->net, LN_EV_MASK(LN_EV_TCP_STATE), on_state, t);
    world_route(t->a, t->ia, SPOOF(0), 24, C_ADDR);
    ln_tcp_cfg_of(t->a)->syncookies = syncookies;
    return t;
}

/* Every request has died by the time the network runs dry. */
static void listen_free(th *t)
{
    ln_sim_run(&t->net->sim);
    CHECK_EQ(ln_tcp_stack_of(t->a)->n_reqs, 0);
    th_free(t);
    free(t);
}

/* The segments S sent (to dst, or to anybody with dst 0), from the
 * first: these tests look back over them rather than consume them. */
static int s_segs(const th *t, uint32_t dst, th_seg *out, int max)
{
    int n = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        const th_seg *g = &t->seg[i];
        if (g->src != S_ADDR || (dst && g->dst != dst)) continue;
        if (n < max) out[n] = *g;
        n++;
    }
    return n;
}

/* A hand-made segment from C (source spoofed at will: a raw socket with
 * IP_HDRINCL, like the reference's flood tool). */
typedef struct rawseg {
    uint32_t src;
    uint16_t sport;
    uint32_t seq, ack;
    uint8_t flags;
    bool full;                  /* MSS, SACK_PERM, TS, NOP, WS 10 (Linux's SYN) */
    bool mss_only;              /* MSS 1460 only (the flood's SYNs) */
    bool ts;                    /* TS on a non-SYN segment */
    uint32_t tsval, tsecr;
    bool df;
} rawseg;

static void send_raw(th *t, const rawseg *r)
{
    th_tx x = { .from = r->src, .to = S_ADDR, .sport = r->sport, .dport = PORT, .seq = r->seq,
                .ack = r->ack, .flags = r->flags, .wnd = (r->flags & LN_TCP_SYN) ? 64240 : 502,
                .ws = -1, .no_df = !r->df };
    if (r->full || r->mss_only) {
        x.syn_opts = true;
        x.mss = 1460;
    }
    if (r->full) {
        x.sack_perm = true;
        x.ws = 10;
    }
    if (r->full || r->ts) {
        x.ts = true;
        x.tsval = r->tsval;
        x.tsecr = r->tsecr;
    }
    th_send_ok(t, &x);
}

/* ---- a server that accepts and closes whatever completes (the reference's) --- */

typedef struct server {
    th *h;
    ln_tcp_sock *l;
    ln_timer t;
    bool auto_accept;
    int accepted;
} server;

/* Accepting from inside the notify callback would re-enter the stack in
 * the middle of the handshake's processing; do it from a timer at once. */
static void srv_accept_all(void *arg)
{
    server *sv = arg;
    ln_tcp_sock *c;
    while ((c = ln_tcp_accept(sv->l)) != NULL) {
        sv->accepted++;
        ln_tcp_close(c);
    }
}

static void srv_notify(ln_tcp_sock *s, unsigned ev, void *arg)
{
    server *sv = arg;
    if ((ev & LN_TCP_EV_ACCEPT) && sv->auto_accept && !ln_timer_armed(&sv->t))
        ln_timer_arm(&sv->h->net->sim, &sv->t, th_now(sv->h));
}

static void server_start(server *sv, th *t, int backlog, bool auto_accept)
{
    memset(sv, 0, sizeof *sv);
    sv->h = t;
    sv->auto_accept = auto_accept;
    ln_timer_init(&sv->t, srv_accept_all, sv);
    sv->l = ln_tcp_socket(t->a);
    CHECK(sv->l != NULL);
    ln_tcp_set_notify(sv->l, srv_notify, sv);
    CHECK_EQ(ln_tcp_bind(sv->l, 0, PORT), 0);
    CHECK_EQ(ln_tcp_listen(sv->l, backlog), 0);
}

static void server_stop(server *sv)
{
    ln_timer_cancel(&sv->h->net->sim, &sv->t);
    ln_tcp_set_notify(sv->l, NULL, NULL);
    ln_tcp_close(sv->l);
}

/* ---- a client that connects, then closes ------------------------------------ */

typedef struct client {
    th *h;
    ln_tcp_sock *s;
    ln_timer t;
    ln_time started, connected;
    int err;
    bool keep;                  /* stay open after connecting */
} client;

static void cli_close(void *arg)
{
    client *c = arg;
    if (!c->s) return;
    ln_tcp_set_notify(c->s, NULL, NULL);
    ln_tcp_close(c->s);
    c->s = NULL;
}

static void cli_notify(ln_tcp_sock *s, unsigned ev, void *arg)
{
    client *c = arg;
    if (ev & LN_TCP_EV_CONNECTED) {
        c->connected = th_now(c->h);
        if (!c->keep) ln_timer_arm(&c->h->net->sim, &c->t, th_now(c->h));
    }
    if (ev & LN_TCP_EV_ERROR) c->err = ln_tcp_error(s);
}

static void client_start(client *c, th *t, bool keep)
{
    memset(c, 0, sizeof *c);
    c->h = t;
    c->keep = keep;
    ln_timer_init(&c->t, cli_close, c);
    c->s = ln_tcp_socket(t->b);
    CHECK(c->s != NULL);
    ln_tcp_set_notify(c->s, cli_notify, c);
    c->started = th_now(t);
    CHECK_EQ(ln_tcp_connect(c->s, S_ADDR, PORT), 0);
}

static void client_stop(client *c)
{
    ln_timer_cancel(&c->h->net->sim, &c->t);
    cli_close(c);
}

/* C sends 100 bytes; the window field of S's answer (quickack: at once).
 * Reference 1: a server advertises 64 (x 1024) after a normal handshake,
 * 63 after a cookie one (reference 9). */
static int first_window(th *t, client *c)
{
    th_seg v[8];
    int before = s_segs(t, C_ADDR, v, 8);
    CHECK_EQ(ln_tcp_send(c->s, NULL, 100), 100);
    th_run_until(t, th_now(t) + 10 * LN_MSEC);
    int n = s_segs(t, C_ADDR, v, 8);
    CHECK(n > before && n <= 8);
    if (n <= before || n > 8) return -1;
    CHECK_EQ(v[before].ack - v[0].ack, 100);  /* v[0]: the SYN-ACK */
    return v[before].wnd;
}

/* ---- SYN -> SYN-ACK ------------------------------------------------------------- */

/* Reference 1: a full-option SYN gets MSS 1460, SACK_PERM, TS, NOP, WS 10
 * and window 65160 (45 x 1448), IP ID 0, DF, TTL 64. */
static void test_listen_syn_full_options(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    rawseg r = { .src = SPOOF(5), .sport = 40000, .seq = 1000000, .flags = LN_TCP_SYN,
                 .full = true, .tsval = 777, .df = true };
    send_raw(t, &r);
    th_run_until(t, 500 * LN_MSEC);

    th_seg v[4];
    CHECK_EQ(s_segs(t, 0, v, 4), 1);
    CHECK_EQ(v[0].src, S_ADDR);
    CHECK_EQ(v[0].dst, SPOOF(5));
    CHECK_EQ(v[0].sport, PORT);
    CHECK_EQ(v[0].dport, 40000);
    CHECK_EQ(v[0].flags, LN_TCP_SYN | LN_TCP_ACK);
    CHECK_EQ(v[0].ack, 1000001);
    CHECK_EQ(v[0].wnd, 65160);
    CHECK_EQ(v[0].ipid, 0);
    CHECK(v[0].df);
    CHECK_EQ(v[0].ttl, 64);
    CHECK_EQ(20 + v[0].optlen, 40);
    static const uint8_t head[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 };
    static const uint8_t tail[] = { 1, 3, 3, 10 };
    CHECK(v[0].optlen == 20 && memcmp(v[0].opt, head, 8) == 0 && memcmp(v[0].opt + 16, tail, 4) == 0);
    CHECK(v[0].has_ts);
    CHECK_EQ(v[0].tsecr, 777);
    ln_tcp_stack *st = ln_tcp_stack_of(t->a);
    uint32_t off = ln_tcp_ts_offset(st, S_ADDR, SPOOF(5), NULL);
    CHECK_EQ(v[0].tsval - off, (uint32_t)(LINK_DELAY / LN_MSEC));
    CHECK_EQ(st->n_reqs, 1);
    CHECK_EQ(sv.l->xf->syn_qlen, 1);
    CHECK_EQ(states[LN_TCP_LISTEN][LN_TCP_SYN_RCVD], 1);
    CHECK_U64(TH_MIB(t->a, TcpPassiveOpens), 0);
    server_stop(&sv);
    CHECK_EQ(st->n_reqs, 0);
    CHECK_EQ(s_segs(t, 0, v, 4), 1);        /* the request died silently */
    listen_free(t);
}

/* An MSS-only SYN (the flood's) gets MSS 1460 alone and window 64240. */
static void test_listen_syn_mss_only(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    rawseg r = { .src = SPOOF(6), .sport = 17586, .seq = 1399756255u, .flags = LN_TCP_SYN,
                 .mss_only = true };
    send_raw(t, &r);
    th_run_until(t, 500 * LN_MSEC);
    th_seg v[4];
    CHECK_EQ(s_segs(t, 0, v, 4), 1);
    CHECK_EQ(v[0].flags, LN_TCP_SYN | LN_TCP_ACK);
    CHECK_EQ(v[0].ack, 1399756256u);
    CHECK_EQ(v[0].wnd, 64240);
    CHECK_EQ(20 + v[0].optlen, 24);
    static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };
    CHECK(memcmp(v[0].opt, mss, 4) == 0);
    CHECK_EQ(v[0].ipid, 0);
    CHECK(v[0].df);
    server_stop(&sv);
    listen_free(t);
}

/* Reference 6 (synack_retries): 5 retransmissions 1, 2, 4, 8, 16 s apart,
 * identical but for TSval (which advances by the elapsed ms), then the
 * request dies silently.  The timers fire as late as Linux's timer wheel
 * at HZ = 250 makes them (reference 0): the reference shows gaps of 1.013,
 * 2.016, 4.064, 8.192 and 16.128 s; 2.016, 8.192 and 16.128 come out
 * exactly, whatever the phase, and the others within their bucket. */
static void test_syn_rcvd_synack_retransmission(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    ln_tcp_stack *st = ln_tcp_stack_of(t->a);
    rawseg r = { .src = SPOOF(205), .sport = 17586, .seq = 5000, .flags = LN_TCP_SYN,
                 .full = true, .tsval = 42 };
    send_raw(t, &r);
    th_run_until(t, 63 * LN_SEC);
    CHECK_EQ(st->n_reqs, 1);                /* "about 63 s" nominal ... */
    th_run_until(t, 66200 * LN_MSEC);
    CHECK_EQ(st->n_reqs, 0);                /* ... "about 65.5 s" in fact */
    th_run_until(t, 200 * LN_SEC);

    th_seg v[8];
    int n = s_segs(t, 0, v, 8);
    CHECK_EQ(n, 6);
    static const ln_time lo[] = { 1000, 2016, 4000, 8192, 16128 };   /* ms */
    static const ln_time hi[] = { 1032, 2016, 4256, 8192, 16128 };
    for (int i = 1; i < n && i < 6; i++) {
        ln_time gap = v[i].t - v[i - 1].t;
        CHECK(gap >= lo[i - 1] * LN_MSEC && gap <= hi[i - 1] * LN_MSEC);
        CHECK_EQ(v[i].optlen, v[0].optlen);
        CHECK_EQ(v[i].ipid, 0);
        CHECK_EQ(v[i].seq, v[0].seq);
        CHECK_EQ(v[i].tsval - v[0].tsval,
                 (uint32_t)(v[i].t / LN_MSEC) - (uint32_t)(v[0].t / LN_MSEC));
        /* Byte for byte the same but for the checksum and TSval. */
        bool same = memcmp(v[i].hdr, v[0].hdr, 16) == 0 && memcmp(v[i].hdr + 18, v[0].hdr + 18, 2) == 0;
        for (uint32_t k = 0; k < v[0].optlen; k++) {
            if (k >= v[0].ts_at && k < v[0].ts_at + 4u) continue;
            if (v[i].opt[k] != v[0].opt[k]) same = false;
        }
        CHECK(same);
    }
    CHECK_U64(TH_MIB(t->a, TcpExtTCPSynRetrans), 5);
    CHECK_U64(TH_MIB(t->a, TcpRetransSegs), 5);
    CHECK_U64(TH_MIB(t->a, TcpExtTCPTimeouts), 6);
    CHECK_EQ(sv.l->xf->syn_qlen, 0);
    CHECK_EQ(states[LN_TCP_LISTEN][LN_TCP_SYN_RCVD], 1);
    CHECK_EQ(states[LN_TCP_SYN_RCVD][LN_TCP_CLOSED], 1);
    server_stop(&sv);
    listen_free(t);
}

/* A retransmitted SYN gets the SYN-ACK again at once and restarts the
 * timer, at most once per 500 ms (tcp_check_req, tcp_oow_rate_limited). */
static void test_syn_rcvd_dup_syn(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    rawseg r = { .src = SPOOF(9), .sport = 1234, .seq = 77, .flags = LN_TCP_SYN, .mss_only = true };
    send_raw(t, &r);
    th_run_until(t, 200 * LN_MSEC);
    send_raw(t, &r);
    th_run_until(t, 300 * LN_MSEC);
    send_raw(t, &r);                        /* within 500 ms of the last answer */
    th_run_until(t, 1000 * LN_MSEC);
    th_seg v[8];
    CHECK_EQ(s_segs(t, 0, v, 8), 2);
    CHECK_U64(v[1].t, 200 * LN_MSEC + LINK_DELAY);   /* at once */
    CHECK_EQ(v[1].seq, v[0].seq);
    CHECK_U64(TH_MIB(t->a, TcpExtTCPSynRetrans), 1);
    th_run_until(t, 1300 * LN_MSEC);           /* the timer restarted at 0.2 s */
    CHECK_EQ(s_segs(t, 0, v, 8), 3);
    CHECK(v[2].t - v[1].t >= LN_SEC && v[2].t - v[1].t <= 1032 * LN_MSEC);
    CHECK_EQ(ln_tcp_stack_of(t->a)->n_reqs, 1);
    server_stop(&sv);
    listen_free(t);
}

/* RST in the window kills the request (EmbryonicRsts); an RST out of it,
 * or to the listener alone, is ignored; an ACK of something we never sent
 * gets a RST and leaves the request alone. */
static void test_syn_rcvd_rst_and_bad_ack(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    ln_tcp_stack *st = ln_tcp_stack_of(t->a);
    rawseg syn = { .src = SPOOF(10), .sport = 1000, .seq = 500, .flags = LN_TCP_SYN, .mss_only = true };
    send_raw(t, &syn);
    th_run_until(t, 10 * LN_MSEC);
    th_seg v[8];
    CHECK_EQ(s_segs(t, 0, v, 8), 1);
    uint32_t iss = v[0].seq;

    rawseg bad = { .src = SPOOF(10), .sport = 1000, .seq = 501, .ack = iss + 7, .flags = LN_TCP_ACK };
    send_raw(t, &bad);
    th_run_until(t, 20 * LN_MSEC);
    CHECK_EQ(s_segs(t, 0, v, 8), 2);
    CHECK_EQ(v[1].flags, LN_TCP_RST);
    CHECK_EQ(v[1].seq, iss + 7);
    CHECK_EQ(st->n_reqs, 1);
    CHECK_U64(TH_MIB(t->a, TcpExtSyncookiesFailed), 0);   /* no cookies sent lately */

    rawseg far = { .src = SPOOF(10), .sport = 1000, .seq = 501 + 200000, .flags = LN_TCP_RST };
    send_raw(t, &far);
    th_run_until(t, 30 * LN_MSEC);
    CHECK_EQ(st->n_reqs, 1);
    CHECK_EQ(s_segs(t, 0, v, 8), 2);

    rawseg alone = { .src = SPOOF(11), .sport = 1000, .seq = 1, .flags = LN_TCP_RST };
    send_raw(t, &alone);
    th_run_until(t, 40 * LN_MSEC);
    CHECK_EQ(s_segs(t, 0, v, 8), 2);

    rawseg rst = { .src = SPOOF(10), .sport = 1000, .seq = 501, .flags = LN_TCP_RST };
    send_raw(t, &rst);
    th_run_until(t, 50 * LN_MSEC);
    CHECK_EQ(st->n_reqs, 0);
    CHECK_U64(TH_MIB(t->a, TcpExtEmbryonicRsts), 1);
    CHECK_U64(TH_MIB(t->a, TcpAttemptFails), 1);
    CHECK_EQ(states[LN_TCP_SYN_RCVD][LN_TCP_CLOSED], 1);
    th_run_until(t, 5 * LN_SEC);
    CHECK_EQ(s_segs(t, 0, v, 8), 2);        /* no more SYN-ACKs */
    server_stop(&sv);
    listen_free(t);
}

/* An unacceptable segment for a request gets an ACK (<SEQ=ISS+1><ACK=
 * IRS+1>, tcp_v4_reqsk_send_ack), at most one per 500 ms; SYN+FIN is
 * dropped; an ICMP error about the SYN-ACK drops the request only if hard
 * and about our ISN (tcp_req_err). */
static void test_syn_rcvd_out_of_window_and_icmp(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    ln_tcp_stack *st = ln_tcp_stack_of(t->a);
    rawseg syn = { .src = SPOOF(30), .sport = 3000, .seq = 9000, .flags = LN_TCP_SYN,
                   .full = true, .tsval = 100 };
    send_raw(t, &syn);
    th_run_until(t, 10 * LN_MSEC);
    th_seg v[8];
    CHECK_EQ(s_segs(t, 0, v, 8), 1);
    uint32_t iss = v[0].seq;

    rawseg oow = { .src = SPOOF(30), .sport = 3000, .seq = 9001 + 100000, .ack = iss + 1,
                   .flags = LN_TCP_ACK, .ts = true, .tsval = 101, .tsecr = v[0].tsval };
    send_raw(t, &oow);
    th_run_until(t, 20 * LN_MSEC);
    send_raw(t, &oow);                      /* rate-limited */
    th_run_until(t, 30 * LN_MSEC);
    CHECK_EQ(s_segs(t, 0, v, 8), 2);
    CHECK_EQ(v[1].flags, LN_TCP_ACK);
    CHECK_EQ(v[1].seq, iss + 1);
    CHECK_EQ(v[1].ack, 9001);
    CHECK_EQ(v[1].wnd, 65160 >> 10);
    CHECK(v[1].has_ts);
    CHECK_EQ(v[1].tsecr, 100);
    CHECK_EQ(v[1].ipid, 0);
    CHECK_EQ(st->n_reqs, 1);

    rawseg synfin = { .src = SPOOF(31), .sport = 3001, .seq = 1,
                      .flags = LN_TCP_SYN | LN_TCP_FIN, .mss_only = true };
    send_raw(t, &synfin);
    th_run_until(t, 40 * LN_MSEC);
    CHECK_EQ(s_segs(t, 0, v, 8), 2);
    CHECK_EQ(st->n_reqs, 1);

    CHECK(!ln_tcp_listen_icmp(st, S_ADDR, PORT, SPOOF(30), 3001, NULL, iss, true));  /* no such request */
    CHECK(ln_tcp_listen_icmp(st, S_ADDR, PORT, SPOOF(30), 3000, NULL, iss + 5, true));
    CHECK_U64(TH_MIB(t->a, TcpExtOutOfWindowIcmps), 1);
    CHECK(ln_tcp_listen_icmp(st, S_ADDR, PORT, SPOOF(30), 3000, NULL, iss, false));
    CHECK_EQ(st->n_reqs, 1);
    uint64_t drops = TH_MIB(t->a, TcpExtListenDrops);
    CHECK(ln_tcp_listen_icmp(st, S_ADDR, PORT, SPOOF(30), 3000, NULL, iss, true));
    CHECK_EQ(st->n_reqs, 0);
    CHECK_U64(TH_MIB(t->a, TcpExtListenDrops), drops + 1);
    server_stop(&sv);
    listen_free(t);
}

/* ---- the handshake and the accept queue ---------------------------------------- */

static void test_listen_handshake_accept(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    client c;
    client_start(&c, t, true);
    th_run_until(t, 10 * LN_MSEC);
    CHECK(c.connected > 0);
    CHECK_EQ(ln_tcp_get_state(c.s), LN_TCP_ESTABLISHED);
    CHECK_EQ(sv.l->xf->acc_len, 1);
    ln_tcp_sock *a = ln_tcp_accept(sv.l);
    CHECK(a != NULL);
    if (a) {
        CHECK_EQ(ln_tcp_get_state(a), LN_TCP_ESTABLISHED);
        CHECK(a->listener == NULL);
        CHECK(!(a->flags & LN_TF_FROM_COOKIE));
        ln_tcp_info ci, ai;
        ln_tcp_get_info(c.s, &ci);
        ln_tcp_get_info(a, &ai);
        CHECK_EQ(ai.rport, ci.lport);
        CHECK_EQ(ai.iss, ci.irs);
        CHECK_EQ(ai.irs, ci.iss);
        CHECK(ai.ts && ai.sack);
        CHECK_EQ(ai.snd_wscale, 10);
        CHECK_EQ(ai.rcv_wscale, 10);
    }
    CHECK(ln_tcp_accept(sv.l) == NULL);
    CHECK_EQ(first_window(t, &c), 64);
    CHECK_EQ(sv.l->xf->acc_len, 0);
    CHECK_EQ(sv.l->xf->syn_qlen, 0);
    CHECK_EQ(ln_tcp_stack_of(t->a)->n_reqs, 0);
    CHECK_U64(TH_MIB(t->a, TcpPassiveOpens), 1);
    CHECK_EQ(states[LN_TCP_LISTEN][LN_TCP_SYN_RCVD], 1);
    CHECK_EQ(states[LN_TCP_SYN_RCVD][LN_TCP_ESTABLISHED], 1);
    th_seg v[8];
    CHECK_EQ(s_segs(t, 0, v, 8), 2);        /* the SYN-ACK, the ACK of the data */
    if (a) ln_tcp_close(a);
    client_stop(&c);
    server_stop(&sv);
    listen_free(t);
}

/* backlog 1 holds 2 connections (sk_acceptq_is_full: acc_len > backlog),
 * and 2 requests.  With one connection queued, two SYNs arrive together
 * and become requests; the second handshake's ACK finds the queue full and
 * is dropped, the request kept; its next SYN-ACK brings another ACK, which
 * succeeds once accept() made room.  A SYN that comes while the accept
 * queue is full is dropped at once. */
static void test_listen_accept_overflow(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 1, false);
    client c[4];
    client_start(&c[0], t, true);
    th_run_until(t, th_now(t) + 10 * LN_MSEC);
    CHECK_EQ(sv.l->xf->acc_len, 1);
    for (int i = 1; i < 3; i++) client_start(&c[i], t, true);
    th_run_until(t, th_now(t) + 10 * LN_MSEC);
    CHECK_EQ(sv.l->xf->acc_len, 2);
    CHECK_U64(TH_MIB(t->a, TcpExtSyncookiesSent), 0);
    CHECK_U64(TH_MIB(t->a, TcpExtListenOverflows), 1);
    CHECK_U64(TH_MIB(t->a, TcpExtListenDrops), 1);
    CHECK_EQ(sv.l->xf->syn_qlen, 1);
    CHECK_EQ(ln_tcp_get_state(c[2].s), LN_TCP_ESTABLISHED);    /* it thinks so */

    /* A new SYN now: dropped, the accept queue being full. */
    client_start(&c[3], t, true);
    th_run_until(t, th_now(t) + 10 * LN_MSEC);
    CHECK_U64(TH_MIB(t->a, TcpExtListenOverflows), 2);
    CHECK_U64(TH_MIB(t->a, TcpExtListenDrops), 2);
    CHECK_EQ(sv.l->xf->syn_qlen, 1);
    CHECK_EQ(ln_tcp_get_state(c[3].s), LN_TCP_SYN_SENT);
    client_stop(&c[3]);                     /* no SYN retransmission to muddle what follows */

    ln_tcp_sock *a = ln_tcp_accept(sv.l);
    CHECK(a != NULL);
    CHECK_EQ(sv.l->xf->acc_len, 1);
    th_run_until(t, 1100 * LN_MSEC);           /* the request's SYN-ACK at ~1 s */
    CHECK_EQ(sv.l->xf->acc_len, 2);
    CHECK_EQ(sv.l->xf->syn_qlen, 0);
    CHECK_U64(TH_MIB(t->a, TcpPassiveOpens), 3);
    if (a) ln_tcp_close(a);
    for (int i = 0; i < 4; i++) client_stop(&c[i]);
    server_stop(&sv);
    listen_free(t);
}

/* inet_csk_listen_stop(): closing the listener resets every connection in
 * its accept queue and drops its requests without a word. */
static void test_listen_close_resets_children(void)
{
    th *t = listen_new(1);
    server sv;
    server_start(&sv, t, 16, false);
    client c[2];
    for (int i = 0; i < 2; i++) client_start(&c[i], t, true);
    rawseg syn = { .src = SPOOF(20), .sport = 999, .seq = 1, .flags = LN_TCP_SYN, .mss_only = true };
    send_raw(t, &syn);
    th_run_until(t, 10 * LN_MSEC);
    CHECK_EQ(sv.l->xf->acc_len, 2);
    CHECK_EQ(ln_tcp_stack_of(t->a)->n_reqs, 1);
    th_seg v[16];
    int before = s_segs(t, 0, v, 16);
    uint64_t rsts = TH_MIB(t->a, TcpOutRsts);
    server_stop(&sv);
    CHECK_EQ(ln_tcp_stack_of(t->a)->n_reqs, 0);
    th_run_until(t, th_now(t) + 10 * LN_MSEC);
    int n = s_segs(t, 0, v, 16);
    CHECK_EQ(n - before, 2);
    for (int i = before; i < n && i < 16; i++) {
        CHECK_EQ(v[i].dst, C_ADDR);
        CHECK(v[i].flags & LN_TCP_RST);
    }
    CHECK_U64(TH_MIB(t->a, TcpOutRsts) - rsts, 2);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(c[i].err, LN_ECONNRESET);
        client_stop(&c[i]);
    }
    th_run_until(t, 10 * LN_SEC);
    CHECK_EQ(s_segs(t, SPOOF(20), v, 16), 1);   /* no SYN-ACK retransmission */
    listen_free(t);
}

/* ---- SYN cookies ------------------------------------------------------------------ */

static ln_tcp_seg syn_seg(uint32_t src, uint16_t sport, uint32_t seq, uint16_t mss)
{
    ln_tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = src; s.daddr = S_ADDR;
    s.sport = sport; s.dport = PORT;
    s.seq = seq;
    s.flags = LN_TCP_SYN;
    s.seg_len = 1;
    s.has_mss = mss != 0;
    s.mss = mss;
    return s;
}

static ln_tcp_seg ack_seg(const ln_tcp_seg *syn, uint32_t ack)
{
    ln_tcp_seg a = *syn;
    a.has_mss = false;
    a.mss = 0;
    a.flags = LN_TCP_ACK;
    a.seg_len = 0;
    a.seq = syn->seq + 1;
    a.ack = ack;
    return a;
}

static void test_cookie_roundtrip(void)
{
    th *t = listen_new(1);
    ln_tcp_stack *st = ln_tcp_stack_of(t->a);
    th_run_until(t, 500 * LN_MSEC);

    ln_tcp_seg syn = syn_seg(C_ADDR, 41726, 0xfffffff0u, 1460);
    uint16_t mss = 0;
    ln_seq c = ln_tcp_cookie_make(st, &syn, &mss);
    CHECK_EQ(mss, 1460);
    CHECK_EQ(ln_tcp_cookie_make(st, &syn, NULL), c);    /* no state, same answer */

    ln_tcp_req_params p;
    ln_tcp_seg ack = ack_seg(&syn, c + 1);
    CHECK(ln_tcp_cookie_check(st, &ack, &p));
    CHECK_EQ(p.iss, c);
    CHECK_EQ(p.irs, 0xfffffff0u);
    CHECK_EQ(p.peer_mss, 1460);
    CHECK(p.from_cookie);
    CHECK_EQ(p.laddr, S_ADDR);
    CHECK_EQ(p.raddr, C_ADDR);
    CHECK_EQ(p.lport, PORT);
    CHECK_EQ(p.rport, 41726);
    CHECK(!p.ts && !p.sack);
    CHECK_EQ(p.snd_wscale, -1);          /* no TS: WS and SACK are lost */
    CHECK_U64(TH_MIB(t->a, TcpExtSyncookiesRecv), 1);

    /* Forged: a wrong ack, another port, another sequence number.  (A
     * cookie one below is still "valid" with the next smaller MSS: the
     * index sits in the low bits, as in Linux.) */
    ln_tcp_seg bad = ack_seg(&syn, c + 1 + 0x10000);
    CHECK(!ln_tcp_cookie_check(st, &bad, &p));
    bad = ack_seg(&syn, c + 2);
    CHECK(!ln_tcp_cookie_check(st, &bad, &p));
    bad = ack_seg(&syn, c + 1);
    bad.sport++;
    CHECK(!ln_tcp_cookie_check(st, &bad, &p));
    bad = ack_seg(&syn, c + 1);
    bad.seq += 5;
    CHECK(!ln_tcp_cookie_check(st, &bad, &p));
    CHECK_U64(TH_MIB(t->a, TcpExtSyncookiesFailed), 4);
    bad = ack_seg(&syn, c);
    CHECK(ln_tcp_cookie_check(st, &bad, &p));
    CHECK_EQ(p.peer_mss, 1440);

    /* msstab {536, 1300, 1440, 1460}: the largest entry not above the
     * peer's MSS; no option means 536. */
    static const uint16_t in[] = { 9000, 1460, 1459, 1440, 1400, 1300, 1299, 536, 100, 0 };
    static const uint16_t out[] = { 1460, 1460, 1440, 1440, 1300, 1300, 536, 536, 536, 536 };
    for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
        ln_tcp_seg s = syn_seg(SPOOF(i + 1), (uint16_t)(2000 + i), 1000 * i, in[i]);
        ln_seq ci = ln_tcp_cookie_make(st, &s, &mss);
        CHECK_EQ(mss, out[i]);
        ln_tcp_seg a = ack_seg(&s, ci + 1);
        CHECK(ln_tcp_cookie_check(st, &a, &p));
        CHECK_EQ(p.peer_mss, out[i]);
    }

    /* Valid this minute and the next (MAX_SYNCOOKIE_AGE 2), never 2
     * minutes after it was made. */
    th_run_until(t, 60 * LN_SEC + 400 * LN_MSEC);
    CHECK(ln_tcp_cookie_check(st, &ack, &p));
    th_run_until(t, 119 * LN_SEC);
    CHECK(ln_tcp_cookie_check(st, &ack, &p));
    th_run_until(t, 120 * LN_SEC + 500 * LN_MSEC);
    CHECK(!ln_tcp_cookie_check(st, &ack, &p));
    listen_free(t);
}

/* cookie_init_timestamp: WS and SACK ride in the TSval's low 6 bits and
 * come back in the TSecr; the TSval never runs ahead of the clock. */
static void test_cookie_timestamp_options(void)
{
    th *t = listen_new(1);
    ln_tcp_stack *st = ln_tcp_stack_of(t->a);
    th_run_until(t, 12345 * LN_MSEC + 678 * LN_USEC);
    uint32_t off = ln_tcp_ts_offset(st, S_ADDR, C_ADDR, NULL);
    uint32_t clock = ln_tcp_tsval(st, 0);

    struct { int8_t ws; bool sack; } cases[] = { { 10, true }, { 7, false }, { -1, true },
                                                 { -1, false }, { 0, true }, { 14, false } };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t tsval = ln_tcp_cookie_tsval(st, cases[i].ws, cases[i].sack, off);
        uint32_t raw = tsval - off;
        CHECK_EQ(raw & 0x0f, cases[i].ws >= 0 ? cases[i].ws : 0x0f);
        CHECK_EQ((raw >> 4) & 1, cases[i].sack);
        CHECK((int32_t)(clock - raw) >= 0 && (int32_t)(clock - raw) < 64);

        ln_tcp_seg syn = syn_seg(C_ADDR, (uint16_t)(50000 + i), 123456 * i, 1460);
        ln_seq c = ln_tcp_cookie_make(st, &syn, NULL);
        ln_tcp_seg ack = ack_seg(&syn, c + 1);
        ack.has_ts = true;
        ack.tsval = 999000 + i;
        ack.tsecr = tsval;
        ln_tcp_req_params p;
        CHECK(ln_tcp_cookie_check(st, &ack, &p));
        CHECK(p.ts);
        CHECK_EQ(p.ts_recent, 999000 + i);
        CHECK_EQ(p.ts_offset, off);
        CHECK_EQ(p.sack, cases[i].sack);
        CHECK_EQ(p.snd_wscale, cases[i].ws);
    }
    /* SACK in the cookie while the host has SACK off: refused (Linux). */
    ln_tcp_cfg_of(t->a)->sack = false;
    ln_tcp_seg syn = syn_seg(C_ADDR, 60000, 1, 1460);
    ln_tcp_seg ack = ack_seg(&syn, ln_tcp_cookie_make(st, &syn, NULL) + 1);
    ack.has_ts = true;
    ack.tsval = 1;
    ack.tsecr = ln_tcp_cookie_tsval(st, 10, true, off);
    ln_tcp_req_params p;
    CHECK(!ln_tcp_cookie_check(st, &ack, &p));
    listen_free(t);
}

/* A legitimate connect through a cookie (tcp_syncookies = 2): a normal-
 * looking SYN-ACK (full options, 65160, IP ID 0) whose TSval carries WS 10
 * and SACK; the connection keeps wscale and SACK, no request is kept. */
static void test_listen_cookie_connection(void)
{
    th *t = listen_new(2);
    server sv;
    server_start(&sv, t, 16, false);
    ln_tcp_stack *st = ln_tcp_stack_of(t->a);
    client c;
    client_start(&c, t, true);
    th_run_until(t, 10 * LN_MSEC);
    CHECK(c.connected > 0);
    CHECK_EQ(st->n_reqs, 0);
    CHECK_EQ(states[LN_TCP_LISTEN][LN_TCP_SYN_RCVD], 0);
    th_seg v[4];
    CHECK(s_segs(t, 0, v, 4) >= 1);
    CHECK_EQ(v[0].flags, LN_TCP_SYN | LN_TCP_ACK);
    CHECK_EQ(v[0].wnd, 65160);
    CHECK_EQ(20 + v[0].optlen, 40);
    CHECK_EQ(v[0].ipid, 0);
    uint32_t off = ln_tcp_ts_offset(st, S_ADDR, C_ADDR, NULL);
    CHECK_EQ((v[0].tsval - off) & 0x3f, 10 | 0x10);
    CHECK_U64(TH_MIB(t->a, TcpExtSyncookiesSent), 1);
    CHECK_U64(TH_MIB(t->a, TcpExtTCPReqQFullDoCookies), 1);
    CHECK_U64(TH_MIB(t->a, TcpExtSyncookiesRecv), 1);
    ln_tcp_sock *a = ln_tcp_accept(sv.l);
    CHECK(a != NULL);
    if (a) {
        ln_tcp_info ai;
        ln_tcp_get_info(a, &ai);
        CHECK_EQ(ln_tcp_get_state(a), LN_TCP_ESTABLISHED);
        CHECK(a->flags & LN_TF_FROM_COOKIE);
        CHECK(ai.ts && ai.sack);
        CHECK_EQ(ai.snd_wscale, 10);
        CHECK_EQ(ai.mss, 1448);
        CHECK_EQ(first_window(t, &c), 63);
        ln_tcp_close(a);
    }
    CHECK_U64(TH_MIB(t->a, TcpPassiveOpens), 1);

    /* Cookies went out lately, so a stray ACK is checked as one: it fails
     * (SyncookiesFailed) and gets its RST. */
    rawseg stray = { .src = SPOOF(40), .sport = 4000, .seq = 1, .ack = 12345, .flags = LN_TCP_ACK };
    int before = s_segs(t, 0, v, 4);
    send_raw(t, &stray);
    th_run_until(t, th_now(t) + 10 * LN_MSEC);
    CHECK_U64(TH_MIB(t->a, TcpExtSyncookiesFailed), 1);
    th_seg all[16];
    int n = s_segs(t, 0, all, 16);
    CHECK_EQ(n, before + 1);
    if (n == before + 1 && n <= 16) {
        CHECK_EQ(all[n - 1].flags, LN_TCP_RST);
        CHECK_EQ(all[n - 1].seq, 12345);
    }
    client_stop(&c);
    server_stop(&sv);
    listen_free(t);
}

/* ---- SYN floods: reference 9 ---------------------------------------------------- */

typedef struct flood {
    th *h;
    ln_rng rng;
    ln_timer t;
    int sent, total;
} flood;

static void flood_next(void *arg)
{
    flood *f = arg;
    rawseg r = { .src = SPOOF(1 + ln_rng_below(&f->rng, 254)),
                 .sport = (uint16_t)(1024 + ln_rng_below(&f->rng, 64512)),
                 .seq = (uint32_t)ln_rng_next(&f->rng),
                 .flags = LN_TCP_SYN, .mss_only = true };
    send_raw(f->h, &r);
    if (++f->sent < f->total)
        ln_timer_arm(&f->h->net->sim, &f->t, (ln_time)f->sent * LN_SEC / 150);
}

typedef struct flood_result {
    uint32_t half_open_5s;
    uint64_t reqqfull_drop, listen_drops, docookies, cookies_sent, cookies_recv,
             cookies_failed, overflows, synretrans, timeouts, passive;
    int synacks_spoofed;
    int per_req[8];             /* requests by SYN-ACKs sent (1..6, 7: more) */
    double legit_s, legit2_s;
} flood_result;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* 2000 spoofed MSS-only SYNs at 150/s from 10.99.1.1-254 to backlog 16; a
 * legitimate connect 1 s in, a second one once the flood is over (and the
 * first is through); counters read at 22.3 s, as the reference does. */
static flood_result run_flood(uint32_t cookies)
{
    flood_result res;
    memset(&res, 0, sizeof res);
    th *t = listen_new(cookies);
    server sv;
    server_start(&sv, t, 16, true);
    flood f = { .h = t, .total = 2000 };
    ln_rng_seed(&f.rng, 7);
    ln_timer_init(&f.t, flood_next, &f);
    ln_timer_arm(&t->net->sim, &f.t, 0);

    client c1, c2;
    bool c2_started = false;
    th_run_until(t, LN_SEC);
    client_start(&c1, t, false);
    for (ln_time at = LN_SEC; at < 22300 * LN_MSEC; at += 10 * LN_MSEC) {
        th_run_until(t, at);
        if (at == 5 * LN_SEC) res.half_open_5s = ln_tcp_stack_of(t->a)->n_reqs;
        if (!c2_started && f.sent == f.total && at >= 13370 * LN_MSEC && c1.connected &&
            at >= c1.connected + 40 * LN_MSEC) {
            client_start(&c2, t, false);
            c2_started = true;
        }
    }
    th_run_until(t, 22300 * LN_MSEC);
    res.reqqfull_drop = TH_MIB(t->a, TcpExtTCPReqQFullDrop);
    res.listen_drops = TH_MIB(t->a, TcpExtListenDrops);
    res.docookies = TH_MIB(t->a, TcpExtTCPReqQFullDoCookies);
    res.cookies_sent = TH_MIB(t->a, TcpExtSyncookiesSent);
    res.cookies_recv = TH_MIB(t->a, TcpExtSyncookiesRecv);
    res.cookies_failed = TH_MIB(t->a, TcpExtSyncookiesFailed);
    res.overflows = TH_MIB(t->a, TcpExtListenOverflows);
    res.synretrans = TH_MIB(t->a, TcpExtTCPSynRetrans);
    res.timeouts = TH_MIB(t->a, TcpExtTCPTimeouts);
    res.passive = TH_MIB(t->a, TcpPassiveOpens);
    uint64_t *keys = malloc((size_t)(t->n ? t->n : 1) * sizeof *keys);
    for (uint32_t i = 0; i < t->n; i++) {
        const th_seg *g = &t->seg[i];
        if (g->src == S_ADDR && (g->dst >> 8) == (SPOOF(0) >> 8) && g->flags == F_SA)
            keys[res.synacks_spoofed++] = (uint64_t)g->dst << 32 | (uint64_t)g->dport << 16;
    }
    /* SYN-ACKs per request: the same 4-tuple (random ports make repeats
     * of a 4-tuple among the 2000 SYNs unlikely). */
    qsort(keys, (size_t)res.synacks_spoofed, sizeof *keys, cmp_u64);
    for (int i = 0, j; i < res.synacks_spoofed; i = j) {
        for (j = i; j < res.synacks_spoofed && keys[j] == keys[i]; j++) {}
        res.per_req[j - i < 7 ? j - i : 7]++;
    }
    free(keys);
    res.legit_s = c1.connected ? (double)(c1.connected - c1.started) / LN_SEC : -1;
    res.legit2_s = c2_started && c2.connected ? (double)(c2.connected - c2.started) / LN_SEC : -1;
    CHECK_EQ(sv.accepted, 2);
    CHECK_EQ(c1.err, 0);

    client_stop(&c1);
    if (c2_started) client_stop(&c2);
    server_stop(&sv);
    listen_free(t);
    printf("  cookies=%u: half-open@5s %u, SYN-ACKs to spoofed %d, ReqQFullDrop %llu, "
           "ListenDrops %llu, ReqQFullDoCookies %llu, SyncookiesSent/Recv/Failed %llu/%llu/%llu, "
           "ListenOverflows %llu, TCPSynRetrans %llu, TCPTimeouts %llu, PassiveOpens %llu, "
           "legit connect %.6f s, second %.6f s; requests by SYN-ACKs sent: "
           "1: %d, 2: %d, 3: %d, 4: %d, 5: %d, 6: %d\n",
           cookies, res.half_open_5s, res.synacks_spoofed,
           (unsigned long long)res.reqqfull_drop, (unsigned long long)res.listen_drops,
           (unsigned long long)res.docookies, (unsigned long long)res.cookies_sent,
           (unsigned long long)res.cookies_recv, (unsigned long long)res.cookies_failed,
           (unsigned long long)res.overflows, (unsigned long long)res.synretrans,
           (unsigned long long)res.timeouts, (unsigned long long)res.passive,
           res.legit_s, res.legit2_s, res.per_req[1], res.per_req[2], res.per_req[3],
           res.per_req[4], res.per_req[5], res.per_req[6]);
    return res;
}

static bool near(uint64_t got, uint64_t want, uint64_t tol)
{
    return got + tol >= want && got <= want + tol;
}

/* tcp_syncookies = 0: 17 half-open, the rest dropped silently (1982 in
 * the reference), the legitimate client blocked for about 19.5 s. */
static void test_flood_cookies_off(void)
{
    flood_result r = run_flood(0);
    CHECK_EQ(r.half_open_5s, 17);
    CHECK(near(r.reqqfull_drop, 1982, 2));
    CHECK_U64(r.listen_drops, r.reqqfull_drop);
    CHECK_U64(r.docookies, 0);
    CHECK_U64(r.cookies_sent, 0);
    CHECK_U64(r.cookies_recv, 0);
    CHECK_U64(r.overflows, 0);
    CHECK(near(r.synretrans, 68, 2));
    /* Requests admitted (2000 - drops of spoofed SYNs) + retransmissions:
     * 94 = 26 + 68 in the reference; the 8 legitimate SYNs dropped count
     * in ReqQFullDrop too. */
    CHECK(near((uint64_t)r.synacks_spoofed, 94, 2));
    /* Pruning: 18 requests got only 3 SYN-ACKs, 8 the normal 5 so far. */
    CHECK_EQ(r.per_req[3], 18);
    CHECK_EQ(r.per_req[5], 8);
    CHECK(near(r.timeouts, 86, 2));
    CHECK_U64(r.passive, 2);
    CHECK(r.legit_s > 18.5 && r.legit_s < 20.5);
    CHECK(r.legit2_s >= 0 && r.legit2_s < 0.001);
}

/* tcp_syncookies = 1: 17 half-open as well, cookies for everything
 * beyond (1976 in the reference), the legitimate clients served at once. */
static void test_flood_cookies_on(void)
{
    flood_result r = run_flood(1);
    CHECK_EQ(r.half_open_5s, 17);
    CHECK_U64(r.reqqfull_drop, 0);
    CHECK_U64(r.listen_drops, 0);
    CHECK(near(r.docookies, 1976, 2));
    CHECK_U64(r.cookies_sent, r.docookies);
    CHECK_U64(r.cookies_recv, 2);
    CHECK_U64(r.cookies_failed, 0);
    CHECK(near(r.synretrans, 68, 2));
    /* One SYN-ACK per spoofed SYN (cookie or request) + retransmissions:
     * 2068 = 2000 + 68 in the reference. */
    CHECK_EQ(r.synacks_spoofed, 2000 + (int)r.synretrans);
    CHECK_EQ(r.per_req[3], 18);
    CHECK_EQ(r.per_req[5], 8);
    CHECK(near(r.timeouts, 86, 2));
    CHECK_U64(r.passive, 2);
    CHECK(r.legit_s >= 0 && r.legit_s < 0.001);
    CHECK(r.legit2_s >= 0 && r.legit2_s < 0.001);
}

/* tcp_syncookies = 2: no request at all, one SYN-ACK per SYN, 2002 cookies. */
static void test_flood_cookies_always(void)
{
    flood_result r = run_flood(2);
    CHECK_EQ(r.half_open_5s, 0);
    CHECK_U64(r.reqqfull_drop, 0);
    CHECK_U64(r.listen_drops, 0);
    CHECK_U64(r.docookies, 2002);
    CHECK_U64(r.cookies_sent, 2002);
    CHECK_U64(r.cookies_recv, 2);
    CHECK_U64(r.cookies_failed, 0);
    CHECK_U64(r.synretrans, 0);
    CHECK_U64(r.timeouts, 0);
    CHECK_EQ(r.synacks_spoofed, 2000);
    CHECK_EQ(r.per_req[1], 2000);
    CHECK_U64(r.passive, 2);
    CHECK(r.legit_s >= 0 && r.legit_s < 0.001);
    CHECK(r.legit2_s >= 0 && r.legit2_s < 0.001);
}

int main(void)
{
    test_listen_syn_full_options();
    test_listen_syn_mss_only();
    test_syn_rcvd_synack_retransmission();
    test_syn_rcvd_dup_syn();
    test_syn_rcvd_rst_and_bad_ack();
    test_syn_rcvd_out_of_window_and_icmp();
    test_listen_handshake_accept();
    test_listen_accept_overflow();
    test_listen_close_resets_children();
    test_cookie_roundtrip();
    test_cookie_timestamp_options();
    test_listen_cookie_connection();
    test_flood_cookies_off();
    test_flood_cookies_on();
    test_flood_cookies_always();
    return check_report("test_tcp_listen");
}
