-- harness.lua - the assertion library itself: every matcher passes and
-- fails as documented, failure messages name this file's line and the
-- virtual time, eventually() works in and outside tasks.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local T = require("lunet.test")
local run_task = T.run_task

-- The message of the error fn raises (or nil).
local function failure(fn)
  local ok, err = pcall(fn)
  if ok then return nil end
  return tostring(err)
end

test("matchers that hold return silently and chain", function()
  expect(3):eq(3):ne(4):gt(2):ge(3):lt(4):le(3)
  expect(1.05):near(1, 0.06)
  expect(5):within(5, 6)
  expect(0):truthy()                       -- 0 is true in Lua
  expect(false):falsy()
  expect(nil):is_nil()
  expect("10.0.0.1"):matches("^10%.")
  expect({1, 2, 3}):contains(2)
  expect("hello world"):contains("o w")
  expect({{a = 1}}):contains({a = 1})
  expect({a = {1, 2}, b = "x"}):eq({b = "x", a = {1, 2}})
  expect(function() error("boom 42") end):raises("boom %d+")
end)

test("failure messages: file:line, time, seen, matcher, expected", function(net)
  local line = debug.getinfo(1, "l").currentline + 1
  local msg = failure(function() expect(2):eq(3) end)
  -- (the path is the one lunet test was given: relative or absolute)
  expect(msg):matches(string.format("harness%%.lua:%d: at t=%s: expected 2 to equal 3$",
                                    line, lunet.fmt_time(0)))
  net:run("1500ms")
  msg = failure(function() expect(1, "rtt"):gt(2) end)
  expect(msg):matches(":%d+: at t=" .. lunet.fmt_time(1500000000):gsub("%p", "%%%0") .. ": rtt: expected 1 to be greater than 2$")
end)

test("each matcher's failure", function()
  local cases = {
    {function() expect(1):ne(1) end, "expected 1 to not equal 1"},
    {function() expect(1):ge(2) end, "expected 1 to be at least 2"},
    {function() expect(3):lt(2) end, "expected 3 to be less than 2"},
    {function() expect(3):le(2) end, "expected 3 to be at most 2"},
    {function() expect(1.5):near(1, 0.1) end, "expected 1.5 to be near 1 %(%+%-0.1%)"},
    {function() expect(7):within(1, 5) end, "expected 7 to be within %[1, 5%]"},
    {function() expect(nil):truthy() end, "expected nil to be truthy"},
    {function() expect(0):falsy() end, "expected 0 to be falsy"},
    {function() expect(false):is_nil() end, "expected false to be nil"},
    {function() expect("abc"):matches("^b") end, 'expected "abc" to match "%^b"'},
    {function() expect({1, 2}):contains(3) end, "expected {1, 2} to contain 3"},
    {function() expect(function() end):raises("x") end, "expected function to raise an error matching \"x\", but it returned"},
    {function() expect(function() error("y") end):raises("x") end, 'expected error ".-y" to match "x"'},
    {function() expect("3"):gt(2) end, 'expected "3" to be a number'},
    {function() expect({a = 1, b = {c = "d"}}):eq({}) end, 'expected {a=1, b={c="d"}} to equal {}'},
  }
  for i, c in ipairs(cases) do
    local msg = failure(c[1])
    expect(msg, "case " .. i .. " failed"):truthy()
    expect(msg, "case " .. i):matches(c[2])
  end
end)

test("eventually, outside a task: drives the network", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "10ms"})
  local done = false
  lab.h1:spawn(function() lab.h1:ping(lab.h2_ip, {count = 1, quiet = true}); done = true end)
  eventually(function() return done end, "1s")
  -- 20 ms RTT plus 20 ms for ARP, polled every millisecond
  expect(net:now()):within(40000000, 41000000)
  local msg = failure(function() eventually(function() return false end, "5s") end)
  expect(msg):matches("harness.lua:%d+: at t=.*condition not met within 5s$")
  expect(net:now()):ge(5040000000)
end)

test("eventually, inside a task: sleeps 1 ms at a time", function(net)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {delay = "10ms"})
  local flag = false
  net:spawn(function() lunet.sleep("300ms"); flag = true end)
  local t = run_task(net, lab.h1, function()
    eventually(function() return flag end, "1s")
    return lunet.now()
  end)
  expect(t):eq(300000000)
  local ok, err = pcall(run_task, net, lab.h1, function()
    eventually(function() return false end, "50ms")
  end)
  expect(ok):falsy()
  expect(tostring(err)):matches("condition not met within 50ms")
end)

test("skip() inside a test marks it skipped", function()
  local msg = failure(function() skip("not here") end)
  expect(msg):matches("lunet%.skip: not here")
end)

test("run_task returns the task's values and raises its errors", function(net)
  local h = net:host("h")
  local a, b = run_task(net, h, function(x) lunet.sleep("1s"); return x, x * 2 end, 21)
  expect({a, b}):eq({21, 42})
  expect(function()
    run_task(net, h, function() error("inside the task") end)
  end):raises("inside the task")
end)

test("format: compact tables, quoted strings, floats", function()
  expect(T.format({1, "a", x = true})):eq('{1, "a", x=true}')
  expect(T.format("a\nb")):eq('"a\\nb"')
  expect(T.format(0.1)):eq("0.1")
  -- floats with all the digits needed to tell them apart
  expect(T.format(1 / 3)):eq("0.33333333333333331")
  expect(T.format(2^53)):eq("9007199254740992")
  expect(T.format(3)):eq("3")
end)
