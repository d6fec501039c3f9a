-- lunet.pd_ladder - the ladder of a packetdrill run (`--ladder`): the
-- host under test on the left, the script on the right, one row per
-- packet (in the script's sequence space, as the script writes them), per
-- system call and per command, in virtual time.  Segments the host sent
-- that the script never asked about are drawn too, marked "(not in the
-- script)": packetdrill ignores them, a reader of the run should not.
--
--     time      host                                                script
--   0.000000    |<--------- S 0:0(0) win 32792 <mss 1000,...> ----------|
--   0.000000    |---------- S. 0:0(0) ack 1 <mss 1460,...> ------------>|
--   0.100000    | accept(3, ..., ...) = 4                                |

local M = {}

local function fmt_expr(e)
  if not e then return "" end
  if e.k == "num" then return tostring(e.v) end
  if e.k == "str" then return string.format("%q", e.v) end
  if e.k == "sym" then return e.v end
  if e.k == "ellipsis" then return "..." end
  if e.k == "or" then return fmt_expr(e.a) .. "|" .. fmt_expr(e.b) end
  if e.k == "list" then
    local t = {}
    for i, x in ipairs(e.v) do t[i] = fmt_expr(x) end
    return "[" .. table.concat(t, ", ") .. "]"
  end
  if e.k == "struct" then
    local t = {}
    for i, f in ipairs(e.v) do
      if type(f.name) == "number" then t[i] = fmt_expr(f.value)
      else t[i] = f.name .. (f.arg and ("(" .. fmt_expr(f.arg) .. ")") or "") .. "=" .. fmt_expr(f.value) end
    end
    return "{" .. table.concat(t, ", ") .. "}"
  end
  if e.k == "call" then
    local t = {}
    for i, x in ipairs(e.args) do t[i] = fmt_expr(x) end
    return e.name .. "(" .. table.concat(t, ", ") .. ")"
  end
  return "?"
end

-- "connect(3, ..., ...) = -1 EINPROGRESS" as the script wrote it, and
-- what the call returned when that differs.
function M.call_text(call, result)
  local args = {}
  for i, a in ipairs(call.args) do args[i] = fmt_expr(a) end
  local t = string.format("%s(%s) = %s", call.name, table.concat(args, ", "), fmt_expr(call.ret))
  if call.errno then t = t .. " " .. call.errno end
  if result and result.ret ~= nil then
    local got = tostring(result.ret) .. (result.errno and (" " .. result.errno) or "")
    local want = fmt_expr(call.ret) .. (call.errno and (" " .. call.errno) or "")
    if got ~= want then t = t .. "   [returned " .. got .. "]" end
  end
  return t
end

local function fit(text, width)
  if #text <= width then return text end
  return text:sub(1, width - 3) .. "..."
end

-- rows: {t = µs, kind = "in"|"out"|"extra"|"call"|"cmd"|"fail", text =}
-- in time order (stable).  Returns the lines.
function M.lines(rows, width)
  width = width or 100
  local inner = width - 12                    -- the body: rails and what is between
  local out = {string.format("%-12s%s%s%s", "time", "host", string.rep(" ", inner - 10), "script")}
  for _, r in ipairs(rows) do
    local body
    if r.kind == "in" or r.kind == "out" or r.kind == "extra" then
      local label = fit(" " .. r.text .. (r.kind == "extra" and "  (not in the script)" or "") .. " ", inner - 5)
      local dashes = inner - 3 - #label
      local left = dashes // 2
      local arrow = string.rep("-", left) .. label .. string.rep("-", dashes - left)
      body = r.kind == "in" and ("|<" .. arrow .. "|") or ("|" .. arrow .. ">|")
    else
      local label = fit(" " .. (r.kind == "fail" and "!! " or "") .. r.text, inner - 2)
      body = "|" .. label .. string.rep(" ", inner - 2 - #label) .. "|"
    end
    out[#out + 1] = string.format("%10.6f  %s", r.t / 1e6, body)
  end
  return out
end

return M
