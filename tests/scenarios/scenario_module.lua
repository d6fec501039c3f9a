-- scenario_module.lua - lunet.scenario, the classroom frame of scripts/
-- (issue 10): knobs parsed and checked, --help, explanations in the chosen
-- language, claims that are expectations with the textbook's knobs and
-- explanations with changed ones.

local scenario = require "lunet.scenario"

local KNOBS = {
  {"data", default = 3, try = 0, min = 0, max = 10, help = {en = "segments", zh = "报文段"}},
  {"loss", default = "0%", try = "5%", kind = "prob", help = {en = "loss", zh = "丢包率"}},
  {"delay", default = "5ms", try = "50ms", kind = "time", help = {en = "delay", zh = "时延"}},
  {"cookies", default = true, try = "off", kind = "boolean", help = {en = "SYN cookies", zh = "SYN cookies"}},
  {"cc", default = "cubic", try = "reno", values = {"cubic", "reno"}, help = {en = "congestion control", zh = "拥塞控制"}},
  {"ts", default = "off", try = "on", kind = "boolean", help = {en = "timestamps", zh = "时间戳"}},
  {"rcvbuf", default = "64KB", try = "4096", kind = "size", help = {en = "receive buffer", zh = "接收缓冲区"}},
}

local function make(args, lang)
  local lines = {}
  local saved = lunet.lang
  lunet.lang = lang
  local ok, sc = pcall(scenario.new, {name = "demo", title = {en = "Demo", zh = "演示"}, knobs = KNOBS, args = args,
                                      exit = false, print = function(s) lines[#lines + 1] = s end})
  lunet.lang = saved
  return ok, sc, lines
end

test("defaults are the textbook's, parsed by kind", function()
  local ok, sc, lines = make({})
  expect(ok):eq(true)
  expect(sc.textbook):eq(true)
  expect(sc.k):eq{data = 3, loss = 0.0, delay = lunet.time("5ms"), cookies = true, cc = "cubic", ts = false, rcvbuf = lunet.size("64KB")}
  expect(lines[1]):eq("Demo")
  expect(lines[2]):matches("^Times are virtual")
end)

test("key=value arguments change knobs, and the run says which", function()
  local ok, sc, lines = make({"data=7", "loss=5%", "delay=50ms", "cookies=off", "cc=reno", "rcvbuf=4096"})
  expect(ok):eq(true)
  expect(sc.textbook):eq(false)
  expect(sc.k):eq{data = 7, loss = 0.05, delay = lunet.time("50ms"), cookies = false, cc = "reno", ts = false, rcvbuf = 4096}
  expect(lines[2]):eq("Knobs changed: data=7 loss=5% delay=50ms cookies=off cc=reno rcvbuf=4096")
end)

test("bad knobs name what is allowed", function()
  local function err(a) local ok, e = make({a}); expect(ok):eq(false); return e end
  expect(err("nope=1")):eq('demo: knob "nope" unknown (known: data, loss, delay, cookies, cc, ts, rcvbuf)')
  expect(err("data=11")):eq("data=11: out of range (0..10)")
  expect(err("data=x")):eq("data=x: an integer is needed")
  expect(err("cc=bbr")):eq("cc=bbr: allowed values are cubic, reno")
  expect(err("cookies=maybe")):eq("cookies=maybe: on or off is needed")
  expect(err("delay=soon")):eq("delay=soon: a time like 10ms is needed")
  expect(err("rcvbuf=big")):eq("rcvbuf=big: a size like 4096 or 64KB is needed")
  expect(err("verbose")):matches('argument "verbose": knobs are key=value')
end)

test("--help lists every knob with its default and a value to try", function()
  local ok, sc, lines = make({"--help"})
  expect(ok):eq(true)
  expect(sc.helped):eq(true)
  expect(lines[1]):eq("What-if knobs (key=value after the script):")
  expect(lines[2]):eq("  data=        segments [default: 3; try: 0]")
  expect(lines[6]):eq("  cc=          congestion control (cubic|reno) [default: cubic; try: reno]")
  local _, _, zh = make({"--help"}, "zh")
  expect(zh[2]):eq("  data=        报文段 [默认: 3; 试试: 0]")
end)

test("say and t speak the chosen language, English when a text has no translation", function()
  local _, sc, lines = make({}, "zh")
  expect(lines[1]):eq("演示")
  sc:say({en = "seq %d", zh = "序号 %d"}, 1000)
  expect(lines[#lines]):eq("序号 1000")
  expect(sc:t{en = "ack", zh = "确认"}):eq("确认")
  sc:say{en = "only English"}
  expect(lines[#lines]):eq("only English")
end)

test("a claim is an expectation with the textbook's knobs, an explanation otherwise", function()
  local _, sc = make({})
  expect(sc:claim("segments", 3, 3)):eq(true)
  expect(function() sc:claim("segments", 4, 3) end):raises("segments: expected 4 to equal 3")
  local _, changed, lines = make({"data=4"})
  expect(changed:claim({en = "segments", zh = "报文段"}, 4, 3)):eq(false)
  expect(lines[#lines]):eq("[what-if] segments: the textbook expects 3, this run gave 4")
end)

test("a knob without a try value is the scenario's own error", function()
  expect(function() scenario.new{name = "x", knobs = {{"a", default = 1}}, args = {}, exit = false,
                                 print = function() end} end):raises("knob a has no try value")
end)
