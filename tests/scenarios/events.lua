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
