-- slaac_lan.lua - the lab of the SLAAC scenarios:
--   h -- r (advertises 2001:db8:a::/64 on eth0) -- far 2001:db8:b::2
--   local slaac_lan = dofile(here .. "../lib/slaac_lan.lua")
--   local r, h, far = slaac_lan(net, ra)   -- ra: r.eth0:ra's options
-- h has IPv6 on and no address but its link-local one until r advertises.
return function(net, ra)
  local r = net:router("r")
  local h, far = net:host("h"), net:host("far")
  net:link(h, r, {delay = "1ms"})
  net:link(r, far, {delay = "1ms"})
  r:addr6("eth0", "2001:db8:a::1/64")
  r:addr6("eth1", "2001:db8:b::1/64")
  far:addr6("2001:db8:b::2/64")
  far:gateway("2001:db8:b::1")
  r.eth0:ra(ra)
  h.eth0:ipv6(true)
  return r, h, far
end
