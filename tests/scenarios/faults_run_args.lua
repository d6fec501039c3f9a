-- faults_run_args.lua - a bad argument to net:run or net:run_until raises
-- and leaves the network as it was: not marked running, so the next run
-- works (issue 8, fault 5).

test("net:run with a negative time raises, the network still runs", function(net)
  local h = net:host("h")
  expect(function() net:run("-1s") end):raises("net:run")
  expect(function() net:run("ten seconds") end):raises("net:run")
  expect(function() net:run({}) end):raises("net:run")
  -- not "already running": the bad calls changed nothing
  local done = false
  h:spawn(function() lunet.sleep("1s"); done = true end)
  net:run("2s")
  expect(done, "task ran"):eq(true)
  expect(net:now()):eq(lunet.time("2s"))
end)

test("net:run_until with garbage raises, the network still runs", function(net)
  net:host("h")
  expect(function() net:run_until("soon") end):raises("net:run_until")
  expect(function() net:run_until(nil) end):raises("net:run_until")
  expect(function() net:run_until(-5) end):raises("net:run_until")
  net:run("1s")
  expect(function() net:run_until("0.5s") end):raises("in the past")
  net:run_until("3s")
  expect(net:now()):eq(lunet.time("3s"))
end)

test("the network is not left running by a bad call from a task", function(net)
  local h = net:host("h")
  h:spawn(function() net:run("1x") end)
  expect(function() net:run() end):raises("cannot drive the network from inside a task")
  h:spawn(function() lunet.sleep("1s") end)
  net:run()
  expect(net:now()):eq(lunet.time("1s"))
end)
