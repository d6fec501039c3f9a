-- two_hosts: h1 (10.0.0.1/24) and h2 (10.0.0.2/24) on one link.
--
--   h1 eth0 ------------------------- eth0 h2
--   10.0.0.1/24      link           10.0.0.2/24
--
-- opts are the link's knobs (bandwidth, delay, loss, mtu, ab, ba, ...; see
-- net:link in docs/lua-api.md).  Returns {h1=, h2=, link=, h1_ip=, h2_ip=}.
return function(net, opts)
  local lo = {}
  for k, v in pairs(opts or {}) do lo[k] = v end
  if lo.ip ~= nil then error("two_hosts: the addresses are fixed (10.0.0.1/24, 10.0.0.2/24)", 3) end
  lo.ip = { "10.0.0.1/24", "10.0.0.2/24" }
  local h1 = net:host("h1")
  local h2 = net:host("h2")
  local link = net:link(h1, h2, lo)
  return { h1 = h1, h2 = h2, link = link, h1_ip = "10.0.0.1", h2_ip = "10.0.0.2" }
end
