/* test_tcp_rack.c - RACK-TLP (RFC 8985), D-SACK undo (RFC 2883, 3708) and
 * F-RTO (RFC 5682) as Linux runs them (tcp_rack.c, tcp_undo.c): a hole
 * found by time through the reordering timer, a lost retransmission sent
 * again about one RTT later instead of after an RTO, a tail-loss probe
 * after 2 SRTT, a probe that repaired a loss, a spurious fast retransmit
 * undone by a D-SACK, a spurious RTO undone by F-RTO; the counters each
 * one moves.
 *
 * b is played by the test (raw); most connections are opened with a
 * 10 ms handshake so SRTT and min_RTT are 10 ms; segment i of a's data
 * is [1001 + 1448 i, 1001 + 1448 (i + 1)). */
#include "tcp_conn.h"

#define MSS 1448u
#define SEG(i) (TH_ISS_A + 1 + MSS * (uint32_t)(i))

static th *T;

static th *start(th *t)
{
    th_init(t, true);
    return T = t;
}

/* The conventional connection, its SYN-ACK 10 ms after the SYN: the RTT
 * estimator starts at 10 ms (SRTT 10 ms, RTO 212 ms). */
static ln_tcp_sock *established_10ms(th *t)
{
    ln_tcp_sock *s = th_connect(t, TH_PORT_A, TH_PORT_B, TH_ISS_A);
    th_run(t, 10 * LN_MSEC);
    th_tx x = th_bsynack(t);
    th_deliver(t, &x);
    TH_EXPECT(t, TH_A, F_A, TH_ISS_A + 1, TH_ISS_B + 1, 0, -1);
    th_in_state(s, LN_TCP_ESTABLISHED);
    return s;
}

/* b: an ACK of `ack` with SACK blocks [lo, hi) (n of them, D-SACK first
 * if any). */
static void back(ln_seq ack, const ln_tcp_sackblk *b, int n)
{
    th_tx x = th_bseg(T, F_A, TH_ISS_B + 1, ack, 0);
    x.n_sack = (uint8_t)n;
    for (int i = 0; i < n; i++) x.sack[i] = b[i];
    th_deliver(T, &x);
}

static ln_tcp_sackblk blk(uint32_t lo_seg, uint32_t hi_seg)
{
    ln_tcp_sackblk b = { SEG(lo_seg), SEG(hi_seg) };
    return b;
}

/* Queue n full segments and take the ones that leave now. */
static void send_segs(ln_tcp_sock *s, uint32_t n, uint32_t expect_now)
{
    CHECK_EQ(ln_tcp_send(s, NULL, (size_t)n * MSS), (int64_t)n * MSS);
    th_settle(T);
    for (uint32_t i = 0; i < expect_now; i++) TH_EXPECT(T, TH_A, i + 1 == n ? F_PA : F_A, SEG(i), TH_ISS_B + 1, MSS, -1);
    TH_NONE(T, TH_A);
}

static void info(ln_tcp_sock *s, ln_tcp_info *in) { ln_tcp_get_info(s, in); }

/* Two holes below three SACKed segments: both are lost at once (no
 * reordering window once DupThresh segments are SACKed), and PRR lets both
 * go (pipe 10 - 3 - 2 = 5, ssthresh 7: sndcnt min(3, 7 - 5) = 2).  Each
 * retransmission marks its own record only: the first must not take the
 * second for a copy in flight (retrans_out 2, lost_out 2 afterwards). */
static void test_established_rack_two_holes(void)
{
    th t;
    ln_tcp_sock *s = established_10ms(start(&t));
    send_segs(s, 10, 10);
    th_run(&t, 10 * LN_MSEC);
    ln_tcp_sackblk b = blk(2, 5);
    back(SEG(0), &b, 1);
    TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);
    TH_EXPECT(&t, TH_A, F_A, SEG(1), TH_ISS_B + 1, MSS, -1);
    TH_NONE(&t, TH_A);
    ln_tcp_info in;
    info(s, &in);
    CHECK_EQ(in.retrans_out, 2);
    CHECK_EQ(in.lost, 2);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPFastRetrans), 2);
    /* Both retransmissions arrive: no lost retransmission is seen. */
    th_run(&t, 10 * LN_MSEC);
    back(SEG(10), NULL, 0);
    info(s, &in);
    CHECK_EQ(in.retrans_out, 0);
    CHECK_EQ(in.lost, 0);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLostRetransmit), 0);
    th_free(&t);
}

