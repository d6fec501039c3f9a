/* test_route.c - the routing table: longest-prefix match, default route,
 * host routes, overlapping prefixes, metric and age tie-breaks, deletion,
 * flushing an interface's routes. */
#include <stdint.h>

#include "check.h"
#include "err.h"
#include "route.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Interfaces are only compared as pointers here. */
static struct ln_iface *IF(int i) { static char slots[8]; return (struct ln_iface *)(void *)&slots[i]; }

static int add(ln_rtable *t, uint32_t prefix, uint8_t plen, uint32_t gw, int ifc, uint32_t metric,
               ln_rt_kind kind)
{
    ln_route r = { .prefix = prefix, .plen = plen, .gateway = gw, .iface = IF(ifc),
                   .metric = metric, .kind = kind };
    return ln_route_add(t, &r);
}

static void test_empty(void)
{
    ln_rtable t;
    ln_rtable_init(&t);
    CHECK(ln_route_lookup(&t, IP(10, 0, 0, 1)) == NULL);
    ln_rtable_destroy(&t);
}

static void test_longest_prefix(void)
{
    ln_rtable t;
    ln_rtable_init(&t);
    /* Added shortest first, so order of insertion cannot be the answer. */
    CHECK_EQ(add(&t, 0, 0, IP(192, 168, 1, 1), 0, 0, LN_RT_STATIC), 0);
    CHECK_EQ(add(&t, IP(10, 0, 0, 0), 8, IP(192, 168, 1, 2), 0, 0, LN_RT_STATIC), 0);
    CHECK_EQ(add(&t, IP(10, 1, 0, 0), 16, 0, 1, 0, LN_RT_CONNECTED), 0);
    CHECK_EQ(add(&t, IP(10, 1, 2, 0), 24, IP(10, 1, 0, 254), 1, 0, LN_RT_STATIC), 0);
    CHECK_EQ(add(&t, IP(10, 1, 2, 3), 32, IP(10, 1, 0, 253), 2, 0, LN_RT_STATIC), 0);

    const ln_route *r = ln_route_lookup(&t, IP(10, 1, 2, 3));
    CHECK(r && r->plen == 32 && r->iface == IF(2));
    r = ln_route_lookup(&t, IP(10, 1, 2, 4));
    CHECK(r && r->plen == 24 && r->gateway == IP(10, 1, 0, 254));
    r = ln_route_lookup(&t, IP(10, 1, 3, 4));
    CHECK(r && r->plen == 16 && r->gateway == 0 && r->kind == LN_RT_CONNECTED);
    r = ln_route_lookup(&t, IP(10, 200, 0, 1));
    CHECK(r && r->plen == 8);
    r = ln_route_lookup(&t, IP(8, 8, 8, 8));
    CHECK(r && r->plen == 0 && r->gateway == IP(192, 168, 1, 1));
    /* Boundaries of the /24. */
    r = ln_route_lookup(&t, IP(10, 1, 2, 0));
    CHECK(r && r->plen == 24);
    r = ln_route_lookup(&t, IP(10, 1, 2, 255));
    CHECK(r && r->plen == 24);
    r = ln_route_lookup(&t, IP(10, 1, 1, 255));
    CHECK(r && r->plen == 16);
    ln_rtable_destroy(&t);
}

static void test_masking_and_duplicates(void)
{
    ln_rtable t;
    ln_rtable_init(&t);
    /* The prefix is masked on insertion. */
    CHECK_EQ(add(&t, IP(172, 16, 5, 77), 12, 0, 0, 0, LN_RT_CONNECTED), 0);
    CHECK_EQ(t.v[0].prefix, IP(172, 16, 0, 0));
    CHECK(ln_route_lookup(&t, IP(172, 31, 255, 255)) != NULL);
    CHECK(ln_route_lookup(&t, IP(172, 32, 0, 0)) == NULL);
    /* Same prefix, gateway and interface: EEXIST, even written unmasked. */
    CHECK_EQ(add(&t, IP(172, 16, 0, 0), 12, 0, 0, 5, LN_RT_STATIC), LN_EEXIST);
    CHECK_EQ(add(&t, IP(172, 17, 0, 1), 12, 0, 0, 0, LN_RT_CONNECTED), LN_EEXIST);
    /* A different gateway is another route. */
    CHECK_EQ(add(&t, IP(172, 16, 0, 0), 12, IP(1, 1, 1, 1), 0, 0, LN_RT_STATIC), 0);
    CHECK_EQ(t.n, 2);
    CHECK_EQ(add(&t, 0, 33, 0, 0, 0, LN_RT_STATIC), LN_EINVAL);
    /* /0 and /32 masks. */
    CHECK_EQ(ln_mask(0), 0);
    CHECK_U64(ln_mask(32), 0xffffffffu);
    CHECK_U64(ln_mask(24), 0xffffff00u);
    ln_rtable_destroy(&t);
}

