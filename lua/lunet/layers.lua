-- lunet.layers - a dissected packet (lunet.dissect) printed layer by
-- layer, one line each, with its OSI layer: what tostring(pkt) shows.
--
--   L2  Ethernet  02:00:00:00:00:01 > 02:00:00:00:00:02, type 0x0800 (IPv4)
--   L3  IPv4      10.0.0.1 > 10.0.0.2, ttl 64, id 0, len 44, checksum 0x66cb [good]
--   L4  TCP       40000 > 80, flags [S], seq 1000, win 64240, options [mss 1460], ...
--   L7  payload   5 bytes "hello"
--
-- IGMP, like ICMP, is carried by IP but belongs to the network layer: L3.

local M = {}

local ETHERTYPES = { [0x0800] = "IPv4", [0x0806] = "ARP", [0x86dd] = "IPv6" }
local PROTOS = { [1] = "ICMP", [2] = "IGMP", [6] = "TCP", [17] = "UDP", [58] = "ICMPv6" }
local ICMP_TYPES = {
  [0] = "echo reply", [3] = "destination unreachable", [4] = "source quench", [5] = "redirect",
  [8] = "echo request", [11] = "time exceeded", [12] = "parameter problem",
  [13] = "timestamp request", [14] = "timestamp reply",
}
local ICMP6_TYPES = {
  [1] = "destination unreachable", [2] = "packet too big", [3] = "time exceeded",
  [4] = "parameter problem", [128] = "echo request", [129] = "echo reply",
  [133] = "router solicitation", [134] = "router advertisement",
  [135] = "neighbor solicitation", [136] = "neighbor advertisement", [137] = "redirect",
}
local UNREACH = { [0] = "net", [1] = "host", [2] = "protocol", [3] = "port",
                  [4] = "fragmentation needed", [13] = "administratively prohibited" }

-- Wireshark's names for the IGMP types (packet-igmp.c), and RFC 3376
-- 4.2.12's record types in words.
local IGMP_TYPES = {
  [0x11] = "Membership Query", [0x12] = "Membership Report", [0x13] = "DVMRP",
  [0x14] = "PIM Routing Message", [0x16] = "Membership Report", [0x17] = "Leave Group",
  [0x1e] = "Traceroute Response", [0x1f] = "Traceroute Query or Request", [0x22] = "Membership Report",
}
local IGMP_RECORDS = { "mode is include", "mode is exclude", "change to include", "change to exclude",
                       "allow new sources", "block old sources" }

local function status(l)
  return l.checksum_status and string.format("checksum 0x%04x [%s]", l.checksum, l.checksum_status)
      or string.format("checksum 0x%04x", l.checksum or 0)
end

-- Printable bytes as they are, the rest as \xNN: a payload on one line.
local function show_bytes(s, max)
  local cut = #s > max
  if cut then s = s:sub(1, max) end
  s = s:gsub("[^\32-\126]", function(c) return string.format("\\x%02x", c:byte()) end)
  return '"' .. s .. '"' .. (cut and "..." or "")
end

