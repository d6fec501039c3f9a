-- lunet.repl - the Lua half of `lunet repl`: the helpers the prompt offers
-- (help, nodes, ss, show), taking over what the loaded file built, the dot
-- commands, and the output wrappers that keep the prompt tidy.
--
-- The event plumbing (the libev loop, pacing every network to the wall
-- clock, line editing, Ctrl-C, pause/resume/speed/step/now) is in
-- lua/repl.c, which calls:
--   M.install(hide, timefns)  once, before the file is loaded
--   M.start(fn, line, bg)  for each line (or command) to run
--   M.poll()               after every batch of events; M.interrupt() on Ctrl-C
--   M.adopt(path, ...)     after the file ran, with what it returned
--   M.command(line)        for a line like ".help"; "quit" ends the session

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")

local M = {}

-- What `help` adds to the commands' text (lunet.commands): the prompt's
-- own helpers.
M.help_extra = [[
Time (the prompt shows it; "paused" or "x10" when not real time):
  pause()  resume()      hold virtual time, let it go on
  speed(0.1)  speed(10)  slow motion, fast forward (speed(1): real time)
  step()  step("10ms")   to the next packet (printed like tcpdump), or 10 ms on
  now()                  the virtual time of `net`
Session: history() the lines typed and when; save("s.lua") a script that
replays them (lunet run s.lua); rewind("2s") back to 2 s: the network is
built again and the lines replayed (same packets, same output), paused.
jobs() the lines running in the background; nodes(), ss(h1), show(v).
]]

function M.help()
  local ok, commands = pcall(require, "lunet.commands")
  if ok then
    commands.extra_help = M.help_extra
    io.write(commands.help_text())
  else
    io.write(M.help_extra)
  end
end

