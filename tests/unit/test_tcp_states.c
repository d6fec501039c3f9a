/* test_tcp_states.c - every transition of RFC 9293's state diagram
 * (3.3.2, figure 5), with the exact segments each one sends.
 *
 * Host a runs the real stack (ISN 1000); b is played by the test (ISN
 * 2000, ports 80 <-> 40000, timestamps and window scale 10 like Linux).
 * Each test builds its connection through a real handshake, feeds b's
 * segments, asserts what a sends and then that nothing more was sent, and
 * checks no packet buffer leaked. */
#include "tcp_conn.h"

static th *T;

static th *start(th *t)
{
    th_init(t, true);
    return T = t;
}

static void bsend(uint8_t flags, ln_seq seq, ln_seq ack, uint32_t len) { th_bsend(T, flags, seq, ack, len); }

static uint32_t nsocks(ln_node *n)
{
    ln_tcp_stack_info si;
    ln_tcp_stack_info_get(n, &si);
    return si.sockets;
}

/* a's one socket lives until `when` exactly, then goes. */
static void gone_at(th *t, ln_time when)
{
    th_run_until(t, when - 1);
    CHECK_EQ(nsocks(t->a), 1);
    th_run_until(t, when);
    th_settle(t);
    CHECK_EQ(nsocks(t->a), 0);
}

/* b's 100 bytes (ACKed at once, a quick ACK), read by the application,
 * then b's FIN: CLOSE_WAIT, with the ACK of the FIN left to the
 * delayed-ACK timer, since the exchange made the connection interactive. */
static void data_then_fin(ln_tcp_sock *s)
{
    bsend(F_PA, 2001, 1001, 100);
    TH_EXPECT(T, TH_A, F_A, 1001, 2101, 0, 63);
    char buf[200];
    CHECK_EQ(ln_tcp_recv(s, buf, sizeof buf), 100);
    bsend(F_FA, 2101, 1001, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSE_WAIT);
}

/* FIN_WAIT_1 + b's FIN, not acknowledging ours: a simultaneous close.
 * CLOSING, with an ACK at once; then b's ACK of our FIN: TIME_WAIT. */
static void simultaneous_close(ln_tcp_sock *s)
{
    bsend(F_FA, 2001, 1001, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSING);
    TH_EXPECT(T, TH_A, F_A, 1002, 2002, 0, 63);
    TH_NONE(T, TH_A);
    bsend(F_A, 2002, 1002, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_TIME_WAIT);
}

/* CLOSED -> SYN_SENT: the SYN, byte for byte Linux's (reference 1). */
static void test_closed_connect(void)
{
    th t;
    th_init(&t, true);
    ln_tcp_cfg_of(t.a)->fixed_isn = 1000;
    ln_tcp_sock *s = ln_tcp_socket(t.a);
    CHECK_EQ(ln_tcp_bind(s, 0, 40000), 0);
    CHECK_EQ(ln_tcp_connect(s, TH_B, 80), 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_SENT);
    th_settle(&t);
    th_seg *g = TH_EXPECT(&t, TH_A, F_S, 1000, 0, 0, 64240);
    if (g) {
        uint8_t want[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 10 };
        ln_put32(want + 8, g->tsval);
        CHECK_EQ(g->optlen, 20);
        CHECK(memcmp(g->opt, want, 20) == 0);
        CHECK(g->df);
        CHECK_EQ(g->ttl, 64);
        CHECK_EQ(g->sport, 40000);
        CHECK_EQ(g->dport, 80);
    }
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpActiveOpens), 1);
    th_free(&t);
}

/* The SYN's options follow the node's settings and TCP_MAXSEG, in
 * Linux's layouts (tcp_options_write): without TS, MSS NOP NOP SACK_PERM
 * NOP WS; with nothing, MSS alone; TCP_MAXSEG lowers the MSS option. */
