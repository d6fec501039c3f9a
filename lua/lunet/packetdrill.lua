-- lunet.packetdrill - `lunet packetdrill [options] FILE.pkt...`: run
-- packetdrill scripts against lunet's TCP, in virtual time.
--
-- Each script gets a fresh network: the host under test ("host", the
-- script's local_ip, default route through gateway_ip) on a link whose far
-- end is the script ("script").  Inbound packets are handed to the host's
-- interface at their time; what the host sends toward the script is taken
-- off the link (and never reaches anyone), queued, and compared with the
-- script's outbound packets in order.  System calls run on the host's
-- sockets (lunet.pd_sys).  Virtual time makes every run exact and the
-- same: timing is still checked against --tolerance_usecs, as packetdrill
-- checks it, because the script's times are what Linux does.
--
-- The order of work follows packetdrill's interpreter: an event's relative
-- time counts from the moment the previous event finished (a sniffed
-- packet, from its arrival), except that consecutive inbound packets
-- count from each other's script times; an outbound packet is sniffed at
-- once, so one sent early is caught; a blocking call ("...") runs while
-- later packets are injected and is checked when the next call starts or
-- the script ends.
--
-- Results: one line per script ("pass", "FAIL" with the reason, "skip"
-- with what is not supported), then "N passed, N failed[, N skipped]".
-- Exit status 0 when no script failed, 1 otherwise, 2 for bad usage.

local parse = require "lunet.pd_parse"
local psys = require "lunet.pd_sys"
local ppkt = require "lunet.pd_packet"
local pcode = require "lunet.pd_code"
local pcmd = require "lunet.pd_cmd"
local pladder = require "lunet.pd_ladder"

local M = {}

local WAIT = psys.WAIT

M.DEFAULTS = {
  tolerance_usecs = 4000, tolerance_percent = 12.5,
  local_ip = "192.168.0.2", remote_ip = "192.0.2.1", gateway_ip = "192.168.0.1",
  netmask_ip = "255.255.0.0", mtu = 1500, bind_port = 8080, connect_port = 8080,
  ip_version = "ipv4", tcp_ts_tick_usecs = 0, seed = 1,
}

local SNIFF_HORIZON = 60 * 1000000   -- µs past an expected packet to keep looking

-- ---- errors ------------------------------------------------------------------

-- A failure of the script (at a line) or a skip, raised as a table.
local function fail_at(line, msg) error({fail = msg, line = line}, 0) end

-- Call fn(...); a lunet.pd_err report it raises becomes a skip or a
-- failure at the event's line (prefix and suffix wrap its words), any
-- other error goes on as it is.
local function guarded(line, prefix, suffix, fn, ...)
  local res = table.pack(pcall(fn, ...))
  if res[1] then return table.unpack(res, 2, res.n) end
  local err = res[2]
  if type(err) == "table" and err.unsupported then
    error({skip = "unsupported: " .. err.unsupported .. suffix, line = line}, 0)
  end
  if type(err) == "table" and err.script then fail_at(line or 0, prefix .. err.script .. suffix) end
  error(err, 0)
end

-- ---- the network -----------------------------------------------------------------

local function prefix_len(mask)
  local n, bits = 0, require("lunet.util").ip_num(mask)
  if not bits then error({usage = "--netmask_ip: not an address: " .. tostring(mask)}, 0) end
  for i = 31, 0, -1 do
    if bits & (1 << i) == 0 then break end
    n = n + 1
  end
  return n
end

local function same_subnet(a, b, plen)
  local util = require "lunet.util"
  local mask = plen == 0 and 0 or ((0xffffffff << (32 - plen)) & 0xffffffff)
  return (util.ip_num(a) & mask) == (util.ip_num(b) & mask)
end

local Run = {}
Run.__index = Run

function Run:build_net()
  local cfg = self.cfg
  local net = lunet.net{seed = cfg.seed, name = self.name}
  local host, peer = net:host("host"), net:host("script")
  local plen = prefix_len(cfg.netmask_ip)
  -- An ideal wire (no delay, no serialisation): what the script sends
  -- arrives at its time, what the host sends is seen at once.
  -- The wire takes any size: the script may send segments larger than
  -- the MTU, as a tun device takes them (GRO-sized).  The host keeps its
  -- own MTU for what it sends.
  local link = net:link(host, peer, {mtu = 65535, bandwidth = 0, delay = 0,
                                     ip = {cfg.local_ip .. "/" .. plen, cfg.gateway_ip .. "/" .. plen}})
  local ifc = host:ifaces()[1]
  local pifc = peer:ifaces()[1]
  ifc:mtu(cfg.mtu)
  if not same_subnet(cfg.local_ip, cfg.remote_ip, plen) then host:route("default", cfg.gateway_ip) end
  -- As on packetdrill's tun device, no ARP: the neighbours are known.
  host:arp_set(cfg.gateway_ip, pifc.mac, ifc.name)
  if same_subnet(cfg.local_ip, cfg.remote_ip, plen) then host:arp_set(cfg.remote_ip, pifc.mac, ifc.name) end
  self.net, self.host, self.peer, self.link, self.ifc, self.pifc = net, host, peer, link, ifc, pifc
  cfg.local_mac, cfg.remote_mac = ifc.mac, pifc.mac
  if self.opts.pcap then
    os.execute("mkdir -p '" .. self.opts.pcap:gsub("'", "'\\''") .. "'")
    self.capture = net:capture{link = link, file = self.opts.pcap .. "/" .. self.name .. ".pcap"}
  end
  -- What the host sends toward the script is queued for the script's
  -- outbound packets; the frame goes on to the script's node, which is
  -- not the addressee and drops it quietly (as a tun device's reader
  -- consumes it).
  self.queue = {}
  self.seen = {}
  net:intercept{on = link, dir = "ab", action = {observe = function(pkt, ctx)
    local q = {d = pkt, t = ctx.t}
    self.queue[#self.queue + 1] = q
    self.seen[#self.seen + 1] = q
  end}}
end

-- ---- time ---------------------------------------------------------------------

function Run:now_us() return self.net:now() // 1000 end

-- Run the network up to t (µs), trying a blocked call after every event;
-- stop early when stop() says so.
function Run:advance(t_us, stop)
  local t = t_us * 1000
  while true do
    self:retry()
    if stop and stop() then return true end
    local nx = self.net:next_event()
    -- A call waiting with a timeout (poll) wakes at its deadline.
    local wake = self.proc and self.pending and not self.pending.result and self.proc.wake_at
    if wake and wake <= t and (not nx or wake < nx) then
      if wake > self.net:now() then self.net:run_until(string.format("%dns", wake)) end
      self:retry()
      if stop and stop() then return true end
      nx = self.net:next_event()
    end
    if not nx or nx > t then break end
    self.net:step()
  end
  if self.net:now() < t then self.net:run_until(string.format("%dns", t)) end
  self:retry()
  return stop and stop() or false
end

local function is_inbound(ev) return ev.type == "packet" and ev.packet.dir == "<" end

-- The script time of an event (and the end of its range), packetdrill's
-- adjust_relative_event_times.
function Run:place(ev)
  local t = ev.time
  if t.kind == "any" then ev.at, ev.at_end = self:now_us(), nil; return end
  local off = 0
  if t.kind == "rel" then
    if self.last and is_inbound(self.last) and is_inbound(ev) then off = self.last.at
    else off = self:now_us() end
  end
  ev.at = t.us + off
  ev.at_end = t.us_end and (t.us_end + off)
  -- packetdrill: the end of a blocking call shares its start's base, so
  -- "+0...0.2" ends 0.2 s after the previous event.
  if t.block_end then ev.block_end = t.block_end.us + off end
end

local function secs(us) return string.format("%.6f", us / 1e6) end

-- packetdrill's verify_time: the tolerance grows with the gap since the
-- previous event (tolerance_percent of it), for the timer wheel's slack.
function Run:check_time(ev, actual, what, at, at_end)
  if ev.time.kind == "any" then return end
  at, at_end = at or ev.at, at_end or ev.at_end
  local tol = self.cfg.tolerance_usecs
  if self.last_at then
    local dyn = math.floor(self.cfg.tolerance_percent / 100 * (at - self.last_at))
    if dyn > tol then tol = dyn end
  end
  if at_end then
    if actual < at - tol or actual > at_end + tol then
      fail_at(ev.line, string.format("timing error: expected %s in time range %s~%s sec but happened at %s sec",
                                     what, secs(at), secs(at_end), secs(actual)))
    end
  elseif math.abs(actual - at) > tol then
    fail_at(ev.line, string.format("timing error: expected %s at %s sec but happened at %s sec; tolerance %s sec",
                                   what, secs(at), secs(actual), secs(tol)))
  end
end

-- Wait for an event's time; an event whose time has already passed (an
-- earlier packet came late) must still be within the tolerance.
function Run:wait_for(ev, what)
  if ev.at > self:now_us() then self:advance(ev.at) end
  self:check_time(ev, self:now_us(), what)
end

-- ---- the connection under test ---------------------------------------------------

function Run:new_conn(mode)
  self.conn = {mode = mode, ts_map = {}, lport = self.cfg.bind_port, rport = self.cfg.connect_port}
  return self.conn
end

-- The live frame belongs to the connection under test (or to the
-- connect() in progress, which it then completes).
function Run:mine(d)
  local c, cfg = self.conn, self.cfg
  if not c or not d.ip or d.ip.src ~= cfg.local_ip or d.ip.dst ~= cfg.remote_ip then return false end
  if d.icmp then return true end
  if c.proto == "udp" then
    if not d.udp or d.udp.dstport ~= c.rport then return false end
    c.lport = c.lport or d.udp.srcport
    return d.udp.srcport == c.lport
  end
  if not d.tcp then return false end
  if c.mode == "connecting" then
    local f = type(d.tcp.flags) == "string" and d.tcp.flags or ""
    if d.tcp.dstport ~= c.rport or not f:find("S", 1, true) or f:find(".", 1, true) then return false end
    c.mode, c.lport, c.live_local_isn = "active", d.tcp.srcport, d.tcp.seq
    return true
  end
  return d.tcp.srcport == c.lport and d.tcp.dstport == c.rport
end

-- The next frame of the connection sent by deadline (µs), or nil.
function Run:sniff(deadline)
  while true do
    while #self.queue > 0 do
      local q = table.remove(self.queue, 1)
      if type(q.d) == "table" and self:mine(q.d) then q.used = true; return q end
    end
    local got = self:advance(deadline, function() return #self.queue > 0 end)
    if not got then return nil end
  end
end

-- ---- packets ----------------------------------------------------------------------

function Run:inbound(ev)
  local p, cfg = ev.packet, self.cfg
  if p.proto == "tcp" and p.flags:find("S", 1, true) and not p.flags:find(".", 1, true)
      and (not self.conn or self.conn.mode == "listen") then
    local c = self:new_conn("passive")
    c.lport = self.listen_port or cfg.bind_port
    self.next_rport = (self.next_rport or 40000) + 1
    c.rport = self.next_rport - 1
    c.script_remote_isn = p.seq
  elseif not self.conn then
    self:new_conn("passive").rport = 40000
  end
  if p.proto == "tcp" and self.conn.mode == "active" and p.flags:find("S", 1, true) then
    self.conn.script_remote_isn = p.seq
  end
  self:wait_for(ev, "inbound packet")
  local build = p.proto == "icmp" and ppkt.inbound_icmp or p.proto == "udp" and ppkt.inbound_udp or ppkt.inbound
  local frame = guarded(ev.line, "error handling packet: ", "", build, p, self.conn, cfg)
  local pkt = lunet.packet(frame)
  self.peer:send_frame(self.pifc, pkt:bytes())
  -- Let it arrive and be processed now, before the next event.
  self:advance(self:now_us())
  self:row("in", ppkt.script_text(p))
  self:verbose("inbound", ev, pkt)
end

-- The segments that make up the script's outbound one.
function Run:gather(ev, want, deadline)
  local first = self:sniff(deadline)
  if not first then return nil end
  local list = {ppkt.from_frame(first.d)}
  local have = list[1].len
  while have < want.len and not self.cfg.strict_segments do
    local q = self:sniff(self:now_us())      -- only what is already sent
    if not q then break end
    local nxt = ppkt.from_frame(q.d)
    if not ppkt.continues(list[1], list[#list], nxt, want.len, have) then
      table.insert(self.queue, 1, q)
      break
    end
    list[#list + 1] = nxt
    have = have + nxt.len
  end
  return ppkt.aggregate(list), first
end

-- An outbound UDP datagram or ICMP message: its length, or its type and
-- code, and its time.
function Run:outbound_other(ev, p)
  local horizon = (ev.at_end or ev.at) + self.cfg.tolerance_usecs + SNIFF_HORIZON
  local q = self:sniff(horizon)
  local want = ppkt.script_text(p)
  if not q then
    fail_at(ev.line, string.format("error handling packet: expected outbound packet at %s sec, but the host " ..
                                   "sent nothing by %s sec\nscript packet: %9s %s", secs(ev.at), secs(horizon),
                                   secs(ev.at), want))
  end
  local t = q.t // 1000
  local got = ppkt.frame_text(q.d)
  local dump = string.format("\nscript packet: %9s %s\nactual packet: %9s %s", secs(ev.at), want, secs(t), got)
  self:row("out", got, t)
  local why = ppkt.compare_other(p, q.d)
  if why then fail_at(ev.line, "error handling packet: " .. why .. dump) end
  self:check_time(ev, t, "outbound packet")
end

function Run:outbound(ev)
  local p = ev.packet
  local c = self.conn
  if not c then fail_at(ev.line, "error handling packet: no matching socket for script packet") end
  if p.proto ~= "tcp" then return self:outbound_other(ev, p) end
  local want = ppkt.from_script(p)
  local syn = p.flags:find("S", 1, true)
  if syn then c.script_local_isn = p.seq end
  local horizon = (ev.at_end or ev.at) + self.cfg.tolerance_usecs + SNIFF_HORIZON
  local live, first = self:gather(ev, want, horizon)
  if not live then
    fail_at(ev.line, string.format("error handling packet: expected outbound packet at %s sec, but the host " ..
                                   "sent nothing by %s sec\nscript packet: %9s %s", secs(ev.at),
                                   secs(horizon), secs(ev.at), ppkt.text(want)))
  end
  if syn and live.flags:find("S", 1, true) then c.live_local_isn = live.seq end
  local actual = ppkt.to_script(live, c, want)
  local t = first.t // 1000
  self:row("out", ppkt.text(actual), t)
  local why = ppkt.compare(want, actual)
  local dump = string.format("\nscript packet: %9s %s\nactual packet: %9s %s", secs(ev.at), ppkt.text(want),
                             secs(t), ppkt.text(actual))
  if why then fail_at(ev.line, "error handling packet: " .. why .. dump) end
  local ok, err = pcall(self.check_time, self, ev, t, "outbound packet")
  if not ok then
    if type(err) == "table" and err.fail then err.fail = "error handling packet: " .. err.fail .. dump end
    error(err, 0)
  end
  self:verbose("outbound", ev, nil, actual, t)
end

-- ---- system calls -----------------------------------------------------------------

function Run:try(pend)
  return guarded(pend.ev.line, "", "", self.proc.call, self.proc, pend.call)
end

function Run:retry()
  local p = self.pending
  if p and not p.result then
    local r = self:try(p)
    if r ~= WAIT then p.result, p.done_at = r, self:now_us() end
  end
end

local function errno_text(r)
  if r.ret == -1 and r.errno then return string.format("-1 %s", r.errno) end
  return tostring(r.ret)
end

-- Check a finished call's result and end time.
function Run:finish(pend)
  local ev, call, r = pend.ev, pend.call, pend.result
  self.pending = nil
  local text = pladder.call_text(call, r)
  if pend.done_at ~= pend.started then
    text = string.format("%s   (blocked %s s)", text, secs(pend.done_at - pend.started):gsub("0+$", ""))
  end
  self:row("call", text, pend.done_at)
  if self.opts.verbose then
    self.out(string.format("%s:%d: %s %s", self.src, ev.line, secs(pend.done_at), text))
  end
  local want_ret = call.ret.k ~= "ellipsis" and psys.value(call.ret) or nil
  local want = {ret = want_ret, errno = call.errno}
  if r.mismatch then fail_at(ev.line, string.format("%s: %s", call.name, r.mismatch)) end
  if (want.ret ~= nil and want.ret ~= r.ret) or (want.errno and want.errno ~= r.errno
      and not (psys.ERRNO[want.errno] and psys.ERRNO[want.errno] == psys.ERRNO[r.errno or ""])) then
    fail_at(ev.line, string.format("%s() returned %s; the script expects %s", call.name, errno_text(r),
                                   want.errno and ("-1 " .. want.errno) or tostring(want.ret)))
  end
  if ev.block_end then
    self:check_time(ev, pend.done_at, "system call return", ev.block_end)
  else
    self:check_time(ev, pend.done_at, "system call return (a non-blocking call; write start...end for one that blocks)",
                    pend.started)
  end
end

-- Wait for the call in progress to return (packetdrill's await_idle_thread).
function Run:await()
  local p = self.pending
  if not p then return end
  if not p.result then
    local horizon = (p.ev.block_end or p.started) + self.cfg.tolerance_usecs + SNIFF_HORIZON
    self:advance(horizon, function() return p.result ~= nil end)
    if not p.result then
      fail_at(p.ev.line, string.format("%s() was still blocked at %s sec", p.call.name, secs(self:now_us())))
    end
  end
  self:finish(p)
end

function Run:syscall(ev)
  self:await()
  self:wait_for(ev, "system call start")
  local pend = {ev = ev, call = ev.syscall, started = self:now_us()}
  self.pending = pend
  self:retry()
  if not ev.block_end then self:await() end
end

-- ---- commands and code ---------------------------------------------------------------

-- A command line, at the current time; line is the script's (or nil
-- for an --init_scripts file, named by where).
function Run:run_command(line, command, where)
  self:row("cmd", "`" .. command .. "`")
  guarded(line, "", where and (" (in " .. where .. ")") or "", pcmd.run, self.host, command)
end

function Run:command(ev)
  self:wait_for(ev, "command")
  self:run_command(ev.line, ev.command)
end

-- packetdrill's --init_scripts: files of commands run before the script
-- (defaults.sh is known by name: packetdrill's usual defaults).
function Run:init_scripts()
  for path in tostring(self.cfg.init_scripts or ""):gmatch("[^,]+") do
    if path:match("defaults%.sh$") then
      self:run_command(nil, path, path)
    else
      local fh = io.open(path, "r")
      if not fh then error({usage = "--init_scripts: cannot open " .. path}, 0) end
      for l in fh:lines() do
        if l:match("%S") and not l:match("^%s*#") then self:run_command(nil, l, path) end
      end
      fh:close()
    end
  end
end

function Run:code(ev)
  self:wait_for(ev, "data collection for code")
  self:row("cmd", "%{" .. ev.code:gsub("%s+", " ") .. "}%")
  local f = self.proc.sut
  if not f then fail_at(ev.line, "a code block needs a connected socket (after accept or connect)") end
  local info = f.sock:info()
  if not info then fail_at(ev.line, "the socket under test is closed") end
  local env = pcode.tcpi(info)
  for k, v in pairs(psys.SYM) do if k:match("^TCP_CA_") then env[k] = v end end
  local why = guarded(ev.line, "", "", pcode.run, ev.code, env)
  if why then fail_at(ev.line, why) end
end

-- ---- verbose output ---------------------------------------------------------------

function Run:verbose(kind, ev, pkt, seg, t)
  if not self.opts.verbose then return end
  local at = secs(t or self:now_us())
  if kind == "outbound" then
    self.out(string.format("%s:%d: %s outbound: %s", self.src, ev.line, at, ppkt.text(seg)))
  elseif kind == "inbound" then
    self.out(string.format("%s:%d: %s inbound:  %s", self.src, ev.line, at, ppkt.script_text(ev.packet)))
  end
end

-- ---- one script ------------------------------------------------------------------------

function Run:event(ev)
  self:place(ev)
  if ev.type == "packet" then
    if ev.packet.dir == "<" then self:inbound(ev) else self:outbound(ev) end
  elseif ev.type == "syscall" then
    self:syscall(ev)
  elseif ev.type == "command" then
    self:command(ev)
  else
    self:code(ev)
  end
  self.last, self.last_at = ev, ev.at
end

function Run:go(script)
  self:build_net()
  self.proc = psys.new{host = self.host, local_ip = self.cfg.local_ip, remote_ip = self.cfg.remote_ip,
                       bind_port = self.cfg.bind_port, connect_port = self.cfg.connect_port}
  local proc = self.proc
  proc.now = function() return self.net:now() end
  proc.on_listen = function(f)
    local _, port = f.sock:getsockname()
    self.listen_port = port
    self:new_conn("listen")
  end
  proc.on_accept = function(f) proc.sut = f end
  proc.on_udp = function(f)
    local c = self.conn
    if not c or c.proto ~= "udp" or proc.sut ~= f then
      c = self:new_conn("udp")
      c.proto, c.lport = "udp", nil
      proc.sut = f
    end
    local _, port = f.sock:getsockname()
    if port and port ~= 0 then c.lport = port end
    if f.peer then c.rport = f.peer[2] end
  end
  proc.on_connect = function(f)
    local c = self:new_conn("connecting")
    c.lport = nil
    proc.sut = f
  end
  self:init_scripts()
  for _, c in ipairs(script.init or {}) do self:run_command(c.line, c.command) end
  if #script.events > 0 and script.events[1].time.kind == "abs" and script.events[1].time.us ~= 0 then
    fail_at(script.events[1].line, "first event should be at time 0")
  end
  for _, ev in ipairs(script.events) do
    if self.last and ev.time.kind == "abs" and self.last.time.kind == "abs" and ev.time.us < self.last.time.us then
      fail_at(ev.line, string.format("time goes backward in script from %d usec to %d usec",
                                     self.last.time.us, ev.time.us))
    end
    self:event(ev)
  end
  self:await()
end

-- ---- options -----------------------------------------------------------------------------

local NUMERIC = {tolerance_usecs = true, tolerance_percent = true, mtu = true, bind_port = true,
                 connect_port = true, tcp_ts_tick_usecs = true, seed = true}
local STRINGS = {local_ip = true, remote_ip = true, gateway_ip = true, netmask_ip = true, ip_version = true,
                 init_scripts = true}

-- Apply one option "--name=value" (or name, value) to cfg / opts.
local function set_option(cfg, opts, name, value, where)
  local function usage(msg) error({usage = (where and (where .. ": ") or "") .. msg}, 0) end
  if NUMERIC[name] then
    local v = tonumber(value)
    if not v then usage(string.format("--%s needs a number, got %s", name, tostring(value))) end
    cfg[name] = v
  elseif STRINGS[name] then
    if not value or value == "" then usage("--" .. name .. " needs a value") end
    if name:match("_ip$") and not require("lunet.util").ip_num(value) then
      if value:find(":", 1, true) then usage("--" .. name .. ": IPv6 is not supported yet (" .. value .. ")") end
      usage(string.format("--%s: not an IPv4 address: %s", name, value))
    end
    if name == "ip_version" and value ~= "ipv4" then
      error({skip = "unsupported: --ip_version=" .. value .. " (lunet speaks IPv4 for now)"}, 0)
    end
    cfg[name] = value
  elseif name == "strict_segments" then
    cfg.strict_segments = true
  elseif name == "tcp_ts_ecr_scaled" then
    cfg.tcp_ts_ecr_scaled = true
  elseif name == "define" or name == "D" then
    local k, v = tostring(value):match("^([%a_][%w_]*)=(.*)$")
    if not k then usage("-D needs NAME=VALUE, got " .. tostring(value)) end
    opts.defs[k] = v
  elseif name == "speed" then
    return                      -- the link is an ideal wire

  else
    usage("unknown option --" .. name .. " (see lunet packetdrill --help)")
  end
end
M.set_option = set_option

local function script_options(lines, cfg, opts, src)
  for _, line in ipairs(lines) do
    for word in line:gmatch("%S+") do
      local name, value = word:match("^%-%-([%w_]+)=(.*)$")
      if not name then name = word:match("^%-%-([%w_]+)$") end
      if not name then error({usage = src .. ": cannot read option line: " .. line}, 0) end
      set_option(cfg, opts, name, value, src)
    end
  end
end

-- Run one script file; returns status ("pass", "fail", "skip"), message.
function M.run_file(path, base_cfg, opts)
  local fh, err = io.open(path, "r")
  if not fh then return "fail", "cannot open " .. path .. ": " .. tostring(err) end
  local text = fh:read("a")
  fh:close()
  local cfg = {}
  for k, v in pairs(base_cfg) do cfg[k] = v end
  local sopts = {defs = {}}
  for k, v in pairs(opts.defs or {}) do sopts.defs[k] = v end
  local name = path:match("([^/]+)$"):gsub("%.pkt$", "")
  local run = setmetatable({cfg = cfg, opts = opts, src = path, name = name, out = opts.out or print,
                            rows = {}}, Run)
  local ok, res = pcall(function()
    local script = parse.parse(text, path, sopts.defs)
    script_options(script.options, cfg, sopts, path)
    if next(sopts.defs) and not next(opts.defs or {}) then script = parse.parse(text, path, sopts.defs) end
    run:go(script)
  end)
  if opts.ladder and run.net then
    run:print_ladder(not ok and type(res) == "table" and (res.fail or res.skip) or nil)
  end
  -- Closing the network frees the sockets without a word on the wire:
  -- the capture ends where the script did.
  if run.net then run.net:close() end
  if ok then return "pass" end
  if type(res) == "table" then
    if res.skip then return "skip", (res.line and (path .. ":" .. res.line .. ": ") or (path .. ": ")) .. res.skip end
    if res.fail then return "fail", string.format("%s:%d: %s", path, res.line, res.fail) end
    if res.usage then return "fail", res.usage end
  end
  local msg = tostring(res)
  if msg:match("^[^:]+:%d+: unsupported: ") then return "skip", msg end
  return "fail", msg
end

function Run:row(kind, text, t)
  self.rows[#self.rows + 1] = {t = t or self:now_us(), kind = kind, text = text, n = #self.rows + 1}
end

-- The ladder: the rows of the run, with the segments the host sent that
-- no outbound packet of the script took.
function Run:print_ladder(failure)
  local rows = {}
  for i, r in ipairs(self.rows) do rows[i] = r end
  local n = #rows
  for _, q in ipairs(self.seen or {}) do
    if not q.used and type(q.d) == "table" and q.d.tcp then
      local live = ppkt.from_frame(q.d)
      local text = ppkt.text(self.conn and self:mine(q.d) and ppkt.to_script(live, self.conn, {opts = "any"}) or live)
      n = n + 1
      rows[#rows + 1] = {t = q.t // 1000, kind = "extra", text = text, n = n}
    end
  end
  if failure then rows[#rows + 1] = {t = self:now_us(), kind = "fail", text = failure:match("^[^\n]*"), n = n + 1} end
  table.sort(rows, function(a, b) if a.t ~= b.t then return a.t < b.t end return a.n < b.n end)
  self.out("")
  self.out(self.src .. ":")
  for _, l in ipairs(pladder.lines(rows, self.opts.width)) do self.out(l) end
  self.out("")
end

-- ---- the command line ------------------------------------------------------------------------

M.USAGE = [[
usage: lunet packetdrill [options] FILE.pkt...

Runs packetdrill scripts against lunet's TCP in virtual time: the script
plays the remote peer, the host under test is a fresh lunet host.

  --tolerance_usecs=N    timing slack (default 4000)
  --tolerance_percent=P  slack as a share of the gap since the previous
                         event (default 12.5)
  --local_ip=A --remote_ip=A --gateway_ip=A --netmask_ip=M
                         addresses (defaults 192.168.0.2, 192.0.2.1,
                         192.168.0.1, 255.255.0.0)
  --bind_port=N --connect_port=N   the ports of ... in bind/connect (8080)
  --mtu=N                the link's MTU (default 1500)
  --ip_version=ipv4      (IPv6 is not supported yet)
  --strict_segments      no aggregation of MSS-sized segments into the
                         script's larger (TSO) ones
  --init_scripts=F,...   command files run before each script
                         (.../defaults.sh: packetdrill's usual defaults)
  -D NAME=VALUE          define NAME for the scripts
  --seed N               the network's seed (ISNs, ...)
  --pcap DIR             capture each script's run to DIR/NAME.pcap
  --ladder               print a ladder diagram of each run
  -v, --verbose          print every packet and call as it runs
  --color=WHEN           colour the verdicts: auto (on a terminal), always, never
]]

function M.main(args, o)
  o = o or {}
  local cfg = {}
  for k, v in pairs(M.DEFAULTS) do cfg[k] = v end
  local opts = {defs = {}, out = o.out or print}
  local files = {}
  local i = 1
  local ok, err = pcall(function()
    while i <= #args do
      local a = args[i]
      if a == "-h" or a == "--help" then
        io.write(M.USAGE)
        error({help = true}, 0)
      elseif a == "-v" or a == "--verbose" then
        opts.verbose = true
      elseif a == "--ladder" then
        opts.ladder = true
      elseif a:match("^%-%-color=") then
        local w = a:match("=(.*)$")
        if w ~= "auto" and w ~= "always" and w ~= "never" then
          error({usage = "--color needs auto, always or never, got " .. w}, 0)
        end
        lunet.color = w
        require("lunet.term").reset()
      elseif a == "--pcap" or a:match("^%-%-pcap=") then
        local v = a:match("^%-%-pcap=(.*)$")
        if not v then i = i + 1; v = args[i] end
        if not v or v == "" then error({usage = "--pcap needs a directory"}, 0) end
        opts.pcap = v
      elseif a == "-D" then
        i = i + 1
        set_option(cfg, opts, "define", args[i])
      elseif a:match("^%-D.") then
        set_option(cfg, opts, "define", a:sub(3))
      elseif a:match("^%-%-[%w_]+=") then
        local name, value = a:match("^%-%-([%w_]+)=(.*)$")
        set_option(cfg, opts, name, value)
      elseif a:match("^%-%-[%w_]+$") then
        local name = a:sub(3)
        if NUMERIC[name] or STRINGS[name] or name == "define" then
          i = i + 1
          set_option(cfg, opts, name, args[i])
        else
          set_option(cfg, opts, name, nil)
        end
      elseif a:match("^%-") then
        error({usage = "unknown option " .. a}, 0)
      else
        files[#files + 1] = a
      end
      i = i + 1
    end
  end)
  if not ok then
    if type(err) == "table" and err.help then return 0 end
    if type(err) == "table" and (err.usage or err.skip) then
      io.stderr:write("lunet packetdrill: ", err.usage or err.skip, "\n")
      return 2
    end
    error(err, 0)
  end
  if #files == 0 then
    io.stderr:write("lunet packetdrill: no script given\n", M.USAGE)
    return 2
  end
  -- A script that is not there is a usage error (exit 2, nothing runs),
  -- as a missing PATH is for lunet test.
  for _, f in ipairs(files) do
    local fh, why = io.open(f, "r")
    if not fh then
      io.stderr:write("lunet packetdrill: ", why, "\n")
      return 2
    end
    fh:close()
  end
  local n = {pass = 0, fail = 0, skip = 0}
  -- Coloured on a terminal as lunet test colours (lunet.term's rules);
  -- a caller's own out() gets plain text.
  local paint = o.out and function(_, t) return t end
    or function(style, t) return require("lunet.term").paint("stdout", style, t) end
  for _, f in ipairs(files) do
    local status, msg = M.run_file(f, cfg, opts)
    n[status] = n[status] + 1
    if status == "pass" then
      opts.out(paint("green", "pass") .. "  " .. f)
    elseif status == "skip" then
      opts.out(paint("yellow", "skip") .. "  " .. msg)
    else
      opts.out(paint("red", "FAIL") .. "  " .. (msg:gsub("\n", "\n      ")))
    end
  end
  local line = string.format("%d passed, %d failed", n.pass, n.fail)
  if n.skip > 0 then line = line .. string.format(", %d skipped", n.skip) end
  opts.out(line)
  return n.fail > 0 and 1 or 0
end

return M
