/* mib.h - per-node protocol counters, with Linux's names.
 *
 * One flat array per node, indexed by LN_MIB_<name>; the names are the ones
 * `nstat` prints (netstat -s groups them the same way), so a user can
 * compare a lunet host with a Linux one line by line.  Later layers (UDP,
 * TCP) append their counters to the list. */
#ifndef LN_MIB_H
#define LN_MIB_H

#include <stdint.h>

#define LN_MIB_LIST(X)                                                    \
    X(IpInReceives) X(IpInHdrErrors) X(IpInAddrErrors) X(IpForwDatagrams) \
    X(IpInUnknownProtos) X(IpInDiscards) X(IpInDelivers) X(IpOutRequests) \
    X(IpOutDiscards) X(IpOutNoRoutes) X(IpReasmTimeout) X(IpReasmReqds)   \
    X(IpReasmOKs) X(IpReasmFails) X(IpFragOKs) X(IpFragFails)             \
    X(IpFragCreates) X(IpExtInCsumErrors) X(IpExtInTruncatedPkts)         \
    X(IcmpInMsgs) X(IcmpInErrors) X(IcmpInCsumErrors)                     \
    X(IcmpInDestUnreachs) X(IcmpInTimeExcds) X(IcmpInEchos)               \
    X(IcmpInEchoReps) X(IcmpOutMsgs) X(IcmpOutErrors)                     \
    X(IcmpOutDestUnreachs) X(IcmpOutTimeExcds) X(IcmpOutEchos)            \
    X(IcmpOutEchoReps) X(IcmpOutRateLimitGlobal) X(IcmpOutRateLimitHost)  \
    X(ArpInRequests) X(ArpInReplies) X(ArpOutRequests) X(ArpOutReplies)   \
    X(ArpResolveFailed) X(ArpUnresolvedDiscards) X(ArpInErrors)           \
    X(ArpTableFulls) X(ArpForcedGcRuns)                                   \
    X(EthInErrors) X(EthInUnknownType) X(EthInOtherHost)                  \
    X(IpExtInNoRoutes) X(IpExtInMcastPkts) X(IpExtOutMcastPkts)           \
    X(IpExtInBcastPkts) X(IpExtOutBcastPkts)                              \
    X(TcpActiveOpens) X(TcpPassiveOpens) X(TcpAttemptFails)               \
    X(TcpEstabResets) X(TcpCurrEstab) X(TcpInSegs) X(TcpOutSegs)          \
    X(TcpRetransSegs) X(TcpInErrs) X(TcpOutRsts) X(TcpInCsumErrors)       \
    X(TcpExtSyncookiesSent) X(TcpExtSyncookiesRecv)                       \
    X(TcpExtSyncookiesFailed) X(TcpExtEmbryonicRsts)                      \
    X(TcpExtTW) X(TcpExtTWKilled) X(TcpExtTWRecycled) X(TcpExtPAWSEstab) X(TcpExtDelayedACKs)\
    X(TcpExtListenOverflows) X(TcpExtListenDrops)                         \
    X(TcpExtTCPReqQFullDrop) X(TcpExtTCPReqQFullDoCookies)                \
    X(TcpExtTCPPureAcks) X(TcpExtTCPHPAcks) X(TcpExtTCPSackRecovery)      \
    X(TcpExtTCPRenoRecovery) X(TcpExtTCPFastRetrans)                      \
    X(TcpExtTCPSlowStartRetrans) X(TcpExtTCPTimeouts)                     \
    X(TcpExtTCPLossProbes) X(TcpExtTCPSynRetrans)                         \
    X(TcpExtTCPAbortOnData) X(TcpExtTCPAbortOnClose)                      \
    X(TcpExtTCPAbortOnTimeout) X(TcpExtTCPAbortOnLinger)                  \
    X(TcpExtTCPSACKReneging) X(TcpExtTCPSackShifted) X(TcpExtTCPSackMerged)\
    X(TcpExtTCPDSACKOldSent) X(TcpExtTCPDSACKRecv)                        \
    X(TcpExtTCPOFOQueue) X(TcpExtTCPOFODrop) X(TcpExtTCPRcvCoalesce)      \
    X(TcpExtTCPWinProbe) X(TcpExtTCPKeepAlive)                            \
    X(TcpExtTCPChallengeACK) X(TcpExtTCPSYNChallenge)                     \
    X(TcpExtTCPToZeroWindowAdv) X(TcpExtTCPFromZeroWindowAdv)             \
    X(TcpExtTCPWantZeroWindowAdv) X(TcpExtTCPTimeWaitOverflow)            \
    X(TcpExtTCPRcvQDrop) X(TcpExtTCPZeroWindowDrop) X(TcpExtTCPBacklogDrop)\
    X(TcpExtOutOfWindowIcmps) X(TcpExtLockDroppedIcmps)                   \
    X(TcpExtTcpTimeoutRehash) X(TcpExtTCPSpuriousRTOs)                    \
    X(TcpExtTCPFullUndo) X(TcpExtTCPLossUndo) X(TcpExtTCPLostRetransmit)  \
    X(TcpExtTCPAckCompressed) X(TcpExtTCPOrigDataSent)                    \
    X(TcpExtTCPLossProbeRecovery) X(TcpExtTCPDSACKOfoRecv)                \
    X(TcpExtTCPDSACKRecvSegs) X(TcpExtTCPDSACKIgnoredNoUndo)              \
    X(TcpExtTCPDSACKUndo) X(TcpExtTCPPartialUndo)                         \
    X(UdpInDatagrams) X(UdpNoPorts) X(UdpInErrors) X(UdpOutDatagrams)     \
    X(UdpRcvbufErrors) X(UdpSndbufErrors) X(UdpInCsumErrors) X(UdpIgnoredMulti) \
    X(Ip6InReceives) X(Ip6InHdrErrors) X(Ip6InTooBigErrors) X(Ip6InNoRoutes) \
    X(Ip6InAddrErrors) X(Ip6InUnknownProtos) X(Ip6InTruncatedPkts)        \
    X(Ip6InDiscards) X(Ip6InDelivers) X(Ip6OutForwDatagrams)              \
    X(Ip6OutRequests) X(Ip6OutDiscards) X(Ip6OutNoRoutes)                 \
    X(Ip6ReasmTimeout) X(Ip6ReasmReqds) X(Ip6ReasmOKs) X(Ip6ReasmFails)   \
    X(Ip6FragOKs) X(Ip6FragFails) X(Ip6FragCreates)                       \
    X(Ip6InMcastPkts) X(Ip6OutMcastPkts)                                  \
    X(Icmp6InMsgs) X(Icmp6InErrors) X(Icmp6OutMsgs) X(Icmp6OutErrors)     \
    X(Icmp6InCsumErrors) X(Icmp6InDestUnreachs) X(Icmp6InPktTooBigs)      \
    X(Icmp6InTimeExcds) X(Icmp6InParmProblems) X(Icmp6InEchos)            \
    X(Icmp6InEchoReplies) X(Icmp6InRouterSolicits)                        \
    X(Icmp6InRouterAdvertisements) X(Icmp6InNeighborSolicits)             \
    X(Icmp6InNeighborAdvertisements) X(Icmp6InRedirects)                  \
    X(Icmp6OutDestUnreachs) X(Icmp6OutPktTooBigs) X(Icmp6OutTimeExcds)    \
    X(Icmp6OutParmProblems) X(Icmp6OutEchos) X(Icmp6OutEchoReplies)       \
    X(Icmp6OutRouterSolicits) X(Icmp6OutRouterAdvertisements)             \
    X(Icmp6OutNeighborSolicits) X(Icmp6OutNeighborAdvertisements)         \
    X(Icmp6OutRateLimitHost)

enum {
#define LN_MIB_ENUM(name) LN_MIB_##name,
    LN_MIB_LIST(LN_MIB_ENUM)
#undef LN_MIB_ENUM
    LN_MIB__COUNT
};

extern const char *const ln_mib_names[LN_MIB__COUNT];

/* A node's counters are read as node->mib[i]; they are written through
 * ln_node_mib (node.h), which gives the node its own array on the first
 * count: until then node->mib is ln_mib_none, all zeros, shared, and
 * never written, so an idle host costs no counters. */
extern uint64_t ln_mib_none[LN_MIB__COUNT];
#define LN_MIB_INC(node, name)    (ln_node_mib(node)[LN_MIB_##name]++)
#define LN_MIB_ADD(node, name, n) (ln_node_mib(node)[LN_MIB_##name] += (n))

#endif
