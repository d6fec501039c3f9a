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
-- Run:   lunet run scripts/arp.lua

local net = lunet.net{name = "arp"}
local sw = net:switch("sw1")
local h = {}
for i = 1, 3 do
  h[i] = net:host("h" .. i)
  net:link(h[i], sw, {delay = "1ms", ip = {"10.0.0." .. i .. "/24"}})
end
local h1, h2, h3 = h[1], h[2], h[3]
local T = lunet.fmt_time
local owner = {}
for i = 1, 3 do owner[h[i].eth0.mac] = h[i].name end

local function arp_kind(summary)
  local s = (summary or ""):lower()
  if not s:find("arp") then return nil end
  if s:find("reply") or s:find("is%-at") then return "reply" end
  if s:find("request") or s:find("who%-has") then return "request" end
  return "?"
end

-- Every frame a host receives.
local heard = {}                       -- host name -> list of {time, kind}
for i = 1, 3 do heard[h[i].name] = {} end
net:on("rx", function(ev)
  if not ev.node or not heard[ev.node] then return end
  local kind = arp_kind(ev.summary)
  table.insert(heard[ev.node], {time = ev.time, kind = kind or "other", summary = ev.summary})
  if kind then
    print(string.format("[t=%s] %s receives the ARP %s: %s", T(ev.time), ev.node, kind, ev.summary))
  end
end)
net:on("arp", function(ev)
  print(string.format("[t=%s] %s's ARP table: %s (%s)", T(ev.time), tostring(ev.node),
                      tostring(ev.text or "?"), tostring(ev.state or ev.value)))
end)

-- Run step by step and watch the switch's forwarding table grow.
local r
h1:spawn(function() r = h1:ping("10.0.0.2", {count = 1, quiet = true}) end)
print(string.format("[t=%s] h1 pings 10.0.0.2; its ARP table is empty", T(net:now())))
local learned, known = {}, {}
while not r and net:step() do
  for _, e in ipairs(sw:fdb()) do
    if not known[e.mac] then
      known[e.mac] = true
      learned[#learned + 1] = e
      print(string.format("[t=%s] sw1 learns %s (%s) on port %d", T(net:now()), e.mac,
                          owner[e.mac] or "?", e.port))
    end
  end
end
print(string.format("[t=%s] h1 gets its echo reply: rtt %s", T(net:now()), T(r.rtts[1] or 0)))

local function kinds(name, kind)
  local n = 0
  for _, f in ipairs(heard[name]) do if f.kind == kind then n = n + 1 end end
  return n
end

print()
print("sw1 forwarding table (like `bridge fdb show`):")
for _, e in ipairs(sw:fdb()) do
  print(string.format("  %s  port %d  (%s)", e.mac, e.port, owner[e.mac] or "?"))
end
for i = 1, 3 do
  local lines = {}
  for _, e in ipairs(h[i]:arp()) do lines[#lines + 1] = e.ip .. " " .. e.mac .. " " .. e.state end
  print(string.format("%s ARP table: %s", h[i].name, #lines > 0 and table.concat(lines, ", ") or "(empty)"))
end
print("h3 heard the broadcast request but keeps no entry for h1: like Linux, a host")
print("learns from a request only when the request asks for its own address.")

expect(r.received, "echo replies"):eq(1)
-- the broadcast request was flooded to h2 and h3
expect(kinds("h2", "request"), "requests heard by h2"):eq(1)
expect(kinds("h3", "request"), "requests heard by h3"):eq(1)
-- the unicast reply reached h1 only
expect(kinds("h1", "reply"), "replies heard by h1"):eq(1)
expect(kinds("h3", "reply"), "replies heard by h3"):eq(0)
expect(kinds("h2", "reply"), "replies heard by h2"):eq(0)
-- h3 heard nothing but the broadcast: the echo went to h2's port only
expect(#heard.h3, "frames heard by h3"):eq(1)
-- the switch learnt h1 (from the request), then h2 (from the reply)
expect(#learned, "fdb entries"):eq(2)
expect(learned[1].mac, "first MAC learnt"):eq(h1.eth0.mac)
expect(learned[2].mac, "second MAC learnt"):eq(h2.eth0.mac)
expect(learned[1].port, "h1's port"):eq(1)
expect(learned[2].port, "h2's port"):eq(2)

local function has(node, ip)
  for _, e in ipairs(node:arp()) do if e.ip == ip then return true end end
  return false
end
expect(has(h1, "10.0.0.2"), "h1 knows h2"):truthy()
expect(has(h2, "10.0.0.1"), "h2 learnt h1 from the request for itself"):truthy()
expect(has(h3, "10.0.0.1"), "h3 learnt h1"):falsy()
expect(#h3:arp(), "h3's ARP table size"):eq(0)
