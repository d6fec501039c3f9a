-- make_corpus.lua - writes the seed corpora tests/fuzz/corpus/<target>/
-- from the frames lunet itself captures, rewritten to aim at each fuzz
-- target's world.  Run from the source tree, after building:
--
--   build/lunet run tests/fuzz/make_corpus.lua [build=build] [pcaps=DIR]
--
-- Without pcaps=, it first runs every scenario (tests/scenarios, scripts)
-- with LUNET_PCAP_DIR=<build>/corpus-pcap (a minute or two), then adds
-- one network of its own (below) for what the scenarios do not capture:
-- fragmentation at a router, "frag needed", "time exceeded", unreachable
-- ports and networks, IGMP, multicast.  pcaps=DIR takes the captures
-- already in DIR instead (a previous run's <build>/corpus-pcap).  The
-- built-in frames of fuzz_replay.c come in too (<build>/fuzz_stack_replay
-- --write-seeds), so <build> needs the fuzz targets built (make test).
-- The seeds are small (a few KB a target, at most ~30 files) and chosen
-- one per kind of frame (protocol, TCP flags, ICMP type, fragment, IP
-- options), and the same pcaps always give the same corpus (the scenarios
-- are deterministic, so the same tree does): review the diff, commit it.
--
-- What each target gets (the formats are in each fuzz_X.c's top comment):
--   fuzz_dissect  frames as captured (byte 0 = 0: Ethernet)
--   fuzz_stack    frames re-addressed to h 10.0.0.2 from peer 10.0.0.1
--                 (byte 0 = 1, IP datagrams; ARP as frames), TCP to port
--                 80, UDP to 53 (h's sockets), checksums zeroed so the
--                 target recomputes them; quoted datagrams in ICMP errors
--                 re-addressed as sent by h
--   fuzz_router   datagrams from a 10.0.1.2 to b 10.0.2.2 across r (and
--                 back, byte 0 = 3), with variants: DF cleared (r must
--                 fragment onto its 576-byte link), TTL 1, no route, to r
--   fuzz_session  each TCP connection of the pcaps, the client's segments
--                 after its SYN replayed as the peer 10.0.0.1:40000 ->
--                 h 10.0.0.2:80, sequence numbers, SACK and timestamps
--                 relative (ctl bit 3), the gaps between them as ctl's
--                 wait; and fragment sequences (out of order, overlapping)
--   fuzz_parse    hand-written strings for each parser

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../"
local opt = {build = "build"}
for _, a in ipairs(arg or {}) do
  local k, v = a:match("^([%w_]+)=(.*)$")
  if not k then error("make_corpus: argument " .. a .. ": expected build=DIR or pcaps=DIR") end
  opt[k] = v
end
local BUILD = opt.build

local sh = os.execute
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

------------------------------------------------------------------------
-- the pcaps
------------------------------------------------------------------------

-- Absolute: a capture's relative directory would be under lunet.pcap_dir.
local function abs(p) return p:sub(1, 1) == "/" and p or lunet.getcwd() .. "/" .. p end
local PCAPS = opt.pcaps and abs(opt.pcaps)
if not PCAPS then
  PCAPS = abs(BUILD .. "/corpus-pcap")
  sh("rm -rf " .. q(PCAPS) .. " && mkdir -p " .. q(PCAPS))
  print("make_corpus: running the scenarios for their captures (" .. PCAPS .. ")")
  if not sh(("LUNET_PCAP_DIR=%s %s test %stests/scenarios %sscripts > %s/scenarios.log 2>&1")
            :format(q(PCAPS), q(BUILD .. "/lunet"), q(ROOT), q(ROOT), q(PCAPS))) then
    print("make_corpus: some scenarios failed (" .. PCAPS .. "/scenarios.log); using what they captured")
  end

  -- What the scenarios leave out, captured on every interface:
  --   h1 10.0.1.2 -- r 10.0.1.1 | 10.0.2.1 -- h2 10.0.2.2 (MTU 576)
  local net = lunet.net{name = "corpus", seed = 1}
  local h1, r, h2 = net:host("h1"), net:router("r"), net:host("h2")
  net:link(h1, r, {ip = {"10.0.1.2/24", "10.0.1.1/24"}, delay = "1ms"})
  net:link(r, h2, {ip = {"10.0.2.1/24", "10.0.2.2/24"}, delay = "1ms", mtu = 576})
  h1:route("default", "10.0.1.1")
  h2:route("default", "10.0.2.1")
  net:capture{dir = PCAPS .. "/extra"}
  h2:spawn(function()
    local u = h2:udp()
    u:bind(5353)
    u:join("239.1.2.3")
    u:sendto("hello group", "239.1.2.3", 5353)
    lunet.sleep("3s")
    u:leave("239.1.2.3")
    u:close()
  end)
  h1:spawn(function()
    h1:ping("10.0.2.2", {count = 1, size = 1000, quiet = true})              -- fragmented at r
    h1:ping("10.0.2.2", {count = 1, size = 700, df = true, quiet = true})    -- frag needed
    h1:traceroute("10.0.2.2", {mode = "udp", probes = 1, max_hops = 3, quiet = true})
    local u = h1:udp()
    u:sendto(string.rep("u", 900), "10.0.2.2", 9)                           -- fragments, port unreachable
    u:sendto("nowhere", "10.9.9.9", 9)                                       -- net unreachable
    lunet.sleep("100ms")
    u:close()
    local s = h1:tcp()
    s:connect("10.0.2.2", 81, {timeout = "1s"})                              -- RST
    s:close()
  end)
  net:run("10s")
end

local function pcap_files()
  local files = {}
  local p = io.popen("find " .. q(PCAPS) .. " -name '*.pcap' | LC_ALL=C sort")
  for f in p:lines() do files[#files + 1] = f end
  p:close()
  return files
end

-- Frames of a classic pcap file: {data = string, t = ns}.
local function read_pcap(path)
  local f = assert(io.open(path, "rb"))
  local all = f:read("a")
  f:close()
  if #all < 24 then return {} end
  local magic = string.unpack("<I4", all)
  local e, nano
  if magic == 0xa1b2c3d4 then e, nano = "<", false
  elseif magic == 0xa1b23c4d then e, nano = "<", true
  elseif magic == 0xd4c3b2a1 then e, nano = ">", false
  elseif magic == 0x4d3cb2a1 then e, nano = ">", true
  else return {} end
  if string.unpack(e .. "I4", all, 21) ~= 1 then return {} end   -- Ethernet only
  local frames, at = {}, 25
  while at + 16 <= #all + 1 do
    local sec, frac, incl, orig = string.unpack(e .. "I4I4I4I4", all, at)
    at = at + 16
    if incl ~= orig or at + incl > #all + 1 then break end     -- whole frames only
    frames[#frames + 1] = {data = all:sub(at, at + incl - 1), t = sec * 1000000000 + frac * (nano and 1 or 1000)}
    at = at + incl
  end
  return frames
end

------------------------------------------------------------------------
-- bytes: frames are edited as arrays of byte values, offsets from 0
------------------------------------------------------------------------

local function bytes(s) local b = {} for i = 1, #s do b[i] = s:byte(i) end return b end
local function str(b, i, j)
  local parts = {}
  for k = i or 1, j or #b, 4096 do
    parts[#parts + 1] = string.char(table.unpack(b, k, math.min(k + 4095, j or #b)))
  end
  return table.concat(parts)
end
local function g8(b, o) return b[o + 1] end
local function g16(b, o) return b[o + 1] << 8 | b[o + 2] end
local function g32(b, o) return b[o + 1] << 24 | b[o + 2] << 16 | b[o + 3] << 8 | b[o + 4] end
local function p8(b, o, v) b[o + 1] = v & 0xff end
local function p16(b, o, v) b[o + 1] = (v >> 8) & 0xff; b[o + 2] = v & 0xff end
local function p32(b, o, v) for k = 0, 3 do b[o + 1 + k] = (v >> (24 - 8 * k)) & 0xff end end
local function ip4(s)
  local a, b_, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  return tonumber(a) << 24 | tonumber(b_) << 16 | tonumber(c) << 8 | tonumber(d)
end
local function sub(b, i, j) local r = {} for k = i + 1, j do r[#r + 1] = b[k] end return r end
local function cat(...)
  local r = {}
  for _, t in ipairs{...} do for _, v in ipairs(t) do r[#r + 1] = v end end
  return r
end

local PEER_MAC = {2, 0, 0, 0, 0, 1}
local H_MAC = {2, 0, 0, 0, 0, 2}

-- An IPv4 datagram (a byte array from its header), parsed lightly.
local function ipinfo(b)
  if #b < 20 or b[1] >> 4 ~= 4 then return nil end
  local hl = (b[1] & 15) * 4
  if hl < 20 or hl > #b then return nil end
  local i = {hl = hl, tot = g16(b, 2), proto = b[10], src = g32(b, 12), dst = g32(b, 16),
             frag = g16(b, 6)}
  i.first = (i.frag & 0x1fff) == 0
  i.fragment = (i.frag & 0x3fff) ~= 0
  if i.first and i.proto == 6 and #b >= hl + 20 then
    i.sport, i.dport = g16(b, hl), g16(b, hl + 2)
    i.seq, i.ack, i.flags = g32(b, hl + 4), g32(b, hl + 8), b[hl + 14]
    i.thl = (b[hl + 13] >> 4) * 4
    i.payload = math.max(0, math.min(i.tot, #b) - hl - i.thl)
  elseif i.first and i.proto == 17 and #b >= hl + 8 then
    i.sport, i.dport = g16(b, hl), g16(b, hl + 2)
  elseif i.first and (i.proto == 1 or i.proto == 2) and #b >= hl + 4 then
    i.type, i.code = b[hl + 1], b[hl + 2]
  end
  return i
end

-- What kind of frame this is, for picking one of each.
local function kind(frame)
  local et = #frame >= 14 and g16(frame, 12) or 0
  if et == 0x0806 then return "arp-" .. (#frame >= 22 and g16(frame, 20) or 0) end
  if et ~= 0x0800 then return ("eth-%04x"):format(et) end
  local b = sub(frame, 14, #frame)
  local i = ipinfo(b)
  if not i then return "ip-bad" end
  local k = ({[1] = "icmp", [2] = "igmp", [6] = "tcp", [17] = "udp"})[i.proto] or ("ip" .. i.proto)
  if i.fragment then k = k .. "-frag" .. (i.first and "1" or "n") end
  if i.hl > 20 then k = k .. "-opt" end
  if i.flags then
    local f = ""
    for bit, c in pairs{[1] = "F", [2] = "S", [4] = "R", [8] = "P", [16] = "A"} do
      if i.flags & bit ~= 0 then f = f .. c end
    end
    local letters = {} for c in f:gmatch(".") do letters[#letters + 1] = c end
    table.sort(letters)
    k = k .. "-" .. table.concat(letters) .. (i.payload > 0 and "-data" or "")
  elseif i.type then
    k = k .. "-" .. i.type .. "-" .. i.code
  end
  if i.dst >> 28 == 0xe then k = k .. "-mcast" end
  return k
end

-- Zero the checksums the targets fill in (IP, TCP, ICMP, IGMP; UDP's 0
-- means none).
local function zero_csums(b)
  local i = ipinfo(b)
  if not i then return end
  p16(b, 10, 0)
  if i.first then
    if i.proto == 6 and #b >= i.hl + 18 then p16(b, i.hl + 16, 0)
    elseif i.proto == 17 and #b >= i.hl + 8 then p16(b, i.hl + 6, 0)
    elseif (i.proto == 1 or i.proto == 2) and #b >= i.hl + 4 then p16(b, i.hl + 2, 0) end
  end
end

-- Re-address a datagram: src, dst (multicast and broadcast destinations
-- stay), TCP to tport, UDP to uport (either side, by `to_server`), and
-- the quoted datagram of an ICMP error as if `dst` had sent it.
local function readdress(b, src, dst, tport, uport)
  local i = ipinfo(b)
  if not i then return end
  p32(b, 12, src)
  if i.dst >> 28 ~= 0xe and i.dst & 0xff ~= 0xff then p32(b, 16, dst) end
  if i.first and i.proto == 6 and i.sport then p16(b, i.hl + 2, tport) end
  if i.first and i.proto == 17 and i.sport then p16(b, i.hl + 2, uport) end
  if i.proto == 1 and i.type and (i.type == 3 or i.type == 11 or i.type == 12) and #b >= i.hl + 28 then
    local o = i.hl + 8
    local ihl = (b[o + 1] & 15) * 4
    p32(b, o + 12, dst)
    p32(b, o + 16, src)
    if #b >= o + ihl + 4 then
      local qp = b[o + 10]
      if qp == 6 then p16(b, o + ihl, tport) elseif qp == 17 then p16(b, o + ihl, uport) end
    end
  end
  zero_csums(b)
end

------------------------------------------------------------------------
-- the corpora
------------------------------------------------------------------------

-- An ICMP error quotes up to 576 bytes; the stack reads only the quoted
-- header and 8 bytes, so the seeds keep just those (total length fixed).
local function shrink(data)
  local f = bytes(data)
  if #f < 34 or g16(f, 12) ~= 0x0800 then return data end
  local i = ipinfo(sub(f, 14, #f))
  local keep = i and i.type and i.proto == 1 and ({[3] = 1, [4] = 1, [5] = 1, [11] = 1, [12] = 1})[i.type]
               and 14 + i.hl + 8 + 28
  if not keep or #f <= keep then return data end
  f = sub(f, 0, keep)
  p16(f, 16, keep - 14)
  return str(f)
end

local frames = {}         -- every captured frame, in file then time order
for _, f in ipairs(pcap_files()) do
  for _, fr in ipairs(read_pcap(f)) do
    fr.file = f
    fr.data = shrink(fr.data)
    frames[#frames + 1] = fr
  end
end
print(("make_corpus: %d frames from %s"):format(#frames, PCAPS))

-- One frame of each kind (the shortest), at most `n`: a kind of each
-- protocol in turn, so TCP's many kinds do not crowd out the rest.
local function one_per_kind(n, maxlen, filter)
  local best = {}
  for _, fr in ipairs(frames) do
    if #fr.data <= maxlen and (not filter or filter(fr)) then
      local k = kind(bytes(fr.data))
      if not best[k] or #fr.data < #best[k].data then best[k] = fr end
    end
  end
  local groups, gnames = {}, {}
  for k in pairs(best) do
    local g = k:match("^[^-]+")
    if not groups[g] then groups[g] = {} gnames[#gnames + 1] = g end
    table.insert(groups[g], k)
  end
  table.sort(gnames)
  for _, g in ipairs(gnames) do table.sort(groups[g]) end
  local out = {}
  for round = 1, math.huge do
    local any = false
    for _, g in ipairs(gnames) do
      local k = groups[g][round]
      if k and #out < n then
        out[#out + 1] = {name = k, frame = bytes(best[k].data)}
        any = true
      end
    end
    if not any then break end
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

local CORPUS = ROOT .. "tests/fuzz/corpus/"
local written = {}
local function clear(target)
  sh("mkdir -p " .. q(CORPUS .. target) .. " && rm -f " .. q(CORPUS .. target) .. "/*")
  written[target] = {n = 0, bytes = 0, names = {}}
end
local function put(target, name, data)
  if type(data) == "table" then data = str(data) end
  name = name:gsub("[^%w%-_.]", "_")
  -- Two pcaps of the same name in different directories: number them.
  local used = written[target].names
  local base, k = name, 1
  while used[name] do k = k + 1; name = base .. "-" .. k end
  used[name] = true
  local f = assert(io.open(CORPUS .. target .. "/" .. name, "wb"))
  f:write(data)
  f:close()
  written[target].n = written[target].n + 1
  written[target].bytes = written[target].bytes + #data
end

-- fuzz_dissect and fuzz_stack share the built-in frames of fuzz_replay.c.
local builtin_dir = BUILD .. "/corpus-builtin"
sh("rm -rf " .. q(builtin_dir) .. " && mkdir -p " .. q(builtin_dir))
assert(sh(q(BUILD .. "/fuzz_stack_replay") .. " --write-seeds " .. q(builtin_dir)),
       "make_corpus: " .. BUILD .. "/fuzz_stack_replay --write-seeds failed (build it first)")
local builtin = {}
do
  local p = io.popen("ls " .. q(builtin_dir) .. " | LC_ALL=C sort")
  for name in p:lines() do
    local f = assert(io.open(builtin_dir .. "/" .. name, "rb"))
    builtin[#builtin + 1] = {name = name, data = f:read("a")}
    f:close()
  end
  p:close()
end

-- fuzz_dissect: frames as captured, one per kind.
clear("fuzz_dissect")
for _, b in ipairs(builtin) do put("fuzz_dissect", b.name, b.data) end
for _, s in ipairs(one_per_kind(32 - #builtin, 600)) do
  put("fuzz_dissect", "pcap-" .. s.name, cat({0}, s.frame))
end

-- fuzz_stack: one per kind, re-addressed to h.
clear("fuzz_stack")
for _, b in ipairs(builtin) do put("fuzz_stack", b.name, b.data) end
for _, s in ipairs(one_per_kind(32 - #builtin, 600)) do
  local f = s.frame
  local et = g16(f, 12)
  if et == 0x0806 and #f >= 42 then
    local req = g16(f, 20) == 1
    local out = cat(req and {255, 255, 255, 255, 255, 255} or H_MAC, PEER_MAC, sub(f, 12, 22), PEER_MAC,
                    {10, 0, 0, 1}, req and {0, 0, 0, 0, 0, 0} or H_MAC, {10, 0, 0, 2}, sub(f, 42, #f))
    put("fuzz_stack", "pcap-" .. s.name, cat({0}, out))
  elseif et == 0x0800 then
    local b = sub(f, 14, #f)
    readdress(b, ip4("10.0.0.1"), ip4("10.0.0.2"), 80, 53)
    put("fuzz_stack", "pcap-" .. s.name, cat({1}, b))
  end
end

-- fuzz_router: datagrams across r, a few of each kind, and the variants
-- that reach r's special cases.
clear("fuzz_router")
do
  local A, B = ip4("10.0.1.2"), ip4("10.0.2.2")
  local picks = one_per_kind(20, 600, function(fr) return g16(bytes(fr.data:sub(1, 14)), 12) == 0x0800 end)
  for k, s in ipairs(picks) do
    local b = sub(s.frame, 14, #s.frame)
    local back = k % 3 == 0                           -- some from b's side
    if back then readdress(b, B, A, 80, 53) else readdress(b, A, B, 80, 53) end
    put("fuzz_router", "pcap-" .. s.name, cat({back and 3 or 1}, b))
  end
  -- A full-size TCP segment and a 1000-byte UDP datagram: with DF (TCP
  -- sets it) "frag needed"; cleared, fragments of 552 bytes.
  local big
  for _, fr in ipairs(frames) do
    if #fr.data == 1514 and kind(bytes(fr.data:sub(1, 54))):match("^tcp%-A") then big = bytes(fr.data) break end
  end
  if big then
    local b = sub(big, 14, #big)
    readdress(b, A, B, 80, 53)
    put("fuzz_router", "big-tcp-df", cat({1}, b))
    p16(b, 6, g16(b, 6) & ~0x4000)
    put("fuzz_router", "big-tcp-nodf", cat({1}, b))
  end
  local udp = cat({0x45, 0, 0x03, 0xe8, 0, 7, 0, 0, 64, 17, 0, 0}, {10, 0, 1, 2}, {10, 0, 2, 2},
                  {0x9c, 0x40, 0, 53, 0x03, 0xd4, 0, 0})
  for i = #udp + 1, 1000 do udp[i] = i & 0xff end
  put("fuzz_router", "big-udp", cat({1}, udp))
  -- With IP options: router alert (copied flag set: in every fragment)
  -- and an empty record route (flag clear: only in the first).
  local opts = cat({0x47, 0, 0x03, 0xe8, 0, 8, 0, 0, 64, 17, 0, 0}, {10, 0, 1, 2}, {10, 0, 2, 2},
                   {0x94, 4, 0, 0, 7, 3, 4, 0}, {0x9c, 0x40, 0, 53, 0x03, 0xcc, 0, 0})
  for i = #opts + 1, 1000 do opts[i] = 0x55 end
  put("fuzz_router", "big-udp-options", cat({1}, opts))
  local ping = cat({0x45, 0, 0, 28, 0, 9, 0, 0, 1, 1, 0, 0}, {10, 0, 1, 2}, {10, 0, 2, 2}, {8, 0, 0, 0, 0, 1, 0, 1})
  put("fuzz_router", "ttl1", cat({1}, ping))                                     -- time exceeded
  local far = cat(ping) p8(far, 8, 64) p32(far, 16, ip4("10.0.3.5"))
  put("fuzz_router", "via-gateway", cat({1}, far))
  local none = cat(ping) p8(none, 8, 64) p32(none, 16, ip4("192.0.2.1"))
  put("fuzz_router", "no-route", cat({1}, none))                               -- net unreachable
  local mine = cat(ping) p8(mine, 8, 64) p32(mine, 16, ip4("10.0.1.1"))
  put("fuzz_router", "to-router", cat({1}, mine))
  for _, b in ipairs(builtin) do
    if b.name == "builtin-arp" then                                             -- who has 10.0.1.1?
      local f = bytes(b.data)
      p32(f, 1 + 28, A) p32(f, 1 + 38, ip4("10.0.1.1"))
      put("fuzz_router", "arp-request", f)
    end
  end
end

-- fuzz_session: the client's side of each TCP connection, replayed.
local WAITS = {0, 1e6, 10e6, 40e6, 200e6, 1e9, 3e9, 65e9}
local function wait_code(dt)
  local c = 0
  for k = 1, 8 do if dt >= WAITS[k] then c = k - 1 end end
  return c
end
local function chunk(ctl, b)
  return cat({#b >> 8, #b & 0xff, ctl}, b)
end

clear("fuzz_session")
do
  local conns, order = {}, {}
  for _, fr in ipairs(frames) do
    local f = bytes(fr.data)
    if #f >= 54 and g16(f, 12) == 0x0800 then
      local b = sub(f, 14, #f)
      local i = ipinfo(b)
      if i and i.flags then
        local key = fr.file .. " " .. i.src .. ":" .. i.sport .. ">" .. i.dst .. ":" .. i.dport
        local rkey = fr.file .. " " .. i.dst .. ":" .. i.dport .. ">" .. i.src .. ":" .. i.sport
        if i.flags & 0x12 == 0x02 and not conns[key] then              -- a SYN opens one
          conns[key] = {name = fr.file:match("([^/]+)%.pcap$") .. "-" .. i.sport, isn = i.seq, segs = {}}
          order[#order + 1] = key
        elseif i.flags & 0x12 == 0x12 and conns[rkey] and not conns[rkey].peer_isn then
          conns[rkey].peer_isn = i.seq                                  -- the SYN-ACK
          conns[rkey].peer_t0 = fr.t
        elseif conns[key] and conns[key].peer_isn then
          local c = conns[key]
          c.segs[#c.segs + 1] = {b = b, i = i, t = fr.t}
        end
      end
    end
  end
  -- Relative numbers as fuzz_session.c takes them (ctl bit 3).
  local function relative(c, s)
    local b, i = cat(s.b), s.i
    p32(b, i.hl + 4, (i.seq - c.isn) & 0xffffffff)
    p32(b, i.hl + 8, (i.flags & 0x10 ~= 0) and ((i.ack - c.peer_isn) & 0xffffffff) or 0)
    local o, e = i.hl + 20, i.hl + i.thl
    while o < e do
      local k = b[o + 1]
      if k == 0 then break end
      if k == 1 then o = o + 1 else
        local n = b[o + 2] or 0
        if n < 2 or o + n > e then break end
        if k == 8 and n == 10 then
          c.ts0 = c.ts0 or g32(b, o + 2)
          p32(b, o + 2, (g32(b, o + 2) - c.ts0) & 0xffffffff)
          -- The peer's clock was at 0 when its SYN-ACK left, as h's is.
          local ecr = g32(b, o + 6)
          c.ecr0 = c.ecr0 or ecr
          p32(b, o + 6, (ecr - c.ecr0) & 0xffffffff)
        elseif k == 5 then
          for x = o + 2, o + n - 4, 4 do p32(b, x, (g32(b, x) - c.peer_isn) & 0xffffffff) end
        end
        o = o + n
      end
    end
    readdress(b, ip4("10.0.0.1"), ip4("10.0.0.2"), 80, 53)
    p16(b, i.hl, 40000)
    zero_csums(b)
    return b
  end
  -- Shortest first, so the corpus stays small; skip bulk transfers.
  local list = {}
  for _, key in ipairs(order) do
    local c = conns[key]
    local size, ok = 0, #c.segs > 0 and c.peer_isn
    for _, s in ipairs(c.segs) do
      size = size + #s.b
      if s.i.payload > 300 then ok = false end
    end
    if ok and #c.segs <= 30 then list[#list + 1] = {c = c, size = size} end
  end
  table.sort(list, function(x, y) return x.size < y.size or (x.size == y.size and x.c.name < y.c.name) end)
  local seen = {}
  local n = 0
  for _, e in ipairs(list) do
    local c = e.c
    -- One connection per shape (the same flags in the same order).
    local shape = {}
    for _, s in ipairs(c.segs) do shape[#shape + 1] = s.i.flags .. "/" .. (s.i.payload > 0 and 1 or 0) end
    shape = table.concat(shape, " ")
    if not seen[shape] and n < 16 then
      seen[shape] = true
      n = n + 1
      local out, last = {}, c.peer_t0
      for _, s in ipairs(c.segs) do
        out = cat(out, chunk(0x08 | wait_code(s.t - last), relative(c, s)))
        last = s.t
      end
      put("fuzz_session", "tcp-" .. c.name, out)
    end
  end
  -- Fragments: a UDP datagram to h's port 53 and an echo request, each
  -- in three pieces (16 + 16 + 8 bytes), in order, reversed after a
  -- duplicate first piece, overlapping, and with the rest arriving after
  -- ipfrag_time (30 s) has given up on the first.
  local function pieces(proto, l4, id)
    local out = {}
    for _, p in ipairs{{0, 16, true}, {16, 16, true}, {32, 8, false}} do
      local off, len, mf = p[1], p[2], p[3]
      local b = cat({0x45, 0, 0, 20 + len, id >> 8, id & 0xff, (mf and 0x20 or 0) | (off // 8) >> 8,
                     (off // 8) & 0xff, 64, proto, 0, 0}, {10, 0, 0, 1}, {10, 0, 0, 2}, sub(l4, off, off + len))
      out[#out + 1] = b
    end
    return out
  end
  local udp = {0x9c, 0x40, 0, 53, 0, 40, 0, 0}
  local echo = {8, 0, 0, 0, 0, 7, 0, 1}
  for i = 9, 40 do udp[i] = 0x60 + i; echo[i] = i end
  -- The echo's checksum, over the whole message (the target cannot fill
  -- in a fragment's).
  local sum = 0
  for i = 1, 40, 2 do sum = sum + (echo[i] << 8 | echo[i + 1]) end
  while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
  p16(echo, 2, ~sum & 0xffff)
  for _, d in ipairs{{"udp", pieces(17, udp, 0x100)}, {"icmp", pieces(1, echo, 0x200)}} do
    local name, fr = d[1], d[2]
    put("fuzz_session", "frag-" .. name .. "-inorder", cat(chunk(0, fr[1]), chunk(1, fr[2]), chunk(1, fr[3])))
    put("fuzz_session", "frag-" .. name .. "-reversed",
        cat(chunk(0, fr[1]), chunk(2, fr[3]), chunk(2, fr[2]), chunk(2, fr[1])))
    -- The middle piece's bytes again at offset 24, overlapping the last.
    local over = cat(fr[2])
    p16(over, 6, 0x2000 | 3)
    put("fuzz_session", "frag-" .. name .. "-overlap", cat(chunk(0, fr[1]), chunk(1, over), chunk(1, fr[2]), chunk(1, fr[3])))
    put("fuzz_session", "frag-" .. name .. "-late", cat(chunk(0, fr[1]), chunk(7, fr[2]), chunk(0, fr[3])))
  end
  -- The built-in single frames as one-chunk sessions (IGMP queries,
  -- ICMP errors for the connection's 4-tuple come up in mutations).
  for _, b in ipairs(builtin) do
    local d = bytes(b.data)
    if d[1] & 1 == 1 then put("fuzz_session", b.name, chunk(0, sub(d, 1, #d))) end
  end
end

-- fuzz_parse: byte 0 picks the parser (fuzz_parse.c), then the string.
clear("fuzz_parse")
do
  local seeds = {
    {0, "ip", {"10.0.0.1", "255.255.255.255", "256.1.1.1", "010.001.0.1"}},
    {1, "prefix", {"10.0.0.0/24", "0.0.0.0/0", "10.0.0.1/24/5"}},
    {2, "mac", {"02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", "2:0:0:0:0:1"}},
    {3, "bpf", {"tcp port 80 and host 10.0.0.1", "icmp or arp", "udp[8:2] = 0x1234",
                "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "ip[6:2] & 0x1fff != 0",
                "net 10.0.0.0/8 and not src host 10.0.0.2", "ether host 02:00:00:00:00:01",
                "vlan and udp dst port 53", "ip multicast or ether broadcast or igmp",
                "len > 100 and less 1500 or portrange 1000-2000 or port http"}},
    {4, "time", {"1.5ms", "-1s", "1e3ns"}},
    {5, "rate", {"10Mbps", "1.5Gbit/s", "1e100Tbps"}},
    {6, "size", {"64KB", "10p"}},
    {7, "prob", {"5%", "nan"}},
  }
  for _, s in ipairs(seeds) do
    for k, v in ipairs(s[3]) do put("fuzz_parse", ("%s-%02d"):format(s[2], k), string.char(s[1]) .. v) end
  end
end

for _, t in ipairs{"fuzz_dissect", "fuzz_stack", "fuzz_router", "fuzz_session", "fuzz_parse"} do
  print(("make_corpus: %-13s %2d files, %6d bytes"):format(t, written[t].n, written[t].bytes))
end
