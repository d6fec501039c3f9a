-- firewall.lua - a firewall decides whether the server shakes hands at all
-- (point 3 of the notes).
--
--   client 10.0.1.1 ---- 5 ms ---- router ---- 5 ms ---- server 10.0.2.1
--                                   (firewall)            listens on 80, 22
--
-- Three attempts to connect to the web server on port 80:
--   1. no rule: the three-way handshake goes through the router;
--   2. the router DROPs SYNs to port 80: the client hears nothing and
--      retransmits its SYN, waiting twice as long each time (1 s, 2 s, ...)
--      until it gives up ("timeout");  port 22 still works;
--   3. the router REJECTs them with a TCP reset: the client is told "no"
--      at once ("refused"), one round trip to the router.
-- What-ifs: the rules on the server itself (where=server), REJECT with an
-- ICMP error instead (with=admin-prohibited), fewer SYN retries
-- (retries=1), the rules on another port (port=22).
--
-- Rules are tcpdump filters, as with iptables' "-m bpf" (node:firewall{}).
-- Run:   lunet run scripts/firewall.lua [knob=value ...]   (--help lists
--        the knobs, --lang zh explains in Chinese)
-- Then open the pcaps in Wireshark.

local sc = require("lunet.scenario").new{
  name = "firewall",
  title = {en = "A firewall decides whether the server shakes hands at all: no rule, DROP, REJECT",
           zh = "防火墙决定服务器是否握手：没有规则、DROP（丢弃）、REJECT（拒绝）"},
  knobs = {
    {"where", default = "router", try = "server", values = {"router", "server"},
     help = {en = "where the rules sit: on the router (a network firewall) or on the server itself (a host firewall)",
             zh = "规则放在哪里：路由器上（网络防火墙）或服务器自身（主机防火墙）"}},
    {"with", default = "tcp-reset", try = "admin-prohibited",
     values = {"tcp-reset", "port-unreachable", "admin-prohibited", "host-unreachable"},
     help = {en = "attempt 3: how REJECT answers, a TCP RST or an ICMP destination unreachable",
             zh = "第 3 次尝试：REJECT 如何回应，TCP RST 还是 ICMP 目的不可达"}},
    {"retries", default = 3, try = 1, kind = "integer", min = 1, max = 6,
     help = {en = "the client's net.ipv4.tcp_syn_retries (Linux: 6, which takes 127 s)",
             zh = "客户端的 net.ipv4.tcp_syn_retries（Linux 默认 6，共需 127 s）"}},
    {"port", default = 80, try = 22, kind = "integer", min = 1, max = 65535,
     help = {en = "the port the rules block (the client tries 80, then 22)",
             zh = "规则封锁的端口（客户端先试 80，再试 22）"}},
  },
}
local K = sc.k

local SYN_TO = string.format("tcp dst port %d and tcp[tcpflags] & tcp-syn != 0", K.port)
local RETRIES = K.retries  -- net.ipv4.tcp_syn_retries

