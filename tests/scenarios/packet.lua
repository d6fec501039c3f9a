-- packet.lua - lunet.packet builds frames from tables, lunet.dissect reads
-- them back (issue 9, "Packets from Lua"): every field a table sets comes
-- back from dissect, lengths and checksums are computed unless given, a
-- wrong one is sent as given, malformed input dissects without an error
-- and says what is wrong, and h:inject sends crafted packets from a host.

local run_task = require("lunet.test").run_task

local MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local RT = dofile(here .. "../lib/roundtrip.lua")
local roundtrip = RT.check

local CASES = {
  tcp_syn = {
    eth = {src = MAC1, dst = MAC2, type = 0x0800},
    ip = {src = "10.0.0.1", dst = "10.0.0.2", id = 4321, ttl = 63, flags_df = true, dsfield = 0x10},
    tcp = {srcport = 40000, dstport = 80, seq = 4000000000, flags = "S", window = 65535,
           options = {{mss = 1460}, "sack_perm", {ts = {val = 7, ecr = 0}}, "nop", {ws = 7}}},
  },
  tcp_data_sack = {
    eth = {src = MAC1, dst = MAC2},
    ip = {src = "10.0.0.1", dst = "10.0.0.2"},
    tcp = {srcport = 1, dstport = 2, seq = 10, ack = 20, flags = "P.", window = 501, urgent_pointer = 0,
           options = {"nop", "nop", {sack = {{100, 200}, {300, 400}}}}},
    payload = "GET / HTTP/1.1\r\n\r\n",
  },
  tcp_xmas_null_reserved = {
    ip = {src = "10.0.0.1", dst = "10.0.0.2"},
    tcp = {srcport = 1, dstport = 2, flags = "FPU", flags_res = 1},
  },
  tcp_null = { ip = {src = "10.0.0.1", dst = "10.0.0.2"}, tcp = {srcport = 1, dstport = 2, flags = ""} },
  tcp_unknown_and_zero_length_option = {
    ip = {src = "10.0.0.1", dst = "10.0.0.2"},
    tcp = {srcport = 1, dstport = 2, flags = "S", options = {{kind = 30, data = "\1\2"}, {raw = "\2\0\0\0"}}},
  },
  udp = {
    eth = {src = MAC1, dst = "ff:ff:ff:ff:ff:ff"},
    ip = {src = "10.0.0.1", dst = "10.0.0.255", ttl = 1},
    udp = {srcport = 5353, dstport = 9999},
    payload = ("x"):rep(100),
  },
  udp_no_checksum = { ip = {src = "10.0.0.1", dst = "10.0.0.2"}, udp = {srcport = 1, dstport = 2, checksum = 0} },
  icmp_echo = {
    eth = {src = MAC1, dst = MAC2},
    ip = {src = "10.0.0.1", dst = "10.0.0.2"},
    icmp = {type = 8, code = 0, ident = 77, seq = 3},
    payload = "abcdefgh",
  },
  icmp_needfrag = { ip = {src = "10.0.0.254", dst = "10.0.0.1"}, icmp = {type = 3, code = 4, mtu = 1400} },
  icmp_redirect = { ip = {src = "10.0.0.254", dst = "10.0.0.1"}, icmp = {type = 5, code = 1, redir_gw = "10.0.0.9"} },
  arp_reply = {
    eth = {src = MAC2, dst = MAC1},
    arp = {opcode = 2, src_hw_mac = MAC2, src_proto_ipv4 = "10.0.0.2", dst_hw_mac = MAC1,
           dst_proto_ipv4 = "10.0.0.1"},
  },
  ip_options_fragment = {
    ip = {src = "10.0.0.1", dst = "10.0.0.2", proto = 17, flags_mf = true, frag_offset = 1480, id = 9,
          options = "\148\4\0\0"},    -- router alert
    payload = ("f"):rep(64),
  },
  wrong_on_purpose = {
    eth = {src = MAC1, dst = MAC2},
    ip = {src = "10.0.0.1", dst = "10.0.0.2", checksum = 0xdead, len = 200, version = 4},
    tcp = {srcport = 1, dstport = 2, checksum = 0xbeef, hdr_len = 8},
  },
  raw_ethertype = { eth = {src = MAC1, dst = MAC2, type = 0x88b5}, payload = ("local experimental "):rep(3) },
}

