-- lib.lua - what the split-run scenarios share: write each owned node's
-- counters to OUT/NAME.counters, one "key value" line each, sorted, so
-- that the files of a run on 1, 2 or 4 ranks can be compared byte for
-- byte (the captures come from lunet run --pcap OUT).
local M = {}

-- "ab.delivered=12 ab.enqueued=13 ... ba.tx_packets=9": a link's counters
-- (and its settings' up), one line, sorted.
local function link_line(l)
  local st, parts = l:stats(), {}
  for _, dir in ipairs({"ab", "ba"}) do
    for k, v in pairs(st[dir]) do parts[#parts + 1] = dir .. "." .. k .. "=" .. tostring(v) end
    parts[#parts + 1] = dir .. ".up=" .. tostring(l:is_up(dir))
  end
  table.sort(parts)
  return table.concat(parts, " ")
end

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
      -- The links of its interfaces: a link cut between ranks reads, on
      -- this rank, the far rank's halves as summed at the end of the run.
      for _, ifc in ipairs(n:ifaces()) do
        local l = ifc:link()
        if l then f:write("link ", l.name, " ", link_line(l), "\n") end
      end
      f:close()
    end
  end
end

-- Every link this rank can read, one line each, to OUT.views.rankN (next
-- to OUT, not in it: each rank reads a different set): compare.sh checks
-- that every line is one of the whole run's, so a link cut between two
-- ranks reads the same on every rank, even one that runs neither end.
function M.views(net, out)
  local f = assert(io.open(("%s.views.rank%d"):format(out, (net:rank())), "w"))
  for _, l in ipairs(net:links()) do
    local ok, line = pcall(link_line, l)
    if ok then
      f:write(l.name, " ", line, "\n")
    elseif not tostring(line):find("runs on rank", 1, true) then
      error(line, 0)                  -- not the refusal of another rank's link
    end
  end
  f:close()
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
