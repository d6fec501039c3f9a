/* fuzz_session.c - libFuzzer target for state carried across frames: a
 * sequence of datagrams fed to one host in one run, so IP reassembly,
 * TCP connection state (an ESTABLISHED connection, its retransmissions,
 * SACK scoreboard, out-of-order queue, FIN states, TIME_WAIT), the
 * listener's request queue and IGMP group state all evolve from one
 * input to the next, which single-frame targets (fuzz_stack.c) never see.
 *
 * The world is fuzz_stack's: h 10.0.0.2 (MAC 02:00:00:00:00:02) linked
 * to peer 10.0.0.1 (..:01); h has a UDP socket on 53 joined to 239.1.2.3
 * and a TCP listener on 80 (fz_listen).  Before the input, a real
 * handshake (fixed ISNs, net seed 1) leaves h with one ESTABLISHED
 * connection:
 *     peer 10.0.0.1:40000, ISN 0xffffff00  <->  h 10.0.0.2:80, ISN 0xfffff000
 * (both near 2^32, so sequence numbers wrap within the first KBs), with
 * MSS 1460, window scaling, SACK and timestamps negotiated.  h then sends
 * 3000 bytes.  From then on the peer's TCP is a sink: everything h sends
 * is swallowed, so the input alone plays the peer.
 *
 * Input: chunks, each
 *     len (2 bytes, big endian) | ctl (1 byte) | len bytes
 * (the last chunk takes what is left if shorter; at most 64 chunks).
 * ctl bits 0-2: virtual time to let pass before the chunk, one of
 *     0, 1 ms, 10 ms, 40 ms, 200 ms, 1 s, 3 s, 65 s
 * (delayed ACK, RTO, SYN-ACK retries, ipfrag_time 30 s, TIME_WAIT and
 * FIN_WAIT_2 60 s lie in between);
 * bit 3: the TCP header's numbers are relative to the connection, so a
 * corpus need not know ISNs or clocks: seq += the peer's ISN, ack and
 * SACK edges += h's ISN, TSval += the peer's last TSval at setup, TSecr
 * += h's TSval offset (what tests/fuzz/make_corpus.lua writes);
 * bit 4: the bytes are a whole Ethernet frame (ARP, say) instead of an
 * IP datagram to wrap (as fz_frame: to h's MAC or the group's);
 * bit 5: before the chunk, h queues 1000 more bytes on the connection;
 * bit 6: before the chunk, h shuts down its sending side (FIN).
 * Zero checksums are filled in (fz_fill_csums) after the rewriting.
 * After each chunk h reads whatever its connections have for it and
 * accepts new ones; after the last, 2 s pass, every socket is closed and
 * the network must drain and give back every buffer (fz_finish).
 *
 * With clang: make fuzz, or cmake -DLUNET_FUZZ=ON and ./fuzz_session DIR.
 * ctest runs it as fuzz.fuzz_session through fuzz_replay.c. */
#include "fuzz_util.h"
#include "tcp_int.h"
#include "tcp_wire.h"

#define PEER_PORT 40000
#define PEER_ISN 0xffffff00u
#define H_ISN 0xfffff000u
#define MAX_CHUNKS 64
#define MAX_ACCEPT 8

/* The peer's TCP once the handshake is done: the input speaks for it. */
static void sink(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    ln_pkt_free(pkt);
}

typedef struct rel {
    uint32_t seq, ack, tsval, tsecr;
} rel;

/* ctl bit 3: shift a TCP segment's numbers by the connection's bases. */
static void relocate(uint8_t *ip, size_t avail, const rel *b)
{
    if (avail < LN_IP_HLEN || (ip[0] >> 4) != 4 || ip[LN_IP_PROTO] != LN_IPPROTO_TCP) return;
    size_t hl = (size_t)(ip[0] & 0x0f) * 4;
    if (ln_get16(ip + LN_IP_FRAG) & LN_IP_OFFMASK) return;    /* no TCP header here */
    if (hl < LN_IP_HLEN || hl + LN_TCP_HLEN > avail) return;
    uint8_t *t = ip + hl;
    ln_put32(t + 4, ln_get32(t + 4) + b->seq);
    ln_put32(t + 8, ln_get32(t + 8) + b->ack);
    size_t thl = (size_t)(t[12] >> 4) * 4;
    if (thl > avail - hl) thl = avail - hl;
    for (size_t i = LN_TCP_HLEN; i < thl;) {
        uint8_t k = t[i];
        if (k == LN_TCPOPT_EOL) break;
        if (k == LN_TCPOPT_NOP) { i++; continue; }
        if (i + 2 > thl || t[i + 1] < 2 || i + t[i + 1] > thl) break;
        uint8_t n = t[i + 1];
        if (k == LN_TCPOPT_TS && n == 10) {
            ln_put32(t + i + 2, ln_get32(t + i + 2) + b->tsval);
            ln_put32(t + i + 6, ln_get32(t + i + 6) + b->tsecr);
        }
        if (k == LN_TCPOPT_SACK)
            for (size_t e = i + 2; e + 4 <= (size_t)i + n; e += 4) ln_put32(t + e, ln_get32(t + e) + b->ack);
        i += n;
    }
}

