/* fuzz_stack.c - libFuzzer target for the stack's receive path: any frame
 * handed to a host's interface must not crash, read out of bounds (ASan),
 * hit undefined behaviour (UBSan) or lose a packet buffer.
 *
 * Byte 0 picks the layer (bit 0 set: the rest is an IP datagram, which
 * gets an Ethernet header to h's MAC, or to the group's MAC when the
 * destination is multicast, so it passes the NIC filter; else the rest is
 * the frame).  A zero IP, ICMP, IGMP or TCP checksum is filled in first
 * (fz_fill_csums in fuzz_util.h), so mutations reach the protocol code.
 *
 * Each input gets a fresh network, so a run depends on the input alone:
 * h (10.0.0.2/24, MAC 02:00:00:00:00:02, as fuzz_replay's seeds and
 * corpus/fuzz_stack expect) with a UDP socket on port 53 that joined
 * 239.1.2.3 and a TCP listener on port 80, linked to peer (10.0.0.1,
 * 02:00:00:00:00:01).  One frame, no prior state: fuzz_session.c covers
 * sequences of frames and an established connection.
 *
 * With clang: make fuzz, or cmake -DLUNET_FUZZ=ON and ./fuzz_stack DIR.
 * ctest runs it as fuzz.fuzz_stack through fuzz_replay.c. */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536) return 0;
    bool at_ip = data[0] & 1;
    data++, size--;

    ln_net *net = ln_net_new(1);
    fz_pair w = fz_two_hosts(net);
    ln_node *h = w.h;
    ln_iface *pi = w.pi, *hi = w.hi;
    fz_socks s;
    fz_listen(h, &s);

    fz_deliver(hi, fz_frame(net, data, size, at_ip, pi, hi));
    /* Long enough for the replies, a query's answer (the seed asks for
     * one within 1 s) and the join's repeated report. */
    ln_sim_run_until(&net->sim, 2 * LN_SEC);

    fz_unlisten(&s);
    fz_finish(net, "fuzz_stack");
    return 0;
}