local net = lunet.net{name = "firewall"}
local client, router, server = net:host("client"), net:router("router"), net:host("server")
net:link(client, router, {delay = "5ms", ip = {"10.0.1.1/24", "10.0.1.254/24"}})
net:link(router, server, {delay = "5ms", ip = {"10.0.2.254/24", "10.0.2.1/24"}})
client:gateway("10.0.1.254")
server:gateway("10.0.2.254")
local fw = K.where == "router" and router or server     -- the node with the rules
-- Classic exponential backoff (RFC 6298 5.5) without Linux 6.x's linear
-- first retries, and few of them, so the demo gives up in 15 s.
client:sysctl("net.ipv4.tcp_syn_retries", RETRIES)
client:sysctl("net.ipv4.tcp_syn_linear_timeouts", 0)
local caps = net:capture{}
-- (kept in a table: a listening socket nobody holds is closed when the
-- garbage collector finds it, as a process's socket is when its fd goes)
local listeners = {}
for _, p in ipairs{22, 80} do listeners[p] = assert(server:listen(p)) end

-- The times the client sends SYNs, per attempt.
local syns
net:on("tx", function(ev)
  if syns and ev.node == "client" and ev.flags == "S" then syns[#syns + 1] = ev.time end
end)

local function attempt(port)
  syns = {}
  local t0 = lunet.now()
  local s, err = client:connect(server:ip(), port)
  if s then s:close() end
  return {ok = s ~= nil, err = err, took = lunet.now() - t0, syns = syns}
end

local T = lunet.fmt_time
local r = {}
client:spawn(function()
  r.open = attempt(80)
  fw:firewall{filter = SYN_TO, action = "drop"}
  r.dropped = attempt(80)
  r.ssh = attempt(22)
  fw:firewall_flush()
  fw:firewall{filter = SYN_TO, action = "reject", with = K.with}
  r.rejected = attempt(80)
  lunet.sleep("1s")
  net:stop()
end)
net:run()
for _, c in ipairs(caps) do c:flush() end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local WHERE = {router = {en = "router", zh = "路由器"}, server = {en = "server", zh = "服务器"}}
local function outcome(a)
  if a.ok then return sc:t{en = "connected", zh = "连接成功"} end
  return sc:t({en = "nil, %q", zh = "nil, %q"}, a.err)
end
-- seconds to the millisecond: the nanoseconds between a retransmission
-- timer and the frame starting onto the link are not the point here
local function secs(ns) return string.format("%.3fs", ns / 1e9) end
local function ms(ns) return string.format("%d ms", (ns + 500000) // 1000000) end

sc:say({en = "A firewall on the %s, client 10.0.1.1 -> server 10.0.2.1:80 (and :22)",
        zh = "防火墙在%s上，客户端 10.0.1.1 -> 服务器 10.0.2.1:80（以及 :22）"}, sc:t(WHERE[K.where]))
sc:say({en = "The rules match SYNs to port %d: \"%s\".", zh = "规则匹配发往端口 %d 的 SYN：\"%s\"。"},
       K.port, SYN_TO)
print()
sc:say({en = "1. no rule:                    connect(80) -> %s after %s",
        zh = "1. 没有规则：                  connect(80) -> %s，用时 %s"}, outcome(r.open), T(r.open.took))
sc:say{en = "     (SYN, SYN-ACK: a 20 ms round trip, plus ARP on both links the first time)",
       zh = "     （SYN、SYN-ACK：往返 20 ms，第一次还要加上两段链路上的 ARP）"}
sc:say({en = "2. the %s drops SYNs to %d: connect(80) -> %s after %s",
        zh = "2. %s丢弃发往 %d 的 SYN：connect(80) -> %s，用时 %s"},
       sc:t(WHERE[K.where]), K.port, outcome(r.dropped), T(r.dropped.took))
local t0 = r.dropped.syns[1]
for i, t in ipairs(r.dropped.syns) do
  sc:say({en = "     SYN #%d at +%-7s %s", zh = "     第 %d 个 SYN 在 +%-7s %s"}, i, secs(t - t0),
         i == 1 and "" or sc:t({en = "(waited %s)", zh = "（等了 %s）"}, secs(t - r.dropped.syns[i - 1])))
end
if not r.dropped.ok then
  sc:say({en = "     after SYN #%d it waits %s more, then gives up",
          zh = "     第 %d 个 SYN 之后再等 %s，然后放弃"}, #r.dropped.syns,
         secs(r.dropped.took - (r.dropped.syns[#r.dropped.syns] - t0)))
  sc:say({en = "     The client hears nothing: no SYN-ACK, no error. Its SYN may have been\n" ..
               "     lost, so it retransmits on timeout (tcp_syn_retries=%d), doubling the\n" ..
               "     wait each time (exponential backoff), and gives up only at the end.",
          zh = "     客户端什么也收不到：没有 SYN-ACK，也没有差错报文。它的 SYN 可能丢了，\n" ..
               "     所以超时重传（tcp_syn_retries=%d），每次等待时间加倍（指数退避），\n" ..
               "     直到最后才放弃。"}, RETRIES)
end
sc:say({en = "   port 22, same rule:          connect(22) -> %s after %s",
        zh = "   端口 22，同一条规则：        connect(22) -> %s，用时 %s"}, outcome(r.ssh), T(r.ssh.took))
sc:say({en = "3. the %s rejects them (%s): connect(80) -> %s after %s",
        zh = "3. %s拒绝它们（%s）：connect(80) -> %s，用时 %s"},
       sc:t(WHERE[K.where]), K.with, outcome(r.rejected), T(r.rejected.took))
if not r.rejected.ok then
  local who = K.where == "router" and sc:t{en = "client-router-client", zh = "客户端-路由器-客户端"}
                                   or sc:t{en = "client-server-client", zh = "客户端-服务器-客户端"}
  local answer = K.with == "tcp-reset" and sc:t{en = "a TCP RST", zh = "一个 TCP RST"}
                  or sc:t({en = "an ICMP destination unreachable (%s)", zh = "一个 ICMP 目的不可达报文（%s）"}, K.with)
  local by = K.where == "router"
    and sc:t{en = "The router answers the SYN in the server's place", zh = "路由器代替服务器回应这个 SYN"}
    or sc:t{en = "The server's own firewall answers the SYN before TCP sees it",
            zh = "服务器自己的防火墙在 TCP 看到这个 SYN 之前就回应了它"}
  sc:say({en = "     %s, with %s:\n" ..
               "     the client is told \"no\" at once, after one round trip\n" ..
               "     (%s), instead of waiting for its retries to run out.",
          zh = "     %s，用的是%s：\n" ..
               "     客户端立即得到“不行”的答复，只需一个往返（%s），\n" ..
               "     不必等到重传次数耗尽。"}, by, answer, who)
  sc:say{en = "     connect() reports what the answer said: a RST or an ICMP port unreachable\n" ..
              "     is \"refused\" (ECONNREFUSED); host unreachable or administratively\n" ..
              "     prohibited is \"host unreachable\" (EHOSTUNREACH).",
         zh = "     connect() 报告回应的含义：RST 或 ICMP 端口不可达为 \"refused\"\n" ..
              "     （ECONNREFUSED）；主机不可达或管理上禁止为 \"host unreachable\"\n" ..
              "     （EHOSTUNREACH）。"}
end
print()
sc:say{en = "DROP is silent: the client cannot tell a dropped SYN from a lost one and\n" ..
            "learns nothing about the port, but waits for all its retries. REJECT\n" ..
            "answers at once. Either way the server never shakes hands: the firewall\n" ..
            "decided before its TCP saw the SYN.",
       zh = "DROP 不作任何回应：客户端无法区分 SYN 是被丢弃还是在网络中丢失，也得不到\n" ..
            "关于这个端口的任何信息，但要等完所有重传。REJECT 则立即回应。无论哪种，\n" ..
            "服务器都不会握手：防火墙在服务器的 TCP 看到 SYN 之前就做了决定。"}
print()
sc:say({en = "%s:firewall_rules() now:", zh = "现在的 %s:firewall_rules()："}, K.where)
for _, rule in ipairs(fw:firewall_rules()) do
  print(string.format("  hook=%s action=%s%s filter=\"%s\": %d packets, %d bytes", rule.hook,
                      rule.action, rule.with and " with=" .. rule.with or "", rule.filter,
                      rule.packets, rule.bytes))
end
sc:say({en = "%s drops for reason \"firewall\": %d", zh = "%s 因 \"firewall\" 丢弃的帧：%d"}, K.where,
       fw:drops().firewall or 0)
print()
sc:pcaps(caps)

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

local MS, S = lunet.time("1ms"), lunet.time("1s")
expect(r.open.ok, "handshake without a rule"):eq(true)
expect(#r.open.syns, "one SYN"):eq(1)
expect(r.open.took, "ARP on two links + one round trip"):within(40 * MS, 41 * MS)
expect(r.ssh.ok or r.ssh.err == "timeout", "port 22: connected, or dropped by the rule"):eq(true)

-- a dropped SYN: silence, retransmissions on timeout, then "timeout"
if not r.dropped.ok then
  expect(r.dropped.err):eq("timeout")
  expect(#r.dropped.syns, "the SYN and its retries"):eq(RETRIES + 1)
  -- Each wait is rounded up to Linux's timer wheel (HZ 250), as on a real
  -- host: by up to 32 ms under 2 s, 256 ms under 16 s, 2.048 s beyond.
  local function bucket(d) return d < 2016 * MS and 32 * MS or d < 16128 * MS and 256 * MS or 2048 * MS end
  local total, slack = 0, 0
  for i = 2, #r.dropped.syns do
    local want = (1 << (i - 2)) * S            -- 1 s, 2 s, 4 s
    total, slack = total + want, slack + bucket(want)
    expect(r.dropped.syns[i] - r.dropped.syns[i - 1], "wait before SYN #" .. i):within(want, want + bucket(want))
  end
  local last = (1 << RETRIES) * S              -- the last wait: 8 s after 3 retries
  total, slack = total + last, slack + bucket(last)
  expect(r.dropped.took, "1+2+4+8 s with 3 retries"):within(total, total + slack + 10 * MS)
end
-- a rejected SYN: one round trip to the node with the rules
if not r.rejected.ok then
  expect(#r.rejected.syns, "a rejected SYN is not retransmitted"):eq(1)
  local rtt = K.where == "router" and 10 * MS or 20 * MS
  expect(r.rejected.took, "a round trip to the " .. K.where):within(rtt, rtt + MS)
end

sc:claim({en = "attempt 2: connect(80) with SYNs dropped", zh = "第 2 次：SYN 被丢弃时的 connect(80)"},
         r.dropped.err, "timeout")
sc:claim({en = "attempt 2: the SYN and its retries", zh = "第 2 次：SYN 及其重传"}, #r.dropped.syns, 4)
-- Whole seconds: Linux's timer wheel rounds each wait up a little (15.32 s
-- here; 15.44 s in syn_retries_exp.pcap).
sc:claim({en = "attempt 2: gives up after 1+2+4+8 s (in whole seconds)", zh = "第 2 次：1+2+4+8 s 后放弃（整秒）"},
         string.format("%d s", r.dropped.took // S), "15 s")
sc:claim({en = "port 22 through the same rule", zh = "端口 22 通过同一条规则"}, r.ssh.ok, true)
sc:claim({en = "attempt 3: connect(80) when rejected", zh = "第 3 次：被拒绝时的 connect(80)"},
         r.rejected.err, "refused")
sc:claim({en = "attempt 3: told at once, client to router and back",
          zh = "第 3 次：立即得到答复，客户端到路由器的一个往返"}, ms(r.rejected.took), "10 ms")
local rules = fw:firewall_rules()
expect(#rules):eq(1)
expect(rules[1].action):eq("reject")
sc:claim({en = "the REJECT rule matched one SYN", zh = "REJECT 规则匹配了一个 SYN"}, rules[1].packets, 1)
sc:claim({en = "drops for reason \"firewall\": the dropped SYNs + the rejected one",
          zh = "因 \"firewall\" 丢弃的帧：被丢弃的 SYN 加上被拒绝的那个"}, fw:drops().firewall, 5)
