-- ack_pattern.lua - how often a receiver ACKs a short bulk flow (issue 15:
-- "check W2's ACK pattern").  v1 sends `flows` flows of 100 kB at once to a
-- receiver 5 ms away on a 1 Gbit/s link, as bench_tcp's W2 does, and prints
-- how many segments the receiver sent back for the data segments it got.
--
--   receiver=linux    the namespace's own stack behind the bridge (run by
--                     ack_pattern.sh, which starts a Linux reader)
--   receiver=virtual  a virtual host, v2
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local args = {}
for _, a in ipairs(lunet.args) do
  local k, v = a:match("^([%w_]+)=(.*)$")
  if k then args[k] = v end
end
local FLOWS = tonumber(args.flows or "1")
local SIZE = 100000
local linux = args.receiver == "linux"
local it = linux and dofile(here .. "../interop/common.lua")

local net = lunet.net{}
local v1 = net:host("v1")
local dst = "10.77.0.1"
if linux then
  it.bridge(net, v1, {ip = "10.77.0.2/24", delay = "5ms", bandwidth = "1Gbit"})
else
  local v2 = net:host("v2")
  net:link(v1, v2, {delay = "5ms", bandwidth = "1Gbit"})
  v1:ifaces()[1]:addr("10.77.0.2/24")
  v2:ifaces()[1]:addr(dst .. "/24")
  v2:spawn(function()
    local l = assert(v2:listen(5001, {backlog = 4096}))
    for _ = 1, FLOWS do
      local c = assert(l:accept())
      v2:spawn(function()
        while c:receive() do end
        c:close()
      end)
    end
  end)
end

v1:spawn(function()
  if linux then
    it.ready()
    it.wait_go()
  end
  local before, done = v1:netstat(), 0
  local payload = string.rep("x", SIZE)
  for _ = 1, FLOWS do
    v1:spawn(function()
      local c = assert(v1:connect(dst, 5001))
      assert(c:send(payload))
      assert(c:shutdown("send"))
      while c:receive() do end         -- until the receiver read it all and closed
      c:close()
      done = done + 1
    end)
  end
  while done < FLOWS do lunet.sleep("10ms") end
  lunet.sleep("100ms")                 -- the last ACKs
  local after = v1:netstat()
  -- What v1 sent: a SYN, an ACK and a FIN per flow besides the data; what
  -- it got: a SYN-ACK and a FIN per flow besides the ACKs.
  local data = after.TcpOutSegs - before.TcpOutSegs - after.TcpRetransSegs + before.TcpRetransSegs
               - 3 * FLOWS
  local acks = after.TcpInSegs - before.TcpInSegs - 2 * FLOWS
  print(string.format("receiver=%s flows=%d data_segments=%d acks=%d per_segment=%.2f",
                      args.receiver or "virtual", FLOWS, data, acks, acks / data))
  net:stop()
end)
net:run("30s")
