-- slaac_lifetimes.lua - what becomes of an autoconfigured address as its
-- lifetimes run out (RFC 4862 5.5.3-5.5.4, as Linux's addrconf does it):
-- deprecated when the preferred lifetime ends (still ours, no longer a
-- source while another will do), removed when the valid one ends, kept
-- alive by each advertisement, and never cut below two hours by one.
--
--   h -- r (advertises 2001:db8:a::/64 on eth0) -- far 2001:db8:b::2
local run_task = require("lunet.test").run_task

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lan = dofile(here .. "../lib/slaac_lan.lua")

local function autoconf(h, prefix)
  for _, x in ipairs(h.eth0:addr6()) do
    if x.origin == "autoconf" and (not prefix or x.addr:find(prefix, 1, true) == 1) then return x end
  end
end

test("an address is deprecated when its preferred lifetime ends, removed when the valid one does", function(net)
  -- Lifetimes of 100 s and 50 s; after the router's first few
  -- advertisements (RFC 4861 6.2.4: up to 3, at most 16 s apart) the next
  -- is half an hour away, so nothing renews them.
  local _, h = lan(net, {interval = "1800s", valid = "100s", preferred = "50s", lifetime = "9000s"})
  net:run("60s")
  local a = autoconf(h)
  expect(a, "configured from the advertisements"):truthy()
  expect(a.deprecated):eq(false)
  expect(a.valid_lft - a.preferred_lft, "the 50 s between the two"):eq(50)
  expect(a.preferred_lft):gt(0)
  expect(h.eth0:addr6()[1].valid_lft, "a link-local address never expires"):eq("forever")
  net:run(string.format("%ds", a.preferred_lft - 1))
  expect(autoconf(h).deprecated, "a second before"):eq(false)
  net:run("2s")
  a = autoconf(h)
  expect(a, "still there after its preferred lifetime"):truthy()
  expect(a.deprecated, "but deprecated"):eq(true)
  expect(a.state):eq("preferred")
  expect(a.preferred_lft):eq(0)
  net:run(string.format("%ds", a.valid_lft + 1))
  expect(autoconf(h), "gone after its valid lifetime"):falsy()
  -- its on-link prefix route went with the same lifetime
  for _, x in ipairs(h:routes()) do expect(x.dst, "no route for the prefix"):ne("2001:db8:a::/64") end
end)

test("a deprecated address still receives, but is not chosen as a source while another will do", function(net)
  local r, h, far = lan(net, {interval = "1800s", valid = "3600s", preferred = "3600s"})
  net:run("5s")
  local old = autoconf(h, "2001:db8:a:").addr
  -- Renumbering (RFC 4192): the router now offers a second prefix and ends
  -- the first one's preferred lifetime.
  r:addr6("eth0", "2001:db8:c::1/64")
  r.eth0:ra({prefix = "2001:db8:c::/64", interval = "1800s", valid = "3600s", preferred = "3600s"})
  net:run("5s")
  local new = autoconf(h, "2001:db8:c:").addr
  r.eth0:ra({prefix = "2001:db8:a::/64", interval = "1800s", valid = "3600s", preferred = "0s"})
  net:run("5s")
  expect(autoconf(h, "2001:db8:a:").deprecated):eq(true)
  expect(autoconf(h, "2001:db8:c:").deprecated):eq(false)
  -- RFC 6724 rule 3: the echo request leaves from the new address
  local f_new = lunet.filter("icmp6 and src host " .. new)
  local f_old = lunet.filter("icmp6 and src host " .. old)
  local n_new, n_old = 0, 0
  net:on("tx", function(e)
    if f_new:match(e.bytes) then n_new = n_new + 1 end
    if f_old:match(e.bytes) then n_old = n_old + 1 end
  end)
  local res = run_task(net, h, function() return h:ping("2001:db8:b::2", {count = 1, quiet = true}) end)
  expect(res.received):eq(1)
  expect(n_new, "from the preferred address"):ge(1)
  expect(n_old, "never from the deprecated one"):eq(0)
  -- the old address is still ours: far reaches it
  local back = run_task(net, far, function() return far:ping(old, {count = 1, quiet = true}) end)
  expect(back.received, "a deprecated address still answers"):eq(1)
  expect(n_old, "h's reply to far comes from the address far asked"):ge(1)
end)

test("an advertisement renews lifetimes, but cannot cut one below two hours (RFC 4862 5.5.3 e)", function(net)
  local r, h = lan(net, {interval = "1800s", valid = "86400s", preferred = "14400s"})
  net:run("5s")
  expect(autoconf(h).valid_lft):ge(86000)
  -- A forged or mistaken advertisement with a valid lifetime of 10 s:
  -- Linux keeps two hours.
  r.eth0:ra({interval = "1800s", valid = "10s", preferred = "5s"})
  net:run("5s")
  local a = autoconf(h)
  expect(a.valid_lft, "two hours, not 10 s"):ge(7190)
  expect(a.valid_lft):le(7200)
  expect(a.preferred_lft, "the preferred lifetime is taken as advertised"):le(5)
  net:run("10s")
  expect(autoconf(h).deprecated):eq(true)
  -- A longer one is taken as advertised; and preferred again.
  r.eth0:ra({interval = "1800s", valid = "infinity", preferred = "infinity"})
  net:run("5s")
  a = autoconf(h)
  expect(a.valid_lft):eq("forever")
  expect(a.deprecated, "preferred again"):eq(false)
end)

test("ra{} refuses lifetimes a router may not advertise", function(net)
  local r = net:router("r")
  local h = net:host("h")
  net:link(h, r)
  r:addr6("eth0", "2001:db8:a::1/64")
  expect(function() r.eth0:ra({valid = "10s", preferred = "20s"}) end)
    :raises("preferred lifetime 20s longer than the valid one 10s")
  expect(function() r.eth0:ra({valid = "1.5s"}) end):raises("must be whole seconds")
  expect(function() r.eth0:ra({valid = "forever"}) end):raises("valid")
end)
