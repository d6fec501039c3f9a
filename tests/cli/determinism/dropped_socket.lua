-- dropped_socket.lua - sockets a script drops without closing, with a
-- full collection in between: each run must put the same frames on the
-- wire (the collector once closed them, at a moment that changed from one
-- process to the next with Lua's string hash seed).
local net = lunet.net{}
local a, b = net:host("a"), net:host("b")
net:link(a, b, {ip = {"10.0.0.1/24", "10.0.0.2/24"}, delay = "1ms"})
for p = 8000, 8019 do
  b:listen(p)                        -- dropped at once
end
local connected = 0
a:spawn(function()
  for p = 8000, 8019 do
    local s = a:connect("10.0.0.2", p)
    if s then connected = connected + 1 end
    if s and p % 3 == 0 then s:send("x") end
    -- table churn, so the collector's timing depends on string hashing
    local t = {}
    for i = 1, 200 do t["k" .. i .. "_" .. p] = i end
    collectgarbage("step", 50)
  end
  collectgarbage()
  lunet.sleep("1s")
  print("connected " .. connected)     -- the listeners stayed open too
  print("hello")
end)
net:run("5s")
