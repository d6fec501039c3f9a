-- lunet.pd_err - how the packetdrill modules report what went wrong: a
-- feature lunet does not model (the runner skips the script) or a mistake
-- in the script (it fails at the event's line).  Raised as tables, so the
-- runner can tell them from a bug, which stays a plain Lua error.

local M = {}

function M.unsupported(fmt, ...) error({unsupported = string.format(fmt, ...)}, 0) end
function M.bad(fmt, ...) error({script = string.format(fmt, ...)}, 0) end

return M
