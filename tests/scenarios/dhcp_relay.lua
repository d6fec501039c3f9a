-- dhcp_relay.lua - a DHCP relay agent (r:dhcp_relay, RFC 2131 4.1, RFC
-- 1542, RFC 3046) between a client and a server two routers away: the
-- client gets an address from the server's pool for the relay's network
-- (chosen by giaddr), with the search list of option 119; its renewal at
-- T1 goes unicast to the server, not through the relay (RFC 2131 4.4.5);
-- the hop count is raised and too many hops are dropped; option 82 goes
-- to the server and comes back, and the client never sees it; tshark
-- reads it all without complaint.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local TOPO = here .. "../../topologies/"
local run_task = require("lunet.test").run_task
local ts = dofile(here .. "../lib/tshark.lua")
local SEC = 1000000000

-- h1 -- r1 -- r2 -- h2: h1 (no address) is the client, r1 the relay on
-- 10.0.1.0/24, h2 (10.0.3.1) the server, with a pool for 10.0.1.0/24 and
-- one for its own network.
local function lab(net, relay_opts, srv_opts)
  local t = lunet.topology(TOPO .. "router_chain.lua", net, {n = 2, link = {delay = "1ms"}})
  local lan = t.links[1]
  t.cli_if = t.h1:ifaces()[1]
  pcall(t.h1.unroute, t.h1, "default")
  t.cli_if:addr(false)
  t.relay_if = t.r1:ifaces()[1]
  local so = {subnets = {{net = "10.0.1.0/24", pool = "10.0.1.100-10.0.1.150", router = "10.0.1.254",
                          dns = "10.0.3.1", search = {"corp.lab", "lab"}, lease = "1h"}},
              pool = "10.0.3.100-10.0.3.150", router = "10.0.3.254", lease = "1h", quiet = true}
  for k, v in pairs(srv_opts or {}) do so[k] = v end
  t.srv = t.h2:dhcp_server(so)
  local ro = {iface = t.relay_if, server = t.h2_ip, quiet = true}
  for k, v in pairs(relay_opts or {}) do ro[k] = v end
  t.relay = t.r1:dhcp_relay(ro)
  t.lan = lan
  return t
end

-- Every DHCP message a node sends or receives (tests/lib/dhcp_log.lua).
local dhcp_log = dofile(here .. "../lib/dhcp_log.lua")

local function count(log, pred)
  local n = 0
  for _, e in ipairs(log) do if pred(e) then n = n + 1 end end
  return n
end

