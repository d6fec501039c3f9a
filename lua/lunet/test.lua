-- lunet.test - assertions and the `lunet test` runner.
--
-- Two halves:
--   * the assertion globals that `lunet run` and `lunet test` install:
--     expect(v [, label]):<matcher>(...), eventually(fn, within [, net]),
--     test(name, fn), skip(reason);
--   * main(args), called by the C side for `lunet test PATH...`: collects
--     *.lua files, runs each in its own environment, runs every registered
--     test in a fresh network, prints one line per test (or TAP), optionally
--     writes JUnit XML, and returns the exit code.
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
-- Captures: --pcap DIR turns on lunet.pcap_auto and gives every file its own
-- DIR/<path of the file without .lua>/ (and every test a subdirectory named
-- after it) as lunet.pcap_dir, so tests do not overwrite each other's pcaps.
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

local function fail(text, label)
  local msg = caller_pos() .. ": "
  local t = virtual_now()
  if t then msg = msg .. "at t=" .. fmt_time(t) .. ": " end
  if label then msg = msg .. tostring(label) .. ": " end
  error(msg .. text, 0)
end
M.fail = fail

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

function M.expect(v, label)
  return setmetatable({ v = v, label = label }, Expect)
end

------------------------------------------------------------------------
-- eventually
------------------------------------------------------------------------

local function to_ns(x, what)
  local lunet = L()
  if math.type(x) == "integer" and not lunet then return x end
  local ok, ns = pcall(lunet.time, x)
  if not ok then error(what .. ": " .. tostring(ns), 3) end
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
  local ok, err = pcall(fn, net)
  current_net = prev
  if net.close then pcall(net.close, net) end
  local why = not ok and skip_reason(err)
  if why then
    print(term.paint("stdout", "yellow", "skip") .. " " .. name .. ": " .. why)
  elseif not ok then
    error(err, 0)
  else
    print(term.paint("stdout", "green", "ok") .. "   " .. name)
  end
end

local GLOBALS = { "expect", "eventually", "test", "skip" }

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

