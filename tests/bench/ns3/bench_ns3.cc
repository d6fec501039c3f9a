/* bench_ns3.cc - bench_tcp's three workloads (tests/bench/bench_tcp.c) in
 * ns-3 3.37, so that issue 15's "lunet is Nx faster than ns-3" can be
 * measured again.  tests/bench/bench_ns3.sh builds it against Debian's
 * libns3-dev, runs it alternately with bench_tcp and prints the table.
 * A benchmark, not a test: it prints figures, and what it did so that the
 * two sides can be checked to have done the same work.
 *
 * Same as bench_tcp: client 10.1.1.1 - router - server 10.1.2.2, two
 * point-to-point links of 1 Gbit/s and 5 ms, MTU 1500, device queues of
 * 100,000 packets (drop-tail, no queue disc: lunet has none), ARP not in
 * the way (lunet fills the caches first; ns-3's PPP devices have no ARP),
 * no capture, no logging, buffers of 4 MiB, cubic (ns-3's TcpCubic with
 * HyStart, beta 0.7, C 0.4, fast convergence, like Linux's), PRR recovery,
 * SACK, timestamps and window scaling on, initial cwnd 10, MSS 1448 (1460
 * less the 12 bytes of timestamps, as Linux counts it), initial RTO 1 s
 * (Linux's; ns-3's default is 3 s), minimum RTO 1 s (see Tune: ns-3's RTO
 * formula is not Linux's, and 200 ms makes it retransmit spuriously).
 *
 *   W1 bulk        one BulkSendApplication sends 200,000,000 bytes to a
 *                  PacketSink; stops when the sink has them all
 *   W2 many flows  1000 BulkSendApplications opened at t=0 each send
 *                  100,000 bytes; stops when the sink has every byte
 *   W3 SYN load    100,000 bare SYNs, one every 10 us, put on the client's
 *                  IP layer (like bench_tcp's ln_ip_output with any_src),
 *                  to a listener: from the client's own address, then from
 *                  random spoofed sources of a /16 the router has no route
 *                  to; 1.04 s of virtual time each
 *
 * What ns-3 cannot do the same way (printed with the figures too):
 *  - Frames: PPP adds 2 bytes, lunet's Ethernet 14 (1502 against 1514 bytes
 *    on the wire for a full segment: 0.8% less serialization time).
 *  - Checksums: ns-3 computes none unless ChecksumEnabled is set; lunet
 *    writes and checks every IP header's, and leaves TCP's unfinished while
 *    nothing reads the bytes (as Linux with checksum offload; so here).
 *    Payload: ns-3's packets carry virtual zero bytes, stored nowhere;
 *    lunet's carry where its generated stream pattern starts and write the
 *    bytes out only when something reads them (pkt.h), so neither stores
 *    a bulk sender's payload.
 *  - Delayed ACKs: Linux (and lunet) ACK every segment while quick-ACK mode
 *    lasts, which covers the whole of a 100 kB flow (see bench_tcp's W2
 *    note), and every second segment in a long bulk transfer.  ns-3 has no
 *    quick-ACK mode, only DelAckCount: W2 uses 1 and W1 2 so that both sides
 *    send the same ACKs (--delack=2 gives ns-3's default in W2, where it
 *    then sends half as many packets as lunet).  DelAckTimeout is Linux's
 *    minimum delayed-ACK timer, 40 ms (ns-3's default is 200 ms).
 *  - Nagle: ns-3 defaults TcpNoDelay on; left so, because it only touches a
 *    flow's last short segment, which Linux sends with the FIN at close.
 *  - The sink: PacketSink never closes its accepted sockets, so a W2 flow
 *    ends in CLOSE_WAIT/FIN_WAIT_2 without the server's FIN and its ACK (2
 *    of ~140 packets a flow that lunet's sink exchanges).
 *  - The build: Debian's libns3 keeps NS_LOG and asserts compiled in (ns-3's
 *    "default" profile, not "optimized"); checking log levels costs ns-3
 *    about 7% of W2 (LogComponent::IsEnabled under perf).  About 30% of its
 *    W2 goes to finding a segment's socket: Ipv4EndPointDemux walks a list of
 *    every endpoint, which also makes W3 grow with the square of the SYNs.
 *  - W3: ns-3 has no SYN backlog limit and no SYN cookies: every SYN forks a
 *    full socket in SYN_RCVD.  lunet's "syncookies off" run drops 98% of the
 *    spoofed SYNs at its full backlog; its "syncookies on" run answers every
 *    SYN statelessly.  ns-3 runs its spoofed flood twice in their place, so
 *    that one process of each side runs three floods.
 *
 * Usage: bench_ns3 [w1|w2|w3|all|none] [scale] [--delack=N] [ns-3 options]
 *   scale < 1 shortens the runs exactly as bench_tcp's does; "none" only
 *   starts and exits (ns-3's fixed start-up cost: loading its libraries). */