local function tcp_options(opts)
  local out = {}
  for _, o in ipairs(opts) do
    if type(o) == "string" then
      out[#out + 1] = o == "sack_perm" and "sackOK" or o
    elseif o.mss then out[#out + 1] = "mss " .. o.mss
    elseif o.ws then out[#out + 1] = "wscale " .. o.ws
    elseif o.ts then out[#out + 1] = string.format("TS val %d ecr %d", o.ts.val, o.ts.ecr)
    elseif o.sack then
      local b = {}
      for _, e in ipairs(o.sack) do b[#b + 1] = string.format("{%d:%d}", e[1], e[2]) end
      out[#out + 1] = "sack " .. table.concat(b, " ")
    elseif o.kind then out[#out + 1] = string.format("kind %d len %d", o.kind, #(o.data or "") + 2)
    elseif o.raw then out[#out + 1] = "bad option " .. show_bytes(o.raw, 16)
    end
  end
  return "[" .. table.concat(out, ", ") .. "]"
end

local LINES = {
  eth = function(l)
    return "L2", "Ethernet", string.format("%s > %s, type 0x%04x (%s)", l.src, l.dst, l.type,
                                           ETHERTYPES[l.type] or "unknown")
  end,
  arp = function(l)
    local what = "opcode " .. l.opcode
    if not l.src_proto_ipv4 then     -- not Ethernet/IPv4, or cut short
    elseif l.opcode == 1 then what = string.format("request who-has %s tell %s", l.dst_proto_ipv4, l.src_proto_ipv4)
    elseif l.opcode == 2 then what = string.format("reply %s is-at %s", l.src_proto_ipv4, l.src_hw_mac)
    end
    return "L2", "ARP", what
  end,
  ip = function(l)
    local flags = {}
    if l.flags_rb then flags[#flags + 1] = "RB" end
    if l.flags_df then flags[#flags + 1] = "DF" end
    if l.flags_mf then flags[#flags + 1] = "MF" end
    local s = string.format("%s > %s, ttl %d, id %d", l.src, l.dst, l.ttl, l.id)
    if #flags > 0 then s = s .. ", flags [" .. table.concat(flags, ",") .. "]" end
    if l.frag_offset > 0 then s = s .. ", offset " .. l.frag_offset end
    if l.dsfield ~= 0 then s = s .. string.format(", tos 0x%02x", l.dsfield) end
    s = s .. string.format(", proto %d (%s), len %d", l.proto, PROTOS[l.proto] or "?", l.len)
    if l.options then s = s .. ", options " .. #l.options .. " bytes" end
    return "L3", "IPv4", s .. ", " .. status(l)
  end,
  icmp = function(l)
    local s = ICMP_TYPES[l.type] or ("type " .. l.type)
    if l.type == 3 then s = s .. " (" .. (UNREACH[l.code] or ("code " .. l.code)) .. ")"
    elseif l.code ~= 0 then s = s .. ", code " .. l.code end
    if l.ident then s = s .. string.format(", id %d, seq %d", l.ident, l.seq) end
    if l.mtu then s = s .. ", mtu " .. l.mtu end
    if l.redir_gw then s = s .. ", gateway " .. l.redir_gw end
    return "L3", "ICMP", s .. ", " .. status(l)
  end,
  igmp = function(l)
    local s = (l.version and "v" .. l.version .. " " or "")
        .. (IGMP_TYPES[l.type] or string.format("type 0x%02x", l.type))
    local function sources(list)
      return list and #list > 0 and " {" .. table.concat(list, ", ") .. "}" or ""
    end
    if l.type == 0x11 and l.version then
      if l.maddr == "0.0.0.0" then s = s .. ", general"
      elseif l.maddr then s = s .. ", specific for group " .. l.maddr end
      s = s .. sources(l.sources)
      s = s .. string.format(", max resp %d.%ds", l.max_resp // 10, l.max_resp % 10)
      if l.qrv then s = s .. string.format(", qrv %d, qqic %d", l.qrv, l.qqic) end
      if l.s then s = s .. ", suppress" end
    elseif l.type == 0x22 then
      local recs = l.records or {}
      if l.num_grp_recs then
        s = s .. string.format(", %d group record%s", l.num_grp_recs, l.num_grp_recs == 1 and "" or "s")
      end
      local shown = {}
      for i, r in ipairs(recs) do
        if i > 4 then shown[#shown + 1] = "..."; break end
        shown[#shown + 1] = r.maddr .. " " .. (IGMP_RECORDS[r.record_type] or ("record type " .. r.record_type))
                            .. sources(r.sources)
      end
      if #shown > 0 then s = s .. ": " .. table.concat(shown, ", ") end
    elseif l.version then
      if l.maddr then s = s .. " " .. l.maddr end
      if l.max_resp ~= 0 then s = s .. string.format(", max resp %d.%ds", l.max_resp // 10, l.max_resp % 10) end
    elseif l.code ~= 0 then
      s = s .. ", code " .. l.code
    end
    return "L3", "IGMP", s .. ", " .. status(l)
  end,
  ipv6 = function(l)
    local s = string.format("%s > %s, hlim %d, nxt %d, plen %d", l.src, l.dst, l.hlim, l.nxt, l.plen)
    if l.tclass ~= 0 then s = s .. string.format(", tclass 0x%02x", l.tclass) end
    if l.flow ~= 0 then s = s .. string.format(", flow 0x%05x", l.flow) end
    for _, e in ipairs(l.ext or {}) do
      if e.type == "fragment" then
        s = s .. string.format(", frag offset %d%s id 0x%08x", e.offset, e.more and "+" or "", e.id)
      elseif e.type == "routing" then
        s = s .. string.format(", routing type %d segleft %d", e.routing_type, e.segleft)
      else
        s = s .. ", " .. e.type
      end
    end
    return "L3", "IPv6", s
  end,
  icmpv6 = function(l)
    local s = ICMP6_TYPES[l.type] or ("type " .. l.type)
    if l.code ~= 0 then s = s .. ", code " .. l.code end
    if l.ident then s = s .. string.format(", id %d, seq %d", l.ident, l.seq) end
    if l.target then s = s .. ", target " .. l.target end
    if l.mtu then s = s .. ", mtu " .. l.mtu end
    if l.pointer then s = s .. ", pointer " .. l.pointer end
    if l.router_lifetime then s = s .. ", router lifetime " .. l.router_lifetime end
    for _, o in ipairs(l.options or {}) do
      if o.lladdr then s = s .. ", " .. o.name .. " " .. o.lladdr
      elseif o.prefix then s = s .. string.format(", prefix %s/%d", o.prefix, o.prefix_len)
      elseif o.mtu then s = s .. ", mtu " .. o.mtu end
    end
    return "L3", "ICMPv6", s .. ", " .. status(l)
  end,
  udp = function(l)
    return "L4", "UDP", string.format("%d > %d, length %d, %s", l.srcport, l.dstport, l.length, status(l))
  end,
  tcp = function(l)
    if not l.flags then   -- cut short: only the ports (and seq) were there
      return "L4", "TCP", string.format("%d > %d%s (truncated)", l.srcport, l.dstport,
                                        l.seq and ", seq " .. l.seq or "")
    end
    local s = string.format("%d > %d, flags [%s], seq %d", l.srcport, l.dstport,
                            l.flags == "" and "none" or l.flags, l.seq)
    if l.flags:find(".", 1, true) then s = s .. ", ack " .. l.ack end
    s = s .. ", win " .. l.window
    if l.options then s = s .. ", options " .. tcp_options(l.options) end
    if l.urgent_pointer ~= 0 then s = s .. ", urg " .. l.urgent_pointer end
    return "L4", "TCP", s .. ", " .. status(l)
  end,
}

local function lines(pkt, indent, out)
  local quoted = false
  for _, name in ipairs(pkt.layers or {}) do
    local l = pkt[name]
    local osi, title, text = LINES[name](l)
    out[#out + 1] = string.format("%s%-3s %-9s %s", indent, osi, title, text)
    if name == "eth" and l.padding then
      out[#out + 1] = string.format("%s    %-9s %d bytes", indent, "padding", #l.padding)
    end
    if name == "icmp" and l.quote then
      out[#out + 1] = indent .. "    quoting the datagram it is about:"
      lines(l.quote, indent .. "      ", out)
      quoted = true          -- the payload is the quote
    end
  end
  if pkt.payload and not quoted then
    out[#out + 1] = string.format("%s%-3s %-9s %d bytes %s", indent, "L7", "payload", #pkt.payload,
                                  show_bytes(pkt.payload, 48))
  end
  if pkt.malformed then out[#out + 1] = indent .. "[malformed: " .. pkt.malformed .. "]" end
  return out
end

function M.format(pkt)
  return table.concat(lines(pkt, "", {}), "\n")
end

return M
