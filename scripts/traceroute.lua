-- traceroute.lua - how traceroute discovers the routers on a path.
--
--   h1 --- r1 --- r2 --- r3 --- h2        every link 100 Mbit/s, 1 ms
--   10.0.1.0/24  .2.0  .3.0  10.0.4.0/24
--
-- Each probe leaves h1 with a TTL of 1, 2, 3, ...; the router where the
-- TTL reaches 0 drops it and answers "time exceeded", which reveals its
-- address.  The probe with a large enough TTL reaches h2, which answers
-- the echo request itself.
--
-- Run:   lunet run scripts/traceroute.lua

local net = lunet.net{name = "traceroute"}
local lab = lunet.topology("router_chain", net, {n = 3, link = {bandwidth = "100Mbps", delay = "1ms"}})
local T = lunet.fmt_time

local hops
lab.h1:spawn(function()
  hops = lab.h1:traceroute(lab.h2_ip)
  net:stop()
end)
net:run()

print()
for k, r in ipairs(lab.routers) do
  local n = r:netstat().IcmpOutTimeExcds
  print(string.format("[t=%s] %s: TTL hit 0 on %d probes -> %d \"time exceeded\" sent from %s",
                      T(net:now()), r.name, n, n, lab.hops[k]))
  expect(hops[k].addr, "hop " .. k):eq(lab.hops[k])
  expect(n, r.name .. " IcmpOutTimeExcds"):eq(3)
end
print(string.format("[t=%s] hop %d is h2 itself (%s): destination reached", T(net:now()), #hops, lab.h2_ip))
expect(#hops, "number of hops"):eq(#lab.routers + 1)
expect(hops[#hops].addr, "last hop"):eq(lab.h2_ip)
expect(hops.reached, "destination reached"):truthy()