/* RFC 8985 6.2-6.3: one SACK, one RTT after the flight left, above a
 * hole.  Not DupThresh SACKs, so the reordering window (min_RTT / 4 =
 * 2.5 ms) applies: the hole is lost 2.5 ms later; Linux arms the timer in
 * jiffies plus two (4 + 8 ms), and then recovers. */
static void test_established_rack_reo_timer(void)
{
    th t;
    ln_tcp_sock *s = established_10ms(start(&t));
    ln_time t0 = th_now(&t);
    send_segs(s, 10, 10);
    th_run(&t, 10 * LN_MSEC);
    ln_tcp_sackblk b = blk(1, 2);
    back(SEG(0), &b, 1);
    TH_NONE(&t, TH_A);                       /* inside the window: wait */
    ln_tcp_info in;
    info(s, &in);
    CHECK(in.timer && strcmp(in.timer, "on") == 0);
    th_run(&t, 30 * LN_MSEC);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);
    if (g) {
        CHECK_U64(g->t - t0, 10 * LN_MSEC + 12 * LN_MSEC);
        CHECK_EQ(g->kind, LN_PKT_KIND_FAST_RETRANS);
    }
    TH_NONE(&t, TH_A);
    info(s, &in);
    CHECK(strcmp(in.ca_state, "recovery") == 0);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSackRecovery), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPFastRetrans), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPTimeouts), 0);
    th_free(&t);
}

/* The DupThresh rule alongside RACK: the third SACKed segment closes the
 * reordering window, the hole goes at once. */
static void test_established_rack_dupthresh(void)
{
    th t;
    ln_tcp_sock *s = established_10ms(start(&t));
    send_segs(s, 10, 10);
    th_run(&t, 10 * LN_MSEC);
    ln_tcp_sackblk b = blk(1, 2);
    back(SEG(0), &b, 1);
    b = blk(1, 3);
    back(SEG(0), &b, 1);
    TH_NONE(&t, TH_A);
    b = blk(1, 4);
    back(SEG(0), &b, 1);
    TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPFastRetrans), 1);
    /* One record per segment: each SACKed segment joining a SACKed one
     * counts as Linux's skb merge. */
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSackMerged), 2);
    th_free(&t);
}

/* RFC 8985 6.2 (lost retransmissions): the retransmission of a hole is
 * lost too.  Segments sent with it are SACKed one RTT later while the
 * hole is not: the retransmission is lost (TCPLostRetransmit) and goes
 * again at once -- 10 ms after the first copy, not after an RTO. */
static void test_established_rack_lost_retransmit(void)
{
    th t;
    ln_tcp_sock *s = established_10ms(start(&t));
    send_segs(s, 20, 10);                    /* IW 10; 10 more wait for cwnd */
    th_run(&t, 10 * LN_MSEC);
    ln_tcp_sackblk b = blk(1, 10);           /* all but segment 0 */
    back(SEG(0), &b, 1);
    /* PRR: ssthresh 7 and nothing in flight, so the hole and 6 new. */
    th_seg *r1 = TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);
    for (int i = 10; i < 16; i++) TH_EXPECT(&t, TH_A, F_A, SEG(i), TH_ISS_B + 1, MSS, -1);
    TH_NONE(&t, TH_A);
    th_run(&t, 10 * LN_MSEC);
    ln_tcp_sackblk bb[2] = { blk(10, 16), blk(1, 10) };
    back(SEG(0), bb, 2);
    th_seg *r2 = TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);
    if (r1 && r2) CHECK_U64(r2->t - r1->t, 10 * LN_MSEC);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLostRetransmit), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPTimeouts), 0);
    CHECK_U64(TH_MIB(t.a, TcpRetransSegs), 2);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSackRecovery), 1);
    th_free(&t);
}

/* RFC 8985 7: the flight stalls with nothing new to send.  PTO = 2 SRTT +
 * 2 ms (more than one segment out), in jiffies: 24 ms, and the probe is
 * the last segment again.  TcpOutSegs leaves it out (Linux counts only
 * segments with new sequence space or none). */
