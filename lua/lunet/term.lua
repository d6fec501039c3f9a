-- lunet.term - colour on terminals: whether to colour a stream, and ANSI
-- SGR painting and stripping.  The rules live here only; main.c asks
-- color("stderr") for its error line, lunet test and the renderers paint
-- through paint().
--
--   local term = require "lunet.term"
--   term.color(stream)           -- true when stream ("stdout", "stderr",
--                                -- or 1, 2) is to be coloured
--   term.paint(stream, style, text)
--                                -- text wrapped in SGR codes when
--                                -- term.color(stream), else text itself;
--                                -- style: words from red green yellow blue
--                                -- magenta cyan bold dim, e.g. "bold red"
--   term.strip(text)             -- text without SGR sequences (ESC [ ... m)
--   term.reset()                 -- forget the cached decisions
--
-- The decision, per stream, made once and cached until term.reset():
--   1. lunet.color (nil unless the CLI's --color=WORD set it), else
--      $LUNET_COLOR: "always" or "never" settle it; "auto" (or anything
--      else) goes on to 2;
--   2. colour only when the stream is a terminal (lunet.isatty), NO_COLOR
--      is unset or empty (https://no-color.org) and TERM is not "dumb".

local M = {}

local SGR = {
  bold = 1, dim = 2,
  red = 31, green = 32, yellow = 33, blue = 34, magenta = 35, cyan = 36,
}

local STREAMS = { stdout = "stdout", stderr = "stderr", [1] = "stdout", [2] = "stderr" }

local cache = {}       -- "stdout"/"stderr" -> boolean
local codes = {}       -- style -> "\27[...m", checked once

local function stream_name(stream, fname)
  local s = STREAMS[stream]
  if not s then
    error(string.format('term.%s: stream must be "stdout", "stderr", 1 or 2, got %s',
                        fname, tostring(stream)), 3)
  end
  return s
end

local function decide(s)
  local lunet = package.loaded["lunet"] or require("lunet")
  local mode = lunet.color             -- the flag beats the environment
  if mode == nil then mode = os.getenv("LUNET_COLOR") end
  if mode == "always" then return true end
  if mode == "never" then return false end
  local no = os.getenv("NO_COLOR")
  if no and no ~= "" then return false end
  if os.getenv("TERM") == "dumb" then return false end
  return lunet.isatty(s)
end

function M.color(stream)
  local s = stream_name(stream, "color")
  local c = cache[s]
  if c == nil then
    c = decide(s)
    cache[s] = c
  end
  return c
end

local function code(style)
  local c = codes[style]
  if c then return c end
  if type(style) ~= "string" then
    error("term.paint: style must be a string, got " .. type(style), 3)
  end
  local parts = {}
  for w in style:gmatch("%S+") do
    local n = SGR[w]
    if not n then
      error(string.format('term.paint: unknown style "%s" (known: bold, dim, red, green, ' ..
                          'yellow, blue, magenta, cyan)', w), 3)
    end
    parts[#parts + 1] = n
  end
  if #parts == 0 then error("term.paint: empty style", 3) end
  c = "\27[" .. table.concat(parts, ";") .. "m"
  codes[style] = c
  return c
end

function M.paint(stream, style, text)
  local s = stream_name(stream, "paint")
  local c = code(style)                -- checked even when not colouring
  text = tostring(text)
  if text == "" or not M.color(s) then return text end
  return c .. text .. "\27[0m"
end

function M.strip(text)
  return (tostring(text):gsub("\27%[[%d;:]*m", ""))
end

function M.reset()
  cache = {}
end

return M
