/* test_node_addr.c - a node's own addresses (node.c): a router with many
 * interfaces answers "is this mine?" from a hash, and the answer is the
 * scan's: after every change, for shared addresses (the lowest interface)
 * and for interfaces without one; and which addresses are a subnet's
 * directed broadcast. */
#include <stdio.h>

#include "check.h"
#include "net.h"
#include "node.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* The plain scan, as the reference. */
static ln_iface *scan(const ln_node *n, uint32_t addr)
{
    for (uint32_t i = 0; i < n->n_ifaces; i++)
        if (n->ifaces[i]->plen != LN_NO_ADDR && n->ifaces[i]->addr == addr) return n->ifaces[i];
    return NULL;
}

/* The reference for the class: ours first, then a subnet's broadcast. */
static ln_addr_class scan_class(const ln_node *n, uint32_t addr)
{
    if (scan(n, addr)) return LN_ADDR_LOCAL;
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        const ln_iface *ifc = n->ifaces[i];
        if (ifc->plen != LN_NO_ADDR && ifc->plen < 31 && addr == (ifc->addr | ~ln_mask(ifc->plen)))
            return LN_ADDR_BCAST;
    }
    return LN_ADDR_OTHER;
}

static int mismatches(const ln_node *n)
{
    int bad = 0;
    for (uint32_t k = 0; k < 300; k++) {
        bad += ln_node_iface_by_addr(n, IP(10, k, 0, 1)) != scan(n, IP(10, k, 0, 1));
        bad += ln_node_addr_class(n, IP(10, k, 0, 1)) != scan_class(n, IP(10, k, 0, 1));
        bad += ln_node_addr_class(n, IP(10, k, 0, 255)) != scan_class(n, IP(10, k, 0, 255));
        bad += ln_node_addr_class(n, IP(10, k, 1, 255)) != scan_class(n, IP(10, k, 1, 255));
    }
    return bad;
}

int main(void)
{
    ln_net *net = ln_net_new(1);
    char err[160];
    ln_node *r = ln_node_new(net, "r", true, err, sizeof err);
    for (uint32_t k = 0; k < 200; k++) {
        ln_iface *ifc = ln_iface_new(r, NULL, err, sizeof err);
        if (k % 7 != 3) CHECK_EQ(ln_iface_set_addr(ifc, IP(10, k, 0, 1), 24), 0);
    }
    CHECK(r->addr_idx != NULL);
    CHECK(ln_node_iface_by_addr(r, IP(10, 151, 0, 1)) == r->ifaces[151]);
    CHECK(ln_node_iface_by_addr(r, IP(10, 3, 0, 1)) == NULL);      /* that interface has none */
    CHECK(!ln_node_has_addr(r, IP(10, 250, 0, 1)));
    CHECK_EQ(mismatches(r), 0);
    /* Changed, cleared and shared addresses. */
    CHECK_EQ(ln_iface_set_addr(r->ifaces[10], IP(10, 250, 0, 1), 24), 0);
    CHECK(ln_node_iface_by_addr(r, IP(10, 250, 0, 1)) == r->ifaces[10]);
    CHECK(ln_node_iface_by_addr(r, IP(10, 10, 0, 1)) == NULL);
    CHECK_EQ(ln_iface_set_addr(r->ifaces[20], 0, LN_NO_ADDR), 0);
    CHECK(ln_node_iface_by_addr(r, IP(10, 20, 0, 1)) == NULL);
    CHECK_EQ(ln_iface_set_addr(r->ifaces[5], IP(10, 40, 0, 1), 24), 0);   /* 40 has it too */
    CHECK(ln_node_iface_by_addr(r, IP(10, 40, 0, 1)) == r->ifaces[5]);
    CHECK_EQ(mismatches(r), 0);
    /* Directed broadcasts: by hash on the router; /31 and /32 have none
     * (RFC 3021); an address that is ours on one interface and another's
     * broadcast is ours. */
    CHECK_EQ(ln_node_addr_class(r, IP(10, 151, 0, 255)), LN_ADDR_BCAST);
    CHECK_EQ(ln_node_addr_class(r, IP(10, 3, 0, 255)), LN_ADDR_OTHER);   /* no address there */
    CHECK_EQ(ln_iface_set_addr(r->ifaces[30], IP(10, 30, 0, 0), 31), 0);
    CHECK_EQ(ln_node_addr_class(r, IP(10, 30, 0, 1)), LN_ADDR_OTHER);
    CHECK_EQ(ln_iface_set_addr(r->ifaces[31], IP(10, 31, 0, 1), 32), 0);
    CHECK_EQ(ln_node_addr_class(r, IP(10, 31, 0, 1)), LN_ADDR_LOCAL);
    CHECK_EQ(ln_iface_set_addr(r->ifaces[32], IP(10, 151, 0, 255), 32), 0);
    CHECK_EQ(ln_node_addr_class(r, IP(10, 151, 0, 255)), LN_ADDR_LOCAL);
    CHECK(ln_node_iface_by_addr(r, IP(10, 151, 0, 255)) == r->ifaces[32]);
    CHECK_EQ(mismatches(r), 0);
    /* A host with few interfaces scans. */
    ln_node *h = ln_node_new(net, "h", false, err, sizeof err);
    ln_iface *hi = ln_iface_new(h, NULL, err, sizeof err);
    ln_iface_set_addr(hi, IP(10, 0, 0, 9), 24);
    CHECK(h->addr_idx == NULL);
    CHECK(ln_node_iface_by_addr(h, IP(10, 0, 0, 9)) == hi);
    CHECK_EQ(ln_node_addr_class(h, IP(10, 0, 0, 255)), LN_ADDR_BCAST);
    CHECK_EQ(ln_node_addr_class(h, IP(10, 0, 0, 9)), LN_ADDR_LOCAL);
    CHECK_EQ(ln_node_addr_class(h, IP(10, 0, 1, 255)), LN_ADDR_OTHER);
    CHECK(!ln_node_has_addr(h, IP(10, 0, 0, 255)));
    CHECK(ln_node_iface_by_addr(h, IP(10, 0, 0, 255)) == NULL);
    ln_net_free(net);
    return check_report("test_node_addr");
}
