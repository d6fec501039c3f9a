-- bench_lua_w1.lua - issue 15's W1 (one TCP connection sends 200,000,000
-- bytes to a sink) written with the stock applications, h:bulk_send and
-- h:sink, on bench_tcp.c's topology: client 10.1.1.1 - router - server
-- 10.1.2.2, two links of 1 Gbit/s and 5 ms, MTU 1500, queues of 100,000
-- packets, buffers of 4 MiB, cubic, ARP resolved before the start.  A
-- benchmark, not a test: tests/bench/bench_lua_w1.sh runs it beside
-- `bench_tcp w1` and prints both CPU times and their ratio.
--
-- Usage: lunet run tests/bench/bench_lua_w1.lua [scale]   (0.1 = 20 MB)
-- Prints: lua-w1 bytes B hash H cpu S simulated T
local scale = tonumber(arg and arg[1] or "") or 1
local total = math.floor(200000000 * scale)

local net = lunet.net{seed = 1}
local client, router, server = net:host("client"), net:router("router"), net:host("server")
local link = {bandwidth = "1Gbps", delay = "5ms", mtu = 1500, queue = 100000}
local function with_ip(a, b)
  local o = {ip = {a, b}}
  for k, v in pairs(link) do o[k] = v end
  return o
end
net:link(client, router, with_ip("10.1.1.1/24", "10.1.1.254/24"))
net:link(router, server, with_ip("10.1.2.254/24", "10.1.2.2/24"))
client:route("default", "10.1.1.254")
server:route("default", "10.1.2.254")
for _, h in ipairs{client, server} do
  h:sysctl("net.ipv4.tcp_rmem", {4194304, 4194304, 4194304})
  h:sysctl("net.ipv4.tcp_wmem", {4194304, 4194304, 4194304})
  h:sysctl("net.core.rmem_max", 4194304)
  h:sysctl("net.core.wmem_max", 4194304)
end
-- bench_tcp.c sets the entries along the path first, so that neither run
-- starts with frames queued behind an ARP request
local function mac(h, dev) return h:iface(dev).mac end
client:arp_set("10.1.1.254", mac(router, "eth0"), "eth0")
router:arp_set("10.1.1.1", mac(client, "eth0"), "eth0")
router:arp_set("10.1.2.2", mac(server, "eth0"), "eth1")
server:arp_set("10.1.2.254", mac(router, "eth1"), "eth0")

local got, sent
server:spawn(function() got = server:sink(5001, {quiet = true}) end)
client:spawn(function() sent = client:bulk_send("10.1.2.2", 5001, {bytes = total, quiet = true}) end)
local c0 = os.clock()
net:run()
local cpu = os.clock() - c0
assert(got and sent, "bench_lua_w1: the transfer did not finish")
assert(got.bytes == total and got.hash == lunet.hash(total),
       "bench_lua_w1: the sink got other bytes than were sent")
print(("lua-w1 bytes %d hash %016x cpu %.3f simulated %.3f"):format(got.bytes, got.hash, cpu,
                                                                  net:now() / 1e9))
