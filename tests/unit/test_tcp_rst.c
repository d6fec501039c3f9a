/* test_tcp_rst.c - resets: what we send to closed ports and when we
 * abort, and which resets (and SYNs, and ACKs) we believe -- RFC 9293
 * 3.10.7 with RFC 5961's blind-attack rules, as Linux applies them.
 *
 * a runs the stack (ISN 1000); b is played by the test (ISN 2000). */
#include "tcp_conn.h"

static th *T;

static th *start(th *t)
{
    th_init(t, true);
    return T = t;
}

static void bsend(uint8_t flags, ln_seq seq, ln_seq ack, uint32_t len) { th_bsend(T, flags, seq, ack, len); }

/* The same without a timestamp. */
static void bsend_nots(uint8_t flags, ln_seq seq, ln_seq ack)
{
    th_tx x = th_bseg(T, flags, seq, ack, 0);
    x.ts = false;
    th_deliver(T, &x);
}

/* CLOSED + SYN: RST,ACK seq 0 ack ISN + 1, window 0, no options, IP ID
 * 0, DF (reference 5).  TcpOutRsts + 1, nothing retransmitted. */
static void test_closed_syn(void)
{
    th t;
    start(&t);
    th_tx x = { .sport = 50620, .dport = 5099, .seq = 1744966232u, .flags = F_S, .wnd = 64240,
                .syn_opts = true, .mss = 1460, .sack_perm = true, .ws = 10, .ts = true, .tsval = 7 };
    th_send(&t, &x);
    th_settle(&t);
    th_seg *g = TH_EXPECT(&t, TH_A, F_RA, 0, 1744966233u, 0, 0);
    if (g) {
        CHECK_EQ(g->optlen, 0);
        CHECK_EQ(g->ipid, 0);
        CHECK(g->df);
        CHECK_EQ(g->sport, 5099);
        CHECK_EQ(g->dport, 50620);
    }
    th_run(&t, 5 * LN_SEC);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpOutRsts), 1);
    CHECK_U64(TH_MIB(t.a, TcpOutSegs), 1);
    CHECK_U64(TH_MIB(t.a, TcpInSegs), 1);
    th_free(&t);
}

/* CLOSED + a segment with ACK: <SEQ=SEG.ACK><CTL=RST>; + data without
 * ACK: RST,ACK acknowledging it all; + RST: nothing (RFC 9293 3.10.7.1). */
static void test_closed_ack(void)
{
    th t;
    start(&t);
    bsend(F_A, 5000, 7777, 0);
    TH_EXPECT(&t, TH_A, F_R, 7777, 0, 0, 0);
    bsend(LN_TCP_PSH, 5000, 0, 10);
    TH_EXPECT(&t, TH_A, F_RA, 0, 5010, 0, 0);
    bsend(F_FA, 6000, 100, 0);
    TH_EXPECT(&t, TH_A, F_R, 100, 0, 0, 0);
    bsend(F_R, 5000, 0, 0);
    bsend(F_RA, 5000, 1, 0);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpOutRsts), 3);
    th_free(&t);
}

/* Connecting to a port nobody listens on (two real stacks): the RST
 * makes connect fail with "refused" at once (reference 5). */
static void test_syn_sent_refused(void)
{
    th t;
    th_init(&t, false);
    T = &t;
    ln_tcp_cfg_of(t.a)->fixed_isn = 1000;
    ln_tcp_sock *s = ln_tcp_socket(t.a);
    th_notes n;
    th_watch(s, &n);
    ln_tcp_connect(s, TH_B, 5099);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_S, 1000, 0, 0, 64240);
    TH_EXPECT(&t, TH_B, F_RA, 0, 1001, 0, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), LN_ECONNREFUSED);
    CHECK(n.ev & LN_TCP_EV_ERROR);
    CHECK(n.ev & LN_TCP_EV_CLOSED);
    th_run(&t, 10 * LN_SEC);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpAttemptFails), 1);
    CHECK_U64(TH_MIB(t.b, TcpOutRsts), 1);
    th_free(&t);
}

/* SYN_SENT + RST: believed only with an acceptable ACK (RFC 9293
 * 3.10.7.3 and RFC 5961 3.2); an unacceptable ACK gets a reset itself. */