static void drain(ln_tcp_sock *s)
{
    static uint8_t buf[16384];
    while (ln_tcp_recv(s, buf, sizeof buf) > 0) {}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ln_time waits[8] = {
        0, LN_MSEC, 10 * LN_MSEC, 40 * LN_MSEC, 200 * LN_MSEC, LN_SEC, 3 * LN_SEC, 65 * LN_SEC,
    };
    static uint8_t chunk[65536];
    if (size > 1 << 20) return 0;

    ln_net *net = ln_net_new(1);
    fz_pair w = fz_two_hosts(net);
    ln_node *peer = w.peer, *h = w.h;
    ln_iface *pi = w.pi, *hi = w.hi;
    ln_tcp_cfg_of(peer)->fixed_isn = PEER_ISN;
    ln_tcp_cfg_of(h)->fixed_isn = H_ISN;
    fz_socks s;
    fz_listen(h, &s);

    /* The handshake, by both real stacks (ARP included). */
    ln_tcp_sock *c = ln_tcp_socket(peer);
    if (!c || ln_tcp_bind(c, 0, PEER_PORT) || ln_tcp_connect(c, FZ_IP(10, 0, 0, 2), FZ_TCP_PORT))
        fz_die("fuzz_session", "connect");
    ln_sim_run_until(&net->sim, 10 * LN_MSEC);
    ln_tcp_sock *conn[1 + MAX_ACCEPT] = {ln_tcp_accept(s.listener)};
    int n_conn = 1;
    if (!conn[0] || ln_tcp_get_state(conn[0]) != LN_TCP_ESTABLISHED)
        fz_die("fuzz_session", "no established connection");
    ln_ip_register(peer, LN_IPPROTO_TCP, sink);
    rel base = {.seq = conn[0]->irs, .ack = conn[0]->iss, .tsval = conn[0]->ts_recent, .tsecr = conn[0]->ts_offset};
    if (ln_tcp_send(conn[0], NULL, 3000) != 3000) fz_die("fuzz_session", "send");

    for (int i = 0; size >= 3 && i < MAX_CHUNKS; i++) {
        size_t len = (size_t)data[0] << 8 | data[1];
        uint8_t ctl = data[2];
        data += 3, size -= 3;
        if (len > size) len = size;
        ln_sim_run_until(&net->sim, ln_net_now(net) + waits[ctl & 7]);
        if (ctl & 0x20) ln_tcp_send(conn[0], NULL, 1000);
        if (ctl & 0x40) ln_tcp_shutdown(conn[0], LN_SHUT_WR);
        bool at_ip = !(ctl & 0x10);
        memcpy(chunk, data, len);
        if (at_ip && (ctl & 0x08)) relocate(chunk, len, &base);
        fz_deliver(hi, fz_frame(net, chunk, len, at_ip, pi, hi));
        data += len, size -= len;
        /* Let what is due now happen (zero-delay replies), then play the
         * application: read everything, accept what completed. */
        ln_sim_run_until(&net->sim, ln_net_now(net));
        ln_tcp_sock *a;
        while (n_conn < 1 + MAX_ACCEPT && (a = ln_tcp_accept(s.listener))) conn[n_conn++] = a;
        for (int k = 0; k < n_conn; k++) drain(conn[k]);
    }
    ln_sim_run_until(&net->sim, ln_net_now(net) + 2 * LN_SEC);

    for (int k = 0; k < n_conn; k++) {
        drain(conn[k]);
        ln_tcp_close(conn[k]);
    }
    fz_unlisten(&s);
    fz_finish(net, "fuzz_session");
    return 0;
}
