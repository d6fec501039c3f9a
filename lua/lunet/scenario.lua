-- lunet.scenario - what a classroom scenario under scripts/ needs besides
-- the network: what-if knobs from the command line, explanations in the
-- student's language, and claims that turn into explanations (not
-- tracebacks) when a knob changed what the textbook predicts.
--
--   local sc = require("lunet.scenario").new{
--     name = "half_close",
--     title = {en = "Half-close: ...", zh = "半关闭：..."},
--     knobs = {
--       {"data", default = 3, try = 0, kind = "integer", min = 0, max = 100,
--        help = {en = "segments the server sends after the client's FIN", zh = "..."}},
--       {"pending", default = "yes", try = "no", values = {"yes", "no"}, help = {...}},
--       {"loss", default = "0%", try = "5%", kind = "prob", help = {...}},
--     },
--   }
--   sc.k.data                        -- the knob's value (parsed)
--   sc:say{en = "...", zh = "..."}   -- one explanation, in lunet.lang
--   sc:say({en = "seq %d", zh = "序号 %d"}, x)   -- with string.format arguments
--   sc:claim("the server's FIN merges with its ACK", got, want)
--
-- Knobs: `lunet run scripts/x.lua key=value ...`; `--help` (or `help`)
-- lists them and exits.  Every knob names a `try` value, a what-if worth
-- trying that --help suggests and the test suite runs (tests/cli/
-- knobs_test.sh runs every scenario once per knob at its try value); an unknown key or a bad value is an error naming
-- what is allowed.  Every knob has a default, and with all defaults the
-- scenario is the textbook's: claim() is then an expectation (a failing
-- claim fails `lunet test`).  With any knob changed, a claim that no
-- longer holds prints what differs and the run goes on.
--
-- Language: lunet.lang ("en" or "zh", from --lang), else $LUNET_LANG,
-- else English.  A text without the language's version falls back to
-- English, so a missing translation shows rather than hiding the line.

local M = {}

local Scenario = {}
Scenario.__index = Scenario

function M.lang()
  local l = rawget(lunet, "lang") or os.getenv("LUNET_LANG")
  if l == "zh" or l == "en" then return l end
  return "en"
end