static void test_syn_sent_rst(void)
{
    th t;
    ln_tcp_sock *s = th_syn_sent(start(&t));
    bsend(F_R, 0, 0, 0);                     /* no ACK: ignored */
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_SENT);
    bsend(F_RA, 0, 5000, 0);                 /* bad ACK: ignored, not answered */
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_SENT);
    TH_NONE(&t, TH_A);
    bsend(F_SA, 2000, 5000, 0);              /* SYN-ACK with a bad ACK: reset */
    TH_EXPECT(&t, TH_A, F_R, 5000, 0, 0, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_SENT);
    bsend(F_RA, 0, 1001, 0);                 /* acceptable: refused */
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), LN_ECONNREFUSED);
    th_run(&t, 5 * LN_SEC);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* ESTABLISHED + RST exactly at RCV.NXT: reset (RFC 5961 3.2). */
static void test_established_rst_exact(void)
{
    th t;
    th_notes n;
    ln_tcp_sock *s = th_established(start(&t));
    th_watch(s, &n);
    bsend_nots(F_R, 2001, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), LN_ECONNRESET);
    CHECK(n.ev & LN_TCP_EV_ERROR);
    CHECK_EQ(ln_tcp_send(s, "x", 1), LN_ECONNRESET);
    CHECK_EQ(ln_tcp_recv(s, NULL, 10), LN_ECONNRESET);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpEstabResets), 1);
    CHECK_U64(TH_MIB(t.a, TcpCurrEstab), 0);
    th_free(&t);
}

/* ESTABLISHED + RST inside the window but not at RCV.NXT: a challenge
 * ACK, and the connection lives (RFC 5961 3.2).  A second one within
 * 500 ms is not answered (tcp_invalid_ratelimit); later one is.  Out of
 * the window: silently dropped. */
static void test_established_rst_in_window(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    bsend_nots(F_R, 2001 + 100, 0);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, 63);
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPChallengeACK), 1);
    th_run(&t, 100 * LN_MSEC);
    bsend_nots(F_R, 2001 + 200, 0);
    TH_NONE(&t, TH_A);
    th_run(&t, 500 * LN_MSEC);
    bsend_nots(F_RA, 2001 + 300, 1001);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, 63);
    bsend_nots(F_R, 2001 + 200000, 0);  /* beyond the window */
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPChallengeACK), 2);
    th_free(&t);
}

/* ESTABLISHED + SYN: challenge ACK whatever its sequence number (RFC
 * 5961 4.2), counted as TCPSYNChallenge; the connection lives. */
static void test_established_syn(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    bsend(F_S, 2001 + 500, 0, 0);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, 63);
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSYNChallenge), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPChallengeACK), 1);
    th_run(&t, LN_SEC);
    bsend(F_S, 99, 0, 0);                    /* out of the window too */
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 0, 63);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSYNChallenge), 2);
    th_free(&t);
}

/* ESTABLISHED + an ACK below SND.UNA - MAX.SND.WND: challenge ACK and
 * drop (RFC 5961 5.2); an ACK of something never sent is dropped
 * (Linux: silently in ESTABLISHED). */
static void test_established_bad_ack(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    CHECK_EQ(ln_tcp_send(s, "0123456789", 10), 10);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    bsend(F_PA, 2001, 1001 - 70000, 5);       /* too old: dropped with its data */
    TH_EXPECT(&t, TH_A, F_A, 1011, 2001, 0, 63);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPChallengeACK), 1);
    CHECK_EQ(ln_tcp_readable(s, NULL), 0);
    th_run(&t, LN_SEC);                       /* (the RTO resends the data meanwhile) */
    th_skip(&t);
    bsend(F_A, 2001, 5000, 0);                /* acks the future: dropped */
    TH_NONE(&t, TH_A);
    bsend(F_A, 2001, 1011, 0);                /* the real one */
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_U64(in.snd_una, 1011);
    th_free(&t);
}

/* TIME_WAIT + RST at RCV.NXT: Linux lets it end TIME_WAIT (RFC 1337's
 * "assassination", tcp_rfc1337 = 0). */
static void test_time_wait_rst(void)
{
    th t;
    ln_tcp_sock *s = th_time_wait(start(&t));
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_TIME_WAIT);
    bsend_nots(F_R, 2002, 0);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), 0);             /* nothing to report in TIME_WAIT */
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* close() with unread data: RST instead of FIN (RFC 2525 2.17), counted
 * TCPAbortOnClose; SO_LINGER {1, 0}: RST too. */