static void test_closed_connect_options(void)
{
    th t;
    th_init(&t, true);
    ln_tcp_cfg *c = ln_tcp_cfg_of(t.a);
    c->fixed_isn = 1000;
    c->timestamps = false;
    ln_tcp_sock *s = ln_tcp_socket(t.a);
    ln_tcp_connect(s, TH_B, 80);
    th_settle(&t);
    th_seg *g = TH_EXPECT(&t, TH_A, F_S, 1000, 0, 0, 64240);
    if (g) {
        static const uint8_t want[12] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 10 };
        CHECK(g->optlen == 12 && memcmp(g->opt, want, 12) == 0);
    }
    c->sack = c->window_scaling = false;
    s = ln_tcp_socket(t.a);
    ln_tcp_setopt(s, LN_TCP_OPT_MAXSEG, 1000);
    ln_tcp_connect(s, TH_B, 81);
    th_settle(&t);
    g = TH_EXPECT(&t, TH_A, F_S, 1000, 0, 0, 65000);     /* 65 x 1000 */
    if (g) {
        static const uint8_t want[4] = { 2, 4, 0x03, 0xe8 };
        CHECK(g->optlen == 4 && memcmp(g->opt, want, 4) == 0);
    }
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* SYN_SENT -> ESTABLISHED on the SYN-ACK: <SEQ=SND.NXT><ACK=RCV.NXT>,
 * window 63 x 1024 (reference 2), options NOP NOP TS echoing b. */
static void test_syn_sent_synack(void)
{
    th t;
    ln_tcp_sock *s = th_syn_sent(start(&t));
    th_notes n;
    th_watch(s, &n);
    th_tx x = th_bsynack(&t);
    th_deliver(&t, &x);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, 63);
    if (g) {
        CHECK_EQ(g->optlen, 12);
        CHECK(g->opt[0] == 1 && g->opt[1] == 1 && g->opt[2] == 8);
        CHECK_EQ(g->tsecr, 5000);
    }
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    CHECK(n.ev & LN_TCP_EV_CONNECTED);
    CHECK(n.ev & LN_TCP_EV_WRITABLE);
    CHECK_U64(TH_MIB(t.a, TcpCurrEstab), 1);
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.snd_wnd, 65160);             /* a SYN's window is never scaled */
    CHECK_EQ(in.mss, 1448);
    CHECK_EQ(in.snd_wscale, 10);
    CHECK_EQ(in.rcv_wscale, 10);
    CHECK_EQ(in.cwnd, 10);
    th_free(&t);
}

/* SYN_SENT + SYN: simultaneous open (RFC 9293 figure 8).  a answers
 * with SYN,ACK (same ISN) and is in SYN_RCVD; b's SYN,ACK completes it
 * and gets an ACK. */
static void test_syn_sent_syn(void)
{
    th t;
    ln_tcp_sock *s = th_syn_sent(start(&t));
    th_notes n;
    th_watch(s, &n);
    th_tx x = th_bsyn();
    th_deliver(&t, &x);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_RCVD);
    th_seg *g = TH_EXPECT(&t, TH_A, F_SA, 1000, 2001, 0, 64240);
    if (g) {
        CHECK(g->has_mss && g->mss == 1460);
        CHECK(g->sack_perm && g->has_ts && g->has_ws && g->ws == 10);
        CHECK_EQ(g->tsecr, 5000);
    }
    TH_NONE(&t, TH_A);
    /* b's SYN,ACK: it acknowledges our SYN; we acknowledge its SYN again. */
    x.flags = F_SA;
    x.ack = 1001;
    x.tsval = 5001;
    th_deliver(&t, &x);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, -1);
    TH_NONE(&t, TH_A);
    CHECK(n.ev & LN_TCP_EV_CONNECTED);
    CHECK_U64(TH_MIB(t.a, TcpActiveOpens), 1);
    CHECK_U64(TH_MIB(t.a, TcpPassiveOpens), 0);
    th_free(&t);
}