local NAMES = {}
for k in pairs(CASES) do NAMES[#NAMES + 1] = k end
table.sort(NAMES)

test("dissect(packet(t)) gives back every field t set, for every layer", function()
  for _, name in ipairs(NAMES) do roundtrip(name, CASES[name]) end
end)

test("lengths and checksums are computed when left out, kept when given", function()
  local d = roundtrip("syn", CASES.tcp_syn)
  expect(d.ip.checksum_status):eq("good")
  expect(d.tcp.checksum_status):eq("good")
  expect(d.ip.len):eq(20 + 40)
  expect(d.tcp.hdr_len):eq(40)
  expect(d.eth.padding):eq(nil)
  local u = roundtrip("udp", CASES.udp)
  expect(u.udp.length):eq(108)
  expect(u.udp.checksum_status):eq("good")
  expect(roundtrip("none", CASES.udp_no_checksum).udp.checksum_status):eq("none")
  local e = roundtrip("echo", CASES.icmp_echo)
  expect(e.icmp.checksum_status):eq("good")
  local small = lunet.packet(CASES.arp_reply)
  expect(#small, "an ARP frame is padded to the Ethernet minimum"):eq(60)
  expect(#lunet.dissect(small).eth.padding):eq(18)
  local w = roundtrip("wrong", CASES.wrong_on_purpose)
  expect(w.ip.checksum_status):eq("bad")
  expect(w.malformed):matches("ip: total length 200")
  expect(w.malformed):matches("tcp: header length 8 is under 20")
end)

test("a changed dissection is rebuilt with its lengths and checksums right", function()
  local d = lunet.dissect(lunet.packet(CASES.tcp_data_sack))
  d.ip.ttl = 3
  d.payload = "a longer payload than before"
  d.tcp.options = nil
  d.tcp.hdr_len = nil
  local again = lunet.dissect(lunet.packet(d))
  expect(again.ip.ttl):eq(3)
  expect(again.ip.checksum_status):eq("good")
  expect(again.tcp.checksum_status):eq("good")
  expect(again.ip.len):eq(20 + 20 + #d.payload)
  -- ... unless the script sets one itself: then it goes as given
  d.ip.checksum = 0x1234
  local bad = lunet.dissect(lunet.packet(d))
  expect(bad.ip.checksum):eq(0x1234)
  expect(bad.ip.checksum_status):eq("bad")
  expect(bad.tcp.checksum_status):eq("good")
end)

test("an ICMP error quotes a datagram, dissected under quote", function()
  local inner = lunet.packet{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, udp = {srcport = 5000, dstport = 53}, payload = "q"}
  local d = lunet.dissect(lunet.packet{eth = {src = MAC2, dst = MAC1}, ip = {src = "10.0.0.2", dst = "10.0.0.1"},
                                       icmp = {type = 3, code = 3}, payload = inner})
  expect(d.icmp.quote.ip.dst):eq("10.0.0.2")
  expect(d.icmp.quote.udp.dstport):eq(53)
  expect(tostring(d)):matches("quoting the datagram")
end)

test("tostring prints one line per layer, OSI-style", function()
  local s = tostring(lunet.packet(CASES.tcp_data_sack))
  local lines = {}
  for l in s:gmatch("[^\n]+") do lines[#lines + 1] = l end
  expect(#lines):eq(4)
  expect(lines[1]):matches("^L2  Ethernet  02:00:00:00:00:01 > 02:00:00:00:00:02")
  expect(lines[2]):matches("^L3  IPv4      10%.0%.0%.1 > 10%.0%.0%.2, ttl 64")
  expect(lines[3]):matches("^L4  TCP       1 > 2, flags %[P%.%], seq 10, ack 20, win 501, options %[nop, nop, sack {100:200} {300:400}%]")
  expect(lines[4]):matches('^L7  payload   18 bytes "GET / HTTP/1%.1\\x0d\\x0a')
end)

test("every prefix of a frame dissects without an error and names what is cut", function()
  for _, name in ipairs(NAMES) do
    local b = lunet.packet(CASES[name]):bytes()
    for n = 0, #b do
      local ok, d = pcall(lunet.dissect, b:sub(1, n))
      expect(ok, name .. " cut to " .. n .. " bytes: " .. tostring(d)):truthy()
      if n < 14 then expect(d.malformed, name .. " cut to " .. n):matches("^eth: ") end
      expect(#tostring(d) > 0):truthy()
    end
  end
end)

test("bad tables are refused, naming the field and what is allowed", function()
  local function err(t) local ok, e = pcall(lunet.packet, t); expect(ok):eq(false); return e end
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2", tll = 1}}):matches('ip: field tll unknown %(known: version,')
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2", ttl = 256}}):matches("ip%.ttl 256 out of range %(0%.%.255%)")
  expect(err{ip = {src = "10.0.0.1"}, udp = {srcport = 1, dstport = 1}}):matches("ip%.dst missing")
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.300"}, udp = {srcport = 1, dstport = 1}})
    :matches('ip%.dst must be an IPv4 address like "10%.0%.0%.1", got "10%.0%.0%.300"')
  expect(err{eth = {src = MAC1}, ip = {src = "10.0.0.1", dst = "10.0.0.2"}}):matches("eth%.dst missing")
  expect(err{eth = {src = "02:00", dst = MAC2}}):matches("eth%.src must be a MAC address")
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, tcp = {srcport = 1, dstport = 2, flags = "SYN"}})
    :matches("'Y' is not a flag %(tcpdump's letters")
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, tcp = {srcport = 1, dstport = 2}, udp = {srcport = 1, dstport = 2}})
    :matches("one transport layer")
  expect(err{eth = {src = MAC1, dst = MAC2}, arp = {src_proto_ipv4 = "10.0.0.1", dst_proto_ipv4 = "10.0.0.2"},
             ip = {src = "10.0.0.1", dst = "10.0.0.2"}}):matches("both arp and ip")
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2", frag_offset = 100, proto = 6}}):matches("not a multiple of 8")
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, udp = {srcport = 1, dstport = 2}, payload = ("x"):rep(70000)})
    :matches("over 65535 bytes")
  expect(err{ip = {src = "10.0.0.1", dst = "10.0.0.2"}, tcp = {srcport = 1, dstport = 2, options = {"bogus"}}})
    :matches('tcp%.options%[1%] "bogus" unknown')
end)

test("h:inject sends crafted packets: routed and resolved by ARP, any source", function(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms"})
  h2:listen(80)
  local seen = {}
  net:on("tx", function(e)
    if e.layer == "l2" and e.ethertype == 0x0800 then
      local d = e.packet                      -- the event's frame, dissected
      seen[#seen + 1] = e.node .. " " .. d.ip.src .. " " .. (d.tcp and d.tcp.flags or d.icmp and ("icmp" .. d.icmp.type) or "?")
    end
  end)
  run_task(net, h1, function()
    -- no eth layer: h1 routes it and resolves 10.0.0.2 by ARP, as a raw IP socket
    expect(h1:inject{ip = {dst = "10.0.0.2"}, tcp = {srcport = 4444, dstport = 80, seq = 1}}):eq(true)
    lunet.sleep("20ms")
    -- an eth layer with dst left out takes the next hop's MAC from the ARP cache
    expect(h1:inject{eth = {}, ip = {src = "10.9.9.9", dst = "10.0.0.2"}, icmp = {ident = 1, seq = 1}}):eq(true)
    lunet.sleep("20ms")
    local ok, e = pcall(h1.inject, h1, {eth = {}, ip = {dst = "10.0.0.7"}, udp = {srcport = 1, dstport = 2}})
    expect(ok):eq(false)
    expect(e):matches("eth%.dst missing: h1 has no ARP entry for the next hop 10%.0%.0%.7 on eth0")
    local r, why = h1:inject{ip = {dst = "192.168.1.1"}, udp = {srcport = 1, dstport = 2}}
    expect(r):eq(nil)
    expect(why):eq("unreachable")
  end)
  -- the SYN draws a SYN-ACK, and h1's stack, which has no such connection, resets it
  expect(table.concat(seen, ", ")):eq("h1 10.0.0.1 S, h2 10.0.0.2 S., h1 10.0.0.1 R, h1 10.9.9.9 icmp8")
end)

test("h:deliver hands a frame to an interface's receive path", function(net)
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  local before = h2:netstat().IpInReceives or 0
  h2:deliver("eth0", {eth = {src = MAC1, dst = h2.eth0.mac}, ip = {src = "10.0.0.1", dst = "10.0.0.2", checksum = 1},
                      icmp = {ident = 1, seq = 1}})
  net:run("10ms")
  expect(h2:drops()["bad checksum"], "the bad IP checksum is dropped and counted"):eq(1)
  expect((h2:netstat().IpInReceives or 0) - before):eq(1)
end)

local function have_tshark() return os.execute("command -v tshark >/dev/null 2>&1") == true end

test("tshark decodes crafted frames with the fields the script set", function(net)
  if not have_tshark() then skip("tshark not installed") end
  local dir = os.tmpname()
  os.remove(dir)
  lunet.mkdir(dir)
  local h1, h2 = net:host("h1"), net:host("h2")
  net:link(h1, h2, {ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  h2:firewall_policy("in", "drop")       -- no replies: the capture holds the crafted frames only
  local cap = net:capture{iface = h2.eth0, file = dir .. "/crafted.pcap"}
  local frames = {CASES.tcp_syn, CASES.tcp_data_sack, CASES.udp, CASES.icmp_echo, CASES.arp_reply, CASES.wrong_on_purpose}
  for _, t in ipairs(frames) do h1:inject(lunet.packet(t), "eth0") end
  net:run("10ms")
  cap:close()
  local fields = {"ip.src", "ip.ttl", "ip.id", "ip.checksum.status", "tcp.srcport", "tcp.seq_raw", "tcp.flags.str",
                  "tcp.window_size_value", "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.checksum.status",
                  "udp.length", "icmp.ident", "icmp.seq", "arp.src.proto_ipv4", "arp.opcode"}
  local cmd = "tshark -r " .. dir .. "/crafted.pcap -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE " ..
              "-o udp.check_checksum:TRUE -o tcp.relative_sequence_numbers:FALSE -T fields -E separator=, -e " ..
              table.concat(fields, " -e ") .. " 2>/dev/null"
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  os.remove(dir .. "/crafted.pcap")
  os.remove(dir)
  local lines = {}
  for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
  expect(#lines):eq(#frames)
  -- tshark's checksum status: 1 good, 0 bad; ip.id in hex; its flags string
  -- marks each flag with a letter at a fixed place
  expect(lines[1]):matches("^10%.0%.0%.1,63,0x10e1,1,40000,4000000000,[^,]*S[^,]*,65535,1460,7,1,")
  expect(lines[2]):matches("^10%.0%.0%.1,64,0x0000,1,1,10,[^,]*AP[^,]*,501,,,1,")
  expect(lines[3]):matches(",108,,,,$")
  expect(lines[4]):matches(",77,3,,$")
  expect(lines[5]):matches(",10%.0%.0%.2,2$")
  expect(lines[6]):matches("^10%.0%.0%.1,64,0x0000,0,")   -- the checksum set wrong on purpose
end)