#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <cstdio>
#include <map>
#include <string>
#include <sys/resource.h>
#include <vector>

using namespace ns3;

namespace
{

long PeakRssKb()
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

double CpuSeconds()
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Linux's settings where ns-3 has a knob for them (see the file header for
 * the ones it has not).  Called before the command line is parsed, so that
 * --ns3::...=value options override them, and before anything is created:
 * attributes are read when an object is built. */
void Tune()
{
    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpCubic::GetTypeId()));
    Config::SetDefault("ns3::TcpL4Protocol::RecoveryType",
                       TypeIdValue(TcpPrrRecovery::GetTypeId()));
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4u << 20));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4u << 20));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
    Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
    Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(40)));
    Config::SetDefault("ns3::TcpSocket::ConnTimeout", TimeValue(Seconds(1)));
    /* Linux's RTO is srtt + max(4 rttvar, 200 ms): never less than 200 ms
     * above the smoothed RTT.  ns-3's is max(MinRto, srtt + 4 rttvar), which
     * with MinRto 200 ms fires spuriously in W2 while the router's queue
     * grows by hundreds of ms within an RTT (39,780 retransmissions on top
     * of W2's 70,000 data segments, where lunet retransmits none).  ns-3's default of 1 s sends what
     * Linux and lunet send; nothing in these workloads is lost. */
    Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(Seconds(1)));
    Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(true));
    Config::SetDefault("ns3::TcpSocketBase::WindowScaling", BooleanValue(true));
    Config::SetDefault("ns3::TcpCubic::HyStart", BooleanValue(true));
}

/* ---- topology and its counters -------------------------------------------- */

struct Topo
{
    Ptr<Node> client, router, server;
    /* Frames received by each device: client, router's two, server.  The
     * sum is bench_tcp's "link hops"; each one is one direction's count. */
    uint64_t rx[4] = {0, 0, 0, 0};
    uint64_t delivered = 0; /* IP packets delivered locally: IpInDelivers */
    Ipv4Address caddr{"10.1.1.1"}, saddr{"10.1.2.2"};
};

void CountRx(uint64_t* n, Ptr<const Packet>)
{
    ++*n;
}

void CountDeliver(uint64_t* n, const Ipv4Header&, Ptr<const Packet>, uint32_t)
{
    ++*n;
}

/* Interfaces are added by hand, as Ipv4AddressHelper would without the
 * FqCoDel queue disc it puts on every device: lunet's links queue in the
 * device only, drop-tail. */
uint32_t AddIface(Ptr<Node> n, Ptr<NetDevice> d, const char* addr)
{
    Ptr<Ipv4> ip = n->GetObject<Ipv4>();
    int32_t i = ip->AddInterface(d);
    ip->AddAddress(i, Ipv4InterfaceAddress(Ipv4Address(addr), Ipv4Mask("255.255.255.0")));
    ip->SetMetric(i, 1);
    ip->SetUp(i);
    return (uint32_t)i;
}

