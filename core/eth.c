/* eth.c - Ethernet II framing: the receive entry point of every interface
 * and the last step before a frame is handed to the link.
 *
 * Receive:  link -> port rx = ln_eth_input -> ln_ip_input | ln_arp_input
 *                                         | ln_ip6_input (when the node has IPv6 on)
 * Transmit: ln_arp_output / arp.c -> ln_eth_output -> ln_iface_xmit -> link
 *
 * Frames carry no FCS (as in a capture), so the 60-byte minimum is the
 * 64-byte Ethernet minimum without it.  802.3 length-field frames and
 * VLAN tags are not understood and count as unknown ethertypes. */
#include "eth.h"

#include <string.h>

#include "arp.h"
#include "firewall.h"
#include "igmp.h"
#include "intercept.h"
#include "ip.h"
#include "ip6.h"
#include "node.h"
#include "wire.h"

const uint8_t ln_eth_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void ln_eth_input(ln_port *port, ln_pkt *frame)
{
    ln_iface *ifc = port->owner;
    ln_node *n = ifc->node;
    ln_net *net = n->net;

    frame->in_if = ifc;
    frame->mark = 0;
    /* An interface that is down does not receive (Linux: the driver is
     * stopped); the frame still reached the port, so it is a drop. */
    if (!ifc->up) {
        ifc->st.rx_dropped++;
        ln_net_drop(net, n, ifc, frame, LN_LAYER_L2, LN_DROP_IFACE_DOWN);
        return;
    }
    if (frame->len < LN_ETH_HLEN) {
        ifc->st.rx_errors++;
        LN_MIB_INC(n, EthInErrors);
        ln_net_drop(net, n, ifc, frame, LN_LAYER_L2, LN_DROP_TRUNCATED);
        return;
    }
    const uint8_t *h = frame->data;
    bool group = (h[LN_ETH_DST] & 1) != 0;
    bool bcast = memcmp(h + LN_ETH_DST, ln_eth_broadcast, 6) == 0;
    /* The NIC's filter: our address, broadcast, and the group addresses of
     * the multicast groups joined on this interface (igmp.h). */
    bool ours = bcast || (group ? ln_igmp_mac_member(ifc, h + LN_ETH_DST) ||
                                      (ifc->ip6 && ln_ip6_mac_member(ifc, h + LN_ETH_DST))
                                : memcmp(h + LN_ETH_DST, ifc->mac, 6) == 0);
    if (!ours) {
        LN_MIB_INC(n, EthInOtherHost);
        /* A NIC filters foreign unicast in hardware, so it never shows in
         * rx_packets; in promiscuous mode it is received, then dropped by
         * the stack (Linux: PACKET_OTHERHOST in ip_rcv/arp_rcv). */
        if (ifc->promisc) {
            ifc->st.rx_packets++;
            ifc->st.rx_bytes += frame->len;
        }
        ln_net_drop(net, n, ifc, frame, LN_LAYER_L2, LN_DROP_OTHER_HOST);
        return;
    }
    ifc->st.rx_packets++;
    ifc->st.rx_bytes += frame->len;
    if (group) frame->mark |= LN_ETH_MARK_MCAST;
    /* Interception before the firewall, as Linux runs tc ingress (netem)
     * before netfilter's PREROUTING. */
    if (n->ic[LN_IC_IN]) {
        ln_ic_node_run(n, LN_IC_IN, ifc, frame);          /* intercept.h */
        return;
    }
    ln_eth_input_cont(ifc, frame);
}

