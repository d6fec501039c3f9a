-- ping.lua - four pings over one link, and where the round-trip time
-- comes from.
--
--   h1 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= h2 10.0.0.2/24
--
-- Run:   lunet run scripts/ping.lua        (`make run` runs it too)
-- Then open the pcap files it names in Wireshark.

local BANDWIDTH, DELAY = "10Mbps", "5ms"

local net = lunet.net{name = "ping"}
local lab = lunet.topology("two_hosts", net, {bandwidth = BANDWIDTH, delay = DELAY})
local h1 = lab.h1
local caps = net:capture{}          -- one pcap per interface, in lunet.pcap_dir

local r
h1:spawn(function()
  r = h1:ping(lab.h2_ip, {count = 4})
  net:stop()
end)
net:run()

-- The RTT, from the link's settings.  Each way the echo frame is first
-- serialized onto the wire (bits / bandwidth), then propagates (delay).
-- The engine rounds serialization up to the nanosecond; so do we.
local bps, delay = lunet.rate(BANDWIDTH), lunet.time(DELAY)
local function txtime(bytes) return (bytes * 8 * 1000000000 + bps - 1) // bps end
local ECHO = 14 + 20 + 8 + 56     -- Ethernet + IPv4 + ICMP headers + 56 data bytes
local ARP = 60                    -- 42-byte ARP frame, padded to Ethernet's minimum
local rtt = 2 * (txtime(ECHO) + delay)
local arp_rtt = 2 * (txtime(ARP) + delay)
local T = lunet.fmt_time

print()
print(string.format("[t=%s] RTT = 2 x (serialization + propagation) = 2 x (%d B x 8 / %s + %s) = 2 x (%s + %s) = %s",
                    T(net:now()), ECHO, BANDWIDTH, DELAY, T(txtime(ECHO)), T(delay), T(rtt)))
print(string.format("[t=%s] ping 1 took %s longer: h1 first asked \"who has %s?\" with ARP (a %d B request and reply)",
                    T(net:now()), T(arp_rtt), lab.h2_ip, ARP))

expect(r.sent, "sent"):eq(4)
expect(r.received, "received"):eq(4)
for _, rep in ipairs(r.replies) do
  if rep.seq == 1 then
    expect(rep.rtt, "rtt of ping 1 (with ARP)"):eq(rtt + arp_rtt)
  else
    expect(rep.rtt, "rtt of ping " .. rep.seq):eq(rtt)
  end
end

for _, c in ipairs(caps) do
  c:flush()
  print(string.format("pcap: %s — open it in Wireshark (%d frames)", c.path, c:count()))
end