void Build(Topo& t)
{
    t.client = CreateObject<Node>();
    t.router = CreateObject<Node>();
    t.server = CreateObject<Node>();
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
    p2p.SetDeviceAttribute("Mtu", UintegerValue(1500));
    p2p.SetChannelAttribute("Delay", StringValue("5ms"));
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", QueueSizeValue(QueueSize("100000p")));
    NetDeviceContainer cr = p2p.Install(t.client, t.router);
    NetDeviceContainer rs = p2p.Install(t.router, t.server);

    /* Static routes only, as bench_tcp sets them: hosts route by default
     * through the router, which knows its two connected networks. */
    Ipv4StaticRoutingHelper staticRouting;
    InternetStackHelper stack;
    stack.SetRoutingHelper(staticRouting);
    stack.Install(NodeContainer(t.client, t.router, t.server));
    uint32_t ci = AddIface(t.client, cr.Get(0), "10.1.1.1");
    AddIface(t.router, cr.Get(1), "10.1.1.254");
    AddIface(t.router, rs.Get(0), "10.1.2.254");
    uint32_t si = AddIface(t.server, rs.Get(1), "10.1.2.2");
    staticRouting.GetStaticRouting(t.client->GetObject<Ipv4>())
        ->SetDefaultRoute(Ipv4Address("10.1.1.254"), ci);
    staticRouting.GetStaticRouting(t.server->GetObject<Ipv4>())
        ->SetDefaultRoute(Ipv4Address("10.1.2.254"), si);
    /* Hosts, not routers, like lunet's (ns-3 forwards on every node). */
    t.client->GetObject<Ipv4>()->SetAttribute("IpForward", BooleanValue(false));
    t.server->GetObject<Ipv4>()->SetAttribute("IpForward", BooleanValue(false));

    Ptr<NetDevice> devs[4] = {cr.Get(0), cr.Get(1), rs.Get(0), rs.Get(1)};
    for (int i = 0; i < 4; i++)
        devs[i]->TraceConnectWithoutContext("MacRx", MakeBoundCallback(&CountRx, &t.rx[i]));
    for (Ptr<Node> n : {t.client, t.router, t.server})
        n->GetObject<Ipv4L3Protocol>()->TraceConnectWithoutContext(
            "LocalDeliver",
            MakeBoundCallback(&CountDeliver, &t.delivered));
}

struct Mark
{
    double cpu;
    uint64_t events;
};

Mark Take()
{
    return Mark{CpuSeconds(), Simulator::GetEventCount()};
}

void Report(const char* name, const Topo& t, const Mark& a, const std::string& extra)
{
    Mark b = Take();
    uint64_t hops = t.rx[0] + t.rx[1] + t.rx[2] + t.rx[3];
    std::printf("%s\n  simulated %.3f s, cpu %.3f s, packets delivered %llu, link hops %llu, "
                "events %llu\n  per direction: client->router %llu, router->server %llu, "
                "server->router %llu, router->client %llu\n  %.2f M packet-hops per cpu second, "
                "%.2f M events/s, peak RSS %ld KiB\n  %s\n",
                name,
                Simulator::Now().GetSeconds(),
                b.cpu - a.cpu,
                (unsigned long long)t.delivered,
                (unsigned long long)hops,
                (unsigned long long)(b.events - a.events),
                (unsigned long long)t.rx[1],
                (unsigned long long)t.rx[3],
                (unsigned long long)t.rx[2],
                (unsigned long long)t.rx[0],
                (double)hops / (b.cpu - a.cpu) / 1e6,
                (double)(b.events - a.events) / (b.cpu - a.cpu) / 1e6,
                PeakRssKb(),
                extra.c_str());
    std::fflush(stdout);
}

/* ---- the sink's progress ---------------------------------------------------- */

/* PacketSink reads everything a connection has in one RecvFrom and fires
 * Rx with it; the sender's port tells the flows apart. */
struct Progress
{
    uint64_t bytes = 0, target_bytes = 0;
    uint64_t flow_bytes = 0;                 /* a flow's size, W2 */
    uint32_t flows_done = 0, target_flows = 0;
    std::vector<uint32_t> by_port;           /* bytes by sender port, W2 */
};

void OnSinkRx(Progress* g, Ptr<const Packet> p, const Address& from)
{
    g->bytes += p->GetSize();
    if (g->flow_bytes) {
        uint32_t& b = g->by_port[InetSocketAddress::ConvertFrom(from).GetPort()];
        b += p->GetSize();
        if (b == g->flow_bytes && ++g->flows_done == g->target_flows) Simulator::Stop();
    }
    if (g->target_bytes && g->bytes >= g->target_bytes) Simulator::Stop();
}

