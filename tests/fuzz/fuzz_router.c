/* fuzz_router.c - libFuzzer target for the forwarding path: a frame
 * arriving at a router whose next hop has a smaller MTU.
 *
 *   a 10.0.1.2 ---- eth0 10.0.1.1  r  eth1 10.0.2.1 ---- b 10.0.2.2
 *   MTU 1500        MTU 1500          MTU 576            MTU 576
 *
 * r forwards (ln_node_new(..., forwarding = true)); it has a static route
 * 10.0.3.0/24 via b and no default route.  So a datagram from a's side
 * reaches, depending on its bytes: forwarding with fragmentation onto the
 * 576-byte link (options copied or not, fragments of fragments), "frag
 * needed" for DF, "time exceeded" for TTL <= 1, "net unreachable", local
 * delivery to r, and, past r, b's reassembly and sockets, whose answers
 * cross r the other way.  Every neighbour has a static ARP entry
 * (ln_arp_set) so the datagram is forwarded at once rather than queued
 * behind ARP; ARP frames from the fuzzer still reach r's ARP code.
 *
 * Byte 0: bit 0 set, the rest is an IP datagram, which gets an Ethernet
 * header to r's MAC (as fz_frame in fuzz_util.h; zero checksums filled
 * in); else the rest is the frame.  Bit 1 set: it arrives on r's eth1,
 * from b's side (576 -> 1500, no fragmentation), else on eth0 from a's.
 * MACs, in creation order: a 02:00:00:00:00:01, r eth0 ..:02, r eth1
 * ..:03, b ..:04.  a and b each have a UDP socket on 53 joined to
 * 239.1.2.3 and a TCP listener on 80 (fz_listen).
 *
 * The end checks are fuzz_stack's: the network drains and every packet
 * buffer comes back (fz_finish).
 *
 * With clang: make fuzz, or cmake -DLUNET_FUZZ=ON and ./fuzz_router DIR.
 * ctest runs it as fuzz.fuzz_router through fuzz_replay.c. */
#include "arp.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536) return 0;
    bool at_ip = data[0] & 1, from_b = data[0] & 2;
    data++, size--;

    ln_net *net = ln_net_new(1);
    ln_node *a = fz_node(net, "a", false);
    ln_node *r = fz_node(net, "r", true);
    ln_node *b = fz_node(net, "b", false);
    ln_iface *ai = fz_iface(a, FZ_IP(10, 0, 1, 2), 24, 0);
    ln_iface *r0 = fz_iface(r, FZ_IP(10, 0, 1, 1), 24, 0);
    ln_iface *r1 = fz_iface(r, FZ_IP(10, 0, 2, 1), 24, 576);
    ln_iface *bi = fz_iface(b, FZ_IP(10, 0, 2, 2), 24, 576);
    fz_link(net, ai, r0);
    fz_link(net, r1, bi);
    fz_route(a, 0, 0, FZ_IP(10, 0, 1, 1), ai);
    fz_route(b, 0, 0, FZ_IP(10, 0, 2, 1), bi);
    fz_route(r, FZ_IP(10, 0, 3, 0), 24, FZ_IP(10, 0, 2, 2), r1);
    if (ln_arp_set(a, ai, FZ_IP(10, 0, 1, 1), r0->mac) || ln_arp_set(r, r0, FZ_IP(10, 0, 1, 2), ai->mac) ||
        ln_arp_set(r, r1, FZ_IP(10, 0, 2, 2), bi->mac) || ln_arp_set(b, bi, FZ_IP(10, 0, 2, 1), r1->mac))
        fz_die("fuzz_router", "arp");
    fz_socks sa, sb;
    fz_listen(a, &sa);
    fz_listen(b, &sb);

    ln_iface *in = from_b ? r1 : r0;
    fz_deliver(in, fz_frame(net, data, size, at_ip, from_b ? bi : ai, in));
    /* Replies, a SYN-ACK's first retry (1 s) and IGMP reports. */
    ln_sim_run_until(&net->sim, 2 * LN_SEC);

    fz_unlisten(&sa);
    fz_unlisten(&sb);
    fz_finish(net, "fuzz_router");
    return 0;
}
