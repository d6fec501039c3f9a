-- campus.lua - a campus of four buildings around a core router, run whole
-- or split across ranks (tests/mpi/compare.sh checks the results match).
--
--   building k (k = 1..4): 4 hosts on switch swk, router rk, 10.k.0.0/24
--   rk ===== 1 ms, 0.5% loss, min_delay 1 ms ===== core --- server 10.0.0.2
--
-- Every host sends 40 kB over TCP to its peer in the next building and
-- pings the server: traffic crosses the core, and the buildings' links
-- are where a split may cut (the LANs declare no min_delay).
local out = assert(arg[1], "usage: campus.lua OUTDIR")
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
local net = lunet.net{seed = 5}
local B, H = 4, 4
local core = net:router("core")
local server = net:host("server")
net:link(server, core, {ip = {"10.0.0.2/24", "10.0.0.1/24"}, bandwidth = "1Gbps", delay = "100us"})
server:route("default", "10.0.0.1")
local hosts, nodes = {}, {core, server}
for k = 1, B do
  local r, sw = net:router("r" .. k), net:switch("sw" .. k)
  nodes[#nodes + 1] = r
  net:link(r, core, {ip = {"10.250." .. k .. ".2/30", "10.250." .. k .. ".1/30"}, bandwidth = "100Mbps",
                     delay = "1ms", min_delay = "1ms", loss = 0.005})
  net:link(r, sw, {ip = {"10." .. k .. ".0.254/24"}, bandwidth = "1Gbps", delay = "50us"})
  r:route("default", "10.250." .. k .. ".1")
  core:route("10." .. k .. ".0.0/24", "10.250." .. k .. ".2")
  hosts[k] = {}
  for j = 1, H do
    local h = net:host(("h%d_%d"):format(k, j))
    net:link(h, sw, {ip = {("10.%d.0.%d/24"):format(k, j)}, bandwidth = "1Gbps", delay = "50us"})
    h:route("default", "10." .. k .. ".0.254")
    hosts[k][j] = h
    nodes[#nodes + 1] = h
  end
end
-- explicit captures besides --pcap's: an interface, a link, a switch port
net:capture{iface = server.eth0, file = "explicit-server.pcap"}
net:capture{link = net:links()[1], file = "explicit-link1.pcap"}
net:capture{switch = net:switches()[2], port = 1, file = "explicit-sw2-p1.pcap"}
for k = 1, B do
  for j = 1, H do
    local h, peer = hosts[k][j], ("10.%d.0.%d"):format(k % B + 1, j)
    h:spawn(function() h:sink(7000, {quiet = true}) end)
    h:spawn(function()
      lunet.sleep(("%dms"):format(10 * j + k))
      h:ping("10.0.0.2", {count = 3, interval = "50ms", quiet = true})
      h:bulk_send(peer, 7000, {bytes = 40000, quiet = true})
    end)
  end
end
net:run("4s")
lib.dump(net, out, nodes)
lib.views(net, out)
lib.stats(net)
