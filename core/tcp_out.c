/* tcp_out.c - everything TCP sends.
 *
 * Two send paths, as in lwIP and Linux:
 *   1. ln_tcp_output: the one function that decides what a connection
 *      sends next, in a fixed order -- retransmissions of lost segments in
 *      recovery (RFC 6675 NextSeg, RFC 6582), then new data (or, after an
 *      RTO, data again from SND.UNA) under cwnd, the peer's window and
 *      Nagle, then a FIN -- and then arms the retransmission or persist
 *      timer.  Callers: tcp_in.c after each segment, ln_tcp_send, timers.
 *   2. bare control segments: ACKs (ln_tcp_send_ack, also from TIME_WAIT
 *      with IP ID 0), SYN / SYN-ACK, RSTs (from a socket, or answering a
 *      segment nobody takes), zero-window and keepalive probes
 *      (seq = SND.UNA - 1), and ln_tcp_send_ctl for tcp_listen.c.
 *
 * Also here: the bookkeeping every sent segment does (delayed-ACK state,
 * IP ID, counters, send times for RTT samples).  The window each segment
 * advertises and the segment size come from tcp_win.c
 * (ln_tcp_select_window, ln_tcp_current_mss).
 *
 * Read: RFC 9293 3.8.6 (windows), 3.10 (what each state sends), RFC 1122
 * 4.2.3.4 (sender SWS, Nagle), RFC 896, RFC 6675 5, RFC 6937 (PRR sets
 * cwnd in tcp_ack.c, this file spends it), RFC 7323 3 (TS on every
 * segment), RFC 2018 / RFC 2883 (SACK and D-SACK blocks), and Linux's
 * tcp_output.c. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ip.h"
#include "net.h"
#include "node.h"
#include "ip6.h"
#include "tcp_int.h"
#include "wire.h"

static ln_net *net_of(const ln_tcp_sock *s) { return s->st->node->net; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t div_up(uint32_t a, uint32_t b) { return b ? (a + b - 1) / b : a; }

/* ---- sizes ------------------------------------------------------------------ */

ln_seq ln_tcp_data_end(const ln_tcp_sock *s)
{
    /* Once sent, the FIN sits right after the data: SND.MAX - 1. */
    if (s->flags & LN_TF_FIN_SENT) return s->snd_max - 1;
    /* Data starts after the SYN, acknowledged or not (a close in
     * SYN-RECEIVED queues the FIN at ISS + 1). */
    return (s->snd_una == s->iss ? s->iss + 1 : s->snd_una) + ln_tcp_snd_queued(s);
}

/* SACKed bytes in [from, to). */
static uint32_t sacked_between(const ln_tcp_sb *sb, ln_seq from, ln_seq to)
{
    uint32_t n = 0;
    for (int i = 0; i < sb->n; i++) {
        ln_seq a = ln_seq_max(sb->blk[i].start, from), b = ln_seq_min(sb->blk[i].end, to);
        if (ln_seq_lt(a, b)) n += (uint32_t)(b - a);
    }
    return n;
}

uint32_t ln_tcp_in_flight(const ln_tcp_sock *s)
{
    uint32_t mss = s->mss_cache ? s->mss_cache : 536;
    /* Without xf at most a SYN is in flight. */
    if (!s->xf) return s->snd_max != s->snd_una ? 1 : 0;
    /* With RACK, Loss too counts by the per-segment marks, as Linux. */
    if (ln_tcp_rack_on(s)) return ln_tcp_rack_in_flight(s);
    if (s->ca_state == LN_CA_LOSS) {
        /* After an RTO everything outstanding counts as lost (Linux's
         * tcp_timeout_mark_lost): only what went out again is in flight --
         * or, while F-RTO sends new data (RFC 5682 step 2.b), that data. */
        ln_seq from = s->xf->rack.frto_new && ln_seq_lt(s->snd_una, s->xf->high_seq) ? s->xf->high_seq : s->snd_una;
        uint32_t bytes = ln_seq_gt(s->snd_nxt, from) ? (uint32_t)(s->snd_nxt - from) : 0;
        if (s->xf->sb && bytes) bytes -= sacked_between(s->xf->sb, from, s->snd_nxt);
        return div_up(bytes, mss);
    }
    if (s->xf->sb && (s->xf->sb->n || s->ca_state == LN_CA_RECOVERY))
        return div_up(ln_tcp_sb_pipe(s->xf->sb, s->snd_una, s->snd_max, mss, s->st->cfg.reordering), mss);
    /* Without SACK, Linux counts each duplicate ACK as a segment that left
     * the network (tcp_add_reno_sack): packets_out - sacked_out - lost_out
     * + retrans_out, the last two only while fast recovery marks the head
     * lost and retransmits it. */
    uint32_t segs = div_up((uint32_t)(s->snd_max - s->snd_una), mss);
    uint32_t gone = s->xf->dupacks;
    if (s->ca_state == LN_CA_RECOVERY) gone += s->xf->lost_out;
    segs = segs > gone ? segs - gone : 0;
    if (s->ca_state == LN_CA_RECOVERY) segs += s->xf->retrans_out;
    return segs;
}

/* ---- building and sending ------------------------------------------------------- */