static void test_established_close_unread(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    bsend(F_PA, 2001, 1001, 100);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2101, 0, 63);
    ln_tcp_close(s);
    th_settle(&t);
    th_seg *g = TH_EXPECT(&t, TH_A, F_RA, 1001, 2101, 0, -1);
    if (g) CHECK(g->has_ts);                  /* from the socket: TS, window */
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPAbortOnClose), 1);
    CHECK_U64(TH_MIB(t.a, TcpOutRsts), 1);
    CHECK_U64(TH_MIB(t.a, TcpEstabResets), 1);
    th_free(&t);

    s = th_established(start(&t));
    ln_tcp_setopt(s, LN_TCP_OPT_LINGER0, 1);
    ln_tcp_close(s);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_RA, 1001, 2001, 0, 63);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* ln_tcp_abort in ESTABLISHED: RST; in SYN_SENT: nothing. */
static void test_established_abort(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_tcp_abort(s);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_RA, 1001, 2001, 0, 63);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* Data for a socket that was closed (orphaned FIN_WAIT_2): RST, counted
 * TCPAbortOnData (Linux). */
static void test_fin_wait_2_orphan_data(void)
{
    th t;
    ln_tcp_sock *s = th_fin_wait_2(start(&t));
    ln_tcp_close(s);
    bsend(F_PA, 2001, 1002, 10);
    TH_EXPECT(&t, TH_A, F_R, 1002, 0, 0, 0);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPAbortOnData), 1);
    th_free(&t);
}

/* RFC 7323 5.3 PAWS: a segment whose TSval is older than TS.Recent is
 * an old duplicate -- dropped, answered by a (rate-limited) ACK, counted
 * PAWSEstab; its data is not taken. */
static void test_established_paws(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    bsend(F_PA, 2001, 1001, 10);             /* TS.Recent = 6000 */
    TH_EXPECT(&t, TH_A, F_A, 1001, 2011, 0, 63);
    th_tx x = { .sport = 80, .dport = 40000, .seq = 2011, .ack = 1001, .flags = F_PA, .wnd = 64,
                .len = 10, .ts = true, .tsval = 5000 };
    th_send(&t, &x);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2011, 0, 63);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtPAWSEstab), 1);
    CHECK_EQ(ln_tcp_readable(s, NULL), 10);
    CHECK_U64(ln_net_drop_total(t.net, LN_DROP_TCP_PAWS), 1);
    th_free(&t);
}

/* A bad checksum: TcpInErrs and TcpInCsumErrors, no answer at all. */
static void test_closed_bad_checksum(void)
{
    th t;
    start(&t);
    ln_pkt *p = ln_net_pkt(t.net, 0);
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = TH_B; h.daddr = TH_A; h.sport = 1; h.dport = 2; h.seq = 5; h.flags = F_S;
    h.ws = -1;
    ln_tcp_push_hdr(p, &h);
    p->data[LN_TCPH_CSUM] ^= 0x55;
    p->l4_csum_ok = 0;                  /* changed after the sum, as corruption does */
    ln_ip_opts o;
    memset(&o, 0, sizeof o);
    ln_ip_output(t.b, p, TH_B, TH_A, LN_IPPROTO_TCP, &o);
    th_settle(&t);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpInCsumErrors), 1);
    CHECK_U64(TH_MIB(t.a, TcpInErrs), 1);
    CHECK_U64(TH_MIB(t.a, TcpInSegs), 1);
    CHECK_U64(ln_net_drop_total(t.net, LN_DROP_BAD_CSUM), 1);
    th_free(&t);
}

/* ICMP errors about our segments (Linux's tcp_v4_err): in SYN_SENT any
 * of them ends connect() at once (port unreachable: refused; host
 * unreachable: that); established connections only remember them. */
static void test_syn_sent_icmp(void)
{
    static const struct { uint8_t code; int err; } cases[] = {
        { LN_ICMP_UNREACH_PORT, LN_ECONNREFUSED },
        { LN_ICMP_UNREACH_HOST, LN_EHOSTUNREACH },
    };
    for (int i = 0; i < 2; i++) {
        th t;
        start(&t);
        th_icmp_type = LN_ICMP_UNREACH;
        th_icmp_code = cases[i].code;
        ln_tcp_sock *s = ln_tcp_socket(t.a);
        th_notes n;
        th_watch(s, &n);
        ln_tcp_connect(s, TH_B, 80);
        th_settle(&t);
        CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
        CHECK_EQ(ln_tcp_error(s), cases[i].err);
        CHECK(n.ev & LN_TCP_EV_ERROR);
        CHECK_U64(TH_MIB(t.a, TcpAttemptFails), 1);
        th_run(&t, 5 * LN_SEC);
        CHECK_EQ(th_pending(&t, TH_A), 1);    /* the one SYN */
        th_free(&t);
    }
}

