-- tcp_fairness.lua - two CUBIC flows share a bottleneck fairly.
--
--   s1 10.0.1.1 --+                                          +-- d 10.0.3.1
--                 r1 ===== 20 Mbit/s, 8 ms, drop-tail ===== r2
--   s2 10.0.2.1 --+        queue 1 BDP (34 frames)
--   access links: 1 Gbit/s, 1 ms.   RTT = 2 x (1 + 8 + 1) = 20 ms for both.
--
-- BDP = 20e6 * 0.020 / 8 = 50,000 bytes = 33 frames of 1514 bytes.  Each
-- sender runs a bulk transfer to its own port on d; the receiver counts
-- the bytes of each flow.  Over the second half of the run the two
-- throughputs must be close (Jain's fairness index >= 0.9, i.e. a ratio
-- of at most about 2), and together they must keep the bottleneck busy.
local RATE = 20e6
local RUN = lunet.time("60s")

local function dumbbell(net)
  local s1, s2 = net:host("s1"), net:host("s2")
  local r1, r2 = net:router("r1"), net:router("r2")
  local d = net:host("d")
  local access = {bandwidth = "1Gbps", delay = "1ms"}
  local function with(t, ip) local o = {ip = ip}; for k, v in pairs(t) do o[k] = v end; return o end
  net:link(s1, r1, with(access, {"10.0.1.1/24", "10.0.1.254/24"}))
  net:link(s2, r1, with(access, {"10.0.2.1/24", "10.0.2.254/24"}))
  local bottleneck = net:link(r1, r2, {bandwidth = "20Mbps", delay = "8ms", queue = 34,
                                       ip = {"10.0.9.1/24", "10.0.9.2/24"}})
  net:link(r2, d, with(access, {"10.0.3.254/24", "10.0.3.1/24"}))
  s1:gateway("10.0.1.254")
  s2:gateway("10.0.2.254")
  d:gateway("10.0.3.254")
  r1:route("10.0.3.0/24", "10.0.9.2")
  r2:route("10.0.1.0/24", "10.0.9.1")
  r2:route("10.0.2.0/24", "10.0.9.1")
  return {s1 = s1, s2 = s2, r1 = r1, r2 = r2, d = d, bottleneck = bottleneck}
end

-- A receiver on d:port counting bytes; rx.at(t) = bytes received by time t.
local function receiver(d, port)
  local srv = assert(d:listen(port))
  local rx = {bytes = 0, times = {}, counts = {}}
  d:spawn(function()
    local c = assert(srv:accept())
    while true do
      local data = c:receive()
      if not data then break end
      rx.bytes = rx.bytes + #data
      rx.times[#rx.times + 1] = lunet.now()
      rx.counts[#rx.counts + 1] = rx.bytes
    end
  end)
  function rx.at(t)
    local b = 0
    for i, ti in ipairs(rx.times) do
      if ti > t then break end
      b = rx.counts[i]
    end
    return b
  end
  return rx
end

-- A sender that never runs out of data.
local function sender(h, port, start)
  h:spawn(function()
    lunet.sleep(start)
    local s = assert(h:connect("10.0.3.1", port))
    while s:send(1000000) do end
  end)
end

local function jain(a, b) return (a + b) ^ 2 / (2 * (a * a + b * b)) end

local function check(net, start2)
  local t = dumbbell(net)
  local rx1, rx2 = receiver(t.d, 5001), receiver(t.d, 5002)
  sender(t.s1, 5001, 0)
  sender(t.s2, 5002, start2)
  net:run_until(lunet.fmt_time(RUN))
  local half = RUN // 2
  local secs = (RUN - half) / 1e9
  local x1 = (rx1.at(RUN) - rx1.at(half)) * 8 / secs
  local x2 = (rx2.at(RUN) - rx2.at(half)) * 8 / secs
  local st = t.bottleneck:stats().ab
  print(string.format("    flow 1 %.2f Mbit/s, flow 2 %.2f Mbit/s, Jain %.3f, ratio %.2f; %d queue drops",
                      x1 / 1e6, x2 / 1e6, jain(x1, x2), math.max(x1, x2) / math.min(x1, x2),
                      st.dropped_queue))
  expect(st.dropped_queue, "drops at the bottleneck queue (the flows did compete)"):gt(0)
  expect(jain(x1, x2), "Jain's fairness index over the second half"):ge(0.9)
  expect(x1 + x2, "both flows together over the second half (bit/s)"):ge(0.9 * RATE)
end

test("two CUBIC flows started together share 20 Mbit/s fairly", function(net)
  check(net, 0)
end)

test("a CUBIC flow joining 5 s later gets its share", function(net)
  check(net, "5s")
end)