/* DF on every segment (Linux does path MTU discovery); the socket's IP ID
 * counter, or 0 where Linux sends from a timewait sock.  TcpOutSegs
 * leaves out segments that only repeat sequence space, as Linux's
 * __tcp_transmit_skb does (RFC 1213 tcpOutSegs: "excluding those
 * containing only retransmitted octets"). */
/* IPv6 has no DF and no ID: path MTU discovery is the only way (RFC
 * 8200 5), and the MSS already fits the path.  Out of line, so that the
 * IPv4 path stays as short as it was. */
static __attribute__((noinline)) int ip6_send(ln_tcp_sock *s, ln_pkt *pkt, bool count)
{
    ln_ip6_opts o6 = { .flow = s->v6->flow, .oif = s->v6->oif };
    ln_tcp_csum6(pkt, s->v6);
    if (count) LN_MIB_INC(s->st->node, TcpOutSegs);
    s->segs_out++;
    return ln_ip6_output(s->st->node, pkt, &s->v6->laddr, &s->v6->raddr, LN_IPPROTO_TCP, &o6);
}

static int ip_send(ln_tcp_sock *s, ln_pkt *pkt, bool id0, bool count)
{
    if (__builtin_expect((s->flags & LN_TF_V6) != 0, 0)) return ip6_send(s, pkt, count);
    ln_ip_opts o;
    memset(&o, 0, sizeof o);
    o.df = o.df_set = true;
    o.id_set = true;
    o.id = id0 ? 0 : s->ip_id++;
    o.rc = &s->rcache;
    if (count) LN_MIB_INC(s->st->node, TcpOutSegs);
    s->segs_out++;
    return ln_ip_output(s->st->node, pkt, s->laddr, s->raddr, LN_IPPROTO_TCP, &o);
}

/* Header fields and options of a segment after the handshake: TS on every
 * segment (RFC 7323 3.2), SACK blocks with a D-SACK first (RFC 2883 4). */
static void fill_hdr(ln_tcp_sock *s, ln_tcp_hdr *h, ln_seq seq, uint8_t flags)
{
    memset(h, 0, sizeof *h);
    h->saddr = s->laddr; h->daddr = s->raddr;
    h->sport = s->lport; h->dport = s->rport;
    h->seq = seq;
    h->ack = s->rcv_nxt;
    h->flags = flags;
    h->ws = -1;
    if (s->flags & LN_TF_TS) {
        h->ts = true;
        h->tsval = ln_tcp_tsval(s->st, s->ts_offset);
        h->tsecr = s->ts_recent;
    }
    /* Without xf there is nothing to SACK (a D-SACK is set in xf). */
    if ((s->flags & LN_TF_SACK) && (flags & LN_TCP_ACK) && s->xf) {
        int n = 0;
        if (s->flags & LN_TF_DSACK) h->sack[n++] = s->xf->dsack;
        n += ln_tcp_ofo_sack(&s->xf->ofo, &h->sack[n], 4 - n);
        h->n_sack = (uint8_t)n;
    }
}

/* Linux's tcp_event_ack_sent: an ACK went out, so the delayed one is no
 * longer owed; each ACK of new data spends one quick ACK. */
static void ack_sent(ln_tcp_sock *s)
{
    ln_tcp_xfer *x = s->xf;
    if (x && x->compressed_ack) {
        LN_MIB_ADD(s->st->node, TcpExtTCPAckCompressed, x->compressed_ack);
        x->compressed_ack = 0;
    }
    if (s->quick) {
        uint32_t pkts = (s->ack_pending & LN_ACK_SCHED) ? 1 : 0;
        if (pkts >= s->quick) {
            s->quick = 0;
            s->ato = s->st->cfg.delack_min;
        } else {
            s->quick = (uint8_t)(s->quick - pkts);
        }
    }
    s->ack_pending = 0;
    if (x) ln_timer_cancel(&net_of(s)->sim, &x->t_delack);
    s->flags &= ~LN_TF_DSACK;
}

/* Linux's tcp_event_data_sent: a reply sent within the delayed-ACK time
 * of the last data received makes the connection interactive (pingpong:
 * ACKs are delayed to ride on the next reply); sending after an idle
 * moment tells the algorithm (CA_EVENT_TX_START). */
static void data_sent(ln_tcp_sock *s, bool was_idle)
{
    ln_time now = ln_tcp_now(s);
    if (was_idle) {
        s->xf->cc.lsndtime = s->lsndtime;
        s->cc_ops->cwnd_event(&s->xf->cc, LN_CA_EVENT_TX_START, now);
    }
    s->lsndtime = now;
    if (s->ato && now - s->lrcvtime < s->ato) s->flags |= LN_TF_PINGPONG;
}

/* Send one segment of a synchronized connection: data [seq, seq + len)
 * from the send ring (len may be 0), the flags given; window, ack and
 * options as they are now.  `kind` (LN_PKT_KIND_*) rides on the packet for
 * the events. */