static void test_established_tlp_last_segment(void)
{
    th t;
    ln_tcp_sock *s = established_10ms(start(&t));
    uint64_t out0 = TH_MIB(t.a, TcpOutSegs);
    ln_time t0 = th_now(&t);
    send_segs(s, 2, 2);
    th_run(&t, 100 * LN_MSEC);
    th_seg *p = TH_EXPECT(&t, TH_A, F_PA, SEG(1), TH_ISS_B + 1, MSS, -1);
    if (p) {
        CHECK_U64(p->t - t0, 24 * LN_MSEC);
        CHECK_EQ(p->kind, LN_PKT_KIND_RETRANS);
    }
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLossProbes), 1);
    CHECK_U64(TH_MIB(t.a, TcpRetransSegs), 1);
    CHECK_U64(TH_MIB(t.a, TcpOutSegs) - out0, 2);
    /* The probe repaired the loss: everything acknowledged, then the ACK
     * of later data ends the episode as a recovery (RFC 8985 7.4.2):
     * ssthresh and cwnd fall once (cubic: 7). */
    back(SEG(2), NULL, 0);
    /* b's first window after the SYN-ACK's: not header prediction. */
    CHECK_U64(TH_MIB(t.a, TcpExtTCPHPAcks), 0);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPPureAcks), 1);
    CHECK_EQ(ln_tcp_send(s, NULL, 100), 100);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, SEG(2), TH_ISS_B + 1, 100, -1);
    back(SEG(2) + 100, NULL, 0);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPHPAcks), 1);     /* same window: the fast path */
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLossProbeRecovery), 1);
    ln_tcp_info in;
    info(s, &in);
    CHECK_EQ(in.ssthresh, 7);
    CHECK(strcmp(in.ca_state, "open") == 0);
    th_free(&t);
}

/* The probe sends new data when the peer's window lets it, past cwnd and
 * Nagle (Linux's tcp_send_loss_probe); its ACK ends the episode with no
 * reduction. */
static void test_established_tlp_new_data(void)
{
    th t;
    ln_tcp_sock *s = established_10ms(start(&t));
    ln_time t0 = th_now(&t);
    send_segs(s, 11, 10);                    /* the 11th waits for cwnd */
    th_run(&t, 30 * LN_MSEC);
    th_seg *p = TH_EXPECT(&t, TH_A, F_PA, SEG(10), TH_ISS_B + 1, MSS, -1);
    if (p) {
        CHECK_U64(p->t - t0, 24 * LN_MSEC);
        CHECK_EQ(p->kind, LN_PKT_KIND_NONE);
    }
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLossProbes), 1);
    CHECK_U64(TH_MIB(t.a, TcpRetransSegs), 0);
    back(SEG(11), NULL, 0);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLossProbeRecovery), 0);
    ln_tcp_info in;
    info(s, &in);
    CHECK_EQ(in.ssthresh, 0x7fffffffu);
    th_free(&t);
}

/* One segment out: PTO = 2 SRTT + the peer's delayed-ACK allowance
 * (tcp_rto_min, 200 ms), capped by the RTO (212 ms): 212 ms. */
static void test_established_tlp_one_segment(void)
{
    th t;
    ln_tcp_sock *s = established_10ms(start(&t));
    ln_time t0 = th_now(&t);
    CHECK_EQ(ln_tcp_send(s, "x", 1), 1);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, SEG(0), TH_ISS_B + 1, 1, -1);
    th_run(&t, 300 * LN_MSEC);
    th_seg *p = TH_EXPECT(&t, TH_A, F_PA, SEG(0), TH_ISS_B + 1, 1, -1);
    if (p) CHECK_U64(p->t - t0, 212 * LN_MSEC);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLossProbes), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPTimeouts), 0);
    th_free(&t);
}

/* RFC 2883 / RFC 3708: the fast retransmit was spurious -- the original
 * was only late.  Recovery ends with cwnd = ssthresh; then the D-SACK of
 * the retransmission proves every retransmission unneeded, and Linux
 * undoes the reduction (tcp_try_undo_dsack). */
