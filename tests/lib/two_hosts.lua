-- two_hosts.lua - the lab the TCP and interception tests run on:
-- topologies/two_hosts.lua (h1 10.0.0.1 ===== h2 10.0.0.2) with static
-- ARP entries both ways, so nothing but the frames under test crosses the
-- wire and every timing a test asserts is exact.
--   local two_hosts = dofile(here .. "../lib/two_hosts.lua")
--   two_hosts.static_arp(net, link)  -> the topology's table (h1, h2,
--                                       h1_ip, h2_ip, link); link: its options
-- The topology is found from this file's own place, so a test passes from
-- any working directory.
local M = {}

local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"

function M.static_arp(net, link)
  local l = lunet.topology(TOPO .. "two_hosts.lua", net, link)
  l.h1:arp_set(l.h2_ip, l.h2.eth0.mac, "eth0")
  l.h2:arp_set(l.h1_ip, l.h1.eth0.mac, "eth0")
  return l
end

return M