local function is_net(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name == "lunet.Net"
end

local function is_node(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name == "lunet.Node"
end

-- The network the helpers work on when none is given: the global `net`,
-- else the newest open one.
local function current_net(net)
  if net ~= nil then
    if not is_net(net) then error("expected a network (lunet.Net), got " .. type(net), 3) end
    return net
  end
  local g = rawget(_G, "net")
  if is_net(g) and not g.closed then return g end
  return lunet.current_net()
end

M.current_net = current_net

-- "h2.eth0" for an interface, the switch's name for a switch port.
local function end_name(e)
  if e == nil then return "?" end
  local ok, node = pcall(function() return e.node end)
  if ok and node then return node.name .. "." .. e.name end
  return e.name or tostring(e)
end

local function peer_of(ifc)
  local l = ifc:link()
  if not l then return "(no link)" end
  local other = l.a == ifc and l.b or l.a
  return "-> " .. end_name(other) .. (l:is_up() and "" or " (link down)")
end

-- nodes([net]): one line per node, then its interfaces.
function M.nodes(net)
  net = current_net(net)
  if not net then print("no network (make one: net = lunet.net{})"); return end
  local nodes = net:nodes()
  if #nodes == 0 then print("no nodes in " .. tostring(net)) end
  for _, h in ipairs(nodes) do
    local gw = ""
    for _, r in ipairs(h:routes()) do
      if r.dst == "0.0.0.0/0" and r.via then gw = "  default via " .. r.via end
    end
    print(string.format("%-10s %s%s", h.name, h.is_router and "router" or "host", gw))
    for _, ifc in ipairs(h:ifaces()) do
      print(string.format("  %-6s %-18s %s  %s%s", ifc.name, ifc:addr() or "-", ifc.mac,
                          peer_of(ifc), ifc:is_up() and "" or " (down)"))
    end
  end
  for _, sw in ipairs(net:switches()) do
    print(string.format("%-10s %s, %d ports", sw.name, sw.is_hub and "hub" or "switch", sw:ports()))
  end
end

-- ss([host]): sockets like `ss -tuan`; every host of `net` without one.
function M.ss(h)
  local hosts
  if h == nil then
    local net = current_net()
    if not net then print("no network"); return end
    hosts = net:nodes()
  elseif is_node(h) then
    hosts = { h }
  else
    error("ss: expected a host (lunet.Node), got " .. type(h), 2)
  end
  print(string.format("%-8s %-5s %-11s %6s %6s  %-21s %-21s %s", "Node", "Netid", "State",
                      "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "Timer"))
  for _, n in ipairs(hosts) do
    for _, s in ipairs(n:sockets()) do
      local timer = s.timer and string.format("%s (%s)", s.timer,
                                              lunet.fmt_time(s.timer_left or 0)) or ""
      print(string.format("%-8s %-5s %-11s %6d %6d  %-21s %-21s %s", n.name, s.proto, s.state,
                          s.recv_q or 0, s.send_q or 0, s["local"], s.remote, timer))
    end
  end
end

local function is_ident(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

-- Fields that hold a time in ns (ping's and the sockets' results, events,
-- link settings): shown with a unit, 10157000 as 10.157ms.
local TIME_KEYS = {
  time = true, rtt = true, srtt = true, rto = true, rttvar = true, min = true, max = true,
  avg = true, mdev = true, timer_left = true, delay = true, jitter = true, age = true,
  interval = true, timeout = true, elapsed = true, duration = true, rx_time = true,
}

-- show(v): a table as nested Lua-like text (sorted keys, arrays inline).
local function fmt(v, indent, depth, seen, key)
  if type(v) == "string" then return string.format("%q", v) end
  if math.type(v) == "integer" and TIME_KEYS[key] and v >= 0 then return lunet.fmt_time(v) end
  if type(v) == "number" and TIME_KEYS[key] and v >= 0 then return lunet.fmt_time(math.floor(v + 0.5)) end
  if type(v) ~= "table" then return tostring(v) end
  if seen[v] then return "<cycle>" end
  if depth > 4 then return "{...}" end
  seen[v] = true
  local n = #v
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  local parts, flat = {}, true
  for i = 1, n do
    parts[#parts + 1] = fmt(v[i], indent .. "  ", depth + 1, seen)
  end
  for _, k in ipairs(keys) do
    local kk = is_ident(k) and k or "[" .. fmt(k, indent, depth + 1, seen) .. "]"
    parts[#parts + 1] = kk .. " = " .. fmt(v[k], indent .. "  ", depth + 1, seen, k)
  end
  seen[v] = nil
  local len = 0
  for _, p in ipairs(parts) do
    len = len + #p + 2
    if p:find("\n") then flat = false end
  end
  if #parts == 0 then return "{}" end
  if flat and len + #indent < 78 then return "{" .. table.concat(parts, ", ") .. "}" end
  return "{\n" .. indent .. "  " .. table.concat(parts, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
end

function M.show(...)
  local n = select("#", ...)
  for i = 1, n do print(fmt((select(i, ...)), "", 1, {})) end
end

-- What a line at the prompt returned: scalars on one line, tab-separated
-- as lua.c prints them, tables readably (show's format).
function M.print_values(...)
  local n = select("#", ...)
  if n == 0 then return end
  local parts, multi = {}, false
  for i = 1, n do
    local v = select(i, ...)
    local mt = type(v) == "table" and getmetatable(v)
    local p
    if type(v) == "string" then p = v                       -- as lua.c prints it
    elseif mt and mt.__tostring then p = tostring(v)        -- a result that sums itself up
    else p = fmt(v, "", 1, {}) end
    parts[i] = p
    if p:find("\n", 1, true) then multi = true end
  end
  print(table.concat(parts, multi and "\n" or "\t"))
end

------------------------------------------------------------------------
-- lines as tasks
------------------------------------------------------------------------

-- repl.c runs every line through start(): as a task of the prompt's
-- network, its first part now, so that a line that blocks (a ping, a
-- connect, lunet.sleep) waits in virtual time while the network runs, and
-- the prompt waits with it ("wait"), unless the line ended in & (a
-- background job, reported by poll() when it ends).  Without a network
-- nothing can block: the line runs plainly.
local fg, jobs, next_job = nil, {}, 1

-- The session so far, for rewind(), history() and save(): every line that
-- ran, with the virtual time it ran at (lunet.session).
local history = {}
local origin = {file = nil, args = {}}
local rewind_to = nil

local function report(err)
  io.stderr:write("lunet: " .. tostring(err) .. "\n")
end

local function record(line, background)
  local session = require "lunet.session"
  if session.is_control(line) then return end
  local net = current_net()
  history[#history + 1] = {t = net and not net.closed and net:now() or 0, line = line,
                           bg = background or nil}
end

-- repl.c: the file the session started from, and its arguments.
function M.set_origin(file, ...)
  origin = {file = file, args = {...}}
end

function M.start(fn, line, background)
  record(line, background)
  local net = current_net()
  if not net or net.closed then
    local r = table.pack(xpcall(fn, debug.traceback))
    if not r[1] then report(r[2]); return "done" end
    M.print_values(table.unpack(r, 2, r.n))
    return "done"
  end
  local t, err = lunet._task_now(net, fn)
  if err then report(err); return "done" end
  if t:done() then
    if t:status() == "done" then M.print_values(t:result()) end
    return "done"
  end
  if background then
    local j = {n = next_job, task = t, line = line}
    next_job = next_job + 1
    jobs[#jobs + 1] = j
    print(string.format("[%d] %s &", j.n, line))
    return "done"
  end
  fg = {task = t, line = line}
  return "wait"
end

-- After every batch: background jobs that ended say so; returns whether
-- the prompt still waits for its line.  (A task's error is printed by
-- repl.c as it happens.)
function M.poll()
  local k = 1
  while k <= #jobs do
    local j = jobs[k]
    if j.task:done() then
      table.remove(jobs, k)
      local st = j.task:status()
      print(string.format("[%d] %s  %s", j.n, st == "done" and "done" or st, j.line))
      if st == "done" then M.print_values(j.task:result()) end
    else
      k = k + 1
    end
  end
  if fg and fg.task:done() then
    local t = fg.task
    fg = nil
    if t:status() == "done" then M.print_values(t:result()) end
  end
  return fg ~= nil
end

-- Ctrl-C while the prompt waits: the line's task is killed.
function M.interrupt()
  if fg then
    fg.task:kill()
    fg = nil
  end
end

-- history(): what was typed, with the virtual time each line ran at.
function M.history()
  if #history == 0 then print("nothing recorded yet") end
  for i, rec in ipairs(history) do
    print(string.format("%3d  %12s  %s%s", i, lunet.fmt_time(rec.t), rec.line, rec.bg and " &" or ""))
  end
end

-- save(file): a script that replays the session headless (lunet run file).
function M.save(path)
  if type(path) ~= "string" then error("save: expected a file name, like save(\"session.lua\")", 2) end
  local text = require("lunet.session").script{file = origin.file, args = origin.args,
                                                 seed = lunet.default_seed, lines = history}
  local f, err = io.open(path, "w")
  if not f then error("save: cannot write " .. path .. ": " .. tostring(err), 2) end
  f:write(text)
  f:close()
  print(string.format("saved %d lines to %s (replay: lunet run %s)", #history, path, path))
end

-- rewind(t): back to virtual time t.  The network is built again from the
-- same file and seed and the lines typed before t run again at their
-- times; then time stands still there (resume() goes on).  repl.c does it
-- once the line that asked has finished (take_rewind, replay_to).
function M.rewind(t)
  local net = current_net()
  if not net then error("rewind: no network", 2) end
  local target = lunet.time(t)
  if target > net:now() then
    error(string.format("rewind: %s is ahead of now (%s): rewind goes back", lunet.fmt_time(target),
                        lunet.fmt_time(net:now())), 2)
  end
  rewind_to = target
  print(string.format("rewinding to %s", lunet.fmt_time(target)))
end

function M.take_rewind()
  local t = rewind_to
  rewind_to = nil
  return t
end

-- Before the network is built again: forget what the old one exported,
-- and every job.
function M.reset()
  for _, name in ipairs(M.exported or {}) do rawset(_G, name, nil) end
  M.exported = {}
  fg, jobs = nil, {}
end

-- Run the recorded lines up to virtual time t on the rebuilt network.
-- Lines still running at t go on as background jobs.
function M.replay_to(t)
  local session = require "lunet.session"
  local lines = history
  history = {}
  local tasks, check = session.pending(M.print_values)
  session.run_lines(current_net, lines, t, function(fn, line, bg)
    record(line, bg)
    local net = current_net()
    if not net then M.print_values(fn()) return end
    local task, err = lunet._task_now(net, fn)
    if err then report(err) return end
    if task:done() then
      if task:status() == "done" then M.print_values(task:result()) end
    else
      tasks[#tasks + 1] = task
      tasks[task] = line
    end
  end, check)
  for _, task in ipairs(tasks) do
    local j = {n = next_job, task = task, line = tasks[task]}
    next_job = next_job + 1
    jobs[#jobs + 1] = j
    print(string.format("[%d] %s &  (still running at %s)", j.n, j.line, lunet.fmt_time(t)))
  end
end

-- jobs(): the background lines still running; jobs(n):kill() stops one.
function M.jobs(n)
  if n then
    for _, j in ipairs(jobs) do if j.n == n then return j.task end end
    return nil
  end
  if #jobs == 0 then print("no background jobs") end
  for _, j in ipairs(jobs) do
    print(string.format("[%d] %-8s %s &", j.n, j.task:status(), j.line))
  end
end

------------------------------------------------------------------------
-- Tab completion
------------------------------------------------------------------------

local KEYWORDS = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
                  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
                  "true", "until", "while"}

-- The names a value offers after "." (fields) or ":" (methods).
local function members(v, colon)
  local out = {}
  local function add_keys(t, only_functions)
    if type(t) ~= "table" then return end
    for k, x in pairs(t) do
      if is_ident(k) and (not only_functions or type(x) == "function") then out[k] = true end
    end
  end
  if type(v) == "table" then add_keys(v, colon) end
  local mt = getmetatable(v)
  if type(mt) == "table" then
    add_keys(mt.__methods, false)
    if type(mt.__index) == "table" then add_keys(mt.__index, colon) end
  end
  if type(v) == "string" then add_keys(string, true) end
  return out
end

-- complete(text, before): the words that could stand for `text` (what is
-- typed up to the cursor since the last break) given the line before
-- it: "h1:pi" -> "h1:ping"; "net.na" -> "net.name"; a first word ->
-- globals, keywords and command words.  Sorted, each the whole word.
function M.complete(text, before)
  local base, sep, part = text:match("^(.*)([.:])([%w_]*)$")
  local found = {}
  if base then
    -- walk a.b.c through the globals, without calling anything
    local v = _G
    for name in base:gmatch("[^.:]+") do
      if not is_ident(name) then return {} end
      local ok, x = pcall(function() return v[name] end)
      if not ok or x == nil then return {} end
      v = x
    end
    for k in pairs(members(v, sep == ":")) do
      if k:sub(1, #part) == part then found[#found + 1] = base .. sep .. k end
    end
  else
    local pool = {}
    for k in pairs(_G) do if is_ident(k) then pool[k] = true end end
    for _, k in ipairs(KEYWORDS) do pool[k] = true end
    local ok, commands = pcall(require, "lunet.commands")
    if ok and before:match("^%s*$") then
      for _, w in ipairs(commands.words()) do pool[w] = true end
    end
    for k in pairs(pool) do
      if k:sub(1, #text) == text then found[#found + 1] = k end
    end
  end
  table.sort(found)
  return found
end

-- A command line (`h1 ping h2`, `nodes`; lunet.commands) as a function
-- to run like a line of Lua, or nil when the line is Lua.
function M.command_fn(line)
  local ok, commands = pcall(require, "lunet.commands")
  if not ok then return nil end
  return commands.parse(line, _G)
end

-- The file's things become globals: a topology file (one that returns
-- function(net, opts), like topologies/*.lua) is built into a new network
-- `net`, and what it returns (h1, h2, link, ...) is exported; a script's
-- newest network becomes `net` and its nodes are exported by name.  A
-- global the file set itself is never replaced.
-- Options for a topology from the command line's arguments:
-- `lunet repl topologies/router_chain.lua n=5 link.delay=1ms` gives
-- {n = 5, link = {delay = "1ms"}}.  Numbers and true/false are converted;
-- everything else stays a string (units are the topology's to parse).
function M.topology_opts(args)
  local opts = {}
  for _, a in ipairs(args) do
    local key, val = a:match("^([%a_][%w_.]*)=(.*)$")
    if not key then
      error(string.format('topology option "%s": expected key=value (like n=5 or link.delay=1ms)', a), 0)
    end
    local v
    if val == "true" then v = true elseif val == "false" then v = false
    else v = math.tointeger(tonumber(val)) or tonumber(val) or val end
    local t, parts = opts, {}
    for part in key:gmatch("[^.]+") do parts[#parts + 1] = part end
    for i = 1, #parts - 1 do
      t[parts[i]] = type(t[parts[i]]) == "table" and t[parts[i]] or {}
      t = t[parts[i]]
    end
    t[parts[#parts]] = v
  end
  return opts
end

function M.adopt(path, first, ...)
  local exported = {}
  local function export(name, v)
    if is_ident(name) and rawget(_G, name) == nil and v ~= nil then
      rawset(_G, name, v)
      exported[#exported + 1] = name
    end
  end
  local things
  if type(first) == "function" then
    local stem = path:match("([^/]+)%.lua$") or path
    local net = lunet.net{ name = stem }
    export("net", net)
    things = first(net, M.topology_opts(lunet.args or {}))
  elseif type(first) == "table" then
    things = first
  end
  if type(things) == "table" then
    local keys = {}
    for k in pairs(things) do if is_ident(k) then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do export(k, things[k]) end
  end
  local net = rawget(_G, "net")
  if not is_net(net) then
    net = lunet.current_net()
    export("net", net)
  end
  if is_net(net) and not net.closed then
    for _, h in ipairs(net:nodes()) do export(h.name, h) end
    for _, sw in ipairs(net:switches()) do export(sw.name, sw) end
  end
  if #exported > 0 then
    print(path .. ": " .. table.concat(exported, ", "))
  end
  M.exported = exported
end

local COMMANDS = {
  help = function() M.help() end,
  nodes = function() M.nodes() end,
  quit = function() return "quit" end,
  exit = function() return "quit" end,
}

function M.command(line)
  local name, rest = line:match("^%.(%a+)%s*(.*)$")
  local fn = name and COMMANDS[name]
  if not fn then
    print(string.format("unknown command %s (known: .help, .nodes, .quit)", line:match("^%S+")))
    return nil
  end
  return fn(rest)
end

-- Wrap the ways Lua code writes to the terminal so that output from a task
-- erases the prompt first (repl.c draws it again afterwards); `hide` does
-- nothing unless a prompt is on screen.  Also installs the helpers as
-- globals.
function M.install(hide, timefns)
  local print0, write0 = print, io.write
  _G.print = function(...)
    hide()
    return print0(...)
  end
  io.write = function(...)
    hide()
    return write0(...)
  end
  local methods = getmetatable(io.stdout).__index
  if type(methods) == "table" and type(methods.write) == "function" then
    local fwrite = methods.write
    methods.write = function(f, ...)
      if f == io.stdout or f == io.stderr then hide() end
      return fwrite(f, ...)
    end
  end
  _G.help = M.help
  local okc, commands = pcall(require, "lunet.commands")
  if okc then commands.extra_help = M.help_extra end
  _G.nodes = M.nodes
  _G.ss = M.ss
  _G.show = M.show
  _G.jobs = M.jobs
  _G.history = M.history
  _G.save = M.save
  _G.rewind = M.rewind
  -- time control (repl.c): pause(), resume(), speed(x), step([t]), now()
  for k, f in pairs(timefns or {}) do _G[k] = f end
end

return M
