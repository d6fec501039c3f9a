-- mss.lua - the MSS option (points 1 and 9 of the notes): what each side
-- announces in its SYN, why 1460, why data segments then carry 1448, and
-- what a path with a smaller MTU changes.
--
-- Three experiments, each a fresh network and one bulk transfer of 20000
-- bytes from the client to the server:
--
--   A  client ============= server                    one link, MTU 1500
--   B  client ======= r1 --------- server             the server's own link
--                                                     has MTU 1000
--   C  client ======= r1 --------- r2 ======= server  the narrow link (MTU
--                                                     1000) is between routers
--
--   ===== MTU 1500 (knob mtu)      ----- MTU 1000 (knob narrow)
--
-- A shows the textbook numbers: 1500 - 20 (IP) - 20 (TCP) = 1460 in both
-- SYNs, and 1460 - 12 = 1448 bytes of data per segment, because the
-- timestamp option (10 bytes, padded to 12) rides in every segment.
-- B shows that each side announces the MSS of its *own* interface: the
-- server says 960, and the client's segments shrink to fit it.  C shows
-- path MTU discovery (RFC 1191): both sides say 1460, TCP sets DF, r1
-- drops the 1500-byte packets and answers each with ICMP "fragmentation
-- needed, next-hop MTU 1000"; the client lowers its segment size to 948
-- and sends the lost data again.
--
-- Run:   lunet run scripts/mss.lua [knob=value ...]   (--help lists the
--        knobs, --lang zh explains in Chinese)
-- Then open the pcap files it names in Wireshark (one per experiment,
-- captured at the client).

local hd = require "lunet.headerdiagram"

local sc = require("lunet.scenario").new{
  name = "mss",
  title = {en = "MSS: the maximum segment size in the SYNs, 1460 and 1448, and a path with a smaller MTU",
           zh = "MSS：SYN 中的最大报文段长度，1460 与 1448，以及 MTU 更小的路径"},
  knobs = {
    {"mtu", default = 1500, try = 1000, kind = "integer", min = 576, max = 9000,
     help = {en = "MTU of the links the client and the server sit on",
             zh = "客户端与服务器所在链路的 MTU"}},
    {"ts", default = true, try = "off", kind = "boolean",
     help = {en = "TCP timestamps on both hosts (12 bytes of options in every segment)",
             zh = "两台主机的 TCP 时间戳选项（每个报文段多 12 字节选项）"}},
    {"sack", default = true, try = "off", kind = "boolean",
     help = {en = "selective acknowledgements offered in the SYNs",
             zh = "SYN 中是否提供选择确认（SACK）"}},
    {"mss", default = 0, try = 536, kind = "integer", min = 0, max = 65535,
     help = {en = "TCP_MAXSEG on the client's socket, 88..32767 (0: not set)",
             zh = "客户端套接字的 TCP_MAXSEG，88..32767（0：不设置）"}},
    {"narrow", default = 1000, try = 576, kind = "integer", min = 576, max = 9000,
     help = {en = "MTU of the narrow link in B (the server's) and C (between the routers)",
             zh = "B（服务器所在链路）与 C（两台路由器之间）中窄链路的 MTU"}},
  },
}
local K = sc.k

local PORT, BYTES = 5001, 20000
local T = lunet.fmt_time
local LINK = {bandwidth = "100Mbps", delay = "2ms"}
local ETH, IP, TCP = 14, 20, 20                -- header sizes without options
local TSOPT = 12                               -- the timestamp option: 10 bytes + 2 NOPs

------------------------------------------------------------------------
-- one experiment
------------------------------------------------------------------------

local function link(net, a, b, mtu, ip)
  return net:link(a, b, {bandwidth = LINK.bandwidth, delay = LINK.delay, mtu = mtu, ip = ip})
end