static int xmit(ln_tcp_sock *s, ln_seq seq, uint32_t len, uint8_t flags, uint8_t kind)
{
    uint32_t off = (uint32_t)(seq - s->snd_una);
    uint8_t phase;
    /* A generated stream goes out as a generated payload (pkt.h): a
     * header-sized packet, no bytes copied.  Not worth it for a payload
     * that fits in one anyway. */
    bool gen = len > LN_PKT_TINY - LN_PKT_HEADROOM && ln_ring_gen(&s->xf->snd, off, &phase);
    ln_pkt *pkt = ln_net_pkt(net_of(s), gen ? 0 : len);
    if (!pkt) return LN_ENOBUFS;
    pkt->kind = kind;
    if (gen) ln_pkt_put_gen(pkt, len, phase);
    else if (len) ln_ring_peek(&s->xf->snd, off, pkt->data, len);
    ln_tcp_hdr h;
    fill_hdr(s, &h, seq, flags);
    h.wnd = ln_tcp_select_window(s);
    int rc = ln_tcp_push_hdr(pkt, &h);
    if (rc) {
        ln_pkt_free(pkt);
        return rc;
    }
    if (flags & LN_TCP_ACK) ack_sent(s);
    ln_seq send = seq + len + ((flags & LN_TCP_FIN) ? 1 : 0);
    return ip_send(s, pkt, false, send == seq || ln_seq_gt(send, s->snd_max));
}

/* A retransmission of [seq, seq + len) and, with `fin`, the FIN after
 * it: counters, Karn, and the records' send times; RACK's copy in
 * flight.  The range ends exactly where the segment ends: one
 * byte more would reach into the next record and mark a segment that
 * never went again as retransmitted (retrans_out one too high, no RTT
 * sample from it). */
static void count_rtx(ln_tcp_sock *s, ln_seq seq, uint32_t len, bool fin)
{
    ln_seq end = seq + len + (fin ? 1 : 0);
    ln_node *n = s->st->node;
    LN_MIB_INC(n, TcpRetransSegs);
    s->total_retrans++;
    s->xf->bytes_retrans += len;
    if (!(s->flags & LN_TF_PROBE_RTX)) ln_tcp_undo_note_rtx(s);
    if (ln_tcp_rack_on(s)) {
        if (s->xf->txq) ln_tcp_rack_sent(s, seq, end, !(s->flags & LN_TF_PROBE_RTX));
        return;
    }
    s->xf->retrans_out++;
    if (s->xf->txq) ln_tcp_txq_mark_rtx(s, seq, end);
}

/* Is a FIN owed now?  After close()/shutdown() has moved the state on,
 * until it is sent (or, after an RTO rewound SND.NXT, sent again). */
static bool fin_due(const ln_tcp_sock *s, ln_seq end)
{
    if (!(s->flags & LN_TF_SHUT_WR)) return false;
    if (s->state != LN_TCP_FIN_WAIT_1 && s->state != LN_TCP_CLOSING && s->state != LN_TCP_LAST_ACK)
        return false;
    return !(s->flags & LN_TF_FIN_SENT) || ln_seq_le(s->snd_nxt, end);
}

/* Send data [seq, seq + len) (and the FIN when it fits right after), as
 * new data or as a retransmission; advances SND.NXT/SND.MAX. */
static int send_seg(ln_tcp_sock *s, ln_seq seq, uint32_t len, ln_seq end, uint32_t mss,
                    bool fin_ok, bool was_idle)
{
    ln_time now = ln_tcp_now(s);
    bool rtx = ln_seq_lt(seq, s->snd_max);
    bool fin = fin_ok && seq + len == end && fin_due(s, end);
    uint8_t flags = LN_TCP_ACK;
    /* PSH: Linux sets it on the last segment of what the application
     * wrote; lunet on a segment that empties the queue.  A retransmission
     * keeps the flags of the segment it repeats (as Linux's skb does). */
    int was_psh = rtx && len ? ln_tcp_txq_psh(s, seq + len) : -1;
    if (len && (was_psh >= 0 ? was_psh : seq + len == end)) flags |= LN_TCP_PSH;
    if (fin) flags |= LN_TCP_FIN;
    /* Every retransmission outside fast recovery follows an RTO (Loss), or
     * a path-MTU drop, which Wireshark also sees as a plain one. */
    uint8_t kind = !rtx ? LN_PKT_KIND_NONE
                 : s->ca_state == LN_CA_RECOVERY ? LN_PKT_KIND_FAST_RETRANS : LN_PKT_KIND_RETRANS;
    int rc = xmit(s, seq, len, flags, kind);
    if (rc) return rc;
    ln_seq nend = seq + len + (fin ? 1 : 0);
    if (ln_seq_gt(nend, s->snd_nxt) || !rtx) s->snd_nxt = nend;
    if (ln_seq_gt(nend, s->snd_max)) {
        /* New sequence space (part of it may be a retransmission). */
        if (!rtx) {
            if (s->xf->txq || len) ln_tcp_txq_push(s, nend, now, (flags & LN_TCP_PSH) != 0);
        }
        s->snd_max = nend;
    }
    if (fin) s->flags |= LN_TF_FIN_SENT;
    if (rtx) count_rtx(s, seq, len, fin);
    if (len) {
        s->xf->data_segs_out++;
        s->xf->bytes_sent += len;
        if (!rtx) LN_MIB_INC(s->st->node, TcpExtTCPOrigDataSent);
        /* Minshall's Nagle (tcp_minshall_update): remember a short one. */
        if (len < mss) s->snd_sml = seq + len;
        data_sent(s, was_idle);
    }
    return 0;
}