/* SYN_RCVD (simultaneous open) + ACK: ESTABLISHED, nothing to send. */
static void test_syn_rcvd_ack(void)
{
    th t;
    ln_tcp_sock *s = th_syn_rcvd(start(&t));
    bsend(F_A, 2001, 1001, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    TH_NONE(&t, TH_A);
    /* An ACK that does not acknowledge our SYN, in SYN_RCVD, gets a reset
     * <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.4). */
    th_free(&t);
    s = th_syn_rcvd(start(&t));
    bsend(F_A, 2001, 5000, 0);
    TH_EXPECT(&t, TH_A, F_R, 5000, 0, 0, 0);
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_RCVD);
    th_free(&t);
}

/* A simultaneous open with a peer that sends MSS alone: SYN_RCVD, with
 * a's SYN,ACK already consumed. */
static ln_tcp_sock *syn_rcvd_mss_only(th *t)
{
    ln_tcp_sock *s = th_syn_sent(t);
    th_tx x = { .sport = 80, .dport = 40000, .seq = 2000, .flags = F_S, .wnd = 64240,
                .syn_opts = true, .mss = 1460, .ws = -1 };
    th_deliver(t, &x);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_RCVD);
    th_skip(t);
    return s;
}

/* A simultaneous open that the peer resets (SYN_RCVD + RST at RCV.NXT):
 * "connection refused", as it came from SYN_SENT (RFC 9293 3.10.7.4). */
static void test_syn_rcvd_rst(void)
{
    th t;
    ln_tcp_sock *s = syn_rcvd_mss_only(start(&t));
    th_tx r = { .sport = 80, .dport = 40000, .seq = 2001, .flags = F_R };
    th_send(&t, &r);
    th_settle(&t);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), LN_ECONNREFUSED);
    CHECK_U64(TH_MIB(t.a, TcpAttemptFails), 1);
    th_run(&t, 5 * LN_SEC);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* close() in SYN_RCVD (simultaneous open): FIN_WAIT_1, the FIN right
 * after the SYN (Linux's tcp_close_state); the peer's ACK of both ->
 * FIN_WAIT_2. */
static void test_syn_rcvd_close(void)
{
    th t;
    ln_tcp_sock *s = syn_rcvd_mss_only(start(&t));
    ln_tcp_shutdown(s, LN_SHUT_WR);
    th_settle(&t);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_FIN_WAIT_1);
    TH_EXPECT(&t, TH_A, F_FA, 1001, 2001, 0, -1);
    TH_NONE(&t, TH_A);
    th_tx a = { .sport = 80, .dport = 40000, .seq = 2001, .ack = 1002, .flags = F_A, .wnd = 64240 };
    th_send(&t, &a);
    th_settle(&t);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_FIN_WAIT_2);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* LISTEN + SYN -> (request) SYN_RCVD -> ESTABLISHED on the ACK: the
 * SYN-ACK mirrors the SYN, window 65160, IP ID 0 (reference 1). */
static void test_listen_syn(void)
{
    th t;
    start(&t);
    ln_tcp_cfg_of(t.a)->fixed_isn = 1000;
    th_notes ln;
    ln_tcp_sock *l = th_listen(t.a, 40000, &ln);
    CHECK_EQ(ln_tcp_get_state(l), LN_TCP_LISTEN);
    th_tx x = th_bsyn();
    th_deliver(&t, &x);
    th_seg *g = TH_EXPECT(&t, TH_A, F_SA, 1000, 2001, 0, 65160);
    if (g) {
        uint8_t want[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0x13, 0x88, 1, 3, 3, 10 };
        ln_put32(want + 8, g->tsval);
        CHECK(g->optlen == 20 && memcmp(g->opt, want, 20) == 0);
        CHECK_EQ(g->ipid, 0);
    }
    TH_NONE(&t, TH_A);
    CHECK(ln.accepted == NULL);
    bsend(F_A, 2001, 1001, 0);
    CHECK(ln.accepted != NULL);
    if (ln.accepted) {
        CHECK_EQ(ln_tcp_get_state(ln.accepted), LN_TCP_ESTABLISHED);
        ln_tcp_info in;
        ln_tcp_get_info(ln.accepted, &in);
        CHECK_EQ(in.mss, 1448);
        CHECK_EQ(in.snd_wnd, 64u << 10);
    }
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpPassiveOpens), 1);
    CHECK_U64(TH_MIB(t.a, TcpCurrEstab), 1);
    th_free(&t);
}

