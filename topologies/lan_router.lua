-- lan_router: hosts on a learning switch behind a router, and a remote host.
--
--   h1 10.0.1.1 --+
--   h2 10.0.1.2 --+-- sw1 -- r1 10.0.1.254 | 10.0.2.254 -- remote 10.0.2.1
--   ...         --+
--
-- opts: hosts = number of LAN hosts (default 3, 1..200)
--       lan = knobs for the host-switch and switch-router links
--       wan = knobs for the router-remote link
-- Returns {h1=, ..., hosts={...}, sw=, r1=, remote=, lan_links={...},
--          uplink= (sw1-r1), wan= (r1-remote), remote_ip=}.
local KNOWN = { hosts = true, lan = true, wan = true }

return function(net, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not KNOWN[k] then
      error('lan_router: option "' .. tostring(k) .. '" unknown (known: hosts, lan, wan)', 3)
    end
  end
  local nh = opts.hosts or 3
  if math.type(nh) ~= "integer" or nh < 1 or nh > 200 then
    error("lan_router: hosts must be an integer in 1..200", 3)
  end
  local function knobs(base, ip)
    local lo = {}
    for k, v in pairs(base or {}) do lo[k] = v end
    lo.ip = ip
    return lo
  end

  local t = { hosts = {}, lan_links = {} }
  t.sw = net:switch("sw1")
  for i = 1, nh do
    local h = net:host("h" .. i)
    t.hosts[i] = h
    t["h" .. i] = h
    t.lan_links[i] = net:link(h, t.sw, knobs(opts.lan, { "10.0.1." .. i .. "/24" }))
    h:route("default", "10.0.1.254")
  end
  t.r1 = net:router("r1")
  t.uplink = net:link(t.sw, t.r1, knobs(opts.lan, { nil, "10.0.1.254/24" }))
  t.remote = net:host("remote")
  t.wan = net:link(t.r1, t.remote, knobs(opts.wan, { "10.0.2.254/24", "10.0.2.1/24" }))
  t.remote:route("default", "10.0.2.254")
  t.remote_ip = "10.0.2.1"
  return t
end