/* Send [seq, seq + len) again, and with `fin_ok` the FIN if it follows:
 * the FIN rides with the last segment as it did the first time (Linux
 * resends the skb that carries it).  SND.NXT, which fin_due reads, is
 * where this one starts, then back where it was if that is further. */
static int resend(ln_tcp_sock *s, ln_seq seq, uint32_t len, bool fin_ok)
{
    ln_seq nxt = s->snd_nxt;
    s->snd_nxt = seq;
    int rc = send_seg(s, seq, len, ln_tcp_data_end(s), ln_tcp_current_mss(s), fin_ok, false);
    if (ln_seq_gt(nxt, s->snd_nxt)) s->snd_nxt = nxt;
    return rc;
}

/* RFC 896 / RFC 1122 4.2.3.4 as Linux's tcp_nagle_check with Minshall's
 * refinement: a short segment waits only while an earlier short segment
 * is unacknowledged (not any data at all).  TCP_CORK holds every short
 * segment, TCP_NODELAY or not (TCP_NAGLE_CORK is tested first); the
 * persist timer sends it if nothing else does (tcp_check_probe_timer:
 * the cork's "200 ms ceiling" of tcp(7) is that timer, max(RTO, rto_min)). */
static bool nagle_ok(const ln_tcp_sock *s, uint32_t len, uint32_t mss, bool fin)
{
    if (len >= mss || fin) return true;
    if (s->flags & LN_TF_CORK) return false;
    if (s->flags & LN_TF_NODELAY) return true;
    if (s->snd_max == s->snd_una) return true;
    return !(ln_seq_gt(s->snd_sml, s->snd_una) && ln_seq_le(s->snd_sml, s->snd_max));
}

/* What resending txq record i sends: [*seq, *seq + *len), cut to one MSS
 * (tcp_fragment) if the path MTU fell since it went, and its FIN. */
static bool record_range(ln_tcp_sock *s, uint32_t i, uint32_t mss, ln_seq end, ln_seq *seq, uint32_t *len,
                         bool *fin)
{
    ln_seq lend = ln_tcp_txq_at(s, i)->end;
    *seq = i ? ln_tcp_txq_at(s, i - 1)->end : s->snd_una;
    if (ln_seq_lt(*seq, s->snd_una)) *seq = s->snd_una;
    *fin = ln_seq_gt(lend, end) && (s->flags & LN_TF_FIN_SENT);
    if (ln_seq_gt(lend, end)) lend = end;
    *len = ln_seq_gt(lend, *seq) ? (uint32_t)(lend - *seq) : 0;
    if (*len > mss) {
        ln_tcp_txq_split(s, i, *seq + mss);
        *len = mss;
        *fin = false;
    } else {
        /* tcp_retrans_try_collapse's room: one MSS, within the window. */
        ln_seq wnd_end = s->snd_una + s->snd_wnd;
        uint32_t room = ln_seq_gt(wnd_end, *seq) ? umin(mss, (uint32_t)(wnd_end - *seq)) : mss;
        ln_tcp_txq_collapse(s, i, *seq, room, end, len, fin);
    }
    return *len > 0 || *fin;
}

/* Linux's tcp_xmit_retransmit_queue: the first segment marked lost. */
static bool next_lost(ln_tcp_sock *s, uint32_t mss, ln_seq end, ln_seq *seq, uint32_t *len, bool *fin)
{
    int i = ln_tcp_rack_next_lost(s);
    return i >= 0 && record_range(s, (uint32_t)i, mss, end, seq, len, fin);
}

/* The next segment to retransmit in fast recovery, or false.  With
 * RACK, what it marked lost; else with SACK, RFC 6675 NextSeg rules 1
 * and 3 (rule 2, new data, is the caller's next step; rule 4, the rescue
 * retransmission, lunet does not do).  Without, the first unacknowledged
 * segment once it is marked lost (RFC 5681 3.2 step 4, and RFC 6582
 * after each partial ACK). */
static bool next_rtx(ln_tcp_sock *s, uint32_t mss, ln_seq end, ln_seq wnd_end, ln_seq *seq,
                     uint32_t *len, bool *fin)
{
    *fin = false;
    if (ln_tcp_rack_on(s)) return next_lost(s, mss, end, seq, len, fin);
    if (s->xf->sb && (s->flags & LN_TF_SACK)) {
        uint32_t nlen = umin(mss, (uint32_t)(end - s->snd_nxt));
        bool have_new = ln_seq_lt(s->snd_nxt, end) && ln_seq_le(s->snd_nxt + nlen, wnd_end);
        bool nd;
        if (!ln_tcp_sb_next_seg(s->xf->sb, s->snd_una, s->snd_max, mss, s->st->cfg.reordering,
                                have_new, seq, len, &nd))
            return false;
        if (ln_seq_gt(*seq + *len, end)) *len = (uint32_t)(end - *seq);
        return *len > 0;
    }
    if (s->xf->lost_out <= s->xf->retrans_out) return false;
    *seq = s->snd_una;
    *len = umin(mss, (uint32_t)(end - s->snd_una));
    return *len > 0;
}

/* After an RTO without RACK, go-back-N skips what the peer SACKed (Linux
 * retransmits only the skbs marked lost).  Returns where to send from and caps *lim
 * at the next SACKed block. */
