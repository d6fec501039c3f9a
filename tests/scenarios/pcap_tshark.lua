-- pcap_tshark.lua - Wireshark finds nothing wrong in lunet's captures:
-- no malformed frames, no bad IP/ICMP/UDP checksums, no expert errors;
-- unless a link corrupts frames on purpose, where it must find bad
-- checksums.
--
-- tshark 4.0 has no icmp.check_checksum preference: ICMP checksums are
-- always verified.  IP and UDP verification must be switched on.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local TOPO = here .. "../../topologies/"
local run_task = require("lunet.test").run_task
local ts = dofile(here .. "../lib/tshark.lua")
local q, sh, capture_all = ts.q, ts.sh, ts.capture_all

local FILTER = '_ws.malformed or ip.checksum.status == "Bad" or icmp.checksum.status == "Bad"'
            .. ' or udp.checksum.status == "Bad" or _ws.expert.severity >= "error"'
local PREFS = "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE"

local have_tshark = ts.have

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p " .. q(p)))
  return p
end

-- What tshark flags in a file (the matching packet lines), and how many
-- frames it read.
local function tshark_check(path)
  local flagged, ok, code = sh(string.format("tshark -r %s %s -Y %s 2>/dev/null", q(path), PREFS, q(FILTER)))
  expect(ok, "tshark exit status for " .. path .. " (" .. tostring(code) .. ")"):truthy()
  local all = sh(string.format("tshark -r %s 2>/dev/null", q(path)))
  local n = 0
  for _ in all:gmatch("[^\n]+") do n = n + 1 end
  return flagged, n
end

local function expect_clean(caps)
  for _, c in ipairs(caps) do
    c:close()
    local flagged, n = tshark_check(c.path)
    expect(n, c.path .. ": frames read by tshark"):eq(c:count())
    expect(flagged, c.path .. ": frames tshark flags"):eq("")
    os.remove(c.path)
  end
end

local function setup()
  if not have_tshark() then skip("tshark not installed") end
  return tmpdir()
end

test("ping, large ping (fragments), and a DF refusal", function(net)
  local dir = setup()
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 1, link = {delay = "1ms"}, links = {[2] = {mtu = 1000}}})
  local caps = capture_all(net, dir, "ping")
  run_task(net, lab.h1, function()
    lab.h1:ping(lab.h2_ip, {count = 3, interval = "100ms", quiet = true})
    lab.h1:ping(lab.h2_ip, {count = 2, size = 4000, interval = "100ms", quiet = true})
    lab.h1:ping(lab.h2_ip, {count = 1, size = 1400, df = true, quiet = true})
  end)
  expect(#caps):eq(4)
  expect_clean(caps)
  os.remove(dir)
end)

test("traceroute, icmp and udp", function(net)
  local dir = setup()
  local lab = lunet.topology(TOPO .. "router_chain.lua", net, {n = 3, link = {delay = "1ms"}})
  local caps = capture_all(net, dir, "tr")
  run_task(net, lab.h1, function()
    lab.h1:traceroute(lab.h2_ip, {quiet = true})
    lab.h1:traceroute(lab.h2_ip, {mode = "udp", quiet = true})
  end)
  expect_clean(caps)
  os.remove(dir)
end)

test("arp on a switched lan, through a router", function(net)
  local dir = setup()
  local lab = lunet.topology(TOPO .. "lan_router.lua", net, {hosts = 3, lan = {delay = "100us"}, wan = {delay = "5ms"}})
  local caps = capture_all(net, dir, "lan")
  run_task(net, lab.h1, function()
    lab.h1:ping("10.0.1.2", {count = 2, interval = "100ms", quiet = true})
    lab.h1:ping(lab.remote_ip, {count = 2, interval = "100ms", quiet = true})
    lab.h1:ping("10.0.1.77", {count = 1, quiet = true})      -- nobody: ARP fails
  end)
  expect_clean(caps)
  os.remove(dir)
end)

test("a corrupting link: tshark must see bad checksums", function(net)
  local dir = setup()
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms", corrupt = "30%"})
  lab.h1:arp_set(lab.h2_ip, lab.h2.eth0.mac, "eth0")
  lab.h2:arp_set(lab.h1_ip, lab.h1.eth0.mac, "eth0")
  local cap = net:capture{iface = lab.h2.eth0, file = dir .. "/corrupt-h2.pcap"}
  run_task(net, lab.h1, function()
    lab.h1:ping(lab.h2_ip, {count = 50, interval = "10ms", quiet = true})
  end)
  cap:close()
  local corrupted = lab.link:stats().ab.corrupted
  expect(corrupted, "frames corrupted h1 -> h2"):gt(0)
  local flagged = tshark_check(cap.path)
  local n = 0
  for _ in flagged:gmatch("[^\n]+") do n = n + 1 end
  expect(n, "frames tshark flags"):gt(0)
  expect(n, "frames tshark flags"):le(corrupted)
  os.remove(cap.path)
  os.remove(dir)
end)
