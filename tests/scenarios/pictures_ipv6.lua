-- pictures_ipv6.lua - the ladder and the report of a TCP connection over
-- IPv6: every segment recorded with its options, endpoints written
-- [addr]:port as ss writes them.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local xml = dofile(here .. "../lib/xml.lua")
local ladder = require "lunet.ladder"

local function pair6(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "2ms"})
  a:addr6("2001:db8::1/64")
  b:addr6("2001:db8::2/64")
  net:run("3s")                           -- past DAD
  local l = b:listen(80, {addr = "::"})
  b:spawn(function() local s = l:accept(); s:receive("*a"); s:close() end)
  a:spawn(function()
    local s = assert(a:connect("2001:db8::2", 80))
    s:send("hello over IPv6")
    s:close()
  end)
  return a, b
end

test("ladder over IPv6: an arrow per segment and the SYN's options", function(net)
  local a, b = pair6(net)
  local lad = ladder.new(net, {hosts = {a, b}})
  net:run("2s")
  local segs = lad:segments()
  expect(#segs, "handshake, data, both FINs and their ACKs"):eq(8)
  expect(segs[1].flags):eq("SYN")
  local doc = lad:svg()
  local root = assert(xml.parse(doc))
  expect(#xml.by_class(root, "seg"), "an arrow per segment"):eq(8)
  expect(doc:find("MSS=1440", 1, true), "the SYN's MSS: IPv6's MTU less 60"):truthy()
end)

test("report over IPv6: the connection's segments and bytes, [addr]:port", function()
  local net = lunet.net{seed = 1, name = "v6"}
  local rep = require("lunet.report").new{title = "IPv6"}
  rep:watch(net)
  pair6(net)
  net:run("2s")
  local html = rep:html(nil)
  net:close()
  expect(html:find("[2001:db8::1]:", 1, true), "the client's endpoint"):truthy()
  expect(html:find("[2001:db8::2]:80", 1, true), "the server's"):truthy()
  expect(html:find("2001:db8::2:80", 1, true), "never the ambiguous form"):falsy()
  expect(html:find("8 segments recorded", 1, true), "every segment"):truthy()
end)

test("events of IPv6 frames carry addresses, ports, flags and the hop limit", function(net)
  pair6(net)
  local seen
  net:on("tx", function(e)
    if not seen and e.proto == "tcp" then seen = e end
  end)
  net:run("2s")
  expect(seen, "a TCP frame over IPv6"):truthy()
  expect(seen.src):eq("2001:db8::1")
  expect(seen.dst):eq("2001:db8::2")
  expect(seen.dport):eq(80)
  expect(seen.flags):eq("S")
  expect(seen.ttl, "the hop limit"):eq(64)
  expect(seen.ipid, "IPv6 has none"):is_nil()
end)
