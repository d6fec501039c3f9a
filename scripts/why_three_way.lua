-- why_three_way.lua - why TCP opens with three segments, not two (point 2
-- of the notes): a delayed, old duplicate SYN reaches the server after the
-- client gave up, and the third segment (here a RST) keeps it from
-- becoming a connection.
--
--   client 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= server 10.0.0.2/24
--
-- The client's SYN is held back on the way (a congested router; here the
-- link's client->server delay is 3 s while the SYN sets off, knob held).  The client's
-- application stops waiting after 500 ms.  When the stale SYN finally
-- arrives, the server answers it like any SYN; the client's stack has no
-- socket for the SYN,ACK and answers RST, and the server forgets the
-- half-open connection.  RFC 9293 3.5 (figure 8) tells the same story.
-- What-ifs: mode=silent takes the client off the network when it gives up,
-- so nothing answers the SYN,ACK and the server resends it until it gives
-- up; held=200ms makes the SYN only late, not old: it arrives while the
-- client still waits, and the handshake completes.
--
-- Run:   lunet run scripts/why_three_way.lua [knob=value ...]   (--help
--        lists the knobs, --lang zh explains in Chinese)
-- Then open the pcap files it names in Wireshark.

local ladder = require "lunet.ladder"

local sc = require("lunet.scenario").new{
  name = "why_three_way",
  title = {en = "Why three segments? A delayed, old duplicate SYN",
           zh = "为什么是三次握手？一个滞留的、已失效的旧 SYN"},
  knobs = {
    {"held", default = "3s", try = "200ms", kind = "time",
     help = {en = "how long a router holds the client's SYN (the client waits 500ms)",
             zh = "路由器把客户端的 SYN 滞留多久（客户端只等 500ms）"}},
    {"mode", default = "rst", try = "silent", values = {"rst", "silent"},
     help = {en = "after giving up the client stays and its stack answers (rst), or leaves the network (silent)",
             zh = "客户端放弃后仍在网上，由协议栈回应（rst），还是离开了网络（silent）"}},
  },
}
local K = sc.k

local PORT = 80
local HELD = K.held                   -- ns the router sits on the SYN
local PATIENCE = lunet.time("500ms")  -- the client application's connect timeout
local DELAY = lunet.time("5ms")       -- the link's one-way delay
local T = lunet.fmt_time

local net = lunet.net{name = "why_three_way"}
local client, server = net:host("client"), net:host("server")
local link = net:link(client, server, {bandwidth = "10Mbps", delay = DELAY / 1e9,
                                       ip = {"10.0.0.1/24", "10.0.0.2/24"}})
-- Static ARP: only the handshake's segments on the wire.
client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
-- Fixed ISNs, as in the notes: x = 1000 (client), y = 2000 (server).
client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
local caps = net:capture{dir = "why_three_way"}   -- one pcap per interface

-- The congested router: the client->server delay is HELD while the SYN
-- starts onto the link (it takes 59 us at 10 Mbit/s; a frame keeps the
-- delay it set off with), and 5 ms again from 1 ms on, for everything
-- else.  (A net:intercept delay would hold the frame before the link, so
-- the ladder would show the SYN leaving late, not arriving late.)
link:set{ab = {delay = HELD / 1e9}}
net:spawn(function()
  lunet.sleep("1ms")
  link:set{ab = {delay = DELAY / 1e9}}
end)

local listener = assert(server:listen(PORT))
local lad = ladder.new(net, {hosts = {client, server}, ports = {PORT}})

