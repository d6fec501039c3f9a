/* tcp_cookie.c - SYN cookies: a listener whose SYN queue is full answers
 * a SYN without keeping any state, and rebuilds the request from the
 * handshake's ACK.  The ISN carries the minute, a keyed hash of the
 * 4-tuple and the MSS (as an index into msstab); the SYN-ACK's TSval
 * carries the peer's window scale and SACK.
 *
 * Read with: RFC 4987 3.6 (SYN cookies), RFC 7323 (the TS option that
 * carries the other options), and Linux, whose encoding this file
 * copies: net/ipv4/syncookies.c (secure_tcp_syn_cookie,
 * check_tcp_syn_cookie, cookie_init_timestamp, cookie_timestamp_decode,
 * cookie_v4_check) and tcp_input.c tcp_conn_request().
 *
 * Data flow (the callers are in tcp_listen.c, which also decides when
 * cookies are in use and keeps the listener's last overflow):
 *   conn_request: SYN queue full, or tcp_syncookies = 2
 *     -> ln_tcp_cookie_make  (the SYN-ACK's ISN, which holds the MSS)
 *     -> ln_tcp_cookie_tsval (the SYN-ACK's TSval, if the SYN had TS)
 *     -> the SYN-ACK; nothing is kept
 *   ln_tcp_listen_input: an ACK with no request, within
 *     LN_TCP_COOKIE_AGE minutes of the listener's last overflow
 *     -> ln_tcp_cookie_check -> ln_tcp_req_params (all but the window,
 *        which the listener adds) -> the child socket, as for a request
 *
 * The keys are the stack's cookie_key[2] (tcp.c); the TS offset comes from
 * ln_tcp_ts_offset (tcp_table.c). */
#include <string.h>

#include "net.h"
#include "node.h"
#include "rand.h"
#include "tcp_int.h"

/* Linux's msstab (syncookies.c): the MSS values a cookie can carry, by
 * the 2-bit index hidden in its low bits. */
static const uint16_t msstab[] = { 536, 1300, 1440, 1460 };
/* msstab6 (syncookies.c of net/ipv6): IPv6 MTUs of 1280, 1480, 1500 and
 * 9000, less 60. */
static const uint16_t msstab6[] = { 1220, 1420, 1440, 8940 };

static const uint16_t *tab_of(const ln_tcp_seg *seg) { return seg->v6 ? msstab6 : msstab; }

#define COOKIEBITS   24                 /* low bits: hash + MSS index */
#define COOKIEMASK   ((1u << COOKIEBITS) - 1)
#define TSBITS       6                  /* cookie_init_timestamp: options in TSval's low bits */
#define TS_OPT_WSCALE_MASK 0x0fu
#define TS_OPT_SACK  0x10u
#define TS_OPT_ECN   0x20u

static uint32_t cookie_count(const ln_tcp_stack *st)
{
    return (uint32_t)(ln_net_now(st->node->net) / LN_TCP_COOKIE_PERIOD);
}

/* Keyed hash of the connection (peer first, as the SYN sees it) and the
 * minute counter; key 0 or 1 of the stack's cookie_key (Linux uses
 * siphash with syncookie_secret[c]). */
static uint32_t cookie_hash(const ln_tcp_stack *st, const ln_tcp_seg *seg, uint32_t count, int c)
{
    if (seg->v6) {
        /* cookie_v6_init_sequence: over the whole IPv6 addresses. */
        uint32_t w[10];
        memcpy(w, seg->v6->raddr.b, 16);
        memcpy(w + 4, seg->v6->laddr.b, 16);
        w[8] = (uint32_t)seg->sport << 16 | seg->dport;
        w[9] = count;
        return (uint32_t)ln_hash64(w, sizeof w, st->cookie_key[c]);
    }
    uint32_t w[4] = { seg->saddr, seg->daddr, (uint32_t)seg->sport << 16 | seg->dport, count };
    return (uint32_t)ln_hash64(w, sizeof w, st->cookie_key[c]);
}

/* secure_tcp_syn_cookie():
 *   hash(key1) + SYN.SEQ + (count << 24) + ((hash(count, key2) + mssind) mod 2^24)
 * The top 8 bits carry the minute, the low 24 a hash that hides the MSS
 * index; the client's sequence number makes every cookie different. */
