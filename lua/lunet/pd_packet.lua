-- lunet.pd_packet - the packets of a packetdrill script: inbound ones
-- built as frames for the host under test, outbound ones compared with
-- what the host sent, both through the connection's sequence mapping.
--
-- The mapping is packetdrill's: the script picks the remote side's ISN
-- (its SYN's seq) and writes the host's sequence numbers relative to the
-- host's ISN, so an outbound seq and an inbound ack or SACK block are
-- shifted by (live ISN - script ISN).  An inbound TS ecr names an outbound
-- TS val of the script and is replaced by the live value the host sent
-- in its place.  Outbound TS values are not compared (packetdrill's
-- default, --tcp_ts_tick_usecs=0), but an option's presence and order are.
--
-- A script's outbound segment may stand for several the host sent (a
-- kernel with TSO writes one large segment where lunet sends MSS-sized
-- ones): consecutive segments are gathered until they hold the script's
-- length, each but the last of the same size, as packetdrill's
-- aggregation does.

local M = {}

local MOD32 = 4294967296
local function add32(a, b) return (a + b) % MOD32 end

-- ---- text, as packetdrill prints packets ---------------------------------------

local function opt_text(o)
  if o.kind == "mss" then return "mss " .. o.v end
  if o.kind == "wscale" then return "wscale " .. o.v end
  if o.kind == "TS" then return string.format("TS val %d ecr %d", o.val, o.ecr) end
  if o.kind == "sack" then
    local b = {}
    for i, blk in ipairs(o.blocks) do b[i] = blk[1] .. ":" .. blk[2] end
    return "sack " .. table.concat(b, " ")
  end
  return o.kind
end

