/* tcp_wire.c - the TCP header and its options on the wire: checked
 * parsing into an ln_tcp_seg, and building headers in Linux's layouts.
 *
 * Place in the call chain:
 *   in:  ln_ip_input -> ln_tcp_input (tcp_in.c) -> ln_tcp_parse -> demux
 *        ln_ip6_input -> ln_tcp6_input -> ln_tcp_parse6 -> demux
 *   out: tcp_out.c / tcp_listen.c -> ln_tcp_push_hdr -> ln_ip_output
 *        (or ln_ip6_output: the pseudo-header of RFC 8200 8.1 then)
 *
 * Read: RFC 9293 3.1 (header format, checksum and pseudo header), 3.2
 * (option rules: unknown options skipped by length), RFC 7323 (WS, TS),
 * RFC 2018 (SACK_PERM, SACK), and Linux's tcp_parse_options (tcp_input.c)
 * and tcp_options_write (tcp_output.c), which this file mirrors.
 *
 * Every read is preceded by a length check, so any byte string, however
 * short or corrupt, is either parsed or rejected with a drop reason. */
#include "tcp_wire.h"

#include <string.h>

#include "csum.h"
#include "drop.h"
#include "err.h"
#include "ip6.h"
#include "wire.h"

/* Linux's tcp_parse_options, minus the socket: it stops at EOL, at a kind
 * byte with no room for its length, at a length below 2 ("silly options")
 * or past the end ("don't parse partial options"): the options read so
 * far stay, the segment is not dropped.  A known kind with the wrong
 * length is skipped.  MSS, WS and SACK_PERM count only on a SYN (Linux
 * also requires !estab, which the caller knows). */
static void parse_opts(const uint8_t *p, uint32_t n, bool syn, ln_tcp_seg *seg)
{
    while (n > 0) {
        uint8_t kind = p[0];
        if (kind == LN_TCPOPT_EOL) return;
        if (kind == LN_TCPOPT_NOP) {
            p++;
            n--;
            continue;
        }
        if (n < 2) return;
        uint8_t sz = p[1];
        if (sz < 2 || sz > n) return;
        const uint8_t *v = p + 2;
        switch (kind) {
        case LN_TCPOPT_MSS:
            /* An MSS of 0 would stall the connection; Linux ignores it. */
            if (sz == 4 && syn && ln_get16(v)) {
                seg->has_mss = true;
                seg->mss = ln_get16(v);
            }
            break;
        case LN_TCPOPT_WS:
            if (sz == 3 && syn) {
                seg->has_ws = true;
                seg->ws = v[0] > LN_TCP_MAX_WSCALE ? LN_TCP_MAX_WSCALE : v[0];
            }
            break;
        case LN_TCPOPT_SACK_PERM:
            if (sz == 2 && syn) seg->sack_perm = true;
            break;
        case LN_TCPOPT_TS:
            if (sz == 10) {
                seg->has_ts = true;
                seg->tsval = ln_get32(v);
                seg->tsecr = ln_get32(v + 4);
            }
            break;
        case LN_TCPOPT_SACK:
            /* At least one block and a whole number of them; the last SACK
             * option wins, as Linux keeps only one offset. */
            if (sz >= 10 && (sz - 2) % 8 == 0) {
                uint32_t nb = (sz - 2u) / 8u;
                if (nb > 4) nb = 4;          /* cannot happen in 40 bytes */
                seg->n_sack = (uint8_t)nb;
                for (uint32_t i = 0; i < nb; i++) {
                    seg->sack[i].start = ln_get32(v + 8 * i);
                    seg->sack[i].end = ln_get32(v + 8 * i + 4);
                }
            }
            break;
        default:
            break;                           /* RFC 9293 3.2: skip unknown */
        }
        p += sz;
        n -= sz;
    }
}

/* Both families (src and dst: uint32_t for IPv4, ln_in6 for IPv6);
 * inlined into each, so that IPv4 keeps its own straight path. */
