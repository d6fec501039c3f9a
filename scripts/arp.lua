-- arp.lua - ARP on a switched LAN: who hears what, and what the switch
-- learns.
--
--   h1 10.0.0.1 --+
--   h2 10.0.0.2 --+-- sw1 (learning switch)       every link 1 ms
--   h3 10.0.0.3 --+
--
-- h1 pings h2 once.  Before the echo request can leave, h1 must learn h2's
-- MAC address: it broadcasts "who has 10.0.0.2?"; the switch, which does not
-- know where the broadcast address lives (nobody does), floods it to h2 and
-- h3.  Only h2 answers, with a unicast reply that the switch sends to h1's
-- port alone: it learnt that port from the request.
--
-- What-ifs: hosts=5 puts more hosts on the switch (every one hears the
-- broadcast, none but h2 the rest); ask=10.0.0.99 makes h1 ask for an
-- address nobody has: three requests a second apart, then "Destination
-- Host Unreachable".
--
-- Run:   lunet run scripts/arp.lua                  (--help lists the knobs)
--        lunet run --lang zh scripts/arp.lua        (in Chinese)

local sc = require("lunet.scenario").new{
  name = "arp",
  title = {en = "ARP on a switched LAN: who hears the broadcast, and what the switch learns",
           zh = "交换式局域网上的地址解析协议 ARP：谁收到广播，交换机学到了什么"},
  knobs = {
    {"hosts", default = 3, try = 5, kind = "integer", min = 2, max = 20,
     help = {en = "hosts on the switch, h1 .. hN at 10.0.0.1 .. 10.0.0.N",
             zh = "交换机上的主机数，h1 .. hN，地址 10.0.0.1 .. 10.0.0.N"}},
    {"ask", default = "10.0.0.2", try = "10.0.0.99",
     help = {en = "the address h1 pings (10.0.0.99: an address nobody has)",
             zh = "h1 要 ping 的地址（10.0.0.99：没有任何主机拥有的地址）"}},
  },
}
local K = sc.k

-- ask must be an IPv4 address: a bad one is a usage error, like a bad knob.
do
  local ok = false
  local a, b, c, d = K.ask:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if a then
    ok = true
    for _, o in ipairs{a, b, c, d} do if tonumber(o) > 255 then ok = false end end
  end
  if not ok then
    io.stdout:flush()
    io.stderr:write(string.format("lunet: ask=%s: an IPv4 address like 10.0.0.99 is needed\n", K.ask))
    os.exit(2)
  end
end

local net = lunet.net{name = "arp"}
local sw = net:switch("sw1")
local h = {}
for i = 1, K.hosts do
  h[i] = net:host("h" .. i)
  net:link(h[i], sw, {delay = "1ms", ip = {"10.0.0." .. i .. "/24"}})