void ln_eth_input_cont(ln_iface *ifc, ln_pkt *frame)
{
    ln_node *n = ifc->node;
    ln_net *net = n->net;
    if (frame->len < LN_ETH_HLEN) {          /* a hook rewrote it that short */
        ifc->st.rx_errors++;
        LN_MIB_INC(n, EthInErrors);
        ln_net_drop(net, n, ifc, frame, LN_LAYER_L2, LN_DROP_TRUNCATED);
        return;
    }
    if (n->fw && !ln_fw_hook_run(n, LN_FW_IN, ifc, frame)) return;   /* firewall.h */

    uint16_t type = ln_get16(frame->data + LN_ETH_TYPE);
    switch (type) {
    case LN_ETHERTYPE_IPV4:
        ln_pkt_pull(frame, LN_ETH_HLEN);
        ln_ip_input(n, ifc, frame);
        return;
    case LN_ETHERTYPE_ARP:
        ln_pkt_pull(frame, LN_ETH_HLEN);
        ln_arp_input(n, ifc, frame);
        return;
    case LN_ETHERTYPE_IPV6:
        /* A node with IPv6 off has no handler for it (Linux without
         * the ipv6 module). */
        if (!n->ip6) break;
        ln_pkt_pull(frame, LN_ETH_HLEN);
        ln_ip6_input(n, ifc, frame);
        return;
    default:
        break;
    }
    LN_MIB_INC(n, EthInUnknownType);
    ln_net_drop(net, n, ifc, frame, LN_LAYER_L2, LN_DROP_UNKNOWN_ETHERTYPE);
}

uint32_t ln_eth_corrupt(ln_rng *r, ln_pkt *p, uint32_t bits)
{
    if (p->len <= LN_ETH_HLEN || bits == 0) return 0;
    ln_pkt_finish(p);              /* the sum the receiver will find wrong */
    p->l4_csum_ok = 0;
    uint32_t span = p->len - LN_ETH_HLEN;
    if (span >= LN_IP_HLEN && ln_get16(p->data + LN_ETH_TYPE) == LN_ETHERTYPE_IPV4) {
        uint16_t tot = ln_get16(p->data + LN_ETH_HLEN + LN_IP_LEN);
        if (tot >= LN_IP_HLEN && tot < span) span = tot;
    } else if (span >= LN_IP6_HLEN && ln_get16(p->data + LN_ETH_TYPE) == LN_ETHERTYPE_IPV6) {
        uint32_t tot = LN_IP6_HLEN + ln_get16(p->data + LN_ETH_HLEN + LN_IP6_PLEN);
        if (tot < span) span = tot;
    }
    uint64_t n = (uint64_t)span * 8;
    if (bits > LN_ETH_CORRUPT_MAX) bits = LN_ETH_CORRUPT_MAX;
    if (bits > n) bits = (uint32_t)n;
    /* Distinct bits (a bit flipped twice would undo itself), by Floyd's
     * sampling: exactly one draw per bit, so a single bit costs the one
     * draw a corrupting link has always made. */
    uint64_t chosen[LN_ETH_CORRUPT_MAX];
    uint32_t k = 0;
    for (uint64_t j = n - bits; j < n; j++) {
        uint64_t t = ln_rng_below(r, j + 1);
        for (uint32_t i = 0; i < k; i++)
            if (chosen[i] == t) { t = j; break; }
        chosen[k++] = t;
        p->data[LN_ETH_HLEN + t / 8] ^= (uint8_t)(1u << (t % 8));
    }
    return bits;
}

void ln_eth_output(ln_iface *ifc, ln_pkt *pkt, const uint8_t dst[6], uint16_t ethertype)
{
    uint8_t *h = ln_pkt_push(pkt, LN_ETH_HLEN);
    if (!h) {
        /* Every layer allocates with LN_PKT_HEADROOM, so this means a bug
         * or a hand-built packet; drop it visibly rather than copy. */
        ifc->st.tx_dropped++;
        ln_net_drop(ifc->node->net, ifc->node, ifc, pkt, LN_LAYER_L3, LN_DROP_NO_BUFFER);
        return;
    }
    memcpy(h + LN_ETH_DST, dst, 6);
    memcpy(h + LN_ETH_SRC, ifc->mac, 6);
    ln_put16(h + LN_ETH_TYPE, ethertype);
    if (pkt->len < LN_ETH_MIN_FRAME) {
        /* Pad with zeros like a NIC does, so captures show the same
         * trailer Wireshark expects from a real host. */
        uint32_t pad = LN_ETH_MIN_FRAME - pkt->len;
        uint8_t *t = ln_pkt_put(pkt, pad);
        if (t) memset(t, 0, pad);
    }
    ln_iface_xmit(ifc, pkt);
}
