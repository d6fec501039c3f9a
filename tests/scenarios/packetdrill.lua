-- packetdrill.lua - the `lunet packetdrill` tool itself: that it catches
-- what a script gets wrong (tests/packetdrill/fail/*.pkt, each naming the
-- verdict and the message it must give), reads the language's corners,
-- and evaluates code blocks.  The passing specifications of lunet's TCP
-- are tests/packetdrill/*.pkt, run one by one by ctest.

local pd = require "lunet.packetdrill"
local parse = require "lunet.pd_parse"
local code = require "lunet.pd_code"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]+$") or "."
local fail_dir = here .. "/../packetdrill/fail"

local function cfg()
  local c = {}
  for k, v in pairs(pd.DEFAULTS) do c[k] = v end
  return c
end

-- The "// expect:" lines of a fixture: the verdict and ":LINE: message"
-- first, then text the output must also hold.
local function expectations(path)
  local out = {}
  for line in io.lines(path) do
    local e = line:match("^// expect: (.*)$")
    if e then out[#out + 1] = e end
  end
  return out
end

local FIXTURES = {"wrong_seq", "wrong_flags", "late_packet", "wrong_errno", "wrong_option",
                  "nothing_sent", "tcpi_assert", "parse_error", "unsupported_tfo",
                  "unsupported_ipv6", "unsupported_cmd"}

for _, name in ipairs(FIXTURES) do
  test("fixture " .. name .. " gives its verdict and message", function()
    local path = fail_dir .. "/" .. name .. ".pkt"
    local want = expectations(path)
    expect(#want > 0, "the fixture has expectations"):truthy()
    local status, msg = pd.run_file(path, cfg(), {defs = {}, out = function() end})
    local verdict, rest = want[1]:match("^(%a+) (.*)$")
    expect(status):eq(verdict)
    expect(msg:find(path .. rest, 1, true) ~= nil, "message: " .. tostring(msg)):truthy()
    for i = 2, #want do
      expect(msg:find(want[i], 1, true) ~= nil, want[i] .. " in: " .. msg):truthy()
    end
  end)
end

test("every fixture is listed", function()
  local n = 0
  for _ in io.popen("ls " .. fail_dir .. "/*.pkt"):lines() do n = n + 1 end
  expect(n):eq(#FIXTURES)
end)

test("times: absolute, relative, ranges, blocking, any", function()
  local s = parse.parse(table.concat({
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
    "+.25 listen(3, 1) = 0",
    "0.3~0.4 < S 0:0(0) win 1",
    "+0.1~+0.2 < . 1:1(0) ack 1 win 1",
    "1.0...1.5 accept(3, ..., ...) = 4",
    "* > . 1:1(0) ack 1",
  }, "\n"), "t.pkt")
  local t = {}
  for i, ev in ipairs(s.events) do t[i] = ev.time end
  expect(t[1].kind):eq("abs"); expect(t[1].us):eq(0)
  expect(t[2].kind):eq("rel"); expect(t[2].us):eq(250000)
  expect(t[3].us):eq(300000); expect(t[3].us_end):eq(400000)
  expect(t[4].kind):eq("rel"); expect(t[4].us_end):eq(200000)
  expect(t[5].block_end.us):eq(1500000)
  expect(t[6].kind):eq("any")
end)

test("packets: flags, ranges, options, ICMP", function()
  local s = parse.parse(table.concat({
    "0 < S. 0:0(0) ack 1 win 32792 <mss 1000,sackOK,TS val 7 ecr 9,nop,wscale 7,eol>",
    "+0 < . 1:1(0) ack 1001 win 257 <sack 1:2 3:4,nop,nop>",
    "+0 > P. 1:1001(1000) ack 1 <...>",
    "+0 < [ect0] FP. 4294967295:4294967296(1) ack 1 win 5",
    "+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]",
  }, "\n"), "t.pkt")
  local p = s.events[1].packet
  expect(p.flags):eq("S."); expect(p.ack):eq(1); expect(p.win):eq(32792)
  expect(p.options[1][1]):eq("mss"); expect(p.options[3][2]):eq(7); expect(p.options[3][3]):eq(9)
  expect(s.events[2].packet.options[1][2][2][1]):eq(3)
  expect(s.events[3].packet.options):eq("any")
  expect(s.events[4].packet.ecn):eq("ect0"); expect(s.events[4].packet.flags):eq("FP.")
  local icmp = s.events[5].packet
  expect(icmp.icmp_type):eq(3); expect(icmp.icmp_code):eq(4); expect(icmp.mtu):eq(1200)
  expect(icmp.quote.len):eq(1460)
end)

test("system calls: structs, lists, or-ed flags, errno notes", function()
  local s = parse.parse(table.concat({
    "0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0",
    "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0",
    "+0 fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)",
    "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress (really))",
    "+0 poll([{fd=3, events=POLLIN, revents=0}], 1, 0) = 0",
  }, "\n"), "t.pkt")
  local c = s.events
  expect(c[1].syscall.args[4].k):eq("struct")
  expect(c[2].syscall.args[3].k):eq("or")
  expect(c[3].syscall.ret.v):eq(0x802); expect(c[3].syscall.errtext):eq("flags O_RDWR|O_NONBLOCK")
  expect(c[4].syscall.errno):eq("EINPROGRESS")
  expect(c[4].syscall.errtext):eq("Operation now in progress (really)")
  expect(c[5].syscall.args[1].k):eq("list")
end)

test("script errors name the file and line", function()
  local cases = {
    {"0 < S 0:10(5) win 1", "t.pkt:1: sequence range 0:10 does not hold 5 bytes"},
    {"0 < Q 0:0(0)", "t.pkt:1: expected TCP flags"},
    {"\n\n0 frob", "t.pkt:3: expected a packet (< or >), a system call"},
    {"0 < S 0:0(0) <mss 1,foo 2>", "t.pkt:1: unknown TCP option foo"},
    {"0 `sysctl", "t.pkt:1: command ` is never closed"},
    {"0 %{ x", "t.pkt:1: code block %{ is never closed"},
    {"0 < S 0:0(0) <md5 1>", "t.pkt:1: unsupported: TCP option md5"},
    {"0.2~0.1 < S 0:0(0)", "t.pkt:1: time range 0.2~0.1 ends before it starts"},
    -- found by fuzz_pkt: numbers that must be whole
    {"0 > . 4.02:4002(0) ack 2", "t.pkt:1: a sequence range like 1:1001(1000) must be a whole number in 0..4294967295, found 4.02"},
    {"0 < . 1:1(0) win 70000", "t.pkt:1: the window must be a whole number in 0..65535, found 70000"},
    {"0 < S 0:0(0) <mss 1.5>", "t.pkt:1: the mss must be a whole number in 0..65535, found 1.5"},
  }
  for _, c in ipairs(cases) do
    local ok, err = pcall(parse.parse, c[1], "t.pkt")
    expect(ok, c[1]):falsy()
    expect(tostring(err):find(c[2], 1, true) ~= nil, c[2] .. " in: " .. tostring(err)):truthy()
  end
end)

test("an init command: a `command` before the first event, without a time", function()
  local s = parse.parse("// x\n`sysctl -q net.ipv4.tcp_sack=0`\n0 socket(..., SOCK_STREAM, 0) = 3", "t.pkt")
  expect(s.init[1].command):eq("sysctl -q net.ipv4.tcp_sack=0")
  expect(s.init[1].line):eq(2)
  expect(#s.events):eq(1)
end)

test("--init_scripts: command files run before each script", function()
  local f = os.tmpname()
  local fh = assert(io.open(f, "w"))
  fh:write("# the host offers no SACK\nsysctl -q net.ipv4.tcp_sack=0\n")
  fh:close()
  local script = os.tmpname()
  fh = assert(io.open(script, "w"))
  fh:write("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n",
           "+0 < S 0:0(0) win 1000 <mss 1460,sackOK>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n")
  fh:close()
  local lines = {}
  expect(pd.main({"--init_scripts=" .. f, script}, {out = function(l) lines[#lines + 1] = l end})):eq(0)
  expect(pd.main({"--init_scripts=/nonexistent/x.sh", script}, {out = function(l) lines[#lines + 1] = l end})):eq(1)
  expect(lines[#lines - 1]:find("cannot open /nonexistent/x.sh", 1, true) ~= nil, lines[#lines - 1]):truthy()
  os.remove(f)
  os.remove(script)
end)

test("-D definitions replace whole names", function()
  local s = parse.parse("0 < S 0:0(0) win WIN <mss MSS>", "t.pkt", {WIN = "999", MSS = "1234"})
  expect(s.events[1].packet.win):eq(999)
  expect(s.events[1].packet.options[1][2]):eq(1234)
end)

test("code blocks: Python comparisons on tcpi fields", function()
  local env = {tcpi_snd_cwnd = 10, tcpi_rto = 200000, tcpi_ca_state = 3, TCP_CA_Recovery = 3}
  expect(code.run("assert tcpi_snd_cwnd == 10", env)):eq(nil)
  expect(code.run("assert 100000 <= tcpi_rto <= 300000; assert tcpi_ca_state == TCP_CA_Recovery", env)):eq(nil)
  expect(code.run("assert tcpi_snd_cwnd * 2 == 20 and not tcpi_rto < 0", env)):eq(nil)
  expect(code.run("assert 1 < tcpi_snd_cwnd < 5, tcpi_snd_cwnd", env))
    :eq("assertion failed: assert 1 < tcpi_snd_cwnd < 5, tcpi_snd_cwnd (10)")
  local ok, err = pcall(code.run, "import os", env)
  expect(ok):falsy()
  expect(err.unsupported):eq("code block statement: import os")
end)

test("usage errors: exit 2 with what is wrong", function()
  local lines = {}
  local out = function(l) lines[#lines + 1] = l end
  expect(pd.main({"--nosuch=1", "x.pkt"}, {out = out})):eq(2)
  expect(pd.main({}, {out = out})):eq(2)
  expect(pd.main({"--local_ip=1.2.3"}, {out = out})):eq(2)
  expect(pd.main({"/nonexistent/x.pkt"}, {out = out})):eq(2)
end)

test("a run of several scripts sums up, and fails if one fails", function()
  local lines = {}
  local rc = pd.main({here .. "/../packetdrill/nagle.pkt", fail_dir .. "/wrong_seq.pkt",
                      fail_dir .. "/unsupported_cmd.pkt"}, {out = function(l) lines[#lines + 1] = l end})
  expect(rc):eq(1)
  expect(lines[#lines]):eq("1 passed, 1 failed, 1 skipped")
  expect(lines[1]:match("^pass  ")):truthy()
end)

-- Every specification's run, captured, is clean in tshark: no malformed
-- frame, no bad checksum, no error-level expert note.
test("--pcap: every run's capture is clean in tshark", function()
  local ts = dofile(here .. "/../lib/tshark.lua")
  if not ts.have() then skip("tshark not installed") end
  local dir = os.tmpname()
  os.remove(dir)
  local scripts = {}
  for f in io.popen("ls " .. ts.q(here .. "/../packetdrill") .. "/*.pkt"):lines() do scripts[#scripts + 1] = f end
  local args = {"--pcap", dir}
  for _, f in ipairs(scripts) do args[#args + 1] = f end
  expect(pd.main(args, {out = function() end})):eq(0)
  local filter = '_ws.malformed or ip.checksum.status == "Bad" or tcp.checksum.status == "Bad"'
              .. ' or udp.checksum.status == "Bad" or _ws.expert.severity >= "error"'
  local prefs = "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
  -- One tshark run over all of them (tshark takes a while to start).
  local pcaps = {}
  for i, f in ipairs(scripts) do
    pcaps[i] = dir .. "/" .. f:match("([^/]+)%.pkt$") .. ".pcap"
    local fh = assert(io.open(pcaps[i], "rb"))
    expect(fh:seek("end") > 24, pcaps[i] .. " has frames"):truthy()
    fh:close()
  end
  local quoted = {}
  for i, p in ipairs(pcaps) do quoted[i] = ts.q(p) end
  local merged = dir .. "/all.pcap"
  local _, ok = ts.sh("mergecap -F pcap -w " .. ts.q(merged) .. " " .. table.concat(quoted, " ") .. " 2>&1")
  expect(ok, "mergecap"):truthy()
  expect(ts.sh(string.format("tshark -r %s %s -Y %s 2>/dev/null", ts.q(merged), prefs, ts.q(filter)))):eq("")
  local frames = ts.sh("tshark -r " .. ts.q(merged) .. " 2>/dev/null")
  expect(select(2, frames:gsub("\n", "")) > 100, "frames in the runs"):truthy()
  for _, p in ipairs(pcaps) do os.remove(p) end
  os.remove(merged)
  os.remove(dir)
end)
