/* test_faults_config.c - configuration mistakes the engine refuses, with
 * a message that says what was wrong (issue 8, faults 4 and 6).
 *
 * - "10.0.0.1/24/5" is a malformed address (what is allowed: a.b.c.d/len),
 *   not a bad prefix length: the length, 24, is fine;
 * - a link between two ports of one switch is a loop that floods every
 *   broadcast round forever at one instant: refused like a port linked to
 *   itself. */
#include <string.h>

#include "check.h"
#include "err.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "switch.h"

static void test_ip_parse_malformed(void)
{
    uint32_t a = 0;
    uint8_t plen = 0;
    char err[160];
    CHECK_EQ(ln_ip_parse("10.0.0.1/24/5", &a, &plen, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "address \"10.0.0.1/24/5\": malformed") == err);
    CHECK(strstr(err, "a.b.c.d/len") != NULL);
    CHECK(strstr(err, "prefix length must be") == NULL);
    CHECK_EQ(ln_ip_parse("10.0.0.1/24x", &a, &plen, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "malformed") != NULL);
    CHECK_EQ(ln_ip_parse("10.0.0.1 ", &a, &plen, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "malformed") != NULL);
    /* without a length allowed, the hint has none either */
    CHECK_EQ(ln_ip_parse("10.0.0.1x", &a, NULL, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "malformed") != NULL);
    CHECK(strstr(err, "/len") == NULL);
    /* bad lengths are still bad lengths */
    CHECK_EQ(ln_ip_parse("10.0.0.1/33", &a, &plen, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "prefix length must be 0..32") != NULL);
    CHECK_EQ(ln_ip_parse("10.0.0.1/", &a, &plen, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "prefix length must be 0..32") != NULL);
    CHECK_EQ(ln_ip_parse("10.0.0.1/1234", &a, &plen, err, sizeof err), LN_EINVAL);
    CHECK(strstr(err, "prefix length must be 0..32") != NULL);
    /* and good ones parse */
    CHECK_EQ(ln_ip_parse("10.0.0.1/24", &a, &plen, err, sizeof err), 0);
    CHECK_EQ(a, 0x0a000001);
    CHECK_EQ(plen, 24);
    CHECK_EQ(ln_ip_parse("10.0.0.1", &a, &plen, err, sizeof err), 0);
    CHECK_EQ(plen, LN_NO_ADDR);
}

static void test_switch_linked_to_itself(void)
{
    ln_net *net = ln_net_new(1);
    char err[200] = "";
    ln_switch *sw = ln_switch_new(net, "sw", false, err, sizeof err);
    ln_switch *sw2 = ln_switch_new(net, "sw2", false, err, sizeof err);
    CHECK(sw && sw2);
    ln_port *p1 = ln_switch_add_port(sw), *p2 = ln_switch_add_port(sw);
    CHECK(ln_link_new(net, p1, p2, NULL, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "sw.p1") != NULL && strstr(err, "sw.p2") != NULL);
    CHECK(strstr(err, "same device") != NULL);
    CHECK(p1->link == NULL && p2->link == NULL);
    CHECK_EQ(net->n_links, 0);
    /* another switch's port is fine */
    ln_port *q = ln_switch_add_port(sw2);
    CHECK(ln_link_new(net, p1, q, NULL, NULL, err, sizeof err) != NULL);
    CHECK_EQ(net->n_links, 1);
    ln_net_free(net);
}

int main(void)
{
    test_ip_parse_malformed();
    test_switch_linked_to_itself();
    return check_report("test_faults_config");
}