/* ESTABLISHED -close-> FIN_WAIT_1 -ACK-> FIN_WAIT_2 -FIN-> TIME_WAIT
 * -2 MSL-> gone.  The last ACK comes from the orphaned FIN_WAIT_2 with
 * IP ID 0 (reference 2, four_way_close frame 13). */
static void test_established_close(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_tcp_close(s);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_FIN_WAIT_1);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_FA, 1001, 2001, 0, 63);
    TH_NONE(&t, TH_A);
    bsend(F_A, 2001, 1002, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_FIN_WAIT_2);
    TH_NONE(&t, TH_A);
    th_run(&t, 200 * LN_MSEC);
    bsend(F_FA, 2001, 1002, 0);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1002, 2002, 0, 63);
    if (g) CHECK_EQ(g->ipid, 0);
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_TIME_WAIT);
    CHECK_EQ(nsocks(t.a), 1);
    /* Counted as it starts (Linux's __inet_twsk_schedule), once. */
    CHECK_U64(TH_MIB(t.a, TcpExtTW), 1);
    gone_at(&t, th_now(&t) + 60 * LN_SEC);
    CHECK_U64(TH_MIB(t.a, TcpExtTW), 1);
    CHECK_U64(TH_MIB(t.a, TcpCurrEstab), 0);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* ESTABLISHED + FIN -> CLOSE_WAIT: Linux delays the ACK of a FIN
 * (pingpong), 40 ms with nothing to carry it; close -> LAST_ACK with our
 * FIN; its ACK -> CLOSED, and the passive closer keeps no TIME_WAIT. */
static void test_established_fin(void)
{
    th t;
    th_notes n;
    ln_tcp_sock *s = th_established(start(&t));
    th_watch(s, &n);
    data_then_fin(s);
    CHECK(n.ev & LN_TCP_EV_READABLE);
    char buf[1];
    CHECK_EQ(ln_tcp_recv(s, buf, sizeof buf), 0);
    TH_NONE(&t, TH_A);
    th_run(&t, 40 * LN_MSEC - 1);
    TH_NONE(&t, TH_A);
    th_run(&t, 1);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1001, 2102, 0, 63);
    if (g) CHECK_U64(g->t, 40 * LN_MSEC);
    CHECK_U64(TH_MIB(t.a, TcpExtDelayedACKs), 1);
    ln_tcp_close(s);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_LAST_ACK);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_FA, 1001, 2102, 0, 63);
    bsend(F_A, 2102, 1002, 0);
    th_settle(&t);
    CHECK_EQ(nsocks(t.a), 0);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTW), 0);
    th_free(&t);
}

/* CLOSE_WAIT + close within the delayed-ACK time: the FIN carries the
 * ACK of the peer's FIN -- Linux's three-segment close (reference 2). */
static void test_close_wait_close(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    data_then_fin(s);
    th_run(&t, 100 * LN_USEC);
    ln_tcp_close(s);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_FA, 1001, 2102, 0, 63);
    th_run(&t, 100 * LN_MSEC);
    TH_NONE(&t, TH_A);                        /* no separate ACK, no retransmission yet */
    bsend(F_A, 2102, 1002, 0);
    CHECK_EQ(nsocks(t.a), 0);
    th_free(&t);
}

/* FIN_WAIT_1 + FIN (not acknowledging ours): simultaneous close ->
 * CLOSING, ACK at once; then the ACK of our FIN -> TIME_WAIT. */
