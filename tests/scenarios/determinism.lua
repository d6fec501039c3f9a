-- determinism.lua - the same script and seed give byte-identical pcaps;
-- another seed gives another loss pattern; adding unrelated hosts and links
-- changes nothing on the others.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

-- Read a file and remove it.
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  os.remove(path)
  return s
end

local KNOBS = {bandwidth = "10Mbps", delay = "2ms", jitter = "500us", loss = "20%",
               duplicate = "5%", reorder = "5%", reorder_delay = "3ms"}

-- Ping across a lossy, jittery link; return the bytes of h2's capture.
local function scenario(seed, path, extra)
  local net = lunet.net{seed = seed}
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, KNOBS)
  if extra then
    -- an unrelated pair of hosts with its own lossy link and traffic
    local h3, h4 = net:host("h3"), net:host("h4")
    net:link(h3, h4, {loss = "30%", ip = {"10.9.0.3/24", "10.9.0.4/24"}})
    h3:spawn(function() h3:ping("10.9.0.4", {count = 50, interval = "7ms", quiet = true}) end)
  end
  local cap = net:capture{iface = lab.h2.eth0, file = path}
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 100, interval = "10ms", quiet = true})
  end)
  cap:close()
  net:close()
  return slurp(path), r
end

local dir = tmpdir()   -- removed by the last test

test("same seed: byte-identical pcap", function()
  local a, ra = scenario(42, dir .. "/a.pcap")
  local b, rb = scenario(42, dir .. "/b.pcap")
  expect(#a, "pcap size"):gt(24 + 100 * 16)
  expect(ra.received):lt(100)          -- the loss did happen
  expect(ra.received):eq(rb.received)
  expect(a == b, "pcaps identical"):truthy()
end)

test("different seed: different loss pattern", function()
  local a, ra = scenario(1, dir .. "/s1.pcap")
  local b, rb = scenario(2, dir .. "/s2.pcap")
  expect(a ~= b, "pcaps differ"):truthy()
  local sa, sb = {}, {}
  for _, rep in ipairs(ra.replies) do sa[#sa + 1] = rep.seq end
  for _, rep in ipairs(rb.replies) do sb[#sb + 1] = rep.seq end
  expect(sa):ne(sb)
end)

test("unrelated hosts and links do not change a link's pattern", function()
  local a = scenario(7, dir .. "/plain.pcap")
  local b = scenario(7, dir .. "/extra.pcap", true)
  expect(a == b, "pcaps identical"):truthy()
end)

-- A TCP transfer over a lossy, reordering link: retransmissions, SACK
-- recovery, timers, random ISNs and timestamps all come out the same.
local function tcp_scenario(seed, path)
  local net = lunet.net{seed = seed}
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "20Mbps", delay = "5ms",
                                                loss = "5%", reorder = "2%",
                                                reorder_delay = "1ms"})
  local cap = net:capture{iface = lab.h1.eth0, file = path}
  local got
  lab.h2:spawn(function() got = lab.h2:sink(5001, {quiet = true}) end)
  local sent = run_task(net, lab.h1, function()
    return lab.h1:bulk_send(lab.h2_ip, 5001, {bytes = 300000, quiet = true})
  end)
  net:run()
  cap:close()
  net:close()
  return slurp(path), sent, got
end

test("tcp over a lossy link: same seed, byte-identical pcap", function()
  local a, sa, ga = tcp_scenario(5, dir .. "/tcp-a.pcap")
  local b = tcp_scenario(5, dir .. "/tcp-b.pcap")
  expect(ga.bytes):eq(300000)
  expect(sa.retrans, "retransmissions"):gt(0)
  expect(a == b, "pcaps identical"):truthy()
  local c = tcp_scenario(6, dir .. "/tcp-c.pcap")
  expect(a ~= c, "another seed, another run"):truthy()
end)

test("lunet.net{} takes the harness seed", function(net)
  expect(net:seed()):eq(lunet.default_seed)
  local other = lunet.net{}
  expect(other:seed()):eq(lunet.default_seed)
  other:close()
end)

test("cleanup", function()
  expect(os.remove(dir), "temporary directory removed (empty)"):truthy()
end)
