-- make_dhcp_corpus.lua - writes the seeds of tests/fuzz/corpus/fuzz_dhcp/
-- with lunet.dhcp.encode: one message of each kind the client and server
-- exchange, and an ACK whose options continue in file and sname (option
-- 52).  Byte 0 picks fuzz_dhcp.c's path (0: the C parser, 1: through
-- lunet.dhcp.decode too).  Run from the source tree, after building:
--
--   build/lunet run tests/fuzz/make_dhcp_corpus.lua tests/fuzz/corpus/fuzz_dhcp
local d = lunet.dhcp
local dir = assert(arg[1], "usage: lunet run make_dhcp_corpus.lua DIR")
local function w(name, sel, s)
  local f = assert(io.open(dir .. "/" .. name, "wb")); f:write(string.char(sel) .. s); f:close()
end
local mac = "02:00:00:00:00:07"
local cid = "\1\2\0\0\0\0\7"
local disc = d.encode{type = "DISCOVER", xid = 0x1234, chaddr = mac, broadcast = true, client_id = cid,
                      prl = {1, 3, 6, 12, 15, 51, 58, 59}, hostname = "h1", requested = "10.0.1.150"}
local offer = d.encode{type = "OFFER", xid = 0x1234, chaddr = mac, broadcast = true, yiaddr = "10.0.1.100",
                       server_id = "10.0.1.1", lease = 3600, t1 = 1800, t2 = 3150, mask = "255.255.255.0",
                       router = "10.0.1.1", dns = {"10.0.1.53", "8.8.8.8"}, domain = "lab", client_id = cid}
local req = d.encode{type = "REQUEST", xid = 0x99, chaddr = mac, ciaddr = "10.0.1.100", max_size = 1500}
local nak = d.encode{type = "NAK", xid = 0x99, chaddr = mac, server_id = "10.0.1.1", message = "wrong network"}
-- An ACK whose options continue in file and sname (option 52 = 3).
local ack = d.encode{type = "ACK", xid = 0x99, chaddr = mac, yiaddr = "10.0.1.100", lease = 60}
ack = ack:sub(1, 240) .. "\52\1\3" .. ack:sub(241)
ack = ack:sub(1, 108) .. "\15\2cd\54\4\10\0\1\1\255" .. ack:sub(108 + 12)
ack = ack:sub(1, 44) .. "\15\1e\255" .. ack:sub(44 + 5)
w("discover", 0, disc)
w("discover-lua", 1, disc)
w("offer", 0, offer)
w("offer-lua", 1, offer)
w("request", 0, req)
w("nak-lua", 1, nak)
w("ack-overload", 0, ack)
w("ack-overload-lua", 1, ack)
-- A relayed ACK: giaddr, a hop, option 82 (a circuit id) and a search list
-- (119) long enough to be split in two instances (RFC 3396), compressed.
local search = {}
for i = 1, 8 do search[i] = string.rep(string.char(96 + i), 30) .. ".corp.example.lab" end
local relayed = d.encode{type = "ACK", xid = 0x77, chaddr = mac, yiaddr = "10.0.2.100", giaddr = "10.0.2.1",
                         hops = 1, search = search, domain = "corp.example.lab", agent_info = "\1\4eth1\2\3abc"}
w("ack-relayed", 0, relayed)
w("ack-relayed-lua", 1, relayed)
