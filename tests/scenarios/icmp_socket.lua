-- icmp_socket.lua - IcmpSocket:receive takes its timeout as every socket
-- does ({timeout = t}), and still a bare t.

test("receive({timeout=}) like TCP and UDP sockets, and receive(t)", function(net)
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
  local got = {}
  a:spawn(function()
    local s = a:icmp_socket()
    s:echo("10.0.0.2", {seq = 1})
    got[1] = s:receive({timeout = "1s"})
    got[2] = {s:receive({timeout = "10ms"})}
    got[3] = {s:receive("10ms")}
    got[4] = {pcall(s.receive, s, {timeot = 1})}
    s:close()
  end)
  net:run()
  expect(got[1].kind):eq("echo reply")
  expect(got[2]):eq({nil, "timeout"})
  expect(got[3]):eq({nil, "timeout"})
  expect(got[4][1]):eq(false)
  expect(got[4][2]):matches('IcmpSocket:receive: option "timeot" unknown %(known: timeout%)')
end)
