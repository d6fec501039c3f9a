-- lunet.test - assertions and the `lunet test` runner.
--
-- Two halves:
--   * the assertion globals that `lunet run` and `lunet test` install:
--     expect(v [, label]):<matcher>(...), eventually(fn, within [, net]),
--     test(name, fn), skip(reason);
--   * main(args), called by the C side for `lunet test PATH...`: collects
--     *.lua files (a missing path: exit 2), runs each in its own
--     environment, runs every registered test in a fresh network, prints
--     one line per test (or TAP), optionally writes JUnit XML, and returns
--     the exit code.  What a test prints is kept and shown only if it
--     fails (or with -v); durations are wall-clock time (lunet.wallclock).
--
-- A failed expectation raises a plain string
--   "scripts/ping.lua:12: at t=3.000200s: expected 2 to equal 3"
-- naming the scenario's line (the first stack frame outside this file) and
-- the virtual time of the network the check ran in.  Strings, not error
-- objects, because failures inside tasks travel through the C binding
-- (net:run re-raises a task's error), which keeps messages but not tables.
--
-- Seeds: main() sets lunet.default_seed to the --seed given to `lunet test`
-- (the binding's lunet.net{} reads it), so scenarios that build their own
-- networks are reproducible with the same command line.
--
-- Failures and errors: fail() notes every message it raises, so that a
-- failed expectation (JUnit <failure>) can be told from any other error
-- (<error>: a Lua error, a timeout, an expect() left without a matcher)
-- after it has come back as a plain string.
--
-- Captures: --pcap DIR turns on lunet.pcap_auto and gives every file its own
-- DIR/<path of the file without .lua>/ (and every test a subdirectory named
-- after it) as lunet.pcap_dir, so tests do not overwrite each other's pcaps.
-- Without --pcap or $LUNET_PCAP_DIR, lunet.pcap_dir is a temporary
-- directory removed at the end: a test run writes nothing where it runs.
--
-- Colour: the one-line results and the summary are painted through
-- lunet.term (on a terminal only, --color=WORD overrides); TAP and JUnit
-- never are.

local M = {}

local SELF = debug.getinfo(1, "S").source

local term = require("lunet.term")

local function L()
  return package.loaded["lunet"] or rawget(_G, "lunet")
end

-- The network the current test runs in (set by main, test and run_task);
-- otherwise lunet.current_net() (the task's, or the newest) is asked.
local current_net

------------------------------------------------------------------------
-- Formatting values compactly
------------------------------------------------------------------------

local function fmt_number(x)
  if math.type(x) == "integer" then return tostring(x) end
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  local s = string.format("%.14g", x)
  if tonumber(s) ~= x then s = string.format("%.17g", x) end
  return s
end

local function is_ident(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

local fmt

local function fmt_table(t, depth, seen)
  if seen[t] then return "{...}" end
  if depth > 3 then return "{...}" end
  seen[t] = true
  local parts, n = {}, #t
  for i = 1, n do parts[#parts + 1] = fmt(t[i], depth + 1, seen) end
  local keys = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  for _, k in ipairs(keys) do
    local ks = is_ident(k) and k or ("[" .. fmt(k, depth + 1, seen) .. "]")
    parts[#parts + 1] = ks .. "=" .. fmt(t[k], depth + 1, seen)
  end
  seen[t] = nil
  local s = "{" .. table.concat(parts, ", ") .. "}"
  if #s > 300 then s = s:sub(1, 296) .. "...}" end
  return s
end

fmt = function(v, depth, seen)
  depth, seen = depth or 0, seen or {}
  local tv = type(v)
  if tv == "string" then
    local s = string.format("%q", v):gsub("\\\n", "\\n")
    if #s > 200 then s = s:sub(1, 196) .. "...\"" end
    return s
  elseif tv == "number" then
    return fmt_number(v)
  elseif tv == "table" and not getmetatable(v) then
    return fmt_table(v, depth, seen)
  else
    return tostring(v)
  end
end
M.format = fmt

------------------------------------------------------------------------
-- Where and when a check ran
------------------------------------------------------------------------

-- file:line of the first Lua frame outside this file.
local function caller_pos()
  local level = 2
  while true do
    local info = debug.getinfo(level, "Sl")
    if not info then return "?" end
    if info.source ~= SELF and info.what ~= "C" and (info.currentline or -1) > 0 then
      return info.short_src .. ":" .. info.currentline
    end
    level = level + 1
  end
end

local function in_task()
  local _, main = coroutine.running()
  return not main and coroutine.isyieldable()
end

local function fmt_time(ns)
  local lunet = L()
  if lunet and lunet.fmt_time then
    local ok, s = pcall(lunet.fmt_time, ns)
    if ok then return s end
  end
  return string.format("%.9fs", ns / 1e9)
end

-- Virtual time of the network the check runs in, or nil: the task's
-- network, else the test's network, else the most recently created one.
local function virtual_now()
  local lunet = L()
  local net = nil
  if not in_task() then net = current_net end
  if not net and lunet and lunet.current_net then
    local ok, n = pcall(lunet.current_net)
    if ok then net = n end
  end
  if net then
    local ok, t = pcall(net.now, net)
    if ok and type(t) == "number" then return t end
  end
  return nil
end

-- Every message fail() raised, so that the runner can tell a failed
-- expectation (JUnit <failure>) from any other error (<error>) once the
-- message has travelled through a task and net:run as a plain string.
-- The runner empties it before each test.
local raised = {}

local function fail(text, label)
  local msg = caller_pos() .. ": "
  local t = virtual_now()
  if t then msg = msg .. "at t=" .. fmt_time(t) .. ": " end
  if label then msg = msg .. tostring(label) .. ": " end
  msg = msg .. text
  raised[msg] = true
  error(msg, 0)
end
M.fail = fail

-- Was msg raised by fail() (a failed expect or eventually)?
function M.is_failure(msg)
  return type(msg) == "string" and raised[msg] == true
end

------------------------------------------------------------------------
-- expect
------------------------------------------------------------------------

local function deep_eq(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  if getmetatable(a) or getmetatable(b) then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deep_eq(v, b[k], seen) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.deep_eq = deep_eq

local Expect = {}
Expect.__index = Expect

local function check(self, ok, verb, expected_text)
  if not ok then
    local text = "expected " .. fmt(self.v) .. " to " .. verb
    if expected_text then text = text .. " " .. expected_text end
    fail(text, self.label)
  end
  return self
end

local function need_number(self, name, x)
  if type(self.v) ~= "number" then
    fail("expected " .. fmt(self.v) .. " to be a number (for " .. name .. ")", self.label)
  end
  if x ~= nil and type(x) ~= "number" then
    error("expect():" .. name .. ": argument must be a number, got " .. type(x), 3)
  end
end

function Expect:eq(x) return check(self, deep_eq(self.v, x), "equal", fmt(x)) end
function Expect:ne(x) return check(self, not deep_eq(self.v, x), "not equal", fmt(x)) end
function Expect:gt(x) need_number(self, "gt", x); return check(self, self.v > x, "be greater than", fmt(x)) end
function Expect:ge(x) need_number(self, "ge", x); return check(self, self.v >= x, "be at least", fmt(x)) end
function Expect:lt(x) need_number(self, "lt", x); return check(self, self.v < x, "be less than", fmt(x)) end
function Expect:le(x) need_number(self, "le", x); return check(self, self.v <= x, "be at most", fmt(x)) end

function Expect:near(x, tol)
  need_number(self, "near", x)
  if type(tol) ~= "number" or tol < 0 then
    error("expect():near: tolerance must be a number >= 0", 2)
  end
  return check(self, math.abs(self.v - x) <= tol, "be near",
               fmt(x) .. " (+-" .. fmt(tol) .. ")")
end

function Expect:within(lo, hi)
  need_number(self, "within", lo)
  if type(hi) ~= "number" then error("expect():within: hi must be a number", 2) end
  return check(self, self.v >= lo and self.v <= hi, "be within",
               "[" .. fmt(lo) .. ", " .. fmt(hi) .. "]")
end

function Expect:truthy() return check(self, self.v and true or false, "be truthy") end
function Expect:falsy() return check(self, not self.v, "be falsy") end
function Expect:is_nil() return check(self, self.v == nil, "be nil") end

function Expect:matches(pat)
  if type(self.v) ~= "string" then
    fail("expected " .. fmt(self.v) .. " to be a string matching " .. fmt(pat), self.label)
  end
  return check(self, self.v:find(pat) ~= nil, "match", fmt(pat))
end

function Expect:contains(x)
  local v = self.v
  local ok = false
  if type(v) == "string" then
    ok = type(x) == "string" and v:find(x, 1, true) ~= nil
  elseif type(v) == "table" then
    for _, e in ipairs(v) do
      if deep_eq(e, x) then ok = true; break end
    end
  end
  return check(self, ok, "contain", fmt(x))
end

function Expect:raises(pat)
  if type(self.v) ~= "function" then
    fail("expected " .. fmt(self.v) .. " to be a function (for raises)", self.label)
  end
  local ok, err = pcall(self.v)
  if ok then
    fail("expected function to raise an error" ..
         (pat and (" matching " .. fmt(pat)) or "") .. ", but it returned", self.label)
  end
  local msg = tostring(err)
  if pat and not msg:find(pat) then
    fail("expected error " .. fmt(msg) .. " to match " .. fmt(pat), self.label)
  end
  return self
end

-- expect(sock):state("TIME_WAIT"): a TCP socket's state, by its RFC 9293
-- name (as sock:info().state and ss print it).
function Expect:state(want)
  local v = self.v
  local ok, info = pcall(function() return v:info() end)
  if not ok or type(info) ~= "table" or not info.state then
    if tostring(v):find("%(closed%)") then
      fail("expected " .. fmt(v) .. " to be in state " .. fmt(want) .. ", but it was closed by the script "
           .. "(what the stack still holds, such as TIME_WAIT, is in h:sockets())", self.label)
    end
    fail("expected " .. fmt(v) .. " to be a socket (for state)", self.label)
  end
  return check(self, info.state == want, "be in state", fmt(want) .. " (it is " .. info.state .. ")")
end

-- `expect(a == b)` alone checks nothing, and would pass in silence.  So
-- every expectation is noted here with where it was made until one of its
-- matchers runs, and the end of a test (the runner's, or test() under
-- `lunet run`) raises for any left: an error, not a failure, since the test
-- itself is wrong.  A strong table on purpose: the object of a bare
-- `expect(x)` is garbage at once, and a weak one would forget it.
local unmatched = {}   -- expectation -> {n = order made, func =, currentline =}
local made = 0

for name, f in pairs(Expect) do
  if name ~= "__index" then
    -- a tail call: errors raised at level 2 still name the caller's line
    Expect[name] = function(self, ...)
      if self ~= nil then unmatched[self] = nil end
      return f(self, ...)
    end
  end
end

function M.expect(v, label)
  local e = setmetatable({ v = v, label = label }, Expect)
  made = made + 1
  -- the caller's function and line, cheap; its file only if reported
  local at = debug.getinfo(2, "fl")
  if not at or (at.currentline or -1) <= 0 then at = { pos = caller_pos() } end
  at.n = made
  unmatched[e] = at
  return e
end

-- Forget the expectations made so far (the runner, before a test).
function M.reset_checks()
  unmatched = {}
  raised = {}
end

-- nil, or the message for the expectations made since reset_checks()
-- that no matcher was called on; forgets them either way.
function M.unmatched_error()
  local list = {}
  for _, u in pairs(unmatched) do list[#list + 1] = u end
  unmatched = {}
  if #list == 0 then return nil end
  table.sort(list, function(a, b) return a.n < b.n end)
  local where = {}
  for i, u in ipairs(list) do
    where[i] = u.pos or (debug.getinfo(u.func, "S").short_src .. ":" .. u.currentline)
  end
  local msg = "expect(...) at " .. where[1] .. " has no matcher (use :eq, :truthy, ...)"
  if #where > 1 then msg = msg .. "; also at " .. table.concat(where, ", ", 2) end
  return msg
end

------------------------------------------------------------------------
-- eventually
------------------------------------------------------------------------

local function to_ns(x, what)
  local lunet = L()
  if math.type(x) == "integer" and not lunet then return x end
  local ok, ns = pcall(lunet.time, x)
  if not ok then
    local m = tostring(ns)          -- without lunet.time's "bad argument" wrapper
    error(what .. ": " .. (m:match("^bad argument #%d+ to '[^']*' %((.*)%)$") or m), 3)
  end
  return ns
end

function M.eventually(fn, within, net)
  if type(fn) ~= "function" then error("eventually: first argument must be a function", 2) end
  within = within or "5s"
  local span = to_ns(within, "eventually")
  local shown = type(within) == "string" and within or fmt_time(span)
  local lunet = L()
  if in_task() then
    local deadline = lunet.now() + span
    while true do
      if fn() then return true end
      if lunet.now() >= deadline then break end
      lunet.sleep("1ms")
    end
  else
    net = net or current_net
    if not net and lunet.current_net then net = lunet.current_net() end
    if not net then
      error("eventually: not inside a task and no network to drive (pass one)", 2)
    end
    local deadline = net:now() + span
    while true do
      if fn() then return true end
      if net:now() >= deadline then break end
      net:run("1ms")
    end
  end
  fail("condition not met within " .. shown)
end

------------------------------------------------------------------------
-- test / skip
------------------------------------------------------------------------

local SkipMT = {}
SkipMT.__index = SkipMT
SkipMT.__tostring = function(s) return "lunet.skip: " .. s.reason end

function M.skip(reason)
  error(setmetatable({ reason = tostring(reason or "skipped") }, SkipMT), 0)
end

-- The reason if err is a skip (the object, or its text after a trip
-- through C as a string), else nil.
local function skip_reason(err)
  if getmetatable(err) == SkipMT then return err.reason end
  if type(err) == "string" then
    local r = err:match("lunet%.skip: ([^\n]*)")
    if r then return r end
  end
  return nil
end

local collector  -- list of {name=, fn=} while main() loads a file

-- Run fn(...) as a task on `node` (a network task when node is nil), drive
-- `net` until the task returns (it stops the network then), and return
-- its results; an error in the task is raised here, at the task's line.
--   local r = run_task(net, h1, function() return h1:ping("10.0.0.2") end)
function M.run_task(net, node, fn, ...)
  local res
  local function body(...)
    res = table.pack(fn(...))
    net:stop()
  end
  local t
  if node then t = node:spawn(body, ...) else t = net:spawn(body, ...) end
  local prev = current_net
  current_net = current_net or net
  local ok, err = pcall(net.run, net)
  current_net = prev
  if not ok then error(err, 0) end
  if not res then
    local terr = t:error()
    if terr then error(terr, 0) end
    error("run_task: the network went idle with the task still waiting", 2)
  end
  return table.unpack(res, 1, res.n)
end

function M.test(name, fn)
  if type(name) ~= "string" then error("test: name must be a string", 2) end
  if type(fn) ~= "function" then error("test: second argument must be a function", 2) end
  if collector then
    collector[#collector + 1] = { name = name, fn = fn }
    return
  end
  -- Outside `lunet test` (e.g. `lunet run`): run it now; a failure stops
  -- the script like any error.
  local lunet = L()
  local net = lunet.net{}
  local prev = current_net
  current_net = net
  local outer = unmatched          -- a test() inside a test: theirs stay
  unmatched = {}
  local ok, err = pcall(fn, net)
  current_net = prev
  if net.close then pcall(net.close, net) end
  local nomatch = M.unmatched_error()
  unmatched = outer
  if ok and nomatch then ok, err = false, nomatch end
  local why = not ok and skip_reason(err)
  if why then
    print(term.paint("stdout", "yellow", "skip") .. " " .. name .. ": " .. why)
  elseif not ok then
    error(err, 0)
  else
    print(term.paint("stdout", "green", "ok") .. "   " .. name)
  end
end

------------------------------------------------------------------------
-- Event logs: record(net) keeps the events of a network so a test can ask
-- questions of them afterwards ("frames dropped with reason backlog full",
-- "the flags between h1 and h2 in order", "RSTs from h2").
------------------------------------------------------------------------

local Log = {}
Log.__index = Log

-- Does event e have every field of the query q?  A value may be a
-- function (a predicate on the field); `where` is one on the whole event;
-- a Node, Iface or Link stands for its name.
local function event_matches(e, q)
  for k, want in pairs(q) do
    if k ~= "where" then
      local got = e[k]
      if type(want) == "function" then
        if not want(got) then return false end
      else
        if type(want) == "userdata" and want.name then want = want.name end
        if got ~= want then return false end
      end
    end
  end
  -- last, so that it sees only events the fields already chose
  return q.where == nil or q.where(e) and true or false
end

-- log:select(q) -> the matching events, in order; log:count(q) -> how many
function Log:select(q)
  local out = {}
  for _, e in ipairs(self.events) do
    if event_matches(e, q or {}) then out[#out + 1] = e end
  end
  return out
end
function Log:count(q) return #self:select(q) end

-- log:flags(a, b) -> the TCP flags of the segments a and b sent each other,
-- in the order they were sent ({"S", "S.", ".", "P.", ...}); with
-- {arrows = true}: {"a > b S", "b > a S.", ...}.
function Log:flags(a, b, o)
  a = type(a) == "userdata" and a.name or a
  b = type(b) == "userdata" and b.name or b
  local ip = {}
  local net = self.net
  for _, n in ipairs(net:nodes()) do if n.name == a or n.name == b then ip[n.name] = n:ip() end end
  local out = {}
  for _, e in ipairs(self.events) do
    if e.type == "tx" and e.proto == "tcp" and (e.node == a or e.node == b) and e.layer == "l2" then
      local other = e.node == a and b or a
      if e.dst == ip[other] and e.src == ip[e.node] then
        out[#out + 1] = (o and o.arrows) and (e.node .. " > " .. other .. " " .. e.flags) or e.flags
      end
    end
  end
  return out
end

function Log:stop()
  if self.id then self.net:off(self.id); self.id = nil end
  return self
end

Log.__tostring = function(l) return "lunet.test.Log(" .. #l.events .. " events)" end

-- record(net [, type]) -> a Log of the events of `type` ("all" by default,
-- or one of net:on's types) from now on.
function M.record(net, ty)
  local log = setmetatable({ net = net, events = {} }, Log)
  log.id = net:on(ty or "all", function(e) log.events[#log.events + 1] = e end)
  return log
end

local GLOBALS = { "expect", "eventually", "test", "skip", "record" }

function M.install_globals(env)
  env = env or _G
  for _, k in ipairs(GLOBALS) do env[k] = M[k] end
  -- Node methods (ping, traceroute) and lunet.topology, if the binding has
  -- not loaded them already.
  pcall(require, "lunet.apps")
  pcall(require, "lunet.topo")
  return env
end

------------------------------------------------------------------------
-- Seed
------------------------------------------------------------------------

M.seed = 1

-- lunet.net{} without a seed takes lunet.default_seed (read by the binding).
function M.set_seed(seed)
  M.seed = seed
  local lunet = L()
  if lunet then lunet.default_seed = seed end
end

------------------------------------------------------------------------
-- The runner
------------------------------------------------------------------------

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- "file", "dir", or nil, err
local function path_kind(p)
  local f, err = io.open(p, "r")
  if not f then return nil, err end
  local ok, rerr, code = f:read(0)
  f:close()
  if ok == nil and code == 21 then return "dir" end
  if ok == nil and rerr and rerr:find("directory") then return "dir" end
  return "file"
end

local function list_lua(dir)
  local out = {}
  local p = io.popen("find " .. shell_quote(dir) .. " -type f -name '*.lua' 2>/dev/null")
  if p then
    for line in p:lines() do out[#out + 1] = line end
    p:close()
  end
  table.sort(out)
  return out
end

local function stem(path)
  return (path:match("([^/]+)$") or path):gsub("%.lua$", "")
end

-- s as XML 1.0 text (attr: an attribute value) that a parser accepts
-- whatever a test printed: colour codes go; bytes that are not UTF-8, the
-- control characters XML 1.0 forbids (below 0x20 but tab, LF and CR) and
-- U+FFFE/U+FFFF become "?"; CR is kept as a reference (a parser would
-- turn a raw one into LF), and so are tab and LF in an attribute.
local XML_ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                  ["'"] = "&apos;", ["\r"] = "&#13;" }
local XML_ATTR = { ["\t"] = "&#9;", ["\n"] = "&#10;" }

local function xml_escape(s, attr)
  s = term.strip(tostring(s))
  if not utf8.len(s) then
    local out, i = {}, 1
    while true do
      local ok, bad = utf8.len(s, i)
      if ok then out[#out + 1] = s:sub(i); break end
      out[#out + 1] = s:sub(i, bad - 1) .. "?"
      i = bad + 1
    end
    s = table.concat(out)
  end
  s = s:gsub("\239\191[\190\191]", "?")
  s = s:gsub("[\0-\8\11\12\14-\31\127]", "?")
  s = s:gsub("[&<>\"'\r]", XML_ESC)
  if attr then s = s:gsub("[\t\n]", XML_ATTR) end
  return s
end

local function indent(s, pre)
  return pre .. tostring(s):gsub("\n", "\n" .. pre)
end

local function first_line(s)
  return (tostring(s):match("^[^\n]*"))
end

-- A traceback without the harness' own frames: stop at the xpcall that
-- ran the test, drop the frames of this file.
local function clean_traceback(tb, whole)
  local own = SELF:sub(1, 1) == "@" and SELF:sub(2) or SELF
  local out = {}
  for line in tb:gmatch("[^\n]+") do
    if not whole and line:find("in function 'xpcall'", 1, true) then break end
    if not line:find(own, 1, true) and not line:find("in function 'error'", 1, true)
       and not line:find("^%s*%(%.%.%.tail calls%.%.%.%)$") then
      out[#out + 1] = line
    end
  end
  return table.concat(out, "\n")
end

-- Seconds of wall-clock time, for the durations: lunet.wallclock
-- (CLOCK_MONOTONIC, lua/l_clock.c).  os.clock() is only the fallback for
-- a binding without it: CPU time, blind to a test that sleeps or waits
-- for a child process.
local function clock()
  local lunet = L()
  if lunet and type(lunet.wallclock) == "function" then return lunet.wallclock() end
  return os.clock()
end

-- A fresh directory for captures nobody asked to keep, or nil.
local function make_tmpdir()
  local p = io.popen('mktemp -d "${TMPDIR:-/tmp}/lunet-test.XXXXXX" 2>/dev/null')
  local d = p and p:read("l")
  if p then p:close() end
  if d and d ~= "" then return d end
  d = os.tmpname()
  os.remove(d)
  if os.execute("mkdir -m 700 " .. shell_quote(d) .. " 2>/dev/null") then return d end
  return nil
end

------------------------------------------------------------------------
-- What the tests print
------------------------------------------------------------------------

-- While a test runs, what it writes with print, io.write, io.stdout:write
-- and io.stderr:write is kept (an Out) instead of shown: after its FAIL
-- line, in TAP's YAML block, in JUnit's <system-out>, and, with -v, also
-- passed through as it comes.  Output of child processes (os.execute) and
-- of C code is not seen.  Past OUT_LIMIT bytes the oldest half goes: the
-- lines just before a failure matter most.
local OUT_LIMIT = 1 << 20

local Out = {}
Out.__index = Out

local function new_out()
  return setmetatable({ parts = {}, size = 0, dropped = 0 }, Out)
end

function Out:add(s)
  local parts = self.parts
  parts[#parts + 1] = s
  self.size = self.size + #s
  if self.size > OUT_LIMIT then
    local all = table.concat(parts)
    local cut = #all - OUT_LIMIT // 2
    cut = all:find("\n", cut, true) or cut
    self.dropped = self.dropped + cut
    self.parts = { all:sub(cut + 1) }
    self.size = #all - cut
  end
end

function Out:text()
  local s = table.concat(self.parts)
  if self.dropped > 0 then
    s = string.format("[... the first %d bytes of output left out ...]\n", self.dropped) .. s
  end
  return s
end

-- The text io.write(...) would write, or its error (at the writer's caller).
local function write_text(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    if type(v) == "string" then
      parts[i] = v
    elseif math.type(v) == "integer" then
      parts[i] = string.format("%d", v)
    elseif type(v) == "number" then
      parts[i] = string.format("%.14g", v)
    else
      error(string.format("bad argument #%d to 'write' (string expected, got %s)",
                          i, type(v)), 3)
    end
  end
  return table.concat(parts)
end

------------------------------------------------------------------------
-- main
------------------------------------------------------------------------

local USAGE = "usage: lunet test [--seed N] [--filter PATTERN] [--tap] [--junit FILE] [--pcap DIR] [-v]\n" ..
              "                  [--timeout T] [--lang en|zh] [--color=auto|always|never] [--progress=auto|always|never] PATH..."

local MODES = { auto = true, always = true, never = true }

local function parse_args(args)
  local o = { seed = nil, paths = {} }
  local i = 1
  local function value(opt)
    i = i + 1
    local v = args[i]
    if v == nil then error(opt .. " needs a value", 0) end
    return v
  end
  while args[i] ~= nil do
    local a = args[i]
    local opt, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    if opt then a = opt end
    local function val() if inline then return inline end return value(a) end
    if a == "--seed" then
      local v = val()
      local n = math.tointeger(tonumber(v))
      if not n or n < 0 then error("--seed: " .. v .. " is not a non-negative integer", 0) end
      o.seed = n
    elseif a == "--filter" then o.filter = val()
    elseif a == "--timeout" then
      local v = val()
      local ok, ns = pcall(L().time, v)
      if not ok or ns <= 0 then error("--timeout: " .. v .. " is not a time like 30s", 0) end
      o.timeout = ns / 1e9
    elseif a == "--lang" then
      local v = val()
      if v ~= "en" and v ~= "zh" then error("--lang: " .. v .. " is not en or zh", 0) end
      L().lang = v
    elseif a == "--tap" then o.tap = true
    elseif a == "--junit" then o.junit = val()
    elseif a == "--pcap" then o.pcap = val()
    elseif a == "--color" or a == "--progress" then
      local v = val()
      if not MODES[v] then error(a .. ": " .. v .. " is not auto, always or never", 0) end
      o[a:sub(3)] = v
    elseif a == "-v" or a == "--verbose" then o.verbose = true
    elseif a == "-h" or a == "--help" then o.help = true
    elseif a == "--" then
      for j = i + 1, #args do o.paths[#o.paths + 1] = args[j] end
      break
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      error("unknown option " .. a .. " (known: --seed, --filter, --tap, --junit, --pcap, -v, " ..
            "--timeout, --lang, --color, --progress)", 0)
    else
      o.paths[#o.paths + 1] = a
    end
    i = i + 1
  end
  return o
end

-- "lunet test: msg" on stderr, red like main.c's error line.
local function complain(msg, usage)
  io.stderr:write(term.paint("stderr", "red", "lunet test: " .. msg), "\n",
                  usage and (USAGE .. "\n") or "")
end

-- Run every test of `files` with options `o`; returns the exit code.
-- io0 holds the writers as they were (the CLI's, which erase the progress
-- line): the runner's own lines go through them, the tests' are caught.
local function run_all(o, files, lunet, io0)
  local seed = M.seed
  local results = {}   -- {file=, name=, status="ok"|"fail"|"skip", kind=, msg=, trace=, time=, output=}
  local suites = {}    -- file -> list of results
  local suite_order = {}
  local suite_out = {} -- file -> what loading it printed
  local tap_n = 0

  -- The runner's own lines, past the capture.
  local function out(s)
    io0.fwrite(io.stdout, s, "\n")
    io.stdout:flush()
  end
  local function paint(style, s) return term.paint("stdout", style, s) end

  local function report(r)
    results[#results + 1] = r
    if not suites[r.file] then suites[r.file] = {}; suite_order[#suite_order + 1] = r.file end
    table.insert(suites[r.file], r)
    local full = r.file .. ": " .. r.name
    local output = (r.output or ""):gsub("\n$", "")
    if o.tap then
      tap_n = tap_n + 1
      if r.status == "ok" then
        out(string.format("ok %d - %s", tap_n, full))
      elseif r.status == "skip" then
        out(string.format("ok %d - %s # SKIP %s", tap_n, full, r.msg))
      else
        out(string.format("not ok %d - %s", tap_n, full))
        out("  ---")
        out("  message: |")
        out(indent(r.msg, "    "))
        out("  severity: " .. (r.kind == "failure" and "fail" or "error"))
        if output ~= "" then
          out("  output: |")
          out(indent(output, "    "))
        end
        if o.verbose and r.trace then
          out("  traceback: |")
          out(indent(r.trace, "    "))
        end
        out(string.format("  duration_ms: %.3f", r.time * 1000))
        out("  ...")
      end
      if r.status ~= "fail" and o.verbose and output ~= "" then out(indent(output, "# ")) end
    else
      if r.status == "ok" then
        out(string.format("%s   %s (%.3fs)", paint("green", "ok"), full, r.time))
      elseif r.status == "skip" then
        out(string.format("%s %s: %s", paint("yellow", "skip"), full, r.msg))
      else
        out(paint("red", "FAIL") .. " " .. full)
        out(indent(r.msg, "    "))
        if o.verbose and r.trace then out(indent(r.trace, "    ")) end
        -- with -v it has been shown already, as it came
        if not o.verbose and output ~= "" then out(indent(output, "    | ")) end
      end
    end
  end

  -- Split an xpcall handler's result into message and traceback.
  local function handler(err)
    if skip_reason(err) then return err end
    local msg = tostring(err)
    if type(err) ~= "string" and type(err) ~= "number" and getmetatable(err) == nil then
      msg = fmt(err)
    end
    return { msg = msg, trace = clean_traceback(debug.traceback("", 2)) }
  end

  -- Run fn(...) as one test: under --timeout's wall-clock limit
  -- (lunet._alarm, from the CLI: a test that runs out fails with a
  -- timeout and the next one runs), then the check that every expect()
  -- got a matcher.
  local function run_one(fn, ...)
    M.reset_checks()
    local alarm = o.timeout and lunet._alarm
    if alarm then alarm(o.timeout) end
    local r = table.pack(xpcall(fn, handler, ...))
    if alarm then alarm(0) end
    if r[1] then
      local nomatch = M.unmatched_error()
      if nomatch then return false, { msg = nomatch } end
    end
    return table.unpack(r, 1, r.n)
  end

  local function outcome(file, name, okr, err, t0, output)
    local r = { file = file, name = name, time = clock() - t0, output = output }
    if okr then
      r.status = "ok"
    else
      local why = skip_reason(err)
      if why then
        r.status, r.msg = "skip", why
      else
        r.status = "fail"
        if type(err) == "table" and err.msg then
          r.msg, r.trace = err.msg, err.trace
        else
          r.msg = tostring(err)
        end
        local failed = M.is_failure(r.msg)
        -- An error from a task arrives with the task's traceback inside
        -- the message: keep it for -v and JUnit, not for the summary.
        local head, tb = r.msg:match("^(.-)\n(stack traceback:.*)$")
        if head then
          r.msg = head
          failed = failed or M.is_failure(head)
          tb = clean_traceback(tb, true)
          r.trace = r.trace and (tb .. "\n" .. r.trace) or tb
        end
        -- JUnit: <failure> for a failed expect or eventually, <error> for
        -- anything else raised (a Lua error, a timeout, a missing matcher)
        r.kind = failed and "failure" or "error"
        if r.msg:find("timeout: the wall-clock limit of --timeout ran out", 1, true) then
          r.timeout = true
        end
      end
    end
    return r
  end

  -- The capture of the running test.
  local cap, tee, mid = nil, false, false
  local function capture(pass_through)
    cap, tee = new_out(), pass_through and not o.tap
  end
  local function captured()
    local c = cap
    cap, tee = nil, false
    if mid then io0.fwrite(io.stdout, "\n"); mid = false end
    return c:text()
  end
  local function keep(f, s)
    cap:add(s)
    if tee and s ~= "" then
      io0.fwrite(f, s)
      if f == io.stdout then mid = s:sub(-1) ~= "\n" end
    end
  end
  print = function(...)
    if not cap then return io0.print(...) end
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    keep(io.stdout, table.concat(parts, "\t") .. "\n")
  end
  io.write = function(...)
    if not cap or io.output() ~= io.stdout then return io0.write(...) end
    keep(io.stdout, write_text(...))
    return io.stdout
  end
  io0.methods.write = function(f, ...)
    if cap and (f == io.stdout or f == io.stderr) then
      keep(f, write_text(...))
      return f
    end
    return io0.fwrite(f, ...)
  end

  local function matches_filter(full)
    return not o.filter or full:find(o.filter) ~= nil
  end

  local function drop_networks()
    current_net = nil
    collectgarbage("collect")
    collectgarbage("collect")
  end

  local function sanitize(name)
    return (name:gsub("[^%w%-_.]+", "_"))
  end

  -- With --pcap, a directory per file (and per test).
  local function pcap_dir_for(file, name)
    if not o.pcap then return end
    -- mirror the file's path: DIR/scripts/ping/, DIR/tests/scenarios/x/<test>/
    local rel = file:gsub("%.lua$", ""):gsub("^%./", ""):gsub("%.%./", "up/"):gsub("^/+", "")
    local parts = {}
    for c in rel:gmatch("[^/]+") do
      if c ~= "." then parts[#parts + 1] = sanitize(c) end
    end
    local d = o.pcap .. "/" .. table.concat(parts, "/")
    if name then d = d .. "/" .. sanitize(name) end
    lunet.mkdir(d)
    lunet.pcap_dir = d
  end

  if o.tap then out("TAP version 13") end

  -- Ctrl-C, SIGTERM, SIGHUP end the whole run, as they end `lunet run`:
  -- the test that was running fails with where it stopped, no other
  -- starts, and the summary and the JUnit file say so.
  local function stop_signal()
    return lunet._stop_signal and lunet._stop_signal() or nil
  end
  local stopped

  for _, file in ipairs(files) do
    if stopped then break end
    local env = setmetatable({}, { __index = _G })
    for _, k in ipairs(GLOBALS) do env[k] = M[k] end
    local file_name = stem(file)
    local file_full = file .. ": " .. file_name
    local silent = not matches_filter(file_full)

    pcap_dir_for(file)
    local chunk, lerr = loadfile(file, "t", env)
    local tests = {}
    collector = tests
    capture(o.verbose and not silent)
    local t0 = clock()
    local okc, cerr
    if chunk then
      okc, cerr = run_one(chunk)
    else
      okc, cerr = false, { msg = lerr }
    end
    collector = nil
    local output = captured()

    if #tests == 0 then
      -- The file is the test: its main chunk has just run.
      if not silent then report(outcome(file, file_name, okc, cerr, t0, output)) end
      drop_networks()
    else
      if not okc then
        local r = outcome(file, "(load)", okc, cerr, t0, output)
        if r.status == "skip" then
          -- skip() at file level skips the whole file
          for _, t in ipairs(tests) do
            if matches_filter(file .. ": " .. t.name) then
              report({ file = file, name = t.name, status = "skip", msg = r.msg, time = 0 })
            end
          end
        else
          report(r)
        end
      else
        suite_out[file] = output
        for _, t in ipairs(tests) do
          stopped = stopped or stop_signal()
          if stopped then break end
          if matches_filter(file .. ": " .. t.name) then
            pcap_dir_for(file, t.name)
            capture(o.verbose)
            local t1 = clock()
            local okn, net = pcall(lunet.net, { seed = seed, name = t.name:sub(1, 31) })
            local okt, terr
            if okn then
              current_net = net
              okt, terr = run_one(t.fn, net)
              -- close now (not at some later GC) so its captures are complete
              if net.close then pcall(net.close, net) end
            else
              okt, terr = false, { msg = "lunet.net: " .. tostring(net) }
            end
            net = nil
            report(outcome(file, t.name, okt, terr, t1, captured()))
            drop_networks()
          end
        end
      end
    end
    env = nil
    chunk = nil
    tests = nil
    drop_networks()
    stopped = stopped or stop_signal()
  end

  local passed, failed, skipped = 0, 0, 0
  for _, r in ipairs(results) do
    if r.status == "ok" then passed = passed + 1
    elseif r.status == "skip" then skipped = skipped + 1
    else failed = failed + 1 end
  end

  if o.tap then
    local summary = string.format("%d passed, %d failed", passed, failed)
    if skipped > 0 then summary = summary .. string.format(", %d skipped", skipped) end
    -- a run cut short has no plan: TAP's "Bail out!" says why instead
    if stopped then out("Bail out! stopped by " .. stopped)
    else out("1.." .. tap_n) end
    out("# " .. summary)
  else
    local function count(n, word, style)
      local s = n .. " " .. word
      return n > 0 and paint(style, s) or s
    end
    local summary = count(passed, "passed", "green") .. ", " .. count(failed, "failed", "red")
    if skipped > 0 then summary = summary .. ", " .. count(skipped, "skipped", "yellow") end
    if stopped then
      summary = summary .. "; " .. paint("red", "stopped by " .. stopped .. ", the rest did not run")
    end
    out(summary)
  end

  if o.junit then
    -- One <testsuite> per file, one <testcase> per test: <failure> for a
    -- failed expectation, <error> for anything else raised, <skipped>,
    -- and what the test printed in <system-out> (what loading the file
    -- printed in the suite's).
    local function counts(rs)
      local c = { tests = #rs, failures = 0, errors = 0, skipped = 0, time = 0 }
      for _, r in ipairs(rs) do
        if r.status == "skip" then c.skipped = c.skipped + 1
        elseif r.status == "fail" and r.kind == "failure" then c.failures = c.failures + 1
        elseif r.status == "fail" then c.errors = c.errors + 1 end
        c.time = c.time + r.time
      end
      return c
    end
    local function system_out(x, pre, s)
      if s and s ~= "" then
        x[#x + 1] = pre .. "<system-out>" .. xml_escape(s) .. "</system-out>"
      end
    end
    local x = { '<?xml version="1.0" encoding="UTF-8"?>' }
    local c = counts(results)
    x[#x + 1] = string.format('<testsuites name="lunet" tests="%d" failures="%d" errors="%d" skipped="%d" time="%.3f">',
                              c.tests, c.failures, c.errors, c.skipped, c.time)
    for _, file in ipairs(suite_order) do
      local rs = suites[file]
      c = counts(rs)
      x[#x + 1] = string.format('  <testsuite name="%s" tests="%d" failures="%d" errors="%d" skipped="%d" time="%.3f">',
                                xml_escape(file, true), c.tests, c.failures, c.errors, c.skipped, c.time)
      for _, r in ipairs(rs) do
        local open = string.format('    <testcase classname="%s" name="%s" time="%.3f"',
                                   xml_escape(file, true), xml_escape(r.name, true), r.time)
        local has_out = r.output and r.output ~= ""
        if r.status == "ok" and not has_out then
          x[#x + 1] = open .. "/>"
        else
          x[#x + 1] = open .. ">"
          if r.status == "skip" then
            x[#x + 1] = string.format('      <skipped message="%s"/>', xml_escape(r.msg, true))
          elseif r.status == "fail" then
            local tag = r.kind == "failure" and "failure" or "error"
            local typ = r.kind == "failure" and "expect" or (r.timeout and "timeout" or "error")
            local body = r.msg .. (r.trace and ("\n" .. r.trace) or "")
            x[#x + 1] = string.format('      <%s message="%s" type="%s">%s</%s>', tag,
                                      xml_escape(first_line(r.msg), true), typ, xml_escape(body), tag)
          end
          system_out(x, "      ", r.output)
          x[#x + 1] = "    </testcase>"
        end
      end
      system_out(x, "    ", suite_out[file])
      x[#x + 1] = "  </testsuite>"
    end
    x[#x + 1] = "</testsuites>"
    local f, err = io.open(o.junit, "w")
    if not f then
      complain("--junit: " .. tostring(err))
      return 2
    end
    f:write(table.concat(x, "\n"), "\n")
    f:close()
  end

  return failed == 0 and 0 or 1
end

function M.main(args)
  args = args or {}
  local ok, o = pcall(parse_args, args)
  if ok and o.color then
    local lunet = L()
    if lunet then lunet.color = o.color end
    term.reset()
  end
  if not ok then
    complain(tostring(o), true)
    return 2
  end
  if o.help then print(USAGE); return 0 end
  if #o.paths == 0 then
    complain("no PATH given", true)
    return 2
  end
  if o.filter then
    local okp, perr = pcall(string.find, "", o.filter)
    if not okp then
      complain("--filter: bad pattern: " .. tostring(perr))
      return 2
    end
  end

  local lunet = L()
  if not lunet then
    complain("the lunet module is not loaded")
    return 2
  end

  -- Expand paths into a list of files; a path that is not there is a
  -- mistake on the command line, not a failing test.
  local files, missing = {}, false
  for _, p in ipairs(o.paths) do
    local kind, err = path_kind(p)
    if kind == "dir" then
      for _, f in ipairs(list_lua(p)) do files[#files + 1] = f end
    elseif kind == "file" then
      files[#files + 1] = p
    else
      complain(tostring(err))      -- "PATH: No such file or directory"
      missing = true
    end
  end
  if missing then return 2 end

  if o.progress then lunet.progress = o.progress end
  M.install_globals(_G)
  M.set_seed(o.seed or math.tointeger(lunet.default_seed) or 1)

  -- Captures: --pcap DIR (every interface, a directory per file and per
  -- test), else $LUNET_PCAP_DIR (or a lunet.pcap_dir a caller set), else
  -- a temporary directory removed at the end: a test run leaves nothing
  -- in the current directory.
  local pcap_dir0, tmp = lunet.pcap_dir, nil
  if o.pcap then
    lunet.pcap_auto = true
    lunet.pcap_dir = o.pcap
  elseif (os.getenv("LUNET_PCAP_DIR") or "") ~= ""
         or (type(lunet.pcap_dir) == "string" and lunet.pcap_dir ~= ".") then
    -- as given
  else
    tmp = make_tmpdir()
    if not tmp then
      complain("cannot create a temporary directory for the captures (give --pcap DIR or $LUNET_PCAP_DIR)")
      return 2
    end
    lunet.pcap_dir = tmp
  end
  if not tmp then
    local okm, merr = pcall(lunet.mkdir, lunet.pcap_dir)
    if not okm then
      complain("cannot create the capture directory: " .. tostring(merr))
      return 2
    end
  end

  local methods = getmetatable(io.stdout).__index
  local io0 = { print = print, write = io.write, fwrite = methods.write,
                methods = methods, exit = os.exit }
  local done = false
  local function finish()
    if done then return end
    done = true
    print, io.write, methods.write, os.exit = io0.print, io0.write, io0.fwrite, io0.exit
    if tmp then
      current_net = nil
      collectgarbage("collect")
      os.execute("rm -rf " .. shell_quote(tmp))
      lunet.pcap_dir = pcap_dir0
    end
  end
  -- a test that ends the process still leaves nothing behind
  os.exit = function(...)
    finish()
    return io0.exit(...)
  end

  local okr, code = xpcall(run_all, debug.traceback, o, files, lunet, io0)
  finish()
  if not okr then error(code, 0) end
  return code
end

return M
