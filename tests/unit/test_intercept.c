/* test_intercept.c - interception hooks (core/intercept.h).
 *
 * First the pure parts: which matches act (ln_ic_selects), bit flipping
 * (ln_eth_corrupt), replacing a frame's bytes (ln_ic_set_frame).  Then the
 * hooks at work on two hosts joined by one link (100 us, 1 Gbit/s): raw
 * frames with an experimental ethertype go out of h1 (node "out" hook,
 * then the link's a->b hook) into h2 ("in" hook), where the stack drops
 * them as unknown ethertype.  Each test asserts the RX events at h2 (what
 * arrived, when) and the drops by reason, then that no buffer leaked. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "eth.h"
#include "event.h"
#include "intercept.h"
#include "world.h"

#define ETYPE 0x88b5              /* IEEE local experimental */

/* ---- pure parts ------------------------------------------------------------------ */

static void test_selects(void)
{
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    for (uint64_t k = 1; k < 10; k++) CHECK(ln_ic_selects(&c, k, k - 1));
    c.nth = 3;
    for (uint64_t k = 1; k < 10; k++) CHECK_EQ(ln_ic_selects(&c, k, 0), k == 3);
    ln_ic_cfg_default(&c);
    c.every = 3;
    for (uint64_t k = 1; k < 10; k++) CHECK_EQ(ln_ic_selects(&c, k, 0), k % 3 == 0);
    ln_ic_cfg_default(&c);
    c.count = 2;
    CHECK(ln_ic_selects(&c, 7, 0));
    CHECK(ln_ic_selects(&c, 8, 1));
    CHECK(!ln_ic_selects(&c, 9, 2));
    /* every 2, twice: matches 2 and 4 act (acted counts what did) */
    c.every = 2;
    uint64_t acted = 0, which = 0;
    for (uint64_t k = 1; k <= 8; k++)
        if (ln_ic_selects(&c, k, acted)) { acted++; which = which * 10 + k; }
    CHECK_U64(which, 24);
}

static int popcount_diff(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    int d = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint8_t x = a[i] ^ b[i]; x; x &= (uint8_t)(x - 1)) d++;
    return d;
}

static void test_corrupt_bits(void)
{
    ln_pktpool *pool = ln_pktpool_new();
    ln_pkt *p = ln_pkt_alloc(pool, 200);
    uint8_t orig[200];
    for (int i = 0; i < 200; i++) orig[i] = (uint8_t)(i * 7);
    ln_put16(orig + LN_ETH_TYPE, ETYPE);
    ln_rng r;
    ln_rng_seed(&r, 42);
    static const uint32_t ks[] = { 1, 2, 5, 64, 256, 1000 };
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
        memcpy(p->data, orig, 200);
        uint32_t want = ks[i] > LN_ETH_CORRUPT_MAX ? LN_ETH_CORRUPT_MAX : ks[i];
        CHECK_EQ(ln_eth_corrupt(&r, p, ks[i]), want);
        CHECK_EQ(popcount_diff(p->data, orig, 200), want);                /* distinct bits */
        CHECK_EQ(memcmp(p->data, orig, LN_ETH_HLEN), 0);                  /* header untouched */
    }
    /* IPv4: only inside the datagram, never the padding of a short frame */
    memset(p->data, 0, 60);
    ln_put16(p->data + LN_ETH_TYPE, LN_ETHERTYPE_IPV4);
    ln_put16(p->data + LN_ETH_HLEN + LN_IP_LEN, 28);
    p->len = 60;
    uint8_t before[60];
    memcpy(before, p->data, 60);
    CHECK_EQ(ln_eth_corrupt(&r, p, 1000), 28 * 8);                   /* every bit of it */
    CHECK_EQ(popcount_diff(p->data, before, 60), 28 * 8);
    CHECK_EQ(memcmp(p->data + LN_ETH_HLEN + 28, before + LN_ETH_HLEN + 28, 60 - 42), 0);
    /* nothing past the header: nothing to flip */
    p->len = LN_ETH_HLEN;
    CHECK_EQ(ln_eth_corrupt(&r, p, 3), 0);
    /* the same seed flips the same bits */
    ln_rng a, b;
    ln_rng_seed(&a, 9);
    ln_rng_seed(&b, 9);
    uint8_t x[100], y[100];
    p->len = 100;
    memcpy(p->data, orig, 100);
    ln_eth_corrupt(&a, p, 4);
    memcpy(x, p->data, 100);
    memcpy(p->data, orig, 100);
    ln_eth_corrupt(&b, p, 4);
    memcpy(y, p->data, 100);
    CHECK_EQ(memcmp(x, y, 100), 0);
    ln_pkt_free(p);
    CHECK_U64(ln_pktpool_in_use(pool), 0);
    ln_pktpool_free(pool);
}

