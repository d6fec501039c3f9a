/* tcp_wire.h - the TCP header and options on the wire (RFC 9293 3.1,
 * RFC 7323, RFC 2018): checked parsing into a segment descriptor, and
 * building headers with options in Linux's order.
 *
 * Option layouts Linux sends, which lunet copies byte for byte:
 *   SYN:       MSS, SACK_PERM, TS, NOP, WS          (20 bytes; without TS:
 *              MSS, NOP, NOP, SACK_PERM, NOP, WS)
 *   SYN-ACK:   mirrors the SYN's choices the same way
 *   others:    NOP, NOP, TS   [+ NOP, NOP, SACK blocks] */
#ifndef LN_TCP_WIRE_H
#define LN_TCP_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include "ip.h"
#include "pkt.h"
#include "seq.h"
#include "tcp_sack.h"

#define LN_TCP_HLEN     20
#define LN_TCP_MAXOPT   40
#define LN_TCP_FIN 0x01
#define LN_TCP_SYN 0x02
#define LN_TCP_RST 0x04
#define LN_TCP_PSH 0x08
#define LN_TCP_ACK 0x10
#define LN_TCP_URG 0x20
#define LN_TCP_ECE 0x40
#define LN_TCP_CWR 0x80

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
    uint8_t ttl, tos;
    ln_pkt *pkt;                    /* data at the payload after parsing */
} ln_tcp_seg;

/* Parse and validate (lengths, data offset, checksum over the pseudo
 * header); on success pkt->data points at the payload and seg->pkt = pkt.
 * Returns 0, or a drop reason (LN_DROP_TRUNCATED, LN_DROP_MALFORMED,
 * LN_DROP_BAD_CSUM).  Borrows pkt. */
int ln_tcp_parse(ln_pkt *pkt, const ln_ip_info *ip, ln_tcp_seg *seg);

/* What to put in a header we send. */
typedef struct ln_tcp_hdr {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    ln_seq seq, ack;
    uint8_t flags;
    uint16_t wnd;                   /* already scaled down */
    /* options: which to include */
    bool syn_opts;                  /* SYN/SYN-ACK layout below */
    uint16_t mss;                   /* SYN: MSS option value (0: none) */
    bool sack_perm;                 /* SYN: SACK_PERM */
    int8_t ws;                      /* SYN: window scale shift, -1: none */
    bool ts;                        /* TS option */
    uint32_t tsval, tsecr;
    uint8_t n_sack;                 /* SACK blocks (data segments/ACKs) */
    ln_tcp_sackblk sack[4];
} ln_tcp_hdr;

/* Length of the options h asks for (a multiple of 4). */
uint32_t ln_tcp_opt_len(const ln_tcp_hdr *h);
/* Prepend header + options to pkt (data at the payload, or len 0) and set
 * the checksum over the pseudo header.  Returns 0 or LN_ENOBUFS. */
int ln_tcp_push_hdr(ln_pkt *pkt, const ln_tcp_hdr *h);

#endif
