-- wan_sites.lua - the split-run benchmark's network: SITES sites in a
-- ring of 10 ms WAN links (min_delay 10 ms: the lookahead), each a router,
-- a switch and HOSTS hosts; every host sends BYTES over TCP to its peer
-- one site along the ring.  Run by tests/bench/bench_ranks.sh on 1, 2 and
-- 4 ranks; prints one line per rank:
--   rank R/N wall W events E windows K msgs_out M msgs_in I actors A lookahead L
-- Arguments: key=value (sites, hosts, bytes, seconds; lanmin=1 declares
-- min_delay on the LAN links too, so the partitioner may cut them and
-- must prefer the WAN links, whose lookahead is longer).
local o = {sites = 8, hosts = 16, bytes = 2000000, seconds = 10, lanmin = 0}
for _, a in ipairs(arg) do
  local k, v = a:match("^(%w+)=(%d+)$")
  if not k or not o[k] then error("wan_sites.lua: key=value with sites, hosts, bytes, seconds or lanmin, got " .. a) end
  o[k] = tonumber(v)
end
local net = lunet.net{seed = 3}
local S, H = o.sites, o.hosts
local lan_min = o.lanmin ~= 0 and "20us" or nil
local routers, hosts = {}, {}
for s = 1, S do
  local r, sw = net:router("r" .. s), net:switch("sw" .. s)
  routers[s] = r
  net:link(r, sw, {ip = {("10.%d.0.254/24"):format(s)}, bandwidth = "10Gbps", delay = "20us",
                   min_delay = lan_min})
  hosts[s] = {}
  for j = 1, H do
    local h = net:host(("h%d_%d"):format(s, j))
    net:link(h, sw, {ip = {("10.%d.0.%d/24"):format(s, j)}, bandwidth = "1Gbps", delay = "20us",
                     min_delay = lan_min})
    h:route("default", ("10.%d.0.254"):format(s))
    hosts[s][j] = h
  end
end
-- the ring: site s's eth1 to site s+1's eth2, 10.200.s.0/30
for s = 1, S do
  local t = s % S + 1
  net:link(routers[s], routers[t], {ip = {("10.200.%d.1/30"):format(s), ("10.200.%d.2/30"):format(s)},
                                    bandwidth = "1Gbps", delay = "10ms", min_delay = "10ms"})
end
-- routes: clockwise to every other site
for s = 1, S do
  for d = 1, S do
    if d ~= s then routers[s]:route(("10.%d.0.0/24"):format(d), ("10.200.%d.2"):format(s)) end
  end
end
for s = 1, S do
  for j = 1, H do
    local h, peer = hosts[s][j], ("10.%d.0.%d"):format(s % S + 1, j)
    h:spawn(function() h:sink(9000, {quiet = true}) end)
    h:spawn(function() h:bulk_send(peer, 9000, {bytes = o.bytes, quiet = true}) end)
  end
end
local t0 = lunet.wallclock()
net:run(o.seconds .. "s")
local wall = lunet.wallclock() - t0
local st = net:dist_stats()
-- peak resident memory (Linux's VmHWM, kB): what the whole topology as
-- data costs a rank that runs only its part
local rss = 0
local f = io.open("/proc/self/status")
if f then
  for line in f:lines() do rss = tonumber(line:match("^VmHWM:%s+(%d+)")) or rss end
  f:close()
end
print(("rank %d/%d wall %.3f events %d windows %d msgs_out %d msgs_in %d actors %d lookahead %s rss_kb %d"):format(
  st.rank, st.ranks, wall, st.events, st.windows or 0, st.msgs_out or 0, st.msgs_in or 0,
  st.actors or (S * (H + 2)), st.lookahead and lunet.fmt_time(st.lookahead) or "-", rss))