static void test_established_dsack_undo(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    send_segs(s, 10, 10);
    ln_tcp_sackblk b = blk(1, 4);
    back(SEG(0), &b, 1);
    TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);
    TH_NONE(&t, TH_A);
    back(SEG(10), NULL, 0);
    ln_tcp_info in;
    info(s, &in);
    CHECK_EQ(in.ssthresh, 7);
    CHECK(in.cwnd < 10);
    ln_tcp_sackblk d = blk(0, 1);            /* the duplicate, below the ACK */
    back(SEG(10), &d, 1);
    info(s, &in);
    CHECK_EQ(in.cwnd, 10);
    CHECK_EQ(in.ssthresh, 0x7fffffffu);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPDSACKRecv), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPDSACKUndo), 1);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* Eifel (RFC 3522, Linux's tcp_packet_delayed): the ACK that ends the
 * recovery echoes a TSval older than the retransmission, so the original
 * arrived: full undo. */
static void test_established_eifel_undo(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    uint32_t ts0 = th_last_tsval(&t);
    send_segs(s, 10, 10);
    th_run(&t, 3 * LN_MSEC);                 /* before the probe (4 ms) */
    ln_tcp_sackblk b = blk(1, 4);
    back(SEG(0), &b, 1);
    TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);
    th_tx x = th_bseg(&t, F_A, TH_ISS_B + 1, SEG(10), 0);
    x.tsecr = ts0;                           /* echoes the original flight */
    th_deliver(&t, &x);
    /* cwnd back to 10, ssthresh too; then this ACK's slow start (+7). */
    ln_tcp_info in;
    info(s, &in);
    CHECK_EQ(in.cwnd, 17);
    CHECK_EQ(in.ssthresh, 0x7fffffffu);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPFullUndo), 1);
    th_free(&t);
}

/* RFC 5682 (SACK-enhanced F-RTO, tcp_frto = 2): after the probe and the
 * RTO, the ACK acknowledges segments never retransmitted: the timeout
 * was spurious.  cwnd comes back, Open, and nothing more is resent. */
static void test_established_frto_spurious_rto(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_time t0 = th_now(&t);
    send_segs(s, 10, 10);
    th_run(&t, 300 * LN_MSEC);
    TH_EXPECT(&t, TH_A, F_PA, SEG(9), TH_ISS_B + 1, MSS, -1);          /* the probe */
    th_seg *r = TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);  /* the RTO */
    if (r) CHECK_U64(r->t - t0, 4 * LN_MSEC + 204 * LN_MSEC);
    TH_NONE(&t, TH_A);
    ln_tcp_info in;
    info(s, &in);
    CHECK_EQ(in.cwnd, 1);
    back(SEG(3), NULL, 0);                   /* 1 and 2 were never resent */
    info(s, &in);
    CHECK(strcmp(in.ca_state, "open") == 0);
    CHECK_EQ(in.cwnd, 13);                   /* 10 again, + 3 by slow start */
    CHECK_EQ(in.ssthresh, 0x7fffffffu);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSpuriousRTOs), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLossUndo), 1);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* F-RTO when the loss is real: the first ACK after the RTO acknowledges
 * only the retransmission, new data goes instead of more retransmissions
 * (step 2.b); a duplicate ACK then shows the loss (step 3.a) and the
 * conventional go-back-N resumes. */
static void test_established_frto_real_loss(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    send_segs(s, 14, 10);
    th_run(&t, 300 * LN_MSEC);
    TH_EXPECT(&t, TH_A, F_A, SEG(10), TH_ISS_B + 1, MSS, -1);            /* the probe: new data */
    TH_EXPECT(&t, TH_A, F_A, SEG(0), TH_ISS_B + 1, MSS, -1);             /* the RTO */
    TH_NONE(&t, TH_A);
    back(SEG(1), NULL, 0);                   /* only the retransmission */
    TH_EXPECT(&t, TH_A, F_A, SEG(11), TH_ISS_B + 1, MSS, -1);            /* new data */
    TH_EXPECT(&t, TH_A, F_A, SEG(12), TH_ISS_B + 1, MSS, -1);
    TH_NONE(&t, TH_A);
    ln_tcp_sackblk b = blk(11, 12);
    back(SEG(1), &b, 1);                     /* duplicate ACK: real loss */
    TH_EXPECT(&t, TH_A, F_A, SEG(1), TH_ISS_B + 1, MSS, -1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSpuriousRTOs), 0);
    ln_tcp_info in;
    info(s, &in);
    CHECK(strcmp(in.ca_state, "loss") == 0);
    th_free(&t);
}

int main(void)
{
    test_established_rack_reo_timer();
    test_established_rack_dupthresh();
    test_established_rack_two_holes();
    test_established_rack_lost_retransmit();
    test_established_tlp_last_segment();
    test_established_tlp_new_data();
    test_established_tlp_one_segment();
    test_established_dsack_undo();
    test_established_eifel_undo();
    test_established_frto_spurious_rto();
    test_established_frto_real_loss();
    return check_report("test_tcp_rack");
}
