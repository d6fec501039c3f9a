/* firewall.c - per-node packet filter: ordered rules per hook, tcpdump
 * filters compiled by libpcap, and iptables' ACCEPT / DROP / REJECT.
 *
 * Call chain: ln_eth_input (hook IN) and ln_iface_xmit (hook OUT) test
 * n->fw and call ln_fw_hook_run -> match() per rule (pcap_offline_filter
 * on the whole frame) -> verdict; REJECT answers through ln_icmp_error or
 * reset() -> ln_ip_output (IPv4), ln_icmp6_error or reset6() ->
 * ln_ip6_output (IPv6, as ip6tables' REJECT) before the frame is dropped.
 *
 * Filters run on a borrowed frame and never change it.  Rules live in a
 * growable array per hook; the engine never edits them, only the API
 * does, so iterating while a reply is sent (which re-enters the OUT hook
 * of the same node) is safe. */
#include "firewall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf.h"
#include "err.h"
#include "eth.h"
#include "icmp.h"
#include "icmp6.h"
#include "ip.h"
#include "ip6.h"
#include "net.h"
#include "node.h"
#include "tcp_wire.h"
#include "wire.h"

const char *const ln_fw_hook_names[] = { "in", "out", NULL };
const char *const ln_fw_action_names[] = { "accept", "drop", "reject", NULL };
const char *const ln_fw_reject_names[] = {
    "port-unreachable", "tcp-reset", "host-unreachable", "admin-prohibited",
    "net-unreachable", NULL,
};

typedef struct rule {
    ln_fw_rule_info info;         /* info.iface / info.filter owned here */
    ln_bpf *bpf;
} rule;

typedef struct chain {
    rule *v; uint32_t n, cap;
    ln_fw_action policy;
} chain;

struct ln_fw {
    chain hooks[LN_FW__HOOKS];
};

static struct ln_fw *fw_get(ln_node *n)
{
    if (n->fw) return n->fw;
    struct ln_fw *fw = calloc(1, sizeof *fw);
    if (!fw) return NULL;
    n->fw = fw;
    return fw;
}

static void rule_clear(rule *r)
{
    ln_bpf_free(r->bpf);
    free((char *)r->info.iface);
    free((char *)r->info.filter);
}

/* A firewall with no rule and accepting policies does nothing: free it so
 * the hot path is back to one pointer test. */
static void maybe_release(ln_node *n)
{
    struct ln_fw *fw = n->fw;
    for (int h = 0; h < LN_FW__HOOKS; h++)
        if (fw->hooks[h].n || fw->hooks[h].policy != LN_FW_ACCEPT) return;
    ln_fw_free(n);
}

int ln_fw_add(ln_node *n, ln_fw_hook hook, const char *iface, const char *filter,
              ln_fw_action action, ln_fw_reject with, char *err, size_t errlen)
{
    if ((unsigned)hook >= LN_FW__HOOKS || (unsigned)action > LN_FW_REJECT ||
        (unsigned)with > LN_FW_NET_UNREACH) {
        snprintf(err, errlen, "invalid hook, action or reject type");
        return LN_EINVAL;
    }
    if (!filter) filter = "";
    bool fresh = n->fw == NULL;
    struct ln_fw *fw = fw_get(n);
    if (!fw) { snprintf(err, errlen, "out of memory"); return LN_ENOMEM; }
    rule r = { .info = { .action = action, .with = with } };
    char why[256];
    r.bpf = ln_bpf_new(filter, why, sizeof why);
    if (!r.bpf) {
        snprintf(err, errlen, "filter \"%s\": %s", filter, why);
        if (fresh) maybe_release(n);
        return LN_EINVAL;
    }
    r.info.filter = strdup(filter);
    r.info.iface = iface ? strdup(iface) : NULL;
    chain *c = &fw->hooks[hook];
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 4;
        rule *v = realloc(c->v, cap * sizeof *v);
        if (v) { c->v = v; c->cap = cap; }
    }
    if (!r.info.filter || (iface && !r.info.iface) || c->n == c->cap) {
        rule_clear(&r);
        if (fresh) maybe_release(n);
        snprintf(err, errlen, "out of memory");
        return LN_ENOMEM;
    }
    c->v[c->n] = r;
    return (int)c->n++;
}

