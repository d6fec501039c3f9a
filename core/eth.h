/* eth.h - Ethernet II framing and the interface receive entry point. */
#ifndef LN_ETH_H
#define LN_ETH_H

#include <stdbool.h>
#include <stdint.h>
#include "pkt.h"

struct ln_iface;
struct ln_port;

extern const uint8_t ln_eth_broadcast[6];

/* Bit set in pkt->mark by ln_eth_input when the frame was sent to a
 * broadcast or multicast MAC (Linux: skb->pkt_type != PACKET_HOST).  The
 * IP layer keeps it (and ip_frag.c carries it to a reassembled datagram)
 * because RFC 1122 3.2.2 forbids ICMP errors about link-layer broadcasts
 * and ARP treats a broadcast reply as weaker evidence.  Layers above IP
 * that report errors with ln_icmp_error must leave this bit alone. */
#define LN_ETH_MARK_MCAST 0x1u

/* Port rx for interfaces: checks length, destination MAC (ours, broadcast,
 * or anything when promiscuous), dispatches on ethertype. Consumes frame. */
void ln_eth_input(struct ln_port *port, ln_pkt *frame);
/* Prepend the Ethernet header (src = ifc's MAC), pad to 60 bytes, send.
 * Consumes pkt (data at the L3 header). */
void ln_eth_output(struct ln_iface *ifc, ln_pkt *pkt, const uint8_t dst[6], uint16_t ethertype);

#endif
