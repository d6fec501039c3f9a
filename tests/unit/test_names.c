/* test_names.c - nodes and switches by name (net.c's name index): one name
 * space for both, found in constant time however many there are, and a
 * name taken by either kind refused for the other. */
#include <stdio.h>

#include "check.h"
#include "net.h"
#include "node.h"
#include "switch.h"

int main(void)
{
    ln_net *net = ln_net_new(1);
    char err[160], name[32];
    enum { N = 20000 };
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "%c%d", i % 3 == 0 ? 's' : 'h', i);
        if (i % 3 == 0) CHECK(ln_switch_new(net, name, false, err, sizeof err) != NULL);
        else CHECK(ln_node_new(net, name, i % 2, err, sizeof err) != NULL);
    }
    CHECK_U64(net->n_names, N);
    CHECK(2 * net->n_names <= net->names_mask + 1);
    int found = 0;
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "%c%d", i % 3 == 0 ? 's' : 'h', i);
        if (i % 3 == 0) {
            ln_switch *s = ln_net_switch(net, name);
            found += s && strcmp(s->name, name) == 0 && !ln_net_node(net, name);
        } else {
            ln_node *n = ln_net_node(net, name);
            found += n && strcmp(n->name, name) == 0 && !ln_net_switch(net, name);
        }
    }
    CHECK_EQ(found, N);
    CHECK(ln_net_node(net, "h0") == NULL);           /* s0 is the switch */
    CHECK(ln_net_node(net, "nobody") == NULL);
    CHECK(ln_net_switch(net, "") == NULL);
    CHECK(!ln_net_name_taken(net, "h20000"));
    /* One name space: neither kind may take the other's name. */
    CHECK(ln_node_new(net, "s3", false, err, sizeof err) == NULL);
    CHECK_STR(err, "node name \"s3\": already used in this network");
    CHECK(ln_switch_new(net, "h1", false, err, sizeof err) == NULL);
    CHECK(ln_node_new(net, "h1", false, err, sizeof err) == NULL);
    CHECK_U64(net->n_names, N);
    /* Ids follow creation order, whatever the index does. */
    CHECK_STR(net->nodes[0]->name, "h1");
    CHECK_STR(net->switches[1]->name, "s3");
    ln_net_free(net);
    return check_report("test_names");
}