/* "Fragmentation needed" with a next-hop MTU of 1000: from then on
 * segments carry 1000 - 40 - 12 = 948 bytes, and what was in flight and
 * too big goes again in that size (RFC 1191, Linux's tcp_v4_mtu_reduced
 * and tcp_simple_retransmit).  The 1448-byte segment is cut in two (948
 * and 500, tcp_fragment); the 552-byte one fitted the path, so it is not
 * sent again (and the 500 bytes cannot collapse with it: 1052 > 948). */
static void test_established_icmp_needfrag(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    th_icmp_type = LN_ICMP_UNREACH;
    th_icmp_code = LN_ICMP_UNREACH_NEEDFRAG;
    th_icmp_info = 1000;
    static char data[2000];
    ln_tcp_send(s, data, sizeof data);
    th_settle(&t);
    th_icmp_type = 0;
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 1448, 63);
    TH_EXPECT(&t, TH_A, F_PA, 2449, 2001, 552, 63);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 948, 63);
    TH_EXPECT(&t, TH_A, F_A, 1949, 2001, 500, 63);
    TH_NONE(&t, TH_A);
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.mss, 948);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    /* tcp_simple_retransmit: resent on the ICMP, not by the RTO, and the
     * congestion window kept: the units changed, not the congestion */
    th_free(&t);
}

/* A whole first flight (cwnd 10) too big for the path: the first ICMP
 * error resends from SND.UNA at the new size at once, as Linux's
 * tcp_simple_retransmit, although 10 old segments are still counted
 * outstanding; the RTO never fires and cwnd is kept. */
static void test_established_icmp_needfrag_full_flight(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    th_icmp_type = LN_ICMP_UNREACH;
    th_icmp_code = LN_ICMP_UNREACH_NEEDFRAG;
    th_icmp_info = 1000;
    static char data[10 * 1448];
    ln_tcp_send(s, data, sizeof data);
    th_settle(&t);
    th_icmp_type = 0;
    for (int i = 0; i < 10; i++) TH_EXPECT(&t, TH_A, i == 9 ? F_PA : F_A, 1001 + 1448 * i, 2001, 1448, 63);
    /* then the same bytes again, 948 at a time, sent on the first error's
     * arrival: ten of them (cwnd), with no timer in between */
    th_seg *first = th_next(&t, TH_A);
    CHECK(first != NULL);
    if (first) {
        CHECK_EQ(first->seq, 1001);
        CHECK_EQ(first->len, 948);
    }
    uint32_t more = th_pending(&t, TH_A);
    CHECK_EQ(more, 9);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPTimeouts), 0);
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.cwnd, 10);
    CHECK_EQ(in.mss, 948);
    th_free(&t);
}

/* The control block of an idle connection fits 512 bytes (the slab's
 * rounding: 8 cache lines), what a connection that moves data adds
 * (ln_tcp_xfer) 576; a TIME_WAIT socket holds no buffers. */
static void test_established_memory(void)
{
    th t;
    CHECK(ln_tcp_sock_size() <= 512);
    CHECK(sizeof(ln_tcp_xfer) <= 576);
    ln_tcp_sock *s = th_established(start(&t));
    ln_tcp_stack_info si;
    ln_tcp_stack_info_get(t.a, &si);
    CHECK_U64(si.mem_buffers, 0);            /* nothing allocated before data */
    ln_tcp_send(s, "0123456789", 10);
    th_settle(&t);
    bsend(F_PA, 2001, 1011, 10);
    char buf[10];
    ln_tcp_recv(s, buf, sizeof buf);
    ln_tcp_close(s);
    th_settle(&t);
    bsend(F_FA, 2011, 1012, 0);
    ln_tcp_stack_info_get(t.a, &si);
    CHECK_EQ(si.time_wait, 1);
    CHECK_U64(si.mem_buffers, 0);
    th_free(&t);
}

/* c on a connects to b:80 and the handshake completes: b's accepted
 * socket, or NULL (then t is freed). */
static ln_tcp_sock *idle_pair(th *t, th_notes *ln, th_notes *cn, ln_tcp_sock **c)
{
    th_init(t, false);
    ln_tcp_sock *l = th_listen(t->b, 80, ln);
    CHECK(l->xf != NULL);                    /* the accept queue is in xf */
    *c = ln_tcp_socket(t->a);
    th_watch(*c, cn);
    CHECK_EQ(ln_tcp_connect(*c, TH_B, 80), 0);
    th_run(t, LN_SEC);
    ln_tcp_sock *a = ln->accepted;
    CHECK(a != NULL);
    if (!a) th_free(t);
    return a;
}