local function xml_escape(s)
  s = tostring(s)
  s = s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                           ['"'] = "&quot;", ["'"] = "&apos;" })
  -- XML 1.0 forbids most control characters
  s = s:gsub("[%z\1-\8\11\12\14-\31\127]", "?")
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
    if not line:find(own, 1, true) and not line:find("in function 'error'", 1, true) then
      out[#out + 1] = line
    end
  end
  return table.concat(out, "\n")
end

-- Seconds for the per-test duration: a wall clock if the binding offers one
-- (lunet.wallclock), else the CPU time of the process, which is close for
-- a simulation that never waits for anything.
local function clock()
  local lunet = L()
  if lunet and type(lunet.wallclock) == "function" then return lunet.wallclock() end
  return os.clock()
end

local USAGE = "usage: lunet test [--seed N] [--filter PATTERN] [--tap] [--junit FILE] [--pcap DIR] [-v]\n" ..
              "                  [--timeout T] [--color=auto|always|never] [--progress=auto|always|never] PATH..."

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
            "--timeout, --color, --progress)", 0)
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
  if o.progress then lunet.progress = o.progress end
  M.install_globals(_G)
  local seed = o.seed or math.tointeger(lunet.default_seed) or 1
  M.set_seed(seed)
  if o.pcap then
    lunet.pcap_auto = true
    lunet.pcap_dir = o.pcap
    os.execute("mkdir -p " .. shell_quote(o.pcap))
  elseif type(lunet.pcap_dir) == "string" and lunet.pcap_dir ~= "." then
    os.execute("mkdir -p " .. shell_quote(lunet.pcap_dir))
  end

  -- Expand paths into a list of files.
  local files, missing = {}, {}
  for _, p in ipairs(o.paths) do
    local kind, err = path_kind(p)
    if kind == "dir" then
      for _, f in ipairs(list_lua(p)) do files[#files + 1] = f end
    elseif kind == "file" then
      files[#files + 1] = p
    else
      missing[#missing + 1] = { path = p, err = err }
    end
  end

  local results = {}   -- {file=, name=, status="ok"|"fail"|"skip", msg=, trace=, time=}
  local suites = {}    -- file -> list of results
  local suite_order = {}
  local real_print = print
  local tap_n = 0

  local function out(s) io.stdout:write(s, "\n"); io.stdout:flush() end
  local function paint(style, s) return term.paint("stdout", style, s) end

  local function report(r)
    results[#results + 1] = r
    if not suites[r.file] then suites[r.file] = {}; suite_order[#suite_order + 1] = r.file end
    table.insert(suites[r.file], r)
    local full = r.file .. ": " .. r.name
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
        if o.verbose and r.trace then
          out("  traceback: |")
          out(indent(r.trace, "    "))
        end
        out(string.format("  duration_ms: %.3f", r.time * 1000))
        out("  ...")
      end
    else
      if r.status == "ok" then
        out(string.format("%s   %s (%.3fs)", paint("green", "ok"), full, r.time))
      elseif r.status == "skip" then
        out(string.format("%s %s: %s", paint("yellow", "skip"), full, r.msg))
      else
        out(paint("red", "FAIL") .. " " .. full)
        out(indent(r.msg, "    "))
        if o.verbose and r.trace then out(indent(r.trace, "    ")) end
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
  -- --timeout: a wall-clock limit per test (lunet._alarm, from the CLI):
  -- a test that runs out fails with a timeout and the next one runs
  local function timed(fn, ...)
    local alarm = o.timeout and lunet._alarm
    if alarm then alarm(o.timeout) end
    local r = table.pack(xpcall(fn, handler, ...))
    if alarm then alarm(0) end
    return table.unpack(r, 1, r.n)
  end

  local function outcome(file, name, okr, err, t0)
    local r = { file = file, name = name, time = clock() - t0 }
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
        -- An error from a task arrives with the task's traceback inside
        -- the message: keep it for -v and JUnit, not for the summary.
        local head, tb = r.msg:match("^(.-)\n(stack traceback:.*)$")
        if head then
          r.msg = head
          tb = clean_traceback(tb, true)
          r.trace = r.trace and (tb .. "\n" .. r.trace) or tb
        end
      end
    end
    return r
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
    os.execute("mkdir -p " .. shell_quote(d))
    lunet.pcap_dir = d
  end

  if o.tap then
    out("TAP version 13")
    -- script output becomes TAP diagnostics
    print = function(...)
      local n = select("#", ...)
      local parts = {}
      for i = 1, n do parts[i] = tostring((select(i, ...))) end
      out(indent(table.concat(parts, "\t"), "# "))
    end
  end

  for _, m in ipairs(missing) do
    report({ file = m.path, name = stem(m.path), status = "fail", time = 0,
             msg = "cannot open: " .. tostring(m.err) })
  end

  for _, file in ipairs(files) do
    local env = setmetatable({}, { __index = _G })
    for _, k in ipairs(GLOBALS) do env[k] = M[k] end
    local file_name = stem(file)
    local file_full = file .. ": " .. file_name
    local silent = not matches_filter(file_full)
    if silent then env.print = function() end end

    pcap_dir_for(file)
    local chunk, lerr = loadfile(file, "t", env)
    local tests = {}
    collector = tests
    local t0 = clock()
    local okc, cerr
    if chunk then
      okc, cerr = timed(chunk)
    else
      okc, cerr = false, { msg = lerr }
    end
    collector = nil
    if silent then env.print = nil end

    if #tests == 0 then
      -- The file is the test: its main chunk has just run.
      if not silent then report(outcome(file, file_name, okc, cerr, t0)) end
      drop_networks()
    else
      if not okc then
        local r = outcome(file, "(load)", okc, cerr, t0)
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
        for _, t in ipairs(tests) do
          if matches_filter(file .. ": " .. t.name) then
            pcap_dir_for(file, t.name)
            local t1 = clock()
            local okn, net = pcall(lunet.net, { seed = seed, name = t.name:sub(1, 31) })
            local okt, terr
            if okn then
              current_net = net
              okt, terr = timed(t.fn, net)
              -- close now (not at some later GC) so its captures are complete
              if net.close then pcall(net.close, net) end
            else
              okt, terr = false, { msg = "lunet.net: " .. tostring(net) }
            end
            net = nil
            report(outcome(file, t.name, okt, terr, t1))
            drop_networks()
          end
        end
      end
    end
    env = nil
    chunk = nil
    tests = nil
    drop_networks()
  end

  print = real_print

  local passed, failed, skipped = 0, 0, 0
  for _, r in ipairs(results) do
    if r.status == "ok" then passed = passed + 1
    elseif r.status == "skip" then skipped = skipped + 1
    else failed = failed + 1 end
  end

  if o.tap then
    local summary = string.format("%d passed, %d failed", passed, failed)
    if skipped > 0 then summary = summary .. string.format(", %d skipped", skipped) end
    out("1.." .. tap_n)
    out("# " .. summary)
  else
    local function count(n, word, style)
      local s = n .. " " .. word
      return n > 0 and paint(style, s) or s
    end
    local summary = count(passed, "passed", "green") .. ", " .. count(failed, "failed", "red")
    if skipped > 0 then summary = summary .. ", " .. count(skipped, "skipped", "yellow") end
    out(summary)
  end

  if o.junit then
    local x = { '<?xml version="1.0" encoding="UTF-8"?>' }
    local total_time = 0
    for _, r in ipairs(results) do total_time = total_time + r.time end
    x[#x + 1] = string.format('<testsuites name="lunet" tests="%d" failures="%d" skipped="%d" time="%.3f">',
                              #results, failed, skipped, total_time)
    for _, file in ipairs(suite_order) do
      local rs = suites[file]
      local f, s, tt = 0, 0, 0
      for _, r in ipairs(rs) do
        if r.status == "fail" then f = f + 1 elseif r.status == "skip" then s = s + 1 end
        tt = tt + r.time
      end
      x[#x + 1] = string.format('  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="%d" time="%.3f">',
                                xml_escape(file), #rs, f, s, tt)
      for _, r in ipairs(rs) do
        local open = string.format('    <testcase classname="%s" name="%s" time="%.3f"',
                                   xml_escape(file), xml_escape(r.name), r.time)
        if r.status == "ok" then
          x[#x + 1] = open .. "/>"
        elseif r.status == "skip" then
          x[#x + 1] = open .. ">"
          x[#x + 1] = string.format('      <skipped message="%s"/>', xml_escape(r.msg))
          x[#x + 1] = "    </testcase>"
        else
          x[#x + 1] = open .. ">"
          local body = r.msg .. (r.trace and ("\n" .. r.trace) or "")
          x[#x + 1] = string.format('      <failure message="%s">%s</failure>',
                                    xml_escape(first_line(r.msg)), xml_escape(body))
          x[#x + 1] = "    </testcase>"
        end
      end
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

return M
