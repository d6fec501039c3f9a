-- lunet.trace - what happened to TCP in a network, recorded from the event
-- stream once, for every picture to draw from: ladders, state timelines,
-- plots and the HTML report.
--
--   local trace = require "lunet.trace"
--   local tr = trace.new(net, {hosts = {h1, h2}, ports = {80}})
--   ... run ...
--   tr.segs         -- every segment, in the order it was sent
--   tr.conns        -- every connection, in the order it was first seen
--   tr.transitions  -- every state change {time=, host=, from=, to=, flow=, conn=, side=}
--   tr.log          -- segments, state changes and notes in event order
--                      (each record's `what` says which: "seg", "state", "note")
--   tr:queues()     -- link directions whose queue moved, with samples and drops
--   tr:note(text)   -- a comment at the current virtual time
--   tr:stop()
--
-- Nothing here asks the stack for state: a segment is born at its first
-- "tx" event (the host that sent it; a router forwarding it only adds a
-- hop), arrives with the "rx" at the host owning its destination address,
-- and dies with a "drop" carrying the same packet id, wherever that is.
-- A segment dropped before it ever left (a full queue at its own
-- interface, the sender's firewall) is born from that drop.  Options,
-- SACK blocks and window scaling are read from the segment's own bytes,
-- as Wireshark reads them.
--
-- Options of trace.new:
--   hosts = {Node|name, ...}  only segments these hosts send, and their
--                             state changes (default: every host)
--   ports = {80, ...}         only connections with one of these ports
--   max_segments = n          stop recording segments after n (counted
--                             in tr.segs_skipped), and each series of
--                             samples (a queue, a side's cwnd, ...) after
--                             n too (tr.samples_skipped); default unlimited
--   queues = true             also record link queues and link drops
--   paths = true              also record each segment's hops: s.path =
--                             {{node=, rx=, tx=}, ...} for every router or
--                             switch it crossed (arrival and departure)

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")

local M = {}
local Trace = {}
Trace.__index = Trace

local FLAG_WORDS = {   -- tcpdump letter -> the word textbooks use, in order
  {"S", "SYN"}, {"F", "FIN"}, {"R", "RST"}, {"P", "PSH"}, {"U", "URG"},
  {"E", "ECE"}, {"W", "CWR"}, {".", "ACK"},
}

local function flag_words(letters)
  local w = {}
  for _, fw in ipairs(FLAG_WORDS) do
    if letters:find(fw[1], 1, true) then w[#w + 1] = fw[2] end
  end
  return table.concat(w, ",")
end
M.flag_words = flag_words

local function host_name(h, fname, level)
  if type(h) == "string" then return h end
  local ok, name = pcall(function() return h.name end)
  if ok and type(name) == "string" then return name end
  error(fname .. ": expected a host (Node or name), got " .. type(h), level or 3)
end
M.host_name = host_name

local u16, u32 = ">I2", ">I4"

-- TCP options of a frame as an event carries it (layer "l2" or "l3"):
-- {mss=, ws=, sack_perm=true, tsval=, tsecr=, sack={{l, r}, ...}}, or
-- nil.  Every read is bounded by the header lengths, which are checked
-- against the bytes first: events carry malformed frames too.
local function tcp_options(bytes, layer)
  local off = 1
  if layer == "l2" then
    if #bytes < 14 then return nil end
    local et = string.unpack(u16, bytes, 13)
    if et ~= 0x0800 and et ~= 0x86dd then return nil end
    off = 15
  elseif layer ~= "l3" then
    return nil
  end
  if #bytes < off + 19 then return nil end
  local t
  if bytes:byte(off) >> 4 == 6 then
    -- TCP right behind the IPv6 header (what lunet's TCP sends)
    if #bytes < off + 39 or bytes:byte(off + 6) ~= 6 then return nil end
    t = off + 40
  else
    local ihl = (bytes:byte(off) & 15) * 4
    if ihl < 20 then return nil end
    t = off + ihl
  end
  if #bytes < t + 19 then return nil end
  local thl = (bytes:byte(t + 12) >> 4) * 4
  if thl <= 20 or #bytes < t + thl - 1 then return nil end
  local o, i, stop = {}, t + 20, t + thl
  while i < stop do
    local kind = bytes:byte(i)
    if kind == 0 then break end
    if kind == 1 then
      i = i + 1
    else
      if i + 1 >= stop then break end
      local len = bytes:byte(i + 1)
      if len < 2 or i + len > stop then break end
      if kind == 2 and len == 4 then o.mss = string.unpack(u16, bytes, i + 2)
      elseif kind == 3 and len == 3 then o.ws = bytes:byte(i + 2)
      elseif kind == 4 and len == 2 then o.sack_perm = true
      elseif kind == 8 and len == 10 then
        o.tsval, o.tsecr = string.unpack(u32, bytes, i + 2), string.unpack(u32, bytes, i + 6)
      elseif kind == 5 and (len - 2) % 8 == 0 then
        o.sack = {}
        for b = i + 2, i + len - 8, 8 do
          o.sack[#o.sack + 1] = {string.unpack(u32, bytes, b), string.unpack(u32, bytes, b + 4)}
        end
      end
      i = i + len
    end
  end
  return o
end
M.tcp_options = tcp_options

local endpoint = require("lunet.util").endpoint

-- The node a frame is at: a host's or router's interface, or a switch
-- port or a link's sending port ("sw1.p3", "h1.eth0": events of
-- switches and links name no node).
local function hop_node(ev)
  return ev.node or (ev.port and ev.port:match("^(.-)%.")) or nil
end

function M.new(net, opts)
  opts = opts or {}
  require("lunet.util").check_opts("trace.new", opts,
    {hosts = true, ports = true, max_segments = true, queues = true, paths = true})
  local self = setmetatable({
    -- the network, held weakly: a report keeps its traces after a script
    -- let its networks go (and their captures close)
    netref = setmetatable({net}, {__mode = "v"}),
    segs = {}, conns = {}, transitions = {}, log = {}, notes = {},
    by_id = {}, conn_of = {}, owner_map = {}, router = {},
    qdirs = {}, qlist = {}, ids = {}, segs_skipped = 0, samples_skipped = 0,
    max_segments = opts.max_segments, hosts = nil, ports = nil,
    start = net:now(), record_queues = opts.queues or false, record_paths = opts.paths or false,
  }, Trace)
  if opts.hosts then
    self.hosts = {}
    for _, h in ipairs(opts.hosts) do self.hosts[host_name(h, "trace.new")] = true end
  end
  if opts.ports then
    self.ports = {}
    for _, p in ipairs(opts.ports) do self.ports[p] = true end
  end
  local function on(ty, fn) self.ids[#self.ids + 1] = net:on(ty, fn) end
  on("tx", function(ev) if ev.proto == "tcp" and ev.sport then self:_tx(ev) end end)
  on("rx", function(ev)
    local s = self.by_id[ev.id or -1]
    if not s then return end
    if ev.node == s.to then
      if not s.rx_time then s.rx_time = ev.time end
      -- a copy (a duplicate) arriving: the segment lives unless every copy
      -- that arrives dies too (see _drop)
      s.rx_n = (s.rx_n or 0) + 1
      if s.lost then s.lost, s.death = nil, nil end
    elseif self.record_paths then
      local at = hop_node(ev)
      if at then
        local p = s.path or {}
        s.path = p
        p[#p + 1] = {node = at, rx = ev.time}
      end
    end
  end)
  on("drop", function(ev) self:_drop(ev) end)
  on("tcp", function(ev) self:_state(ev) end)
  on("cwnd", function(ev) self:_sample(ev, "cwnd") end)
  on("rtt", function(ev) self:_sample(ev, "rtt") end)
  on("timer", function(ev) self:_sample(ev, "timers") end)
  if opts.queues then
    on("queue", function(ev) self:_queue(ev) end)
  end
  return self
end

-- The network, or nil once it is gone.
function Trace:net()
  return self.netref[1]
end

function Trace:stop()
  local net = self:net()
  if net and not net.closed then
    for _, id in ipairs(self.ids) do net:off(id) end
  end
  self.ids = {}
end

function Trace:note(text)
  local n = {what = "note", time = self:net():now(), text = tostring(text)}
  self.notes[#self.notes + 1] = n
  self.log[#self.log + 1] = n
  return n
end

-- The node that owns an address, or false.  The map is built again only
-- when the network gained a node, an interface or an address
-- (lunet._topo_gen): spoofed sources must not cost a scan per segment.
function Trace:owner(addr)
  local net = self:net()
  if not net or net.closed then return self.owner_map[addr] or false end
  local gen = lunet._topo_gen(net)
  if gen ~= self.owner_gen then
    self.owner_gen = gen
    local map = {}
    for _, nd in ipairs(net:nodes()) do
      for _, ifc in ipairs(nd:ifaces()) do
        local ip = ifc:ip()
        if ip and map[ip] == nil then map[ip] = nd.name end
      end
    end
    self.owner_map = map
  end
  return self.owner_map[addr] or false
end

function Trace:is_router(name)
  local r = self.router[name]
  if r == nil then
    local net = self:net()
    local nd = net and net:node(name)
    r = nd and nd.is_router or false
    self.router[name] = r
  end
  return r
end

function Trace:_wanted(sport, dport)
  return not self.ports or self.ports[sport] or self.ports[dport]
end

-- The connection of an endpoint pair, created on first sight.  `a` is the
-- side that opened it when that is known (a SYN without ACK, or the side
-- entering SYN_SENT), else the side seen first.  A new SYN on a pair whose
-- conversation is over (or with another ISN), or a side entering SYN_SENT
-- again after CLOSED, starts a new connection: the same four-tuple used
-- again (Wireshark's "port numbers reused").  syn_seq: the ISN of a SYN
-- without ACK being sent now.
function Trace:_conn(la, lp, ra, rp, time, opener, syn_seq)
  local l, r = endpoint(la, lp), endpoint(ra, rp)
  local key = l < r and (l .. "|" .. r) or (r .. "|" .. l)
  local c = self.conn_of[key]
  if c then
    local side = (c.a.ep == l) and "a" or "b"
    local again = false
    if syn_seq and c.isn[side] and (c.isn[side] ~= syn_seq or c.done) then again = true end
    if opener and not syn_seq then
      local st = c.states[side]
      if #st > 0 and (st[#st].to == "CLOSED" or c.done) then again = true end
    end
    if not again then return c, side end
  end
  c = {
    id = #self.conns + 1, key = key, first = time, last = time,
    a = {ep = l, addr = la, port = lp, node = self:owner(la) or nil},
    b = {ep = r, addr = ra, port = rp, node = self:owner(ra) or nil},
    segs = {}, states = {a = {}, b = {}}, cwnd = {a = {}, b = {}}, rtt = {a = {}, b = {}},
    timers = {a = {}, b = {}}, isn = {}, base = {}, opts = {}, bytes = {a = 0, b = 0},
    rtx = {a = 0, b = 0}, sent = {a = {}, b = {}},
  }
  self.conn_of[key] = c
  self.conns[#self.conns + 1] = c
  return c, "a"
end

local function other(side) return side == "a" and "b" or "a" end
M.other = other

-- Segments keep only what cannot be derived (a long transfer records
-- tens of thousands); the rest comes from the connection and the flags:
-- src, dst, sport, dport, flags ("SYN,ACK"), syn, fin, rst, dir,
-- summary (a tcpdump line),
-- and lost_time, lost_node, lost_link, lost_hop from `death`.
local DERIVED = {
  src = function(s) return s.conn[s.side].addr end,
  sport = function(s) return s.conn[s.side].port end,
  dst = function(s) return s.conn[other(s.side)].addr end,
  dport = function(s) return s.conn[other(s.side)].port end,
  flags = function(s) return flag_words(s.letters) end,
  syn = function(s) return s.letters:find("S", 1, true) ~= nil end,
  fin = function(s) return s.letters:find("F", 1, true) ~= nil end,
  rst = function(s) return s.letters:find("R", 1, true) ~= nil end,
  dir = function(s) return s.conn[s.side].ep .. ">" .. s.conn[other(s.side)].ep end,
  lost_time = function(s) return s.death and s.death.time end,
  lost_node = function(s) return s.death and s.death.node end,
  lost_link = function(s) return s.death and s.death.link end,
  lost_hop = function(s) return s.death and s.death.hop end,
  summary = function(s) return M.summary(s) end,
  what = function() return "seg" end,
}
M.DERIVED = DERIVED
local Seg = {__index = function(s, k)
  local f = DERIVED[k]
  if f then return f(s) end
end}

-- The segment as tcpdump prints it (options as far as lunet reads them).
function M.summary(s)
  local c = s.conn
  local a, b = c[s.side], c[other(s.side)]
  local out = {string.format("%s.%d > %s.%d: Flags [%s], seq %d", a.addr, a.port, b.addr, b.port,
                             s.letters, s.seq)}
  if s.len > 0 then out[#out + 1] = string.format(":%d", (s.seq + s.len) % 4294967296) end
  if s.ack then out[#out + 1] = string.format(", ack %d", s.ack) end
  out[#out + 1] = string.format(", win %d", s.win)
  local o = s.opts or (s.sack and {sack = s.sack})
  if o then
    local p = {}
    if o.mss then p[#p + 1] = "mss " .. o.mss end
    if o.sack_perm then p[#p + 1] = "sackOK" end
    if o.tsval then p[#p + 1] = string.format("TS val %d ecr %d", o.tsval, o.tsecr) end
    if o.ws then p[#p + 1] = "wscale " .. o.ws end
    if o.sack then
      local bl = {}
      for _, blk in ipairs(o.sack) do bl[#bl + 1] = string.format("{%d:%d}", blk[1], blk[2]) end
      p[#p + 1] = "sack " .. #o.sack .. " " .. table.concat(bl, " ")
    end
    out[#out + 1] = ", options [" .. table.concat(p, ",") .. "]"
  end
  out[#out + 1] = string.format(", length %d", s.len)
  if s.kind then out[#out + 1] = " (" .. s.kind .. ")" end
  return table.concat(out)
end

function Trace:_new_seg(ev, from, lost)
  if self.max_segments and #self.segs >= self.max_segments then
    self.segs_skipped = self.segs_skipped + 1
    return nil
  end
  local letters = ev.flags or ""
  local syn = letters:find("S", 1, true) ~= nil
  local fin = letters:find("F", 1, true) ~= nil
  local s = setmetatable({
    time = ev.time, from = from, to = self:owner(ev.dst) or nil, letters = letters, seq = ev.seq, ack = ev.ack, len = ev.payload or 0, win = ev.win, id = ev.id,
    kind = ev.kind, hops = lost and 0 or 1,
  }, Seg)
  local c, side = self:_conn(ev.src, ev.sport, ev.dst, ev.dport, s.time, syn and not s.ack,
                             syn and not s.ack and s.seq or nil)
  s.conn, s.side = c, side
  c.segs[#c.segs + 1] = s
  c.last = s.time
  if ev.bytes then
    local o = tcp_options(ev.bytes, ev.layer)
    if o then
      if syn then s.opts = o; c.opts[side] = o end
      s.sack = o.sack
    end
  end
  -- each direction's ISN, for relative numbers; without its SYN (a trace
  -- started late) the first sequence number seen, as Wireshark does
  if syn then c.isn[side] = s.seq end
  if not c.base[side] then c.base[side] = s.seq end
  if s.fin or letters:find("R", 1, true) then c.done = true end
  -- a segment covering sequence space already sent is a retransmission
  local span = s.len + (syn and 1 or 0) + (fin and 1 or 0)
  if span > 0 then
    local sent = c.sent[side]
    local key = s.seq * 65536 + span % 65536
    if sent[key] then s.retransmission = true end
    sent[key] = true
  end
  if s.kind and s.kind:find("retransmission", 1, true) then s.retransmission = true end
  if s.retransmission then c.rtx[side] = c.rtx[side] + 1 end
  c.bytes[side] = c.bytes[side] + s.len
  self.segs[#self.segs + 1] = s
  if s.id then self.by_id[s.id] = s end
  self.log[#self.log + 1] = s
  return s
end

function Trace:_tx(ev)
  local s = self.by_id[ev.id or -1]
  if s then
    s.hops = s.hops + 1
    -- leaving a router or switch it arrived at (the first copy a hub or
    -- a flooding switch sends)
    local p = s.path
    if p and #p > 0 and not p[#p].tx and p[#p].node == hop_node(ev) then p[#p].tx = ev.time end
    return
  end
  local node = ev.node
  if not node then return end
  -- a router passing the segment on is not its sender (a host sending
  -- with a spoofed source is)
  if self:is_router(node) and self:owner(ev.src) ~= node then return end
  if self.hosts and not self.hosts[node] then return end
  if not self:_wanted(ev.sport, ev.dport) then return end
  self:_new_seg(ev, node, false)
end

function Trace:_drop(ev)
  if self.record_queues and ev.link then
    local q = self:_qdir(ev.link, ev.dir or 0)
    q.drops[#q.drops + 1] = {time = ev.time, reason = ev.reason}
  end
  if ev.proto ~= "tcp" or not ev.sport then return end
  local s = self.by_id[ev.id or -1]
  if s then
    local at = hop_node(ev)
    -- A zero-window probe or keep-alive carries an old sequence number on
    -- purpose: the receiver discards it and answers with an ACK, which is
    -- all it was for (RFC 9293 3.8.6.1, 3.8.4).  Not a loss.
    if s.kind and (s.kind == "zero window probe" or s.kind == "keep-alive") and
       ev.reason == "out of window" and at == s.to then
      s.discarded = ev.reason
      return
    end
    -- Copies that were never the receiver's (a hub repeats a frame to
    -- every port, a switch floods it) die elsewhere without it dying.
    if at ~= s.to and (ev.reason == "not for this host" or ev.reason == "filtered by switch") then
      return
    end
    if at == s.to then
      -- the receiver discarded a copy: lost only if no copy got through
      s.dead_n = (s.dead_n or 0) + 1
      if s.dead_n < (s.rx_n or 0) then return end
    elseif (s.rx_n or 0) > 0 then
      return                       -- a duplicate died on the way; one arrived
    end
    if not s.lost then
      s.lost = ev.reason or "dropped"
      s.death = {time = ev.time, node = hop_node(ev), link = ev.link, hop = s.hops}
    end
    return
  end
  -- never left: born from its drop, if its sender dropped it
  local node = hop_node(ev)
  if not node or not ev.src or self:owner(ev.src) ~= node then return end
  if self.hosts and not self.hosts[node] then return end
  if not self:_wanted(ev.sport, ev.dport) then return end
  s = self:_new_seg(ev, node, true)
  if s then
    s.lost = ev.reason or "dropped"
    s.death = {time = ev.time, node = node, link = ev.link, hop = 0}
  end
end

-- The endpoints of a TCP event's flow ("local>remote"), when the event
-- passes the hosts and ports filters.
function Trace:_flow(ev)
  if not ev.node or not ev.flow then return nil end
  if self.hosts and not self.hosts[ev.node] then return nil end
  local la, lp, ra, rp = ev.flow:match("^(.-):(%d+)>(.-):(%d+)$")
  if not la then return nil end
  -- IPv6 endpoints come as ss writes them, "[2001:db8::1]:80"
  la, ra = la:match("^%[(.*)%]$") or la, ra:match("^%[(.*)%]$") or ra
  lp, rp = tonumber(lp), tonumber(rp)
  if not self:_wanted(lp, rp) then return nil end
  return la, lp, ra, rp
end

function Trace:_state(ev)
  local la, lp, ra, rp = self:_flow(ev)
  if not la then return end
  local rec = {what = "state", time = ev.time, host = ev.node, from = ev.from, to = ev.to, flow = ev.flow}
  if ra ~= "0.0.0.0" and ra ~= "::" then      -- not a listener's own change
    local c, side = self:_conn(la, lp, ra, rp, ev.time, ev.to == "SYN_SENT")
    rec.conn, rec.side = c, side
    local st = c.states[side]
    st[#st + 1] = rec
    c.last = ev.time
  end
  self.transitions[#self.transitions + 1] = rec
  self.log[#self.log + 1] = rec
end

-- cwnd, rtt and timer events, kept per connection side.
function Trace:_sample(ev, what)
  local la, lp, ra, rp = self:_flow(ev)
  if not la then return end
  local c, side = self:_conn(la, lp, ra, rp, ev.time, false)
  local list = c[what][side]
  if self.max_segments and #list >= self.max_segments then
    self.samples_skipped = self.samples_skipped + 1
    return
  end
  if what == "cwnd" then
    list[#list + 1] = {time = ev.time, cwnd = ev.cwnd, ssthresh = ev.ssthresh, why = ev.why}
  elseif what == "rtt" then
    list[#list + 1] = {time = ev.time, rtt = ev.rtt, srtt = ev.srtt, rto = ev.rto}
  else
    list[#list + 1] = {time = ev.time, timer = ev.timer, backoff = ev.backoff, rto = ev.rto}
  end
end

-- Link queues: one record per link direction that ever queued or dropped.
function Trace:_qdir(link, dir)
  local key = link .. "#" .. dir
  local q = self.qdirs[key]
  if not q then
    -- samples as parallel arrays: a busy queue changes on every frame
    q = {link = link, dir = dir, t = {}, qlen = {}, qbytes = {}, drops = {}, max = 0}
    self.qdirs[key] = q
    self.qlist[#self.qlist + 1] = q
  end
  return q
end

function Trace:_queue(ev)
  if not ev.link then return end
  local q = self:_qdir(ev.link, ev.dir or 0)
  local n = #q.t + 1
  if self.max_segments and n > self.max_segments then
    self.samples_skipped = self.samples_skipped + 1
    return
  end
  q.t[n], q.qlen[n], q.qbytes[n] = ev.time, ev.qlen, ev.qbytes
  if ev.qlen > q.max then q.max = ev.qlen end
end

-- Link directions whose queue was used or that dropped, in the order
-- first seen: {link=, dir=, t = {...}, qlen = {...}, qbytes = {...} (one
-- entry per change), drops = {{time=, reason=}, ...}, max=}.
function Trace:queues()
  local out = {}
  for i, q in ipairs(self.qlist) do out[i] = q end
  return out
end

-- The scaled receive window a segment advertises, as Wireshark computes
-- it: shifted by the sender's window scale once both SYNs carried the
-- option (RFC 7323 2.2), never on a SYN.
function M.window(s)
  local c = s.conn
  if s.syn or not c then return s.win end
  local mine, theirs = c.opts[s.side], c.opts[other(s.side)]
  if mine and theirs and mine.ws and theirs.ws then return s.win << mine.ws end
  return s.win
end

-- seq or ack relative to the ISN of direction `side` (or, without its
-- SYN, to the first sequence number seen of it).
function M.rel(c, side, v)
  local isn = c.isn[side] or c.base[side]
  if v == nil or not isn then return v end
  return (v - isn) % 4294967296
end

-- "client 10.0.0.1:40000", or the address alone without an owner.
function M.side_label(c, side)
  local e = c[side]
  return e.node and (e.node .. " " .. e.ep) or e.ep
end

return M
