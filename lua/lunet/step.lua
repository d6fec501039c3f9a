-- lunet.step - `lunet run --step`: the run pauses after each packet a host
-- sends (Enter continues) and prints it as a ladder row as it happens, so a
-- class can follow a handshake segment by segment.
--
--     0.005000s  client  ──[S] seq=1000 win=64240 <mss 1460,sackOK,TS,wscale 7>──▶  server
--   [Enter: next, c: run to the end]
--
-- Rows are printed for what hosts originate (a router's forwarded copies
-- are the same packet); ARP and ICMP rows too, TCP's with seq, ack, window
-- and SYN options.  When standard input ends (or is not a terminal and
-- gives no line) the run goes on without pausing.  The pause blocks the
-- whole process between two events, so virtual time does not move while a
-- student thinks: nothing in the network is paced by the wall clock.
--
--   require("lunet.step").attach(net [, {input = io.stdin, output = io.stdout, pause = true}])

local M = {}

local function options_text(opts)
  if not opts then return "" end
  local out = {}
  for _, o in ipairs(opts) do
    if type(o) == "string" then
      if o == "sack_perm" then out[#out + 1] = "sackOK" elseif o ~= "nop" and o ~= "eol" then out[#out + 1] = o end
    elseif o.mss then out[#out + 1] = "mss " .. o.mss
    elseif o.ws then out[#out + 1] = "wscale " .. o.ws
    elseif o.ts then out[#out + 1] = "TS"
    elseif o.sack then out[#out + 1] = "sack " .. #o.sack
    end
  end
  return #out > 0 and (" <" .. table.concat(out, ",") .. ">") or ""
end

-- One row for a dissected packet, or nil for what is not worth a row.
function M.label(d)
  if d.arp then
    return d.arp.opcode == 1 and ("ARP who-has " .. tostring(d.arp.dst_proto_ipv4))
        or ("ARP " .. tostring(d.arp.src_proto_ipv4) .. " is-at " .. tostring(d.arp.src_hw_mac))
  end
  if not d.ip then return nil end
  local t = d.tcp
  if t and t.flags then
    local s = string.format("[%s] seq=%d", t.flags == "" and "none" or t.flags, t.seq)
    if t.flags:find(".", 1, true) then s = s .. " ack=" .. t.ack end
    s = s .. " win=" .. t.window
    local len = #(d.payload or "")
    if len > 0 then s = s .. " len=" .. len end
    return s .. options_text(t.options)
  end
  if d.udp then return string.format("UDP %d>%d len=%d", d.udp.srcport, d.udp.dstport, d.udp.length) end
  if d.icmp then return string.format("ICMP type %d code %d", d.icmp.type, d.icmp.code) end
  return "IP proto " .. d.ip.proto
end

local function fmt_time(ns) return string.format("%.6fs", ns / 1e9) end

function M.attach(net, o)
  o = o or {}
  local input, output = o.input or io.stdin, o.output or io.stdout
  local pausing = o.pause ~= false
  local echo = not lunet.isatty("stdin")   -- a terminal echoes the Enter itself
  local names = {}      -- address or MAC -> node name, for the far end of a row
  local function name_of(ip)
    if names[ip] == nil then
      names[ip] = false
      for _, n in ipairs(net:nodes()) do
        for _, ifc in ipairs(n:ifaces()) do
          if ifc:ip() == ip or ifc.mac == ip then names[ip] = n.name end
        end
      end
    end
    return names[ip] or ip
  end
  return net:on("tx", function(e)
    if e.layer ~= "l2" then return end
    local d = e.packet
    if d.ip then
      -- only where the packet starts, not at each router on the way
      if name_of(d.ip.src) ~= e.node then return end
    end
    local label = M.label(d)
    if not label then return end
    local to = d.ip and name_of(d.ip.dst)
               or (d.eth.dst == "ff:ff:ff:ff:ff:ff" and "(broadcast)") or name_of(d.eth.dst)
    output:write(string.format("%12s  %-8s ──%s──▶  %s\n", fmt_time(e.time), e.node, label, to))
    if pausing then
      output:write("  [Enter: next, c: run to the end] ")
      output:flush()
      local line = input:read("l")
      if line == nil or line:match("^%s*c") then pausing = false end
      if line == nil or echo then output:write("\n") end
    end
  end)
end

return M