static ln_seq skip_sacked(const ln_tcp_sb *sb, ln_seq seq, ln_seq *lim)
{
    for (int i = 0; i < sb->n; i++) {
        if (ln_seq_le(sb->blk[i].end, seq)) continue;
        if (ln_seq_le(sb->blk[i].start, seq)) {
            seq = sb->blk[i].end;
            continue;
        }
        if (ln_seq_lt(sb->blk[i].start, *lim)) *lim = sb->blk[i].start;
        break;
    }
    return seq;
}

/* Linux's tcp_cwnd_validate: was the last window cwnd-limited, and the
 * most segments in flight in it (what the algorithms read). */
static void cwnd_validate(ln_tcp_sock *s, bool cwnd_limited, uint32_t mss)
{
    uint32_t packets_out = div_up((uint32_t)(s->snd_max - s->snd_una), mss);
    if (!ln_seq_lt(s->snd_una, s->cwnd_usage_seq) || cwnd_limited ||
        (!s->cwnd_limited && packets_out > s->xf->cc.in_flight)) {
        s->cwnd_limited = cwnd_limited;
        s->xf->cc.in_flight = packets_out;
        s->cwnd_usage_seq = s->snd_max;
    }
    s->xf->cc.app_limited = !s->cwnd_limited;
}

/* Linux's tcp_xmit_retransmit_queue: in fast recovery, and after an RTO
 * with RACK (without it Loss is go-back-N, ln_tcp_output's step 2), the
 * segments marked lost, as cwnd allows.  F-RTO's step 2.b sends new data
 * instead (REXMIT_NEW). */
static bool retransmit_lost(ln_tcp_sock *s, uint32_t mss, ln_seq end, ln_seq wnd_end, uint32_t *in_flight,
                            uint32_t cwnd)
{
    bool loss = s->ca_state == LN_CA_LOSS && ln_tcp_rack_on(s) && !s->xf->rack.frto_new;
    if (s->ca_state != LN_CA_RECOVERY && !loss) return false;
    ln_seq seq;
    uint32_t len;
    bool fin, head = false, sent = false;
    while (*in_flight < cwnd && next_rtx(s, mss, end, wnd_end, &seq, &len, &fin)) {
        if (resend(s, seq, len, fin || !ln_tcp_rack_on(s))) break;
        ln_node_mib(s->st->node)[loss ? LN_MIB_TcpExtTCPSlowStartRetrans : LN_MIB_TcpExtTCPFastRetrans]++;
        if (s->xf->sb) s->xf->sb->high_rxt = seq + len;
        head |= seq == s->snd_una;
        (*in_flight)++;
        if (!loss) s->xf->prr_out++;
        sent = true;
    }
    /* The head went again: the RTO starts over (unless RACK's timer is
     * waiting). */
    if (head && s->rtx_kind != LN_RTX_REO) ln_tcp_rearm_rtx(s);
    return sent;
}

