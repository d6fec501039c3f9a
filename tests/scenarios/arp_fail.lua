-- arp_fail.lua - pinging an address nobody has: like Linux, 3 broadcast
-- ARP requests 1 s apart (mcast_solicit = 3, retrans_time = 1 s), then the
-- queued packets fail with "Destination Host Unreachable" from the sender's
-- own address.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local function is_arp_request(summary)
  local s = (summary or ""):lower()
  return s:find("arp") and (s:find("request") or s:find("who%-has")) and true or false
end

local S = 1000000000

local function setup(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "1ms"})
  local requests = {}
  net:on("tx", function(ev)
    if ev.node == "h1" and is_arp_request(ev.summary) then requests[#requests + 1] = ev.time end
  end)
  return lab, requests
end

test("one ping: 3 requests, then host unreachable at 3 s", function(net)
  local lab, requests = setup(net)
  local lines = {}
  local real_print = _G.print
  _G.print = function(s) lines[#lines + 1] = s end
  local ok, r = pcall(run_task, net, lab.h1, function()
    return lab.h1:ping("10.0.0.99", {count = 1})
  end)
  _G.print = real_print
  if not ok then error(r, 0) end

  expect(requests, "ARP request times"):eq({0, 1 * S, 2 * S})
  expect(r.received):eq(0)
  expect(#r.errors):eq(1)
  local e = r.errors[1]
  expect(e.kind):eq("host unreachable")
  expect(e.from, "reported by h1 itself"):eq(lab.h1_ip)
  expect(e.seq):eq(1)
  expect(e.time, "when the error came"):eq(3 * S)
  local ns = lab.h1:netstat()
  expect(ns.ArpOutRequests, "ArpOutRequests"):eq(3)
  expect(ns.ArpResolveFailed, "ArpResolveFailed"):eq(1)
  expect(lab.h1:drops()["arp resolution failed"]):eq(1)
  expect(lab.h2:netstat().ArpOutReplies, "h2 did not answer for someone else"):eq(0)
  -- printed like iputils
  expect(lines[1]):eq("PING 10.0.0.99 (10.0.0.99) 56(84) bytes of data.")
  expect(lines):contains("From 10.0.0.1 icmp_seq=1 Destination Host Unreachable")
  expect(lines):contains("--- 10.0.0.99 ping statistics ---")
  expect(lines):contains("1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms")
end)

test("four pings: the three queued ones fail together, the fourth starts over", function(net)
  local lab, requests = setup(net)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping("10.0.0.99", {count = 4, quiet = true})
  end)
  expect(r.sent):eq(4)
  expect(r.received):eq(0)
  expect(#r.errors):eq(4)
  for i = 1, 3 do
    expect(r.errors[i].seq):eq(i)
    expect(r.errors[i].time, "error for ping " .. i):eq(3 * S)
  end
  expect(r.errors[4].seq):eq(4)
  expect(r.errors[4].time, "error for ping 4"):eq(6 * S)
  expect(requests, "ARP request times"):eq({0, 1 * S, 2 * S, 3 * S, 4 * S, 5 * S})
  expect(lab.h1:netstat().ArpResolveFailed):eq(2)
end)

test("the neighbour answers eventually: queued pings go out", function(net)
  -- h2 takes 10.0.0.99 at t = 1.5 s: the third request (t = 2 s) is answered.
  local lab, requests = setup(net)
  net:spawn(function()
    lunet.sleep("1500ms")
    lab.h2.eth0:addr("10.0.0.99/24")
  end)
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping("10.0.0.99", {count = 1, quiet = true})
  end)
  expect(r.received):eq(1)
  expect(#r.errors):eq(0)
  expect(#requests):eq(3)
  expect(lab.h1:netstat().ArpResolveFailed):eq(0)
end)
