-- tcp_tshark.lua - Wireshark finds nothing wrong in lunet's TCP captures:
-- no malformed frame, no bad IP or TCP checksum, and no "ACKed segment
-- that wasn't captured" (tcp.analysis.ack_lost_segment: an ACK for data
-- the capture never saw, which a stack that acknowledges data it did not
-- receive, or a capture that misses frames, would produce).  Captured on
-- both hosts' interfaces: a handshake with a little data and a close, a
-- bulk transfer over a link that loses, reorders and duplicates frames,
-- and a zero-window episode.  Skipped when tshark is not installed.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local TOPO = here .. "../../topologies/"
local run_task = require("lunet.test").run_task
local ts = dofile(here .. "../lib/tshark.lua")
local q, sh, capture_all = ts.q, ts.sh, ts.capture_all

local FILTER = '_ws.malformed or tcp.analysis.ack_lost_segment or tcp.checksum.status == "Bad"'
            .. ' or ip.checksum.status == "Bad"'
local PREFS = "-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE"


local function need_tshark()
  if not ts.have() then skip("tshark not installed") end
end

local function setup()
  need_tshark()
  -- a fresh directory under lunet.pcap_dir
  local base = os.tmpname()
  os.remove(base)
  local dir = lunet.pcap_dir .. "/tcp_tshark-" .. base:match("[^/]+$")
  assert(os.execute("mkdir -p " .. q(dir)))
  return dir
end

-- One tshark pass over a capture: how many frames it read, and the frames
-- FILTER would show, each with why.  The fields are FILTER's terms:
-- tcp.analysis.ack_lost_segment and _ws.malformed print "1" when present,
-- a checksum status is 0 when "Bad" (1 good, 2 unverified).
local FIELDS = {"frame.number", "_ws.malformed", "tcp.analysis.ack_lost_segment",
                "tcp.checksum.status", "ip.checksum.status"}