test("a client two routers from the server gets an address through the relay", function(net)
  local t = lab(net)
  local at_srv = dhcp_log(net, t.h2)
  local at_cli = dhcp_log(net, t.h1)
  local r = run_task(net, t.h1, function()
    local lease = assert(t.h1:dhcp({quiet = true}))
    local ping = t.h1:ping(t.h2_ip, {count = 1, quiet = true})
    return {lease = lease, ping = ping, cfg = t.h1:dns_config()}
  end)
  expect(r.lease.addr:match("^10%.0%.1%.")):truthy()
  expect(r.lease.router):eq("10.0.1.254")
  expect(r.lease.server):eq(t.h2_ip)
  expect(r.ping.received, "the client reaches the server by the lease's route"):eq(1)
  -- option 119 became the resolver's search list, the DNS server its server
  expect(table.concat(r.cfg.search, " ")):eq("corp.lab lab")
  expect(r.cfg.servers[1]):eq("10.0.3.1")
  -- what the server got: giaddr the relay's LAN address, one hop, unicast
  -- from port 67 of the relay (RFC 2131 4.1)
  local ins = {}
  for _, e in ipairs(at_srv) do if e.dir == "in" then ins[#ins + 1] = e end end
  expect(#ins):eq(2)                                   -- DISCOVER, REQUEST
  for _, e in ipairs(ins) do
    expect(e.m.giaddr):eq("10.0.1.254")
    expect(e.m.hops):eq(1)
    expect(e.dst):eq(t.h2_ip)
    expect(e.src):eq("10.0.2.1")                      -- r1's address towards r2
  end
  -- the server answered the relay (giaddr, port 67); the relay broadcast
  -- to the client, which had set the BROADCAST flag
  expect(count(at_srv, function(e) return e.dir == "out" and e.dst == "10.0.1.254" end)):eq(2)
  expect(count(at_cli, function(e) return e.dir == "in" and e.m.type == "OFFER" and e.dst == "255.255.255.255" end)):eq(1)
  expect(count(at_cli, function(e) return e.dir == "in" and e.m.type == "ACK" end)):eq(1)
  expect(t.srv.stats.relayed):eq(2)
  expect(t.relay.stats.requests):eq(2)
  expect(t.relay.stats.replies):eq(2)
  local l = t.srv:leases()
  expect(#l):eq(1)
  expect(l[1].addr):eq(r.lease.addr)
end)

test("without option 119, the domain name (15) is the search list, as dhclient-script writes it", function(net)
  local t = lab(net, nil, {subnets = {{net = "10.0.1.0/24", pool = "10.0.1.100-10.0.1.150", router = "10.0.1.254",
                                       domain = "lab.example  bad..name corp.lab"}}})
  local cfg = run_task(net, t.h1, function()
    assert(t.h1:dhcp({quiet = true}))
    return t.h1:dns_config()
  end)
  expect(table.concat(cfg.search, " ")):eq("lab.example corp.lab")
  expect(#cfg.servers):eq(0)
end)

test("the renewal at T1 goes unicast to the server, not through the relay (RFC 2131 4.4.5)", function(net)
  local t = lab(net)
  local at_srv = dhcp_log(net, t.h2)
  local r = run_task(net, t.h1, function()
    local lease = assert(t.h1:dhcp({quiet = true}))
    lunet.sleep("1801s")                  -- T1 = 1800 s
    return {lease = lease}
  end)
  expect(r.lease.renewals):eq(1)
  expect(r.lease.state):eq("BOUND")
  local renew = {}
  for _, e in ipairs(at_srv) do
    if e.dir == "in" and e.m.type == "REQUEST" and e.m.ciaddr ~= "0.0.0.0" then renew[#renew + 1] = e end
  end
  expect(#renew):eq(1)
  expect(renew[1].m.giaddr):eq("0.0.0.0")
  expect(renew[1].m.hops):eq(0)
  expect(renew[1].src):eq(r.lease.addr)
  expect(renew[1].dst):eq(t.h2_ip)
  -- the ACK went straight back to ciaddr
  expect(count(at_srv, function(e) return e.dir == "out" and e.m.type == "ACK" and e.dst == r.lease.addr end)):eq(1)
  expect(t.relay.stats.requests, "the relay saw DISCOVER and REQUEST only"):eq(2)
end)

test("hops: raised by each relay; a message that has reached max_hops is dropped", function(net)
  local t = lab(net, {max_hops = 3})
  local at_srv = dhcp_log(net, t.h2)
  run_task(net, t.h1, function()
    local u = t.h1:udp{broadcast = true, bindtodevice = t.cli_if}
    assert(u:bind(68))
    for hops = 2, 3 do
      u:sendto(lunet.dhcp.encode{type = "DISCOVER", xid = hops, chaddr = t.cli_if.mac, hops = hops,
                                 broadcast = true}, "255.255.255.255", 67)
    end
    lunet.sleep("100ms")
    u:close()
  end)
  local ins = {}
  for _, e in ipairs(at_srv) do if e.dir == "in" then ins[#ins + 1] = e end end
  expect(#ins):eq(1)
  expect(ins[1].m.hops):eq(3)
  expect(t.relay.drops["hop count exceeded"]):eq(1)
end)

test("option 82: the relay adds its circuit id, the server echoes it, the client never sees it", function(net)
  local t = lab(net, {agent_info = true})
  local at_srv = dhcp_log(net, t.h2)
  local at_cli = dhcp_log(net, t.h1)
  run_task(net, t.h1, function() assert(t.h1:dhcp({quiet = true})) end)
  local circuit = string.pack("Bs1", 1, t.relay_if.name)
  expect(count(at_srv, function(e) return e.dir == "in" and e.m.agent_info == circuit end)):eq(2)
  expect(count(at_srv, function(e) return e.dir == "out" and e.m.agent_info == circuit end)):eq(2)
  expect(count(at_cli, function(e) return e.m.agent_info ~= nil end)):eq(0)
  expect(count(at_cli, function(e) return e.dir == "in" end)):eq(2)
end)

test("the server picks the pool by giaddr, and ignores a network it has no pool for", function(net)
  local t = lab(net)
  local s = t.srv
  -- a local client of h2 still gets the local pool; a relayed request from
  -- an unknown network is not answered
  run_task(net, t.h2, function()
    local u = t.h2:udp()
    u:sendto(lunet.dhcp.encode{type = "DISCOVER", xid = 7, chaddr = "02:00:00:00:99:01", giaddr = "10.0.77.1"},
             t.h2_ip, 67)
    lunet.sleep("100ms")
    u:close()
  end)
  expect(s.stats.no_pool):eq(1)
  expect(s.stats.offer):eq(0)
  expect(function() t.h2:dhcp_server{subnets = {{net = "10.0.1.0/24", pool = "10.0.2.1-10.0.2.9"}}} end)
    :raises("subnets%[1%]: pool 10.0.2.1%-10.0.2.9 is not inside 10.0.1.0/24")
  expect(function() t.r1:dhcp_relay{iface = "nope", server = "10.0.3.1"} end)
    :raises('dhcp_relay: iface 1: r1 has no interface "nope"')
  expect(function() t.r2:dhcp_relay{iface = t.r2:ifaces()[1]} end):raises("dhcp_relay: server is needed")
  expect(function() t.r2:dhcp_relay{iface = t.r2:ifaces()[1], server = "x", max_hops = 17} end)
    :raises("max_hops: must be an integer in 1..16")
end)

test("tshark reads the relayed exchange: giaddr, hops, option 82 and 119, nothing malformed", function(net)
  if not ts.have() then skip("tshark not installed") end
  local t = lab(net, {agent_info = true})
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. ts.q(dir))
  local caps = ts.capture_all(net, dir, "relay")
  run_task(net, t.h1, function() assert(t.h1:dhcp({quiet = true})) end)
  for _, c in ipairs(caps) do c:close() end
  local files = dir .. "/relay-*.pcap"
  local flagged = ts.sh(string.format("for f in %s; do tshark -r \"$f\" -Y %s 2>/dev/null; done", files,
                                      ts.q('_ws.malformed or _ws.expert.severity >= "warning"')))
  expect(flagged):eq("")
  local out = ts.sh(string.format("tshark -r %s -Y dhcp -T fields -e dhcp.ip.relay -e dhcp.hops " ..
                                  "-e dhcp.option.agent_information_option.agent_circuit_id " ..
                                  "-e dhcp.option.dhcp_dns_domain_search_list_fqdn 2>/dev/null",
                                  ts.q(dir .. "/relay-h2-eth0.pcap")))
  expect(out):contains("10.0.1.254\t1\t")
  expect(out):contains("corp.lab")
  os.execute("rm -rf " .. ts.q(dir))
end)
