/* test_ext.c - external ports (core/ext.c), the core of a bridge: frames
 * injected from outside reach a host through the link and its replies
 * come out through the callback; what cannot be a frame is dropped and
 * counted, never read. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ext.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

typedef struct out_log {
    int frames;
    uint8_t last[128];
    size_t last_len;
    ln_time at;
    int refuse;                         /* answer -1 (a device that is full) */
} out_log;

static int out_cb(ln_ext *e, const uint8_t *frame, size_t len, void *ud)
{
    out_log *o = ud;
    o->frames++;
    o->last_len = len;
    memcpy(o->last, frame, len < sizeof o->last ? len : sizeof o->last);
    o->at = ln_net_now(e->net);
    return o->refuse ? -1 : 0;
}

/* An ARP request from "outside" (MAC 0a:..:01, 10.0.0.1) for 10.0.0.2. */
static size_t arp_request(uint8_t *f)
{
    static const uint8_t mac[6] = {0x0a, 0, 0, 0, 0, 1};
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08, f[13] = 0x06;
    uint8_t *a = f + 14;
    a[0] = 0, a[1] = 1, a[2] = 0x08, a[3] = 0, a[4] = 6, a[5] = 4, a[6] = 0, a[7] = 1;
    memcpy(a + 8, mac, 6);
    a[14] = 10, a[15] = 0, a[16] = 0, a[17] = 1;
    a[24] = 10, a[25] = 0, a[26] = 0, a[27] = 2;
    return 60;
}

int main(void)
{
    ln_net *net = ln_net_new(1);
    char err[200];
    ln_node *h = ln_node_new(net, "h", false, err, sizeof err);
    ln_iface *hi = ln_iface_new(h, NULL, err, sizeof err);
    ln_iface_set_addr(hi, IP(10, 0, 0, 2), 24);
    out_log o = {0};
    ln_ext *e = ln_ext_new(net, "tap:test0", out_cb, &o);
    CHECK(e != NULL);
    CHECK(ln_port_ext(&e->port) == e);
    CHECK(ln_port_iface(&e->port) == NULL);

    /* Not attached yet: no carrier. */
    uint8_t f[128];
    size_t n = arp_request(f);
    ln_ext_inject(e, f, n);
    CHECK_U64(e->st.in_dropped, 1);
    CHECK_U64(ln_net_drop_total(net, LN_DROP_NO_CARRIER), 1);

    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.delay = 2 * LN_MSEC;
    ln_link *l = ln_link_new(net, &hi->port, &e->port, &c, NULL, err, sizeof err);
    CHECK(l != NULL);

    /* A runt and an oversize frame: counted, never read past their end. */
    ln_ext_inject(e, f, LN_ETH_HLEN - 1);
    CHECK_U64(ln_net_drop_total(net, LN_DROP_TRUNCATED), 1);
    e->max_frame = 100;
    uint8_t *big = malloc(101);
    memset(big, 0, 101);
    ln_ext_inject(e, big, 101);
    free(big);
    CHECK_U64(ln_net_drop_total(net, LN_DROP_MALFORMED), 1);
    CHECK_U64(e->st.in_dropped, 3);
    CHECK_U64(e->st.in_frames, 0);

    /* The request crosses the link (2 ms), the reply comes back (2 ms). */
    ln_ext_inject(e, f, n);
    CHECK_U64(e->st.in_frames, 1);
    CHECK_U64(e->st.in_bytes, 60);
    ln_sim_run(&net->sim);
    CHECK_EQ(o.frames, 1);
    CHECK_U64(o.at, 4 * LN_MSEC + 2 * ln_link_txtime(c.bandwidth, 60));   /* padded to 60 */
    CHECK_U64(e->st.out_frames, 1);
    CHECK(o.last_len >= 42);
    CHECK(o.last[12] == 0x08 && o.last[13] == 0x06);
    CHECK(o.last[14 + 7] == 2);                       /* an ARP reply */
    CHECK(memcmp(o.last, f + 6, 6) == 0);             /* to the asker's MAC */
    CHECK(memcmp(o.last + 6, hi->mac, 6) == 0);       /* from h's */

    /* A device that refuses: counted as out_dropped, the frame freed. */
    o.refuse = 1;
    ln_ext_inject(e, f, n);
    ln_sim_run(&net->sim);
    CHECK_U64(e->st.out_dropped, 1);

    /* Detached (the device closed): frames still drain, nobody is called. */
    ln_ext_detach(e);
    int before = o.frames;
    ln_ext_inject(e, f, n);
    ln_sim_run(&net->sim);
    CHECK_EQ(o.frames, before);
    CHECK_U64(e->st.out_dropped, 2);
    CHECK_U64(ln_pktpool_in_use(net->pool), 0);

    ln_net_free(net);
    return check_report("test_ext");
}
