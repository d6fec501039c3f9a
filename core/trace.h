/* trace.h - a debug trace per subsystem: one line for each decision a
 * layer takes that the event stream does not already carry (why an ARP
 * request went out, which route a datagram took, why a report was
 * scheduled), for whoever works on the stack or wonders what it did.
 *
 * LUNET_TRACE=arp,ip (or `lunet run --trace arp,ip`, or net:trace("all"))
 * turns subsystems on; each line reads
 *     trace 1.000123456 h1 arp: who-has 10.0.0.2 tell 10.0.0.1 (queued 1)
 * with the virtual time, the node and the subsystem, so lines from many
 * hosts sort and grep.  A trace point that is off costs one test of a mask
 * in the network; the arguments are not evaluated. */
#ifndef LN_TRACE_H
#define LN_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct ln_net;

#define LN_TRACE_SUBSYSTEMS(X) \
    X(LINK, "link") X(SWITCH, "switch") X(ARP, "arp") X(IP, "ip") X(ICMP, "icmp") \
    X(IGMP, "igmp") X(UDP, "udp") X(TCP, "tcp")

typedef enum {
#define LN_TR_ENUM(name, word) LN_TR_##name,
    LN_TRACE_SUBSYSTEMS(LN_TR_ENUM)
#undef LN_TR_ENUM
    LN_TR__COUNT
} ln_trace_sub;

/* Where lines go: the network's sink, or stderr when it has none. */
typedef void (*ln_trace_fn)(const char *line, void *arg);

#define LN_TRACE_ON(net, sub) (((net)->trace_mask >> (sub)) & 1u)
#define LN_TRACE(net, sub, who, ...)                                       \
    do {                                                                  \
        if (LN_TRACE_ON(net, sub)) ln_trace_emit((net), (sub), (who), __VA_ARGS__); \
    } while (0)

/* who: the node's or the switch's name. */
void ln_trace_emit(struct ln_net *net, ln_trace_sub sub, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "arp,ip", "all" or "" (none) into a mask; 0, or LN_EINVAL with err
 * naming the unknown word and the known ones. */
int ln_trace_parse(const char *list, uint32_t *mask, char *err, size_t errlen);
const char *ln_trace_name(ln_trace_sub sub);

#endif
