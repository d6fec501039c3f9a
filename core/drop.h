/* drop.h - why a packet was discarded.
 *
 * Every layer that drops a packet names one of these reasons (ln_net_drop),
 * and the counters, the DROP event, the ladder and the Lua API all use the
 * same list; the words are what users read ("queue full", "bad checksum").
 * On its own so that a parser can say why it rejects a segment without
 * knowing about the event stream. */
#ifndef LN_DROP_H
#define LN_DROP_H

#define LN_DROP_REASONS(X)                                              \
    X(NONE,            "none")                                          \
    X(QUEUE_FULL,      "queue full")                                    \
    X(LOSS,            "loss")                                          \
    X(LINK_DOWN,       "link down")                                     \
    X(LINK_MTU,        "frame exceeds link mtu")                        \
    X(NO_CARRIER,      "no carrier")                                    \
    X(IFACE_DOWN,      "interface down")                                \
    X(TRUNCATED,       "truncated")                                     \
    X(MALFORMED,       "malformed")                                     \
    X(BAD_CSUM,        "bad checksum")                                  \
    X(OTHER_HOST,      "not for this host")                             \
    X(UNKNOWN_ETHERTYPE, "unknown ethertype")                           \
    X(UNKNOWN_PROTO,   "unknown protocol")                              \
    X(NO_ROUTE,        "no route")                                      \
    X(TTL_EXPIRED,     "ttl expired")                                   \
    X(FRAG_NEEDED,     "fragmentation needed")                          \
    X(ARP_FAILED,      "arp resolution failed")                         \
    X(ARP_QUEUE_FULL,  "arp queue full")                                \
    X(REASM_TIMEOUT,   "reassembly timeout")                            \
    X(REASM_OVERLAP,   "overlapping fragment")                          \
    X(REASM_DUP,       "duplicate fragment")                            \
    X(REASM_INVALID,   "invalid fragment")                              \
    X(SWITCH_FILTER,   "filtered by switch")                            \
    X(NO_LISTENER,     "no listener")                                   \
    X(FIREWALL,        "firewall")                                      \
    X(BACKLOG_FULL,    "backlog full")                                  \
    X(NO_BUFFER,       "no buffer")                                     \
    X(MARTIAN,         "martian address")                               \
    X(POLICY,          "policy")                                        \
    X(NO_SOCKET,       "no socket")                                     \
    X(TCP_OUT_OF_WINDOW, "out of window")                               \
    X(TCP_BAD_SEGMENT, "invalid tcp segment")                           \
    X(TCP_PAWS,        "paws")                                          \
    X(RCVBUF_FULL,     "receive buffer full")                           \
    X(INTERCEPT,       "intercept")                                     \
    X(NEIGH_OVERFLOW,  "neighbour table overflow")                      \
    X(ND_INVALID,      "invalid neighbour discovery")                   \
    X(EXTHDR,          "bad extension header")                          \
    X(RH0,             "routing header type 0")                         \
    X(PKT_TOO_BIG,     "packet too big")                                \
    X(ND_FAILED,       "neighbour unreachable")                         \
    X(ND_QUEUE_FULL,   "neighbour queue full")

typedef enum {
#define LN_DROP_ENUM(name, word) LN_DROP_##name,
    LN_DROP_REASONS(LN_DROP_ENUM)
#undef LN_DROP_ENUM
    LN_DROP__COUNT
} ln_drop_reason;

const char *ln_drop_reason_name(ln_drop_reason r);

#endif
