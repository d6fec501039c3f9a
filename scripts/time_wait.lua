-- time_wait.lua - TIME_WAIT and 2 MSL: why the side that closes first
-- waits, and what the waiting costs (points 6 and 7 of the notes).
--
--   client 10.0.0.1/24 ======= 10 Mbit/s, 5 ms ======= server 10.0.0.2/24
--
-- Three short experiments, each on a fresh network:
--   A. The last ACK of the close is lost.  The server, in LAST_ACK,
--      retransmits its FIN; the client, in TIME_WAIT, still knows the
--      connection, ACKs the FIN again and starts its 2 MSL over.
--      (lose=fin loses the server's FIN instead, lose=none nothing.)
--   B. A busy web server closes every connection itself (HTTP with
--      "Connection: close"): the TIME_WAIT sockets pile up on the server.
--      (closer=client: the clients close first and keep them instead.)
--   C. The server crashes with connections open and is restarted at once:
--      bind(80) fails with "in use" while its old connections sit in
--      TIME_WAIT, unless SO_REUSEADDR was set on the old socket and on the
--      new one (Linux's rule); after 2 MSL it works without.  A server
--      that retries every second is back after 2 MSL, or at once with
--      SO_REUSEADDR (reuseaddr=on).
-- MSL is lunet's net.ipv4.tcp_msl (30 s), so TIME_WAIT lasts 60 s, as on
-- Linux (msl= changes it on every host).
--
-- Run:   lunet run scripts/time_wait.lua [knob=value ...]   (--help lists
--        the knobs, --lang zh explains in Chinese)
-- Then open the pcap files it names in Wireshark (experiment A).

local ladder = require "lunet.ladder"

local sc = require("lunet.scenario").new{
  name = "time_wait",
  title = {en = "TIME_WAIT and 2MSL: why the side that closes first waits, and what the waiting costs",
           zh = "TIME_WAIT 与 2MSL：为什么先关闭的一方要等待，以及等待的代价"},
  knobs = {
    {"lose", default = "last_ack", try = "none", values = {"last_ack", "fin", "none"},
     help = {en = "A: what the network loses in the close: the client's last ACK, the server's FIN, or nothing",
             zh = "A：网络在挥手中丢掉什么：客户端的最后一个 ACK、服务器的 FIN，或什么都不丢"}},
    {"msl", default = "30s", try = "5s", kind = "time",
     help = {en = "MSL (net.ipv4.tcp_msl) on every host: TIME_WAIT lasts 2MSL (10ms..600s)",
             zh = "每台主机的 MSL（net.ipv4.tcp_msl）：TIME_WAIT 持续 2MSL（10ms..600s）"}},
    {"closer", default = "server", try = "client", values = {"server", "client"},
     help = {en = "B: who closes each HTTP connection first (and so keeps its TIME_WAIT)",
             zh = "B：每个 HTTP 连接由谁先关闭（主动关闭的一方承担 TIME_WAIT）"}},
    {"reuseaddr", default = "off", try = "on", kind = "boolean",
     help = {en = "C: the restarted web server sets SO_REUSEADDR (on its old listener and its new socket)",
             zh = "C：重启的 Web 服务器是否设置 SO_REUSEADDR（旧的监听套接字和新套接字都设置）"}},
  },
}
local K = sc.k

if K.msl < lunet.time("10ms") or K.msl > lunet.time("600s") then
  io.stdout:flush()
  io.stderr:write("lunet: msl=" .. lunet.fmt_time(K.msl) .. ": out of range (10ms..600s)\n")
  os.exit(2)
end

local S = lunet.time("1s")
local TWO_MSL = 2 * K.msl                -- ns, as event times
local function T(ns) return string.format("%.3f s", ns / 1e9) end
local function secs(ns)                  -- "60 s", "10 s", "0.2 s"
  if ns % S == 0 then return string.format("%d s", ns // S) end
  return string.format("%g s", ns / S)
end
-- With knobs changed a segment the text refers to may not exist: print
-- "-" for it rather than failing in string.format.
local function v(x) if x == nil then return "-" end return x end
local HOST = {server = {en = "server", zh = "服务器"}, client = {en = "client", zh = "客户端"}}

local function lab(name)
  local net = lunet.net{name = name}
  local client, server = net:host("client"), net:host("server")
  local link = net:link(client, server, {bandwidth = "10Mbps", delay = "5ms",
                                         ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  -- static ARP: only TCP on the wire
  client:arp_set("10.0.0.2", server.eth0.mac, "eth0")
  server:arp_set("10.0.0.1", client.eth0.mac, "eth0")
  for _, h in ipairs{client, server} do h:sysctl("net.ipv4.tcp_msl", K.msl / 1e9) end
  return net, client, server, link
end

local function count(h, state)
  local n = 0
  for _, s in ipairs(h:sockets("tcp")) do
    if s.state == state then n = n + 1 end
  end
  return n
end

local function timewait_left(h)
  for _, s in ipairs(h:sockets("tcp")) do
    if s.state == "TIME_WAIT" then return s.timer_left end
  end
end

local pcaps = {}

------------------------------------------------------------------------
-- A. the last ACK is lost
------------------------------------------------------------------------

do
  local net, client, server, link = lab("time_wait_lost_ack")
  client:sysctl("net.ipv4.tcp_fixed_isn", 1000)
  server:sysctl("net.ipv4.tcp_fixed_isn", 2000)
  expect(2 * lunet.time(client:sysctl("net.ipv4.tcp_msl")), "2 MSL as set"):eq(TWO_MSL)
  for _, c in ipairs(net:capture{dir = "time_wait"}) do pcaps[#pcaps + 1] = c end
  local listener = assert(server:listen(80))
  local lad = ladder.new(net, {hosts = {client, server}, ports = {80}})

  -- TIME_WAIT's timer as `ss -tan -o` would show it, just before and just
  -- after the client handles a second FIN
  local fins_in, left_before, left_after = 0, nil, nil
  net:on("rx", function(ev)
    if ev.node == "client" and ev.proto == "tcp" and ev.flags:find("F", 1, true) then
      fins_in = fins_in + 1
      if fins_in == 2 then
        left_before = timewait_left(client)
        if left_before then
          lad:note(sc:t({en = "client: FIN again, in TIME_WAIT with %s to go",
                         zh = "客户端：又收到 FIN，TIME_WAIT 还剩 %s"}, T(left_before)))
        else
          lad:note(sc:t{en = "client: FIN again, but TIME_WAIT is over: no such connection",
                        zh = "客户端：又收到 FIN，但 TIME_WAIT 已结束：没有这个连接了"})
        end
      end
    end
  end)
  local answered = false
  net:on("tx", function(ev)
    if ev.node == "client" and ev.proto == "tcp" and fins_in == 2 and not answered then
      answered, left_after = true, timewait_left(client)
      if left_after then
        lad:note(sc:t({en = "client: ACKs it again; TIME_WAIT restarts at %s",
                       zh = "客户端：再次确认；TIME_WAIT 重新从 %s 开始"}, T(left_after)))
      end
    end
  end)

  server:spawn(function()
    local c = listener:accept()
    c:receive("*a")                      -- until the client's FIN
    lunet.sleep("200ms")                 -- the server application takes its time
    -- the link loses everything one way for 20 ms: the client's last ACK
    -- (client -> server) or the server's FIN (server -> client)
    if K.lose == "last_ack" then link:set{ab = {loss = 1}} end
    if K.lose == "fin" then link:set{ba = {loss = 1}} end
    c:close()                            -- our FIN: LAST_ACK
    lunet.sleep("20ms")                  -- ... until that segment is gone
    link:set{ab = {loss = 0}, ba = {loss = 0}}
  end)
  client:spawn(function()
    local s = assert(client:connect(server:ip(), 80))
    s:close()                            -- the client closes first
  end)
  net:run()                              -- until the client's TIME_WAIT is over
  lad:stop()
  listener:close()

  local segs = lad:segments()
  local fins = {}
  for _, s in ipairs(segs) do
    if s.fin and s.from == "server" then fins[#fins + 1] = s end
  end
  local w = fins[1].seq
  -- the client's ACKs of the server's FIN (ack = w + 1): the last ACK, and
  -- its repetition if the FIN came twice
  local acks = {}
  for _, s in ipairs(segs) do
    if s.from == "client" and s.flags == "ACK" and s.ack == w + 1 then acks[#acks + 1] = s end
  end
  local final = acks[#acks]              -- the one that reached the server
  local rst                              -- the client's answer to a FIN after TIME_WAIT
  for _, s in ipairs(segs) do
    if s.from == "client" and s.rst then rst = rst or s end
  end
  local tw_in, tw_out, srv_closed
  for _, r in ipairs(lad:transitions()) do
    if r.host == "client" and r.to == "TIME_WAIT" then tw_in = r.time end
    if r.host == "client" and r.from == "TIME_WAIT" then tw_out = r.time end
    if r.host == "server" and r.from == "LAST_ACK" then srv_closed = r.time end
  end

  local HEAD = {last_ack = {en = "A. TIME_WAIT: the last ACK is lost", zh = "A. TIME_WAIT：最后一个 ACK 丢失"},
                fin = {en = "A. TIME_WAIT: the server's FIN is lost", zh = "A. TIME_WAIT：服务器的 FIN 丢失"},
                none = {en = "A. TIME_WAIT: nothing is lost", zh = "A. TIME_WAIT：没有丢包"}}
  sc:say(HEAD[K.lose])
  sc:say{en = "client 10.0.0.1  ====  10 Mbit/s, 5 ms  ====  server 10.0.0.2:80",
         zh = "客户端 10.0.0.1  ====  10 Mbit/s，5 ms  ====  服务器 10.0.0.2:80"}
  print()
  lad:print()
  print()
  if K.lose == "last_ack" then
    sc:say({en = "The client closed first; after the server's FIN (seq=w=%d) it is in\n" ..
                 "TIME_WAIT and sends the last ACK (ack=w+1=%s). That ACK is lost.\n" ..
                 "The server, in LAST_ACK, hears nothing and resends its FIN %s later\n" ..
                 "(its retransmission timeout).",
            zh = "客户端先关闭；收到服务器的 FIN（seq=w=%d）后进入 TIME_WAIT，\n" ..
                 "发出最后一个 ACK（ack=w+1=%s）。这个 ACK 丢失了。\n" ..
                 "处于 LAST_ACK 的服务器等不到确认，%s 后重发它的 FIN（超时重传）。"},
           w, v(acks[1] and acks[1].ack), fins[2] and T(fins[2].time - fins[1].time) or "-")
    if left_after then
      sc:say({en = "The client still has the connection, in TIME_WAIT: it ACKs the FIN again\n" ..
                   "and starts 2 MSL over (%s left before, %s after).\n" ..
                   "The server closes on that ACK. TIME_WAIT ends at %s: 2 MSL after\n" ..
                   "the re-ACK, %s after it began.",
              zh = "客户端仍在 TIME_WAIT，还记得这个连接：它再次确认这个 FIN，并重新开始\n" ..
                   "计时 2MSL（之前还剩 %s，之后为 %s）。服务器收到这个 ACK 后关闭。\n" ..
                   "TIME_WAIT 在 %s 结束：即重发的 ACK 之后 2MSL，从进入 TIME_WAIT 算起共 %s。"},
             T(left_before), T(left_after), T(tw_out), T(tw_out - tw_in))
    end
  elseif K.lose == "fin" then
    sc:say({en = "The client closed first. The server's FIN (seq=w=%d) is lost: the client,\n" ..
                 "in FIN_WAIT_2, has nothing to acknowledge and waits. The server, in\n" ..
                 "LAST_ACK, hears nothing and resends its FIN %s later (its retransmission\n" ..
                 "timeout). Only then does the client enter TIME_WAIT and send the last ACK\n" ..
                 "(ack=w+1=%s); the server closes on it. TIME_WAIT lasts 2 MSL from that ACK:\n" ..
                 "%s. A lost FIN is repaired by its sender's timer; TIME_WAIT is there for\n" ..
                 "the lost last ACK (lose=last_ack).",
            zh = "客户端先关闭。服务器的 FIN（seq=w=%d）丢失了：处于 FIN_WAIT_2 的客户端\n" ..
                 "没有什么可确认的，只能等待。处于 LAST_ACK 的服务器等不到确认，%s 后\n" ..
                 "重发它的 FIN（超时重传）。这时客户端才进入 TIME_WAIT，发出最后一个 ACK\n" ..
                 "（ack=w+1=%s）；服务器收到后关闭。TIME_WAIT 从这个 ACK 起持续 2MSL：\n" ..
                 "%s。丢失的 FIN 由发送方自己的定时器重传来弥补；TIME_WAIT 是为\n" ..
                 "丢失的最后一个 ACK 准备的（试试 lose=last_ack）。"},
           w, fins[2] and T(fins[2].time - fins[1].time) or "-", v(final and final.ack), T(tw_out - tw_in))
  else
    sc:say({en = "The client closed first; after the server's FIN (seq=w=%d) it is in\n" ..
                 "TIME_WAIT and sends the last ACK (ack=w+1=%s). Nothing is lost: the server\n" ..
                 "closes on that ACK. The client cannot know that the ACK arrived, so it\n" ..
                 "still waits 2 MSL (%s) in case the server's FIN comes again\n" ..
                 "(lose=last_ack shows that case).",
            zh = "客户端先关闭；收到服务器的 FIN（seq=w=%d）后进入 TIME_WAIT，\n" ..
                 "发出最后一个 ACK（ack=w+1=%s）。这次没有丢包：服务器收到这个 ACK 后关闭。\n" ..
                 "客户端无法知道这个 ACK 是否到达，所以仍要等待 2MSL（%s），\n" ..
                 "以防服务器的 FIN 再次到来（lose=last_ack 演示了这种情况）。"},
           w, v(final and final.ack), T(tw_out - tw_in))
  end
  if rst then
    sc:say({en = "But TIME_WAIT (2MSL = %s) was over before the server's FIN came again:\n" ..
                 "the client had forgotten the connection and answered the FIN with RST\n" ..
                 "(%s). The server's close ended in an error instead of an ACK.",
            zh = "但是 TIME_WAIT（2MSL = %s）在服务器的 FIN 再次到来之前就结束了：\n" ..
                 "客户端已经忘掉了这个连接，只能用 RST 回应这个 FIN（%s）。\n" ..
                 "服务器的关闭以错误告终，而不是收到 ACK。"}, secs(TWO_MSL), rst.label)
  end
  sc:say{en = "Had the client forgotten the connection at once, a second FIN would\n" ..
              "have found no socket and been answered with RST: a clean close turned\n" ..
              "into an error. Waiting 2 MSL also lets stray old segments of this\n" ..
              "connection die out before the same four-tuple is used again.",
         zh = "如果客户端立即忘掉这个连接，再来的 FIN 就找不到套接字，只能得到 RST：\n" ..
              "一次正常的关闭变成了错误。等待 2MSL 还能让本连接残留在网络中的旧报文段\n" ..
              "全部消失，之后同一个四元组才会被新连接使用。"}
  print()

  -- whatever is lost: the close itself, and 2 MSL after the last ACK
  expect(w, "w (the server sent no data)"):eq(2001)
  expect(acks[1], "the client's ACK of the server's FIN"):truthy()
  expect(acks[1].time, "the first last ACK: sent on entering TIME_WAIT"):eq(tw_in)
  expect(lad:states(client)):eq({"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                                 "TIME_WAIT", "CLOSED"})
  expect(lad:states(server)):eq({"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK",
                                 "CLOSED"})
  expect(client:netstat().TcpExtTW, "one timewait socket (counted as it started)"):eq(1)
  if rst then
    expect(tw_out - tw_in, "TIME_WAIT lasted 2 MSL"):eq(TWO_MSL)
    expect(rst.time, "RST when the FIN came again"):eq(fins[2].rx_time)
    expect(srv_closed, "server LAST_ACK -> CLOSED on the RST"):eq(rst.rx_time)
  else
    expect(final.lost, "the last ACK that counts arrives"):is_nil()
    expect(tw_out - final.time, "TIME_WAIT ends 2 MSL after the last ACK sent"):eq(TWO_MSL)
    expect(srv_closed, "server LAST_ACK -> CLOSED on the ACK that arrives"):eq(final.rx_time)
  end
  if fins[2] then
    expect(fins[2].seq, "the same FIN"):eq(fins[1].seq)
    expect(fins[2].retransmission):eq(true)
    expect(fins[2].time - fins[1].time, "an RTO later (200 ms + a little)"):within(lunet.time("200ms"),
                                                                                lunet.time("250ms"))
  end
  if left_after then
    expect(left_before, "timer before"):eq(TWO_MSL - (fins[2].rx_time - tw_in))
    expect(left_after, "timer restarted"):eq(TWO_MSL)
    expect(final.time, "re-ACK when the second FIN arrives"):eq(fins[2].rx_time)
  end
  -- what the lost last ACK causes
  sc:claim({en = "A: server FINs: the original and one retransmission", zh = "A：服务器的 FIN：原始的和一次重传"},
           #fins, 2)
  sc:claim({en = "A: the client's last ACK is lost", zh = "A：客户端的最后一个 ACK 丢失"},
           acks[1] and acks[1].lost, "loss")
  sc:claim({en = "A: the client ACKs the server's FIN twice", zh = "A：客户端两次确认服务器的 FIN"},
           #acks, 2)
  sc:claim({en = "A: TIME_WAIT's timer restarted on the second FIN", zh = "A：第二个 FIN 到达时 TIME_WAIT 重新计时"},
           left_after and T(left_after), T(TWO_MSL))
  sc:claim({en = "A: no RST", zh = "A：没有 RST"}, rst and rst.label, nil)
  sc:claim({en = "A: TIME_WAIT longer than 2MSL in all", zh = "A：TIME_WAIT 总时长超过 2MSL"},
           tw_out - tw_in > TWO_MSL, true)
end

------------------------------------------------------------------------
-- B. a busy server that closes first
------------------------------------------------------------------------

do
  local N, EVERY = 100, 0.1                 -- 10 requests a second for 10 s
  local net, client, server = lab("time_wait_busy")
  local RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n"
  -- a web server like h:http_server: one request per connection; it
  -- closes after its response (closer=server), or waits for the client's
  -- close (closer=client)
  local listener = assert(server:listen(80))
  server:spawn(function()
    while true do
      local c = listener:accept()
      if not c then return end
      server:spawn(function()
        repeat local line = c:receive("*l") until not line or line == ""
        c:send(RESPONSE)
        if K.closer == "client" then c:receive("*a") end
        c:close()
      end)
    end
  end)
  local ok = 0
  for i = 0, N - 1 do
    client:spawn(function()
      lunet.sleep(i * EVERY)
      local c = assert(client:connect(server:ip(), 80))
      c:send("GET / HTTP/1.1\r\nHost: server\r\nConnection: close\r\n\r\n")
      -- an HTTP/1.0-style client reads until the server closes; one that
      -- closes first reads the response (its length is known), then closes
      local reply = K.closer == "server" and c:receive("*a") or c:receive(#RESPONSE)
      c:close()
      if reply == RESPONSE then ok = ok + 1 end
    end)
  end
  local closer = K.closer == "server" and server or client
  local rows, listing, server_socks = {}, nil, nil
  for _, at in ipairs({5, 10, 30, 65, 75}) do
    net:run_until(at)
    if at == 10 then listing, server_socks = closer:sockets("tcp"), #server:sockets("tcp") end
    rows[#rows + 1] = {at = at, server = count(server, "TIME_WAIT"), client = count(client, "TIME_WAIT")}
  end

  if K.closer == "server" then
    sc:say{en = "B. A busy server that closes first keeps the TIME_WAIT sockets",
           zh = "B. 繁忙的服务器主动关闭连接，TIME_WAIT 套接字都留在服务器上"}
    sc:say({en = "%d HTTP requests, one every %d ms (\"Connection: close\": the server\n" ..
                 "closes each connection after its response).",
            zh = "%d 个 HTTP 请求，每 %d ms 一个（\"Connection: close\"：服务器发完响应后\n" ..
                 "主动关闭每个连接）。"}, N, math.floor(EVERY * 1000))
  else
    sc:say{en = "B. Clients that close first keep the TIME_WAIT sockets themselves",
           zh = "B. 客户端先关闭连接，TIME_WAIT 套接字就留在客户端上"}
    sc:say({en = "%d HTTP requests, one every %d ms; this time each client closes its\n" ..
                 "connection as soon as it has read the response, before the server.",
            zh = "%d 个 HTTP 请求，每 %d ms 一个；这次每个客户端读完响应就立即关闭连接，\n" ..
                 "先于服务器。"}, N, math.floor(EVERY * 1000))
  end
  print()
  sc:say{en = "   time    TIME_WAIT on the server   TIME_WAIT on the client",
         zh = "   时间    服务器上的 TIME_WAIT      客户端上的 TIME_WAIT"}
  for _, r in ipairs(rows) do
    print(string.format("  %4d s    %10d                %10d", r.at, r.server, r.client))
  end
  print()
  sc:say({en = "`ss -tan -o` on the %s at 10 s (first lines):", zh = "10 s 时%s上的 `ss -tan -o`（前几行）："},
         sc:t(HOST[closer.name]))
  local shown, tws = 0, 0
  for _, s in ipairs(listing) do
    if s.state == "TIME_WAIT" then
      tws = tws + 1
      if shown < 3 then
        shown = shown + 1
        print(string.format("  %-10s %-15s %-17s timer:(timewait,%.1fs)", s.state, s["local"], s.remote,
                            s.timer_left / S))
      end
    end
  end
  sc:say({en = "  ... %d TIME_WAIT in all%s", zh = "  …… 共 %d 个 TIME_WAIT%s"}, tws,
         K.closer == "server" and sc:t{en = ", beside the listener", zh = "，另有监听套接字"} or "")
  local settle = string.format("%d", 1000 * TWO_MSL // S)
  settle = settle:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  sc:say({en = "Each one stays 2MSL = %s: memory, an entry in the connection table, a\n" ..
               "four-tuple that cannot be used again. The count settles at rate x 2MSL:\n" ..
               "1,000 connections a second keep %s sockets in TIME_WAIT. %s",
          zh = "每个都要停留 2MSL = %s：占用内存、连接表中的一项，以及一个暂时不能再用的\n" ..
               "四元组。数量稳定在 速率 x 2MSL：每秒 1,000 个连接就会让 %s 个套接字\n" ..
               "处于 TIME_WAIT。%s"},
         secs(TWO_MSL), settle,
         K.closer == "server" and sc:t{en = "The clients,\nwhich closed second, keep none.", zh = "后关闭的客户端一个也不保留。"}
                               or sc:t{en = "The server,\nwhich closed second, keeps none.", zh = "后关闭的服务器一个也不保留。"})
  print()

  expect(ok, "all requests answered"):eq(N)
  local other = closer == server and client or server
  local tw_of = function(r) return closer == server and r.server or r.client end
  local tw_other = function(r) return closer == server and r.client or r.server end
  for _, r in ipairs(rows) do
    expect(tw_other(r), "TIME_WAIT on the side that closed second at " .. r.at .. " s"):eq(0)
  end
  expect(other:netstat().TcpExtTW, "none on the side that closed second"):eq(0)
  for _, s in ipairs(listing) do
    if s.state == "TIME_WAIT" then
      expect(s["local"]:match("^[^:]+"), "TIME_WAIT on the closer's address"):eq(closer:ip())
      if closer == server then expect(s["local"], "the server's TIME_WAIT hold port 80"):eq("10.0.0.2:80") end
      expect(s.timer):eq("timewait")
      expect(s.timer_left):within(math.max(TWO_MSL - 10 * S, 0), TWO_MSL)
    else
      expect(s.state, "the only other socket"):eq("LISTEN")
    end
  end
  sc:claim({en = "B: TIME_WAIT on the server after 5 s: the 50 requests so far",
            zh = "B：5 s 后服务器上的 TIME_WAIT：此前的 50 个请求"}, rows[1].server, 50)
  sc:claim({en = "B: after 10 s: all of them", zh = "B：10 s 后：全部"}, rows[2].server, N)
  sc:claim({en = "B: after 30 s: still all", zh = "B：30 s 后：仍是全部"}, rows[3].server, N)
  sc:claim({en = "B: after 65 s: those of the last 5 s (60 s each)", zh = "B：65 s 后：最后 5 s 的那些（每个 60 s）"},
           rows[4].server, 50)
  sc:claim({en = "B: after 75 s: none", zh = "B：75 s 后：没有了"}, rows[5].server, 0)
  sc:claim({en = "B: TIME_WAIT on the client", zh = "B：客户端上的 TIME_WAIT"},
           {rows[1].client, rows[2].client, rows[3].client, rows[4].client, rows[5].client}, {0, 0, 0, 0, 0})
  sc:claim({en = "B: the server's sockets at 10 s: the listener and the TIME_WAIT sockets",
            zh = "B：10 s 时服务器的套接字：监听套接字和 TIME_WAIT 套接字"}, server_socks, N + 1)
  sc:claim({en = "B: TcpExtTW on the server: every one of them (counted as each started)",
            zh = "B：服务器上的 TcpExtTW：全部（每个开始时计数）"},
           server:netstat().TcpExtTW, N)
end

------------------------------------------------------------------------
-- C. the server crashes and restarts on port 80
------------------------------------------------------------------------

-- A server (listener with SO_REUSEADDR old_ra) with three open
-- connections crashes at 1 s: the kernel closes its sockets, the clients
-- close theirs on EOF, and the server's connections end in TIME_WAIT.
local function crash(name, old_ra)
  local net, client, server = lab(name)
  local listener = assert(server:listen(80, {reuseaddr = old_ra}))
  local conns = {}
  server:spawn(function()
    while true do
      local c = listener:accept()
      if not c then return end
      conns[#conns + 1] = c
    end
  end)
  for _ = 1, 3 do
    client:spawn(function()
      local s = assert(client:connect(server:ip(), 80))
      s:receive("*a")                      -- idle until the server goes away
      s:close()
    end)
  end
  net:run_until(1)
  -- the crash: the process dies, the kernel closes everything it had open
  for _, c in ipairs(conns) do c:close() end
  listener:close()
  return net, client, server
end

-- At 2 s a new server tries bind(80) with SO_REUSEADDR new_ra; later,
-- once 2 MSL have passed, a socket without it tries.
local LATER = math.max(3, 2 + TWO_MSL // S)      -- s: 62 with the textbook's MSL
local function restart(old_ra, new_ra)
  local net, client, server = crash("time_wait_restart", old_ra)
  net:run_until(2)
  local r = {tw = count(server, "TIME_WAIT"), others = #server:sockets("tcp") - count(server, "TIME_WAIT")}
  local s = server:tcp{reuseaddr = new_ra}
  r.ok, r.err = s:bind(80)
  if r.ok then
    -- the new server works: listen and serve a client
    assert(s:listen())
    local got
    server:spawn(function()
      local c = s:accept()
      c:send("back\n")
      c:receive("*a")                    -- this time the client closes first
      c:close()
    end)
    client:spawn(function()
      local c = assert(client:connect(server:ip(), 80))
      got = c:receive("*l")
      c:close()
    end)
    net:run_until(3)
    r.served = got
  end
  s:close()
  -- without SO_REUSEADDR, once TIME_WAIT is over
  net:run_until(LATER)
  r.tw_later = count(server, "TIME_WAIT")
  local s2 = server:tcp()
  r.later_ok, r.later_err = s2:bind(80)
  s2:close()
  return r
end

-- The server as a supervisor restarts it: from 2 s on it tries bind(80)
-- every second, SO_REUSEADDR `ra` on the old listener and the new socket.
-- Returns the second at which bind worked and the failures before it.
local function comeback(ra)
  local net, _, server = crash("time_wait_comeback", ra)
  local t, fails, err = 2, 0, nil
  while t <= LATER + 5 do
    net:run_until(t)
    local s = server:tcp{reuseaddr = ra}
    local ok, e = s:bind(80)
    s:close()
    if ok then return t, fails, err end
    fails, err, t = fails + 1, e, t + 1
  end
  return nil, fails, err
end

do
  local cases = {}
  for _, old in ipairs({false, true}) do
    for _, new in ipairs({false, true}) do
      cases[#cases + 1] = {old = old, new = new, r = restart(old, new)}
    end
  end
  local yn = function(b) return b and sc:t{en = "yes", zh = "是"} or sc:t{en = "no", zh = "否"} end
  local back, fails, fail_err = comeback(K.reuseaddr)

  sc:say{en = "C. The server crashes and is restarted at once on port 80",
         zh = "C. 服务器崩溃后立即在 80 端口重启"}
  sc:say({en = "It had 3 connections; at 1 s it dies and the kernel closes them. A\n" ..
               "second later it has %d sockets in TIME_WAIT on 10.0.0.2:80 and is\n" ..
               "started again: socket(), setsockopt(SO_REUSEADDR)?, bind(80).",
          zh = "它有 3 个连接；1 s 时进程挂掉，内核关闭这些连接（服务器主动关闭）。\n" ..
               "一秒后它在 10.0.0.2:80 上有 %d 个 TIME_WAIT 套接字，此时重新启动：\n" ..
               "socket()、setsockopt(SO_REUSEADDR)?、bind(80)。"}, cases[1].r.tw)
  print()
  sc:say({en = "  SO_REUSEADDR on the    SO_REUSEADDR on    bind(80) at 2 s     bind(80) at %d s,\n" ..
               "  crashed listener       the new socket                         no SO_REUSEADDR",
          zh = "  崩溃前的监听套接字     新套接字上         2 s 时 bind(80)     %d s 时 bind(80)，\n" ..
               "  设置 SO_REUSEADDR      设置 SO_REUSEADDR                      不设置 SO_REUSEADDR"},
         LATER)
  local function pad(text, width)          -- in terminal columns: a Chinese character takes two
    local cols = 0
    for _, cp in utf8.codes(text) do cols = cols + (cp >= 0x1100 and 2 or 1) end
    return text .. string.rep(" ", width - cols)
  end
  for _, c in ipairs(cases) do
    local now = c.r.ok and "ok" or ('"' .. c.r.err .. '"')
    local later = c.r.later_ok and "ok" or ('"' .. tostring(c.r.later_err) .. '"')
    print("  " .. pad(yn(c.old), 22) .. " " .. pad(yn(c.new), 18) .. " " .. pad(now, 19) .. " " .. later)
  end
  print()
  sc:say({en = "The TIME_WAIT sockets hold 10.0.0.2:80. Linux lets a new socket bind\n" ..
               "over them only if both had SO_REUSEADDR: the old listener (its\n" ..
               "connections inherit the option) and the new socket. That is why servers\n" ..
               "set it before bind(). Then the restarted server answers at once\n" ..
               "(a client read %q). Without it the port is free 2 MSL = %s after\n" ..
               "the crash.",
          zh = "这些 TIME_WAIT 套接字占着 10.0.0.2:80。Linux 只有在双方都设置了\n" ..
               "SO_REUSEADDR 时才允许新套接字绑定这个端口：旧的监听套接字（它的连接\n" ..
               "继承这个选项）和新套接字。所以服务器总在 bind() 之前设置它。这样重启的\n" ..
               "服务器立即就能应答（客户端读到 %q）。不设置的话，端口要在崩溃后\n" ..
               "2MSL = %s 才空出来。"}, v(cases[4].r.served), secs(TWO_MSL))
  print()
  sc:say({en = "Our web server (SO_REUSEADDR %s) is restarted by a supervisor that tries\n" ..
               "bind(80) every second from 2 s on: it is back at %s s, after %d failed\n" ..
               "attempts%s.",
          zh = "我们的 Web 服务器（SO_REUSEADDR %s）由守护进程重启，它从 2 s 起每秒\n" ..
               "尝试一次 bind(80)：服务器在 %s s 恢复，此前失败 %d 次%s。"},
         K.reuseaddr and sc:t{en = "on", zh = "开启"} or sc:t{en = "off", zh = "关闭"}, v(back), fails,
         fails > 0 and sc:t({en = " (\"%s\"): down for 2MSL", zh = "（\"%s\"）：停机 2MSL"}, v(fail_err)) or "")
  print()

  for _, c in ipairs(cases) do
    local what = string.format("old SO_REUSEADDR=%s new=%s", c.old and "yes" or "no", c.new and "yes" or "no")
    expect(c.r.others, what .. ": nothing else on the server"):eq(0)
    if c.r.tw > 0 then
      if c.old and c.new then
        expect(c.r.ok, what .. ": bind (" .. tostring(c.r.err) .. ")"):eq(true)
        expect(c.r.served, what .. ": the new server answers"):eq("back")
      else
        expect(c.r.ok, what .. ": bind"):is_nil()
        expect(c.r.err, what .. ": bind"):eq("in use")
      end
    end
    expect(c.r.tw_later, what .. ": TIME_WAIT after 2 MSL"):eq(0)
    expect(c.r.later_ok, what .. ": bind after 2 MSL (" .. tostring(c.r.later_err) .. ")"):eq(true)
    sc:claim({en = what .. ": TIME_WAIT sockets after the crash", zh = what .. "：崩溃后的 TIME_WAIT 套接字"},
             c.r.tw, 3)
  end
  expect(back, "the server comes back"):truthy()
  sc:claim({en = "C: our server is back at (s)", zh = "C：我们的服务器恢复的时刻（秒）"}, back, 62)
  sc:claim({en = "C: bind(80) failed before, with", zh = "C：此前 bind(80) 失败，原因"}, fail_err, "in use")
end

for _, c in ipairs(pcaps) do
  c:flush()
  sc:say({en = "pcap: %s, experiment A, open it in Wireshark (%d frames)",
          zh = "pcap：%s，实验 A，可用 Wireshark 打开（%d 帧）"}, c.path, c:count())
end
