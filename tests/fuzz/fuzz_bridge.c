/* fuzz_bridge.c - libFuzzer target for what a bridge lets in: any sequence
 * of frames from a real network, started onto the bridge's link by
 * ln_ext_inject (core/ext.c), must not crash, read out of bounds, hit
 * undefined behaviour or lose a buffer, on the way through a switch to a
 * host with sockets, nor on the way back out through the external port.
 *
 * Input: records of one flag byte (bit 0: the rest of the record is an IP
 * datagram, given an Ethernet header to h as in fuzz_stack), a 16-bit
 * big-endian length and that many bytes; a short last record takes what
 * is left.  Up to 16 records, 1 ms of virtual time apart.
 *
 * The world: ext "tap:fuzz" -- sw -- h (10.0.0.2/24, MAC 02:00:00:00:00:02,
 * fuzz_stack's sockets), and peer (10.0.0.1, ...:01) on the switch too, so
 * h's replies to the peer's address are switched, not sent to the outside.
 * The external port's callback checks every frame it is handed. */
#include "ext.h"
#include "switch.h"
#include "fuzz_util.h"

static int out_check(ln_ext *e, const uint8_t *frame, size_t len, void *ud)
{
    (void)e; (void)ud;
    if (len < LN_ETH_HLEN || len > LN_ETH_HLEN + 65535) fz_die("fuzz_bridge", "bad frame out");
    volatile uint8_t x = frame[0] ^ frame[len - 1];   /* ASan checks the whole span */
    (void)x;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 200000) return 0;
    ln_net *net = ln_net_new(1);
    ln_node *peer = fz_node(net, "peer", false), *h = fz_node(net, "h", false);
    ln_iface *pi = fz_iface(peer, FZ_IP(10, 0, 0, 1), 24, 0);
    ln_iface *hi = fz_iface(h, FZ_IP(10, 0, 0, 2), 24, 0);
    char err[128];
    ln_switch *sw = ln_switch_new(net, "sw", false, err, sizeof err);
    if (!sw) fz_die("fuzz_bridge", err);
    ln_ext *e = ln_ext_new(net, "tap:fuzz", out_check, NULL);
    if (!e) fz_die("fuzz_bridge", "ext");
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    ln_port *ports[3] = { &hi->port, &pi->port, &e->port };
    for (int i = 0; i < 3; i++) {
        ln_port *sp = ln_switch_add_port(sw);
        if (!sp || !ln_link_new(net, ports[i], sp, &c, NULL, err, sizeof err)) fz_die("fuzz_bridge", err);
    }
    fz_socks s;
    fz_listen(h, &s);

    for (int rec = 0; rec < 16 && size >= 1; rec++) {
        bool at_ip = data[0] & 1;
        size_t len = size >= 3 ? (size_t)data[1] << 8 | data[2] : 0;
        size_t hdr = size >= 3 ? 3 : size;
        data += hdr, size -= hdr;
        if (len > size) len = size;
        ln_pkt *p = fz_frame(net, data, len, at_ip, pi, hi);
        ln_ext_inject(e, p->data, p->len);
        ln_pkt_free(p);
        data += len, size -= len;
        ln_sim_run_until(&net->sim, ln_net_now(net) + LN_MSEC);
    }
    ln_sim_run_until(&net->sim, ln_net_now(net) + 2 * LN_SEC);

    fz_unlisten(&s);
    fz_finish(net, "fuzz_bridge");
    return 0;
}
