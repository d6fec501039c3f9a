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

-- A TCP segment with data: the IP total length beyond both headers.
local DATA = "tcp and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) > 0"

-- An interception hook decides when the frame is offered to the link;
-- an event hook could not: what it asks for happens after the event.
function M.lose_first_data(net, l, node)
  local dir = l.a.node.name == node and "ab" or "ba"
  net:intercept{on = l, dir = dir, filter = DATA, action = "lose", nth = 1}
end

return M
