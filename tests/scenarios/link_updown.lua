-- link_updown.lua - a link taken down loses the pings sent meanwhile and
-- brings them back when up again; its delay can change while it runs.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local S = 1000000000

local function setup(net, knobs)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, knobs)
  -- static ARP: only echo traffic on the link
  lab.h1:arp_set(lab.h2_ip, lab.h2.eth0.mac, "eth0")
  lab.h2:arp_set(lab.h1_ip, lab.h1.eth0.mac, "eth0")
  return lab
end

local function seqs(r)
  local t = {}
  for _, rep in ipairs(r.replies) do t[#t + 1] = rep.seq end
  table.sort(t)
  return t
end

test("down at 2.5 s, up at 5.5 s: pings 4, 5, 6 are lost", function(net)
  local lab = setup(net, {delay = "10ms"})
  net:spawn(function()
    lunet.sleep("2500ms")
    lab.link:down()
    expect(lab.link:is_up()):falsy()
    lunet.sleep("3s")
    lab.link:up()
  end)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 10, quiet = true})
  end)
  expect(r.sent):eq(10)
  expect(seqs(r)):eq({1, 2, 3, 7, 8, 9, 10})
  expect(lab.link:is_up()):truthy()
  local d = net:drops()
  expect(d["link down"] + d["no carrier"], "drops while down"):eq(3)
end)

test("a frame in flight when the link goes down is lost", function(net)
  local lab = setup(net, {delay = "100ms"})
  net:spawn(function()
    lunet.sleep("50ms")            -- the first echo request is on the wire
    lab.link:down()
    lunet.sleep("100ms")
    lab.link:up()
  end)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 2, quiet = true})
  end)
  expect(seqs(r)):eq({2})
end)

test("one direction down: requests arrive, replies are lost", function(net)
  local lab = setup(net, {delay = "10ms"})
  net:spawn(function()
    lunet.sleep("500ms")
    lab.link:down("ba")
  end)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 3, quiet = true})
  end)
  expect(seqs(r)):eq({1})
  expect(lab.h2:netstat().IcmpInEchos):eq(3)
  expect(lab.link:stats().ba.dropped_down):eq(2)
end)

test("set{delay=} at run time changes the rtt", function(net)
  local lab = setup(net, {delay = "10ms"})
  local tx = (98 * 8 * S + lunet.rate("1Gbps") - 1) // lunet.rate("1Gbps")
  net:spawn(function()
    lunet.sleep("2500ms")
    lab.link:set{delay = "50ms"}
    lunet.sleep("2s")
    lab.link:set{ab = {delay = "5ms"}}
  end)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 6, quiet = true})
  end)
  local rtt = {}
  for _, rep in ipairs(r.replies) do rtt[rep.seq] = rep.rtt end
  local ms = 1000000
  for i = 1, 3 do expect(rtt[i], "ping " .. i):eq(2 * (tx + 10 * ms)) end
  for i = 4, 5 do expect(rtt[i], "ping " .. i):eq(2 * (tx + 50 * ms)) end
  expect(rtt[6], "ping 6 (ab 5 ms, ba 50 ms)"):eq(2 * tx + 5 * ms + 50 * ms)
  -- read back in seconds, what a number means in link:set
  expect(lab.link:get("ab").delay):eq(0.005)
  expect(lab.link:get("ba").delay):eq(0.05)
end)

-- Subscribers observe: a hook that takes the link down asks for it, and
-- the down happens after the event that ran the hook, at the same instant.
-- The echo request's arrival at h2 runs h2's stack, which sends the reply
-- in the same event: it goes onto the wire, then the down loses it.
test("a hook's link:down takes effect after the event", function(net)
  local lab = setup(net, {delay = "10ms"})
  local order, inside = {}, nil
  net:on("all", function(ev)
    if ev.type == "tx" or ev.type == "rx" or ev.type == "link" or ev.type == "drop" then
      order[#order + 1] = ev.type .. "@" .. ev.time
    end
    if ev.type == "rx" and inside == nil then
      lab.link:down("ba")
      inside = lab.link:is_up("ba")     -- what was asked for: down
    end
  end)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = 1, quiet = true})
  end)
  expect(inside):eq(false)
  expect(#r.replies):eq(0)
  local t = order[2]:match("@(%d+)")
  expect(order):eq({order[1], "rx@" .. t, "tx@" .. t, "link@" .. t, "drop@" .. t})
  expect(lab.link:stats().ba.tx_packets):eq(1)
  expect(lab.link:stats().ba.dropped_down):eq(1)
end)

test("min_delay: the least delay a link promises, never broken", function(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  expect(function() net:link(h1, h2, {delay = "1ms", min_delay = "5ms"}) end)
    :raises("link: delay 0.001s below min_delay 0.005s")
  expect(function() net:link(h1, h2, {delay = "5ms", jitter = "1ms", min_delay = "5ms"}) end)
    :raises("link: delay 0.005s with jitter 0.001s can deliver 0.004s after sending, below min_delay 0.005s")
  local l = net:link(h1, h2, {delay = "10ms", min_delay = "5ms"})
  expect(l:get("ab").min_delay):eq(0.005)
  expect(function() l:set{delay = "2ms"} end):raises("link:set: delay 0.002s below min_delay 0.005s")
  expect(l:get("ab").delay):eq(0.01)
  expect(function() l:set{ba = {min_delay = "1ms"}} end)
    :raises("link:set: min_delay 0.001s below the 0.005s declared for h1.eth0<%->h2.eth0 %(ba%)")
  l:set{min_delay = "8ms"}
  expect(l:get("ba").min_delay):eq(0.008)
  l:set(l:get("ab"))                     -- a round trip changes nothing
  -- zero-delay links stay allowed when nothing is declared
  local h3 = net:host("h3")
  expect(net:link(h1, h3, {delay = 0}):get("ab").min_delay):eq(0)
end)
