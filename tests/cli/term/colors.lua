-- lunet.term and lunet.isatty, for term_test.sh: run piped (no terminal)
-- with LUNET_COLOR, NO_COLOR and TERM unset.
local term = require "lunet.term"

test("isatty", function()
  expect(lunet.isatty("stdout")):eq(false)
  expect(lunet.isatty(1)):eq(false)
  expect(lunet.isatty(2)):eq(lunet.isatty("stderr"))
  expect(function() lunet.isatty("stdtty") end):raises("bad argument #1 to '[%w.]*isatty' %(expected \"stdout\"")
  expect(function() lunet.isatty(5) end):raises("bad argument #1")
end)

test("auto on a pipe: no colour", function()
  term.reset()
  expect(term.color("stdout")):eq(false)
  expect(term.paint("stdout", "red", "x")):eq("x")
end)

test("lunet.color and the cache", function()
  local saved = lunet.color
  term.reset()
  expect(term.color("stdout")):eq(false)
  lunet.color = "always"
  expect(term.color("stdout")):eq(false)          -- cached until reset
  term.reset()
  expect(term.color("stdout")):eq(true)
  expect(term.color(2)):eq(true)
  expect(term.paint("stdout", "red", "x")):eq("\27[31mx\27[0m")
  expect(term.paint(1, "bold red", "x")):eq("\27[1;31mx\27[0m")
  expect(term.paint("stderr", "dim  cyan", 42)):eq("\27[2;36m42\27[0m")
  expect(term.paint("stdout", "green", "")):eq("")
  lunet.color = "never"
  term.reset()
  expect(term.color("stdout")):eq(false)
  lunet.color = saved
  term.reset()
end)

test("styles", function()
  local saved = lunet.color
  lunet.color = "always"
  term.reset()
  local want = { red = 31, green = 32, yellow = 33, blue = 34, magenta = 35, cyan = 36,
                 bold = 1, dim = 2 }
  for style, n in pairs(want) do
    expect(term.paint("stdout", style, "t"), style):eq("\27[" .. n .. "mt\27[0m")
  end
  lunet.color = saved
  term.reset()
  expect(function() term.paint("stdout", "purple", "x") end):raises('unknown style "purple"')
  expect(function() term.paint("stdout", "", "x") end):raises("empty style")
  expect(function() term.paint("stdin", "red", "x") end):raises("stream must be")
  expect(function() term.color("tty") end):raises("stream must be")
end)

test("strip", function()
  expect(term.strip("\27[1;31mFAIL\27[0m x \27[32mok\27[m")):eq("FAIL x ok")
  expect(term.strip("\27[38;5;196mred\27[0m")):eq("red")
  expect(term.strip("plain [31m text")):eq("plain [31m text")
  expect(term.strip("\r\27[K  kept")):eq("\r\27[K  kept")   -- SGR only
end)
