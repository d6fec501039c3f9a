-- bridge_errors.lua - net:bridge refuses what cannot work, before it
-- touches the system, and says what is allowed (issue 14).  The bridges
-- themselves are tested against the Linux kernel in tests/interop, inside
-- network namespaces; nothing here creates a device.

local function err_of(fn)
  local ok, e = pcall(fn)
  expect(ok, "raised"):eq(false)
  return tostring(e)
end

test("net:bridge says which device to use", function(net)
  local h = net:host("h")
  expect(err_of(function() net:bridge(h) end))
    :matches("bad argument #2 to 'net:bridge' %(options expected: " .. '{tap = "lunet0"} or {device = "veth1"}')
  expect(err_of(function() net:bridge(h, {}) end))
    :matches('give tap = "name" .* or device = "name" .*, got neither')
  expect(err_of(function() net:bridge(h, {tap = "a", device = "b"}) end))
    :matches("not both")
  expect(err_of(function() net:bridge(h, {tap = 5}) end))
    :matches("net:bridge: tap must be a string, got number")
  expect(err_of(function() net:bridge("h", {tap = "x"}) end))
    :matches("a Node or a Switch expected, got string")
  expect(err_of(function() net:bridge(h, {tap = "x", colour = "red"}) end))
    :matches("colour")
end)

test("options that do not fit the target are refused", function(net)
  local h, sw = net:host("h"), net:switch("sw")
  expect(err_of(function() net:bridge(h, {device = "lo", tap_ip = "10.0.0.1/24"}) end))
    :matches("tap_ip is the TAP device's own address: only with tap")
  expect(err_of(function() net:bridge(h, {tap = "x", tap_ip = "10.0.0.1"}) end))
    :matches('tap_ip "10.0.0.1": missing prefix length')
  expect(err_of(function() net:bridge(sw, {tap = "x", ip = "10.0.0.2/24"}) end))
    :matches("sw is a switch: its port has no address")
  expect(err_of(function() net:bridge(sw, {tap = "x", iface = "eth9"}) end))
    :matches("sw is a switch: its port has no interface name")
  expect(err_of(function() net:bridge(h, {tap = "x", mtu = 20}) end))
    :matches("mtu must be an integer from 68 to 65535")
  expect(err_of(function() net:bridge(h, {tap = "a-name-far-too-long"}) end))
    :matches('interface name "a%-name%-far%-too%-long": 1 to 15 characters')
  expect(err_of(function() net:bridge(h, {tap = "a/b"}) end))
    :matches("no spaces, '/' or ':'")
  -- nothing was added by the refusals
  expect(#h:ifaces()):eq(0)
  expect(sw:ports()):eq(0)
end)

test("an interface that does not exist is named in the error", function(net)
  local h = net:host("h")
  local e = err_of(function() net:bridge(h, {device = "lunet-none0"}) end)
  -- as root: no such interface; without privileges libpcap may say so first
  expect(e):matches("net:bridge: device lunet%-none0: ")
  expect(#h:ifaces()):eq(0)
end)
