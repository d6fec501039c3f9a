-- tcp6.lua - TCP over IPv6 between lunet and Linux (issue 16), run by
-- tcp6.sh.
--
--   Linux 2001:db8:77::1 (lt0) ==TAP== v1 2001:db8:77::2
--
-- v1 serves HTTP on [::]:80 for Linux's curl -6, then (after "go") sends
-- 200000 bytes of the stack's pattern to a Linux server on
-- [2001:db8:77::1]:9000, which checks them.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")

local net = lunet.net{}
local v1 = net:host("v1")
it.bridge(net, v1, {ip = "10.77.0.2/24"})
v1:addr6("2001:db8:77::2/64")

local http = assert(v1:http_server(80, {addr = "::", routes = {["/"] = "hello over IPv6\n"}}))

v1:spawn(function()
  lunet.sleep("2s")                          -- duplicate address detection
  it.ready()
  it.wait_go("40s")
  local r, err = v1:bulk_send("2001:db8:77::1", 9000, {bytes = 200000, quiet = true, timeout = "10s"})
  it.report("v_sent", r and r.bytes or -1, "v_err", err and 1 or 0, "v_http_requests", http.requests,
            "v_mss", r and r.info.mss or 0)
  net:stop()
end)

it.run(net, "60s")
