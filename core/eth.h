/* eth.h - Ethernet II framing and the interface receive entry point. */
#ifndef LN_ETH_H
#define LN_ETH_H

#include <stdbool.h>
#include <stdint.h>
#include "pkt.h"
#include "rand.h"

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
/* The rest of ln_eth_input once the interception hooks of the node's
 * input let the frame go (intercept.c resumes held frames here):
 * firewall IN, then ARP or IP.  Consumes frame. */
void ln_eth_input_cont(struct ln_iface *ifc, ln_pkt *frame);
#define LN_ETH_CORRUPT_MAX 256u   /* bits per call: beyond that a frame is noise */
/* Flip `bits` distinct bits of a frame past its Ethernet header, chosen
 * with r (so a run repeats).  For IPv4 they land inside the datagram, not
 * in the padding of a short frame, so a checksum catches them.  Returns
 * the bits flipped: fewer when the frame has fewer, 0 without a payload;
 * at most LN_ETH_CORRUPT_MAX. */
uint32_t ln_eth_corrupt(ln_rng *r, ln_pkt *frame, uint32_t bits);
/* Prepend the Ethernet header (src = ifc's MAC), pad to 60 bytes, send.
 * Consumes pkt (data at the L3 header). */
void ln_eth_output(struct ln_iface *ifc, ln_pkt *pkt, const uint8_t dst[6], uint16_t ethertype);

#endif