-- Half-open connections (requests in SYN_RCVD) are not sockets, so
-- h:sockets() does not list them; count them from the state changes.
local half_open, half_open_max, half_open_log = 0, 0, {}
net:on("tcp", function(ev)
  if ev.node ~= "server" then return end
  if ev.to == "SYN_RCVD" then half_open = half_open + 1
  elseif ev.from == "SYN_RCVD" then half_open = half_open - 1
  else return end
  half_open_max = math.max(half_open_max, half_open)
  half_open_log[#half_open_log + 1] = {time = ev.time, n = half_open}
end)
local syn_noted
net:on("rx", function(ev)
  if ev.node == "server" and ev.flags == "S" and not syn_noted then
    syn_noted = true
    lad:note(sc:t({en = "the held SYN reaches the server, %s late", zh = "被滞留的 SYN 到达服务器，迟到了 %s"},
                  T(HELD)))
  end
end)

local connect_err, gave_up_at, connected
client:spawn(function()
  local s, err = client:connect(server:ip(), PORT, {timeout = PATIENCE / 1e9})
  connect_err, gave_up_at = err, lunet.now()
  if s then                            -- the SYN was only late (held < patience)
    connected = true
    lad:note(sc:t{en = "client app: connect() returned, close()", zh = "客户端应用：connect() 返回，close()"})
    s:close()
    return
  end
  lad:note(sc:t({en = "client app: connect() gave up (%s)", zh = "客户端应用：connect() 放弃（%s）"},
                tostring(err)))
  if K.mode == "silent" then
    client.eth0:down()                 -- the laptop is closed: nobody will answer
    lad:note(sc:t{en = "client: off the network (eth0 down)", zh = "客户端：离开网络（eth0 关闭）"})
  end
end)

local accepted, accept_err
server:spawn(function()
  accepted, accept_err = listener:accept({timeout = "5s"})
  if accepted then
    accepted:receive()                 -- nil, "closed": the client's FIN
    accepted:close()
  end
end)

net:run()                              -- until nothing is left to happen
for _, c in ipairs(caps) do c:flush() end

------------------------------------------------------------------------
-- what happened
------------------------------------------------------------------------

local function S(ns) return ns and string.format("%.3f s", ns / 1e9) or "-" end
local function v(x) if x == nil then return "-" end return x end
local segs = lad:segments()
local syn, synack, third = segs[1], segs[2], segs[3]
local c, s = client:netstat(), server:netstat()
local synacks = 0
for _, g in ipairs(segs) do if g.flags == "SYN,ACK" then synacks = synacks + 1 end end
local closed_at                        -- when the server's request left SYN_RCVD
for _, tr in ipairs(lad:transitions()) do
  if tr.host == "server" and tr.from == "SYN_RCVD" and not closed_at then closed_at = tr.time end
end

sc:say{en = "client 10.0.0.1  ====  10 Mbit/s, 5 ms  ====  server 10.0.0.2:80",
       zh = "客户端 10.0.0.1  ====  10 Mbit/s，5 ms  ====  服务器 10.0.0.2:80"}
print()
lad:print()
print()
sc:say({en = "1. At %s the client sends SYN seq=%s. A router holds it back: it",
        zh = "1. %s 时客户端发出 SYN seq=%s。一台路由器把它滞留了："}, S(syn.time), v(syn.seq))
sc:say({en = "   arrives after %s instead of 5 ms.", zh = "   它经过 %s 才到达，而不是 5 ms。"},
       S(syn.rx_time and syn.rx_time - syn.time))
if connected then
  sc:say({en = "2. It is only late, not old: the client still waits (it gives up after %s).",
          zh = "2. 它只是迟到，并没有失效：客户端还在等待（%s 后才会放弃）。"}, S(PATIENCE))
  sc:say({en = "   The server answers SYN,ACK seq=%s ack=%s, the client's ACK (seq=%s",
          zh = "   服务器回应 SYN,ACK seq=%s ack=%s，客户端的 ACK（seq=%s"},
         v(synack and synack.seq), v(synack and synack.ack), v(third and third.seq))
  sc:say({en = "   ack=%s) confirms it: connect() returns at %s, a normal connection.",
          zh = "   ack=%s）确认了它：connect() 在 %s 返回，这是一条正常的连接。"},
         v(third and third.ack), S(gave_up_at))
  sc:say{en = "   The third segment said \"yes, that is my connection\"; the client then closes.",
         zh = "   第三次握手表示“是的，这是我的连接”；之后客户端关闭连接。"}
else
  sc:say({en = "2. At %s the client's application gives up (connect: %s).",
          zh = "2. %s 时客户端应用放弃了（connect：%s）。"}, S(gave_up_at), tostring(connect_err))
  sc:say{en = "   Its socket is gone: no state at all remains for this connection.",
         zh = "   它的套接字已经没有了：这个连接没有留下任何状态。"}
  sc:say({en = "3. At %s the stale SYN arrives. The server cannot tell it from a new",
          zh = "3. %s 时这个已失效的 SYN 到达。服务器分不清它和新的 SYN："}, S(syn.rx_time))
  sc:say({en = "   one: a half-open request (SYN_RCVD) and SYN,ACK seq=%s ack=%s.",
          zh = "   建立一个半连接（SYN_RCVD），并回应 SYN,ACK seq=%s ack=%s。"},
         v(synack and synack.seq), v(synack and synack.ack))
  if K.mode == "rst" then
    sc:say{en = "4. The client's stack has no socket for that SYN,ACK (X: no socket). It",
           zh = "4. 客户端协议栈没有与这个 SYN,ACK 对应的套接字（X：no socket）。它"}
    sc:say({en = "   answers RST seq=%s: the SYN,ACK's own ack, so the server accepts it.",
            zh = "   回应 RST seq=%s：正是 SYN,ACK 的确认号，所以服务器接受这个 RST。"}, v(third and third.seq))
    sc:say({en = "5. At %s the server drops the request: SYN_RCVD -> CLOSED.",
            zh = "5. %s 时服务器撤销这个请求：SYN_RCVD -> CLOSED。"}, S(closed_at))
  else
    sc:say{en = "4. Nobody answers: the client left the network. The server sends its SYN,ACK",
           zh = "4. 没有人回应：客户端已经离开网络。服务器一共发出"}
    sc:say({en = "   %d times in all (tcp_synack_retries = %d, each wait twice the last).",
            zh = "   %d 次 SYN,ACK（tcp_synack_retries = %d，每次等待时间翻倍）。"},
           synacks, server:sysctl("net.ipv4.tcp_synack_retries"))
    sc:say({en = "5. It keeps the half-open request until %s, then gives up: SYN_RCVD -> CLOSED.",
            zh = "5. 它一直保留这个半连接，直到 %s 才放弃：SYN_RCVD -> CLOSED。"}, S(closed_at))
  end
  sc:say({en = "   accept() never returns a connection (%s after 5 s).",
          zh = "   accept() 始终没有返回连接（5 秒后 %s）。"}, tostring(accept_err))
end
print()
sc:say{en = "With a two-way handshake, SYN and SYN,ACK would be all: at step 3 the",
       zh = "如果只有两次握手，SYN 和 SYN,ACK 就是全部：在第 3 步服务器就会"}
sc:say{en = "server would call the connection ESTABLISHED, give it buffers and hand it",
       zh = "认为连接已经 ESTABLISHED，为它分配缓存并交给 accept()，"}
sc:say{en = "to accept(), and its application would wait for a request that never comes.",
       zh = "它的应用会一直等待一个永远不会到来的请求，白白浪费资源。"}
sc:say{en = "Nor would the server ever learn whether its own ISN (y=2000) arrived: two",
       zh = "服务器也永远无法知道自己的初始序号（y=2000）是否到达：两次握手"}
sc:say{en = "segments confirm only the client's ISN.  The third segment is the client",
       zh = "至多只能确认发起方的初始序号。第三次握手是客户端在说"}
sc:say{en = "saying \"yes, that is my connection\" (ACK) -- or \"no\" (RST).",
       zh = "“是的，这是我的连接”（ACK），或者“不是”（RST）。"}
if K.mode == "silent" and not connected then
  sc:say{en = "Here even \"no\" never came: three segments still bound the waste to a few",
         zh = "这次连“不是”也没有来：三次握手仍然把浪费限制在几次"}
  sc:say{en = "SYN,ACK retries, where two would leave the server an ESTABLISHED orphan.",
         zh = "SYN,ACK 重传之内；而两次握手会给服务器留下一个无人认领的 ESTABLISHED 连接。"}
end
print()
local function row(name, a, b)          -- name padded in columns: a Chinese character takes two
  local cols = 0
  for _, cp in utf8.codes(name) do cols = cols + (cp >= 0x1100 and 2 or 1) end
  print(string.format("  %s%s %6s  %6s", name, (" "):rep(math.max(0, 20 - cols)), a, b))
end
print("                       client  server")
row("TcpActiveOpens", c.TcpActiveOpens, "-")
row("TcpPassiveOpens", "-", s.TcpPassiveOpens)
row("TcpAttemptFails", c.TcpAttemptFails, s.TcpAttemptFails)
row("TcpOutRsts", c.TcpOutRsts, s.TcpOutRsts)
row("TcpExtEmbryonicRsts", "-", s.TcpExtEmbryonicRsts)
row("TcpCurrEstab", c.TcpCurrEstab, s.TcpCurrEstab)
row(sc:t{en = "half-open, most", zh = "半连接，最多"}, "-", half_open_max)
row(sc:t{en = "half-open, now", zh = "半连接，现在"}, "-", half_open)
sc:say{en = "(EmbryonicRsts: a RST killed a half-open connection; the client's",
       zh = "（EmbryonicRsts：一个 RST 终止了一个半连接；客户端的"}
sc:say{en = "AttemptFails is its own abandoned SYN_SENT.)",
       zh = "AttemptFails 是它自己放弃的 SYN_SENT。）"}
print()
for _, cap in ipairs(caps) do
  sc:say({en = "pcap: %s — open it in Wireshark (%d frames)", zh = "pcap：%s — 用 Wireshark 打开（%d 帧）"},
         cap.path, cap:count())
end

------------------------------------------------------------------------
-- the claims above, checked
------------------------------------------------------------------------

-- the held SYN and its answer: any knob
expect(syn.from):eq("client")
expect(syn.flags):eq("SYN")
expect(syn.seq, "old SYN seq"):eq(1000)
expect(syn.time, "the SYN leaves at once"):eq(0)
expect(syn.lost, "the SYN is late, not lost"):is_nil()
expect(syn.rx_time - syn.time, "held for HELD (+ serialization)"):within(HELD, HELD + lunet.time("1ms"))
expect(synack.from):eq("server")
expect(synack.flags):eq("SYN,ACK")
expect(synack.seq, "server ISN"):eq(2000)
expect(synack.ack, "acknowledges the old SYN"):eq(1001)
expect(synack.time, "answered on arrival"):eq(syn.rx_time)
expect(c.TcpActiveOpens):eq(1)
expect(half_open_max, "one half-open connection"):eq(1)
expect(half_open, "none left"):eq(0)
expect(#half_open_log):eq(2)
expect(half_open_log[1].time):eq(syn.rx_time)

-- the textbook: the SYN is old, and the client's stack says so
sc:claim({en = "the client gives up", zh = "客户端放弃"}, connect_err, "timeout")
sc:claim({en = "the SYN arrives after the client gave up", zh = "SYN 在客户端放弃之后才到达"},
         syn.rx_time > gave_up_at, true)
expect(gave_up_at, "the client stops waiting at its patience, or on the SYN,ACK"):le(PATIENCE)
sc:claim({en = "segments in all", zh = "报文段总数"}, #segs, 3)
sc:claim({en = "the SYN,ACK finds no socket at the client", zh = "SYN,ACK 在客户端找不到套接字"},
         synack.lost, "no socket")
sc:claim({en = "the third segment: a bare RST, seq = the SYN,ACK's ack, at once",
          zh = "第三个报文段：单独的 RST，seq = SYN,ACK 的确认号，立即发出"},
         third and {from = third.from, flags = third.flags, seq = third.seq, ack = third.ack,
                    at_once = third.time == synack.rx_time, lost = third.lost},
         {from = "client", flags = "RST", seq = synack.ack, at_once = true})
sc:claim({en = "client states", zh = "客户端的状态"}, lad:states(client), {"CLOSED", "SYN_SENT", "CLOSED"})
sc:claim({en = "server states", zh = "服务器的状态"}, lad:states(server), {"LISTEN", "SYN_RCVD", "CLOSED"})
sc:claim({en = "the request dies when the RST arrives", zh = "RST 到达时请求被撤销"},
         closed_at ~= nil and closed_at == (third and third.rx_time), true)
sc:claim({en = "nothing to accept", zh = "没有可以 accept 的连接"}, {accepted ~= nil, accept_err},
         {false, "timeout"})
sc:claim({en = "counters", zh = "计数器"},
         {client_AttemptFails = c.TcpAttemptFails, client_OutRsts = c.TcpOutRsts,
          server_PassiveOpens = s.TcpPassiveOpens, server_AttemptFails = s.TcpAttemptFails,
          server_EmbryonicRsts = s.TcpExtEmbryonicRsts, server_OutRsts = s.TcpOutRsts},
         {client_AttemptFails = 1, client_OutRsts = 1, server_PassiveOpens = 0, server_AttemptFails = 1,
          server_EmbryonicRsts = 1, server_OutRsts = 0})
-- at the end, any knob: nothing is left but the listener
local socks = server:sockets("tcp")
expect(#socks, "the server has only its listener"):eq(1)
expect(socks[1].state):eq("LISTEN")
expect(socks[1].recv_q, "accept queue"):eq(0)
expect(s.TcpCurrEstab):eq(0)
expect(c.TcpCurrEstab):eq(0)
sc:claim({en = "client sockets", zh = "客户端的套接字"}, #client:sockets("tcp"), 0)
listener:close()