-- LUNET_STRICT_LANG=1 (the test suite's) makes a missing translation an
-- error instead of an English line in a Chinese run.
local function text(t, lang)
  if type(t) == "string" then return t end
  if t[lang] == nil and lang ~= "en" and os.getenv("LUNET_STRICT_LANG") then
    error("lunet.scenario: no " .. lang .. " text for: " .. tostring(t.en), 3)
  end
  return t[lang] or t.en or ""
end

-- The words of the scenario frame itself, in both languages.
local WORDS = {
  knobs = {en = "What-if knobs (key=value after the script):", zh = "假设旋钮（在脚本后写 key=value）："},
  default = {en = "default", zh = "默认"},
  try = {en = "try", zh = "试试"},
  changed = {en = "what-if", zh = "假设"},
  textbook = {en = "the textbook expects", zh = "教科书预期"},
  run_gave = {en = "this run gave", zh = "本次运行得到"},
  timebase = {en = "Times are virtual, from t=0 when the network starts; the link delays set them.",
              zh = "时间为虚拟时间，从网络启动时 t=0 算起，由链路时延决定。"},
  knobs_set = {en = "Knobs changed:", zh = "已改变的旋钮："},
}
M.WORDS = WORDS

-- A bad knob is a usage error: one line and exit status 2, as for a bad
-- option of lunet itself (a traceback would point into this file).  Under
-- `lunet test` (o.exit == false) it is raised instead.
local exit_on_error = true
local function fail(fmt, ...)
  local msg = string.format(fmt, ...)
  if not exit_on_error then error(msg, 0) end
  io.stdout:flush()
  io.stderr:write("lunet: " .. msg .. "\n")
  os.exit(2)
end

-- Parse one knob value from its string.
local function parse(k, s)
  if k.values then
    for _, v in ipairs(k.values) do if v == s then return v end end
    fail("%s=%s: allowed values are %s", k[1], s, table.concat(k.values, ", "))
  end
  local kind = k.kind or (math.type(k.default) == "integer" and "integer") or type(k.default)
  if kind == "integer" then
    local n = math.tointeger(tonumber(s))
    if not n then fail("%s=%s: an integer is needed", k[1], s) end
    if (k.min and n < k.min) or (k.max and n > k.max) then
      fail("%s=%s: out of range (%s..%s)", k[1], s, tostring(k.min or "-inf"), tostring(k.max or "inf"))
    end
    return n
  elseif kind == "prob" then
    local ok, p = pcall(lunet.prob, s)
    if not ok then fail("%s=%s: a probability like 5%% or 0.05 is needed", k[1], s) end
    return p
  elseif kind == "time" then
    local ok, t = pcall(lunet.time, s)
    if not ok then fail("%s=%s: a time like 10ms is needed", k[1], s) end
    return t
  elseif kind == "size" then
    -- a bare number on the command line is bytes, as a number is to lunet.size
    local ok, v = pcall(lunet.size, math.tointeger(tonumber(s)) or s)
    if not ok then fail("%s=%s: a size like 4096 or 64KB is needed", k[1], s) end
    return v
  elseif kind == "boolean" then
    if s == "on" or s == "yes" or s == "true" or s == "1" then return true end
    if s == "off" or s == "no" or s == "false" or s == "0" then return false end
    fail("%s=%s: on or off is needed", k[1], s)
  end
  return s
end

local function show(v)
  if type(v) == "boolean" then return v and "on" or "off" end
  return tostring(v)
end

function M.new(o)
  exit_on_error = o.exit ~= false
  local sc = setmetatable({name = o.name, knobs = o.knobs or {}, k = {}, lang = M.lang(),
                           changed = {}, out = o.print or print}, Scenario)
  local by = {}
  for _, k in ipairs(sc.knobs) do
    if k.try == nil then error("lunet.scenario: knob " .. tostring(k[1]) .. " has no try value", 2) end
    by[k[1]] = k
    local d = k.default
    if type(d) == "string" and (k.kind or k.values) then d = parse(k, d) end   -- may be false
    sc.k[k[1]] = d
  end
  local args = o.args or rawget(lunet, "args") or {}
  for _, a in ipairs(args) do
    if a == "--help" or a == "help" or a == "-h" then
      sc:help()
      if o.exit ~= false then os.exit(0) end
      sc.helped = true
    else
      local key, val = a:match("^([%w_]+)=(.*)$")
      if not key then
        fail("%s: argument %q: knobs are key=value (%s --help lists them)", o.name, a, o.name)
      end
      local k = by[key]
      if not k then
        local names = {}
        for _, kk in ipairs(sc.knobs) do names[#names + 1] = kk[1] end
        fail("%s: knob %q unknown (known: %s)", o.name, key, #names > 0 and table.concat(names, ", ") or "none")
      end
      sc.k[key] = parse(k, val)
      sc.changed[#sc.changed + 1] = key .. "=" .. val
    end
  end
  sc.textbook = #sc.changed == 0
  if o.title then sc:say(o.title) end
  if not sc.textbook then sc:say(WORDS.knobs_set, " " .. table.concat(sc.changed, " ")) end
  if o.timebase ~= false and not sc.helped then sc:say(WORDS.timebase) end
  return sc
end

function Scenario:help()
  local out = self.out
  out(text(WORDS.knobs, self.lang))
  for _, k in ipairs(self.knobs) do
    local allowed = k.values and (" (" .. table.concat(k.values, "|") .. ")") or ""
    out(string.format("  %-12s %s%s [%s: %s; %s: %s]", k[1] .. "=", text(k.help or "", self.lang), allowed,
                      text(WORDS.default, self.lang), show(k.default), text(WORDS.try, self.lang), show(k.try)))
  end
end

-- sc:say(t, ...): t is {en=, zh=} (or a string); with arguments, the
-- chosen text is a string.format pattern; a string argument after a table
-- with no % in it is appended.
function Scenario:say(t, ...)
  local s = text(t, self.lang)
  if select("#", ...) > 0 then
    if s:find("%", 1, true) then s = string.format(s, ...) else s = s .. table.concat({...}) end
  end
  self.out(s)
end

-- The captures a scenario made, flushed, one "pcap: PATH (N frames)" line
-- each, in the scenario's language.
function Scenario:pcaps(caps)
  for _, c in ipairs(caps) do
    c:flush()
    self:say({en = "pcap: %s (%d frames)", zh = "pcap：%s（%d 帧）"}, c.path, c:count())
  end
end

-- The text in the scenario's language (for ladders' notes and the like).
function Scenario:t(t, ...)
  local s = text(t, self.lang)
  if select("#", ...) > 0 then s = string.format(s, ...) end
  return s
end

-- A claim the explanation rests on: with the textbook's knobs, an
-- expectation (got must equal want); with changed knobs, a line saying
-- what differs when it does.  Returns whether it held.
function Scenario:claim(label, got, want)
  local held = require("lunet.test").deep_eq(got, want)
  if self.textbook then
    expect(got, text(label, self.lang)):eq(want)
  elseif not held then
    self.out(string.format("[%s] %s: %s %s, %s %s", text(WORDS.changed, self.lang), text(label, self.lang),
                           text(WORDS.textbook, self.lang), require("lunet.test").format(want),
                           text(WORDS.run_gave, self.lang), require("lunet.test").format(got)))
  end
  return held
end

return M
