-- http_dns.lua - lunet's DNS server and HTTP/1.1 server for real clients
-- (issue 16), run by http_dns.sh.
--
--   Linux 10.77.0.1 (lt0) ==TAP== v1 10.77.0.2
--
-- v1 serves the zone "lab" on port 53 (www.lab is a CNAME of server.lab;
-- big.lab has 40 addresses, more than 512 bytes: glibc must come back over
-- TCP) and HTTP on port 80, with chunked responses.  Linux's glibc
-- resolves through it (resolv.conf in the namespace names 10.77.0.2) and
-- curl fetches pages by name; v1 reports its servers' counters.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")

local net = lunet.net{}
local v1 = net:host("v1")
it.bridge(net, v1, {ip = "10.77.0.2/24"})

local big = {}
for i = 1, 40 do big[i] = "10.77.1." .. i end
local dns = assert(v1:dns_server{zone = {
  ["server.lab"] = "10.77.0.2",
  ["www.lab"] = {cname = "server.lab"},
  ["big.lab"] = big,
}})
local http = assert(v1:http_server(80, {chunked = true, routes = {
  ["/"] = "served by name\n",
  ["/chunks"] = function() return {"one,", "two,", "three\n"} end,
}}))

v1:spawn(function()
  it.ready()
  it.wait_file(it.dir .. "/linux_done", "60s")
  it.report("v_dns_queries", dns.queries, "v_dns_tcp", dns.tcp_queries, "v_dns_truncated", dns.truncated,
            "v_http_connections", http.connections, "v_http_requests", http.requests)
  expect(dns.truncated, "answers cut to 512 bytes"):eq(1)
  expect(dns.tcp_queries, "glibc came back over TCP"):eq(1)
  net:stop()
end)

it.run(net, "70s")
