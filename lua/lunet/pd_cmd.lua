-- lunet.pd_cmd - the `shell commands` of packetdrill scripts.  No shell
-- runs: the commands suites use to set up the kernel are read and applied
-- to the virtual host, anything else is reported as unsupported.
--
--   sysctl [-q] [-w] net.ipv4.tcp_x=V ...      the host's sysctls, with
--                                              Linux's names and units
--   echo V > /proc/sys/net/ipv4/tcp_x         the same
--   .../defaults.sh                           packetdrill's usual defaults
--   .../set_sysctls.py net.ipv4.tcp_x=V ...   (Linux selftests' helper)
--   ip tcp_metrics flush, tc qdisc ... pfifo, ethtool -K ... tso/gso off:
--                                              nothing to do here
--
-- Settings lunet does not model are accepted when the value asks for what
-- lunet does anyway (tcp_ecn=0, tcp_fack=0, ...), and reported as
-- unsupported otherwise (tcp_recovery, tcp_early_retrans and tcp_frto are
-- lunet's own sysctls since RACK-TLP).

local M = {}

local unsupported = require("lunet.pd_err").unsupported
local bad = require("lunet.pd_err").bad

-- Linux sysctl -> how to set it on the host: a lunet sysctl name and a
-- conversion of the value (Linux's unit to lunet's).
local function secs(v) return tonumber(v) end
local function ms(v) return tostring(v) .. "ms" end
local function us(v) return tostring(v) .. "us" end
local function num(v) return math.tointeger(tonumber(v)) end
local function triple(v)
  local t = {}
  for x in tostring(v):gmatch("%d+") do t[#t + 1] = math.tointeger(tonumber(x)) end
  if #t ~= 3 then bad("expected three numbers, got %q", v) end
  return t
end
local function str(v) return tostring(v) end

local MAP = {
  tcp_syn_retries = num, tcp_synack_retries = num, tcp_syn_linear_timeouts = num,
  tcp_retries1 = num, tcp_retries2 = num, tcp_orphan_retries = num,
  tcp_fin_timeout = secs, tcp_max_syn_backlog = num, tcp_syncookies = num,
  tcp_sack = num, tcp_dsack = num, tcp_timestamps = num, tcp_window_scaling = num,
  tcp_rmem = triple, tcp_wmem = triple, tcp_congestion_control = str, tcp_reordering = num,
  tcp_keepalive_time = secs, tcp_keepalive_intvl = secs, tcp_keepalive_probes = num,
  tcp_invalid_ratelimit = ms, tcp_challenge_ack_limit = num, tcp_slow_start_after_idle = num,
  tcp_max_tw_buckets = num, tcp_base_mss = num,
  tcp_recovery = num, tcp_early_retrans = num, tcp_frto = num,
}
local RENAMED = {
  tcp_rto_min_us = {"net.ipv4.tcp_rto_min", us}, tcp_rto_max_ms = {"net.ipv4.tcp_rto_max", ms},
  ["net.core.somaxconn"] = {"net.core.somaxconn", num},
  ["net.core.rmem_max"] = {"net.core.rmem_max", num}, ["net.core.wmem_max"] = {"net.core.wmem_max", num},
  ["net.ipv4.ip_local_port_range"] = {"net.ipv4.ip_local_port_range", triple},
}

-- Settings lunet does not have, and the values that mean what it does.
local FIXED = {
  tcp_ecn = {["0"] = true}, tcp_fack = {["0"] = true},
  tcp_tso_win_divisor = "any", tcp_pacing_ss_ratio = "any", tcp_pacing_ca_ratio = "any",
  tcp_notsent_lowat = {["4294967295"] = true}, tcp_fastopen = "any", tcp_fastopen_key = "any",
  tcp_min_tso_segs = "any", tcp_autocorking = {["0"] = true}, tcp_mtu_probing = {["0"] = true},
  tcp_no_metrics_save = "any", tcp_moderate_rcvbuf = {["1"] = true},
  tcp_thin_linear_timeouts = {["0"] = true}, tcp_comp_sack_nr = "any",
  tcp_comp_sack_delay_ns = "any", tcp_limit_output_bytes = "any", tcp_abort_on_overflow = {["0"] = true},
  ["net.mptcp.enabled"] = "any", tcp_adv_win_scale = {["1"] = true}, tcp_app_win = {["31"] = true},
  tcp_workaround_signed_windows = {["0"] = true}, tcp_shrink_window = {["0"] = true},
  tcp_rfc1337 = {["0"] = true}, tcp_min_rtt_wlen = "any", tcp_mem = "any",
}

-- Set one Linux sysctl (key as Linux names it) on the host.
function M.sysctl(host, key, value)
  local short = key:match("^net%.ipv4%.(tcp_[%w_]+)$")
  local name, conv
  if short and MAP[short] then
    name, conv = "net.ipv4." .. short, MAP[short]
  elseif RENAMED[short or key] then
    name, conv = RENAMED[short or key][1], RENAMED[short or key][2]
  end
  if name then
    local ok, err = pcall(host.sysctl, host, name, conv(value))
    if not ok then bad("sysctl %s=%s: %s", key, value, tostring(err):gsub("^.-: ", "")) end
    return
  end
  local fixed = FIXED[short or key]
  if fixed == "any" or (fixed and fixed[tostring(value)]) then return end
  unsupported("sysctl %s=%s", key, value)
end

-- packetdrill's usual defaults (its common defaults.sh): production
-- settings that differ from a fresh kernel's.
local DEFAULTS = {
  {"tcp_rmem", "4096 540000 15728640"}, {"tcp_wmem", "4096 262144 4194304"},
  {"tcp_timestamps", 1}, {"tcp_syn_retries", 5}, {"tcp_synack_retries", 5}, {"tcp_sack", 1},
  {"tcp_dsack", 1}, {"tcp_reordering", 3}, {"tcp_congestion_control", "cubic"},
  {"tcp_slow_start_after_idle", 0}, {"tcp_syncookies", 1}, {"tcp_frto", 2},
  {"tcp_early_retrans", 4}, {"tcp_recovery", 1},
}

function M.defaults(host)
  for _, kv in ipairs(DEFAULTS) do M.sysctl(host, "net.ipv4." .. kv[1], kv[2]) end
end

-- Shell words, with quotes and $((arithmetic)) as scripts write them.
local function words(cmd)
  cmd = cmd:gsub("%$%(%(([%d%s%*%+%-/]+)%)%)", function(e)
    local f = load("return " .. e, "=arith", "t", {})
    local v = f and f()
    return v and tostring(math.tointeger(v) or v) or e
  end)
  local out, i = {}, 1
  while i <= #cmd do
    local c = cmd:sub(i, i)
    if c:match("%s") then
      i = i + 1
    else
      local w = {}
      while i <= #cmd and not cmd:sub(i, i):match("%s") do
        local q = cmd:sub(i, i)
        if q == '"' or q == "'" then
          local j = cmd:find(q, i + 1, true) or #cmd + 1
          w[#w + 1] = cmd:sub(i + 1, j - 1)
          i = j + 1
        else
          w[#w + 1] = q
          i = i + 1
        end
      end
      out[#out + 1] = table.concat(w)
    end
  end
  return out
end

local function assignments(host, list, first)
  local n = 0
  for i = first, #list do
    local w = list[i]
    if not w:match("^%-") then
      local k, v = w:match("^([%w%._]+)=(.*)$")
      if not k then bad("expected key=value, got %q", w) end
      M.sysctl(host, k, v)
      n = n + 1
    end
  end
  if n == 0 then bad("nothing to set") end
end

local function one(host, cmd)
  local w = words(cmd)
  if #w == 0 then return end
  local prog = w[1]:match("[^/]+$")
  if prog == "sysctl" then return assignments(host, w, 2) end
  if prog == "set_sysctls.py" then return assignments(host, w, 2) end
  if prog == "defaults.sh" then return M.defaults(host) end
  if prog == "echo" and w[3] == ">" and w[4] and w[4]:match("^/proc/sys/") then
    return M.sysctl(host, w[4]:gsub("^/proc/sys/", ""):gsub("/", "."), w[2])
  end
  if prog == "ip" and w[2] == "tcp_metrics" then return end      -- no metrics cache
  if prog == "tc" and (cmd:match("pfifo") or cmd:match("qdisc del")) then return end
  if prog == "ethtool" and cmd:match("%s%-K%s") and (cmd:match("tso off") or cmd:match("gso off")
      or cmd:match("gro off")) then return end
  if prog == "true" or prog == ":" then return end
  unsupported("shell command `%s`", cmd)
end

-- Run a command line: ";" and "&&" separate commands; output redirections
-- to /dev/null are dropped.
function M.run(host, line)
  line = line:gsub("%d?>%s*/dev/null", ""):gsub("2>&1", ""):gsub("|| true", "")
  for part in (line .. ";"):gsub("&&", ";"):gmatch("([^;]*);") do
    if part:match("%S") then one(host, part) end
  end
end

return M
