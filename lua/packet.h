/* packet.h - packets as Lua tables: lunet.packet builds frames from them
 * (l_packet.c), lunet.dissect turns bytes back into them (l_dissect.c).
 *
 * Field names are Wireshark's display-filter names without the layer
 * prefix, dots written as underscores (arp.src.hw_mac -> src_hw_mac), so
 * that what a script builds, what it dissects and what it filters on in
 * Wireshark read the same.  TCP flags are tcpdump's letters ("S.", "P.").
 *
 * Lengths and checksums are computed when a table leaves them out.  A
 * dissected packet remembers the ones that were right (the registry table
 * LNL_REG_AUTO, keyed by the layer table), so a script that changes a
 * field of a dissected packet and builds it again gets them recomputed,
 * while one it sets itself, right or wrong, is sent as given. */
#ifndef LUNET_PACKET_H
#define LUNET_PACKET_H

#include <stdbool.h>
#include <stdint.h>
#include <lua.h>
#include "in6.h"

#define LNL_PACKET    "lunet.Packet"      /* built bytes (userdata) */
#define LNL_DISSECTED "lunet.Dissected"   /* metatable of dissect's tables */
#define LNL_REG_AUTO  "lunet.auto"        /* layer table -> {field = value} (weak keys) */
#define LNL_EVENT     "lunet.Event"       /* event tables: ev.packet dissected on first read */

/* Where a packet's bytes start. */
typedef enum { LNL_AT_ETH, LNL_AT_IP } lnl_at;

/* The userdata lunet.packet returns. */
typedef struct lnl_packet {
    uint32_t len;
    uint8_t at;                   /* lnl_at */
    uint8_t bytes[];
} lnl_packet;

/* Push the dissection of len bytes starting at layer `at` (a table with
 * metatable LNL_DISSECTED).  Never reads past len; what does not parse is
 * named in the table's `malformed` field. */
void lnl_dissect_push(lua_State *L, const uint8_t *p, uint32_t len, lnl_at at);

/* tcpdump's letters for the 8 flag bits ("none" for no flag). */
void lnl_tcp_flags_fmt(uint8_t flags, char out[12]);

/* An IGMPv3 Max Resp Code in tenths of a second (RFC 3376 4.1.1): what
 * Wireshark shows as igmp.max_resp, so igmp.max_resp holds this and the
 * builder codes it back (every code has its own value, 0 to 31744). */
static inline uint32_t lnl_igmp_code_time(uint8_t code)
{
    if (code < 128) return code;
    return ((uint32_t)(code & 0x0f) | 0x10) << (((code >> 4) & 7) + 3);
}

/* What host:inject fills in when the table leaves it out (it looks at
 * ip.dst or ipv6.dst first to pick the interface and the next hop). */
typedef struct lnl_pkt_defaults {
    bool have_src_mac, have_dst_mac, have_src_ip, have_src_ip6;
    uint8_t src_mac[6];           /* eth.src, arp.src_hw_mac */
    uint8_t dst_mac[6];           /* eth.dst: the next hop's, from the ARP or
                                   * neighbour cache */
    uint32_t src_ip;              /* ip.src, arp.src_proto_ipv4 */
    ln_in6 src_ip6;               /* ipv6.src */
    const char *why_no_dst_mac;   /* said when eth.dst is missing and unknown */
} lnl_pkt_defaults;

/* Build the packet described by the table at idx into a new lnl_packet
 * userdata pushed on the stack.  Raises an error naming fname and the
 * field on a bad table.  def may be NULL. */
lnl_packet *lnl_packet_build(lua_State *L, int idx, const char *fname, const lnl_pkt_defaults *def);

/* The value at idx as packet bytes: a Packet, a table (built), or a string
 * (an Ethernet frame).  *at says where the bytes start. */
const uint8_t *lnl_packet_arg(lua_State *L, int idx, const char *fname, uint32_t *len, lnl_at *at);

void lnl_open_packet(lua_State *L);   /* lunet.packet, lunet.dissect, h:inject */
void lnl_open_event_meta(lua_State *L);   /* l_event.c: the metatable of event tables */

#endif
