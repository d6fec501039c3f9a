-- dns_dhcp.lua - a host joins a network: DHCP gives it an address, a
-- gateway and a name server; DNS turns a name into an address; HTTP
-- fetches a page.  The application layer that a student meets first, and
-- what it stands on.
--
--   laptop (no address) --+                      +-- ns   10.0.2.53  (DNS)
--                         +-- sw1 -- r1 -- sw2 --+
--          10.0.1.0/24    |   10.0.1.1  10.0.2.1 +-- www  10.0.2.80  (HTTP)
--                         r1 is the DHCP server for 10.0.1.0/24
--
-- The laptop boots with no address.  It broadcasts a DHCPDISCOVER from
-- 0.0.0.0; r1 offers 10.0.1.1xx with a lease (DHCPOFFER), the laptop asks
-- for it (DHCPREQUEST, still broadcast: other servers must hear that they
-- were not chosen), r1 confirms (DHCPACK).  The lease says the gateway is
-- r1 and the name server 10.0.2.53.  Then the laptop resolves www.lab (a
-- DNS query over UDP port 53, through r1) and fetches http://www.lab/ (a
-- TCP connection to the address the name stood for, and an HTTP/1.1 GET).
--
-- What-ifs: clients=3 makes three laptops join at once (distinct addresses
-- from one pool, one exchange each); lease=20s gives a lease short enough
-- that each laptop renews it within the run (at T1 = half the lease, a
-- unicast DHCPREQUEST to r1, no broadcast any more).
--
-- Run:   lunet run scripts/dns_dhcp.lua            (--help lists the knobs)
--        lunet run --lang zh scripts/dns_dhcp.lua  (in Chinese)
-- Then open the pcaps in Wireshark: the filter `dhcp || dns || http`
-- shows the three protocols one after another.

local sc = require("lunet.scenario").new{
  name = "dns_dhcp",
  title = {en = "A host joins a network: DHCP, then DNS, then HTTP",
           zh = "主机加入网络：先 DHCP，再 DNS，最后 HTTP"},
  knobs = {
    {"clients", default = 1, try = 3, kind = "integer", min = 1, max = 20,
     help = {en = "laptops that join the LAN at once, each with no address",
             zh = "同时加入局域网、都没有地址的笔记本电脑台数"}},
    {"lease", default = "1h", try = "20s", kind = "time",
     help = {en = "the lease r1 grants (renewed at half of it, T1)",
             zh = "r1 给出的租期（在租期一半 T1 时续租）"}},
  },
}
local K = sc.k
local T = lunet.fmt_time
local RUN = "40s"                      -- long enough for lease=20s to renew once

local net = lunet.net{name = "dns_dhcp"}
local sw1, sw2 = net:switch("sw1"), net:switch("sw2")
local r1 = net:router("r1")
net:link(r1, sw1, {delay = "1ms", ip = {"10.0.1.1/24"}})
net:link(r1, sw2, {delay = "1ms", ip = {"10.0.2.1/24"}})
local ns, www = net:host("ns"), net:host("www")
net:link(ns, sw2, {delay = "1ms", ip = {"10.0.2.53/24"}})
net:link(www, sw2, {delay = "1ms", ip = {"10.0.2.80/24"}})
ns:gateway("10.0.2.1")
www:gateway("10.0.2.1")
local laptops = {}
for i = 1, K.clients do
  local name = K.clients == 1 and "laptop" or "laptop" .. i
  laptops[i] = net:host(name)
  net:link(laptops[i], sw1, {delay = "1ms"})      -- no address: DHCP gives one
end
local caps = net:capture{}

