-- lunet.headerdiagram - protocol headers drawn the way the RFCs draw them
-- (RFC 791 3.1, RFC 768, RFC 792, RFC 9293 3.1): 32 bits to a row, two
-- columns per bit, a box per field, here with the values of a real packet
-- in the boxes.  It only reads dissections (lunet.dissect, an event's
-- ev.packet), so it draws any frame a script captured or built.
--
--   local hd = require "lunet.headerdiagram"
--   for _, l in ipairs(hd.draw(ev.packet, "tcp")) do print(l) end
--   hd.draw(d, "ip" | "udp" | "icmp" | "tcp" [, opts])  -> lines
--   hd.render(rows [, opts])                 -> lines (any header, below)
--   hd.tcp(d.tcp, d.payload), hd.udp(d.udp, d.payload), hd.ipv4(d.ip),
--   hd.icmp(d.icmp), hd.tcp_options(list)    -> rows
--   hd.boxes(cells, spans [, opts])          -> lines: a row of boxes with
--     |<-- label -->| spans under it (encapsulation pictures)
--   hd.encapsulation(d [, names])            -> lines: frame = Ethernet
--     header + IP header + TCP/UDP/ICMP header + data (+ padding)
--   hd.width(s)                              -> display columns of s
--
-- A row is an array of fields whose bits add up to 32, or a variable-length
-- part {var = true, label = ..., value = ...} drawn with ':' edges as the
-- RFCs draw Options and Data.  A field is {bits = n, label = "Name" or
-- {"two", "lines"}, value = "shown on the row's last line"}.  A field is
-- 2*bits - 1 columns wide, so a 1-bit flag holds one character: flags get
-- their names written downwards, as RFC 9293 writes "U R G".
--
-- opts: indent (default "  "), ruler (default true: the bit numbers above),
-- data (default true: draw the payload as the Data part), empty (what the
-- Data part says when there is no payload).

local M = {}

-- Display width: CJK ideographs and fullwidth forms take two columns, so
-- Chinese labels line up with ASCII ones.
local function wide(cp)
  return (cp >= 0x1100 and cp <= 0x115f) or (cp >= 0x2e80 and cp <= 0xa4cf) or
         (cp >= 0xac00 and cp <= 0xd7a3) or (cp >= 0xf900 and cp <= 0xfaff) or
         (cp >= 0xfe30 and cp <= 0xfe4f) or (cp >= 0xff00 and cp <= 0xff60) or
         (cp >= 0xffe0 and cp <= 0xffe6)
end

function M.width(s)
  local ok, n = pcall(function()
    local w = 0
    for _, cp in utf8.codes(s) do w = w + (wide(cp) and 2 or 1) end
    return w
  end)
  return ok and n or #s          -- not UTF-8: one column a byte
end

