-- errors.lua - what a split run refuses, with what to do instead; run on
-- 2 ranks by tests/mpi/errors.sh.  Prints "ok ..." per check, on rank 0.
local function raises(what, f, want)
  local ok, err = pcall(f)
  assert(not ok, what .. ": no error")
  assert(tostring(err):find(want, 1, true), what .. ": got " .. tostring(err))
  return err
end
local rank = 0

-- a link between ranks with no min_delay
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms"})
  rank = net:rank()
  raises("parts beyond the ranks", function() net:partition{{a}, {b}, {}} end, "3 parts for 2 ranks")
  raises("a node placed twice", function() net:partition{{a, b}, {b}} end, "b is in parts 1 and 2")
  raises("a node left out", function() net:partition{{a}} end, "node b is in no part")
  net:partition{{a}, {b}}
  raises("cut without min_delay", function() net:run("1s") end,
         "joins ranks 0 and 1 but its a->b direction declares no min_delay")
  if rank == 0 then print("ok   a cut link without min_delay is refused, naming it") end
end

-- a capture of a link between ranks; net:step
do
  local net = lunet.net{seed = 1, }
  local a, b = net:host("a"), net:host("b")
  local l = net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  local dir = os.tmpname()
  os.remove(dir)
  net:capture{link = l, file = dir .. ".pcap"}
  raises("cut link capture", function() net:run("10ms") end,
         "joins two ranks of this split run, and neither sees both directions")
  os.remove(dir .. ".pcap.rank0.part")
  os.remove(dir .. ".pcap.rank1.part")
  raises("net:step", function() net:step() end, "not in a ranked run")
  if rank == 0 then print("ok   a link between ranks cannot be captured whole; net:step says to use net:run") end
end

-- a topology that grows after the split
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  net:run("10ms")
  local c = net:host("c")
  net:link(b, c, {ip = {"10.0.1.1/24", "10.0.1.2/24"}, delay = "1ms", min_delay = "1ms"})
  raises("grown topology", function() net:run("10ms") end, "added after the network was split")
  if rank == 0 then print("ok   nodes added after the split are refused") end
end

-- a network task (it runs on every rank) driving a host of another rank
do
  local net = lunet.net{seed = 1}
  local a, b = net:host("a"), net:host("b")
  net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms", min_delay = "1ms"})
  local err
  net:spawn(function()
    local ok, e = pcall(function() return b:netstat() end)
    if not ok then err = e end
  end)
  net:run("10ms")
  if net:owns(b) then
    assert(not err, "b's own rank drives it: " .. tostring(err))
  else
    assert(err and tostring(err):find("b runs on rank 1, this is rank 0", 1, true), tostring(err))
  end
  if rank == 0 then print("ok   a network task cannot drive another rank's host") end
end
