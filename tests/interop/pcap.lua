-- pcap.lua - a bridge through libpcap to an existing interface (issue 14):
-- net:bridge(h, {device = "lv1"}), run by pcap.sh.
--
--   Linux 10.78.0.1 (lv0) ==veth== lv1 (no address; lunet captures and
--   injects) == v1 10.78.0.2
--
-- v1 serves HTTP on port 80 for the driver's curl, pings Linux, and
-- reports the bridge's counters: what it read must be what Linux sent,
-- not also its own injections coming back (pcap_setdirection).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")

local net = lunet.net{}
local v1 = net:host("v1")
local b = net:bridge(v1, {device = it.args.dev or "lv1", ip = "10.78.0.2/24"})
expect(b.kind):eq("pcap")
expect(b.name):eq("pcap:" .. (it.args.dev or "lv1"))

v1:spawn(function() v1:http_server(80, {handler = function() return "served through libpcap\n" end}) end)
v1:spawn(function()
  it.ready()
  it.wait_go()
  local r = v1:ping("10.78.0.1", {count = 3, interval = "200ms", timeout = "3s", quiet = true})
  it.report("v_ping_received", r.received)
  expect(r.received, "echo replies from Linux through libpcap"):eq(3)
  it.wait_file(it.dir .. "/linux_done", "30s")
  local st = b:stats()
  it.report("b_in_frames", st.in_frames, "b_out_frames", st.out_frames,
            "b_in_dropped", st.in_dropped, "b_out_dropped", st.out_dropped)
  expect(st.out_dropped, "frames pcap_inject refused"):eq(0)
  -- No loop: every frame read came from Linux, so there are about as many
  -- as lunet sent (ARP, echoes, the HTTP exchange), never twice as many.
  expect(st.in_frames, "frames read (not our own injections again)"):lt(st.out_frames + 10)
  net:stop()
end)

it.run(net, "40s")
