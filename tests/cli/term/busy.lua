-- A busy simulation for progress_test.sh: a bulk TCP transfer that would
-- take minutes, stopped after BUSY seconds of CPU time (so at least that
-- much wall time on any machine), printing "tick N" from a task now and then
-- while the progress line is up.  LUNET_BUSY_FAIL=1: a task error instead.
local BUSY = tonumber(os.getenv("LUNET_BUSY_SECONDS")) or 1.3
local net = lunet.net{seed = 1}
local a, b = net:host("a"), net:host("b")
net:link(a, b, {bandwidth = "1Gbps", delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
b:spawn(function() b:sink(5001, {quiet = true}) end)
a:spawn(function() a:bulk_send("10.0.0.2", 5001, {bytes = 1e12, quiet = true}) end)
local t0 = os.clock()
net:spawn(function()
  local ticks = 0
  while true do
    lunet.sleep("10ms")
    local t = os.clock() - t0
    if t >= BUSY then break end
    if t >= 1.1 + 0.1 * ticks then
      ticks = ticks + 1
      print("tick " .. ticks)
      if ticks == 2 then io.stdout:write("tick by file:write\n") end
    end
  end
  if os.getenv("LUNET_BUSY_FAIL") == "1" then error("busy: failing on purpose") end
  net:stop()
end)
net:run()
print("busy done")
