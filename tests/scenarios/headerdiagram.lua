-- headerdiagram.lua - lunet.headerdiagram, the RFC-style header pictures
-- of scripts/headers.lua and scripts/mss.lua (issue 10): fields sit at
-- their bit positions, values from the dissection fill the boxes, options
-- become their own boxes (split where they cross a 32-bit row), and the
-- encapsulation boxes add up to the frame.

local hd = require "lunet.headerdiagram"

local MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
local WIDTH = 2 + 65                       -- indent + "|" + 32 bits x 2 columns

local function syn()
  return lunet.dissect(lunet.packet{
    eth = {src = MAC1, dst = MAC2},
    ip = {src = "10.0.0.1", dst = "10.0.0.2", ttl = 64, id = 7, flags_df = true},
    tcp = {srcport = 40000, dstport = 80, seq = 1000, flags = "S", window = 64240,
           options = {{mss = 1460}, "sack_perm", {ts = {val = 1, ecr = 0}}, "nop", {ws = 7}}},
  })
end

-- The lines of a drawing between its rules, as one string per row.
local function find(lines, pat)
  for i, l in ipairs(lines) do if l:find(pat, 1, true) then return i, l end end
end

test("every line of a header is 32 bits wide, under the bit ruler", function()
  local lines = hd.draw(syn(), "tcp")
  expect(lines[1]):eq("   0                   1                   2                   3")
  expect(lines[2]):eq("   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1")
  for i = 3, #lines do expect(#lines[i], "line " .. i):eq(WIDTH) end
  expect(lines[3]):eq("  +" .. ("-+"):rep(32))
end)

test("TCP: the fixed fields hold the segment's values", function()
  local lines = hd.draw(syn(), "tcp")
  local i = find(lines, "Source Port")
  expect(lines[i + 1]):eq("  |             40000             |               80              |")
  i = find(lines, "Sequence Number")
  expect(lines[i + 1]:match("|%s+(%S+)%s+|")):eq("1000")
  -- the flags row: offset, reserved, eight 1-bit flags downwards, window
  i = find(lines, "Rsrvd")
  expect(lines[i]):eq("  |  Data | Rsrvd |C|E|U|A|P|R|S|F|             Window            |")
  expect(lines[i + 1]):eq("  | Offset|       |W|C|R|C|S|S|Y|I|                               |")
  expect(lines[i + 2]):eq("  |       |       |R|E|G|K|H|T|N|N|                               |")
  expect(lines[i + 3]):eq("  |   10  |   0   |0|0|0|0|0|0|1|0|             64240             |")
  local _, ack = find(lines, "(ACK=0: not used)")
  expect(ack, "a SYN's ack field is marked unused"):truthy()
  expect(find(lines, "[good]"), "the checksum and its status"):truthy()
end)

