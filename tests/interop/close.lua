-- close.lua - how connections between Linux and a virtual host end
-- (issue 14, scenario 4), run by close.sh (and by tw_counter.sh with
-- cases=linux_fin,virt_fin).
--
--   Linux 10.77.0.1 (lt0) ==TAP== v1 10.77.0.2
--
-- Each case is played twice: Linux connecting to v1 (v1 listens on one
-- port per case, PORTS below) and v1 connecting to Linux's port 9000 (the
-- cases one after the other, in the order given).  peer.py plays Linux's
-- end (close_case), this script v1's:
--   linux_rst        a line each way, then Linux aborts: v1 reads "reset"
--   virt_rst         Linux sends a line, v1 aborts (linger 0, close):
--                    Linux reads ECONNRESET
--   linux_fin        Linux sends "bye" and closes first: v1 reads EOF in
--                    CLOSE_WAIT and closes (LAST_ACK, then gone); Linux is
--                    left in TIME_WAIT
--   virt_fin         v1 sends "bye" and closes first: v1 in TIME_WAIT
--   linux_halfclose  Linux sends a request and shuts down its write side;
--                    v1, in CLOSE_WAIT, still sends HALF bytes, then closes
--   virt_halfclose   v1 sends a request and shuts down its side; Linux,
--                    after v1's FIN, still sends HALF bytes (v1 in
--                    FIN_WAIT_2), then closes: v1 in TIME_WAIT
--
-- One race is real and both stacks play it as Linux does: when the ACK of
-- the passive closer's FIN is late (a burst of data queued on the bridge),
-- the passive closer probes with its FIN again (a tail loss probe); the
-- active closer, in TIME_WAIT, acknowledges the copy, but the first ACK
-- has closed the passive closer meanwhile, which answers that ACK with a
-- RST, and the RST ends TIME_WAIT (RFC 1337's hazard; Linux with
-- tcp_rfc1337 = 0).  So a TIME_WAIT that is gone is accepted only with
-- that story on the wire: the FIN came twice, then the RST (fin_in,
-- rst_in here; the driver checks Linux's with fin_out, rst_out).
--
-- This script asserts v1's side and prints "case=... role=... local=...
-- remote=..." lines, then one per connection with its state and FIN/RST
-- counts, and v1's counters, for the driver.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local it = dofile(here .. "common.lua")

local PORTS = {linux_rst = 8001, virt_rst = 8002, linux_fin = 8003, virt_fin = 8004,
               linux_halfclose = 8005, virt_halfclose = 8006}
local CASES = {}
for c in (it.args.cases or "linux_rst,virt_rst,linux_fin,virt_fin,linux_halfclose,virt_halfclose"):gmatch("[^,]+") do
  assert(PORTS[c], "unknown case " .. c)
  CASES[#CASES + 1] = c
end
local HALF = it.num("half", 256 * 1024)
local T = {timeout = "10s"}

local net = lunet.net{}
local v1 = net:host("v1")
it.bridge(net, v1, {ip = "10.77.0.2/24"})
local cap = net:capture{iface = v1.eth0, file = it.dir .. "/lunet.pcap"}

-- FINs and RSTs per connection, both ways, keyed by v1's port and Linux's.
local wire = {}
local function count(lport, rport, what)
  local k = lport .. ":" .. rport
  wire[k] = wire[k] or {fin_in = 0, rst_in = 0, fin_out = 0, rst_out = 0}
  wire[k][what] = wire[k][what] + 1
end
for _, way in ipairs{"in", "out"} do
  net:on(way == "in" and "rx" or "tx", function(e)
    if e.node ~= "v1" or e.proto ~= "tcp" then return end
    local lport, rport = e.sport, e.dport                -- v1's port first
    if way == "in" then lport, rport = e.dport, e.sport end
    if e.flags:find("F") then count(lport, rport, "fin_" .. way) end
    if e.flags:find("R") then count(lport, rport, "rst_" .. way) end
  end)
end

-- The connection's entry in v1:sockets(), or nil when it is gone.
local function entry(loc, rem)
  for _, e in ipairs(v1:sockets("tcp")) do
    if e["local"] == loc and e.remote == rem then return e end
  end
end

local play = {}
function play.linux_rst(s, r)
  expect(s:receive("*l", T), r.tag .. ": Linux's line"):eq("hello")
  assert(s:send("hello\n"))
  local d, err = s:receive(T)
  expect(d, r.tag .. ": data after Linux's RST"):is_nil()
  expect(err, r.tag .. ": what receive says after Linux's RST"):eq("reset")
  s:close()
end
function play.virt_rst(s, r)
  expect(s:receive("*l", T), r.tag .. ": Linux's line"):eq("hello")
  -- As peer.py aborts: SO_LINGER {1, 0} and close (s:abort() would send
  -- the same RST, but a RST that Linux cannot send is not counted as
  -- Linux's linger-0 close is, TCPAbortOnData).
  assert(s:setoption("linger0", true))
  s:close()
end
function play.linux_fin(s, r)
  expect(s:receive("*a", T), r.tag .. ": Linux's data to its FIN"):eq("bye\n")
  expect(s:state(), r.tag .. ": after Linux's FIN"):eq("CLOSE_WAIT")
  s:close()                            -- LAST_ACK, then nothing left
end
function play.virt_fin(s, r)
  assert(s:send("bye\n"))
  s:close()
  r.timewait = true
end
function play.linux_halfclose(s, r)
  expect(s:receive("*a", T), r.tag .. ": Linux's request to its FIN"):eq("request\n")
  expect(s:state(), r.tag .. ": after Linux's FIN"):eq("CLOSE_WAIT")
  local n, err = s:send(HALF)          -- into a half-closed connection
  expect(n, r.tag .. ": bytes sent after Linux's FIN (" .. tostring(err) .. ")"):eq(HALF)
  s:close()
end
function play.virt_halfclose(s, r)
  assert(s:send("request\n"))
  assert(s:shutdown("send"))
  local first, err = s:receive(T)      -- Linux's data comes after our FIN
  expect(first, r.tag .. ": Linux's data after our FIN (" .. tostring(err) .. ")"):truthy()
  expect(s:state(), r.tag .. ": our FIN acknowledged, Linux still sending"):eq("FIN_WAIT_2")
  local n, h, e = #first, lunet.hash(first), nil
  while true do
    local d, why = s:receive(T)
    if not d then e = why; break end
    n, h = n + #d, lunet.hash(d, h)
  end
  expect(n, r.tag .. ": bytes Linux sent after our FIN"):eq(HALF)
  expect(h, r.tag .. ": they are the pattern Linux sent"):eq(lunet.hash(HALF))
  expect(e, r.tag .. ": the end of Linux's data"):eq("closed")
  s:close()
  r.timewait = true
end

local results, done = {}, 0
local function run_case(case, role, s)
  local la, lp = s:getsockname()
  local ra, rp = s:getpeername()
  local r = {case = case, role = role, lport = lp, rport = rp, loc = la .. ":" .. lp, rem = ra .. ":" .. rp,
             tag = case .. " (v1 " .. role .. ")"}
  results[#results + 1] = r
  it.report("case", case, "role", role, "local", r.loc, "remote", r.rem)
  play[case](s, r)
  done = done + 1
end

for _, case in ipairs(CASES) do
  local srv = assert(v1:listen(PORTS[case]))
  v1:spawn(function()
    local c = assert(srv:accept({timeout = "20s"}))
    srv:close()
    run_case(case, "server", c)
  end)
end

v1:spawn(function()
  it.ready()
  it.wait_go()                         -- Linux's server on 9000 is up
  for _, case in ipairs(CASES) do
    local s = assert(v1:connect(it.LINUX, 9000, T))
    run_case(case, "client", s)
  end
  while done < 2 * #CASES do lunet.sleep("20ms") end
  lunet.sleep("500ms")                 -- the last FINs, ACKs and RSTs

  -- Who is left where: TIME_WAIT for the connections v1 closed first,
  -- nothing for the ones Linux closed first or that were reset.
  local want_tw, raced = 0, 0
  for _, r in ipairs(results) do
    local e = entry(r.loc, r.rem)
    local state = e and e.state or "gone"
    local w = wire[r.lport .. ":" .. r.rport] or {fin_in = 0, rst_in = 0, fin_out = 0, rst_out = 0}
    it.report("case", r.case, "role", r.role, "v_state", state, "fin_in", w.fin_in, "rst_in", w.rst_in,
              "fin_out", w.fin_out, "rst_out", w.rst_out)
    if r.timewait then
      want_tw = want_tw + 1
      if state == "gone" and w.fin_in >= 2 and w.rst_in >= 1 then
        print(r.tag .. ": TIME_WAIT ended by Linux's RST after its FIN came twice (the race above)")
        raced = raced + 1
      else
        expect(state, r.tag .. ": v1's socket"):eq("TIME_WAIT")
        expect(e and e.timer, r.tag .. ": its timer"):eq("timewait")
      end
    else
      expect(state, r.tag .. ": v1's socket"):eq("gone")
    end
  end
  local tw = 0
  for _, e in ipairs(v1:sockets("tcp")) do
    if e.state == "TIME_WAIT" then tw = tw + 1 end
  end
  expect(tw, "v1's sockets in TIME_WAIT"):eq(want_tw - raced)
  it.report("v_timewait", tw, "v_timewait_raced", raced)

  -- The counters the driver compares with Linux's (the cases are played
  -- both ways round, so both stacks did the same things).
  local ns = v1:netstat()
  for _, k in ipairs({"TcpActiveOpens", "TcpPassiveOpens", "TcpAttemptFails", "TcpEstabResets",
                      "TcpOutRsts", "TcpExtTW", "TcpExtTCPAbortOnData", "TcpExtTCPAbortOnClose",
                      "TcpExtTCPAbortOnLinger"}) do
    it.report("v_" .. k, ns[k])
  end
  cap:close()
  net:stop()
end)

it.run(net, "40s")