Ptr<PacketSink> Sink(Topo& t, uint16_t port, Progress* g)
{
    PacketSinkHelper h("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer a = h.Install(t.server);
    a.Start(Seconds(0));
    Ptr<PacketSink> s = DynamicCast<PacketSink>(a.Get(0));
    s->TraceConnectWithoutContext("Rx", MakeBoundCallback(&OnSinkRx, g));
    return s;
}

/* Writes of up to 1 MiB, like bench_tcp's sender; BulkSend waits until a
 * whole write fits in the buffer where Linux would take part of it. */
/* Data segments the senders put on the wire, and how many of them were
 * retransmissions (sent again below the highest sequence already sent). */
struct TxCount
{
    uint64_t data = 0, retrans = 0;
    std::map<const TcpSocketBase*, SequenceNumber32> high;
};

void OnTcpTx(TxCount* c, Ptr<const Packet> p, const TcpHeader& h, Ptr<const TcpSocketBase> s)
{
    if (p->GetSize() == 0) return;
    c->data++;
    auto it = c->high.find(PeekPointer(s));
    SequenceNumber32 end = h.GetSequenceNumber() + p->GetSize();
    if (it == c->high.end()) c->high.emplace(PeekPointer(s), end);
    else if (end <= it->second) c->retrans++;
    else it->second = end;
}

/* The senders' sockets exist once their applications have started. */
void WatchTx(ApplicationContainer apps, TxCount* c)
{
    for (uint32_t i = 0; i < apps.GetN(); i++)
        DynamicCast<BulkSendApplication>(apps.Get(i))
            ->GetSocket()
            ->TraceConnectWithoutContext("Tx", MakeBoundCallback(&OnTcpTx, c));
}

void Senders(Topo& t, uint16_t port, uint32_t n, uint64_t bytes, TxCount* tx)
{
    BulkSendHelper h("ns3::TcpSocketFactory", InetSocketAddress(t.saddr, port));
    h.SetAttribute("MaxBytes", UintegerValue(bytes));
    h.SetAttribute("SendSize", UintegerValue(1u << 20));
    NodeContainer nodes;
    for (uint32_t i = 0; i < n; i++) nodes.Add(t.client);
    ApplicationContainer apps = h.Install(nodes);
    apps.Start(Seconds(0));
    Simulator::Schedule(NanoSeconds(1), &WatchTx, apps, tx);
}

/* ---- W1, W2 ---------------------------------------------------------------------- */

/* DelAckCount is the workload's unless --delack gives one. */
void DelAck(uint32_t n)
{
    Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(n));
}

void W1(double scale, uint32_t delAck)
{
    DelAck(delAck ? delAck : 2);
    Topo t;
    Build(t);
    Progress g;
    uint64_t total = (uint64_t)(200000000.0 * scale);
    g.target_bytes = total;
    Ptr<PacketSink> sink = Sink(t, 5001, &g);
    TxCount tx;
    Senders(t, 5001, 1, total, &tx);
    Mark m = Take();
    Simulator::Run();
    char extra[300];
    std::snprintf(extra,
                  sizeof extra,
                  "received %llu of %llu bytes: goodput %.1f Mbit/s of virtual time\n"
                  "  data segments %llu (%llu retransmitted); DelAckCount %u",
                  (unsigned long long)sink->GetTotalRx(),
                  (unsigned long long)total,
                  (double)sink->GetTotalRx() * 8 / Simulator::Now().GetSeconds() / 1e6,
                  (unsigned long long)tx.data,
                  (unsigned long long)tx.retrans,
                  delAck ? delAck : 2);
    Report("W1 bulk: 1 connection, 200 MB", t, m, extra);
    Simulator::Destroy();
}

void W2(double scale, uint32_t delAck)
{
    DelAck(delAck ? delAck : 1);
    Topo t;
    Build(t);
    uint32_t flows = (uint32_t)(1000 * scale);
    if (flows < 1) flows = 1;
    Progress g;
    g.flow_bytes = 100000;
    g.target_flows = flows;
    g.by_port.assign(65536, 0);
    Ptr<PacketSink> sink = Sink(t, 5001, &g);
    TxCount tx;
    Senders(t, 5001, flows, g.flow_bytes, &tx);
    Mark m = Take();
    Simulator::Run();
    /* The server's packets are its ACKs and one SYN-ACK a flow. */
    uint64_t acks = t.rx[0] - flows;
    char extra[400];
    std::snprintf(extra,
                  sizeof extra,
                  "%u flows finished, %u unfinished, %llu bytes received\n"
                  "  ACKs: %llu for %llu data segments (%.2f a segment), %llu of them "
                  "retransmitted; DelAckCount %u",
                  g.flows_done,
                  flows - g.flows_done,
                  (unsigned long long)sink->GetTotalRx(),
                  (unsigned long long)acks,
                  (unsigned long long)tx.data,
                  tx.data ? (double)acks / (double)tx.data : 0.0,
                  (unsigned long long)tx.retrans,
                  delAck ? delAck : 1);
    Report("W2 many flows: 1000 connections x 100 kB", t, m, extra);
    Simulator::Destroy();
}