ln_seq ln_tcp_cookie_make(ln_tcp_stack *st, const ln_tcp_seg *syn, uint16_t *mss_out)
{
    uint32_t mss = syn->has_mss && syn->mss ? syn->mss : st->cfg.base_mss;
    const uint16_t *tab = tab_of(syn);
    uint32_t idx;
    /* __cookie_v4_init_sequence: the largest table entry not above the
     * peer's MSS (536 when even that is too much). */
    for (idx = 3; idx; idx--)
        if (mss >= tab[idx]) break;
    if (mss_out) *mss_out = tab[idx];
    uint32_t count = cookie_count(st);
    return cookie_hash(st, syn, 0, 0) + syn->seq + (count << COOKIEBITS) +
           ((cookie_hash(st, syn, count, 1) + idx) & COOKIEMASK);
}

/* check_tcp_syn_cookie(): the MSS index, or -1 if the cookie is forged
 * or older than 2 minutes.  The ACK acknowledges cookie + 1 and carries
 * SYN.SEQ + 1. */
static int cookie_mss_index(const ln_tcp_stack *st, const ln_tcp_seg *ack)
{
    uint32_t cookie = ack->ack - 1, sseq = ack->seq - 1;
    uint32_t count = cookie_count(st);
    cookie -= cookie_hash(st, ack, 0, 0) + sseq;
    uint32_t diff = (count - (cookie >> COOKIEBITS)) & (0xffffffffu >> COOKIEBITS);
    if (diff >= LN_TCP_COOKIE_AGE) return -1;
    uint32_t idx = (cookie - cookie_hash(st, ack, count - diff, 1)) & COOKIEMASK;
    return idx < sizeof msstab / sizeof msstab[0] ? (int)idx : -1;
}

/* cookie_init_timestamp(): the SYN-ACK's TSval with the options the cookie
 * cannot hold in its low 6 bits (peer's WS, 0xf for none; SACK; ECN,
 * which lunet never negotiates), rounded down so it is not ahead of the
 * clock: the next TSval simply jumps forward. */
uint32_t ln_tcp_cookie_tsval(ln_tcp_stack *st, int8_t snd_wscale, bool sack, uint32_t ts_offset)
{
    uint32_t now = ln_tcp_tsval(st, 0);
    uint32_t opts = snd_wscale >= 0 ? (uint32_t)snd_wscale : TS_OPT_WSCALE_MASK;
    if (sack) opts |= TS_OPT_SACK;
    uint32_t ts = (now >> TSBITS) << TSBITS | opts;
    if ((int32_t)(ts - now) > 0) ts -= 1u << TSBITS;
    return ts + ts_offset;
}

/* cookie_tcp_check() + cookie_timestamp_decode(): count SyncookiesFailed
 * for a bad cookie, SyncookiesRecv for a good one, then read the options
 * back from the echoed TSval.  Without timestamps, window scaling and
 * SACK are lost, as on Linux.  rcv_wnd and rcv_wscale depend on the
 * listener: ln_tcp_listen_input fills them in. */
bool ln_tcp_cookie_check(ln_tcp_stack *st, const ln_tcp_seg *ack, ln_tcp_req_params *p)
{
    const ln_tcp_cfg *cfg = &st->cfg;
    int idx = cookie_mss_index(st, ack);
    if (idx < 0) {
        LN_MIB_INC(st->node, TcpExtSyncookiesFailed);
        return false;
    }
    LN_MIB_INC(st->node, TcpExtSyncookiesRecv);

    memset(p, 0, sizeof *p);
    p->laddr = ack->daddr; p->raddr = ack->saddr;
    p->lport = ack->dport; p->rport = ack->sport;
    p->iss = ack->ack - 1;
    p->irs = ack->seq - 1;
    p->v6 = ack->v6;
    p->peer_mss = tab_of(ack)[idx];
    p->snd_wscale = -1;
    p->from_cookie = true;
    p->synack_time = LN_NEVER;          /* no handshake RTT from a cookie */

    bool saw_ts = ack->has_ts && cfg->timestamps;
    if (!saw_ts) return true;               /* no options to recover */
    uint32_t tsoff = 0, tsecr = ack->tsecr;
    if (tsecr) {
        tsoff = ln_tcp_ts_offset(st, ack->daddr, ack->saddr, ack->v6);
        tsecr -= tsoff;
    }
    p->ts = true;
    p->ts_recent = ack->tsval;
    p->ts_offset = tsoff;
    p->sack = (tsecr & TS_OPT_SACK) != 0;
    if (p->sack && !cfg->sack) return false;
    if ((tsecr & TS_OPT_WSCALE_MASK) == TS_OPT_WSCALE_MASK) return true;
    p->snd_wscale = (int8_t)(tsecr & TS_OPT_WSCALE_MASK);
    return cfg->window_scaling;
}
