-- loss_stats.lua - random loss on one direction matches its rate, and
-- Gilbert-Elliott loss comes in bursts.
--
-- ARP entries are set statically so that only echo requests cross the
-- lossy direction (h1 -> h2); replies travel the clean one.

-- The repository's topologies/, found from this file's own place: the test
-- passes from any working directory.
local TOPO = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../topologies/"
local run_task = require("lunet.test").run_task

local N = 2000

local function setup(net, loss)
  local lab = lunet.topology(TOPO .. "two_hosts.lua", net, {bandwidth = "100Mbps", delay = "1ms",
                                                ab = {loss = loss}})
  lab.h1:arp_set(lab.h2_ip, lab.h2.eth0.mac, "eth0")
  lab.h2:arp_set(lab.h1_ip, lab.h1.eth0.mac, "eth0")
  local r = run_task(net, lab.h1, function()
    return lab.h1:ping(lab.h2_ip, {count = N, interval = "10ms", quiet = true})
  end)
  -- lost[i] = true when echo request i got no reply
  local got, lost = {}, {}
  for _, rep in ipairs(r.replies) do got[rep.seq] = true end
  for i = 1, N do lost[i] = not got[i] end
  return lab, r, lost
end

-- Lengths of the runs of consecutive losses.
local function bursts(lost)
  local out, run = {}, 0
  for i = 1, #lost do
    if lost[i] then run = run + 1
    elseif run > 0 then out[#out + 1] = run; run = 0 end
  end
  if run > 0 then out[#out + 1] = run end
  return out
end

local function mean(t)
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return #t > 0 and s / #t or 0
end

test("10% loss: received fraction within 4 sigma of 90%", function(net)
  local lab, r = setup(net, "10%")
  local p = 0.9
  local sigma = math.sqrt(p * (1 - p) / N)
  expect(r.sent):eq(N)
  expect(r.received / N, "received fraction"):within(p - 4 * sigma, p + 4 * sigma)
  expect(r.loss):near(1 - r.received / N, 1e-12)
  -- every missing reply is a frame the link lost, and nothing else was lost
  local st = lab.link:stats()
  expect(st.ab.dropped_loss, "ab dropped_loss"):eq(N - r.received)
  expect(st.ba.dropped_loss, "ba dropped_loss"):eq(0)
  expect(st.ab.delivered, "ab delivered"):eq(r.received)
  expect(net:drops().loss, "network loss drops"):eq(N - r.received)
end)

test("independent loss gives short runs", function(net)
  local _, _, lost = setup(net, "10%")
  -- runs of a Bernoulli(0.1) process have mean length 1 / 0.9 = 1.11
  expect(mean(bursts(lost)), "mean burst length"):within(1.0, 1.3)
end)

test("Gilbert-Elliott loss gives bursts", function(net)
  -- p = P(good -> bad) = 2%, r = P(bad -> good) = 25%: a bad period lasts
  -- 1/r = 4 frames on average and loses everything; long-run loss
  -- p / (p + r) = 7.4%.
  local _, r, lost = setup(net, {model = "gilbert", p = 0.02, r = 0.25, loss_bad = 1, loss_good = 0})
  local b = bursts(lost)
  local longest = 0
  for _, v in ipairs(b) do longest = math.max(longest, v) end
  expect(1 - r.received / N, "loss rate"):within(0.015, 0.135)
  expect(mean(b), "mean burst length"):within(2.0, 8.0)
  expect(longest, "longest burst"):ge(4)
end)

test("gilbert with loss_good = loss_bad = 0 loses nothing", function(net)
  local _, r = setup(net, {model = "gilbert", p = 0.5, r = 0.5, loss_bad = 0, loss_good = 0})
  expect(r.received):eq(N)
end)