static void test_set_frame(void)
{
    ln_pktpool *pool = ln_pktpool_new();
    ln_pkt *p = ln_pkt_alloc(pool, 60);
    p->id = 77;
    p->kind = LN_PKT_KIND_RETRANS;
    p->mark = LN_ETH_MARK_MCAST;
    ln_pkt *same = p;
    uint8_t big[5000];
    memset(big, 0xab, sizeof big);
    CHECK_EQ(ln_ic_set_frame(&p, big, 100), 0);
    CHECK(p == same);                                  /* in place */
    CHECK_EQ(p->len, 100);
    CHECK_EQ(ln_ic_set_frame(&p, big, sizeof big), 0);   /* beyond the small class */
    CHECK(p != same);
    CHECK_EQ(p->len, sizeof big);
    CHECK_U64(p->id, 77);
    CHECK_EQ(p->kind, LN_PKT_KIND_RETRANS);
    CHECK_U64(p->mark, LN_ETH_MARK_MCAST);
    CHECK_EQ(p->data[4999], 0xab);
    CHECK_EQ(ln_ic_set_frame(&p, big, 0), LN_EINVAL);
    CHECK_EQ(ln_ic_set_frame(&p, big, LN_PKT_LARGE), LN_EINVAL);
    CHECK_EQ(p->len, sizeof big);                      /* unchanged by a refusal */
    CHECK_U64(ln_pktpool_in_use(pool), 1);
    ln_pkt_free(p);
    ln_pktpool_free(pool);
}

/* ---- the hooks at work ----------------------------------------------------------- */

static const world_cfg hosts = { .seed = 1, .name = { "h1", "h2" }, .delay = 100 * LN_USEC,
                                 .unlimited = true };  /* arrival = send + delay */

static struct {
    ln_time time[16];
    uint8_t tag[16];              /* byte 14 of each frame h2 received */
    int n;
} arrived;

static void on_rx(const ln_event *ev, void *arg)
{
    world *w = arg;
    if (ev->node == w->b && arrived.n < 16) {
        arrived.time[arrived.n] = ev->time;
        arrived.tag[arrived.n++] = ev->pkt->len > 14 ? ev->pkt->data[14] : 0;
    }
}

static world *hosts_new(void)
{
    world *w = world_new(&hosts);
    memset(&arrived, 0, sizeof arrived);
    ln_net_subscribe(w->net, LN_EV_MASK(LN_EV_RX), on_rx, w);
    return w;
}

/* A 60-byte frame h1 -> h2 whose first payload byte is `tag`. */
static void send_tag(world *w, uint8_t tag)
{
    ln_pkt *p = ln_net_pkt(w->net, 60);
    memset(p->data, 0, 60);
    memcpy(p->data + LN_ETH_DST, w->ib->mac, 6);
    memcpy(p->data + LN_ETH_SRC, w->ia->mac, 6);
    ln_put16(p->data + LN_ETH_TYPE, ETYPE);
    p->data[14] = tag;
    ln_iface_xmit(w->ia, p);
}

static ln_ic *add_link(world *w, ln_ic_cfg *c)
{
    char err[256];
    ln_ic *ic = ln_ic_add_link(w->link, c, err, sizeof err);
    CHECK(ic != NULL);
    return ic;
}

static ln_ic *add_node(world *w, ln_node *n, ln_ic_cfg *c)
{
    char err[256];
    ln_ic *ic = ln_ic_add_node(n, c, err, sizeof err);
    CHECK(ic != NULL);
    return ic;
}

static void test_drop_nth(void)
{
    world *w = hosts_new();
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.dir = 0;
    c.nth = 2;
    c.filter = "ether proto 0x88b5";
    ln_ic *ic = add_link(w, &c);
    CHECK(w->link->d[0].ic != NULL);
    CHECK(w->link->d[1].ic == NULL);              /* only a->b */
    for (uint8_t t = 1; t <= 3; t++) send_tag(w, t);
    ln_sim_run(&w->net->sim);
    CHECK_EQ(arrived.n, 2);
    CHECK_EQ(arrived.tag[0], 1);
    CHECK_EQ(arrived.tag[1], 3);
    CHECK_U64(w->drops[LN_DROP_INTERCEPT], 1);
    CHECK_U64(ln_net_drop_total(w->net, LN_DROP_INTERCEPT), 1);
    CHECK_U64(ln_ic_get_info(ic)->matched, 3);
    CHECK_U64(ln_ic_get_info(ic)->acted, 1);
    CHECK_EQ(ln_ic_count(w->net), 1);
    ln_ic_remove(ic);
    CHECK(w->link->d[0].ic == NULL);              /* back to one pointer test */
    CHECK_EQ(ln_ic_count(w->net), 0);
    world_free(w);
}

