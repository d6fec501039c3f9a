-- router_chain: h1 -- r1 -- r2 -- ... -- rN -- h2.
--
-- Link i (1 .. N+1) carries subnet 10.0.<i>.0/24:
--   link 1      h1 10.0.1.1       r1 10.0.1.254   (r1 is h1's gateway)
--   link i      r(i-1) 10.0.i.1   ri 10.0.i.2     (2 <= i <= N)
--   link N+1    rN 10.0.<N+1>.254 h2 10.0.<N+1>.1 (rN is h2's gateway)
-- Every router has a static route to every subnet that is not connected
-- to it, so everything reaches everything.
--
-- opts: n = number of routers (default 3, 1..250)
--       link = knobs for every link (bandwidth, delay, ...)
--       links = { [i] = knobs for link i only (override `link`) }
-- Returns {h1=, h2=, r1=, ..., routers={r1..rN}, links={l1..l(N+1)},
--          h1_ip=, h2_ip=, hops={...}} where hops[k] is the address a
-- traceroute from h1 shows at hop k (router k's address on the link
-- towards h1, then h2's address).
local KNOWN = { n = true, link = true, links = true }

return function(net, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not KNOWN[k] then
      error('router_chain: option "' .. tostring(k) .. '" unknown (known: link, links, n)', 3)
    end
  end
  local n = opts.n or 3
  if math.type(n) ~= "integer" or n < 1 or n > 250 then
    error("router_chain: n must be an integer in 1..250", 3)
  end

  local t = { routers = {}, links = {}, hops = {} }
  t.h1 = net:host("h1")
  for i = 1, n do
    local r = net:router("r" .. i)
    t.routers[i] = r
    t["r" .. i] = r
  end
  t.h2 = net:host("h2")

  -- left/right address of link i
  local function addrs(i)
    if i == 1 then return "10.0.1.1", "10.0.1.254" end
    if i == n + 1 then return "10.0." .. i .. ".254", "10.0." .. i .. ".1" end
    return "10.0." .. i .. ".1", "10.0." .. i .. ".2"
  end

  local chain = { t.h1 }
  for i = 1, n do chain[#chain + 1] = t.routers[i] end
  chain[#chain + 1] = t.h2

  for i = 1, n + 1 do
    local lo = {}
    for k, v in pairs(opts.link or {}) do lo[k] = v end
    for k, v in pairs((opts.links or {})[i] or {}) do lo[k] = v end
    local a, b = addrs(i)
    lo.ip = { a .. "/24", b .. "/24" }
    t.links[i] = net:link(chain[i], chain[i + 1], lo)
  end

  t.h1_ip = "10.0.1.1"
  t.h2_ip = "10.0." .. (n + 1) .. ".1"
  t.h1:route("default", "10.0.1.254")
  t.h2:route("default", "10.0." .. (n + 1) .. ".254")

  -- Router k sits between link k (left) and link k+1 (right).
  for k = 1, n do
    local r = t.routers[k]
    local _, left_me = addrs(k)
    local left_gw = addrs(k)            -- neighbour on link k
    local _, right_gw = addrs(k + 1)    -- neighbour on link k+1
    for j = 1, n + 1 do
      local dst = "10.0." .. j .. ".0/24"
      if j < k then
        r:route(dst, left_gw)
      elseif j > k + 1 then
        r:route(dst, right_gw)
      end
    end
    t.hops[k] = left_me
  end
  t.hops[n + 1] = t.h2_ip
  return t
end
