-- syn_flood.lua - a spoofed SYN flood across a WAN, run whole or split
-- across ranks (tests/mpi/compare.sh checks the results match).
--
--   attacker --\                                      /-- server :80 (backlog 16)
--   client   --- r1 ===== 5 ms WAN, min_delay 5 ms ===== r2
--
-- 800 SYNs a second for 2 s from spoofed addresses fill the server's
-- half-open queue; SYN cookies let the client in anyway at 1 s.
local out = assert(arg[1], "usage: syn_flood.lua OUTDIR")
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
local attacks = require "lunet.attacks"
local net = lunet.net{seed = 11}
local attacker, client = net:host("attacker"), net:host("client")
local server = net:host("server")
local r1, r2 = net:router("r1"), net:router("r2")
local lan = {bandwidth = "1Gbps", delay = "200us"}
local function link(a, b, ips, o) return lib.link(net, a, b, ips, o) end
link(attacker, r1, {"10.1.0.66/24", "10.1.0.254/24"}, lan)
link(client, r1, {"10.1.1.1/24", "10.1.1.254/24"}, lan)
link(r1, r2, {"10.9.0.1/30", "10.9.0.2/30"}, {bandwidth = "100Mbps", delay = "5ms", min_delay = "5ms"})
link(server, r2, {"10.2.0.2/24", "10.2.0.254/24"}, lan)
attacker:route("default", "10.1.0.254"); client:route("default", "10.1.1.254")
server:route("default", "10.2.0.254")
r1:route("10.2.0.0/16", "10.9.0.2"); r2:route("10.1.0.0/16", "10.9.0.1")
-- the SYN-ACKs to spoofed sources go to the attacker, which forwards nothing
r2:route("10.99.0.0/16", "10.9.0.1"); r1:route("10.99.0.0/16", "10.1.0.66")
server:sysctl("net.ipv4.tcp_syncookies", 1)

server:spawn(function()
  local l = server:listen(80, {backlog = 16})
  while true do
    local c = l:accept()
    if c then c:close() end
  end
end)
attacker:spawn(function()
  attacks.syn_flood{from = attacker, to = "10.2.0.2", port = 80, rate = 800, duration = "2s",
                    spoof = "10.99.0.0/16"}
end)
client:spawn(function()
  lunet.sleep("1s")
  local c = client:connect("10.2.0.2", 80, {timeout = "3s"})
  if c then c:close() end
end)
net:run("6s")
lib.dump(net, out, {attacker, client, server, r1, r2})
lib.views(net, out)
lib.stats(net)
