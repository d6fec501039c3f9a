/* firewall.h - per-node packet filter rules, like iptables' INPUT/FORWARD
 * (hook "in") and OUTPUT/POSTROUTING (hook "out"), selected by tcpdump
 * filter expressions.
 *
 * Call chain:  link -> ln_eth_input -> [ln_fw_hook IN]  -> ARP | IP
 *              ... -> ln_iface_xmit  -> [ln_fw_hook OUT] -> link
 *
 * The "in" hook sees every frame accepted by the Ethernet checks, whether
 * it is for the node or to be forwarded; the "out" hook every frame the
 * node transmits (its own and forwarded ones, ARP included).  Rules of a
 * hook are tried in order; the first whose interface and filter match
 * decides, else the hook's policy does.  A node without a firewall pays
 * one pointer test (n->fw == NULL). */
#ifndef LN_FIREWALL_H
#define LN_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pkt.h"

struct ln_node;
struct ln_iface;

typedef enum { LN_FW_IN, LN_FW_OUT, LN_FW__HOOKS } ln_fw_hook;
typedef enum { LN_FW_ACCEPT, LN_FW_DROP, LN_FW_REJECT } ln_fw_action;
/* What REJECT answers with (iptables --reject-with). */
typedef enum {
    LN_FW_PORT_UNREACH,           /* icmp-port-unreachable (the default) */
    LN_FW_TCP_RESET,              /* tcp-reset (TCP only; else a silent drop) */
    LN_FW_HOST_UNREACH,           /* icmp-host-unreachable */
    LN_FW_ADMIN_PROHIB,           /* icmp-admin-prohibited */
    LN_FW_NET_UNREACH,            /* icmp-net-unreachable */
} ln_fw_reject;

extern const char *const ln_fw_hook_names[];     /* "in", "out" */
extern const char *const ln_fw_action_names[];   /* "accept", "drop", "reject" */
extern const char *const ln_fw_reject_names[];   /* "port-unreachable", "tcp-reset", ... */

/* A rule as the firewall keeps it (read-only to callers). */
typedef struct ln_fw_rule_info {
    const char *iface;            /* interface name, or NULL for any */
    const char *filter;           /* "" matches everything */
    ln_fw_action action;
    ln_fw_reject with;            /* meaningful for REJECT */
    uint64_t packets, bytes;      /* frames that matched, and their bytes */
} ln_fw_rule_info;

/* Append a rule to a hook.  The filter is compiled once by libpcap for
 * Ethernet frames; on a bad filter err gets libpcap's message.  Returns
 * the rule's 0-based position in its hook, or a negative LN_E* code. */
int ln_fw_add(struct ln_node *n, ln_fw_hook hook, const char *iface, const char *filter,
              ln_fw_action action, ln_fw_reject with, char *err, size_t errlen);
/* Set the policy of a hook: LN_FW_ACCEPT (default) or LN_FW_DROP.
 * Returns 0, LN_EINVAL for REJECT, LN_ENOMEM. */
int ln_fw_set_policy(struct ln_node *n, ln_fw_hook hook, ln_fw_action policy);
ln_fw_action ln_fw_policy(const struct ln_node *n, ln_fw_hook hook);
/* Remove the rules of one hook (hook < 0: of both); policies stay. */
void ln_fw_flush(struct ln_node *n, int hook);
/* Rules in a hook, and the i-th of them (NULL when out of range). */
uint32_t ln_fw_count(const struct ln_node *n, ln_fw_hook hook);
const ln_fw_rule_info *ln_fw_rule(const struct ln_node *n, ln_fw_hook hook, uint32_t i);
/* Free everything (ln_node_free). */
void ln_fw_free(struct ln_node *n);

/* Run a hook on a frame (data at the Ethernet header; borrowed for the
 * match).  Returns true if the frame goes on; false if it was dropped or
 * rejected, in which case it was consumed (ln_net_drop, reason FIREWALL).
 * Call only when n->fw is set. */
bool ln_fw_hook_run(struct ln_node *n, ln_fw_hook hook, struct ln_iface *ifc, ln_pkt *frame);

#endif
