-- lunet.apps - ping and traceroute, installed as Node methods (and the TCP
-- applications of lunet.tcpapps: echo_server, discard_server, bulk_send,
-- sink; of lunet.http: http_server, http_get, http_connect; of lunet.dns:
-- dns_server, dns_servers, hosts, resolve).  Every destination may be a
-- host name, resolved by lunet.dns.dst_addr.
--
-- Both are plain tasks built on the ICMP socket of docs/lua-api.md
-- (node:icmp_socket(), sock:echo, sock:probe, sock:receive(timeout)); they
-- must run inside a task (host:spawn) because receive() blocks in virtual
-- time.  Output imitates iputils ping and traceroute -n, so a teacher can put
-- a lunet run next to a Linux one.
--
--   h:ping(dst, {count=4, interval="1s", size=56, ttl=nil, timeout=nil,
--                df=false, quiet=false})
--     Sends `count` echo requests every `interval`, whether or not replies
--     come back (like iputils).  After the last request it waits like
--     iputils: max(2 x max rtt, interval) when some reply came back, else
--     `timeout` (ping -W; default 10 s).  An explicit `timeout` is always
--     the time waited after the last request.  It stops as soon as every
--     request got a reply or an error.
--     Returns {sent=, received=, loss=0..1, rtts={ns...}, min=, avg=, max=,
--     mdev= (ns, nil when nothing came back), errors={{seq=, from=, kind=,
--     type=, code=, mtu=, time=, ["local"]=bool}...}, replies={{seq=, from=,
--     ttl=, len=, rtt=, time=}...} (in arrival order), duplicates=, time=}.
--
--   h:traceroute(dst, {max_hops=30, probes=3, timeout="1s", mode="icmp",
--                      size=32, first_ttl=1, port=33434, quiet=false})
--     mode "icmp": echo requests with increasing TTL (traceroute -I);
--     mode "udp": UDP probes to port+n (n = 0, 1, 2, ... per probe), the
--     destination answers with port unreachable.  Probes are sent one at a
--     time, each waiting up to `timeout`.  Returns an array, one entry per
--     hop: {ttl=, addr=, addrs={per probe or false}, rtts={answered probes},
--     reached=bool, note="!H"|nil}, plus hops.reached when the destination
--     answered.

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")

local function node_methods()
  if type(lunet._methods) == "table" and type(lunet._methods.Node) == "table" then
    return lunet._methods.Node
  end
  local mt = debug.getregistry()["lunet.Node"]
  if type(mt) == "table" and type(mt.__index) == "table" then return mt.__index end
  error("lunet.apps: cannot find the Node method table (lunet._methods.Node)")
end

local M = {}

------------------------------------------------------------------------
-- helpers
------------------------------------------------------------------------

local function in_task()
  local _, main = coroutine.running()
  return not main and coroutine.isyieldable()
end

local function ns(x) return lunet.time(x) end
local function nsarg(n) return string.format("%dns", n) end

-- Options: lunet.util's check, with a checker per name.
local check_opts = require("lunet.util").check_opts

local is_time, is_bool = require("lunet.util").is_time, require("lunet.util").is_bool
local function is_count(v)
  if math.type(v) ~= "integer" or v < 1 then return false, "must be an integer >= 1" end
  return true
end
local function is_size(v)
  if math.type(v) ~= "integer" or v < 0 or v > 65507 then
    return false, "must be an integer in 0..65507"
  end
  return true
end
local function is_ttl(v)
  if math.type(v) ~= "integer" or v < 1 or v > 255 then return false, "must be an integer in 1..255" end
  return true
end
local function is_port(v)
  if math.type(v) ~= "integer" or v < 1 or v > 65535 then return false, "must be an integer in 1..65535" end
  return true
end

local dst_string = require("lunet.util").dst_string
local dns = require("lunet.dns")