-- A normalised segment: {flags, seq, len, ack, win, urg, opts = {...} | "any",
-- payload, ecn} -> "P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 1 ecr 2>"
function M.text(s)
  local t = {s.flags or "?", string.format(" %d:%d(%d)", s.seq, add32(s.seq, s.len), s.len)}
  if s.flags and s.flags:find(".", 1, true) then t[#t + 1] = " ack " .. (s.ack or 0) end
  if s.win then t[#t + 1] = " win " .. s.win end
  if s.urg and s.urg ~= 0 then t[#t + 1] = " urg " .. s.urg end
  if s.opts == "any" then
    t[#t + 1] = " <...>"
  elseif s.opts and #s.opts > 0 then
    local o = {}
    for i, x in ipairs(s.opts) do o[i] = opt_text(x) end
    t[#t + 1] = " <" .. table.concat(o, ",") .. ">"
  end
  return table.concat(t)
end

-- ---- script packets into normalised form ---------------------------------------

local function script_opts(list)
  if list == "any" then return "any" end
  local out = {}
  for i, o in ipairs(list or {}) do
    local k = o[1]
    if k == "mss" or k == "wscale" then out[i] = {kind = k, v = o[2]}
    elseif k == "TS" then out[i] = {kind = "TS", val = o[2], ecr = o[3]}
    elseif k == "sack" then out[i] = {kind = "sack", blocks = o[2]}
    else out[i] = {kind = k} end
  end
  return out
end

-- Flags in one canonical order, so "S." and ".S" compare equal.
local FLAG_ORDER = "SFRPUEW."
local function canon(flags)
  local out = {}
  for c in FLAG_ORDER:gmatch(".") do
    if flags:find(c, 1, true) then out[#out + 1] = c end
  end
  return table.concat(out)
end
M.canon = canon

-- A script packet as text (any protocol).
function M.script_text(p)
  if p.proto == "tcp" then return M.text(M.from_script(p)) end
  if p.proto == "udp" then return string.format("udp (%d)", p.len) end
  local t = string.format("icmp type %d code %d", p.icmp_type or 0, p.icmp_code or 0)
  if p.mtu then t = t .. " mtu " .. p.mtu end
  local q = p.quote
  if q and q.proto == "udp" then t = t .. string.format(" [udp (%d)]", q.len)
  elseif q then t = t .. string.format(" [%d:%d(%d)]", q.seq, q.end_seq, q.len) end
  return t
end

function M.from_script(p)
  return {flags = canon(p.flags), seq = p.seq, len = p.len, ack = p.ack or 0, win = p.win,
          urg = p.urg, opts = script_opts(p.options), ecn = p.ecn}
end

-- A dissected frame's TCP layer into normalised form (live numbers).
function M.from_frame(d)
  local tcp = d.tcp
  local opts = {}
  for _, o in ipairs(tcp.options or {}) do
    if o == "nop" or o == "eol" then opts[#opts + 1] = {kind = o}
    elseif o == "sack_perm" then opts[#opts + 1] = {kind = "sackOK"}
    elseif type(o) == "table" and o.mss then opts[#opts + 1] = {kind = "mss", v = o.mss}
    elseif type(o) == "table" and o.ws then opts[#opts + 1] = {kind = "wscale", v = o.ws}
    elseif type(o) == "table" and o.ts then opts[#opts + 1] = {kind = "TS", val = o.ts.val, ecr = o.ts.ecr}
    elseif type(o) == "table" and o.sack then
      local b = {}
      for i, blk in ipairs(o.sack) do b[i] = {blk[1], blk[2]} end
      opts[#opts + 1] = {kind = "sack", blocks = b}
    else opts[#opts + 1] = {kind = "opt" .. tostring(type(o) == "table" and o.kind or o)} end
  end
  local payload = d.payload or ""
  local flags = canon(type(tcp.flags) == "string" and tcp.flags or "")
  return {flags = flags, seq = tcp.seq, len = #payload, ack = tcp.ack or 0, win = tcp.window,
          urg = tcp.urgent_pointer, opts = opts, payload = payload,
          ecn = d.ip.dsfield and (d.ip.dsfield & 3) or 0,
          sport = tcp.srcport, dport = tcp.dstport}
end

-- ---- building inbound frames ---------------------------------------------------

-- conn: the connection's mapping (see lunet.packetdrill); returns a table
-- lunet.packet builds, or raises {script = why}.
function M.inbound(p, conn, cfg)
  local loff = (conn.live_local_isn or 0) - (conn.script_local_isn or 0)
  local flags = p.flags
  local has_ack = flags:find(".", 1, true) ~= nil
  local opts = {}
  for _, o in ipairs(p.options == "any" and {} or (p.options or {})) do
    local k = o[1]
    if k == "nop" or k == "eol" then opts[#opts + 1] = k
    elseif k == "sackOK" then opts[#opts + 1] = "sack_perm"
    elseif k == "mss" then opts[#opts + 1] = {mss = o[2]}
    elseif k == "wscale" then opts[#opts + 1] = {ws = o[2]}
    elseif k == "sack" then
      local b = {}
      for i, blk in ipairs(o[2]) do b[i] = {add32(blk[1], loff), add32(blk[2], loff)} end
      opts[#opts + 1] = {sack = b}
    elseif k == "TS" then
      local ecr = o[3]
      if has_ack and ecr ~= 0 then
        local live = conn.ts_map[ecr]
        if not live and conn.first_ts then live = add32(ecr - conn.first_ts.script, conn.first_ts.live) end
        if not live then
          error({script = string.format("unable to infer live TS ecr for script TS ecr %d; no matching " ..
                                        "or preceding outbound TS val", ecr)}, 0)
        end
        ecr = live
      end
      opts[#opts + 1] = {ts = {val = o[2], ecr = ecr}}
    end
  end
  local ecn = ({noecn = 0, ect0 = 2, ect1 = 1, ce = 3, ect01 = 2})[p.ecn or "noecn"] or 0
  return {
    eth = {src = cfg.remote_mac, dst = cfg.local_mac},
    ip = {src = cfg.remote_ip, dst = cfg.local_ip, ttl = 64, dsfield = ecn},
    tcp = {srcport = conn.rport, dstport = conn.lport, seq = p.seq % MOD32,
           ack = has_ack and add32(p.ack or 0, loff) or 0, flags = flags:gsub("%.", "."),
           window = p.win or 0, urgent_pointer = p.urg or 0, options = opts},
    payload = string.rep("\0", p.len),
  }
end

-- A datagram from the script to the connection's socket.
function M.inbound_udp(p, conn, cfg)
  return {
    eth = {src = cfg.remote_mac, dst = cfg.local_mac},
    ip = {src = cfg.remote_ip, dst = cfg.local_ip, ttl = 64},
    udp = {srcport = conn.rport, dstport = conn.lport or cfg.bind_port},
    payload = string.rep("\0", p.len),
  }
end

-- An ICMP error from the remote side quoting a segment (or a datagram)
-- the host sent.
function M.inbound_icmp(p, conn, cfg)
  local loff = (conn.live_local_isn or 0) - (conn.script_local_isn or 0)
  local q = p.quote or {proto = conn.proto == "udp" and "udp" or "tcp", len = 0}
  local l4 = q.proto == "udp" and {udp = {srcport = conn.lport or cfg.bind_port, dstport = conn.rport}}
    or {tcp = {srcport = conn.lport, dstport = conn.rport, seq = add32(q.seq or 0, loff), flags = ".", window = 0}}
  if q.proto == "udp" then l4.udp.length = 8 + (q.len or 0) end
  -- The quote holds the headers only (RFC 792: the IP header and at
  -- least 8 bytes), its IP length the whole datagram's, as a router
  -- writes it; the message then fits any MTU.
  local hl = q.proto == "udp" and 28 or 40
  local spec = {ip = {src = cfg.local_ip, dst = cfg.remote_ip, ttl = 64, flags_df = true, len = hl + (q.len or 0)}}
  for k, v in pairs(l4) do spec[k] = v end
  local inner = lunet.packet(spec)
  return {
    eth = {src = cfg.remote_mac, dst = cfg.local_mac},
    ip = {src = cfg.remote_ip, dst = cfg.local_ip, ttl = 64},
    icmp = {type = p.icmp_type, code = p.icmp_code, mtu = p.mtu},
    payload = inner:bytes(),
  }
end

local function field(name, want, got)
  return string.format("live packet field %s: expected: %s (0x%x) vs actual: %s (0x%x)",
                       name, want, want, got, got)
end

-- A frame the host sent, as text: TCP as a segment (live numbers), UDP
-- and ICMP as the script writes them.
function M.frame_text(d)
  if d.tcp then return M.text(M.from_frame(d)) end
  if d.udp then return string.format("udp (%d)", #(d.payload or "")) end
  if d.icmp then return string.format("icmp type %d code %d", d.icmp.type or -1, d.icmp.code or -1) end
  return "?"
end

-- An outbound UDP or ICMP packet against the script's: nil when it
-- matches, else what differs.
function M.compare_other(p, d)
  if p.proto == "udp" then
    if not d.udp then return "expected a UDP datagram, the host sent " .. M.frame_text(d) end
    local len = #(d.payload or "")
    if len ~= p.len then
      return string.format("live packet payload: expected %d bytes vs actual %d bytes", p.len, len)
    end
    if d.payload ~= string.rep("\0", len) then return "incorrect outbound data payload" end
    return nil
  end
  if not d.icmp then return "expected an ICMP message, the host sent " .. M.frame_text(d) end
  if d.icmp.type ~= p.icmp_type then return field("icmp_type", p.icmp_type, d.icmp.type) end
  if d.icmp.code ~= p.icmp_code then return field("icmp_code", p.icmp_code, d.icmp.code) end
  return nil
end

-- ---- comparing outbound segments ------------------------------------------------

-- The live segment (normalised, live numbers) in script space: seq by the
-- local offset, TS val by the first mapping; records TS vals for inbound
-- ecr mapping.
function M.to_script(live, conn, script)
  local s = {}
  for k, v in pairs(live) do s[k] = v end
  local loff = (conn.live_local_isn or 0) - (conn.script_local_isn or 0)
  s.seq = (live.seq - loff) % MOD32
  local sts
  if script.opts ~= "any" then
    for _, o in ipairs(script.opts) do if o.kind == "TS" then sts = o end end
  end
  local opts = {}
  for i, o in ipairs(live.opts) do
    local c = {}
    for k, v in pairs(o) do c[k] = v end
    if o.kind == "TS" and sts then
      conn.ts_map[sts.val] = o.val
      if not conn.first_ts then conn.first_ts = {script = sts.val, live = o.val} end
      c.val = add32(conn.first_ts.script, o.val - conn.first_ts.live)
    end
    opts[i] = c
  end
  s.opts = opts
  return s
end


local function has(flags, c) return flags:find(c, 1, true) ~= nil end

local function same_opt(a, b)
  if a.kind ~= b.kind then return false end
  if a.kind == "mss" or a.kind == "wscale" then return a.v == b.v end
  if a.kind == "sack" then
    if #a.blocks ~= #b.blocks then return false end
    for i, blk in ipairs(a.blocks) do
      if blk[1] % MOD32 ~= b.blocks[i][1] % MOD32 or blk[2] % MOD32 ~= b.blocks[i][2] % MOD32 then return false end
    end
  end
  return true
end

-- Compare an actual segment (script space) with the script's; nil when
-- they match, else what differs, in packetdrill's words.
function M.compare(want, got)
  for _, c in ipairs({"S", "R", ".", "U", "E", "F", "P", "W"}) do
    if has(want.flags, c) ~= has(got.flags, c) then
      local names = {S = "tcp_syn", R = "tcp_rst", ["."] = "tcp_ack", U = "tcp_urg", E = "tcp_ece",
                     F = "tcp_fin", P = "tcp_psh", W = "tcp_cwr"}
      return field(names[c], has(want.flags, c) and 1 or 0, has(got.flags, c) and 1 or 0)
    end
  end
  if want.len ~= got.len then
    return string.format("live packet payload: expected %d bytes vs actual %d bytes", want.len, got.len)
  end
  if want.seq % MOD32 ~= got.seq then return field("tcp_seq", want.seq % MOD32, got.seq) end
  if (want.ack or 0) % MOD32 ~= (got.ack or 0) then return field("tcp_ack_seq", (want.ack or 0) % MOD32, got.ack or 0) end
  if want.win and want.win ~= got.win then return field("tcp_window", want.win, got.win) end
  if (want.urg or 0) ~= (got.urg or 0) then return field("tcp_urg_ptr", want.urg or 0, got.urg or 0) end
  if want.ecn then
    local e = ({noecn = 0, ect0 = 2, ect1 = 1, ce = 3})[want.ecn]
    if want.ecn == "ect01" then
      if got.ecn ~= 1 and got.ecn ~= 2 then return string.format("live packet field ip_ecn: expected: 0x1 or 0x2 vs actual: 0x%x", got.ecn) end
    elseif e and e ~= got.ecn then
      return field("ip_ecn", e, got.ecn)
    end
  end
  if want.opts ~= "any" then
    local n = math.max(#want.opts, #got.opts)
    for i = 1, n do
      local a, b = want.opts[i], got.opts[i]
      if not a or not b or a.kind ~= b.kind then return "bad outbound TCP options" end
      if not same_opt(a, b) then return "bad value outbound TCP option " .. a.kind end
    end
  end
  if got.payload and got.payload ~= string.rep("\0", #got.payload) then
    return "incorrect outbound data payload"
  end
  return nil
end

-- Can `nxt` continue the aggregate that `first`..`last` began?  (Same
-- connection and flags but FIN/PSH/CWR, consecutive sequence numbers, and
-- the earlier pieces all full-sized.)
function M.continues(first, last, nxt, want_len, have_len)
  local strip = function(f) return (f:gsub("[FPW]", "")) end
  if strip(nxt.flags) ~= strip(first.flags) then return false end
  if nxt.sport ~= first.sport or nxt.dport ~= first.dport then return false end
  if nxt.seq ~= add32(last.seq, last.len) then return false end
  if have_len + nxt.len < want_len and nxt.len ~= first.len then return false end
  return true
end

-- The aggregate of several live segments: the first one's seq, the last
-- one's flags, ack, window and options (as GSO splits a TSO segment: PSH
-- and FIN only on the last piece).
function M.aggregate(list)
  if #list == 1 then return list[1] end
  local a = {}
  for k, v in pairs(list[#list]) do a[k] = v end
  a.seq = list[1].seq
  local parts, len = {}, 0
  for i, s in ipairs(list) do parts[i] = s.payload or ""; len = len + s.len end
  a.payload = table.concat(parts)
  a.len = len
  return a
end

return M