-- The options of a dissected SYN, as tcpdump lists them.
local function optstr(list)
  local t = {}
  for _, o in ipairs(list or {}) do
    if o == "nop" or o == "eol" then t[#t + 1] = o
    elseif o == "sack_perm" then t[#t + 1] = "sackOK"
    elseif o.mss then t[#t + 1] = "mss " .. o.mss
    elseif o.ws then t[#t + 1] = "wscale " .. o.ws
    elseif o.ts then t[#t + 1] = string.format("TS val %d ecr %d", o.ts.val, o.ts.ecr)
    else t[#t + 1] = "kind " .. tostring(o.kind) end
  end
  return table.concat(t, ",")
end

local function option(list, name)
  for _, o in ipairs(list or {}) do
    if o == name then return true end
    if type(o) == "table" and o[name] ~= nil then return o[name] end
  end
end

local function experiment(name)
  local net = lunet.net{name = "mss_" .. name}
  local client, server = net:host("client"), net:host("server")
  local X = {name = name, net = net, client = client, server = server, data = {}, icmp = {},
             drops = {}, rto = {}}
  if name == "A" then
    link(net, client, server, K.mtu, {"10.0.0.1/24", "10.0.0.2/24"})
    X.server_ip = "10.0.0.2"
  elseif name == "B" then
    local r1 = net:router("r1")
    link(net, client, r1, K.mtu, {"10.0.1.1/24", "10.0.1.254/24"})
    link(net, r1, server, K.narrow, {"10.0.2.254/24", "10.0.2.2/24"})
    client:route("default", "10.0.1.254")
    server:route("default", "10.0.2.254")
    X.server_ip = "10.0.2.2"
  else
    local r1, r2 = net:router("r1"), net:router("r2")
    link(net, client, r1, K.mtu, {"10.0.1.1/24", "10.0.1.254/24"})
    link(net, r1, r2, K.narrow, {"10.0.9.1/24", "10.0.9.2/24"})
    link(net, r2, server, K.mtu, {"10.0.2.254/24", "10.0.2.2/24"})
    client:route("default", "10.0.1.254")
    server:route("default", "10.0.2.254")
    r1:route("10.0.2.0/24", "10.0.9.2")
    r2:route("10.0.1.0/24", "10.0.9.1")
    X.server_ip = "10.0.2.2"
  end
  for _, h in ipairs{client, server} do
    h:sysctl("net.ipv4.tcp_timestamps", K.ts)
    h:sysctl("net.ipv4.tcp_sack", K.sack)
  end
  X.cap = net:capture{iface = client.eth0, file = "mss-" .. name .. ".pcap"}

  -- What the renderer below needs, from the events only: the SYNs as the
  -- hosts sent them, the client's data segments, what the routers dropped
  -- and the ICMP errors that came back, and the client's RTO timer.
  net:on("tx", function(ev)
    if ev.proto ~= "tcp" or (ev.node ~= "client" and ev.node ~= "server") then return end
    local d = ev.packet
    if d.tcp.flags == "S" then X.syn = X.syn or d
    elseif d.tcp.flags == "S." then X.synack = X.synack or d
    elseif ev.node == "client" and (ev.payload or 0) > 0 then
      X.data[#X.data + 1] = {time = ev.time, id = ev.id, len = ev.payload, frame = ev.len,
                             ip = d.ip.len, hdr = d.tcp.hdr_len, seq = d.tcp.seq,
                             df = d.ip.flags_df, rtx = ev.kind ~= nil}
    end
  end)
  net:on("drop", function(ev)
    if ev.reason == "fragmentation needed" then
      X.drops[#X.drops + 1] = {time = ev.time, node = ev.node, id = ev.id, len = ev.len}
    end
  end)
  net:on("rx", function(ev)
    if ev.node == "client" and ev.proto == "icmp" then
      local d = ev.packet
      X.icmp[#X.icmp + 1] = {time = ev.time, type = d.icmp.type, code = d.icmp.code,
                             mtu = d.icmp.mtu, from = d.ip.src, d = d}
    end
  end)
  net:on("timer", function(ev)
    if ev.node == "client" and ev.timer == "rto" then X.rto[#X.rto + 1] = ev.time end
  end)

  local listener = assert(server:listen(PORT))
  server:spawn(function()
    local c = listener:accept()
    X.got = c:receive("*a")
    c:close()
  end)
  client:spawn(function()
    local s = client:tcp()
    -- TCP_MAXSEG before connect(): the SYN announces at most this much.
    -- Linux refuses values outside 88..32767 (EINVAL); so does lunet, and
    -- the client goes on without it, as a program that ignores the error.
    if K.mss > 0 then X.clamp, X.clamp_err = s:setoption("maxseg", K.mss) end
    assert(s:connect(X.server_ip, PORT))
    assert(s:send(BYTES))
    s:close()
  end)
  net:run()                                -- to the end of TIME_WAIT
  listener:close()
  X.cap:flush()

  -- the analysis
  X.syn_mss = X.syn and option(X.syn.tcp.options, "mss")
  X.synack_mss = X.synack and option(X.synack.tcp.options, "mss")
  local dropped = {}
  for _, d in ipairs(X.drops) do dropped[d.id] = d.node end
  local first_icmp = X.icmp[1] and X.icmp[1].time
  X.before, X.after = 0, 0                 -- the biggest segment before and after the first ICMP
  for _, s in ipairs(X.data) do
    s.dropped = dropped[s.id]
    if first_icmp and s.time >= first_icmp then      -- sent on the ICMP's arrival, too
      if s.len > X.after then X.after = s.len end
      X.first_small = X.first_small or s
    elseif s.len > X.before then
      X.before, X.big = s.len, s
    end
  end
  X.max = math.max(X.before, X.after)
  X.full = X.big                            -- a full-sized segment (the first of the biggest)
  for _, s in ipairs(X.data) do if s.len == X.max then X.full = s; break end end
  return X
end

-- Consecutive data segments of the same size and fate, in send order:
-- "10 x 1448 B (dropped at r1)".
local function runs(X)
  local out = {}
  for _, s in ipairs(X.data) do
    local last = out[#out]
    if last and last.len == s.len and last.rtx == s.rtx and last.dropped == s.dropped then
      last.n = last.n + 1
    else
      out[#out + 1] = {len = s.len, rtx = s.rtx, dropped = s.dropped, n = 1}
    end
  end
  return out
end

local function show_runs(X)
  local parts = {}
  for _, r in ipairs(runs(X)) do
    local p = sc:t({en = "%d x %d B", zh = "%d 个 %d 字节"}, r.n, r.len)
    if r.dropped then p = p .. sc:t({en = " (dropped at %s)", zh = "（在 %s 被丢弃）"}, r.dropped)
    elseif r.rtx then p = p .. sc:t{en = " (resent)", zh = "（重传）"} end
    parts[#parts + 1] = p
  end
  -- a few runs to a line
  for i = 1, #parts, 3 do
    sc:say({en = "    %s", zh = "    %s"}, table.concat(parts, sc:t{en = ", ", zh = "，"}, i, math.min(i + 2, #parts)))
  end
end

local function show_syns(X)
  local s, a = X.syn, X.synack
  sc:say({en = "  SYN      client > server  win %d  options [%s]",
          zh = "  SYN      客户端 > 服务器  窗口 %d  选项 [%s]"}, s.tcp.window, optstr(s.tcp.options))
  sc:say({en = "  SYN,ACK  server > client  win %d  options [%s]",
          zh = "  SYN,ACK  服务器 > 客户端  窗口 %d  选项 [%s]"}, a.tcp.window, optstr(a.tcp.options))
end

-- Every segment fits what the receiver announced and the sender's link:
-- true under any knob (plain expectations).
local function check_always(X)
  expect(X.got and #X.got, X.name .. ": bytes the server read"):eq(BYTES)
  expect(lunet.hash(X.got or ""), X.name .. ": and they are the bytes sent"):eq(lunet.hash(BYTES))
  for _, s in ipairs(X.data) do
    expect(s.len, X.name .. ": no segment carries more than the server's MSS"):le(X.synack_mss)
    expect(s.ip, X.name .. ": no packet is bigger than the client's MTU"):le(K.mtu)
    expect(s.df, X.name .. ": TCP sets DF on every packet"):eq(true)
    expect(s.frame, X.name .. ": frame = 14 + IP packet"):eq(ETH + s.ip)
    expect(s.ip, X.name .. ": IP packet = 20 + TCP header + data"):eq(IP + s.hdr + s.len)
  end
end

------------------------------------------------------------------------
-- A. one link
------------------------------------------------------------------------

local A = experiment("A")
local ts_on = option(A.syn.tcp.options, "ts") ~= nil and option(A.synack.tcp.options, "ts") ~= nil
local opt_bytes = A.full.hdr - TCP           -- options in a data segment

sc:say{en = "The MSS (maximum segment size) is the most data one TCP segment may carry; headers",
       zh = "MSS（最大报文段长度，笔记中称“最大消息长度”）是一个 TCP 报文段最多能携带的数据字节数，"}
sc:say{en = "are not counted. Each side announces its own in the MSS option of its SYN, and the",
       zh = "首部不计在内。双方各自在 SYN 报文段的 MSS 选项中宣告自己的值，对方发来的报文段"}
sc:say{en = "other never sends it a bigger segment. It is not negotiated: each direction uses",
       zh = "不会超过它。MSS 不是协商出来的：每个方向取接收方宣告的值与发送方自己出口"}
sc:say{en = "the smaller of what the receiver announced and what the sender's own link allows.",
       zh = "链路所允许的值中较小的那个。"}
print()
sc:say({en = "A. Client and server on one link, MTU %d. The handshake, as each host sent it:",
        zh = "A. 客户端与服务器在同一条链路上，MTU 为 %d。三次握手中双方发出的 SYN："}, K.mtu)
show_syns(A)
sc:say{en = "  The MSS option in the client's SYN (kind 2, length 4, then the value), and the",
       zh = "  客户端 SYN 中的 MSS 选项（种类 2，长度 4，然后是值），以及同在 TCP 首部"}
sc:say{en = "  other options beside it in the TCP header, 32 bits to a row:",
       zh = "  选项部分的其他选项，每行 32 位："}
for _, l in ipairs(hd.render(hd.tcp_options(A.syn.tcp.options), {indent = "    "})) do print(l) end
if A.clamp_err then
  sc:say({en = "  The client's setsockopt(TCP_MAXSEG, %d) failed (%s): Linux takes 88..32767.",
          zh = "  客户端的 setsockopt(TCP_MAXSEG, %d) 失败（%s）：Linux 只接受 88..32767。"},
         K.mss, A.clamp_err)
elseif A.clamp then
  sc:say({en = "  The client's application set TCP_MAXSEG to %d before connect(), so its SYN",
          zh = "  客户端应用在 connect() 之前把 TCP_MAXSEG 设为 %d，所以它的 SYN"}, K.mss)
  sc:say({en = "  announces %d instead of what its link allows (%d - 40 = %d).",
          zh = "  宣告的是 %d，而不是链路所允许的 %d - 40 = %d。"}, A.syn_mss, K.mtu, K.mtu - 40)
end
sc:say({en = "  Why %d: the link carries IP packets of at most MTU = %d bytes; of these the",
        zh = "  为什么是 %d：链路能承载的 IP 分组最多为 MTU = %d 字节；其中"},
       A.synack_mss, K.mtu)
sc:say({en = "  IP header takes %d and the TCP header %d (without options): %d - %d - %d = %d.",
        zh = "  IP 首部占 %d 字节，TCP 首部（不含选项）占 %d 字节：%d - %d - %d = %d。"},
       IP, TCP, K.mtu, IP, TCP, K.mtu - IP - TCP)
sc:say({en = "  The SYNs also carry each side's receive window (%d and %d) and window scale",
        zh = "  SYN 还携带双方的接收窗口（%d 和 %d）与窗口扩大因子"},
       A.syn.tcp.window, A.synack.tcp.window)
sc:say({en = "  (%s and %s: later windows count in units of 2^scale bytes).",
        zh = "  （%s 和 %s：之后报文段中的窗口以 2^因子 字节为单位）。"},
       tostring(option(A.syn.tcp.options, "ws")), tostring(option(A.synack.tcp.options, "ws")))
print()
sc:say({en = "  The client then sent %d bytes in these data segments:",
        zh = "  接着客户端用下面这些数据报文段发送了 %d 字节："}, BYTES)
show_runs(A)
-- what the client may put in a segment: the smaller of the two MSS values
-- (its own is its link's, or its TCP_MAXSEG)
local eff = math.min(A.syn_mss, A.synack_mss)
if ts_on then
  sc:say({en = "  Full segments carry %d bytes, not %d: both SYNs carried the timestamp option,",
          zh = "  满载的报文段携带 %d 字节而不是 %d：双方的 SYN 都带了时间戳选项，"}, A.max, eff)
  sc:say({en = "  so every segment carries it too: 10 bytes, padded to %d with two NOPs, and",
          zh = "  于是此后每个报文段都带着它：10 字节，用两个 NOP 补齐到 %d 字节，"}, TSOPT)
  sc:say({en = "  %d - %d = %d. (Without timestamps, ts=off, segments carry the whole MSS.)",
          zh = "  %d - %d = %d。（关闭时间戳，即 ts=off 时，报文段可以装满整个 MSS。）"},
         eff, TSOPT, eff - TSOPT)
else
  sc:say({en = "  Without timestamps the TCP header of a data segment is %d bytes, and full",
          zh = "  没有时间戳时，数据报文段的 TCP 首部是 %d 字节，"}, A.full.hdr)
  sc:say({en = "  segments carry the whole MSS: %d bytes.",
          zh = "  满载的报文段装满整个 MSS：%d 字节。"}, A.max)
end
sc:say({en = "  A full segment's frame: %d (Ethernet) + %d (IP) + %d (TCP: %d + %d of options)",
        zh = "  一个满载报文段所在的帧：%d（以太网）+ %d（IP）+ %d（TCP：%d + %d 字节选项）"},
       ETH, IP, A.full.hdr, TCP, opt_bytes)
if A.full.ip == K.mtu then
  sc:say({en = "  + %d (data) = %d bytes; the IP packet inside is %d bytes: the MTU, to the byte.",
          zh = "  + %d（数据）= %d 字节；其中的 IP 分组为 %d 字节，正好等于 MTU。"},
         A.max, A.full.frame, A.full.ip)
else
  sc:say({en = "  + %d (data) = %d bytes; the IP packet inside is %d bytes, under the MTU (%d).",
          zh = "  + %d（数据）= %d 字节；其中的 IP 分组为 %d 字节，小于 MTU（%d）。"},
         A.max, A.full.frame, A.full.ip, K.mtu)
end
sc:say{en = "  Why TCP cuts its stream into MSS-sized segments at all: a bigger one would have to",
       zh = "  TCP 为什么要按 MSS 切分字节流：更大的报文段只能在 IP 层分片，"}
sc:say{en = "  be split by IP into fragments, and losing any fragment loses the whole segment.",
       zh = "  而丢失任何一个分片就等于丢失整个报文段。"}

sc:claim({en = "A: the client's SYN announces MSS 1460", zh = "A：客户端的 SYN 宣告 MSS 1460"}, A.syn_mss, 1460)
sc:claim({en = "A: the server's SYN,ACK announces MSS 1460", zh = "A：服务器的 SYN,ACK 宣告 MSS 1460"},
         A.synack_mss, 1460)
sc:claim({en = "A: both SYNs offer timestamps", zh = "A：双方的 SYN 都提供时间戳"}, ts_on, true)
sc:claim({en = "A: both SYNs offer SACK", zh = "A：双方的 SYN 都提供 SACK"},
         option(A.syn.tcp.options, "sack_perm") == true and option(A.synack.tcp.options, "sack_perm") == true, true)
sc:claim({en = "A: full data segments carry 1448 bytes", zh = "A：满载的数据报文段携带 1448 字节"}, A.max, 1448)
sc:claim({en = "A: their TCP header is 32 bytes (20 + 12 of timestamps)",
          zh = "A：其 TCP 首部为 32 字节（20 + 12 字节时间戳）"}, A.full.hdr, 32)
sc:claim({en = "A: a full frame is 1514 bytes, its IP packet 1500 (the MTU)",
          zh = "A：满载的帧为 1514 字节，其中 IP 分组 1500 字节（即 MTU）"},
         {A.full.frame, A.full.ip}, {1514, 1500})
sc:claim({en = "A: 20000 bytes = 13 full segments + one of 1176",
          zh = "A：20000 字节 = 13 个满载报文段 + 一个 1176 字节的报文段"},
         runs(A), {{len = 1448, n = 13, rtx = false}, {len = 1176, n = 1, rtx = false}})
check_always(A)

------------------------------------------------------------------------
-- B. the server's own link is narrow
------------------------------------------------------------------------

local B = experiment("B")
print()
sc:say({en = "B. The server now sits behind router r1, on a link with MTU %d; the client's",
        zh = "B. 服务器现在位于路由器 r1 之后，所在链路的 MTU 为 %d；客户端所在链路"}, K.narrow)
sc:say({en = "   link keeps MTU %d.", zh = "   仍为 MTU %d。"}, K.mtu)
show_syns(B)
sc:say({en = "  Each side announces the MSS of its own interface: the client %d, the server %d.",
        zh = "  双方宣告的都是自己接口的 MSS：客户端 %d，服务器 %d。"}, B.syn_mss, B.synack_mss)
if B.clamp then
  sc:say({en = "  (The client's is its TCP_MAXSEG, %d, when that is below its interface's.)",
          zh = "  （客户端的 TCP_MAXSEG 为 %d，小于接口的值时以它为准。）"}, K.mss)
end
sc:say{en = "  Neither knows the other's MTU, nor anything of the links between them. The",
       zh = "  双方都不知道对方的 MTU，也不知道中间链路的情况。"}
sc:say({en = "  client may send the server at most %d bytes a segment: the smaller MSS, %d,",
        zh = "  客户端发给服务器的每个报文段最多 %d 字节：即较小的 MSS（%d）"},
       B.max, math.min(B.syn_mss, B.synack_mss))
sc:say({en = "  less the %d bytes of options every segment carries. Its data segments:",
        zh = "  减去每个报文段都带的 %d 字节选项。它的数据报文段："}, B.full.hdr - TCP)
show_runs(B)
sc:say({en = "  IP packets of %d bytes fit r1's %d-byte link: %d ICMP errors, %d drops.",
        zh = "  %d 字节的 IP 分组能通过 r1 的 %d 字节链路：ICMP 差错报文 %d 个，丢弃 %d 个。"},
       B.full.ip, K.narrow, #B.icmp, #B.drops)

sc:claim({en = "B: the client's SYN announces MSS 1460", zh = "B：客户端的 SYN 宣告 MSS 1460"}, B.syn_mss, 1460)
sc:claim({en = "B: the server's SYN,ACK announces MSS 960 (its MTU 1000 - 40)",
          zh = "B：服务器的 SYN,ACK 宣告 MSS 960（其 MTU 1000 - 40）"}, B.synack_mss, 960)
sc:claim({en = "B: full data segments carry 948 bytes (960 - 12)",
          zh = "B：满载的数据报文段携带 948 字节（960 - 12）"}, B.max, 948)
sc:claim({en = "B: their IP packets are 1000 bytes", zh = "B：它们的 IP 分组为 1000 字节"}, B.full.ip, 1000)
sc:claim({en = "B: no ICMP error, no drop", zh = "B：没有 ICMP 差错报文，没有丢弃"}, {#B.icmp, #B.drops}, {0, 0})
check_always(B)

------------------------------------------------------------------------
-- C. the narrow link is between two routers: path MTU discovery
------------------------------------------------------------------------

local C = experiment("C")
print()
sc:say({en = "C. The narrow link (MTU %d) is now between routers r1 and r2. Both hosts sit on",
        zh = "C. 窄链路（MTU %d）现在位于路由器 r1 与 r2 之间。两台主机都在"}, K.narrow)
if C.syn_mss == C.synack_mss then
  sc:say({en = "   MTU-%d links, so both announce MSS %d, and neither sees the narrow link.",
          zh = "   MTU 为 %d 的链路上，所以都宣告 MSS %d，谁也看不到那条窄链路。"}, K.mtu, C.synack_mss)
else
  sc:say({en = "   MTU-%d links; they announce MSS %d (client) and %d (server), and neither sees",
          zh = "   MTU 为 %d 的链路上；它们宣告的 MSS 为 %d（客户端）和 %d（服务器），谁也看不到"},
         K.mtu, C.syn_mss, C.synack_mss)
  sc:say{en = "   the narrow link.", zh = "   那条窄链路。"}
end
show_syns(C)
sc:say{en = "  The client's data segments, in the order it sent them:",
       zh = "  客户端发出的数据报文段，按发送顺序："}
show_runs(C)
local ic = C.icmp[1]
if ic then
  local lost = 0
  for _, s in ipairs(C.data) do if s.dropped then lost = lost + 1 end end
  sc:say({en = "  TCP sets DF (don't fragment) on every packet, so r1 may not split the %d-byte",
          zh = "  TCP 在每个分组上都置 DF（不分片）位，所以 r1 不能把 %d 字节的分组分片；"}, C.before + C.big.hdr + IP)
  sc:say{en = "  packets: it drops each one and sends back an ICMP error, destination",
         zh = "  它丢弃每一个这样的分组，并回送一个 ICMP 差错报文：目的不可达，"}
  sc:say({en = "  unreachable, fragmentation needed (type %d, code %d), with the MTU of its next",
          zh = "  需要分片（类型 %d，代码 %d），并附上下一跳的"}, ic.type, ic.code)
  sc:say({en = "  hop: %d. This is path MTU discovery (RFC 1191). The first one, as the client got it:",
          zh = "  MTU：%d。这就是路径 MTU 发现（RFC 1191）。客户端收到的第一个 ICMP 报文："}, ic.mtu)
  for _, l in ipairs(hd.draw(ic.d, "icmp", {indent = "    "})) do print(l) end
  sc:say({en = "  r1 dropped all %d segments of the first flight and answered each: %d ICMP errors",
          zh = "  r1 丢弃了第一批全部 %d 个报文段，并逐一回复：共 %d 个 ICMP 差错报文"},
         lost, #C.icmp)
  sc:say{en = "  (Linux never rate-limits this one, so path MTU discovery is not held up).",
         zh = "  （Linux 从不对这种差错报文限速，以免耽误路径 MTU 发现）。"}
  sc:say({en = "  The first, at %s, lowers the client's segment size to %d - %d - %d - %d = %d bytes.",
          zh = "  第一个在 %s 到达，把客户端的报文段长度降为 %d - %d - %d - %d = %d 字节。"},
         T(ic.time), ic.mtu, IP, TCP, C.big.hdr - TCP, ic.mtu - IP - C.big.hdr)
  local fs = C.first_small
  if fs then
    sc:say({en = "  The client sends the lost data again from its first byte, %d bytes a segment,",
            zh = "  客户端从丢失数据的第一个字节开始重传，每个报文段 %d 字节，"}, fs.len)
    -- tcp_v4_mtu_reduced -> tcp_simple_retransmit: at once, and cwnd kept,
    -- since the units changed, not the congestion
    sc:say({en = "  at %s, as the ICMP error arrives, without waiting for its retransmission timer;",
            zh = "  时间是 %s，即 ICMP 差错报文到达之时，不等重传计时器超时；"}, T(fs.time))
    sc:say{en = "  its congestion window stays: a smaller path is not congestion.",
           zh = "  拥塞窗口保持不变：路径变窄并不是拥塞。"}
    sc:say({en = "  From then on its packets are %d bytes and pass the narrow link; all %d bytes",
            zh = "  此后它的分组为 %d 字节，可以通过窄链路；全部 %d 字节"},
           IP + fs.hdr + C.after, BYTES)
    sc:say{en = "  arrived. Each side's MSS option said nothing wrong: only the path could tell.",
           zh = "  都已送达。双方的 MSS 选项都没有错：只有路径本身才能告诉发送方。"}
  end
else
  sc:say({en = "  No ICMP error came back: the client's packets (at most %d bytes) fit the %d-byte",
          zh = "  没有 ICMP 差错报文返回：客户端的分组（最多 %d 字节）能通过 %d 字节的"},
         C.full.ip, K.narrow)
  sc:say{en = "  link, so path MTU discovery had nothing to find.",
         zh = "  窄链路，路径 MTU 发现无事可做。"}
end

sc:claim({en = "C: both SYNs announce MSS 1460", zh = "C：双方的 SYN 都宣告 MSS 1460"},
         {C.syn_mss, C.synack_mss}, {1460, 1460})
sc:claim({en = "C: the first flight is 10 segments of 1448 bytes, all dropped at r1",
          zh = "C：第一批 10 个 1448 字节的报文段全部在 r1 被丢弃"},
         runs(C)[1], {len = 1448, n = 10, rtx = false, dropped = "r1"})
sc:claim({en = "C: r1 answers each with ICMP fragmentation needed", zh = "C：r1 对每一个都回 ICMP“需要分片”"},
         #C.icmp, 10)
sc:claim({en = "C: the ICMP error is type 3 code 4 with next-hop MTU 1000",
          zh = "C：ICMP 差错报文为类型 3 代码 4，下一跳 MTU 为 1000"},
         ic and {ic.type, ic.code, ic.mtu}, {3, 4, 1000})
sc:claim({en = "C: after it, full segments carry 948 bytes (1000 - 20 - 20 - 12)",
          zh = "C：此后满载的报文段携带 948 字节（1000 - 20 - 20 - 12）"}, C.after, 948)
sc:claim({en = "C: the first of them resends the first lost byte",
          zh = "C：其中第一个从丢失的第一个字节开始重传"},
         -- seq relative to the first data byte: 0 is where the lost flight began
         C.first_small and {(C.first_small.seq - C.data[1].seq) & 0xffffffff, C.first_small.rtx},
         {0, true})
sc:claim({en = "C: the client resends as the ICMP error arrives (tcp_simple_retransmit)",
          zh = "C：客户端在 ICMP 差错报文到达时立即重传（tcp_simple_retransmit）"},
         C.first_small ~= nil and ic ~= nil and C.first_small.time == ic.time, true)
check_always(C)
for _, m in ipairs(C.icmp) do
  expect(m.mtu, "C: the next-hop MTU is the narrow link's"):eq(K.narrow)
end

------------------------------------------------------------------------
-- the three side by side
------------------------------------------------------------------------

print()
sc:say{en = "The three experiments side by side (data bytes per full segment):",
       zh = "三个实验对照（满载报文段的数据字节数）："}
-- columns padded by display width, so the Chinese headings line up too
local function col(s, w) return s .. (" "):rep(math.max(0, w - hd.width(s))) end
print("  " .. col("", 5) .. col("SYN MSS", 9) .. col("SYN,ACK MSS", 13) ..
      col(sc:t{en = "data/segment", zh = "每段数据"}, 14) .. col(sc:t{en = "IP packet", zh = "IP 分组"}, 14) ..
      sc:t{en = "ICMP errors", zh = "ICMP 差错报文"})
for _, X in ipairs{A, B, C} do
  local data = X.after > 0 and X.after < X.before and string.format("%d -> %d", X.before, X.after) or tostring(X.max)
  local ipsz = X.after > 0 and X.after < X.before and
               string.format("%d -> %d", X.before + X.big.hdr + IP, X.after + X.first_small.hdr + IP) or
               tostring(X.full.ip)
  print("  " .. col(X.name, 5) .. col(tostring(X.syn_mss), 9) .. col(tostring(X.synack_mss), 13) ..
        col(data, 14) .. col(ipsz, 14) .. #X.icmp)
end
print()
for _, X in ipairs{A, B, C} do
  sc:say({en = "pcap: %s (%d frames, at the client)", zh = "pcap：%s（%d 帧，在客户端抓取）"},
         X.cap.path, X.cap:count())
end