static void test_fin_wait_1_fin(void)
{
    th t;
    ln_tcp_sock *s = th_fin_wait_1(start(&t));
    simultaneous_close(s);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* FIN_WAIT_1 + FIN,ACK of our FIN: straight to TIME_WAIT; the ACK comes
 * from the full socket (its own IP ID, reference 3). */
static void test_fin_wait_1_finack(void)
{
    th t;
    ln_tcp_sock *s = th_fin_wait_1(start(&t));
    th_seg *fin = th_last(&t);
    bsend(F_FA, 2001, 1002, 0);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1002, 2002, 0, 63);
    if (g && fin) CHECK_EQ(g->ipid, (uint16_t)(fin->ipid + 1));
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_TIME_WAIT);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* Half-close: after shutdown(SHUT_WR) and its ACK, FIN_WAIT_2 still
 * receives (and ACKs) data; the peer's FIN -> TIME_WAIT and EOF. */
static void test_fin_wait_2_data(void)
{
    th t;
    th_notes n;
    ln_tcp_sock *s = th_fin_wait_2(start(&t));
    th_watch(s, &n);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_FIN_WAIT_2);
    CHECK_EQ(ln_tcp_send(s, "x", 1), LN_ECLOSED);
    bsend(F_PA, 2001, 1002, 100);
    TH_EXPECT(&t, TH_A, F_A, 1002, 2101, 0, 63);
    char buf[200];
    CHECK_EQ(ln_tcp_recv(s, buf, sizeof buf), 100);
    CHECK_EQ(buf[0], (char)(uint8_t)2001);    /* th_send's pattern: (uint8_t)seq */
    bsend(F_FA, 2101, 1002, 0);
    TH_EXPECT(&t, TH_A, F_A, 1002, 2102, 0, 63);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_TIME_WAIT);
    CHECK_EQ(ln_tcp_recv(s, buf, sizeof buf), 0);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* CLOSE_WAIT: the other half still sends (half-close from the peer). */
static void test_close_wait_send(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    data_then_fin(s);
    th_run(&t, 10 * LN_MSEC);
    CHECK_EQ(ln_tcp_send(s, "hello", 5), 5);
    th_settle(&t);
    /* The data carries the ACK of the FIN (pingpong delayed it). */
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2102, 5, 63);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* Retransmissions in FIN_WAIT_1: the FIN again after one RTO. */
static void test_fin_wait_1_rto(void)
{
    th t;
    ln_tcp_sock *s = th_fin_wait_1(start(&t));
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_U64(in.rto, 204 * LN_MSEC);        /* 200 ms + 1 us SRTT, in 4 ms jiffies */
    ln_time t0 = th_now(&t);
    th_run(&t, 204 * LN_MSEC);
    th_seg *g = TH_EXPECT(&t, TH_A, F_FA, 1001, 2001, 0, 63);
    if (g) CHECK_U64(g->t - t0, 204 * LN_MSEC);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpRetransSegs), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPTimeouts), 1);
    bsend(F_A, 2001, 1002, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_FIN_WAIT_2);
    th_run(&t, 10 * LN_SEC);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* ESTABLISHED, data lost: the same bytes again as a tail-loss probe
 * (RFC 8985 7.2: 2 SRTT + 200 ms for one segment out, capped by the RTO,
 * so 204 ms here), then after one RTO from the probe (RFC 6298 5.5). */
static void test_established_rto(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_time t0 = th_now(&t);
    CHECK_EQ(ln_tcp_send(s, "0123456789", 10), 10);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    th_run(&t, 204 * LN_MSEC);
    th_seg *g = TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    if (g) CHECK_U64(g->t - t0, 204 * LN_MSEC);
    th_run(&t, 408 * LN_MSEC);
    g = TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    if (g) CHECK_U64(g->t - t0, 408 * LN_MSEC);
    TH_NONE(&t, TH_A);
    bsend(F_A, 2001, 1011, 0);
    th_run(&t, 5 * LN_SEC);
    TH_NONE(&t, TH_A);
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.backoff, 0);
    CHECK_EQ(in.cwnd, 2);                    /* slow start from 1 after the RTO */
    th_free(&t);
}

