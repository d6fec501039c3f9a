/* tcp_wire.h - the TCP header and options on the wire (RFC 9293 3.1,
 * RFC 7323, RFC 2018): checked parsing into a segment descriptor, and
 * building headers with options in Linux's order.
 *
 * Option layouts Linux sends (tcp_options_write), which lunet copies byte
 * for byte:
 *   SYN:       MSS, SACK_PERM, TS, NOP, WS          (20 bytes; without TS:
 *              MSS, NOP, NOP, SACK_PERM, NOP, WS; TS without SACK:
 *              MSS, NOP, NOP, TS, NOP, WS; without WS the NOP, WS word
 *              is left out)
 *   SYN-ACK:   mirrors the SYN's choices the same way
 *   others:    NOP, NOP, TS   [+ NOP, NOP, SACK blocks] */
#ifndef LN_TCP_WIRE_H
#define LN_TCP_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include "drop.h"
#include "in6.h"
#include "ip.h"
#include "pkt.h"
#include "seq.h"
#include "tcp_sack.h"

#define LN_TCP_HLEN     20
#define LN_TCP_MAXOPT   40

/* Header field offsets (RFC 9293 3.1). */
#define LN_TCPH_SPORT    0
#define LN_TCPH_DPORT    2
#define LN_TCPH_SEQ      4
#define LN_TCPH_ACK      8
#define LN_TCPH_OFF      12     /* data offset in the high nibble, in 32-bit words */
#define LN_TCPH_FLAGS    13
#define LN_TCPH_WND      14
#define LN_TCPH_CSUM     16
#define LN_TCPH_URP      18

/* Option kinds and lengths. */
#define LN_TCPOPT_EOL        0
#define LN_TCPOPT_NOP        1
#define LN_TCPOPT_MSS        2      /* len 4 */
#define LN_TCPOPT_WS         3      /* len 3 (RFC 7323 2) */
#define LN_TCPOPT_SACK_PERM  4      /* len 2 (RFC 2018 2) */
#define LN_TCPOPT_SACK       5      /* len 2 + 8n (RFC 2018 3) */
#define LN_TCPOPT_TS         8      /* len 10 (RFC 7323 3) */
#define LN_TCP_MAX_WSCALE    14     /* RFC 7323 2.3: larger shifts are clamped */

/* Flags (byte 13). */
#define LN_TCP_FIN 0x01
#define LN_TCP_SYN 0x02
#define LN_TCP_RST 0x04
#define LN_TCP_PSH 0x08
#define LN_TCP_ACK 0x10
#define LN_TCP_URG 0x20
#define LN_TCP_ECE 0x40
#define LN_TCP_CWR 0x80

/* The addresses of an IPv6 connection, seen from our side (a segment's
 * destination is laddr).  IPv4 connections have none: their addresses are
 * the uint32_t fields, and IPv6 ones keep there a keyed 32-bit digest of
 * these (ln_tcp6_fold), so that the tables hash and compare both families
 * with the same code and an exact compare settles an IPv6 match. */
typedef struct ln_tcp6 {
    ln_in6 laddr, raddr;
    uint32_t flow;                  /* the flow label we send (RFC 6437) */
    struct ln_iface *oif;           /* a link-local peer's zone (RFC 4007 11):
                                     * every segment goes out of it, as
                                     * Linux's sk_bound_dev_if; NULL: the
                                     * route's interface */
} ln_tcp6;

/* One received segment, parsed once and passed down the input path (no
 * per-segment globals: every node parses into its own descriptor). */
