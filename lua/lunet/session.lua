-- lunet.session - what was typed at `lunet repl`, replayed: the REPL's
-- rewind() and the scripts that save() writes.
--
-- Runs are deterministic, so a session is its starting file, its seed and
-- the lines typed, each with the virtual time at which it ran: building
-- the same network and running each line at its time reproduces every
-- packet and every line of output.  Each line runs the way the prompt ran
-- it: a command (lunet.commands) or Lua, as a task of the network whose
-- first part runs at once (lunet._task_now).
--
--   local session = require "lunet.session"
--   session.compile(line)               -- the line as a function, or nil, err
--   session.is_control(line)            -- pause(), step(), rewind(), ...:
--                                       -- not part of what happened
--   session.replay{file =, args =, seed =, lines = {{t =, line =}, ...}}
--                                       -- a saved session, headless
--   session.script(spec)                -- the Lua text of such a file

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")

local M = {}

-- A time in ns as the API takes it (a bare number would be seconds).
local function ns(t) return string.format("%dns", t) end

-- Lines that steer the REPL rather than the network: their effect on
-- virtual time is already in the times of the lines after them.
local CONTROL = {pause = true, resume = true, speed = true, step = true, now = true,
                 history = true, save = true, rewind = true, jobs = true, help = true}

function M.is_control(line)
  local name = line:match("^%s*([%a_][%w_]*)%s*%(.*%)%s*;?%s*$")
  return name ~= nil and CONTROL[name] == true
end

-- A line as the prompt compiles it: a command, else `return <line>` (an
-- expression), else a statement.
function M.compile(line, env)
  local ok, commands = pcall(require, "lunet.commands")
  if ok then
    local fn = commands.parse(line, env or _G)
    if fn then return fn end
  end
  local fn = load("return " .. line .. ";", "=stdin")
  if fn then return fn end
  return load(line, "=stdin")
end

-- Run the recorded lines whose time is at most `upto` (all of them when
-- nil), each at its time on the network get_net() gives then (a line may
-- make the network), through start(fn, line, background); after every
-- stretch of virtual time, check() (tasks that ended report then).
function M.run_lines(get_net, lines, upto, start, check)
  local saved = lunet.realtime
  lunet.realtime = false                 -- as fast as possible
  local ok, err = pcall(function()
    for _, rec in ipairs(lines) do
      if upto and rec.t > upto then break end
      local net = get_net()
      if net and rec.t > net:now() then
        net:run_until(ns(rec.t))
        if check then check() end
      end
      local fn, cerr = M.compile(rec.line)
      if not fn then error("replay: line " .. string.format("%q", rec.line) .. ": " .. tostring(cerr), 0) end
      start(fn, rec.line, rec.bg)
    end
    local net = get_net()
    if net and upto and upto > net:now() then net:run_until(ns(upto)) end
    if check then check() end
  end)
  lunet.realtime = saved
  if not ok then error(err, 0) end
end

-- Tasks started by replayed lines that had not finished: report each
-- one's results when it ends, in the order they were started.
function M.pending(print_values)
  local list = {}
  local function check()
    local k = 1
    while k <= #list do
      local t = list[k]
      if t:done() then
        table.remove(list, k)
        if t:status() == "done" then print_values(t:result()) end
      else
        k = k + 1
      end
    end
  end
  return list, check
end

-- The file of a saved session: running it with `lunet run` does what was
-- typed, at the times it was typed.
function M.script(spec)
  local out = {
    "-- A lunet repl session, saved: `lunet run` this file to replay what was",
    "-- typed, at the virtual times it was typed (runs are deterministic, so",
    "-- the same packets, the same output).",
    "require(\"lunet.session\").replay{",
    string.format("  file = %q,", spec.file or ""),
  }
  local args = {}
  for i, a in ipairs(spec.args or {}) do args[i] = string.format("%q", a) end
  out[#out + 1] = "  args = {" .. table.concat(args, ", ") .. "},"
  out[#out + 1] = string.format("  seed = %d,", spec.seed or 1)
  out[#out + 1] = "  lines = {"
  for _, rec in ipairs(spec.lines) do
    out[#out + 1] = string.format("    {t = %d, line = %q%s},  -- %s", rec.t, rec.line,
                                  rec.bg and ", bg = true" or "", lunet.fmt_time(rec.t))
  end
  out[#out + 1] = "  },"
  out[#out + 1] = "}"
  return table.concat(out, "\n") .. "\n"
end

-- Replay a saved session headless: build the file's network as the REPL
-- did, run each line at its time, then until the lines' tasks are done.
function M.replay(spec)
  local repl = require "lunet.repl"
  repl.install(function() end, nil)     -- the prompt's helpers, no prompt
  if spec.seed then lunet.default_seed = spec.seed end
  if spec.file and spec.file ~= "" then
    local chunk = assert(loadfile(spec.file))
    repl.adopt(spec.file, chunk(table.unpack(spec.args or {})))
  end
  local function get_net() return repl.current_net() end
  local tasks, check = M.pending(repl.print_values)
  M.run_lines(get_net, spec.lines, nil, function(fn)
    local net = get_net()
    if not net then
      repl.print_values(fn())
      return
    end
    local t, err = lunet._task_now(net, fn)
    if err then io.stderr:write("lunet: " .. err .. "\n") return end
    if t:done() then
      if t:status() == "done" then repl.print_values(t:result()) end
    else
      tasks[#tasks + 1] = t
    end
  end, check)
  -- the last lines may still run: give them the time they need (at most
  -- an hour of virtual time, in steps, so a network that never idles ends)
  local net = get_net()
  if not net then return end
  local limit = net:now() + lunet.time("1h")
  lunet.realtime = false
  while #tasks > 0 and net:now() < limit and net:next_event() do
    net:run_until(ns(math.min(limit, net:now() + lunet.time("1s"))))
    check()
  end
  return net
end

return M
