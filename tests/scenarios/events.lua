-- events.lua - what a frame event carries besides its summary: the bytes
-- as seen at that layer, the Ethernet addresses and type, decoded fields.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"

test("tx events carry the frame's bytes, MACs and ethertype", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {})
  local echo
  net:on("tx", function(ev)
    if not echo and ev.proto == "icmp" then echo = ev end
  end)
  lab.h1:spawn(function() lab.h1:ping(lab.h2_ip, {count = 1, quiet = true}) end)
  net:run()
  expect(echo, "an ICMP frame was sent"):truthy()
  expect(echo.layer):eq("l2")
  expect(echo.src_mac):eq(lab.h1.eth0.mac)
  expect(echo.dst_mac):eq(lab.h2.eth0.mac)
  expect(echo.ethertype):eq(0x0800)
  expect(#echo.bytes):eq(echo.len)
  expect(echo.len):eq(98)                       -- 14 + 20 + 8 + 56
  -- the bytes are the frame: decode the IP header from them
  local ver_ihl, ttl, proto = string.unpack(">B", echo.bytes, 15), echo.bytes:byte(23),
                              echo.bytes:byte(24)
  expect(ver_ihl):eq(0x45)
  expect(ttl):eq(echo.ttl)
  expect(proto):eq(1)
  expect(echo.bytes:sub(1, 6)):eq(string.char(2, 0, 0, 0, 0, 2))
end)

test("trace ids: the maker's actor and its own count, the same on every hop", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {})
  local tx, rx = {}, {}
  net:on("tx", function(ev) tx[#tx + 1] = ev end)
  net:on("rx", function(ev) rx[ev.id] = ev end)
  -- from the script itself (actor 0, the network), then from h1's task
  -- (h1 is actor 1, h2 actor 2: creation order)
  lab.h1:inject{ip = {dst = lab.h2_ip, proto = 17}, payload = "x"}
  lab.h1:spawn(function() lab.h1:ping(lab.h2_ip, {count = 1, quiet = true}) end)
  net:run("1s")                  -- before ARP's entries go stale and are probed
  local seen = {}
  for _, ev in ipairs(tx) do
    local s, actor, n = lunet.trace_id(ev.id)
    expect(s):eq(actor .. "." .. n)
    expect(ev.id):eq(actor << 40 | n)
    expect(rx[ev.id], "the frame arrived under the same id"):truthy()
    seen[#seen + 1] = (ev.proto or "arp") .. " " .. s
  end
  -- The script's inject made the datagram (0.1) and, to resolve h2, the
  -- ARP request (0.2), which goes first; h2's reply is its first packet.
  -- Then h1's echo request and h2's echo reply.
  expect(table.concat(seen, ", ")):eq("arp 0.2, arp 2.1, udp 0.1, icmp 1.1, icmp 2.2")
  expect(select(2, pcall(lunet.trace_id, -1))):matches("0 or more%), got %-1")
  expect(select(2, pcall(lunet.trace_id, "x"))):matches("lunet.trace_id")
end)
