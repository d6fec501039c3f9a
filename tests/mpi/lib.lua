-- lib.lua - what the split-run scenarios share: write each owned node's
-- counters to OUT/NAME.counters, one "key value" line each, sorted, so
-- that the files of a run on 1, 2 or 4 ranks can be compared byte for
-- byte (the captures come from lunet run --pcap OUT).
local M = {}

function M.dump(net, out, nodes)
  for _, n in ipairs(nodes) do
    if net:owns(n) then
      local ns, keys = n:netstat(), {}
      for k in pairs(ns) do keys[#keys + 1] = k end
      table.sort(keys)
      local f = assert(io.open(out .. "/" .. n.name .. ".counters", "w"))
      for _, k in ipairs(keys) do f:write(k, " ", tostring(ns[k]), "\n") end
      local drops, dk = n:drops(), {}
      for k in pairs(drops) do dk[#dk + 1] = k end
      table.sort(dk)
      for _, k in ipairs(dk) do f:write("drop ", k, " ", tostring(drops[k]), "\n") end
      f:close()
    end
  end
end

-- net:link between a and b with addresses ips and the options of o.
function M.link(net, a, b, ips, o)
  local t = {ip = ips}
  for k, v in pairs(o) do t[k] = v end
  return net:link(a, b, t)
end

-- The run's own figures on stderr, for the benchmark and for humans.
function M.stats(net)
  local s = net:dist_stats()
  io.stderr:write(string.format("rank %d/%d: %d actors, %d events, %d windows, %d msgs out, %d in, lookahead %s\n",
    s.rank, s.ranks, s.actors or 0, s.events, s.windows or 0, s.msgs_out or 0, s.msgs_in or 0,
    s.lookahead and lunet.fmt_time(s.lookahead) or "-"))
end

return M
