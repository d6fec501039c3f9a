-- lunet.attacks - building blocks for scripted attacks: raw frames built
-- byte by byte (with their checksums) that a host sends with
-- h:send_frame(iface, bytes), bypassing its own stack, as a raw socket
-- would.  Addresses in the frame builders are 32-bit integers (ip_num).
--
--   attacks.mac_bytes("02:00:00:00:00:01")  -> the 6 bytes
--   attacks.ip_num("10.0.0.1")              -> 0x0a000001
--   attacks.csum(bytes)                     -> the Internet checksum
--   attacks.tcp_syn(src_mac, dst_mac, src, dst, sport, dport, isn, ipid)
--     -> an Ethernet frame holding an IPv4 SYN (TTL 64, DF clear) with only
--        an MSS 1460 option, like the raw SYNs of hping3 or the reference
--        captures' flood

local M = {}

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
  local a, b, c, d = tostring(ip):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then error("attacks.ip_num: \"" .. tostring(ip) .. "\" is not an IPv4 address", 2) end
  return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

function M.tcp_syn(src_mac, dst_mac, src, dst, sport, dport, isn, ipid)
  local csum = M.csum
  local addrs = string.pack(">I4I4", src, dst)
  local tcp = string.pack(">I2I2I4I4BBI2I2I2BBI2", sport, dport, isn, 0, 6 << 4, 0x02, 64240, 0, 0,
                          2, 4, 1460)
  local c = csum(addrs .. string.pack(">BBI2", 0, 6, #tcp) .. tcp)
  tcp = tcp:sub(1, 16) .. string.pack(">I2", c) .. tcp:sub(19)
  local ip = string.pack(">BBI2I2I2BBI2", 0x45, 0, 20 + #tcp, ipid, 0, 64, 6, 0) .. addrs
  ip = ip:sub(1, 10) .. string.pack(">I2", csum(ip)) .. ip:sub(13)
  return dst_mac .. src_mac .. "\8\0" .. ip .. tcp
end

return M
