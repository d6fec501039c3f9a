-- tcp_throughput.lua - one CUBIC flow fills a clean long path.
--
--   h1 10.0.0.1 ===== 100 Mbit/s, 10 ms each way (RTT 20 ms) ===== h2 10.0.0.2
--
-- Bandwidth-delay product: 100e6 * 0.020 / 8 = 250,000 bytes, 165 frames of
-- 1514 bytes.  With a drop-tail queue of at least one BDP, a CUBIC sender
-- (multiplicative decrease 0.7) keeps the pipe full after each loss, so a
-- long transfer reaches the link rate less the headers: 1448 data bytes in
-- every 1514-byte frame, 95.6 Mbit/s.  Linux gets there; the test asks for
-- 90 % of the link rate in goodput, measured at the receiver from its first
-- to its last byte, and over the second half of the transfer (steady state).

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local RATE = 100e6
local BYTES = 100 * 1000 * 1000          -- about 8.4 s at the link rate
local PORT = 5001

-- Transfer BYTES over a path with a `queue` of frames; returns what the
-- receiver saw: first and last byte times, bytes, and the time series.
local function run(net, queue)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "100Mbps", delay = "10ms", queue = queue})
  local srv = assert(l.h2:listen(PORT))
  local rx = {bytes = 0, times = {}, counts = {}}
  l.h2:spawn(function()
    local c = assert(srv:accept())
    while true do
      local d = c:receive()
      if not d then break end
      local now = lunet.now()
      rx.first = rx.first or now
      rx.last = now
      rx.bytes = rx.bytes + #d
      rx.times[#rx.times + 1] = now
      rx.counts[#rx.counts + 1] = rx.bytes
      rx.hash = lunet.hash(d, rx.hash)
    end
    c:close()
  end)
  local r, err = run_task(net, l.h1, function()
    return l.h1:bulk_send(l.h2_ip, PORT, {bytes = BYTES, quiet = true})
  end)
  expect(err, "bulk_send error"):is_nil()
  expect(rx.bytes, "bytes received"):eq(BYTES)
  expect(rx.hash, "hash of the received bytes"):eq(lunet.hash(BYTES))
  expect(r.info.cc, "congestion control by default"):eq("cubic")
  return rx, r, l
end

-- goodput (bit/s) between the first and the last byte
local function goodput(rx)
  return rx.bytes * 8 / ((rx.last - rx.first) / 1e9)
end

-- goodput over the second half of the transfer (by time)
local function second_half(rx)
  local mid = rx.first + (rx.last - rx.first) // 2
  local i = 1
  while rx.times[i] < mid do i = i + 1 end
  local b0 = rx.counts[i - 1] or 0
  return (rx.bytes - b0) * 8 / ((rx.last - rx.times[i - 1]) / 1e9)
end

local function report(tag, rx, r, l)
  local st = l.link:stats().ab
  print(string.format("    %s: goodput %.1f Mbit/s (second half %.1f), %d retrans, %d queue drops, max queue %d",
                      tag, goodput(rx) / 1e6, second_half(rx) / 1e6, r.retrans, st.dropped_queue,
                      st.max_qlen))
end

test("queue of one BDP (175 frames): at least 90% of 100 Mbit/s", function(net)
  local rx, r, l = run(net, 175)
  report("1 BDP", rx, r, l)
  expect(second_half(rx), "goodput over the second half (bit/s)"):ge(0.9 * RATE)
  expect(goodput(rx), "goodput, first to last byte (bit/s)"):ge(0.9 * RATE)
end)

test("queue of two BDP (340 frames): at least 90% of 100 Mbit/s", function(net)
  local rx, r, l = run(net, 340)
  report("2 BDP", rx, r, l)
  expect(second_half(rx), "goodput over the second half (bit/s)"):ge(0.9 * RATE)
  expect(goodput(rx), "goodput, first to last byte (bit/s)"):ge(0.9 * RATE)
end)

test("goodput never exceeds what the link can carry", function(net)
  local rx, r, l = run(net, 340)
  -- 1448 bytes of data per 1514-byte frame
  expect(goodput(rx), "goodput (bit/s)"):le(RATE * 1448 / 1514)
end)
