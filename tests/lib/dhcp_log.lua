-- dhcp_log.lua - every DHCP message a node sends or receives, as the
-- DHCP scenarios read them:
--   local dhcp_log = dofile(here .. "../lib/dhcp_log.lua")
--   local log = dhcp_log(net, node)
--   -- log[i] = {t=, dir="in"|"out", src=, dst=, eth_dst=, m=<lunet.dhcp.decode>}
return function(net, node)
  local log = {}
  net:intercept{on = node, filter = "udp port 67 or udp port 68", action = "observe", raw = true,
    fn = function(f, ctx)
      local ihl = (f:byte(15) & 15) * 4
      local ip = function(o) return string.format("%d.%d.%d.%d", f:byte(o, o + 3)) end
      log[#log + 1] = {t = ctx.t, dir = ctx.dir, src = ip(27), dst = ip(31),
                       eth_dst = string.format("%02x:%02x:%02x:%02x:%02x:%02x", f:byte(1, 6)),
                       m = assert(lunet.dhcp.decode(f:sub(15 + ihl + 8)))}
    end}
  return log
end