end
local h1 = h[1]
local T = lunet.fmt_time
local owner = {}                       -- MAC address -> host name
for i = 1, K.hosts do owner[h[i].eth0.mac] = h[i].name end
-- the host that has the address asked for (nil: nobody), and the others
local target
for i = 2, K.hosts do if K.ask == "10.0.0." .. i then target = h[i] end end
local bystanders = {}
for i = 2, K.hosts do if h[i] ~= target then bystanders[#bystanders + 1] = h[i] end end

local function arp_kind(summary)
  local s = (summary or ""):lower()
  if not s:find("arp") then return nil end
  if s:find("reply") or s:find("is%-at") then return "reply" end
  if s:find("request") or s:find("who%-has") then return "request" end
  return "?"
end
local KIND = {request = {en = "request", zh = "请求"}, reply = {en = "reply", zh = "应答"},
              ["?"] = {en = "message", zh = "报文"}}

-- Every frame a host receives.
local heard = {}                       -- host name -> list of {time, kind}
for i = 1, K.hosts do heard[h[i].name] = {} end
net:on("rx", function(ev)
  if not ev.node or not heard[ev.node] then return end
  local kind = arp_kind(ev.summary)
  table.insert(heard[ev.node], {time = ev.time, kind = kind or "other", summary = ev.summary,
                                dst_mac = ev.dst_mac})
  if kind then
    sc:say({en = "[t=%s] %s receives the ARP %s: %s", zh = "[t=%s] %s 收到 ARP %s：%s"},
           T(ev.time), ev.node, sc:t(KIND[kind]), ev.summary)
  end
end)
local first_state = {}                 -- host name -> state of its first ARP entry
net:on("arp", function(ev)
  if ev.node and not first_state[ev.node] then first_state[ev.node] = ev.state end
  sc:say({en = "[t=%s] %s's ARP table: %s (%s)", zh = "[t=%s] %s 的 ARP 表：%s（%s）"},
         T(ev.time), tostring(ev.node), tostring(ev.text or "?"), tostring(ev.state or ev.value))
end)

-- Run step by step and watch the switch's forwarding table grow.
local r
h1:spawn(function() r = h1:ping(K.ask, {count = 1, quiet = true}) end)
sc:say({en = "[t=%s] h1 pings %s; its ARP table is empty", zh = "[t=%s] h1 向 %s 发 ping；它的 ARP 表是空的"},
       T(net:now()), K.ask)
local learned, known = {}, {}
while not r and net:step() do
  for _, e in ipairs(sw:fdb()) do
    if not known[e.mac] then
      known[e.mac] = true
      learned[#learned + 1] = e
      sc:say({en = "[t=%s] sw1 learns %s (%s) on port %d", zh = "[t=%s] 交换机 sw1 学到 %s（%s）在端口 %d"},
             T(net:now()), e.mac, owner[e.mac] or "?", e.port)
    end
  end
end
if r.received > 0 then
  sc:say({en = "[t=%s] h1 gets its echo reply: rtt %s", zh = "[t=%s] h1 收到回显应答：往返时延 RTT %s"},
         T(net:now()), T(r.rtts[1]))
else
  sc:say({en = "[t=%s] h1's ping ends without a reply (%s)", zh = "[t=%s] h1 的 ping 没有收到应答而结束（%s）"},
         T(net:now()), r.errors[1] and r.errors[1].kind or sc:t{en = "no answer", zh = "无应答"})
end

local function kinds(name, kind)
  local n = 0
  for _, f in ipairs(heard[name]) do if f.kind == kind then n = n + 1 end end
  return n
end
local function entry(node, ip)
  for _, e in ipairs(node:arp()) do if e.ip == ip then return e end end
end
local function names(list)
  local t = {}
  for i, x in ipairs(list) do t[i] = x.name end
  return table.concat(t, sc:t{en = ", ", zh = "、"})
end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

print()
sc:say{en = "sw1 forwarding table (like `bridge fdb show`):",
       zh = "交换机 sw1 的转发表（MAC 地址表，同 `bridge fdb show`）："}
for _, e in ipairs(sw:fdb()) do
  sc:say({en = "  %s  port %d  (%s)", zh = "  %s  端口 %d（%s）"}, e.mac, e.port, owner[e.mac] or "?")
end
for i = 1, K.hosts do
  local lines = {}
  for _, e in ipairs(h[i]:arp()) do
    lines[#lines + 1] = e.ip .. " " .. (e.mac or "-") .. " " .. e.state
  end
  sc:say({en = "%s ARP table: %s", zh = "%s 的 ARP 表：%s"}, h[i].name,
         #lines > 0 and table.concat(lines, ", ") or sc:t{en = "(empty)", zh = "（空）"})
end
print()
local others = {}
for i = 2, K.hosts do others[#others + 1] = h[i] end
local asked = kinds(h[2].name, "request")       -- every other host hears each request
if asked == 0 then
  if K.ask == "10.0.0.1" then
    sc:say{en = "10.0.0.1 is h1's own address: the echo never leaves h1 (it loops back inside),",
           zh = "10.0.0.1 是 h1 自己的地址：回显请求不会离开 h1（在内部环回），"}
    sc:say{en = "so there is no MAC address to resolve and nothing crosses the LAN.",
           zh = "所以没有 MAC 地址需要解析，局域网上也没有任何帧。"}
  elseif r.errors[1] and r.errors[1]["local"] then
    sc:say({en = "%s is not on h1's subnet 10.0.0.0/24 and h1 has no default gateway: ping fails at",
            zh = "%s 不在 h1 的子网 10.0.0.0/24 中，而 h1 没有默认网关：ping 立即失败（%s），"},
           K.ask, r.errors[1].kind)
    sc:say({en = "once (%s), before any ARP: ARP only resolves addresses on the local link.",
            zh = "根本不发 ARP：ARP 只解析本地链路上的地址。"}, r.errors[1].kind)
  elseif K.ask:match("%.255$") then
    sc:say({en = "%s is the LAN's broadcast address: it maps to ff:ff:ff:ff:ff:ff without any ARP,",
            zh = "%s 是局域网的广播地址：它直接对应 ff:ff:ff:ff:ff:ff，不需要 ARP；"}, K.ask)
    sc:say{en = "and the hosts ignore echo requests sent to it (Linux's icmp_echo_ignore_broadcasts = 1).",
           zh = "各主机忽略发往广播地址的回显请求（Linux 的 icmp_echo_ignore_broadcasts = 1）。"}
  else
    sc:say({en = "h1 sent no ARP request for %s.", zh = "h1 没有为 %s 发送 ARP 请求。"}, K.ask)
  end
else
  sc:say({en = "Before the echo request can leave, h1 needs the MAC address of %s: it broadcasts an",
          zh = "回显请求发出之前，h1 需要知道 %s 的 MAC 地址：它向 ff:ff:ff:ff:ff:ff 广播一个"}, K.ask)
  sc:say({en = "ARP request \"who has %s? tell 10.0.0.1\" to ff:ff:ff:ff:ff:ff.",
          zh = "ARP 请求“谁是 %s？请告诉 10.0.0.1”。"}, K.ask)
  sc:say{en = "sw1 learns h1's port from the request's source address, and floods the broadcast to",
         zh = "交换机 sw1 从请求的源 MAC 地址学到 h1 所在的端口，并把广播泛洪到其他所有端口："}
  sc:say({en = #others == 1 and "every other port: %s hears it." or "every other port: %s each hear it.",
          zh = #others == 1 and "%s 收到了它。" or "%s 都收到了它。"}, names(others))
  if target then
    sc:say({en = "Only %s has %s: it answers with a unicast reply to h1's MAC. sw1 learns %s's port",
            zh = "只有 %s 拥有 %s：它以单播应答发往 h1 的 MAC 地址。交换机从应答学到 %s 所在的端口，"},
           target.name, K.ask, target.name)
    sc:say{en = "from the reply, and sends it to h1's port alone: it learnt that port from the request.",
           zh = "并只把应答送到 h1 的端口：这个端口是它从请求中学到的。"}
    if #bystanders > 0 then
      sc:say({en = "The echo request and reply then go only to the ports the switch learnt: none reaches %s.",
              zh = "之后的回显请求和应答只走交换机学到的端口；%s 看不到它们。"}, names(bystanders))
    end
    local e = entry(target, "10.0.0.1")
    if e and first_state[target.name] then
      sc:say({en = "%s learnt h1's address from the request for itself, as %s (not confirmed yet, as",
              zh = "%s 从询问自己的请求中学到了 h1 的地址，状态为 %s（尚未确认，与 Linux"},
             target.name, first_state[target.name])
      sc:say({en = "Linux does), so its echo reply needed no ARP request of its own (the entry is now %s).",
              zh = "相同），所以它发回显应答时不必自己再发 ARP 请求（该表项现在为 %s）。"}, e.state)
    end
  else
    sc:say({en = "Nobody has %s: h1 asked %d times, a second apart (Linux's mcast_solicit = 3),",
            zh = "没有任何主机拥有 %s：h1 问了 %d 次，每次间隔一秒（Linux 的 mcast_solicit = 3），"}, K.ask, asked)
    sc:say{en = "then marked the entry FAILED and dropped the waiting echo request: ping reports",
           zh = "然后把表项标记为 FAILED 并丢弃等待中的回显请求：ping 报告"}
    sc:say{en = "\"Destination Host Unreachable\". Every broadcast was flooded to every other port.",
           zh = "“Destination Host Unreachable”（目的主机不可达）。每个广播都被泛洪到其他所有端口。"}
  end
  if #bystanders > 0 then
    sc:say({en = #bystanders == 1 and "%s heard the broadcast request but keeps no entry for h1: like Linux, a host"
                  or "%s heard the broadcast request but keep no entry for h1: like Linux, a host",
            zh = "%s 收到了广播请求，却没有为 h1 建立表项：与 Linux 相同，主机只有在"}, names(bystanders))
    sc:say{en = "learns from a request only when the request asks for its own address.",
           zh = "请求询问的是自己的地址时，才从请求中学习。"}
  end
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

sc:claim({en = "echo replies", zh = "回显应答数"}, r.received, 1)
-- the broadcast request was flooded to every other host, once
local got_requests, want_requests = {}, {}
for i = 2, K.hosts do
  got_requests[h[i].name] = kinds(h[i].name, "request")
  want_requests[h[i].name] = 1
end
sc:claim({en = "ARP requests each other host heard", zh = "其他每台主机收到的 ARP 请求数"},
         got_requests, want_requests)
-- the unicast reply reached h1
sc:claim({en = "ARP replies h1 heard", zh = "h1 收到的 ARP 应答数"}, kinds("h1", "reply"), 1)
-- the switch learnt h1 (from the request), then h2 (from the reply), each on its port
local got_fdb = {}
for i, e in ipairs(learned) do got_fdb[i] = (owner[e.mac] or e.mac) .. ":" .. e.port end
sc:claim({en = "MAC addresses sw1 learnt, in order (host:port)", zh = "交换机 sw1 依次学到的 MAC 地址（主机:端口）"},
         got_fdb, {"h1:1", "h2:2"})
local e1 = entry(h1, K.ask)
sc:claim({en = "h1 knows " .. K.ask, zh = "h1 知道 " .. K.ask}, e1 ~= nil and e1.mac ~= nil, true)
sc:claim({en = "h2 learnt h1 from the request for itself", zh = "h2 从询问自己的请求中学到了 h1"},
         entry(h[2], "10.0.0.1") ~= nil, true)

-- whatever the knobs: a reply is unicast to the asker, and the hosts that
-- were not asked hear nothing but broadcasts (the switch sends unicast
-- frames to the learnt port alone) and learn nothing from them
for i = 2, K.hosts do
  expect(kinds(h[i].name, "reply"), "replies heard by " .. h[i].name):eq(0)
end
for _, b in ipairs(bystanders) do
  for _, f in ipairs(heard[b.name]) do
    expect(f.dst_mac, b.name .. " hears only broadcasts: " .. tostring(f.summary)):eq("ff:ff:ff:ff:ff:ff")
  end
  expect(#b:arp(), b.name .. "'s ARP table size"):eq(0)
end