test("TCP options: a box per field, in wire order", function()
  local rows = hd.tcp_options(syn().tcp.options)
  expect(#rows, "20 bytes of options = 5 rows"):eq(5)
  local function labels(r)
    local t = {}
    for _, f in ipairs(r) do t[#t + 1] = type(f.label) == "table" and f.label[1] or f.label end
    return t
  end
  expect(labels(rows[1])):eq({"Kind (MSS)", "Length", "Maximum Segment Size"})
  expect(rows[1][3].value):eq(1460)
  expect(labels(rows[2])):eq({"Kind (SACK-OK)", "Length", "Kind (TS)", "Length"})
  expect(rows[3][1].value):eq(1)                      -- TSval
  expect(rows[4][1].value):eq(0)                      -- TSecr
  expect(labels(rows[5])):eq({"NOP", "Kind (WScale)", "Length", "Shift"})
  expect(rows[5][4].value):eq(7)
end)

test("a field that crosses a row boundary goes on in the next row", function()
  -- NOP, then TS: its 32-bit value starts at bit 24 of the second row
  local rows = hd.tcp_options({"nop", {ts = {val = 5, ecr = 6}}, "nop", "nop", "nop"})
  for _, r in ipairs(rows) do
    local bits = 0
    for _, f in ipairs(r) do bits = bits + f.bits end
    expect(bits, "bits in a row"):eq(32)
  end
  expect(rows[1][4].label):eq("Timestamp Value (TSval)")
  expect(rows[1][4].bits):eq(8)
  expect(rows[1][4].value, "the value shows where the field ends"):is_nil()
  expect(rows[2][1].label):eq("(cont.)")
  expect(rows[2][1].bits):eq(24)
  expect(rows[2][1].value):eq(5)
  -- 1 + 10 + 3 = 14 bytes: the last row is padded to 32 bits
  local last = rows[#rows]
  expect(last[#last].label):eq("(padding)")
end)

test("IPv4, UDP and ICMP headers", function()
  local d = lunet.dissect(lunet.packet{
    eth = {src = MAC1, dst = MAC2},
    ip = {src = "10.0.0.1", dst = "10.0.0.2", ttl = 9, id = 77},
    udp = {srcport = 5000, dstport = 7},
    payload = "hi\n",
  })
  local ip = hd.draw(d, "ip")
  local i = find(ip, "Version")
  expect(ip[i + 1]):eq("  |   4   |   5   |     0     | 0 |               31              |")
  i = find(ip, "Identification")
  expect(ip[i + 2]):eq("  |               77              |0|0|0|            0            |")
  expect(find(ip, "17 (UDP)"), "the protocol named"):truthy()
  local u = hd.draw(d, "udp")
  i = find(u, "Length")
  expect(u[i + 1]:match("^  |%s+(%d+)%s+|")):eq("11")
  expect(find(u, '"hi\\n"'), "the data, escaped"):truthy()
  for _, l in ipairs(u) do if l:sub(1, 3) ~= "   " then expect(#l):eq(WIDTH) end end

  local m = {type = 3, code = 4, checksum = 0x1234, checksum_status = "good", mtu = 1000,
             quote = {ip = {src = "10.0.0.1", dst = "10.0.0.2", len = 1500},
                      tcp = {srcport = 1, dstport = 2, seq = 3}}}
  local lines = hd.render(hd.icmp(m))
  i = find(lines, "Next-Hop MTU")
  expect(lines[i + 1]):eq("  |               0               |              1000             |")
  expect(find(lines, "TCP 1 > 2, seq 3"), "the quoted datagram"):truthy()
  expect(function() hd.draw(d, "sctp") end):raises("layer sctp unknown")
end)

test("a row must add up to 32 bits", function()
  expect(function() hd.render({{{bits = 16, label = "half"}}}) end):raises("16 bits, not 32")
end)

test("encapsulation: the boxes add up to the frame, padding included", function()
  local d = lunet.dissect(lunet.packet{
    eth = {src = MAC1, dst = MAC2}, ip = {src = "10.0.0.1", dst = "10.0.0.2"},
    udp = {srcport = 5000, dstport = 7}, payload = "hello",
  })
  local lines, s = hd.encapsulation(d)
  expect({s.eth, s.ip, s.l4, s.data, s.pad, s.frame}):eq({14, 20, 8, 5, 13, 60})
  expect(lines[2]):matches("| Ethernet 14 B | IPv4 20 B | UDP 8 B |")
  expect(lines[4]):matches("frame: 60 B")
  expect(lines[5]):matches("packet: 33 B")
  expect(lines[6]):matches("datagram: 13 B")
  -- the frame's span runs to the end of the padding, the others stop before it
  expect(#lines[4]):eq(#lines[1])
  expect(#lines[5]):lt(#lines[1])
  local t = syn()
  local _, st = hd.encapsulation(t)
  expect({st.l4name, st.l4, st.frame}):eq({"TCP", 40, 74})
end)

test("display width: Chinese takes two columns, and labels line up", function()
  expect(hd.width("abc")):eq(3)
  expect(hd.width("帧：60 字节")):eq(11)
  local lines = hd.boxes({"以太网", "IP"}, {{1, 2, "帧"}})
  expect(hd.width(lines[2])):eq(hd.width(lines[1]))
  expect(hd.width(lines[4])):eq(hd.width(lines[1]))
end)
