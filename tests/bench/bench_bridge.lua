-- bench_bridge.lua - the virtual side of tests/bench/bench_bridge.sh: a
-- host bridged to a TAP device (10.77.0.2, Linux at 10.77.0.1), which
--   1. sinks what Linux sends to port 5001 (one connection, to EOF);
--   2. on dir/go, sends `mb` MB to Linux's port 5002 and reads to EOF;
--   3. on dir/pinged0, pings Linux `pings` times, 10 ms apart;
--   4. sets the link's delay to `delay` and writes dir/delayed;
--   5. on dir/pinged1, pings Linux again.
-- It prints "key=value" lines (Mbit/s and RTTs as lunet's clock saw them).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "../interop/common.lua")

local BYTES = math.floor(it.num("mb", 100) * 1e6)
local PINGS = it.num("pings", 100)
local net = lunet.net{}
local v1 = net:host("v1")
local bw = it.args.bandwidth
local b = it.bridge(net, v1, {ip = "10.77.0.2/24", bandwidth = tonumber(bw) or bw})   -- 0: unlimited

local function pings(tag)
  local r = v1:ping(it.LINUX, {count = PINGS, interval = "10ms", timeout = "2s", quiet = true})
  it.report(tag .. "_received", r.received, tag .. "_min_ms", string.format("%.3f", r.min / 1e6),
            tag .. "_avg_ms", string.format("%.3f", r.avg / 1e6), tag .. "_max_ms", string.format("%.3f", r.max / 1e6))
end

v1:spawn(function()
  local r = v1:sink(5001, {quiet = true})
  it.report("in_bytes", r.bytes, "in_mbps", string.format("%.1f", r.bps / 1e6))
end)
v1:spawn(function()
  it.ready()
  it.wait_go("60s")
  local s = assert(v1:connect(it.LINUX, 5002, {timeout = "5s"}))
  local t0 = lunet.now()
  assert(s:send(BYTES))
  assert(s:shutdown("send"))
  s:receive("*a", {timeout = "60s"})   -- Linux's EOF once it has everything
  local secs = (lunet.now() - t0) / 1e9
  s:close()
  it.report("out_bytes", BYTES, "out_mbps", string.format("%.1f", BYTES * 8 / secs / 1e6))
  it.wait_file(it.dir .. "/pinged0", "60s")
  pings("ping0")
  b.link:set{delay = it.args.delay or "1ms"}
  it.write(it.dir .. "/delayed", "")
  it.wait_file(it.dir .. "/pinged1", "60s")
  pings("ping1")
  net:stop()
end)

it.run(net, "120s")
