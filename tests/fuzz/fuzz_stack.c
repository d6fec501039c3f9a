/* fuzz_stack.c - libFuzzer target for the stack's receive path: any frame
 * handed to a host's interface must not crash, read out of bounds (ASan),
 * hit undefined behaviour (UBSan) or lose a packet buffer.
 *
 * Byte 0 picks the layer (bit 0 set: the rest is an IP datagram, which
 * gets an Ethernet header to h's MAC, or to the group's MAC when the
 * destination is multicast, so it passes the NIC filter; else the rest is
 * the frame).  A zero IP, ICMP, IGMP or TCP checksum is filled in first:
 * mutated fields then still get past the checksum checks into the protocol
 * code, and a non-zero one still exercises the bad-checksum drops.
 *
 * Each input gets a fresh network, so a run depends on the input alone:
 * h (10.0.0.2/24, MAC 02:00:00:00:00:02, as fuzz_replay's seeds expect)
 * with a UDP socket on port 53 that joined 239.1.2.3 and a TCP listener
 * on port 80, linked to peer (10.0.0.1, 02:00:00:00:00:01).
 *
 * With clang: cmake -DLUNET_FUZZ=ON, then ./fuzz_stack CORPUS_DIR.
 * ctest runs it as fuzz.fuzz_stack through fuzz_replay.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "eth.h"
#include "igmp.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "tcp.h"
#include "udp.h"
#include "wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void fill_csums(uint8_t *ip, size_t avail)
{
    if (avail < LN_IP_HLEN || (ip[0] >> 4) != 4) return;
    size_t hl = (size_t)(ip[0] & 0x0f) * 4;
    if (hl < LN_IP_HLEN || hl > avail) return;
    size_t tot = ln_get16(ip + LN_IP_LEN);
    if (tot > avail) tot = avail;
    /* Only a first fragment carries the transport header. */
    if (tot > hl && !(ln_get16(ip + LN_IP_FRAG) & LN_IP_OFFMASK)) {
        uint8_t *l4 = ip + hl;
        size_t n = tot - hl;
        uint8_t proto = ip[LN_IP_PROTO];
        size_t at = proto == 6 ? 16 : (proto == 1 || proto == 2) ? 2 : 0;
        if (at && n >= at + 2 && ln_get16(l4 + at) == 0) {
            uint32_t sum = proto == 6 ? ln_csum_pseudo(ln_get32(ip + LN_IP_SRC), ln_get32(ip + LN_IP_DST),
                                                       6, (uint16_t)n) : 0;
            ln_put16(l4 + at, ln_csum_fold(ln_csum_partial(l4, n, sum)));
        }
    }
    if (ln_get16(ip + LN_IP_CSUM) == 0) ln_put16(ip + LN_IP_CSUM, ln_csum(ip, hl));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536) return 0;
    bool at_ip = data[0] & 1;
    data++, size--;

    char err[128];
    ln_net *net = ln_net_new(1);
    ln_node *peer = ln_node_new(net, "peer", false, err, sizeof err);
    ln_node *h = ln_node_new(net, "h", false, err, sizeof err);
    ln_iface *pi = peer ? ln_iface_new(peer, NULL, err, sizeof err) : NULL;
    ln_iface *hi = h ? ln_iface_new(h, NULL, err, sizeof err) : NULL;
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    if (!pi || !hi || ln_iface_set_addr(pi, IP(10, 0, 0, 1), 24) || ln_iface_set_addr(hi, IP(10, 0, 0, 2), 24) ||
        !ln_link_new(net, &pi->port, &hi->port, &c, NULL, err, sizeof err)) {
        fprintf(stderr, "fuzz_stack: setup: %s\n", err);
        abort();
    }
    ln_udp_sock *u = ln_udp_socket(h);
    ln_tcp_sock *l = ln_tcp_socket(h);
    if (!u || !l || ln_udp_bind(u, 0, 53) || ln_udp_join(u, IP(239, 1, 2, 3), NULL) ||
        ln_tcp_bind(l, 0, 80) || ln_tcp_listen(l, 8)) {
        fprintf(stderr, "fuzz_stack: sockets\n");
        abort();
    }

    uint32_t hdr = at_ip ? LN_ETH_HLEN : 0;
    ln_pkt *p = ln_net_pkt(net, (uint32_t)(hdr + size));
    if (!p) abort();
    uint8_t *f = p->data;
    if (size) memcpy(f + hdr, data, size);
    if (at_ip) {
        uint32_t dst = size >= LN_IP_HLEN ? ln_get32(data + LN_IP_DST) : 0;
        if (ln_ip_is_mcast(dst)) ln_mc_mac(dst, f);
        else memcpy(f, hi->mac, 6);
        memcpy(f + 6, pi->mac, 6);
        ln_put16(f + 12, LN_ETHERTYPE_IPV4);
    }
    if (p->len >= LN_ETH_HLEN && ln_get16(f + 12) == LN_ETHERTYPE_IPV4)
        fill_csums(f + LN_ETH_HLEN, p->len - LN_ETH_HLEN);
    hi->port.rx(&hi->port, p);
    /* Long enough for the replies, a query's answer (the seed asks for
     * one within 1 s) and the join's repeated report. */
    ln_sim_run_until(&net->sim, 2 * LN_SEC);

    /* Closing frees what the sockets queue; whatever is left must drain
     * (reassembly, ARP, SYN-ACK retries all give up) and give back every
     * buffer.  A network that never goes quiet is a packet storm. */
    ln_udp_close(u);
    ln_tcp_close(l);
    for (int i = 0; i < 100000 && ln_sim_step(&net->sim); i++) {}
    if (ln_sim_next(&net->sim) != LN_NEVER) {
        fprintf(stderr, "fuzz_stack: still busy after 100000 events\n");
        abort();
    }
    if (ln_pktpool_in_use(net->pool) != 0) {
        fprintf(stderr, "fuzz_stack: %llu packet buffers never freed\n",
                (unsigned long long)ln_pktpool_in_use(net->pool));
        abort();
    }
    ln_net_free(net);
    return 0;
}