/* lose: the chosen frame is sent (a TX, the bandwidth used) and lost on
 * the wire, reason LOSS, as the link's own loss would lose it; not
 * allowed on a node, whose frames meet no wire through the hook. */
static void test_lose_on_wire(void)
{
    world *w = hosts_new();
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.action = LN_IC_LOSE;
    c.dir = 0;
    c.nth = 2;
    c.filter = "ether proto 0x88b5";
    ln_ic *ic = add_link(w, &c);
    for (uint8_t t = 1; t <= 3; t++) send_tag(w, t);
    ln_sim_run(&w->net->sim);
    CHECK_EQ(arrived.n, 2);
    CHECK_EQ(arrived.tag[0], 1);
    CHECK_EQ(arrived.tag[1], 3);
    CHECK_U64(w->link->d[0].st.tx_packets, 3);
    CHECK_U64(w->link->d[0].st.dropped_loss, 1);
    CHECK_U64(w->drops[LN_DROP_LOSS], 1);
    CHECK_U64(w->drops[LN_DROP_INTERCEPT], 0);
    CHECK_U64(ln_ic_get_info(ic)->acted, 1);
    char err[256];
    CHECK(ln_ic_add_node(w->a, &c, err, sizeof err) == NULL);
    CHECK(strcmp(err, "lose is for hooks on a link (it loses a frame on the wire)") == 0);
    world_free(w);
}

static void test_delay_and_order(void)
{
    world *w = hosts_new();
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.action = LN_IC_DELAY;
    c.delay = 3 * LN_MSEC;
    c.dir = LN_IC_OUT;
    c.nth = 1;
    add_node(w, w->a, &c);
    for (uint8_t t = 1; t <= 2; t++) send_tag(w, t);
    ln_sim_run(&w->net->sim);
    CHECK_EQ(arrived.n, 2);
    CHECK_EQ(arrived.tag[0], 2);                   /* the held one is overtaken */
    CHECK_U64(arrived.time[0], 100 * LN_USEC);
    CHECK_EQ(arrived.tag[1], 1);
    CHECK_U64(arrived.time[1], 3 * LN_MSEC + 100 * LN_USEC);
    world_free(w);
}

static void test_duplicate(void)
{
    world *w = hosts_new();
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.action = LN_IC_DUPLICATE;
    c.copies = 2;
    c.dir = LN_IC_IN;
    add_node(w, w->b, &c);
    send_tag(w, 5);
    ln_sim_run(&w->net->sim);
    /* one arrival; the copies are made inside h2, each reaching the stack */
    CHECK_EQ(arrived.n, 1);
    CHECK_U64(w->drops[LN_DROP_UNKNOWN_ETHERTYPE], 3);
    CHECK_U64(w->b->mib[LN_MIB_EthInUnknownType], 3);
    world_free(w);
}

/* Rewrite: grow the frame past the small buffer class and change the tag;
 * the second call drops it. */
static int rewrites;
static bool rewrite_fn(void *arg, const ln_ic_ctx *ctx, ln_pkt **frame)
{
    world *w = arg;
    char where[128];
    CHECK(strcmp(ln_ic_where(ctx, where, sizeof where), "h1.eth0<->h2.eth0:ab") == 0);
    CHECK(ctx->link == w->link);
    CHECK_U64(ctx->match, (uint64_t)rewrites + 1);
    if (rewrites++) return false;
    uint8_t b[3000];
    memcpy(b, (*frame)->data, 60);
    memset(b + 60, 0, sizeof b - 60);
    b[14] = 99;
    CHECK_EQ(ln_ic_set_frame(frame, b, sizeof b), 0);
    return true;
}

