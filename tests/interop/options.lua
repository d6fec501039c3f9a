-- options.lua - the TCP options a virtual host negotiates with Linux
-- (issue 14, scenario 2), run by options.sh.
--
--   Linux 10.77.0.1 (lt0) ==TAP== sw -- v1 10.77.0.2  defaults
--                                    -- v2 10.77.0.3  SACK, timestamps and
--                                    |                window scaling off
--                                    -- v3 10.77.0.4  a 1400-byte MTU and
--                                                     a 1 MiB receive buffer
--
-- Each host serves one connection on port 7001 (a Linux client connects:
-- Linux's SYN, our SYN-ACK) and makes one to Linux's port 7002 (our SYN,
-- Linux's SYN-ACK); each exchanges a line, then we close.  This script
-- asserts what each host negotiated (s:info()), and prints it as
-- "conn=... host=... ts= sack= snd_wscale= rcv_wscale= mss=" lines for
-- the driver, which compares it with the SYNs in a capture taken on the
-- Linux side and with Linux's own TCP_INFO.  lunet's own capture of the
-- bridge link goes to dir/lunet.pcap, for tshark's verdict.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")

local net = lunet.net{}
local sw = net:switch("sw")
local b = it.bridge(net, sw)
local hosts = {
  {name = "v1", ip = "10.77.0.2", mtu = 1500, opts = true},
  {name = "v2", ip = "10.77.0.3", mtu = 1500, opts = false},
  {name = "v3", ip = "10.77.0.4", mtu = 1400, opts = true, rmem = 1024 * 1024},
}
for _, h in ipairs(hosts) do
  h.node = net:host(h.name)
  net:link(h.node, sw, {ip = {h.ip .. "/24"}, mtu = h.mtu})
  -- A smaller buffer, a smaller window scale than Linux's: the driver can
  -- tell the two shifts apart.
  if h.rmem then h.node:sysctl("net.ipv4.tcp_rmem", {4096, 131072, h.rmem}) end
  if not h.opts then
    for _, k in ipairs({"tcp_sack", "tcp_timestamps", "tcp_window_scaling"}) do
      h.node:sysctl("net.ipv4." .. k, 0)
    end
  end
end
local cap = net:capture{link = b.link, file = it.dir .. "/lunet.pcap"}

-- What the host must have negotiated with Linux, which offers everything:
-- the options when the host offers them too, and an MSS of the smaller
-- MTU's, less 12 bytes for the timestamp option when it is on (the MSS
-- option itself is checked on the wire by the driver).
local function check(h, conn, info)
  local ws = info.wscale
  it.report("conn", conn, "host", h.name, "ts", info.ts, "sack", info.sack,
            "snd_wscale", ws and ws[1] or -1, "rcv_wscale", ws and ws[2] or -1,
            "mss", info.mss, "rcv_mss", info.rcv_mss, "adv_mss", info.adv_mss)
  local what = h.name .. " " .. conn .. ": "
  expect(info.ts, what .. "timestamps"):eq(h.opts)
  expect(info.sack, what .. "SACK"):eq(h.opts)
  expect(ws ~= nil, what .. "window scaling"):eq(h.opts)
  expect(info.mss, what .. "MSS (sending)"):eq(h.mtu - 40 - (h.opts and 12 or 0))
  -- As Linux's tcpi_advmss: the MSS option less the timestamps' 12 bytes.
  expect(info.adv_mss, what .. "MSS advertised"):eq(h.mtu - 40 - (h.opts and 12 or 0))
end

local done = 0
for _, h in ipairs(hosts) do
  local srv = assert(h.node:listen(7001))
  h.node:spawn(function()              -- Linux connects: "hello" back, close
    local c = assert(srv:accept({timeout = "20s"}))
    local line = c:receive("*l", {timeout = "10s"})
    expect(line, h.name .. " server: the line"):eq("hello")
    assert(c:send(line .. "\n"))
    check(h, "in", c:info())
    c:close()
    srv:close()
    done = done + 1
  end)
end

net:spawn(function()
  it.ready()
  it.wait_go()                         -- the Linux-side capture runs
  for _, h in ipairs(hosts) do         -- we connect to Linux, one at a time
    local s = assert(h.node:connect(it.LINUX, 7002, {timeout = "10s"}))
    assert(s:send("hello\n"))
    expect(s:receive("*l", {timeout = "10s"}), h.name .. " client: the echo"):eq("hello")
    check(h, "out", s:info())
    s:close()
    done = done + 1
  end
  while done < 2 * #hosts do lunet.sleep("20ms") end
  lunet.sleep("300ms")                 -- the closes
  cap:close()
  it.report("lunet_pcap_frames", cap:count())
  net:stop()
end)

it.run(net, "40s")
