-- transfer.lua - bulk data both ways between Linux and a virtual host
-- through the bridge (issue 14, scenarios 1 and 3), run by transfer.sh and
-- loss.sh.
--
--   Linux 10.77.0.1 (lt0) ==TAP== v1 10.77.0.2
--
-- 1. A Linux client connects to v1:5001 and both ends send a file at the
--    same time (full duplex), each closing its side when done.
-- 2. v1 connects to a Linux server at 10.77.0.1:5002 and does the same.
-- What v1 receives goes to dir/v_recv_{a,b}.bin; the driver compares
-- sha256 sums with what Linux sent, and Linux's received files with
-- dir/virt.bin, which v1 sends.  The link's options come from the
-- arguments (loss=2% reorder=5% delay=2ms jitter=1ms ...): impairments on
-- real traffic.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")

local SIZE = it.num("size", 10 * 1024 * 1024)
local link = {}
for _, k in ipairs({"loss", "reorder", "reorder_delay", "delay", "jitter", "duplicate", "bandwidth"}) do
  link[k] = it.args[k]
end
local net = lunet.net{}
local v1 = net:host("v1")
local b = it.bridge(net, v1, {ip = "10.77.0.2/24", delay = link.delay, jitter = link.jitter,
                              loss = link.loss, reorder = link.reorder,
                              reorder_delay = link.reorder_delay, duplicate = link.duplicate,
                              bandwidth = link.bandwidth})

-- Send the file and read to EOF at once, in two tasks (one may wait to
-- write while the other waits to read: docs/lua-api.md).
local function duplex(sock, recv_path)
  local sent
  local t = v1:spawn(function()
    sent = it.send_file(sock, it.dir .. "/virt.bin")
    assert(sock:shutdown("send"))
  end)
  local t0 = lunet.now()
  local n, _, err = it.recv_all(sock, recv_path)
  while not t:done() do lunet.sleep("10ms") end
  expect(t:error(), "the sending task's error"):is_nil()
  -- Linux's peer shuts its sending side once it has sent, so its FIN may
  -- come before it has read all of ours: wait until everything we sent, our
  -- FIN included, is acknowledged.  The script ends soon after, and with it
  -- whatever is still unacknowledged (a busy machine cut Linux's file short).
  local deadline = lunet.now() + lunet.time("20s")
  while sock:info().unacked > 0 and lunet.now() < deadline do lunet.sleep("10ms") end
  expect(sock:info().unacked, "segments Linux has not acknowledged"):eq(0)
  local info = sock:info()
  sock:close()
  return {received = n, sent = sent, err = err, seconds = (lunet.now() - t0) / 1e9, info = info}
end

local function show(tag, r)
  it.report(tag .. "_received", r.received, tag .. "_sent", r.sent,
            tag .. "_seconds", string.format("%.3f", r.seconds),
            tag .. "_mbps", string.format("%.1f", (r.received + r.sent) * 8 / r.seconds / 1e6),
            tag .. "_retrans", r.info.total_retrans)
end

v1:spawn(function()
  local srv = assert(v1:listen(5001))
  it.ready()

  -- 1. Linux connects to us.
  local c = assert(srv:accept({timeout = "20s"}))
  local a = duplex(c, it.dir .. "/v_recv_a.bin")
  show("a", a)
  expect(a.err, "A: how the Linux client's data ended"):eq("closed")
  expect(a.received, "A: bytes from the Linux client"):eq(SIZE)
  srv:close()

  -- 2. We connect to Linux.
  local s = assert(v1:connect(it.LINUX, 5002, {timeout = "10s"}))
  local bb = duplex(s, it.dir .. "/v_recv_b.bin")
  show("b", bb)
  expect(bb.err, "B: how the Linux server's data ended"):eq("closed")
  expect(bb.received, "B: bytes from the Linux server"):eq(SIZE)

  lunet.sleep("200ms")                 -- the last ACKs and FINs
  local ns = v1:netstat()
  it.report("v_TcpRetransSegs", ns.TcpRetransSegs, "v_TcpExtTCPSackRecovery", ns.TcpExtTCPSackRecovery,
            "v_TcpExtTCPFastRetrans", ns.TcpExtTCPFastRetrans, "v_TcpExtTCPTimeouts", ns.TcpExtTCPTimeouts,
            "v_TcpExtTCPDSACKRecv", ns.TcpExtTCPDSACKRecv, "v_TcpExtTCPLossProbes", ns.TcpExtTCPLossProbes,
            "v_TcpExtTCPOFOQueue", ns.TcpExtTCPOFOQueue)
  local ls = b.link:stats()
  it.report("link_lost_to_linux", ls.ab.dropped_loss, "link_lost_to_virtual", ls.ba.dropped_loss,
            "link_reordered", ls.ab.reordered + ls.ba.reordered)
  local bs = b:stats()
  it.report("bridge_in_frames", bs.in_frames, "bridge_out_frames", bs.out_frames,
            "bridge_in_dropped", bs.in_dropped, "bridge_out_dropped", bs.out_dropped)
  -- Every frame that reached the device was written to it.
  expect(bs.out_dropped, "frames the TAP refused"):eq(0)
  expect(bs.in_dropped, "frames from the TAP refused"):eq(0)
  if it.args.loss then
    -- The impairment really applied, and TCP recovered from it.
    expect(ls.ab.dropped_loss + ls.ba.dropped_loss, "frames the link lost"):gt(0)
    expect(ns.TcpRetransSegs, "v1 retransmitted"):gt(0)
  end
  net:stop()
end)

it.run(net, "50s")