int ln_fw_set_policy(ln_node *n, ln_fw_hook hook, ln_fw_action policy)
{
    if ((unsigned)hook >= LN_FW__HOOKS || (policy != LN_FW_ACCEPT && policy != LN_FW_DROP))
        return LN_EINVAL;
    if (policy == LN_FW_ACCEPT && !n->fw) return 0;
    struct ln_fw *fw = fw_get(n);
    if (!fw) return LN_ENOMEM;
    fw->hooks[hook].policy = policy;
    maybe_release(n);
    return 0;
}

ln_fw_action ln_fw_policy(const ln_node *n, ln_fw_hook hook)
{
    return n->fw && (unsigned)hook < LN_FW__HOOKS ? n->fw->hooks[hook].policy : LN_FW_ACCEPT;
}

void ln_fw_flush(ln_node *n, int hook)
{
    if (!n->fw) return;
    for (int h = 0; h < LN_FW__HOOKS; h++) {
        if (hook >= 0 && h != hook) continue;
        chain *c = &n->fw->hooks[h];
        for (uint32_t i = 0; i < c->n; i++) rule_clear(&c->v[i]);
        free(c->v);
        c->v = NULL;
        c->n = c->cap = 0;
    }
    maybe_release(n);
}

uint32_t ln_fw_count(const ln_node *n, ln_fw_hook hook)
{
    return n->fw && (unsigned)hook < LN_FW__HOOKS ? n->fw->hooks[hook].n : 0;
}

const ln_fw_rule_info *ln_fw_rule(const ln_node *n, ln_fw_hook hook, uint32_t i)
{
    if (i >= ln_fw_count(n, hook)) return NULL;
    return &n->fw->hooks[hook].v[i].info;
}

void ln_fw_free(ln_node *n)
{
    struct ln_fw *fw = n->fw;
    if (!fw) return;
    for (int h = 0; h < LN_FW__HOOKS; h++) {
        for (uint32_t i = 0; i < fw->hooks[h].n; i++) rule_clear(&fw->hooks[h].v[i]);
        free(fw->hooks[h].v);
    }
    free(fw);
    n->fw = NULL;
}

/* ---- REJECT ----------------------------------------------------------------- */

/* iptables' tcp-reset (nf_send_reset, RFC 9293 3.10.7.1): answer a segment
 * as if the destination had no socket.  The RST comes from the segment's
 * destination address and port (spoofed, on a router), with DF set and
 * the default TTL.  Never about a RST, a fragment or a broadcast. */
static void reset(ln_node *n, const uint8_t *ip, uint32_t len, bool group)
{
    uint32_t hl = (uint32_t)(ip[LN_IP_VHL] & 0x0f) * 4;
    if (group || hl < LN_IP_HLEN || len < hl + LN_TCP_HLEN) return;
    if (ip[LN_IP_PROTO] != LN_IPPROTO_TCP || (ln_get16(ip + LN_IP_FRAG) & (LN_IP_OFFMASK | LN_IP_MF)))
        return;
    uint32_t tot = ln_get16(ip + LN_IP_LEN);
    if (tot < hl + LN_TCP_HLEN || tot > len) return;
    uint32_t src = ln_get32(ip + LN_IP_SRC), dst = ln_get32(ip + LN_IP_DST);
    if (ln_ip_is_bcast(n, dst) || (dst >> 28) >= 0xe) return;
    const uint8_t *t = ip + hl;
    uint8_t flags = t[LN_TCPH_FLAGS];
    uint32_t doff = (uint32_t)(t[LN_TCPH_OFF] >> 4) * 4;
    if (flags & LN_TCP_RST || doff < LN_TCP_HLEN || hl + doff > tot) return;

    ln_tcp_hdr h = { .saddr = dst, .daddr = src,
                     .sport = ln_get16(t + LN_TCPH_DPORT), .dport = ln_get16(t + LN_TCPH_SPORT),
                     .ws = -1 };
    if (flags & LN_TCP_ACK) {
        /* <SEQ=SEG.ACK><CTL=RST> */
        h.seq = (ln_seq)ln_get32(t + LN_TCPH_ACK);
        h.flags = LN_TCP_RST;
    } else {
        /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
        uint32_t seg_len = tot - hl - doff + !!(flags & LN_TCP_SYN) + !!(flags & LN_TCP_FIN);
        h.ack = (ln_seq)(ln_get32(t + LN_TCPH_SEQ) + seg_len);
        h.flags = LN_TCP_RST | LN_TCP_ACK;
    }
    ln_pkt *p = ln_net_pkt(n->net, 0);
    if (!p) return;
    if (ln_tcp_push_hdr(p, &h) != 0) { ln_pkt_free(p); return; }
    ln_ip_opts o = { .df = true, .df_set = true, .any_src = true };
    ln_ip_output(n, p, dst, src, LN_IPPROTO_TCP, &o);
}

