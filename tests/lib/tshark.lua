-- tshark.lua - what the tests that hand lunet's pcaps to tshark share.
--   local ts = dofile(here .. "../lib/tshark.lua")
--   ts.have()                      -> is tshark installed
--   ts.q(s)                        -> s quoted for the shell
--   ts.sh(cmd)                     -> output, ok, exit code
--   ts.capture_all(net, dir, tag)  -> a Capture per interface of every node,
--                                     dir/tag-node-iface.pcap
local M = {}

function M.have() return os.execute("command -v tshark >/dev/null 2>&1") == true end

function M.q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

function M.sh(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok, code
end

function M.capture_all(net, dir, tag)
  local caps = {}
  for _, node in ipairs(net:nodes()) do
    for _, ifc in ipairs(node:ifaces()) do
      caps[#caps + 1] = net:capture{iface = ifc, file = string.format("%s/%s-%s-%s.pcap", dir, tag, node.name, ifc.name)}
    end
  end
  return caps
end

return M