local function scan(path)
  local args = {}
  for _, f in ipairs(FIELDS) do args[#args + 1] = "-e " .. f end
  local errf = path .. ".err"
  local out, ok, code = sh(string.format("tshark -r %s %s -T fields -E separator=/t -E occurrence=a %s 2>%s",
                                         q(path), PREFS, table.concat(args, " "), q(errf)))
  local f = io.open(errf, "r")
  local errs = f and f:read("a") or ""
  if f then f:close() end
  os.remove(errf)
  expect(ok, "tshark exit status for " .. path .. " (" .. tostring(code) .. "): " .. errs):truthy()
  local n, flagged = 0, {}
  for line in out:gmatch("[^\n]+") do
    n = n + 1
    local v = {}
    for x in (line .. "\t"):gmatch("([^\t]*)\t") do v[#v + 1] = x end
    local why = {}
    if v[2] ~= "" then why[#why + 1] = "malformed" end
    if v[3] ~= "" then why[#why + 1] = "ACKed unseen segment" end
    if (v[4] or ""):match("^0") or (v[4] or ""):match(",0") then why[#why + 1] = "bad TCP checksum" end
    if (v[5] or ""):match("^0") or (v[5] or ""):match(",0") then why[#why + 1] = "bad IP checksum" end
    if #why > 0 then flagged[#flagged + 1] = "frame " .. v[1] .. ": " .. table.concat(why, ", ") end
  end
  return n, flagged
end

-- tshark must read every frame and flag none of them.
local function expect_clean(caps, dir)
  for _, c in ipairs(caps) do
    c:close()
    local n, flagged = scan(c.path)
    expect(c:count(), c.path .. ": frames captured"):gt(0)
    expect(n, c.path .. ": frames read by tshark"):eq(c:count())
    expect(table.concat(flagged, "; "), c.path .. ": frames tshark flags"):eq("")
  end
  for _, c in ipairs(caps) do os.remove(c.path) end
  os.remove(dir)
end

test("the field names of the filter exist in this tshark", function(net)
  need_tshark()
  local fields = sh("tshark -G fields 2>/dev/null")
  for _, f in ipairs({"tcp.analysis.ack_lost_segment", "tcp.checksum.status", "ip.checksum.status", "_ws.malformed"}) do
    expect(fields:find("\t" .. f .. "\t", 1, true), "tshark field " .. f):truthy()
  end
end)

test("handshake, a request and its echo, close, TIME_WAIT", function(net)
  local dir = setup()
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "10Mbps", delay = "5ms"})
  local caps = capture_all(net, dir, "handshake")
  local srv = assert(l.h2:listen(80))
  l.h2:spawn(function()
    local c = srv:accept()
    local line = c:receive("*l")
    c:send(line .. "\n")
    c:receive("*a")
    lunet.sleep("200ms")
    c:close()
  end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 80))
    s:send("hello\n")
    expect(s:receive("*l")):eq("hello")
    s:close()
    lunet.sleep("1s")
  end)
  net:run()                               -- TIME_WAIT to the end
  expect_clean(caps, dir)
end)

-- A 1 MB bulk transfer over a lossy two_hosts link, captured on both
-- hosts, in a network of its own with `seed`.
local function lossy_run(dir, seed, link, sysctls, tag)
  local net = lunet.net{seed = seed}
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, link)
  for k, v in pairs(sysctls or {}) do
    l.h1:sysctl(k, v)
    l.h2:sysctl(k, v)
  end
  local caps = capture_all(net, dir, tag .. "-seed" .. seed)
  local sr
  l.h2:spawn(function() sr = l.h2:sink(5001, {quiet = true}) end)
  local r = run_task(net, l.h1, function()
    return l.h1:bulk_send(l.h2_ip, 5001, {bytes = 1000000, quiet = true})
  end)
  net:run("2s")
  expect(r.retrans, "retransmissions happened (seed " .. seed .. ")"):gt(0)
  expect(sr.hash, "the data arrived (seed " .. seed .. ")"):eq(lunet.hash(1000000))
  expect(l.link:stats().ab.dropped_loss):gt(0)
  for _, c in ipairs(caps) do c:close() end
  net:close()
  return caps
end

-- four seeds from the harness's: loss patterns differ, and so do the
-- corners of the recovery code they reach
local function seeds() local b = lunet.default_seed; return {b, b + 1, b + 2, b + 3} end

test("1 MB over a link that loses 2%, reorders and duplicates (4 seeds)", function(net)
  local dir = setup()
  local caps = {}
  for _, seed in ipairs(seeds()) do
    for _, c in ipairs(lossy_run(dir, seed, {bandwidth = "10Mbps", delay = "5ms", loss = "2%",
                                             reorder = "3%", reorder_delay = "2ms", duplicate = "1%"},
                                 nil, "lossy")) do
      caps[#caps + 1] = c
    end
  end
  expect_clean(caps, dir)
end)

test("1 MB with SACK and timestamps off, 2% loss (4 seeds)", function(net)
  local dir = setup()
  local caps = {}
  for _, seed in ipairs(seeds()) do
    for _, c in ipairs(lossy_run(dir, seed, {bandwidth = "10Mbps", delay = "5ms", loss = "2%"},
                                 {["net.ipv4.tcp_sack"] = 0, ["net.ipv4.tcp_timestamps"] = 0}, "nosack")) do
      caps[#caps + 1] = c
    end
  end
  expect_clean(caps, dir)
end)

test("zero window, probes and the window update", function(net)
  local dir = setup()
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "100Mbps", delay = "1ms"})
  local caps = capture_all(net, dir, "zerowin")
  local srv = assert(l.h2:listen(5001, {rcvbuf = 4096}))
  local got
  l.h2:spawn(function()
    local c = srv:accept()
    lunet.sleep("2s")
    got = c:receive("*a")
    c:close()
  end)
  run_task(net, l.h1, function()
    local s = assert(l.h1:connect(l.h2_ip, 5001))
    s:send(100 * 1024)
    s:close()
    lunet.sleep("1s")
  end)
  expect(#got):eq(100 * 1024)
  expect(l.h1:netstat().TcpExtTCPWinProbe):gt(0)
  expect_clean(caps, dir)
end)

test("the check is not blind: a corrupting link's frames are flagged", function(net)
  local dir = setup()
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "10Mbps", delay = "5ms", corrupt = "5%"})
  local cap = net:capture{iface = l.h2.eth0, file = dir .. "/corrupt-h2-eth0.pcap"}
  l.h2:spawn(function() l.h2:sink(5001, {quiet = true}) end)
  run_task(net, l.h1, function()
    return l.h1:bulk_send(l.h2_ip, 5001, {bytes = 200000, quiet = true})
  end)
  cap:close()
  -- the display filter itself, as one would type it
  local shown = sh(string.format("tshark -r %s %s -Y %s -T fields -e frame.number 2>/dev/null",
                                 q(cap.path), PREFS, q(FILTER)))
  local by_filter = {}
  for x in shown:gmatch("%d+") do by_filter[#by_filter + 1] = "frame " .. x end
  expect(l.link:stats().ab.corrupted, "frames corrupted towards h2"):gt(0)
  expect(#by_filter, "frames the filter shows"):gt(0)
  -- and scan() flags the same frames
  local _, flagged = scan(cap.path)
  local frames = {}
  for i, f in ipairs(flagged) do frames[i] = f:match("^(frame %d+)") end
  expect(frames, "scan() agrees with the display filter"):eq(by_filter)
  os.remove(cap.path)
  os.remove(dir)
end)