/* ip6tables' tcp-reset (nf_send_reset6): the same answer over IPv6, for a
 * segment right behind the IPv6 header (Linux skips extension headers
 * first; a segment behind one is dropped without an answer here). */
static void reset6(ln_node *n, const uint8_t *ip, uint32_t len, bool group)
{
    if (group || len < LN_IP6_HLEN + LN_TCP_HLEN || ip[LN_IP6_NXT] != LN_IPPROTO_TCP) return;
    uint32_t tot = LN_IP6_HLEN + ln_get16(ip + LN_IP6_PLEN);
    if (tot < LN_IP6_HLEN + LN_TCP_HLEN || tot > len) return;
    ln_tcp6 a;                        /* our side: the segment's destination */
    memcpy(a.laddr.b, ip + LN_IP6_DST, 16);
    memcpy(a.raddr.b, ip + LN_IP6_SRC, 16);
    a.flow = 0;
    if (ln_in6_is_mcast(&a.laddr) || ln_in6_is_mcast(&a.raddr) || ln_in6_is_unspec(&a.raddr)) return;
    const uint8_t *t = ip + LN_IP6_HLEN;
    uint8_t flags = t[LN_TCPH_FLAGS];
    uint32_t doff = (uint32_t)(t[LN_TCPH_OFF] >> 4) * 4;
    if (flags & LN_TCP_RST || doff < LN_TCP_HLEN || LN_IP6_HLEN + doff > tot) return;
    ln_tcp_hdr h = { .sport = ln_get16(t + LN_TCPH_DPORT), .dport = ln_get16(t + LN_TCPH_SPORT),
                     .ws = -1 };
    if (flags & LN_TCP_ACK) {
        h.seq = (ln_seq)ln_get32(t + LN_TCPH_ACK);
        h.flags = LN_TCP_RST;
    } else {
        uint32_t seg_len = tot - LN_IP6_HLEN - doff + !!(flags & LN_TCP_SYN) + !!(flags & LN_TCP_FIN);
        h.ack = (ln_seq)(ln_get32(t + LN_TCPH_SEQ) + seg_len);
        h.flags = LN_TCP_RST | LN_TCP_ACK;
    }
    ln_pkt *p = ln_net_pkt(n->net, 0);
    if (!p) return;
    if (ln_tcp_push_hdr(p, &h) != 0) { ln_pkt_free(p); return; }
    ln_tcp_csum6(p, &a);
    ln_ip6_opts o = { .any_src = true };
    ln_ip6_output(n, p, &a.laddr, &a.raddr, LN_IPPROTO_TCP, &o);
}

/* ip6tables' REJECT: the ICMPv6 Destination Unreachable codes nearest the
 * IPv4 ones (icmp6-port-unreachable, icmp6-addr-unreachable,
 * icmp6-adm-prohibited, icmp6-no-route), or a reset. */