void ln_tcp_output(ln_tcp_sock *s)
{
    switch (s->state) {
    case LN_TCP_ESTABLISHED:
    case LN_TCP_CLOSE_WAIT:
    case LN_TCP_FIN_WAIT_1:
    case LN_TCP_CLOSING:
    case LN_TCP_LAST_ACK:
        break;
    default:
        return;
    }
    if (s->flags & LN_TF_DEAD) return;
    ln_seq end = ln_tcp_data_end(s);
    if (!s->xf) {
        /* Without xf nothing was sent after the SYN and nothing is
         * queued: only a FIN can be owed, and sending it makes xf.
         * Without memory for that the connection cannot close in order:
         * it is reset instead (ENOMEM), the way a failed tcp_send_fin
         * would leave it. */
        if (!fin_due(s, end)) return;
        if (!ln_tcp_xfer_get(s)) {
            ln_tcp_send_rst(s);
            if (!(s->flags & LN_TF_ORPHAN)) ln_tcp_set_error(s, LN_ENOMEM);
            ln_tcp_done(s);
            return;
        }
    }
    uint32_t mss = ln_tcp_current_mss(s);
    ln_seq wnd_end = s->snd_una + s->snd_wnd;
    uint32_t in_flight = ln_tcp_in_flight(s);
    uint32_t cwnd = s->xf->cc.cwnd;
    bool was_idle = in_flight == 0, sent = false, sent_new = false;

    /* 1. Recovery, and Loss with RACK: lost segments first. */
    sent = retransmit_lost(s, mss, end, wnd_end, &in_flight, cwnd);

    /* 2. New data; after an RTO without RACK, everything from SND.UNA
     * again. */
    for (;;) {
        ln_seq seq = s->snd_nxt, lim = end;
        bool loss_rtx = s->ca_state == LN_CA_LOSS && ln_seq_lt(seq, s->snd_max);
        if (loss_rtx && s->xf->sb) {
            seq = skip_sacked(s->xf->sb, seq, &lim);
            s->snd_nxt = seq;
        }
        /* A retransmission after an RTO stops at SND.MAX: merging bytes
         * never sent into it would make a "retransmission" of new data
         * (Linux resends its queued segments, collapsing only ones already
         * sent), and Wireshark would see an ACK of unseen data. */
        if (loss_rtx && ln_seq_gt(lim, s->snd_max)) lim = s->snd_max;
        if (!ln_seq_lt(seq, end)) break;
        if (in_flight >= cwnd) break;
        uint32_t len = umin(mss, (uint32_t)(lim - seq));
        /* The peer's window (tcp_snd_wnd_test): a segment that does not
         * fit waits, even a short one -- the persist timer or an ACK
         * opening the window sends it (sender SWS avoidance). */
        if (ln_seq_gt(seq + len, wnd_end)) break;
        bool fin = fin_due(s, end) && seq + len == end && ln_seq_le(seq + len + 1, wnd_end);
        /* Nagle holds back new data only, never a retransmission. */
        if (!ln_seq_lt(seq, s->snd_max) && !nagle_ok(s, len, mss, fin)) break;
        if (send_seg(s, seq, len, end, mss, ln_seq_le(seq + len + 1, wnd_end), was_idle)) break;
        /* tcp_xmit_retransmit_queue: every retransmission in Loss. */
        if (loss_rtx) LN_MIB_INC(s->st->node, TcpExtTCPSlowStartRetrans);
        /* PRR counts everything sent during the reduction (RFC 6937
         * prr_out), new data included. */
        if (s->ca_state == LN_CA_RECOVERY) s->xf->prr_out++;
        was_idle = false;
        in_flight++;
        sent = true;
        sent_new |= !loss_rtx;
    }

    /* 3. The FIN on its own, once the data has gone.  Linux is not strict
     * about cwnd for a lone FIN, but it must fit the window. */
    if (s->snd_nxt == end && fin_due(s, end) && ln_seq_le(end + 1, wnd_end)) {
        if (send_seg(s, end, 0, end, mss, true, false) == 0) {
            in_flight++;
            sent = true;
        }
    }

    if (sent || in_flight >= cwnd) cwnd_validate(s, in_flight >= cwnd, mss);
    /* New data restarts the tail-loss probe's timeout (RFC 8985 7.2,
     * Linux's tcp_write_xmit); a probe timeout that no longer applies
     * gives way to the RTO (tcp_event_new_data_sent). */
    if (sent_new && !ln_tcp_schedule_loss_probe(s, false) && s->rtx_kind == LN_RTX_PROBE)
        ln_tcp_rearm_rtx(s);
    ln_tcp_ensure_rtx(s);
}

int ln_tcp_send_probe_data(ln_tcp_sock *s)
{
    ln_seq end = ln_tcp_data_end(s), wnd_end = s->snd_una + s->snd_wnd;
    if (s->state < LN_TCP_ESTABLISHED || !ln_seq_lt(s->snd_max, end)) return 0;
    uint32_t mss = ln_tcp_current_mss(s);
    uint32_t len = umin(mss, (uint32_t)(end - s->snd_max));
    /* tcp_snd_wnd_test: the segment must fit the peer's window. */
    if (ln_seq_gt(s->snd_max + len, wnd_end)) return 0;
    /* Linux's tcp_write_xmit with push_one = 2: past cwnd and Nagle. */
    s->snd_nxt = s->snd_max;
    return send_seg(s, s->snd_max, len, end, mss, ln_seq_le(s->snd_max + len + 1, wnd_end), false) ? -1 : 1;
}

bool ln_tcp_retransmit_tail(ln_tcp_sock *s)
{
    if (!s->xf->txq_len || s->state < LN_TCP_ESTABLISHED) return false;
    ln_seq end = ln_tcp_data_end(s), last = ln_tcp_txq_at(s, s->xf->txq_len - 1)->end;
    ln_seq start = s->xf->txq_len > 1 ? ln_tcp_txq_at(s, s->xf->txq_len - 2)->end : s->snd_una;
    if (ln_seq_lt(start, s->snd_una)) start = s->snd_una;
    ln_seq dend = ln_seq_lt(last, end) ? last : end;     /* the FIN is not data */
    uint32_t mss = ln_tcp_current_mss(s);
    uint32_t len = ln_seq_gt(dend, start) ? umin(mss, (uint32_t)(dend - start)) : 0;
    ln_seq seq = dend - len;
    bool fin = (s->flags & LN_TF_FIN_SENT) && last == s->snd_max;
    if (!len && !fin) return false;
    /* Linux's tcp_send_loss_probe: the last MSS of the last skb, as it
     * went (its FIN too), through __tcp_retransmit_skb, which leaves
     * retrans_out alone (the probe is tracked by TLP's own state). */
    s->flags |= LN_TF_PROBE_RTX;
    int rc = resend(s, seq, len, fin);
    s->flags &= ~LN_TF_PROBE_RTX;
    return rc == 0;
}

/* ---- control segments ----------------------------------------------------------- */

/* ACKs of a TIME_WAIT or orphaned FIN_WAIT_2 socket: Linux sends them from
 * a timewait sock (tcp_v4_timewait_ack), with IP ID 0 and the window as it
 * was, never updated. */
