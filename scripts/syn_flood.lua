-- syn_flood.lua - a SYN flood fills a server's half-open (SYN) queue so a
-- real client cannot connect; the attacker must not answer the SYN-ACKs
-- (it ignores them, or spoofs its source address); SYN cookies let real
-- clients in all the same.
--
--   client   10.0.0.1 --+
--   attacker 10.0.0.66 -+- switch -- server 10.0.0.2 (listener :80, backlog 8)
--   (links 1 Gbit/s, 0.5 ms)
--
-- The attacker sends 1,000 SYNs a second for 4 s.  At 1 s a real client
-- connects, patient for 2 s.
--
--   A. Three floods side by side (tcp_syncookies = 0, the notes' world),
--      made with lunet.attacks.syn_flood:
--        1. from the attacker's own address, its stack left alone: each
--           SYN-ACK reaches a stack that never sent that SYN, which answers
--           RST, and the RST frees the server's half-open request at once.
--           The queue stays nearly empty, the client connects: the flood
--           fails.
--        2. from its own address, ignoring the SYN-ACKs (ignore_synacks: a
--           firewall rule drops them before its stack sees them, as hping3
--           plus iptables do): the queue fills, the client cannot connect.
--        3. from spoofed addresses of 10.99.0.0/16: the SYN-ACKs go to hosts
--           that never answer (the server routes them to 10.0.0.66, which
--           forwards nothing): the queue fills the same way.
--   B. The spoofed flood against tcp_syncookies = 0, then 1 (Linux's
--      default): lunet.attacks.syn_flood (as tests/scenarios/tcp_synflood.lua
--      uses it) sends SYNs evenly spaced, each from a random address of
--      10.99.0.0/16 with a random port and ISN.  Every SYN leaves a half-open
--      connection (SYN_RCVD) until the server gives up on it, seconds
--      later.  With cookies the server answers a SYN that finds the queue
--      full anyway and keeps nothing.
--
-- Run:   lunet run scripts/syn_flood.lua              (--lang zh: in Chinese)
--        lunet run scripts/syn_flood.lua cookies=on   (a what-if; --help lists them)
-- Then open the pcap files it names in Wireshark.

local attacks = require "lunet.attacks"

local sc = require("lunet.scenario").new{
  name = "syn_flood",
  title = {en = "SYN flood: the half-open queue, the three kinds of flood, SYN cookies",
           zh = "SYN 洪泛攻击：半连接队列、三种洪泛方式、SYN cookie"},
  knobs = {
    {"cookies", default = "off", try = "on", values = {"off", "on"},
     help = {en = "tcp_syncookies on the server in part A (part B runs both)",
             zh = "A 部分服务器的 tcp_syncookies（B 部分两种都运行）"}},
    {"rate", default = 1000, try = 100, kind = "integer", min = 10, max = 2000,
     help = {en = "SYNs per second of every flood", zh = "每次洪泛每秒发送的 SYN 数"}},
    {"spoof", default = "prefix", try = "random", values = {"prefix", "random", "none"},
     help = {en = "source of the spoofed flood: 10.99.0.0/16, any address, or the attacker's own",
             zh = "伪造源地址的洪泛所用的源地址：10.99.0.0/16、任意地址，或攻击者自己的地址"}},
    {"backlog", default = 8, try = 64, kind = "integer", min = 1, max = 1024,
     help = {en = "the server's listen() backlog (the queue holds backlog + 1)",
             zh = "服务器 listen() 的 backlog（队列可容纳 backlog + 1 个）"}},
  },
}
local K = sc.k

local RATE, FLOOD = K.rate, 4              -- SYNs per second, seconds
local GAP = 1000000000 // RATE             -- ns between two SYNs
local BACKLOG = K.backlog
local FULL = BACKLOG + 1                   -- Linux: full when it holds more than the backlog
local CLIENT_AT, PATIENCE = 1, 2           -- seconds
local ROWS = {0.004, 0.010, 0.5, 1.5, 2.5, 3.5}   -- when the table looks (seconds)
local S, MS = lunet.time("1s"), lunet.time("1ms")
local T = lunet.fmt_time
local SPOOF = {prefix = "10.99.0.0/16", random = "random", none = false}

-- the lab: client, attacker and server on a switch
local function lab(name, syncookies)
  local net = lunet.net{name = name}
  local sw = net:switch("sw")
  local client, attacker, server = net:host("client"), net:host("attacker"), net:host("server")
  for _, hp in ipairs({{client, "10.0.0.1/24"}, {attacker, "10.0.0.66/24"}, {server, "10.0.0.2/24"}}) do
    net:link(hp[1], sw, {bandwidth = "1Gbps", delay = "0.5ms", ip = {hp[2], nil}})
  end
  -- the spoofed addresses are "somewhere behind 10.0.0.66", which drops all
  server:route("10.99.0.0/16", "10.0.0.66")
  server:route("default", "10.0.0.66")                      -- (for spoof=random)
  server:arp_set("10.0.0.66", attacker.eth0.mac, "eth0")    -- static ARP: no ARP
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")       -- in the way
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  attacker:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  server:sysctl("net.ipv4.tcp_syncookies", syncookies)
  local srv = server:echo_server(80, {backlog = BACKLOG})
  local r = {syncookies = syncookies, rows = {}, syns_in = 0, half_open = 0, half_open_max = 0,
             client_syns = {}, client_syn_drops = {}, synacks_lost = 0, attacker_rsts = 0}
  -- Half-open connections are requests, not sockets (h:sockets() does not
  -- list them): count them from the server's state changes.  A request
  -- is born LISTEN -> SYN_RCVD and ends SYN_RCVD -> anything; a
  -- connection made from a cookie starts at SYN_RCVD without a request.
  local requests = {}
  net:on("tcp", function(ev)
    if ev.node ~= "server" then return end
    if ev.from == "LISTEN" and ev.to == "SYN_RCVD" then
      requests[ev.flow], r.half_open = true, r.half_open + 1
    elseif ev.from == "SYN_RCVD" and requests[ev.flow] then
      requests[ev.flow], r.half_open = nil, r.half_open - 1
    end
    r.half_open_max = math.max(r.half_open_max, r.half_open)
    if r.half_open == FULL and not r.full_at then r.full_at = ev.time end
  end)
  net:on("rx", function(ev)
    if ev.node == "server" and ev.proto == "tcp" and ev.flags == "S" then r.syns_in = r.syns_in + 1 end
  end)
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" then return end
    if ev.node == "client" and ev.flags == "S" then
      r.client_syns[#r.client_syns + 1] = ev.time
    elseif ev.node == "attacker" and ev.flags:find("R", 1, true) then
      r.attacker_rsts = r.attacker_rsts + 1
    end
  end)
  net:on("drop", function(ev)
    if ev.proto ~= "tcp" then return end
    if ev.node == "server" and ev.src == "10.0.0.1" and ev.flags == "S" then
      r.client_syn_drops[#r.client_syn_drops + 1] = ev.reason
    elseif ev.node == "attacker" and ev.flags == "S." then
      r.synacks_lost = r.synacks_lost + 1
    end
  end)

  -- the real client
  client:spawn(function()
    lunet.sleep(CLIENT_AT)
    local s, err = client:connect(server:ip(), 80, {timeout = PATIENCE})
    r.client_done, r.client_err = lunet.now(), err
    if s then
      s:send("hello\n")
      r.echo = s:receive("*l", {timeout = "1s"})
      s:close()
    end
  end)
  return net, r, {client = client, attacker = attacker, server = server, srv = srv}
end

------------------------------------------------------------------------
-- A. three floods, no SYN cookies
------------------------------------------------------------------------

local VARIANTS = {
  {key = "answered", opts = {},
   name = {en = "own address, SYN-ACKs answered", zh = "自己的地址，回应 SYN-ACK"}},
  {key = "ignored", opts = {ignore_synacks = true},
   name = {en = "own address, SYN-ACKs ignored", zh = "自己的地址，忽略 SYN-ACK"}},
  {key = "spoofed", opts = {spoof = SPOOF[K.spoof]},
   name = {en = "spoofed source (" .. K.spoof .. ")", zh = "伪造源地址（" .. K.spoof .. "）"}},
}
local cookies_a = K.cookies == "on" and 1 or 0
for _, v in ipairs(VARIANTS) do
  local net, r, h = lab("syn_flood-" .. v.key, cookies_a)
  h.attacker:spawn(function()
    local o = {from = h.attacker, to = "10.0.0.2", port = 80, rate = RATE, count = RATE * FLOOD, wait = "10ms"}
    for k, x in pairs(v.opts) do o[k] = x end
    r.flood = attacks.syn_flood(o)
  end)
  net:run_until(CLIENT_AT)
  r.half_open_at_client = r.half_open
  net:run_until(FLOOD + 1)
  h.srv.close()
  net:close()
  v.r = r
end

local answered, ignored, spoofed = VARIANTS[1].r, VARIANTS[2].r, VARIANTS[3].r

sc:say{en = "A. Three SYN floods side by side (SYN flood attacks come in two kinds in the notes)",
       zh = "A. 三种 SYN 洪泛并排比较（笔记中说 SYN flood 攻击分两种）"}
sc:say({en = "%d SYNs/s for %d s to server:80 (backlog %d), tcp_syncookies = %d; a real client",
        zh = "每秒 %d 个 SYN，持续 %d 秒，发往 server:80（backlog %d），tcp_syncookies = %d；"},
       RATE, FLOOD, BACKLOG, cookies_a)
sc:say({en = "connects at %d s and waits up to %d s.", zh = "一个真实客户端在第 %d 秒连接，最多等待 %d 秒。"},
       CLIENT_AT, PATIENCE)
print()

-- columns padded by display width: a Chinese character takes two
local function pad(str, w)
  local _, wide = str:gsub("[\xe0-\xef][\x80-\xbf][\x80-\xbf]", "")
  local width = utf8.len(str) + wide
  return str .. string.rep(" ", math.max(1, w - width))
end
print("  " .. pad(sc:t{en = "flood", zh = "洪泛方式"}, 34) .. pad(sc:t{en = "SYNs", zh = "SYN 数"}, 7) ..
      pad(sc:t{en = "SYN-ACKs", zh = "SYN-ACK"}, 9) .. pad(sc:t{en = "RSTs", zh = "RST 数"}, 7) ..
      pad(sc:t{en = "half-open", zh = "半连接"}, 10) .. pad(sc:t{en = "at 1 s", zh = "1 秒时"}, 7) ..
      sc:t{en = "the client's connect()", zh = "客户端的 connect()"})
for _, v in ipairs(VARIANTS) do
  local r = v.r
  local result = r.client_err and string.format("%q", r.client_err) or
                 sc:t({en = "connected at %s", zh = "%s 连接成功"}, T(r.client_done))
  print("  " .. pad(sc:t(v.name), 34) .. pad(tostring(r.flood.sent), 7) .. pad(tostring(r.flood.synacks), 9) ..
        pad(tostring(r.attacker_rsts), 7) .. pad(tostring(r.half_open_max), 10) ..
        pad(tostring(r.half_open_at_client), 7) .. result)
end
sc:say{en = "  (SYN-ACKs: those that reached 10.0.0.66; RSTs: sent by the attacker's stack;",
       zh = "  （SYN-ACK：到达 10.0.0.66 的数量；RST：攻击者协议栈发出的数量；"}
sc:say{en = "  half-open: the most SYN_RCVD requests the server held at once, and at 1 s.)",
       zh = "  半连接：服务器同时持有的 SYN_RCVD 请求的最大数量，以及第 1 秒时的数量。）"}
print()
if answered.attacker_rsts > 0 and answered.half_open_max < FULL then
  sc:say{en = "1. From its own address, with its stack left alone, the attacker defeats itself: each",
         zh = "1. 攻击者用自己的地址、不干预自己的协议栈，就会自己挫败攻击：每个"}
  sc:say{en = "   SYN-ACK reaches a stack whose sockets never sent that SYN, and it answers RST",
         zh = "   SYN-ACK 到达的协议栈上没有任何套接字发过那个 SYN，于是它回复 RST"}
  sc:say({en = "   (%d RSTs). The RST frees the half-open request one round trip after it was born:",
          zh = "   （%d 个 RST）。RST 在请求产生一个往返时间后就把它释放："}, answered.attacker_rsts)
  sc:say({en = "   never more than %d at once, and the client connects. The flood fails.",
          zh = "   同时最多只有 %d 个，客户端可以连接。洪泛失败。"}, answered.half_open_max)
elseif answered.attacker_rsts > 0 then
  sc:say({en = "1. From its own address, with its stack left alone: each SYN-ACK is answered with",
          zh = "1. 攻击者用自己的地址、不干预自己的协议栈：每个 SYN-ACK 都被回以"})
  sc:say({en = "   RST (%d), which frees the request one round trip (2 ms) after it was born. But",
          zh = "   RST（%d 个），在请求产生一个往返时间（2 ms）后将其释放。但是"}, answered.attacker_rsts)
  sc:say({en = "   about %d requests are born per round trip at this rate, and the queue holds %d:",
          zh = "   按这个速率，每个往返时间大约产生 %d 个请求，而队列只能容纳 %d 个："}, RATE * 2 // 1000, FULL)
  sc:say{en = "   even this flood keeps the queue full.",
         zh = "   即使这种洪泛也能让队列保持满载。"}
end
if ignored.half_open_max >= FULL then
  sc:say{en = "2. The notes' first kind: the attacker ignores the SYN-ACKs (a firewall rule drops",
         zh = "2. 笔记中的第一种：攻击者对 SYN-ACK 什么也不做（一条防火墙规则在协议栈看到它们之前"}
  sc:say{en = "   them before its stack sees them, as hping3 plus iptables do). No ACK, no RST: each",
         zh = "   就把它们丢弃，就像 hping3 加 iptables 那样）。没有 ACK，也没有 RST：每个"}
  sc:say{en = "   request waits for an answer that never comes, the server resends its SYN-ACK",
         zh = "   请求都在等待一个永远不会来的应答，服务器在 1 秒、3 秒……时重发 SYN-ACK，"}
  sc:say{en = "   at 1 s, 3 s, ... before it gives up, and the half-open queue is full",
         zh = "   直到放弃为止，半连接队列已满"}
  if cookies_a == 0 and ignored.flood.synacks == 3 * FULL then
    sc:say({en = "   at %d = backlog + 1. Every later SYN is dropped, the client's too (%d SYN-ACKs",
            zh = "   （%d = backlog + 1）。之后的每个 SYN 都被丢弃，客户端的也不例外（%d 个 SYN-ACK"},
           FULL, ignored.flood.synacks)
    sc:say({en = "   reached the attacker: %d requests, 3 each by the flood's end).",
            zh = "   到达攻击者：%d 个请求，到洪泛结束时每个 3 次）。"}, FULL)
  elseif cookies_a == 0 then
    sc:say({en = "   at %d = backlog + 1. Every later SYN is dropped, the client's too.",
            zh = "   （%d = backlog + 1）。之后的每个 SYN 都被丢弃，客户端的也不例外。"}, FULL)
  else
    sc:say({en = "   at %d = backlog + 1. Every later SYN gets a cookie instead, the client's too.",
            zh = "   （%d = backlog + 1）。之后的每个 SYN 都改为得到一个 cookie，客户端的也一样。"}, FULL)
  end
  if ignored.attacker_rsts > 0 then
    sc:say({en = "   (Its stack still sent %d RSTs: the flood reused a source port whose request was",
            zh = "   （它的协议栈仍发出了 %d 个 RST：洪泛重复使用了一个请求仍在队列中的源端口，"},
           ignored.attacker_rsts)
    sc:say{en = "   still queued; the server answered that second SYN with a bare ACK, which the",
           zh = "   服务器对第二个 SYN 只回复一个 ACK，而防火墙规则只丢弃 SYN-ACK，"}
    sc:say{en = "   rule, dropping only SYN-ACKs, let through, and the stack reset it.)",
           zh = "   于是该 ACK 通过，协议栈用 RST 回应。）"}
  end
end
if spoofed.half_open_max >= FULL then
  sc:say{en = "3. The notes' second kind: a false source address. The SYN-ACKs go to hosts that do",
         zh = "3. 笔记中的第二种：虚假的源 IP。SYN-ACK 被发往不存在或不会回应的主机，"}
  sc:say{en = "   not exist or do not answer, so the effect is the same, and the attacker's own",
         zh = "   效果相同，而且攻击者自己的"}
  sc:say{en = "   address never appears in the server's logs.",
         zh = "   地址从不出现在服务器的日志里。"}
end
if cookies_a == 1 then
  sc:say{en = "With SYN cookies on, the server answers a SYN that finds the queue full with a cookie",
         zh = "开启 SYN cookie 后，服务器对发现队列已满的 SYN 用 cookie 应答，"}
  sc:say{en = "and keeps nothing, so the client gets in whatever the flood (part B).",
         zh = "并且不保存任何状态，所以无论哪种洪泛客户端都能连上（见 B 部分）。"}
end
print()

------------------------------------------------------------------------
-- B. the spoofed flood against tcp_syncookies = 0 and 1
------------------------------------------------------------------------


local function experiment(syncookies)
  local net, r, h = lab("syn_flood", syncookies)
  local attacker, server = h.attacker, h.server
  local cap = net:capture{iface = server.eth0, file = "syn_flood-cookies" .. syncookies .. ".pcap"}

  -- the attacker: lunet.attacks builds every SYN (random port, ISN and IP
  -- ID; an MSS option), evenly spaced
  r.flood_sent = 0
  attacker:spawn(function()
    local f = attacks.syn_flood{from = attacker, to = "10.0.0.2", port = 80, rate = RATE,
                                duration = FLOOD .. "s", spoof = SPOOF[K.spoof]}
    r.flood_sent = f.sent
  end)

  for _, at in ipairs(ROWS) do
    net:run_until(at)
    local n = server:netstat()
    r.rows[#r.rows + 1] = {at = at, syns = r.syns_in, half_open = r.half_open,
                           qfull = n.TcpExtTCPReqQFullDrop, ldrops = n.TcpExtListenDrops,
                           sent = n.TcpExtSyncookiesSent, recv = n.TcpExtSyncookiesRecv}
  end
  net:run_until(FLOOD + 1)
  r.netstat = server:netstat()
  r.sockets = server:sockets("tcp")
  r.accepted = h.srv.connections
  cap:flush()
  r.pcap, r.frames = cap.path, cap:count()
  h.srv.close()
  return r
end

local off, on = experiment(0), experiment(1)

local FROM = {prefix = {en = "random (spoofed) 10.99.x.y", zh = "随机（伪造的）10.99.x.y"},
              random = {en = "random (spoofed) addresses", zh = "随机（伪造的）地址"},
              none = {en = "its own address 10.0.0.66", zh = "它自己的地址 10.0.0.66"}}
sc:say({en = "B. SYN flood: %d SYNs/s for %d s from %s to",
        zh = "B. SYN 洪泛攻击：每秒 %d 个 SYN，持续 %d 秒，来自%s，发往"}, RATE, FLOOD, sc:t(FROM[K.spoof]))
if K.spoof == "none" then
  sc:say({en = "server:80 (listen backlog %d); the attacker's stack answers their SYN,ACKs.",
          zh = "server:80（listen backlog %d）；攻击者的协议栈会回应这些 SYN,ACK。"}, BACKLOG)
else
  sc:say({en = "server:80 (listen backlog %d); their SYN,ACKs go nowhere.",
          zh = "server:80（listen backlog %d）；它们的 SYN,ACK 无处可去。"}, BACKLOG)
end
sc:say({en = "A real client connects at %d s and waits up to %d s.",
        zh = "一个真实客户端在第 %d 秒连接，最多等待 %d 秒。"}, CLIENT_AT, PATIENCE)

local function tab(r)
  print()
  sc:say({en = "tcp_syncookies = %d%s", zh = "tcp_syncookies = %d%s"}, r.syncookies,
         r.syncookies == 0 and sc:t{en = " (no SYN cookies)", zh = "（没有 SYN cookie）"} or "")
  print(sc:t{en = "     time  SYNs in  half-open  ReqQFullDrop  ListenDrops  CookiesSent  CookiesRecv",
             zh = "     时间 收到 SYN     半连接  ReqQFullDrop  ListenDrops  CookiesSent  CookiesRecv"})
  for _, w in ipairs(r.rows) do
    print(string.format("  %.3f s  %7d  %9d  %12d  %11d  %11d  %11d",
                        w.at, w.syns, w.half_open, w.qfull, w.ldrops, w.sent, w.recv))
  end
  local syns = {}
  for _, t in ipairs(r.client_syns) do syns[#syns + 1] = string.format("%.3f", t / S) end
  if r.client_err then
    sc:say({en = "  client: connect() at %d s -> %q at %.3f s", zh = "  客户端：第 %d 秒 connect() -> %q，时间 %.3f 秒"},
           CLIENT_AT, r.client_err, r.client_done / S)
    if #r.client_syn_drops > 0 then
      sc:say({en = "          its SYNs at %s s: %d dropped (%s)", zh = "          它在 %s 秒发出的 SYN：%d 个被丢弃（%s）"},
             table.concat(syns, sc:t{en = " and ", zh = " 和 "}), #r.client_syn_drops,
             sc:t(r.client_syn_drops[1] == "backlog full" and {en = "backlog full", zh = "backlog full：队列已满"}
                  or r.client_syn_drops[1]))
    end
  else
    sc:say({en = "  client: connect() at %d s -> connected at %.3f s, echo %q",
            zh = "  客户端：第 %d 秒 connect() -> %.3f 秒连接成功，回显 %q"},
           CLIENT_AT, r.client_done / S, tostring(r.echo))
  end
end
tab(off)
tab(on)
print()
sc:say{en = "(ReqQFullDrop, ListenDrops, CookiesSent, CookiesRecv: the TcpExt counters",
       zh = "（ReqQFullDrop、ListenDrops、CookiesSent、CookiesRecv：即 `nstat` 中的 TcpExt 计数器"}
sc:say{en = "TCPReqQFullDrop, ListenDrops, SyncookiesSent, SyncookiesRecv of `nstat`.)",
       zh = "TCPReqQFullDrop、ListenDrops、SyncookiesSent、SyncookiesRecv。）"}
print()
sc:say({en = "The queue of half-open connections holds backlog + 1 = %d: Linux calls it",
        zh = "半连接队列可容纳 backlog + 1 = %d 个：只有当它容纳的数量超过"}, FULL)
sc:say({en = "full only when it holds more than the backlog. The first %d %s SYNs",
        zh = "backlog 时，Linux 才认为它已满。前 %d 个%s SYN"}, FULL,
       sc:t(K.spoof == "none" and {en = "flood", zh = "洪泛的"} or {en = "spoofed", zh = "伪造的"}))
if off.half_open_max >= FULL then
  sc:say({en = "fill it by %s. None of them will ever complete: the server resends",
          zh = "在 %s 时就把它填满了。它们都不会完成握手：服务器会在几秒内不断重发"}, T(off.full_at))
  sc:say{en = "their SYN,ACKs for seconds before it gives up on them.",
         zh = "它们的 SYN,ACK，然后才放弃。"}
  sc:say{en = "Without cookies every later SYN is dropped, the client's too: its SYN and",
         zh = "没有 cookie 时，之后的每个 SYN 都被丢弃，客户端的也一样：它的 SYN 和"}
  sc:say{en = "its retransmission a second later both find the queue full, and it gives up.",
         zh = "一秒后的重传都遇到队列已满，于是它放弃了。"}
else
  sc:say({en = "would fill it, but here the most it held was %d: the attacker's stack reset",
          zh = "本可以填满它，但这里它最多只容纳了 %d 个：攻击者的协议栈用 RST"}, off.half_open_max)
  sc:say{en = "every request (part A, flood 1), and the client got in.",
         zh = "复位了每个请求（A 部分，第 1 种洪泛），客户端连上了。"}
end
sc:say{en = "With cookies the server answers a SYN that finds the queue full anyway,",
       zh = "有 cookie 时，服务器照样应答发现队列已满的 SYN，"}
sc:say{en = "but keeps nothing: its ISN (the cookie) encodes the connection, so only",
       zh = "但不保存任何状态：它的初始序号（即 cookie）编码了这个连接，所以只有"}
if on.half_open_max >= FULL then
  sc:say{en = "a real ACK (CookiesRecv) creates a socket. The flood costs the server",
         zh = "真实的 ACK（CookiesRecv）才会创建套接字。这次洪泛让服务器付出了"}
  sc:say({en = "%d SYN,ACKs (all lost at 10.0.0.66) but no memory beyond the %d queued",
          zh = "%d 个 SYN,ACK（全部在 10.0.0.66 丢失），但除了队列中的 %d 个请求外"}, on.synacks_lost, FULL)
  if on.client_done and not on.client_err then
    sc:say({en = "requests, and the client is in after one round trip (%.1f ms).",
            zh = "不占用任何内存，客户端在一个往返时间后就连上了（%.1f ms）。"},
           (on.client_done - CLIENT_AT * S) / MS)
  end
else
  sc:say{en = "a real ACK (CookiesRecv) creates a socket. Here the queue never filled, so no",
         zh = "真实的 ACK（CookiesRecv）才会创建套接字。这里队列从未满过，所以"}
  sc:say{en = "cookie was needed.", zh = "根本不需要 cookie。"}
end
print()
for _, r in ipairs({off, on}) do
  sc:say({en = "pcap: %s — the server's interface (%d frames)", zh = "pcap：%s — 服务器的接口（%d 帧）"},
         r.pcap, r.frames)
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

-- A: any knob
for _, v in ipairs(VARIANTS) do
  expect(v.r.flood.sent, v.key .. ": SYNs sent"):eq(RATE * FLOOD)
  expect(v.r.half_open_max, v.key .. ": never more than the queue holds"):le(FULL)
end
-- A: the textbook (no cookies, spoofed from 10.99.0.0/16)
local function flood_claims(tag, r, full, rsts, client_err)
  sc:claim({en = tag .. ": the half-open queue (most at once)", zh = tag .. "：半连接队列（同时最多）"},
           full and r.half_open_max or (r.half_open_max < FULL), full and FULL or true)
  sc:claim({en = tag .. ": RSTs from the attacker", zh = tag .. "：攻击者发出的 RST"}, r.attacker_rsts, rsts)
  sc:claim({en = tag .. ": the client's connect()", zh = tag .. "：客户端的 connect()"}, r.client_err, client_err)
end
flood_claims("A1 answered", answered, false, RATE * FLOOD, nil)
sc:claim({en = "A1 answered: every SYN-ACK reached the attacker", zh = "A1 回应：每个 SYN-ACK 都到达了攻击者"},
         answered.flood.synacks, RATE * FLOOD)
flood_claims("A2 ignored", ignored, true, 0, "timeout")
sc:claim({en = "A2 ignored: SYN-ACKs (3 per queued request by the flood's end)",
          zh = "A2 忽略：SYN-ACK（洪泛结束时每个排队请求 3 个）"}, ignored.flood.synacks, 3 * FULL)
flood_claims("A3 spoofed", spoofed, true, 0, "timeout")

-- B
for _, r in ipairs({off, on}) do
  local what = "syncookies=" .. r.syncookies
  expect(r.flood_sent, what .. ": SYNs sent"):eq(RATE * FLOOD)
  sc:claim({en = what .. ": the queue holds backlog + 1", zh = what .. "：队列容纳 backlog + 1"},
           r.half_open_max, FULL)
  local got = {half = {}, qfull = {}, sent = {}, recv = {}}
  local want = {half = {}, qfull = {}, sent = {}, recv = {}}
  for i, w in ipairs(r.rows) do
    local at = what .. " at " .. w.at .. " s: "
    -- SYNs so far: those of the flood sent a full millisecond (two links
    -- of 0.5 ms) before, plus the client's that have arrived
    local legit = 0
    for _, t in ipairs(r.client_syns) do
      if t + 2 * MS <= w.at * S then legit = legit + 1 end
    end
    local sent_by = math.min(RATE * FLOOD, math.max(0, (lunet.time(w.at) - MS + GAP - 1) // GAP))
    expect(w.syns, at .. "SYNs in"):eq(sent_by + legit)
    got.half[i], want.half[i] = w.half_open, math.min(w.syns, FULL)
    if r.syncookies == 0 then
      got.qfull[i], want.qfull[i] = w.qfull, math.max(0, w.syns - FULL)
      expect(w.ldrops, at .. "ListenDrops = ReqQFullDrop"):eq(w.qfull)
      expect(w.sent, at .. "no cookies"):eq(0)
    else
      got.sent[i], want.sent[i] = w.sent, math.max(0, w.syns - FULL)
      expect(w.qfull, at .. "nothing dropped"):eq(0)
      expect(w.ldrops, at .. "nothing dropped"):eq(0)
      got.recv[i], want.recv[i] = w.recv, w.at > CLIENT_AT and 1 or 0
    end
  end
  sc:claim({en = what .. ": half-open at each row: as many as came, at most backlog + 1",
            zh = what .. "：每行的半连接数：来多少有多少，最多 backlog + 1"}, got.half, want.half)
  if r.syncookies == 0 then
    sc:claim({en = what .. ": every SYN beyond the queue is dropped", zh = what .. "：超出队列的每个 SYN 都被丢弃"},
             got.qfull, want.qfull)
  else
    sc:claim({en = what .. ": a cookie for every SYN beyond the queue", zh = what .. "：超出队列的每个 SYN 都得到 cookie"},
             got.sent, want.sent)
    sc:claim({en = what .. ": the client's ACK comes back with its cookie", zh = what .. "：客户端的 ACK 带着 cookie 返回"},
             got.recv, want.recv)
  end
end

-- without cookies: the client cannot get in
expect(off.client_syns[1]):eq(CLIENT_AT * S)
expect(off.netstat.TcpExtTCPReqQFullDoCookies):eq(0)
sc:claim({en = "no cookies: connect", zh = "无 cookie：connect"}, off.client_err, "timeout")
sc:claim({en = "no cookies: gives up after its patience", zh = "无 cookie：耐心耗尽后放弃"},
         off.client_done, (CLIENT_AT + PATIENCE) * S)
-- (1 s rounded up to Linux's timer wheel: up to 32 ms more, reference 6)
local gap = off.client_syns[2] and off.client_syns[2] - off.client_syns[1]
sc:claim({en = "no cookies: the client's SYN and one retransmission 1 s later (+ the timer wheel's <= 32 ms)",
          zh = "无 cookie：客户端的 SYN 以及 1 秒后（加定时器轮的至多 32 毫秒）的一次重传"},
         {#off.client_syns, gap ~= nil and gap >= S and gap <= S + 32 * MS}, {2, true})
sc:claim({en = "no cookies: both dropped at the server", zh = "无 cookie：两者都在服务器被丢弃"},
         off.client_syn_drops, {"backlog full", "backlog full"})
sc:claim({en = "no cookies: connections accepted", zh = "无 cookie：被接受的连接"},
         {off.accepted, off.netstat.TcpPassiveOpens}, {0, 0})

-- with cookies: the client is in at once, during the flood
expect(on.netstat.TcpExtSyncookiesFailed):eq(0)
expect(on.netstat.TcpExtTCPReqQFullDoCookies, "cookie decisions"):eq(on.netstat.TcpExtSyncookiesSent)
sc:claim({en = "cookies: connect", zh = "cookie：connect"}, on.client_err, nil)
sc:claim({en = "cookies: one SYN, no retransmission", zh = "cookie：一个 SYN，没有重传"}, #on.client_syns, 1)
sc:claim({en = "cookies: connected after one round trip (4 x 0.5 ms), during the flood",
          zh = "cookie：一个往返时间（4 x 0.5 ms）后连接成功，在洪泛期间"},
         on.client_done and on.client_done - CLIENT_AT * S >= 2 * MS and
           on.client_done - CLIENT_AT * S <= 2 * MS + lunet.time("10us") and on.client_done < FLOOD * S, true)
sc:claim({en = "cookies: the echo", zh = "cookie：回显"}, on.echo, "hello")
sc:claim({en = "cookies: the connection accepted, made from a cookie", zh = "cookie：由 cookie 建立并被接受的连接"},
         {on.accepted, on.netstat.TcpPassiveOpens, on.netstat.TcpExtSyncookiesRecv}, {1, 1, 1})
-- every SYN of the flood got an answer: FULL from the queue (plus their
-- retransmissions), the rest cookies; all died at 10.0.0.66
sc:claim({en = "cookies: the flood minus the queue, plus the client", zh = "cookie：洪泛数减去队列容量，加上客户端"},
         on.netstat.TcpExtSyncookiesSent, RATE * FLOOD - FULL + 1)
-- the queued requests' SYN,ACKs went out 3 times each by now (0, +1 s, +3 s)
sc:claim({en = "cookies: SYN,ACK retransmissions", zh = "cookie：SYN,ACK 重传次数"},
         on.netstat.TcpExtTCPSynRetrans, 2 * FULL)
sc:claim({en = "cookies: SYN,ACKs that went nowhere", zh = "cookie：无处可去的 SYN,ACK"},
         on.synacks_lost, RATE * FLOOD - FULL + FULL * 3)
-- the sockets: only the listener is left (the client's connection is closed)
for _, r in ipairs({off, on}) do
  local states = {}
  for _, s in ipairs(r.sockets) do states[#states + 1] = s.state end
  expect(states[1], "syncookies=" .. r.syncookies .. ": the listener"):eq("LISTEN")
  expect(r.sockets[1].send_q, "its backlog, as ss shows it"):eq(BACKLOG)
end