local POOL_FIRST, POOL_LAST = 100, 199
local dhcpd = r1:dhcp_server{pool = "10.0.1." .. POOL_FIRST .. "-10.0.1." .. POOL_LAST,
                             router = "10.0.1.1", dns = {"10.0.2.53"}, domain = "lab",
                             lease = K.lease // 1000000000, quiet = true}   -- seconds
ns:dns_server{zone = {["www.lab"] = "10.0.2.80", ["ns.lab"] = "10.0.2.53"}}
local PAGE = "Hello from www.lab\n"
www:http_server(80, {routes = {["/"] = PAGE}})

-- What each laptop sends and receives, by protocol, in order.
local DHCP_TYPES = {"DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"}
-- The frame's protocol from its bytes: Ethernet, IPv4, then the ports.
local function classify(ev)
  local b = ev.bytes
  if not b or #b < 14 then return nil end
  local etype = b:byte(13) << 8 | b:byte(14)
  if etype == 0x0806 then return "ARP" end
  if etype ~= 0x0800 or #b < 34 then return nil end
  local ihl = (b:byte(15) & 0x0f) * 4
  local proto, l4 = b:byte(24), 14 + ihl
  if #b < l4 + 8 then return nil end
  local sport, dport = b:byte(l4 + 1) << 8 | b:byte(l4 + 2), b:byte(l4 + 3) << 8 | b:byte(l4 + 4)
  local function port(n) return sport == n or dport == n end
  if proto == 17 and port(67) then
    local m = lunet.dhcp.decode(b:sub(l4 + 9))
    return "DHCP", m and m.type or "?"
  end
  if proto == 17 and port(53) then return "DNS" end
  if proto == 6 and port(80) then
    local total = b:byte(17) << 8 | b:byte(18)
    local thl = (b:byte(l4 + 13) >> 4) * 4
    return total - ihl - thl > 0 and "HTTP" or "TCP"
  end
  return proto == 1 and "ICMP" or proto == 6 and "TCP" or proto == 17 and "UDP" or "IP"
end

local seen = {}                        -- laptop name -> {{time, proto, what, dir}, ...}
for _, h in ipairs(laptops) do seen[h.name] = {} end
local function note(dir)
  return function(ev)
    local list = ev.node and seen[ev.node]
    if not list then return end
    local proto, what = classify(ev)
    if proto then list[#list + 1] = {time = ev.time, proto = proto, what = what, dir = dir,
                                     summary = ev.summary} end
  end
end
net:on("tx", note("out"))
net:on("rx", note("in"))

local got = {}                         -- laptop name -> what it found
for _, h in ipairs(laptops) do
  h:spawn(function()
    local r = {}
    got[h.name] = r
    r.lease, r.lease_err = h:dhcp{quiet = true}
    if not r.lease then return end
    r.t_lease = lunet.now()
    r.servers = h:dns_servers()        -- set by the lease, as dhclient writes resolv.conf
    r.addr, r.res = h:resolve("www.lab")
    r.t_resolved = lunet.now()
    if not r.addr then return end
    r.body, r.status = h:http_get("www.lab", 80, "/")
    r.t_page = lunet.now()
  end)
end
net:run(RUN)

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local first = laptops[1]
local r = got[first.name]
sc:say({en = "%s's link, frame by frame (what it sent >, what it received <):",
        zh = "%s 的链路，逐帧（> 为发出，< 为收到）："}, first.name)
for _, f in ipairs(seen[first.name]) do
  sc:say("  [t=%s] %s %-4s %s", T(f.time), f.dir == "out" and ">" or "<", f.proto,
         f.what and ("DHCP" .. f.what .. "  ") .. (f.summary or "") or (f.summary or ""))
end
print()
if not r or not r.lease then
  sc:say({en = "%s got no lease: %s", zh = "%s 没有得到租约：%s"}, first.name, tostring(r and r.lease_err))
else
  local L = r.lease
  sc:say({en = "1. DHCP (UDP 68 -> 67): %s broadcast a DISCOVER from 0.0.0.0: it had no address to",
          zh = "1. DHCP（UDP 68 -> 67）：%s 从 0.0.0.0 广播 DISCOVER：它还没有地址可以"}, first.name)
  sc:say{en = "   send from, nor any server's address to send to.  r1 OFFERed an address from its pool,",
         zh = "   作为源地址，也不知道任何服务器的地址。r1 从地址池中提供（OFFER）一个地址，"}
  sc:say{en = "   the laptop REQUESTed it (broadcast again: every server must learn which offer won),",
         zh = "   笔记本请求（REQUEST）它（仍是广播：每台服务器都要知道哪个提供被选中），"}
  sc:say({en = "   and r1 ACKed it at t=%s: the lease (%s s) names",
          zh = "   r1 在 t=%s 确认（ACK）：租约（%s 秒）给出"}, T(r.t_lease), L.lease)
  sc:say({en = "   address %s/%d, gateway %s, name server %s, domain %s.",
          zh = "   地址 %s/%d、网关 %s、域名服务器 %s、域 %s。"}, L.addr, L.prefix, L.router,
         table.concat(L.dns, ", "), tostring(L.domain))
  if r.addr then
    sc:say{en = "2. DNS (UDP 53): to ask 10.0.2.53, off its subnet, the laptop first ARPed for its new",
           zh = "2. DNS（UDP 53）：10.0.2.53 不在本子网，笔记本先用 ARP 询问新网关"}
    sc:say({en = "   gateway 10.0.1.1; then one query, one answer through r1: www.lab is %s (t=%s).",
            zh = "   10.0.1.1 的 MAC；然后经 r1 一问一答：www.lab 是 %s（t=%s）。"}, r.addr, T(r.t_resolved))
  end
  if r.status then
    sc:say({en = "3. HTTP (TCP 80): a handshake with %s, GET / HTTP/1.1 with Host: www.lab, and",
            zh = "3. HTTP（TCP 80）：与 %s 三次握手，发送 GET / HTTP/1.1（Host: www.lab），"}, r.addr)
    sc:say({en = "   the answer %d with %d bytes of page (t=%s).  http_get asked DNS for www.lab once",
            zh = "   得到应答 %d 和 %d 字节的网页（t=%s）。http_get 又向 DNS 问了一次 www.lab："},
           r.status, #(r.body or ""), T(r.t_page))
    sc:say{en = "   more: like glibc's, the resolver keeps no cache (nscd or systemd-resolved would).",
           zh = "   与 glibc 一样，解析器没有缓存（nscd 或 systemd-resolved 才有）。"}
  end
  print()
  sc:say{en = "Each layer needed the one before: no DNS query without an address and a gateway,",
         zh = "每一层都依赖前一层：没有地址和网关就发不出 DNS 查询，"}
  sc:say{en = "no TCP connection to www.lab without the address DNS gave.",
         zh = "没有 DNS 给出的地址就连不上 www.lab。"}
end
local renewals = 0
for _, h in ipairs(laptops) do
  local g = got[h.name]
  if g and g.lease then renewals = renewals + g.lease.renewals end
end
if renewals > 0 then
  sc:say({en = "The leases were renewed %d time(s) at T1, by a unicast REQUEST to r1 (the laptops",
          zh = "租约在 T1 时续租了 %d 次：向 r1 单播 REQUEST（笔记本"}, renewals)
  sc:say{en = "had addresses by then, and knew the server's).", zh = "那时已有地址，也知道服务器的地址）。"}
end
if K.clients > 1 then
  sc:say({en = "With %d laptops, each hears the others' DISCOVERs and REQUESTs and every OFFER and",
          zh = "有 %d 台笔记本时，每台都听到别人的 DISCOVER、REQUEST，以及所有的 OFFER 和"}, K.clients)
  sc:say{en = "ACK (all broadcast): the transaction id (xid) tells each which answers are its own.",
         zh = "ACK（都是广播）：靠事务号 xid 分辨哪些应答是给自己的。"}
  local list = {}
  for _, l in ipairs(dhcpd:leases()) do list[#list + 1] = l.addr .. " " .. l.mac .. " " .. l.state end
  sc:say({en = "r1's leases: %s", zh = "r1 的租约：%s"}, table.concat(list, "; "))
end
sc:pcaps(caps)

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

-- In order, what the first laptop's link carried, one entry per run of a
-- protocol (DHCP's four messages, ARP for the gateway, DNS, TCP, HTTP, ...).
local phases, dora = {}, {}
for _, f in ipairs(seen[first.name]) do
  if f.proto == "DHCP" then dora[#dora + 1] = f.what end
  if phases[#phases] ~= f.proto then phases[#phases + 1] = f.proto end
end
local firsts = {}
for i = 1, 4 do firsts[i] = dora[i] end
sc:claim({en = "the first DHCP messages", zh = "最初的 DHCP 报文"}, firsts,
         {"DISCOVER", "OFFER", "REQUEST", "ACK"})
sc:claim({en = "the protocols on the laptop's link, in turn", zh = "笔记本链路上依次出现的协议"},
         {table.unpack(phases, 1, 5)}, {"DHCP", "ARP", "DNS", "TCP", "HTTP"})
sc:claim({en = "the page", zh = "网页"}, r and r.body, PAGE)

-- whatever the knobs: every laptop has a distinct address from the pool,
-- with the gateway and name server from the lease, and fetched the page
local used = {}
for _, h in ipairs(laptops) do
  local g = got[h.name]
  expect(g and g.lease, h.name .. " got a lease"):truthy()
  local last = tonumber(g.lease.addr:match("^10%.0%.1%.(%d+)$"))
  expect(last, h.name .. "'s address " .. g.lease.addr .. ", last byte"):within(POOL_FIRST, POOL_LAST)
  expect(used[g.lease.addr], g.lease.addr .. " given twice"):is_nil()
  used[g.lease.addr] = true
  expect(g.lease.router, h.name .. "'s gateway"):eq("10.0.1.1")
  expect(g.lease.dns, h.name .. "'s name servers"):eq({"10.0.2.53"})
  expect(h.eth0:addr(), h.name .. "'s interface"):eq(g.lease.addr .. "/" .. g.lease.prefix)
  expect(g.addr, "www.lab as " .. h.name .. " resolved it"):eq("10.0.2.80")
  expect(g.status, h.name .. "'s HTTP status"):eq(200)
  expect(g.body, h.name .. "'s page"):eq(PAGE)
  -- a lease shorter than the run was renewed, at T1, and only then
  if K.lease / 2 < lunet.time(RUN) then
    expect(g.lease.renewals, h.name .. "'s renewals at T1"):ge(1)
  else
    expect(g.lease.renewals, h.name .. "'s renewals"):eq(0)
  end
end