-- s cut to w columns ("~" marks a cut), then centred in w columns.
local function fit(s, w)
  s = tostring(s)
  if M.width(s) > w and not utf8.len(s) then
    s = s:sub(1, w - 1) .. "~"               -- not UTF-8: cut bytes
  elseif M.width(s) > w then
    local out, used = {}, 0
    for _, cp in utf8.codes(s) do
      local cw = wide(cp) and 2 or 1
      if used + cw > w - 1 then break end
      out[#out + 1] = utf8.char(cp)
      used = used + cw
    end
    s = table.concat(out) .. "~"
  end
  local pad = w - M.width(s)
  local left = (pad + 1) // 2           -- an odd space goes left, as the RFCs do
  return (" "):rep(left) .. s .. (" "):rep(pad - left)
end

local function lines_of(x)
  if x == nil then return {} end
  if type(x) == "table" then return x end
  return {tostring(x)}
end

-- The bit numbers over a 32-bit row: tens, then units.
local function ruler(indent)
  local tens, units = {}, {}
  for i = 0, 31 do
    tens[#tens + 1] = (i % 10 == 0) and tostring(i // 10) or " "
    units[#units + 1] = tostring(i % 10)
  end
  return {(indent .. " " .. table.concat(tens, " ")):gsub("%s+$", ""),
          indent .. " " .. table.concat(units, " ")}
end

local RULE = "+" .. ("-+"):rep(32)
local INNER = 63                     -- columns inside a full 32-bit row

-- Draw rows of fields (see the header comment); returns an array of lines.
function M.render(rows, opts)
  opts = opts or {}
  local indent = opts.indent or "  "
  local out = {}
  if opts.ruler ~= false then
    for _, l in ipairs(ruler(indent)) do out[#out + 1] = l end
  end
  out[#out + 1] = indent .. RULE
  for _, row in ipairs(rows) do
    if row.var then
      -- Options / Data: ':' where the part goes on past what is drawn.
      local ls = lines_of(row.label)
      local body = {}
      for _, l in ipairs(ls) do body[#body + 1] = l end
      for _, l in ipairs(lines_of(row.value)) do body[#body + 1] = l end
      while #body < 3 do table.insert(body, #body == 0 and 1 or #body, "") end
      for i, l in ipairs(body) do
        local left = i == 1 and "|" or ":"
        local right = i == #body and "|" or ":"
        out[#out + 1] = indent .. left .. fit(l, INNER) .. right
      end
    else
      local bits, height = 0, 1
      for _, f in ipairs(row) do
        bits = bits + f.bits
        local h = #lines_of(f.label) + (f.value ~= nil and 1 or 0)
        if h > height then height = h end
      end
      assert(bits == 32, "lunet.headerdiagram: a row has " .. bits .. " bits, not 32")
      for line = 1, height do
        local parts = {}
        for _, f in ipairs(row) do
          local w = 2 * f.bits - 1
          local ls = lines_of(f.label)
          local s = ""
          -- labels from the top, the value on the row's last line
          if f.value ~= nil and line == height then s = tostring(f.value)
          elseif ls[line] then s = ls[line] end
          parts[#parts + 1] = fit(s, w)
        end
        out[#out + 1] = indent .. "|" .. table.concat(parts, "|") .. "|"
      end
    end
    out[#out + 1] = indent .. RULE
  end
  return out
end

------------------------------------------------------------------------
-- headers from dissections (field names as docs/lua-api.md "Packets")
------------------------------------------------------------------------

local function hex16(n) return string.format("0x%04x", n or 0) end

local function checksum(v, status)
  if status and status ~= "good" then return hex16(v) .. " [" .. status .. "]" end
  return hex16(v) .. (status and " [good]" or "")
end

-- The payload as one printable line: text as it is, other bytes as \xNN.
local function show_data(p, max)
  max = max or 40
  local s = p:sub(1, max):gsub("[^\32-\126]", function(c)
    if c == "\n" then return "\\n" elseif c == "\r" then return "\\r" end
    return string.format("\\x%02x", c:byte())
  end)
  return '"' .. s .. '"' .. (#p > max and "..." or "")
end

local function data_row(payload, empty)
  if payload == nil or #payload == 0 then
    return {var = true, label = "Data", value = empty or "(none)"}
  end
  return {var = true, label = string.format("Data (%d bytes)", #payload), value = show_data(payload)}
end

-- Pack fields into 32-bit rows in wire order; a field that runs past the
-- end of a row goes on in the next ("(cont.)"), and a last row that is not
-- full is padded (it cannot be in a valid header, whose length counts 32-bit
-- words, but a malformed one may end anywhere).
local function pack(fields)
  local rows, row, used = {}, {}, 0
  for _, f in ipairs(fields) do
    local bits = f.bits
    local first = true
    while bits > 0 do
      local take = math.min(bits, 32 - used)
      -- the label where the field starts, its value where it ends
      row[#row + 1] = {bits = take, label = first and f.label or "(cont.)",
                       value = take == bits and f.value or nil}
      first = false
      bits, used = bits - take, used + take
      if used == 32 then rows[#rows + 1], row, used = row, {}, 0 end
    end
  end
  if used > 0 then
    row[#row + 1] = {bits = 32 - used, label = "(padding)"}
    rows[#rows + 1] = row
  end
  return rows
end

local OPTION_KIND = {mss = 2, ws = 3, sack_perm = 4, sack = 5, ts = 8}

-- TCP options (the dissection's list, in wire order) as fields: each
-- option's kind and length octets, then its value (RFC 9293 3.2, RFC 7323,
-- RFC 2018).
function M.tcp_option_fields(list)
  local f = {}
  local function kind(name, k) f[#f + 1] = {bits = 8, label = "Kind (" .. name .. ")", value = k} end
  local function len(n) f[#f + 1] = {bits = 8, label = "Length", value = n} end
  for _, o in ipairs(list or {}) do
    if o == "nop" then f[#f + 1] = {bits = 8, label = "NOP", value = 1}
    elseif o == "eol" then f[#f + 1] = {bits = 8, label = "EOL", value = 0}
    elseif o == "sack_perm" then kind("SACK-OK", 4); len(2)
    elseif type(o) == "table" and o.mss then
      kind("MSS", 2); len(4)
      f[#f + 1] = {bits = 16, label = "Maximum Segment Size", value = o.mss}
    elseif type(o) == "table" and o.ws then
      kind("WScale", 3); len(3)
      f[#f + 1] = {bits = 8, label = "Shift", value = o.ws}
    elseif type(o) == "table" and o.ts then
      kind("TS", 8); len(10)
      f[#f + 1] = {bits = 32, label = "Timestamp Value (TSval)", value = o.ts.val or o.ts[1]}
      f[#f + 1] = {bits = 32, label = "Timestamp Echo Reply (TSecr)", value = o.ts.ecr or o.ts[2]}
    elseif type(o) == "table" and o.sack then
      kind("SACK", 5); len(2 + 8 * #o.sack)
      for _, b in ipairs(o.sack) do
        f[#f + 1] = {bits = 32, label = "Left Edge", value = b[1] or b.le}
        f[#f + 1] = {bits = 32, label = "Right Edge", value = b[2] or b.re}
      end
    elseif type(o) == "table" and o.kind then
      kind(tostring(o.kind), o.kind)
      local data = o.data or ""
      if o.len ~= nil or #data > 0 or o.kind > 1 then len(o.len or 2 + #data) end
      if #data > 0 then f[#f + 1] = {bits = 8 * #data, label = "Option Data", value = show_data(data, 12)} end
    elseif type(o) == "table" and o.raw then
      f[#f + 1] = {bits = 8 * #o.raw, label = "(raw)", value = show_data(o.raw, 12)}
    end
  end
  return f
end

function M.tcp_options(list) return pack(M.tcp_option_fields(list)) end

-- The 1-bit TCP flags in header order (RFC 9293 3.1, RFC 3168), with
-- tcpdump's letter for each.
local TCP_FLAGS = {{"CWR", "W"}, {"ECE", "E"}, {"URG", "U"}, {"ACK", "."},
                   {"PSH", "P"}, {"RST", "R"}, {"SYN", "S"}, {"FIN", "F"}}
M.TCP_FLAGS = TCP_FLAGS

local function vertical(name)
  local t = {}
  for c in name:gmatch(".") do t[#t + 1] = c end
  return t
end

-- The TCP header (RFC 9293 3.1) of a dissected segment; payload is drawn
-- as its Data.
function M.tcp(t, payload, opts)
  opts = opts or {}
  local flags = t.flags or ""
  local rows = {
    {{bits = 16, label = "Source Port", value = t.srcport},
     {bits = 16, label = "Destination Port", value = t.dstport}},
    {{bits = 32, label = "Sequence Number", value = t.seq}},
    {{bits = 32, label = "Acknowledgment Number",
      value = flags:find(".", 1, true) and t.ack or tostring(t.ack) .. " (ACK=0: not used)"}},
  }
  local r4 = {{bits = 4, label = {"Data", "Offset"}, value = (t.hdr_len or 20) // 4},
              {bits = 4, label = "Rsrvd", value = t.flags_res or 0}}
  for _, fl in ipairs(TCP_FLAGS) do
    r4[#r4 + 1] = {bits = 1, label = vertical(fl[1]), value = flags:find(fl[2], 1, true) and 1 or 0}
  end
  r4[#r4 + 1] = {bits = 16, label = "Window", value = t.window}
  rows[#rows + 1] = r4
  rows[#rows + 1] = {{bits = 16, label = "Checksum", value = checksum(t.checksum, t.checksum_status)},
                     {bits = 16, label = "Urgent Pointer", value = t.urgent_pointer or 0}}
  local o = t.options or {}
  if #o > 0 then
    for _, r in ipairs(M.tcp_options(o)) do rows[#rows + 1] = r end
  else
    rows[#rows + 1] = {var = true, label = "Options", value = "(none)"}
  end
  if opts.data ~= false then rows[#rows + 1] = data_row(payload, opts.empty) end
  return rows
end

-- The UDP header (RFC 768).
function M.udp(u, payload, opts)
  opts = opts or {}
  local rows = {
    {{bits = 16, label = "Source Port", value = u.srcport},
     {bits = 16, label = "Destination Port", value = u.dstport}},
    {{bits = 16, label = "Length", value = u.length},
     {bits = 16, label = "Checksum", value = checksum(u.checksum, u.checksum_status)}},
  }
  if opts.data ~= false then rows[#rows + 1] = data_row(payload, opts.empty) end
  return rows
end

local PROTO = {[1] = "ICMP", [6] = "TCP", [17] = "UDP"}

-- The IPv4 header (RFC 791 3.1; the TOS octet as RFC 2474's DSCP and RFC
-- 3168's ECN, as Wireshark shows it).
function M.ipv4(ip, opts)
  local ds = ip.dsfield or 0
  local rows = {
    {{bits = 4, label = "Version", value = ip.version or 4},
     {bits = 4, label = "IHL", value = (ip.hdr_len or 20) // 4},
     {bits = 6, label = "DSCP", value = ip.dscp or ds >> 2},
     {bits = 2, label = "ECN", value = ip.ecn or ds & 3},
     {bits = 16, label = "Total Length", value = ip.len}},
    {{bits = 16, label = "Identification", value = ip.id},
     {bits = 1, label = {"R", "B"}, value = ip.flags_rb and 1 or 0},
     {bits = 1, label = {"D", "F"}, value = ip.flags_df and 1 or 0},
     {bits = 1, label = {"M", "F"}, value = ip.flags_mf and 1 or 0},
     {bits = 13, label = "Fragment Offset", value = (ip.frag_offset or 0) // 8}},
    {{bits = 8, label = "Time to Live", value = ip.ttl},
     {bits = 8, label = "Protocol", value = PROTO[ip.proto] and string.format("%d (%s)", ip.proto, PROTO[ip.proto]) or ip.proto},
     {bits = 16, label = "Header Checksum", value = checksum(ip.checksum, ip.checksum_status)}},
    {{bits = 32, label = "Source Address", value = ip.src}},
    {{bits = 32, label = "Destination Address", value = ip.dst}},
  }
  if ip.options and #ip.options > 0 then
    rows[#rows + 1] = {var = true, label = string.format("Options (%d bytes)", #ip.options),
                       value = show_data(ip.options, 16)}
  end
  return rows
end

local ICMP_NAMES = {[0] = "echo reply", [3] = "destination unreachable", [5] = "redirect",
                    [8] = "echo request", [11] = "time exceeded", [12] = "parameter problem"}

-- The ICMP message (RFC 792; the next-hop MTU of RFC 1191 in type 3 code 4).
function M.icmp(m)
  local rows = {
    {{bits = 8, label = "Type", value = m.type},
     {bits = 8, label = "Code", value = m.code},
     {bits = 16, label = "Checksum", value = checksum(m.checksum, m.checksum_status)}},
  }
  if m.type == 3 and m.code == 4 then
    rows[#rows + 1] = {{bits = 16, label = "Unused", value = m.unused or 0},
                       {bits = 16, label = "Next-Hop MTU", value = m.mtu}}
  elseif m.type == 0 or m.type == 8 then
    rows[#rows + 1] = {{bits = 16, label = "Identifier", value = m.ident},
                       {bits = 16, label = "Sequence Number", value = m.seq}}
  elseif m.type == 5 then
    rows[#rows + 1] = {{bits = 32, label = "Gateway Internet Address", value = m.redir_gw}}
  else
    rows[#rows + 1] = {{bits = 32, label = "Unused", value = m.unused or 0}}
  end
  if m.quote and m.quote.ip then
    local q = m.quote
    local what = {string.format("IPv4 %s > %s, total length %d", q.ip.src, q.ip.dst, q.ip.len or 0)}
    if q.tcp then what[2] = string.format("TCP %d > %d, seq %d", q.tcp.srcport, q.tcp.dstport, q.tcp.seq) end
    if q.udp then what[2] = string.format("UDP %d > %d", q.udp.srcport, q.udp.dstport) end
    rows[#rows + 1] = {var = true, label = "Internet Header + Original Data Datagram",
                       value = what}
  end
  return rows
end

-- Draw one layer of a dissection: "ip", "tcp", "udp" or "icmp".
function M.draw(d, layer, opts)
  if layer == "ip" then return M.render(M.ipv4(d.ip, opts), opts) end
  if layer == "tcp" then return M.render(M.tcp(d.tcp, d.payload, opts), opts) end
  if layer == "udp" then return M.render(M.udp(d.udp, d.payload, opts), opts) end
  if layer == "icmp" then return M.render(M.icmp(d.icmp), opts) end
  error("lunet.headerdiagram.draw: layer " .. tostring(layer) .. " unknown (use ip, tcp, udp or icmp)", 2)
end

------------------------------------------------------------------------
-- encapsulation: a row of boxes and the spans under it
------------------------------------------------------------------------

-- cells: {"text", ...}; spans: {{first cell, last cell, "label"}, ...}.
-- Cells are widened until every span's label fits between its arrows.
function M.boxes(cells, spans, opts)
  opts = opts or {}
  local indent = opts.indent or "  "
  local w = {}
  for i, c in ipairs(cells) do w[i] = M.width(c) + 2 end
  -- a span from a to b has (w[a] + ... + w[b]) + (b - a) columns inside
  -- its edges; "<-- label -->" needs the label's width + 8
  for _ = 1, 3 do
    for _, s in ipairs(spans) do
      local a, b = s[1], s[2]
      local have = b - a
      for i = a, b do have = have + w[i] end
      local need = M.width(s[3]) + 8
      if have < need then w[b] = w[b] + need - have end
    end
  end
  local rule, line, edge = "+", "|", {0}
  for i, c in ipairs(cells) do
    rule = rule .. ("-"):rep(w[i]) .. "+"
    line = line .. fit(c, w[i]) .. "|"
    edge[i + 1] = edge[i] + w[i] + 1
  end
  local out = {indent .. rule, indent .. line, indent .. rule}
  for _, s in ipairs(spans) do
    local a, b = s[1], s[2]
    local inner = edge[b + 1] - edge[a] - 1
    local label = " " .. s[3] .. " "
    local dashes = inner - 2 - M.width(label)
    local l = dashes // 2
    out[#out + 1] = indent .. (" "):rep(edge[a]) .. "|<" .. ("-"):rep(l) .. label ..
                    ("-"):rep(dashes - l) .. ">|"
  end
  return out
end

-- The parts of a dissected frame and their sizes in bytes: {eth=, ip=,
-- l4=, l4name=, data=, pad=, frame=}.
function M.sizes(d)
  local s = {eth = d.eth and 14 or 0, ip = d.ip and d.ip.hdr_len or 0, l4 = 0, l4name = nil}
  if d.tcp then s.l4, s.l4name = d.tcp.hdr_len, "TCP"
  elseif d.udp then s.l4, s.l4name = 8, "UDP"
  elseif d.icmp then s.l4, s.l4name = 8, "ICMP" end
  s.data = d.payload and #d.payload or 0
  if d.icmp and d.icmp.quote then s.data = (d.ip.len or 0) - s.ip - 8 end
  s.pad = d.eth and d.eth.padding and #d.eth.padding or 0
  s.frame = s.eth + s.ip + s.l4 + s.data + s.pad
  return s
end

-- frame = Ethernet header + IP header + transport header + data, drawn as
-- boxes with the PDU of each layer under them.  names (all optional, for
-- other languages): {frame = "frame %d B", packet = ..., segment = ...,
-- data = ..., eth = "Ethernet %d B", ip = ..., pad = ...}; each is a
-- string.format pattern that gets the size in bytes.
function M.encapsulation(d, names)
  names = names or {}
  local s = M.sizes(d)
  local function n(k, default, v) return string.format(names[k] or default, v) end
  local cells = {n("eth", "Ethernet %d B", s.eth), n("ip", "IPv4 %d B", s.ip),
                 n(s.l4name:lower(), s.l4name .. " %d B", s.l4), n("data_cell", "data %d B", s.data)}
  local last = #cells
  if s.pad > 0 then cells[#cells + 1] = n("pad", "padding %d B", s.pad) end
  local seg = ({TCP = "segment", UDP = "datagram", ICMP = "message"})[s.l4name]
  local spans = {
    {1, #cells, n("frame", "frame: %d B", s.frame)},
    {2, last, n("packet", "packet: %d B", s.ip + s.l4 + s.data)},
    {3, last, n(seg, seg .. ": %d B", s.l4 + s.data)},
    {4, last, n("data", "data: %d B", s.data)},
  }
  return M.boxes(cells, spans), s
end

return M