static inline __attribute__((always_inline)) ln_drop_reason parse(ln_pkt *pkt, ln_tcp_seg *seg, bool v6, const void *src, const void *dst)
{
    memset(seg, 0, sizeof *seg);
    /* A sum to check needs every byte: finish first, as it may move them
     * (pkt.h). */
    if (!pkt->l4_csum_ok) ln_pkt_finish(pkt);
    const uint8_t *h = pkt->data;
    uint32_t len = pkt->len;

    /* Linux's tcp_v4_rcv order: the fixed header must be there, the data
     * offset must be sane (bad_packet), the whole header must be there,
     * then the checksum. */
    if (len < LN_TCP_HLEN) return LN_DROP_TRUNCATED;
    uint32_t hlen = (uint32_t)(h[LN_TCPH_OFF] >> 4) * 4u;
    if (hlen < LN_TCP_HLEN) return LN_DROP_MALFORMED;
    if (hlen > len) return LN_DROP_TRUNCATED;
    if (len > 0xffffu) return LN_DROP_MALFORMED;     /* no IPv4 datagram is this big */

    /* RFC 9293 3.1: the sum over pseudo header + segment, checksum field
     * included, folds to zero when it is right. */
    if (!pkt->l4_csum_ok) {
        uint32_t pseudo = v6 ? ln_ip6_pseudo(src, dst, len, LN_IPPROTO_TCP)
                             : ln_csum_pseudo(*(const uint32_t *)src, *(const uint32_t *)dst,
                                              LN_IPPROTO_TCP, (uint16_t)len);
        if (ln_csum_fold(ln_csum_partial(h, len, pseudo)) != 0) return LN_DROP_BAD_CSUM;
    }
    seg->sport = ln_get16(h + LN_TCPH_SPORT);
    seg->dport = ln_get16(h + LN_TCPH_DPORT);
    seg->seq = ln_get32(h + LN_TCPH_SEQ);
    seg->ack = ln_get32(h + LN_TCPH_ACK);
    seg->flags = h[LN_TCPH_FLAGS];
    seg->wnd = ln_get16(h + LN_TCPH_WND);
    seg->hlen = (uint8_t)hlen;
    parse_opts(h + LN_TCP_HLEN, hlen - LN_TCP_HLEN, (seg->flags & LN_TCP_SYN) != 0, seg);

    ln_pkt_pull(pkt, hlen);
    seg->len = pkt->len;
    seg->seg_len = seg->len + !!(seg->flags & LN_TCP_SYN) + !!(seg->flags & LN_TCP_FIN);
    seg->pkt = pkt;
    return LN_DROP_NONE;
}

ln_drop_reason ln_tcp_parse(ln_pkt *pkt, const ln_ip_info *ip, ln_tcp_seg *seg)
{
    ln_drop_reason rc = parse(pkt, seg, false, &ip->src, &ip->dst);
    if (rc) return rc;
    seg->saddr = ip->src;
    seg->daddr = ip->dst;
    seg->ttl = ip->ttl;
    seg->tos = ip->tos;
    return LN_DROP_NONE;
}

ln_drop_reason ln_tcp_parse6(ln_pkt *pkt, const ln_in6 *src, const ln_in6 *dst, ln_tcp_seg *seg)
{
    return parse(pkt, seg, true, src, dst);
}

void ln_tcp_csum6(ln_pkt *pkt, const ln_tcp6 *a)
{
    uint32_t pseudo = ln_ip6_pseudo(&a->laddr, &a->raddr, pkt->len, LN_IPPROTO_TCP);
    ln_put16(pkt->data + LN_TCPH_CSUM, (uint16_t)~ln_csum_fold(pseudo));
}

/* SACK blocks that fit after `used` option bytes: Linux's
 * tcp_established_options gives up below room for one block, else takes
 * as many as fit (3 after a TS option, 4 without). */
static uint32_t sack_fit(const ln_tcp_hdr *h, uint32_t used)
{
    uint32_t n = h->n_sack > 4 ? 4 : h->n_sack;
    if (!n) return 0;
    uint32_t room = LN_TCP_MAXOPT - used;
    if (room < 4 + 8) return 0;
    uint32_t fit = (room - 4) / 8;
    return n < fit ? n : fit;
}

/* Option bytes before the SACK blocks. */
static uint32_t base_len(const ln_tcp_hdr *h)
{
    uint32_t n = 0;
    bool syn = h->syn_opts;
    if (syn && h->mss) n += 4;
    if (h->ts) n += 12;                      /* SACK_PERM rides in its first word */
    else if (syn && h->sack_perm) n += 4;
    if (syn && h->ws >= 0) n += 4;
    return n;
}