typedef struct ln_tcp_seg {
    uint32_t saddr, daddr;          /* host order */
    uint16_t sport, dport;
    ln_seq seq, ack;
    uint8_t flags;
    uint16_t wnd;                   /* raw, unscaled */
    uint32_t len;                   /* payload bytes */
    uint32_t seg_len;               /* len + SYN + FIN (RFC 9293 SEG.LEN) */
    uint8_t hlen;                   /* header + options */
    /* options */
    bool has_mss, has_ws, sack_perm, has_ts;
    uint16_t mss;
    uint8_t ws;
    uint32_t tsval, tsecr;
    uint8_t n_sack;
    ln_tcp_sackblk sack[4];
    uint8_t ttl, tos;               /* IPv6: hop limit, traffic class */
    const ln_tcp6 *v6;              /* IPv6: the addresses (saddr, daddr hold
                                     * their digests); NULL: IPv4 */
    ln_pkt *pkt;                    /* data at the payload after parsing */
    bool has_hash;                  /* IPv4 input: hash is its 4-tuple's */
    uint32_t hash;                  /* ln_tcp_tuple_hash, for both tables' lookups */
} ln_tcp_seg;

/* Parse and validate (lengths, data offset, checksum over the pseudo
 * header); on success pkt->data points at the payload, pkt->len is the
 * payload length and seg->pkt = pkt.  Returns LN_DROP_NONE (0), or why not:
 * LN_DROP_TRUNCATED (shorter than 20 bytes or than the data offset),
 * LN_DROP_MALFORMED (data offset below 5), LN_DROP_BAD_CSUM.  Borrows pkt.
 *
 * Options follow Linux's tcp_parse_options: a bad option length ends the
 * parse (what was read stays valid, the segment is not dropped); options
 * of the wrong size for their kind are skipped; MSS, WS and SACK_PERM
 * count only on a SYN; an MSS of 0 is ignored; WS above 14 reads as 14.
 * Whether TS and SACK are honoured (negotiated) is the caller's call. */
ln_drop_reason ln_tcp_parse(ln_pkt *pkt, const ln_ip_info *ip, ln_tcp_seg *seg);
/* The same over IPv6: the checksum over RFC 8200 8.1's pseudo-header of
 * src and dst; the caller fills the addresses (seg->v6 and digests). */
ln_drop_reason ln_tcp_parse6(ln_pkt *pkt, const ln_in6 *src, const ln_in6 *dst, ln_tcp_seg *seg);

/* What to put in a header we send. */
typedef struct ln_tcp_hdr {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    ln_seq seq, ack;
    uint8_t flags;
    uint16_t wnd;                   /* already scaled down */
    /* options: which to include */
    bool syn_opts;                  /* SYN/SYN-ACK: mss, sack_perm, ws apply */
    uint16_t mss;                   /* SYN: MSS option value (0: none) */
    bool sack_perm;                 /* SYN: SACK_PERM */
    int8_t ws;                      /* SYN: window scale shift, -1: none */
    bool ts;                        /* TS option */
    uint32_t tsval, tsecr;
    uint8_t n_sack;                 /* SACK blocks, a D-SACK first (RFC 2883) */
    ln_tcp_sackblk sack[4];
} ln_tcp_hdr;

/* Length of the options h asks for (a multiple of 4).  Like Linux's
 * tcp_established_options, SACK blocks are cut to what fits in 40 bytes:
 * 4 without TS, 3 with it. */
uint32_t ln_tcp_opt_len(const ln_tcp_hdr *h);
/* Prepend header + options to pkt (data at the payload, or len 0) and set
 * the checksum over the pseudo header.  The ACK field is written only with
 * the ACK flag (0 otherwise, as every Linux segment without ACK has it).
 * Returns 0, LN_ENOBUFS (no headroom) or LN_EMSGSIZE (over 65535 bytes). */
int ln_tcp_push_hdr(ln_pkt *pkt, const ln_tcp_hdr *h);
/* Over IPv6: seed the offloaded checksum of a segment ln_tcp_push_hdr
 * built (data at its header) with RFC 8200 8.1's pseudo-header of a
 * instead (laddr the source).  IPv4 headers never pay for IPv6 this way. */
void ln_tcp_csum6(ln_pkt *pkt, const ln_tcp6 *a);

#endif