static void tw_ack(ln_tcp_sock *s)
{
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = s->laddr; h.daddr = s->raddr;
    h.sport = s->lport; h.dport = s->rport;
    h.seq = s->snd_max;
    h.ack = s->rcv_nxt;
    h.flags = LN_TCP_ACK;
    h.ws = -1;
    uint32_t w = s->rcv_wnd >> s->rcv_wscale;     /* tw_rcv_wnd, see tw_freeze */
    h.wnd = (uint16_t)umin(w, 65535);
    if (s->flags & LN_TF_TS) {
        h.ts = true;
        h.tsval = ln_tcp_tsval(s->st, s->ts_offset);
        h.tsecr = s->ts_recent;
    }
    s->segs_out++;
    ln_tcp_send_ctl(s->st, &h, s->v6, LN_PKT_KIND_NONE);
    ack_sent(s);
}

void ln_tcp_send_ack(ln_tcp_sock *s)
{
    if (s->state == LN_TCP_CLOSED || s->state == LN_TCP_LISTEN || s->state == LN_TCP_SYN_SENT ||
        (s->flags & LN_TF_DEAD))
        return;
    /* Linux turns an orphaned FIN_WAIT_2 into a timewait sock once its
     * FIN_WAIT_2 timer runs: from then on it answers like TIME_WAIT. */
    if (s->state == LN_TCP_TIME_WAIT ||
        (s->state == LN_TCP_FIN_WAIT_2 && (s->flags & LN_TF_ORPHAN) &&
         s->keep_kind == LN_KEEP_FIN_WAIT_2)) {
        tw_ack(s);
        return;
    }
    /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 9293 3.10.7.4); Linux's
     * SND.NXT is the highest sent, which is SND.MAX here. */
    xmit(s, s->snd_max, 0, LN_TCP_ACK, LN_PKT_KIND_NONE);
}

void ln_tcp_ack_soon(ln_tcp_sock *s, bool now)
{
    if (now) ln_tcp_send_ack(s);
    else ln_tcp_arm_delack(s);
}

static int send_syn(ln_tcp_sock *s, uint8_t kind)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    ln_pkt *pkt = ln_net_pkt(net_of(s), 0);
    if (!pkt) return LN_ENOBUFS;
    pkt->kind = kind;
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = s->laddr; h.daddr = s->raddr;
    h.sport = s->lport; h.dport = s->rport;
    h.seq = s->iss;
    /* RFC 7323 2.2: the window of a SYN is never scaled. */
    h.wnd = (uint16_t)umin(s->rcv_wnd, 65535);
    h.syn_opts = true;
    h.mss = s->adv_mss;
    if (s->state == LN_TCP_SYN_SENT) {
        h.flags = LN_TCP_SYN;
        h.sack_perm = c->sack;
        h.ws = c->window_scaling ? (int8_t)s->rcv_wscale : -1;
        h.ts = c->timestamps;
        h.tsval = ln_tcp_tsval(s->st, s->ts_offset);
        h.tsecr = 0;
    } else {
        /* SYN-ACK of a simultaneous open: the options mirror the SYN. */
        h.flags = LN_TCP_SYN | LN_TCP_ACK;
        h.ack = s->rcv_nxt;
        h.sack_perm = (s->flags & LN_TF_SACK) != 0;
        h.ws = (s->flags & LN_TF_WSCALE) ? (int8_t)s->rcv_wscale : -1;
        h.ts = (s->flags & LN_TF_TS) != 0;
        h.tsval = ln_tcp_tsval(s->st, s->ts_offset);
        h.tsecr = s->ts_recent;
    }
    int rc = ln_tcp_push_hdr(pkt, &h);
    if (rc) {
        ln_pkt_free(pkt);
        return rc;
    }
    if (h.flags & LN_TCP_ACK) ack_sent(s);
    if (s->state == LN_TCP_SYN_SENT || s->state == LN_TCP_SYN_RCVD) s->snd_nxt = s->iss + 1;
    bool first = ln_seq_gt(s->iss + 1, s->snd_max) || s->snd_max == s->iss;
    if (ln_seq_gt(s->iss + 1, s->snd_max)) s->snd_max = s->iss + 1;
    return ip_send(s, pkt, false, first && kind != LN_PKT_KIND_RETRANS);
}

int ln_tcp_send_syn(ln_tcp_sock *s)
{
    return send_syn(s, LN_PKT_KIND_NONE);
}

/* Linux's tcp_send_active_reset: RST|ACK at SND.NXT, from the socket (its
 * IP ID, TS option and window). */
void ln_tcp_send_rst(ln_tcp_sock *s)
{
    if (s->flags & LN_TF_DEAD) return;
    ln_pkt *pkt = ln_net_pkt(net_of(s), 0);
    if (!pkt) return;
    ln_tcp_hdr h;
    fill_hdr(s, &h, s->snd_max, LN_TCP_RST | LN_TCP_ACK);
    h.n_sack = 0;
    h.wnd = ln_tcp_select_window(s);
    if (ln_tcp_push_hdr(pkt, &h)) {
        ln_pkt_free(pkt);
        return;
    }
    LN_MIB_INC(s->st->node, TcpOutRsts);
    ip_send(s, pkt, false, true);
}

/* RFC 9293 3.10.7.1: no connection.  If the segment has an ACK, the
 * reset takes its sequence number from it; otherwise it is at 0 and
 * acknowledges the whole segment (a SYN gets RST,ACK ack ISN + 1, window
 * 0, no options, IP ID 0: reference 5).  Never a reset for a reset. */