static void reject6(ln_node *n, const rule *r, ln_pkt *frame, bool group)
{
    if (!n->ip6 || frame->len < LN_ETH_HLEN + LN_IP6_HLEN) return;   /* IPv6 off: nothing to say it with */
    if (r->info.with == LN_FW_TCP_RESET) {
        reset6(n, frame->data + LN_ETH_HLEN, frame->len - LN_ETH_HLEN, group);
        return;
    }
    static const uint8_t code[] = {
        [LN_FW_PORT_UNREACH] = LN_ICMP6_UNREACH_PORT,
        [LN_FW_HOST_UNREACH] = LN_ICMP6_UNREACH_ADDR,
        [LN_FW_ADMIN_PROHIB] = LN_ICMP6_UNREACH_ADMIN,
        [LN_FW_NET_UNREACH] = LN_ICMP6_UNREACH_NOROUTE,
    };
    ln_pkt view = *frame;
    view.data += LN_ETH_HLEN;
    view.len -= LN_ETH_HLEN;
    view.mark = group ? LN_ETH_MARK_MCAST : 0;
    ln_icmp6_error(n, &view, LN_ICMP6_DST_UNREACH, code[r->info.with], 0);
}

static void reject(ln_node *n, const rule *r, ln_pkt *frame)
{
    const uint8_t *eh = frame->data;
    if (frame->len < LN_ETH_HLEN + LN_IP_HLEN) return;
    bool group = (eh[LN_ETH_DST] & 1) != 0;
    if (ln_get16(eh + LN_ETH_TYPE) == LN_ETHERTYPE_IPV6) {
        reject6(n, r, frame, group);
        return;
    }
    if (ln_get16(eh + LN_ETH_TYPE) != LN_ETHERTYPE_IPV4)
        return;                       /* REJECT is for IP; anything else is dropped */
    if (r->info.with == LN_FW_TCP_RESET) {
        reset(n, eh + LN_ETH_HLEN, frame->len - LN_ETH_HLEN, group);
        return;
    }
    static const uint8_t code[] = {
        [LN_FW_PORT_UNREACH] = LN_ICMP_UNREACH_PORT,
        [LN_FW_HOST_UNREACH] = LN_ICMP_UNREACH_HOST,
        [LN_FW_ADMIN_PROHIB] = LN_ICMP_UNREACH_ADMIN,
        [LN_FW_NET_UNREACH] = LN_ICMP_UNREACH_NET,
    };
    /* ln_icmp_error wants the datagram at its IP header, and reads the
     * link-layer group flag from mark: give it a view of the frame (the
     * frame itself is borrowed and stays as it is). */
    ln_pkt view = *frame;
    view.data += LN_ETH_HLEN;
    view.len -= LN_ETH_HLEN;
    view.mark = group ? LN_ETH_MARK_MCAST : 0;
    ln_icmp_error(n, &view, LN_ICMP_UNREACH, code[r->info.with], 0);
}

/* ---- the hook ---------------------------------------------------------------- */

static bool match(const rule *r, const ln_iface *ifc, const ln_pkt *frame)
{
    if (r->info.iface && strcmp(r->info.iface, ifc->name) != 0) return false;
    return ln_bpf_match(r->bpf, frame->data, frame->len);
}

bool ln_fw_hook_run(ln_node *n, ln_fw_hook hook, ln_iface *ifc, ln_pkt *frame)
{
    chain *c = &n->fw->hooks[hook];
    ln_fw_action verdict = c->policy;
    if (c->n) ln_pkt_finish(frame);   /* filters may read any byte (pkt.h) */
    for (uint32_t i = 0; i < c->n; i++) {
        rule *r = &c->v[i];
        if (!match(r, ifc, frame)) continue;
        r->info.packets++;
        r->info.bytes += frame->len;
        verdict = r->info.action;
        if (verdict == LN_FW_REJECT) reject(n, r, frame);
        break;
    }
    if (verdict == LN_FW_ACCEPT) return true;
    /* Not an interface drop: Linux counts netfilter verdicts in the rules,
     * not in rx_dropped/tx_dropped. */
    ln_net_drop(n->net, n, ifc, frame, LN_LAYER_L2, LN_DROP_FIREWALL);
    return false;
}