/* Both ends of a connection that never carried a byte keep only their
 * control blocks (no xf), and tcp_info reads as it would with one: the
 * initial window, no ssthresh, empty queues.  The first byte makes the
 * sender's xf, its arrival the receiver's, and congestion control starts
 * from where the handshake left it. */
static void test_established_idle_no_xfer(void)
{
    th t;
    th_notes ln, cn;
    ln_tcp_sock *c;
    ln_tcp_sock *a = idle_pair(&t, &ln, &cn, &c);
    if (!a) return;
    th_in_state(c, LN_TCP_ESTABLISHED);
    th_in_state(a, LN_TCP_ESTABLISHED);
    CHECK(c->xf == NULL);
    CHECK(a->xf == NULL);
    ln_tcp_info ci, ai;
    ln_tcp_get_info(c, &ci);
    ln_tcp_get_info(a, &ai);
    CHECK_EQ(ci.cwnd, 10);
    CHECK_EQ(ai.cwnd, 10);
    CHECK_EQ(ci.ssthresh, LN_TCP_INFINITE_SSTHRESH);
    CHECK_EQ(ci.send_q, 0);
    CHECK_EQ(ai.recv_q, 0);
    CHECK_U64(ci.bytes_sent, 0);
    CHECK(ci.srtt > 0);                      /* the handshake's sample, kept hot */
    CHECK(ai.srtt > 0);
    CHECK_EQ(ln_tcp_writable(c), c->sndbuf);  /* an empty ring's room */
    ln_tcp_stack_info si;
    ln_tcp_stack_info_get(t.a, &si);
    CHECK_U64(si.mem_buffers, 0);

    /* Idle a while: no timer, no segment, still no xf. */
    uint32_t before = t.n;
    th_run(&t, 10 * LN_SEC);
    CHECK_EQ(t.n, before);
    CHECK(c->xf == NULL && a->xf == NULL);

    CHECK_EQ(ln_tcp_send(c, "hello", 5), 5);
    CHECK(c->xf != NULL);
    CHECK_EQ(c->xf->cc.cwnd, 10);
    CHECK_EQ(c->xf->cc.mss, c->mss_cache);
    th_run(&t, LN_SEC);
    CHECK(a->xf != NULL);
    char buf[8];
    CHECK_EQ(ln_tcp_recv(a, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    ln_tcp_get_info(c, &ci);
    ln_tcp_get_info(a, &ai);
    CHECK_U64(ci.bytes_acked, 5);
    CHECK_U64(ai.bytes_received, 5);
    CHECK_EQ(ci.data_segs_out, 1);
    CHECK_EQ(ai.data_segs_in, 1);
    th_free(&t);
}

/* An abort of an idle connection: the RST goes and is taken without
 * either end making its xf. */
static void test_established_idle_abort(void)
{
    th t;
    th_notes ln, cn;
    ln_tcp_sock *c;
    ln_tcp_sock *a = idle_pair(&t, &ln, &cn, &c);
    if (!a) return;
    th_notes an;
    th_watch(a, &an);
    ln_tcp_abort(c);
    th_settle(&t);
    CHECK(a->xf == NULL);
    th_in_state(a, LN_TCP_CLOSED);
    CHECK(an.ev & LN_TCP_EV_ERROR);
    CHECK_EQ(ln_tcp_error(a), LN_ECONNRESET);
    CHECK_U64(TH_MIB(t.a, TcpOutRsts), 1);
    th_free(&t);
}

int main(void)
{
    test_closed_syn();
    test_closed_ack();
    test_syn_sent_refused();
    test_syn_sent_rst();
    test_established_rst_exact();
    test_established_rst_in_window();
    test_established_syn();
    test_established_bad_ack();
    test_time_wait_rst();
    test_established_close_unread();
    test_established_abort();
    test_fin_wait_2_orphan_data();
    test_established_paws();
    test_closed_bad_checksum();
    test_syn_sent_icmp();
    test_established_icmp_needfrag();
    test_established_icmp_needfrag_full_flight();
    test_established_memory();
    test_established_idle_no_xfer();
    test_established_idle_abort();
    return check_report("test_tcp_rst");
}