/* Closing in every state (RFC 9293 3.10.4). */
static void test_any_close(void)
{
    th t;
    /* CLOSED: nothing to send; the socket goes. */
    start(&t);
    ln_tcp_sock *s = ln_tcp_socket(t.a);
    CHECK_EQ(nsocks(t.a), 1);
    ln_tcp_close(s);
    th_settle(&t);
    CHECK_EQ(nsocks(t.a), 0);
    TH_NONE(&t, TH_A);
    th_free(&t);

    /* LISTEN: the listener goes; a SYN then meets a closed port. */
    start(&t);
    th_notes ln;
    ln_tcp_sock *l = th_listen(t.a, 40000, &ln);
    ln_tcp_close(l);
    th_settle(&t);
    CHECK_EQ(nsocks(t.a), 0);
    bsend(F_S, 2000, 0, 0);
    TH_EXPECT(&t, TH_A, F_RA, 0, 2001, 0, 0);
    TH_NONE(&t, TH_A);
    th_free(&t);

    /* SYN_SENT: just forget it (no RST), an attempt failed. */
    s = th_syn_sent(start(&t));
    ln_tcp_close(s);
    th_run(&t, 5 * LN_SEC);
    TH_NONE(&t, TH_A);
    CHECK_EQ(nsocks(t.a), 0);
    CHECK_U64(TH_MIB(t.a, TcpAttemptFails), 1);
    th_free(&t);

    /* FIN_WAIT_1 and CLOSING: close changes nothing, sends nothing. */
    s = th_fin_wait_1(start(&t));
    ln_tcp_close(s);
    th_settle(&t);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_FIN_WAIT_1);
    simultaneous_close(s);
    th_run(&t, 61 * LN_SEC);
    CHECK_EQ(nsocks(t.a), 0);
    th_free(&t);

    /* FIN_WAIT_2 (after shutdown): close orphans it; it lives
     * tcp_fin_timeout, then goes without a word. */
    s = th_fin_wait_2(start(&t));
    ln_tcp_close(s);
    gone_at(&t, th_now(&t) + 60 * LN_SEC);
    TH_NONE(&t, TH_A);
    th_free(&t);

    /* LAST_ACK: close changes nothing. */
    s = th_last_ack(start(&t));
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_LAST_ACK);
    ln_tcp_close(s);
    th_settle(&t);
    TH_NONE(&t, TH_A);
    bsend(F_A, 2002, 1002, 0);
    CHECK_EQ(nsocks(t.a), 0);
    th_free(&t);

    /* TIME_WAIT: nothing sent; the socket lives out its 2 MSL. */
    s = th_time_wait(start(&t));
    ln_time t0 = th_now(&t);
    ln_tcp_close(s);
    th_settle(&t);
    TH_NONE(&t, TH_A);
    gone_at(&t, t0 + 60 * LN_SEC);
    th_free(&t);
}

/* A retransmitted SYN-ACK in ESTABLISHED (our ACK was lost) is a SYN in
 * a synchronized state: RFC 5961 4.2 says challenge ACK, which is also
 * the ACK the peer needs. */
static void test_established_dup_synack(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    th_tx x = th_bsynack(&t);
    th_deliver(&t, &x);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, 63);
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    th_free(&t);
}

int main(void)
{
    test_closed_connect();
    test_closed_connect_options();
    test_syn_sent_synack();
    test_syn_sent_syn();
    test_syn_rcvd_ack();
    test_syn_rcvd_rst();
    test_syn_rcvd_close();
    test_listen_syn();
    test_established_close();
    test_established_fin();
    test_close_wait_close();
    test_fin_wait_1_fin();
    test_fin_wait_1_finack();
    test_fin_wait_2_data();
    test_close_wait_send();
    test_fin_wait_1_rto();
    test_established_rto();
    test_any_close();
    test_established_dup_synack();
    return check_report("test_tcp_states");
}
