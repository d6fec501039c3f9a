-- wan_transfer.lua - TCP across routers and a lossy WAN link, run whole
-- or split across ranks (tests/mpi/compare.sh checks the results match).
--
--   h1 --- r1 ===== 10 ms WAN, 1% loss, min_delay 10 ms ===== r2 --- h2
--   h3 ---/                                                   \--- h4
--
-- h1 sends 300 kB to h2, h4 sends 200 kB to h3, both at once.  Between
-- runs the script (every rank runs it) makes the WAN lossier and takes its
-- r1 -> r2 direction down for 300 ms: each rank applies what it runs.
local out = assert(arg[1], "usage: wan_transfer.lua OUTDIR")
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
local net = lunet.net{seed = 7}
local h1, h2, h3, h4 = net:host("h1"), net:host("h2"), net:host("h3"), net:host("h4")
local r1, r2 = net:router("r1"), net:router("r2")
local lan = {bandwidth = "100Mbps", delay = "100us"}
local function link(a, b, ips, o) return lib.link(net, a, b, ips, o) end
link(h1, r1, {"10.1.0.1/24", "10.1.0.254/24"}, lan)
link(h3, r1, {"10.1.1.1/24", "10.1.1.254/24"}, lan)
local wan = link(r1, r2, {"10.9.0.1/30", "10.9.0.2/30"},
                 {bandwidth = "20Mbps", delay = "10ms", min_delay = "10ms", loss = 0.01})
link(h2, r2, {"10.2.0.1/24", "10.2.0.254/24"}, lan)
link(h4, r2, {"10.2.1.1/24", "10.2.1.254/24"}, lan)
h1:route("default", "10.1.0.254"); h3:route("default", "10.1.1.254")
h2:route("default", "10.2.0.254"); h4:route("default", "10.2.1.254")
r1:route("10.2.0.0/16", "10.9.0.2"); r2:route("10.1.0.0/16", "10.9.0.1")

h2:spawn(function() h2:sink(5001, {quiet = true}) end)
h3:spawn(function() h3:sink(5002, {quiet = true}) end)
h1:spawn(function() h1:bulk_send("10.2.0.1", 5001, {bytes = 300000, quiet = true}) end)
h4:spawn(function() h4:bulk_send("10.1.1.1", 5002, {bytes = 200000, quiet = true}) end)
net:run("150ms")
wan:set{loss = 0.03, delay = "12ms"}
wan:down("ab")
net:run("300ms")
wan:up("ab")
net:run("5s")
lib.dump(net, out, {h1, h2, h3, h4, r1, r2})
lib.views(net, out)
lib.stats(net)