-- iputils' rtt printing: fewer decimals as the time grows.
local function fmt_rtt(rtt)
  local us = rtt // 1000
  if us >= 100000 - 50 then
    return string.format("%d", (us + 500) // 1000)
  elseif us >= 10000 - 5 then
    return string.format("%d.%01d", (us + 50) // 1000, ((us + 50) % 1000) // 100)
  elseif us >= 1000 then
    return string.format("%d.%02d", (us + 5) // 1000, ((us + 5) % 1000) // 10)
  else
    return string.format("%d.%03d", us // 1000, us % 1000)
  end
end
M.fmt_rtt = fmt_rtt

local UNREACH_TEXT = {
  ["net unreachable"] = "Destination Net Unreachable",
  ["host unreachable"] = "Destination Host Unreachable",
  ["protocol unreachable"] = "Destination Protocol Unreachable",
  ["port unreachable"] = "Destination Port Unreachable",
  ["source route failed"] = "Source Route Failed",
  ["net prohibited"] = "Destination Net Prohibited",
  ["host prohibited"] = "Destination Host Prohibited",
  ["admin prohibited"] = "Packet filtered",
}

-- iputils ping's words for ICMPv6 errors (print_icmp6 in ping6_common.c).
local UNREACH6_TEXT = {
  ["no route"] = "Destination unreachable: No route",
  ["admin prohibited"] = "Destination unreachable: Administratively prohibited",
  ["beyond scope"] = "Destination unreachable: Beyond scope",
  ["address unreachable"] = "Destination unreachable: Address unreachable",
  ["port unreachable"] = "Destination unreachable: Port unreachable",
  ["parameter problem"] = "Parameter problem",
}

local function error_text(m)
  local kind = m.kind or "error"
  if m.family == 6 then
    if kind == "packet too big" then
      return string.format("Packet too big: mtu=%s", tostring(m.mtu or "?"))
    elseif kind == "time exceeded" then
      return "Time exceeded: Hop limit"
    elseif kind == "reassembly time exceeded" then
      return "Time exceeded: Defragmentation failure"
    end
    return UNREACH6_TEXT[kind] or kind
  end
  if kind == "frag needed" then
    return string.format("Frag needed and DF set (mtu = %s)", tostring(m.mtu or "?"))
  elseif kind == "time exceeded" then
    if m.code == 1 then return "Frag reassembly time exceeded" end
    return "Time to live exceeded"
  end
  return UNREACH_TEXT[kind] or kind
end

-- MTU of the interface the node would use towards dst, or nil.
local function route_mtu(h, dst)
  local ok, mtu = pcall(function()
    local r = h:lookup(dst)
    if not r then return nil end
    local ifc = h:iface(r.dev)
    return ifc and ifc:mtu()
  end)
  return ok and mtu or nil
end

local function src_for(h, dst)
  local ok, a = pcall(function()
    local r = h:lookup(dst)
    local ifc = r and h:iface(r.dev)
    return ifc and ifc:ip()
  end)
  if ok and a then return a end
  local ok2, ip = pcall(h.ip, h)
  return ok2 and ip or "?"
end

------------------------------------------------------------------------
-- ping
------------------------------------------------------------------------

local PING_OPTS = {
  count = is_count, interval = is_time, size = is_size, ttl = is_ttl,
  timeout = is_time, df = is_bool, quiet = is_bool,
}

-- The statistics lines of a ping, as iputils prints them.
local function ping_summary(r)
  local line = string.format("%d packets transmitted, %d received", r.sent, r.received)
  if r.duplicates > 0 then line = line .. string.format(", +%d duplicates", r.duplicates) end
  if #r.errors > 0 then line = line .. string.format(", +%d errors", #r.errors) end
  line = line .. string.format(", %g%% packet loss, time %dms", r.loss * 100, r.time // 1000000)
  local out = {line}
  if r.received > 0 then
    out[2] = string.format("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms",
                           r.min / 1e6, r.avg / 1e6, r.max / 1e6, r.mdev / 1e6)
  end
  return out
end

-- A ping's result prints as its statistics (at the REPL's prompt, with
-- tostring); its fields are the numbers.
local PingResult = {__tostring = function(r)
  local s = string.format("ping %s: %d sent, %d received, %g%% loss", r.dst, r.sent, r.received,
                          r.loss * 100)
  if r.received > 0 then s = s .. string.format(", rtt avg %.3f ms", r.avg / 1e6) end
  return s
end}

function M.ping(h, dst, opts)
  opts = check_opts("ping", opts, PING_OPTS)
  if not dns.is_name(dst) then dst_string("ping", dst) end   -- a bad one raises before the task check
  if not in_task() then
    error("ping: not inside a task (use host:spawn)", 2)
  end
  local shown = dst
  local addr, why = dns.dst_addr(h, "ping", dst, nil, true)
  if not addr then
    -- iputils: "ping: nosuch.lab: Name or service not known"
    if not opts.quiet then print(string.format("ping: %s: %s", dst, why)) end
    return nil, why
  end
  dst = addr
  if not dns.is_name(shown) then shown = addr end
  local count = opts.count or 4
  local interval = ns(opts.interval or "1s")
  local size = opts.size or 56
  local linger = opts.timeout and ns(opts.timeout) or nil
  local quiet = opts.quiet
  local out = quiet and function() end or print

  local sock = h:icmp_socket()
  local v6 = dst:find(":", 1, true) ~= nil
  if v6 then
    -- iputils: "PING 2001:db8::2(2001:db8::2) 56 data bytes"
    out(string.format("PING %s(%s) %d data bytes", shown, dst, size))
  else
    out(string.format("PING %s (%s) %d(%d) bytes of data.", shown, dst, size, size + 28))
  end
  local ttl_word = "ttl"   -- iputils says ttl for IPv6 too (older ones: hlim)

  local start = lunet.now()
  local sent_at, answered = {}, {}
  local r = { sent = 0, received = 0, rtts = {}, errors = {}, replies = {}, duplicates = 0 }
  local n_answered = 0
  local seq, last_send = 1, start
  local tsum, tsum2 = 0, 0

  local function send(s)
    sent_at[s] = lunet.now()
    last_send = sent_at[s]
    r.sent = r.sent + 1
    local ok, err = sock:echo(dst, { seq = s, size = size, ttl = opts.ttl, df = opts.df or false })
    if ok == nil and err then
      local e = { seq = s, ["local"] = true, time = lunet.now(), from = src_for(h, dst) }
      if err == "message too long" then
        e.kind, e.mtu = "frag needed", route_mtu(h, dst)
        out(string.format("ping: local error: message too long, mtu=%s", tostring(e.mtu or "?")))
      else
        e.kind = err
        out(string.format("ping: sendmsg: %s", err))
      end
      r.errors[#r.errors + 1] = e
      answered[s] = true
      n_answered = n_answered + 1
    end
  end

  local function handle(m)
    local s = m.seq
    if not s or not sent_at[s] then return end          -- not ours
    local now = lunet.now()
    if not m.error then
      if answered[s] == "reply" then
        r.duplicates = r.duplicates + 1
        out(string.format("%d bytes from %s: icmp_seq=%d %s=%d time=%s ms (DUP!)",
                          (m.len or size) + 8, m.from, s, ttl_word, m.ttl or 0,
                          fmt_rtt(m.rtt or (now - sent_at[s]))))
        return
      end
      local rtt = m.rtt or (now - sent_at[s])
      if not answered[s] then n_answered = n_answered + 1 end
      answered[s] = "reply"
      r.received = r.received + 1
      r.rtts[#r.rtts + 1] = rtt
      r.replies[#r.replies + 1] = { seq = s, from = m.from, ttl = m.ttl, len = m.len, rtt = rtt, time = now }
      tsum, tsum2 = tsum + rtt, tsum2 + rtt * rtt
      if not r.min or rtt < r.min then r.min = rtt end
      if not r.max or rtt > r.max then r.max = rtt end
      out(string.format("%d bytes from %s: icmp_seq=%d %s=%d time=%s ms",
                        (m.len or size) + 8, m.from, s, ttl_word, m.ttl or 0, fmt_rtt(rtt)))
    else
      r.errors[#r.errors + 1] = { seq = s, from = m.from, kind = m.kind, type = m.type,
                                  code = m.code, mtu = m.mtu, time = now, ["local"] = false,
                                  family = m.family }
      if not answered[s] then
        answered[s] = "error"
        n_answered = n_answered + 1
      end
      out(string.format("From %s icmp_seq=%d %s", m.from, s, error_text(m)))
    end
  end

  while true do
    local now = lunet.now()
    if seq <= count and now >= start + (seq - 1) * interval then
      send(seq)
      seq = seq + 1
    else
      local deadline
      if seq <= count then
        deadline = start + (seq - 1) * interval
      else
        if n_answered >= count then break end
        local wait = linger
        if not wait then
          if r.received > 0 then
            wait = math.max(2 * r.max, interval)
          else
            wait = 10 * 1000000000
          end
        end
        deadline = last_send + wait
        if now >= deadline then break end
      end
      local m = sock:receive(nsarg(deadline - now))
      if m then handle(m) end
    end
  end
  sock:close()

  r.loss = r.sent > 0 and (r.sent - r.received) / r.sent or 0
  r.time = last_send - start
  if r.received > 0 then
    r.avg = tsum / r.received
    local var = tsum2 / r.received - r.avg * r.avg
    r.mdev = math.sqrt(var > 0 and var or 0)
  end

  out("")
  out(string.format("--- %s ping statistics ---", shown))
  for _, l in ipairs(ping_summary(r)) do out(l) end
  r.dst = dst
  return setmetatable(r, PingResult)
end

------------------------------------------------------------------------
-- traceroute
------------------------------------------------------------------------

local TR_OPTS = {
  max_hops = is_ttl, probes = function(v)
    if math.type(v) ~= "integer" or v < 1 or v > 10 then return false, "must be an integer in 1..10" end
    return true
  end,
  timeout = is_time, mode = function(v)
    if v ~= "icmp" and v ~= "udp" then return false, 'must be "icmp" or "udp"' end
    return true
  end,
  size = is_size, first_ttl = is_ttl, port = is_port, quiet = is_bool,
}

local NOTE = {
  ["host unreachable"] = "!H", ["net unreachable"] = "!N",
  -- ICMPv6 (traceroute's print_probe for IPv6)
  ["address unreachable"] = "!H", ["no route"] = "!N", ["beyond scope"] = "!S",
  ["packet too big"] = "!F",
  ["protocol unreachable"] = "!P", ["frag needed"] = "!F",
  ["admin prohibited"] = "!X", ["net prohibited"] = "!X", ["host prohibited"] = "!X",
}

function M.traceroute(h, dst, opts)
  opts = check_opts("traceroute", opts, TR_OPTS)
  if not dns.is_name(dst) then dst_string("traceroute", dst) end
  if not in_task() then
    error("traceroute: not inside a task (use host:spawn)", 2)
  end
  local shown = dst
  local addr, why = dns.dst_addr(h, "traceroute", dst, nil, true)
  if not addr then
    if not opts.quiet then print(string.format("%s: %s", dst, why)) end
    return nil, why
  end
  dst = addr
  if not dns.is_name(shown) then shown = addr end
  local max_hops = opts.max_hops or 30
  local probes = opts.probes or 3
  local timeout = ns(opts.timeout or "1s")
  local mode = opts.mode or "icmp"
  local size = opts.size or 32
  local first = opts.first_ttl or 1
  local base_port = opts.port or 33434
  local out = opts.quiet and function() end or print

  local sock = h:icmp_socket()
  local v6 = dst:find(":", 1, true) ~= nil
  out(string.format("traceroute to %s (%s), %d hops max, %d byte packets",
                    shown, dst, max_hops, size + (v6 and 48 or 28)))

  local hops = { reached = false }
  local n = 0   -- probes sent so far
  for ttl = first, max_hops do
    local hop = { ttl = ttl, rtts = {}, addrs = {}, reached = false }
    local line = string.format("%2d ", ttl)
    local prev_addr
    local stop = false
    for p = 1, probes do
      local seq = n + 1
      local port = base_port + n
      n = n + 1
      local t0 = lunet.now()
      local ok, err
      if mode == "icmp" then
        ok, err = sock:echo(dst, { seq = seq, size = size, ttl = ttl })
      else
        ok, err = sock:probe(dst, { port = port, size = size, ttl = ttl })
      end
      local got
      if ok == nil and err then
        hop.send_error = err
      else
        local deadline = t0 + timeout
        while lunet.now() < deadline do
          local m = sock:receive(nsarg(deadline - lunet.now()))
          if not m then break end
          local mine
          if mode == "icmp" then
            mine = m.seq == seq
          else
            -- the quote carries our probe: match its destination port when
            -- the binding reports one, otherwise any error about dst
            mine = m.error and (m.orig_dst == nil or m.orig_dst == dst)
            local q = m.port or m.dport or m.seq
            if mine and q and q ~= 0 and q ~= port and q ~= seq then mine = false end
          end
          if mine then got = m; break end
        end
      end
      if got then
        local rtt = lunet.now() - t0
        local addr = got.from
        hop.addrs[p] = addr
        hop.rtts[#hop.rtts + 1] = rtt
        hop.addr = hop.addr or addr
        if addr ~= prev_addr then
          line = line .. " " .. addr
          prev_addr = addr
        end
        line = line .. string.format("  %.3f ms", rtt / 1e6)
        local kind = got.kind
        local at_dst = (mode == "icmp" and not got.error) or
                       (mode == "udp" and kind == "port unreachable")
        if at_dst and addr == dst then
          hop.reached = true
          stop = true
        elseif got.error and kind ~= "time exceeded" then
          local note = NOTE[kind] or ("!<" .. tostring(got.code) .. ">")
          if (kind == "frag needed" or kind == "packet too big") and got.mtu then
            note = "!F-" .. got.mtu
          end
          hop.note = note
          line = line .. " " .. note
          stop = true
          -- the destination itself answered, if unusually
          if addr == dst then hop.reached = true end
        elseif at_dst then
          stop = true      -- answered by the destination host under another address
          hop.reached = true
        end
      else
        hop.addrs[p] = false
        line = line .. " *"
      end
    end
    hops[#hops + 1] = hop
    out(line)
    if hop.reached then hops.reached = true end
    if stop then break end
  end
  sock:close()
  return hops
end

------------------------------------------------------------------------
-- install
------------------------------------------------------------------------

local Node = node_methods()
Node.ping = M.ping
Node.traceroute = M.traceroute

-- TCP applications (lunet/tcpapps.lua): echo, discard, bulk transfer.
local tcpapps = require("lunet.tcpapps")
for _, name in ipairs({"echo_server", "discard_server", "bulk_send", "sink"}) do
  Node[name] = tcpapps[name]
  M[name] = tcpapps[name]
end
-- HTTP/1.1 (lunet/http.lua) and DNS (lunet/dns.lua).
local http = require("lunet.http")
for _, name in ipairs({"http_server", "http_get", "http_connect"}) do
  Node[name] = http[name]
  M[name] = http[name]
end
for _, name in ipairs({"dns_server", "dns_servers", "dns_config", "hosts", "resolve"}) do
  Node[name] = dns[name]
  M[name] = dns[name]
end

-- DHCP (lunet/dhcp.lua): h:dhcp_server{...}, h:dhcp([iface,] {...}).
local dhcp = require("lunet.dhcp")
Node.dhcp_server = dhcp.dhcp_server
Node.dhcp = dhcp.dhcp
M.dhcp_server, M.dhcp = dhcp.dhcp_server, dhcp.dhcp
Node.dhcp_relay = require("lunet.dhcp_relay").dhcp_relay
M.dhcp_relay = Node.dhcp_relay

return M
