/* test_tcp_review.c - regressions found by review: each test failed
 * before the fix it names, against the RFC rule or Linux behaviour cited.
 *
 * a runs the stack (ISN 1000); b is played by the test (ISN 2000), with
 * timestamps, SACK and window scaling unless a test says otherwise. */
#include "tcp_conn.h"

static th *T;

static th *start(th *t)
{
    th_init(t, true);
    return T = t;
}

static uint32_t b_tsval(void) { return 6000 + (uint32_t)(th_now(T) / LN_MSEC); }

static void bsend(uint8_t flags, ln_seq seq, ln_seq ack, uint32_t len) { th_bsend(T, flags, seq, ack, len); }

/* RFC 7323 4.3 / RFC 5961 5.2, Linux's tcp_ack ("ts_recent update must be
 * made after we are sure that the packet is in window"): a segment whose
 * ACK acknowledges data never sent is dropped, and so must not move
 * TS.Recent.  Before the fix, a blind segment with a far-future TSval
 * and a bad ACK poisoned TS.Recent, and PAWS then dropped every real
 * segment of the peer. */
static void test_established_bad_ack_keeps_ts_recent(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    /* ACK of data never sent (beyond SND.NXT): dropped silently. */
    th_tx x = th_bseg(&t, F_A, 2001, 1001 + 100000, 0);
    x.tsval += 1000000;
    th_deliver(&t, &x);
    TH_NONE(&t, TH_A);
    /* The peer's real data, with its real clock, is accepted. */
    bsend(F_PA, 2001, 1001, 10);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1001, 2011, 0, -1);
    if (g) CHECK_EQ(g->tsecr, b_tsval());
    CHECK_EQ(ln_tcp_readable(s, NULL), 10);
    CHECK_U64(TH_MIB(t.a, TcpExtPAWSEstab), 0);

    /* An ACK older than SND.UNA - MAX.SND.WND: a challenge ACK, which
     * echoes the TS.Recent of the real peer, not the forged TSval. */
    th_tx y = th_bseg(&t, F_A, 2011, 1001 - 200000, 0);
    y.tsval += 2000000;
    th_deliver(&t, &y);
    g = TH_EXPECT(&t, TH_A, F_A, 1001, 2011, 0, -1);
    if (g) CHECK_EQ(g->tsecr, b_tsval());
    th_run(&t, LN_SEC);
    bsend(F_PA, 2011, 1001, 10);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2021, 0, -1);
    CHECK_EQ(ln_tcp_readable(s, NULL), 20);
    CHECK_U64(TH_MIB(t.a, TcpExtPAWSEstab), 0);
    th_free(&t);
}

/* RFC 7323 5.3 R1 with Linux's one exception (tcp_disordered_ack): a
 * segment whose TSval is older than TS.Recent is an old duplicate and is
 * dropped -- unless it is a pure duplicate ACK that does not update the
 * window and whose TSval is within the replay window (one RTO's worth of
 * ticks).  Before the fix every pure ACK at RCV.NXT / SND.UNA passed, so
 * an old duplicate carrying window 0 shut the send window. */
static void test_established_paws_old_window_update(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    th_run(&t, 100 * LN_SEC);
    bsend(F_PA, 2001, 1001, 10);            /* TS.Recent = 106000 */
    TH_EXPECT(&t, TH_A, F_A, 1001, 2011, 0, -1);
    /* An old duplicate ACK from 100 s ago that would close the window. */
    th_tx x = th_bseg(&t, F_A, 2011, 1001, 0);
    x.tsval -= 100000;
    x.wnd = 0;
    th_deliver(&t, &x);
    CHECK_U64(TH_MIB(t.a, TcpExtPAWSEstab), 1);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2011, 0, -1);    /* the dupack PAWS sends */
    CHECK_EQ(s->snd_wnd, 64u << 10);
    /* The window is still open: data goes. */
    ln_tcp_send(s, NULL, 100);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2011, 100, -1);
    TH_NONE(&t, TH_A);

    /* A pure duplicate ACK a little older (reordered within the replay
     * window) that changes nothing is still taken, as Linux does. */
    th_run(&t, 10 * LN_MSEC);
    bsend(F_A, 2011, 1101, 0);
    TH_NONE(&t, TH_A);
    th_tx y = th_bseg(&t, F_A, 2011, 1101, 0);
    y.tsval -= 50;
    th_deliver(&t, &y);
    CHECK_U64(TH_MIB(t.a, TcpExtPAWSEstab), 1);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* RFC 5681 3.1 eq. (4) and Linux's tcp_enter_loss: a timeout of a segment
 * the timer has not resent yet sets ssthresh again from the flight.  Linux
 * tells a new timeout from a repeated one by icsk_retransmits, which every
 * ACK that advances SND.UNA clears (tcp_ack), in Loss too.  Before the
 * fix lunet kept its count through Loss, so an RTO after the recovery had
 * made progress left ssthresh at its old, larger value. */
static void test_loss_progress_then_rto_new_ssthresh(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_tcp_info in;
    ln_tcp_send(s, NULL, 10 * 1448);
    th_settle(&t);
    for (int i = 0; i < 10; i++) TH_EXPECT(&t, TH_A, i == 9 ? F_PA : F_A, 1001 + 1448 * i, 2001, 1448, -1);
    /* A tail-loss probe first (RFC 8985 7: the last segment, one jiffy
     * later on this instant link), which changes nothing else. */
    ln_time t0 = th_now(&t);
    while (th_pending(&t, TH_A) == 0 && th_now(&t) < t0 + 5 * LN_SEC) th_run(&t, LN_MSEC);
    TH_EXPECT(&t, TH_A, F_PA, 1001 + 1448 * 9, 2001, 1448, -1);
    /* The first RTO: ssthresh from cwnd 10 (cubic: 7), cwnd 1. */
    t0 = th_now(&t);
    while (th_pending(&t, TH_A) == 0 && th_now(&t) < t0 + 5 * LN_SEC) th_run(&t, LN_MSEC);
    TH_EXPECT(&t, TH_A, F_A, 1001, 2001, 1448, -1);
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.ssthresh, 7);
    CHECK_EQ(in.cwnd, 1);
    CHECK_EQ(in.retransmits, 1);
    /* Progress in Loss: the head is acknowledged, slow start resends 2. */
    bsend(F_A, 2001, 1001 + 1448, 0);
    TH_EXPECT(&t, TH_A, F_A, 1001 + 1448, 2001, 1448, -1);
    TH_EXPECT(&t, TH_A, F_A, 1001 + 2 * 1448, 2001, 1448, -1);
    TH_NONE(&t, TH_A);
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.cwnd, 2);
    CHECK_EQ(in.retransmits, 0);
    /* They are lost too: a new timeout, ssthresh from cwnd 2 (cubic: 2). */
    t0 = th_now(&t);
    while (th_pending(&t, TH_A) == 0 && th_now(&t) < t0 + 5 * LN_SEC) th_run(&t, LN_MSEC);
    TH_EXPECT(&t, TH_A, F_A, 1001 + 1448, 2001, 1448, -1);
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.ssthresh, 2);
    CHECK_EQ(in.cwnd, 1);
    th_free(&t);
}

int main(void)
{
    test_established_bad_ack_keeps_ts_recent();
    test_established_paws_old_window_update();
    test_loss_progress_then_rto_new_ssthresh();
    return check_report("test_tcp_review");
}