static void test_rewrite(void)
{
    world *w = hosts_new();
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.action = LN_IC_REWRITE;
    c.fn = rewrite_fn;
    c.arg = w;
    rewrites = 0;
    add_link(w, &c);
    send_tag(w, 1);
    send_tag(w, 2);
    ln_sim_run(&w->net->sim);
    CHECK_EQ(rewrites, 2);
    CHECK_EQ(arrived.n, 1);
    CHECK_EQ(arrived.tag[0], 99);
    CHECK_U64(w->link->d[0].st.tx_bytes, 3000);
    CHECK_U64(w->drops[LN_DROP_INTERCEPT], 1);
    world_free(w);
}

/* An observer that removes itself on its first call. */
static ln_ic *self_ic;
static int observed;
static bool remove_self(void *arg, const ln_ic_ctx *ctx, ln_pkt **frame)
{
    observed++;
    ln_ic_remove(self_ic);
    return false;                      /* ignored: an observer's frame goes on */
}

static void test_remove_in_callback(void)
{
    world *w = hosts_new();
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.action = LN_IC_OBSERVE;
    c.fn = remove_self;
    c.dir = LN_IC_IN;
    observed = 0;
    self_ic = add_node(w, w->b, &c);
    ln_ic_cfg_default(&c);
    c.action = LN_IC_CORRUPT;
    c.dir = LN_IC_IN;
    c.bits = 1;
    ln_ic *after = add_node(w, w->b, &c);      /* still runs after the removal */
    send_tag(w, 1);
    send_tag(w, 2);
    ln_sim_run(&w->net->sim);
    CHECK_EQ(observed, 1);
    CHECK_EQ(arrived.n, 2);
    CHECK_U64(ln_ic_get_info(after)->acted, 2);
    CHECK_EQ(ln_ic_count(w->net), 1);
    ln_ic_remove(after);
    CHECK(w->b->ic[LN_IC_IN] == NULL);
    world_free(w);
}

static void test_window_and_iface(void)
{
    world *w = hosts_new();
    char err[256];
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.from = 1 * LN_MSEC;
    c.until = 2 * LN_MSEC;
    c.iface = "eth0";
    add_node(w, w->a, &c);
    send_tag(w, 1);                                           /* t = 0: before */
    ln_sim_run_until(&w->net->sim, 1 * LN_MSEC);
    send_tag(w, 2);                                           /* t = 1 ms: inside */
    ln_sim_run_until(&w->net->sim, 2 * LN_MSEC);
    send_tag(w, 3);                                           /* t = 2 ms: after */
    ln_sim_run(&w->net->sim);
    CHECK_EQ(arrived.n, 2);
    CHECK_EQ(arrived.tag[0], 1);
    CHECK_EQ(arrived.tag[1], 3);
    /* refusals name what is wrong */
    c.iface = "eth7";
    CHECK(ln_ic_add_node(w->a, &c, err, sizeof err) == NULL);
    CHECK(strstr(err, "no interface \"eth7\"") != NULL);
    c.iface = NULL;
    c.filter = "tcp port";
    CHECK(ln_ic_add_node(w->a, &c, err, sizeof err) == NULL);
    CHECK(strncmp(err, "filter \"tcp port\": ", 19) == 0);
    c.filter = NULL;
    c.until = c.from;
    CHECK(ln_ic_add_node(w->a, &c, err, sizeof err) == NULL);
    ln_ic_cfg_default(&c);
    c.action = LN_IC_OBSERVE;
    CHECK(ln_ic_add_link(w->link, &c, err, sizeof err) == NULL);     /* no function */
    CHECK_EQ(ln_ic_count(w->net), 1);
    world_free(w);
}

/* Frames still held by a delay when the network is freed: no leak (ASan)
 * and no timer left pointing at them. */
static void test_free_while_held(void)
{
    world *w = hosts_new();
    ln_ic_cfg c;
    ln_ic_cfg_default(&c);
    c.action = LN_IC_DELAY;
    c.delay = 10 * LN_SEC;
    add_link(w, &c);
    for (uint8_t t = 1; t <= 3; t++) send_tag(w, t);
    ln_sim_run_until(&w->net->sim, LN_SEC);
    CHECK_EQ(arrived.n, 0);
    CHECK_U64(ln_pktpool_in_use(w->net->pool), 3);
    world_release(w);
}

int main(void)
{
    test_selects();
    test_corrupt_bits();
    test_set_frame();
    test_drop_nth();
    test_lose_on_wire();
    test_delay_and_order();
    test_duplicate();
    test_rewrite();
    test_remove_in_callback();
    test_window_and_iface();
    test_free_while_held();
    return check_report("test_intercept");
}
