-- faults_capture_errors.lua - a capture that cannot be written is an error
-- that names the file, not a silently truncated pcap (issue 8, fault 3).
-- /dev/full takes the file's header and then fails every write with
-- ENOSPC, as a full disk does.

local function two_hosts(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, h2, {delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  return h1, h2
end

local function err_of(fn)
  local ok, e = pcall(fn)
  expect(ok, "raised"):eq(false)
  return tostring(e)
end

test("net:run raises when a capture cannot be written", function(net)
  local h1 = two_hosts(net)
  local c = net:capture{iface = h1.eth0, file = "/dev/full"}
  h1:spawn(function() h1:ping("10.0.0.2", {count = 2, quiet = true}) end)
  local e = err_of(function() net:run() end)
  expect(e):matches('capture "/dev/full": write failed: No space left on device')
  -- the capture stays failed: flushing or closing it again says so
  e = err_of(function() c:flush() end)
  expect(e):matches('Capture:flush: capture "/dev/full": write failed')
  e = err_of(function() c:close() end)
  expect(e):matches('Capture:close: capture "/dev/full"')
  expect(tostring(c)):matches("closed")
end)

test("a failed capture stops the run at once", function(net)
  local h1 = two_hosts(net)
  net:capture{iface = h1.eth0, file = "/dev/full"}
  h1:spawn(function() h1:ping("10.0.0.2", {count = 1000, interval = "1s", quiet = true}) end)
  local e = err_of(function() net:run() end)
  expect(e):matches("write failed")
  -- 4 KiB of buffer hold a few dozen 98-byte pings: not 1000 s of them
  expect(net:now() < lunet.time("200s"), "stopped early at " .. lunet.fmt_time(net:now())):eq(true)
end)

test("a capture that works is not disturbed by one that fails", function(net)
  local h1, h2 = two_hosts(net)
  net:capture{iface = h1.eth0, file = "/dev/full"}
  local good = net:capture{iface = h2.eth0, file = "faults_capture_ok.pcap"}
  h1:spawn(function() h1:ping("10.0.0.2", {count = 2, quiet = true}) end)
  err_of(function() net:run() end)
  good:close()                      -- no error
  expect(good:count() > 0, "frames on h2"):eq(true)
  os.remove(good.path)
end)

test("net:close raises when a capture's last writes fail, once", function()
  local net = lunet.net{}
  local h1 = two_hosts(net)
  net:capture{iface = h1.eth0, file = "/dev/full"}
  local e = err_of(function() net:close() end)
  expect(e):matches('net:close: capture "/dev/full": write failed: No space left on device')
  -- the network is closed all the same, and a second close is quiet
  expect(tostring(net)):matches("closed")
  net:close()
end)