static void test_metric_tiebreak(void)
{
    ln_rtable t;
    ln_rtable_init(&t);
    CHECK_EQ(add(&t, 0, 0, IP(10, 0, 0, 1), 0, 100, LN_RT_STATIC), 0);
    CHECK_EQ(add(&t, 0, 0, IP(10, 0, 0, 2), 1, 10, LN_RT_STATIC), 0);
    CHECK_EQ(add(&t, 0, 0, IP(10, 0, 0, 3), 2, 10, LN_RT_STATIC), 0);   /* same metric, later */
    const ln_route *r = ln_route_lookup(&t, IP(1, 2, 3, 4));
    CHECK(r && r->gateway == IP(10, 0, 0, 2));
    /* A longer prefix wins whatever its metric. */
    CHECK_EQ(add(&t, IP(1, 0, 0, 0), 8, IP(10, 0, 0, 9), 3, 1000, LN_RT_STATIC), 0);
    r = ln_route_lookup(&t, IP(1, 2, 3, 4));
    CHECK(r && r->gateway == IP(10, 0, 0, 9));
    /* Removing the best default leaves the earliest of the next metric. */
    CHECK_EQ(ln_route_del(&t, 0, 0, IF(1)), 1);
    r = ln_route_lookup(&t, IP(9, 9, 9, 9));
    CHECK(r && r->gateway == IP(10, 0, 0, 3));
    ln_rtable_destroy(&t);
}

static void test_delete_and_flush(void)
{
    ln_rtable t;
    ln_rtable_init(&t);
    add(&t, IP(10, 0, 0, 0), 24, 0, 0, 0, LN_RT_CONNECTED);
    add(&t, IP(10, 0, 1, 0), 24, 0, 1, 0, LN_RT_CONNECTED);
    add(&t, IP(10, 9, 0, 0), 16, IP(10, 0, 0, 254), 0, 0, LN_RT_STATIC);
    add(&t, IP(10, 9, 0, 0), 16, IP(10, 0, 1, 254), 1, 5, LN_RT_STATIC);
    add(&t, 0, 0, IP(10, 0, 1, 1), 1, 0, LN_RT_STATIC);
    CHECK_EQ(t.n, 5);
    /* Deletion of an absent route removes nothing. */
    CHECK_EQ(ln_route_del(&t, IP(10, 8, 0, 0), 16, NULL), 0);
    /* Deleting through one interface leaves the other. */
    CHECK_EQ(ln_route_del(&t, IP(10, 9, 7, 7), 16, IF(0)), 1);
    const ln_route *r = ln_route_lookup(&t, IP(10, 9, 1, 1));
    CHECK(r && r->iface == IF(1));
    /* Flushing the connected routes of IF(1) keeps its static routes. */
    ln_route_flush_iface(&t, IF(1), LN_RT_CONNECTED);
    CHECK_EQ(t.n, 3);
    r = ln_route_lookup(&t, IP(10, 0, 1, 5));
    CHECK(r && r->plen == 0);
    ln_route_flush_iface(&t, IF(1), LN_RT_STATIC);
    CHECK_EQ(t.n, 1);
    CHECK(ln_route_lookup(&t, IP(8, 8, 8, 8)) == NULL);
    r = ln_route_lookup(&t, IP(10, 0, 0, 7));
    CHECK(r && r->iface == IF(0));
    /* Without an interface, every route of that prefix goes. */
    add(&t, IP(10, 0, 0, 0), 24, IP(10, 0, 0, 1), 1, 0, LN_RT_STATIC);
    CHECK_EQ(ln_route_del(&t, IP(10, 0, 0, 0), 24, NULL), 2);
    CHECK_EQ(t.n, 0);
    ln_rtable_destroy(&t);
}

static bool not_if0(const ln_route *r, void *arg)
{
    (void)arg;
    return r->iface != IF(0);
}

static void test_filter(void)
{
    ln_rtable t;
    ln_rtable_init(&t);
    add(&t, IP(10, 0, 0, 0), 24, 0, 0, 0, LN_RT_CONNECTED);
    add(&t, 0, 0, IP(192, 168, 0, 1), 1, 0, LN_RT_STATIC);
    const ln_route *r = ln_route_lookup_filter(&t, IP(10, 0, 0, 5), not_if0, NULL);
    CHECK(r && r->plen == 0);
    ln_rtable_destroy(&t);
}

/* Many random routes against a brute-force reference. */
static void test_against_reference(void)
{
    ln_rtable t;
    ln_rtable_init(&t);
    uint64_t x = 12345;
    uint32_t prefixes[300];
    uint8_t plens[300];
    int n = 0;
    for (int i = 0; i < 300; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint8_t plen = (uint8_t)((x >> 33) % 33);
        uint32_t p = (uint32_t)(x >> 7) & ln_mask(plen) & 0x0fffffffu;
        if (add(&t, p, plen, (uint32_t)i + 1, 0, 0, LN_RT_STATIC) == 0) {
            prefixes[n] = p;
            plens[n] = plen;
            n++;
        }
    }
    int bad = 0;
    for (int k = 0; k < 5000; k++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t dst = (uint32_t)(x >> 20) & 0x0fffffffu;
        int best = -1;
        for (int i = 0; i < n; i++)
            if ((dst & ln_mask(plens[i])) == prefixes[i] && (best < 0 || plens[i] > plens[best])) best = i;
        const ln_route *r = ln_route_lookup(&t, dst);
        if (best < 0) { if (r) bad++; continue; }
        if (!r || r->plen != plens[best] || r->prefix != prefixes[best]) bad++;
    }
    CHECK_EQ(bad, 0);
    ln_rtable_destroy(&t);
}

int main(void)
{
    test_empty();
    test_longest_prefix();
    test_masking_and_duplicates();
    test_metric_tiebreak();
    test_delete_and_flush();
    test_filter();
    test_against_reference();
    return check_report("test_route");
}