uint32_t ln_tcp_opt_len(const ln_tcp_hdr *h)
{
    uint32_t n = base_len(h);
    uint32_t nb = sack_fit(h, n);
    return n + (nb ? 4 + 8 * nb : 0);
}

static uint8_t *put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    p[0] = a; p[1] = b; p[2] = c; p[3] = d;
    return p + 4;
}

/* Linux's tcp_options_write, word by word: its order and padding are what
 * puts "02 04 05 b4 04 02 08 0a ... 01 03 03 0a" in every Linux SYN. */
static void write_opts(uint8_t *p, const ln_tcp_hdr *h)
{
    bool syn = h->syn_opts;
    if (syn && h->mss) {
        p = put4(p, LN_TCPOPT_MSS, 4, 0, 0);
        ln_put16(p - 2, h->mss);
    }
    if (h->ts) {
        /* With TS, SACK_PERM takes the two bytes that would be NOP, NOP. */
        if (syn && h->sack_perm) p = put4(p, LN_TCPOPT_SACK_PERM, 2, LN_TCPOPT_TS, 10);
        else p = put4(p, LN_TCPOPT_NOP, LN_TCPOPT_NOP, LN_TCPOPT_TS, 10);
        ln_put32(p, h->tsval);
        ln_put32(p + 4, h->tsecr);
        p += 8;
    } else if (syn && h->sack_perm) {
        p = put4(p, LN_TCPOPT_NOP, LN_TCPOPT_NOP, LN_TCPOPT_SACK_PERM, 2);
    }
    if (syn && h->ws >= 0) p = put4(p, LN_TCPOPT_NOP, LN_TCPOPT_WS, 3, (uint8_t)h->ws);
    uint32_t nb = sack_fit(h, base_len(h));
    if (nb) {
        p = put4(p, LN_TCPOPT_NOP, LN_TCPOPT_NOP, LN_TCPOPT_SACK, (uint8_t)(2 + 8 * nb));
        for (uint32_t i = 0; i < nb; i++) {
            ln_put32(p, h->sack[i].start);
            ln_put32(p + 4, h->sack[i].end);
            p += 8;
        }
    }
}

int ln_tcp_push_hdr(ln_pkt *pkt, const ln_tcp_hdr *h)
{
    uint32_t hlen = LN_TCP_HLEN + ln_tcp_opt_len(h);
    if (pkt->len + hlen > 0xffffu) return LN_EMSGSIZE;
    uint8_t *t = ln_pkt_push(pkt, hlen);
    if (!t) return LN_ENOBUFS;
    ln_put16(t + LN_TCPH_SPORT, h->sport);
    ln_put16(t + LN_TCPH_DPORT, h->dport);
    ln_put32(t + LN_TCPH_SEQ, h->seq);
    ln_put32(t + LN_TCPH_ACK, (h->flags & LN_TCP_ACK) ? h->ack : 0);
    t[LN_TCPH_OFF] = (uint8_t)(hlen / 4 << 4);
    t[LN_TCPH_FLAGS] = h->flags;
    ln_put16(t + LN_TCPH_WND, h->wnd);
    ln_put16(t + LN_TCPH_CSUM, 0);
    ln_put16(t + LN_TCPH_URP, 0);
    write_opts(t + LN_TCP_HLEN, h);
    /* Offloaded (pkt.h): the field holds the pseudo header's sum, folded
     * but not complemented, so that summing the segment with it in place
     * gives the same checksum as summing pseudo header and segment. */
    uint32_t pseudo = ln_csum_pseudo(h->saddr, h->daddr, LN_IPPROTO_TCP, (uint16_t)pkt->len);
    ln_put16(t + LN_TCPH_CSUM, (uint16_t)~ln_csum_fold(pseudo));
    pkt->csum_start = (uint16_t)ln_pkt_headroom(pkt);
    pkt->csum_len = (uint16_t)pkt->len;
    pkt->csum_field = LN_TCPH_CSUM;
    pkt->l4_csum_ok = 1;
    return 0;
}