void ln_tcp_send_rst_reply(ln_tcp_stack *st, const ln_tcp_seg *seg)
{
    if (seg->flags & LN_TCP_RST) return;
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = seg->daddr; h.daddr = seg->saddr;
    h.sport = seg->dport; h.dport = seg->sport;
    h.ws = -1;
    if (seg->flags & LN_TCP_ACK) {
        h.seq = seg->ack;
        h.flags = LN_TCP_RST;
    } else {
        h.seq = 0;
        h.ack = seg->seq + seg->seg_len;
        h.flags = LN_TCP_RST | LN_TCP_ACK;
    }
    ln_tcp_send_ctl(st, &h, seg->v6, LN_PKT_KIND_NONE);   /* its laddr is the segment's destination */
}

int ln_tcp_send_ctl(ln_tcp_stack *st, const ln_tcp_hdr *h, const ln_tcp6 *v6, uint8_t kind)
{
    ln_node *n = st->node;
    ln_pkt *pkt = ln_net_pkt(n->net, 0);
    if (!pkt) return LN_ENOBUFS;
    pkt->kind = kind;
    int rc = ln_tcp_push_hdr(pkt, h);
    if (rc) {
        ln_pkt_free(pkt);
        return rc;
    }
    LN_MIB_INC(n, TcpOutSegs);
    if (h->flags & LN_TCP_RST) LN_MIB_INC(n, TcpOutRsts);
    if (v6) {
        /* tcp_v6_send_response: the connection's flow label. */
        ln_tcp_csum6(pkt, v6);
        ln_ip6_opts o6 = { .flow = ln_tcp6_flow(st, v6, h->sport, h->dport), .oif = v6->oif };
        return ln_ip6_output(n, pkt, &v6->laddr, &v6->raddr, LN_IPPROTO_TCP, &o6);
    }
    ln_ip_opts o;
    memset(&o, 0, sizeof o);
    o.df = o.df_set = true;
    o.id_set = true;
    o.id = 0;
    return ln_ip_output(n, pkt, h->saddr, h->daddr, LN_IPPROTO_TCP, &o);
}

/* Linux's tcp_xmit_probe_skb: an ACK one below SND.UNA, which the peer
 * must answer with its current window (reference 8: tshark calls it a
 * keep-alive, whatever it was sent for; the kind says which). */
void ln_tcp_send_probe(ln_tcp_sock *s, uint8_t kind)
{
    xmit(s, s->snd_una - 1, 0, LN_TCP_ACK, kind);
}

/* Linux's tcp_write_wakeup: if the window lets some new data through,
 * send it (as much as fits, ignoring Nagle: this is the sender SWS
 * timeout of RFC 1122 4.2.3.4), else a probe. */
bool ln_tcp_write_wakeup(ln_tcp_sock *s)
{
    if (s->state == LN_TCP_CLOSED || s->state == LN_TCP_LISTEN) return false;
    ln_seq end = ln_tcp_data_end(s), wnd_end = s->snd_una + s->snd_wnd;
    if (ln_seq_lt(s->snd_nxt, end) && ln_seq_lt(s->snd_nxt, wnd_end) &&
        s->state >= LN_TCP_ESTABLISHED) {
        uint32_t mss = ln_tcp_current_mss(s);
        uint32_t len = umin(umin(mss, (uint32_t)(end - s->snd_nxt)), (uint32_t)(wnd_end - s->snd_nxt));
        return send_seg(s, s->snd_nxt, len, end, mss, ln_seq_le(s->snd_nxt + len + 1, wnd_end),
                        s->snd_nxt == s->snd_una) == 0;
    }
    ln_tcp_send_probe(s, LN_PKT_KIND_ZERO_WINDOW_PROBE);
    return true;
}

/* The RTO's retransmission of the head (tcp_retransmit_skb on the first
 * skb), which goes even beyond the peer's window. */
void ln_tcp_retransmit_una(ln_tcp_sock *s)
{
    if (s->state == LN_TCP_SYN_SENT || s->state == LN_TCP_SYN_RCVD || s->snd_una == s->iss) {
        if (send_syn(s, LN_PKT_KIND_RETRANS) == 0) {
            s->total_retrans++;
            LN_MIB_INC(s->st->node, TcpRetransSegs);
        }
        return;
    }
    ln_seq end = ln_tcp_data_end(s), seq;
    uint32_t mss = ln_tcp_current_mss(s), len;
    bool fin;
    /* With RACK the head is marked lost (ln_tcp_rack_timeout_mark_lost):
     * resend it as the queue holds it, cut to the MSS if need be. */
    if (ln_tcp_rack_on(s) && s->xf->txq_len) {
        if (record_range(s, 0, mss, end, &seq, &len, &fin)) resend(s, seq, len, fin);
        return;
    }
    /* Only what was sent goes again (see the loss loop in ln_tcp_output). */
    ln_seq sent_end = ln_seq_lt(s->snd_max, end) ? s->snd_max : end;
    len = umin(mss, (uint32_t)(sent_end - s->snd_una));
    if (ln_seq_gt(s->snd_una, sent_end)) len = 0;
    fin = (s->flags & LN_TF_FIN_SENT) && s->snd_una + len == end;
    if (!len && !fin) return;
    resend(s, s->snd_una, len, fin);
}