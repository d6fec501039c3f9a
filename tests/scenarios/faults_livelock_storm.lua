-- faults_livelock_storm.lua - a broadcast storm in a loop of switches over
-- links without delay or bandwidth limit never lets time pass; the
-- livelock error names the loop the frames go round, not a task that has
-- nothing to do with it (issue 8, fault 4).

local INSTANT = {bandwidth = 0, delay = 0}

local function livelock_of(net)
  local ok, e = pcall(net.run, net, "10s")
  expect(ok, "net:run raised"):eq(false)
  return tostring(e)
end

test("a storm in a loop of three switches names the loop", function(net)
  lunet.livelock = 20000
  local s1, s2, s3 = net:switch("s1"), net:switch("s2"), net:switch("s3")
  net:link(s1, s2, INSTANT)
  net:link(s2, s3, INSTANT)
  net:link(s3, s1, INSTANT)
  local h = net:host("h")
  net:link(h, s1, {bandwidth = 0, delay = 0, ip = {"10.0.0.1/24"}})
  h:spawn(function() h:ping("10.0.0.9", {count = 1, quiet = true}) end)
  local e = livelock_of(net)
  lunet.livelock = nil
  expect(e):matches("livelock: virtual time stuck at 0s for 20000 events")
  expect(e):matches("frames going round")
  for _, name in ipairs{"s1%.p1<%->s2%.p1", "s2%.p2<%->s3%.p1", "s3%.p2<%->s1%.p2"} do
    expect(e):matches(name)
  end
  -- the ping task only started it: it is not blamed
  expect(e:find("the task that ran last", 1, true), "no task blamed: " .. e):is_nil()
end)

test("a loop of two switches over two links", function(net)
  lunet.livelock = 20000
  local s1, s2 = net:switch("a"), net:switch("b")
  net:link(s1, s2, INSTANT)
  net:link(s1, s2, INSTANT)
  local h = net:host("h")
  net:link(h, s2, {bandwidth = 0, ip = {"10.0.0.1/24"}})
  h:spawn(function() h:ping("10.0.0.9", {count = 1, quiet = true}) end)
  local e = livelock_of(net)
  lunet.livelock = nil
  expect(e):matches("frames going round")
  expect(e):matches("a%.p1<%->b%.p1")
  expect(e):matches("a%.p2<%->b%.p2")
end)

test("a task that yields in a loop is still the one named", function(net)
  lunet.livelock = 20000
  local h = net:host("h")
  h:spawn(function() while true do coroutine.yield() end end)
  local e = livelock_of(net)
  lunet.livelock = nil
  expect(e):matches("the task that ran last: h, ")
  expect(e:find("frames going round", 1, true)):is_nil()
end)
