-- conversation.lua - pieces of the small TCP conversations the picture
-- tests draw (tests/golden/cases.lua, tests/scenarios/pictures.lua).
-- They must stay call for call what they are: the golden pictures are the
-- events these calls cause, byte for byte.
--   local conv = dofile(here .. "../lib/conversation.lua")
--   conv.sink(listener)              -- in a task: accept one connection,
--                                       read it to the end, close it
--   conv.send(host, dst, data)       -- in a task: connect to dst:80, send
--                                       data (a string or a byte count), close
--   conv.lose_first_data(net, l, node)
--     the first segment with data that `node` sends onto link l is lost,
--     every other one goes through: one loss for the RTO to repair
local M = {}

function M.sink(listener)
  local c = listener:accept()
  while c:receive() do end
  c:close()
end

function M.send(host, dst, data)
  local s = assert(host:connect(dst, 80))
  s:send(data)
  s:close()
end

function M.lose_first_data(net, l, node)
  local lost = false
  net:on("tx", function(ev)
    if ev.link ~= l.name or ev.node ~= node then return end
    local drop = not lost and (ev.payload or 0) > 0
    lost = lost or drop
    l:set{ab = {loss = drop and 1 or 0}}
  end)
end

return M