/* ---- W3 ------------------------------------------------------------------------- */

struct Flood
{
    Topo* t;
    uint32_t sent = 0, total = 0;
    bool spoof = false;
    uint64_t rng = 7;
};

/* splitmix64: any fixed sequence will do; bench_tcp uses its own PRNG, so
 * the spoofed addresses and ISNs differ but are as spread. */
uint64_t Next(uint64_t* s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A SYN like bench_tcp's: MSS 1460 and nothing else, window 64240. */
void SendSyn(Flood* f)
{
    Ipv4Address src = f->t->caddr;
    if (f->spoof) src = Ipv4Address((10u << 24 | 200u << 16) | (uint32_t)(Next(&f->rng) % 65536));
    TcpHeader h;
    h.SetSourcePort((uint16_t)(1024 + f->sent % 64512));
    h.SetDestinationPort(80);
    h.SetSequenceNumber(SequenceNumber32((uint32_t)Next(&f->rng)));
    h.SetFlags(TcpHeader::SYN);
    h.SetWindowSize(64240);
    Ptr<TcpOptionMSS> mss = CreateObject<TcpOptionMSS>();
    mss->SetMSS(1460);
    h.AppendOption(mss);
    Ptr<Packet> p = Create<Packet>();
    p->AddHeader(h);
    /* No route given: the IP layer looks one up and keeps the source. */
    f->t->client->GetObject<Ipv4>()->Send(p, src, f->t->saddr, TcpL4Protocol::PROT_NUMBER, nullptr);
    if (++f->sent < f->total) Simulator::Schedule(MicroSeconds(10), &SendSyn, f);
}

void W3Run(const char* name, bool spoof, double scale)
{
    Topo t;
    Build(t);
    Progress g;
    Sink(t, 80, &g);
    Flood f;
    f.t = &t;
    f.total = (uint32_t)(100000 * scale);
    f.spoof = spoof;
    Mark m = Take();
    Simulator::ScheduleNow(&SendSyn, &f);
    /* bench_tcp's stop: 40 ms after the last SYN. */
    Simulator::Stop(MicroSeconds(10) * f.total + MilliSeconds(40));
    Simulator::Run();
    ObjectVectorValue socks;
    t.server->GetObject<TcpL4Protocol>()->GetAttribute("SocketList", socks);
    char extra[300];
    std::snprintf(extra,
                  sizeof extra,
                  "%u SYNs sent; server: %zu TCP sockets at the end (the listener, and one "
                  "forked per SYN not yet reset)",
                  f.sent,
                  (size_t)socks.GetN());
    Report(name, t, m, extra);
    Simulator::Destroy();
}

void W3(double scale)
{
    W3Run("W3 SYN load: 100k SYNs from the client's own address", false, scale);
    W3Run("W3 SYN load: 100k spoofed SYNs (in place of lunet's syncookies off)", true, scale);
    W3Run("W3 SYN load: 100k spoofed SYNs (in place of lunet's syncookies on)", true, scale);
}

} // namespace

int main(int argc, char** argv)
{
    std::string which = "all";
    double scale = 1.0;
    uint32_t delAck = 0;
    Tune();
    CommandLine cmd(__FILE__);
    cmd.Usage("bench_tcp's workloads in ns-3: bench_ns3 [w1|w2|w3|all|none] [scale]");
    cmd.AddNonOption("workload", "w1, w2, w3, all or none", which);
    cmd.AddNonOption("scale", "below 1 shortens the runs, as bench_tcp's scale", scale);
    cmd.AddValue("delack", "DelAckCount (0: 2 in W1, 1 in W2, to send Linux's ACKs)", delAck);
    cmd.Parse(argc, argv);
    if (scale <= 0) scale = 1.0;
    if (which != "all" && which != "w1" && which != "w2" && which != "w3" && which != "none") {
        std::fprintf(stderr,
                     "bench_ns3: unknown workload \"%s\" (use w1, w2, w3, all or none)\n",
                     which.c_str());
        return 2;
    }
    bool all = which == "all";
    if (all || which == "w1") W1(scale, delAck);
    if (all || which == "w2") W2(scale, delAck);
    if (all || which == "w3") W3(scale);
    return 0;
}
