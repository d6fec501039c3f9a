-- lunet.report - one self-contained HTML page per run: for every
-- connection a ladder diagram, a state timeline and plots; link queues;
-- each host's counters (what `nstat` would show as deltas); the script's
-- printed output; links to the pcaps.  Inline SVG and CSS only: nothing is
-- fetched, so the page opens offline from a file:// URL.  The same script
-- and seed give the same bytes.
--
-- From the command line:   lunet run --report DIR FILE.lua
-- From Lua:
--   local report = require "lunet.report"
--   local rep = report.new{title = "my lab"}
--   rep:watch(net)          -- record this network from now on
--   ... net:run() ...
--   rep:write("out/report") -- writes out/report/index.html, returns its path
--
-- Options of report.new: title, max_conns (connections drawn in full,
-- default 12; the table lists them all up to 500), max_ladder (segments
-- per ladder, default 160), max_segments (segments recorded per network,
-- default 100,000; the pcaps keep everything).

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
local svg = require "lunet.svg"
local trace = require "lunet.trace"
local ladder = require "lunet.ladder"
local timeline = require "lunet.timeline"
local tp = require "lunet.tcpplots"

local M = {}
local Report = {}
Report.__index = Report

local esc = svg.esc

local NEW_OPTS = {max_conns = true, max_ladder = true, max_segments = true, title = true}

function M.new(opts)
  opts = require("lunet.util").check_opts("report.new", opts, NEW_OPTS)
  return setmetatable({
    title = opts.title or "lunet report", max_conns = opts.max_conns or 12,
    max_ladder = opts.max_ladder or 160, max_segments = opts.max_segments or 100000,
    nets = {}, out = {}, out_len = 0, err = nil,
  }, Report)
end

-- Counters of every node now: {name = {counter = value}}.
local function counters(net)
  local out = {}
  for _, nd in ipairs(net:nodes()) do out[nd.name] = nd:netstat() end
  return out
end

-- The network of a watched entry, or nil once it is gone: a report holds
-- its networks weakly, so a script that makes many lets them (and their
-- captures' files) go.
local function net_of(w) return w.ref[1] end

function Report:watch(net)
  for _, w in ipairs(self.nets) do
    if net_of(w) == net then return w end
  end
  local w = {ref = setmetatable({net}, {__mode = "v"}), name = net.name, seed = net:seed(),
             tr = trace.new(net, {queues = true, max_segments = self.max_segments}),
             before = counters(net)}
  self.nets[#self.nets + 1] = w
  return w
end

-- Text the script printed (kept up to 1 MiB).
function Report:output(s)
  if self.out_len > 1048576 then return end
  self.out[#self.out + 1] = s
  self.out_len = self.out_len + #s
end

-- What the page says of a network, read while it is open: nodes,
-- links, counters, captures.  Taken at write time, or when the script
-- closes the network before that.
local function snapshot(w)
  local net = net_of(w)
  if not net or net.closed then return end
  local s = {now = net:now(), nodes = {}, links = {}, caps = {}, after = counters(net)}
  for _, nd in ipairs(net:nodes()) do
    local ifs = {}
    for _, ifc in ipairs(nd:ifaces()) do
      ifs[#ifs + 1] = {name = ifc.name, addr = ifc:addr(), mac = ifc.mac}
    end
    s.nodes[#s.nodes + 1] = {name = nd.name, router = nd.is_router, ifaces = ifs}
  end
  for _, l in ipairs(net:links()) do
    s.links[#s.links + 1] = {name = l.name, ab = l:get("ab"), ba = l:get("ba"), stats = l:stats(),
                             up = l:is_up()}
  end
  for _, c in ipairs(net:captures()) do
    s.caps[#s.caps + 1] = {path = c.path, count = c:count()}
  end
  w.snap = s
end

function Report:snapshot(net)
  for _, w in ipairs(self.nets) do
    if net_of(w) == net then snapshot(w) end
  end
end

------------------------------------------------------------------------
-- the page
------------------------------------------------------------------------

local CSS = [[
body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#1d2733;margin:0;background:#f7f9fb}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d5dde5;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}h4{font-size:13px;margin:14px 0 4px}
.meta{color:#5a6b7b;font-size:13px;margin:0 0 12px}
nav ul{margin:4px 0;padding-left:20px;font-size:13px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 10px;background:#fff}
th,td{border:1px solid #d5dde5;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eef2f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:10px 0;background:#fff;border:1px solid #e1e7ec;border-radius:4px;padding:6px;overflow-x:auto}
figcaption{font-size:12px;color:#5a6b7b;margin:4px 2px 0}
figure svg{display:block;max-width:none}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:10px}
.plots figure svg{max-width:100%;height:auto}
pre{background:#fff;border:1px solid #e1e7ec;padding:10px;font-size:12px;line-height:1.35;overflow-x:auto}
.err{background:#fdecea;border:1px solid #e57373;color:#8e1b1b;padding:8px 12px;border-radius:4px;white-space:pre-wrap;font-family:monospace;font-size:12px}
.muted{color:#5a6b7b;font-size:12px}
details{margin:6px 0}summary{cursor:pointer;font-size:13px}
.ctr{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:8px}
]]

local function fmt_rate(bps)
  if not bps or bps == 0 then return "unlimited" end
  for _, u in ipairs({{1e9, "Gbit/s"}, {1e6, "Mbit/s"}, {1e3, "kbit/s"}}) do
    if bps >= u[1] then return (string.format("%.3f", bps / u[1]):gsub("%.?0+$", "")) .. " " .. u[2] end
  end
  return bps .. " bit/s"
end

local function fmt_pct(p)
  if not p or p == 0 then return "0" end
  return (string.format("%.4f", p * 100):gsub("%.?0+$", "")) .. "%"
end

-- "1 link", "2 links"
local function count(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

local function sorted_keys(t)
  local k = {}
  for key in pairs(t) do k[#k + 1] = key end
  table.sort(k)
  return k
end

-- "a/b" relative to directory `dir`, when both are paths of this machine
-- written from the same working directory.
local function split(p)
  local out = {}
  for part in p:gmatch("[^/]+") do
    if part == ".." and #out > 0 and out[#out] ~= ".." then out[#out] = nil
    elseif part ~= "." then out[#out + 1] = part end
  end
  return out
end

local function abs(p)
  if p:sub(1, 1) == "/" then return p end
  return lunet.getcwd() .. "/" .. p
end

-- A relative path as a URL: every byte but the safe ones %-escaped.
local function url_path(p)
  return (p:gsub("[^%w/._~-]", function(c) return string.format("%%%02X", c:byte()) end))
end

function M.relpath(path, dir)
  local a, b = split(abs(path)), split(abs(dir))
  local i = 1
  while i <= #a and i <= #b and a[i] == b[i] do i = i + 1 end
  local out = {}
  for _ = i, #b do out[#out + 1] = ".." end
  for k = i, #a do out[#out + 1] = a[k] end
  return table.concat(out, "/")
end

-- Connections drawn in full: those that carried the most, in the order
-- they were first seen.
local function pick(conns, n)
  local idx = {}
  for i = 1, #conns do idx[i] = i end
  table.sort(idx, function(x, y)
    local cx, cy = conns[x], conns[y]
    local bx, by = cx.bytes.a + cx.bytes.b, cy.bytes.a + cy.bytes.b
    if bx ~= by then return bx > by end
    if #cx.segs ~= #cy.segs then return #cx.segs > #cy.segs end
    return x < y
  end)
  local chosen = {}
  for i = 1, math.min(n, #idx) do chosen[#chosen + 1] = idx[i] end
  table.sort(chosen)
  local out = {}
  for i, k in ipairs(chosen) do out[i] = conns[k] end
  return out
end

local function state_path(c, side)
  local st = c.states[side]
  if #st == 0 then return "" end
  local p = {st[1].from}
  for _, r in ipairs(st) do if p[#p] ~= r.to then p[#p + 1] = r.to end end
  return table.concat(p, " → ")
end

local function figure(b, doc, caption)
  b[#b + 1] = "<figure>" .. doc .. (caption and ("<figcaption>" .. esc(caption) .. "</figcaption>") or "") ..
              "</figure>"
end

function Report:_conn(b, w, c, nid)
  local a, z = trace.side_label(c, "a"), trace.side_label(c, "b")
  b[#b + 1] = string.format('<section class="conn" id="n%d-c%d"><h3>Connection %d: %s ⇄ %s</h3>',
                            nid, c.id, c.id, esc(a), esc(z))
  -- numbers relative to the ISNs, as Wireshark shows them, unless the
  -- script fixed small ISNs to show them
  local small = (c.isn.a or 0) < 100000 and (c.isn.b or 0) < 100000
  local lad = ladder.from_trace(w.tr, {conn = c, relative = not small})
  local doc, elided = lad:svg({max_segments = self.max_ladder})
  local cap = string.format("Ladder diagram: %d segments%s; sequence numbers %s. Hover over an arrow for the segment as tcpdump prints it.",
                            #c.segs, elided and string.format(", %d of them not drawn", elided) or "",
                            small and "absolute" or "relative to each side's ISN")
  figure(b, doc, cap)
  local tl = timeline.svg(c)
  if tl then figure(b, tl, "TCP states of each side over time.") end
  local plots = {}
  for _, side in ipairs({"a", "b"}) do
    if c.bytes[side] > 0 then
      for _, f in ipairs({tp.tsg, tp.cwnd, tp.throughput, tp.rtt}) do
        local p = f(c, side)
        if p then plots[#plots + 1] = p end
      end
    end
  end
  if #plots > 0 then
    b[#b + 1] = '<div class="plots">'
    for _, p in ipairs(plots) do figure(b, p:svg()) end
    b[#b + 1] = "</div>"
  end
  b[#b + 1] = "</section>"
end

function Report:_net(b, w, nid)
  local s, tr = w.snap, w.tr
  b[#b + 1] = string.format('<section id="n%d"><h2>Network “%s” (seed %d)</h2>', nid, esc(w.name), w.seed)
  if not s then
    b[#b + 1] = '<p class="muted">The network was closed before the report could read it.</p>'
  else
    b[#b + 1] = string.format('<p class="meta">Virtual time at the end: %.6f s. %s, %s, %s, %s recorded%s.</p>',
      s.now / 1e9, count(#s.nodes, "node"), count(#s.links, "link"), count(#tr.conns, "TCP connection"),
      count(#tr.segs, "segment"),
      (tr.segs_skipped > 0 or tr.samples_skipped > 0) and
        string.format(" (recording stopped at %d per series: %d segments and %d samples not recorded, so the pictures end early; the pcaps have everything)",
                      self.max_segments, tr.segs_skipped, tr.samples_skipped) or "")
    -- topology
    b[#b + 1] = "<h3>Topology</h3><table><tr><th>node</th><th>kind</th><th>interfaces</th></tr>"
    for _, nd in ipairs(s.nodes) do
      local ifs = {}
      for _, i in ipairs(nd.ifaces) do ifs[#ifs + 1] = esc(i.name .. " " .. (i.addr or "-") .. " " .. (i.mac or "")) end
      b[#b + 1] = string.format("<tr><td>%s</td><td>%s</td><td>%s</td></tr>", esc(nd.name),
                                nd.router and "router" or "host", table.concat(ifs, "<br/>"))
    end
    b[#b + 1] = "</table>"
    if #s.links > 0 then
      b[#b + 1] = "<table><tr><th>link</th><th>direction</th><th>bandwidth</th><th>delay</th><th>loss</th><th>queue</th><th>up</th><th>sent</th><th>delivered</th><th>dropped (queue / loss / down)</th><th>most queued</th></tr>"
      for _, l in ipairs(s.links) do
        for _, d in ipairs({"ab", "ba"}) do
          local cfg, st = l[d], l.stats[d]
          local loss = cfg.loss
          if type(loss) == "table" then loss = loss.rate or loss.model or "?" end
          local q = (cfg.queue_bytes and cfg.queue_bytes > 0) and (cfg.queue_bytes .. " B") or
                    ((cfg.queue or cfg.queue_pkts or 0) .. " frames")
          local delay_ns = math.floor((cfg.delay or 0) * 1e9 + 0.5)   -- link:get gives seconds
          b[#b + 1] = string.format(
            '<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="n">%d</td><td class="n">%d</td><td class="n">%d / %d / %d</td><td class="n">%d</td></tr>',
            esc(l.name), d == "ab" and "a→b" or "b→a", fmt_rate(cfg.bandwidth), svg.fmt_dur(delay_ns),
            type(loss) == "number" and fmt_pct(loss) or esc(tostring(loss)), esc(q), cfg.up and "yes" or "no",
            st.tx_packets or 0, st.delivered or 0, st.dropped_queue or 0, st.dropped_loss or 0,
            st.dropped_down or 0, st.max_qlen or 0)
        end
      end
      b[#b + 1] = "</table>"
    end
  end
  -- connections
  if #tr.conns > 0 then
    b[#b + 1] = "<h3>Connections</h3><table><tr><th>#</th><th>side a</th><th>side b</th><th>segments</th><th>bytes a→b</th><th>bytes b→a</th><th>retransmissions</th><th>states of a</th><th>states of b</th></tr>"
    for i, c in ipairs(tr.conns) do
      if i > 500 then
        b[#b + 1] = string.format('<tr><td colspan="9" class="muted">%d more connections not listed</td></tr>', #tr.conns - 500)
        break
      end
      b[#b + 1] = string.format('<tr><td class="n">%d</td><td>%s</td><td>%s</td><td class="n">%d</td><td class="n">%d</td><td class="n">%d</td><td class="n">%d</td><td>%s</td><td>%s</td></tr>',
        c.id, esc(trace.side_label(c, "a")), esc(trace.side_label(c, "b")), #c.segs, c.bytes.a, c.bytes.b,
        c.rtx.a + c.rtx.b, esc(state_path(c, "a")), esc(state_path(c, "b")))
    end
    b[#b + 1] = "</table>"
    local shown = pick(tr.conns, self.max_conns)
    if #shown < #tr.conns then
      b[#b + 1] = string.format('<p class="muted">Drawn below: the %d connections that carried the most.</p>', #shown)
    end
    for _, c in ipairs(shown) do self:_conn(b, w, c, nid) end
  end
  -- queues
  local qs = {}
  for _, q in ipairs(tr:queues()) do
    if q.max > 0 or #q.drops > 0 then qs[#qs + 1] = q end
  end
  if #qs > 0 then
    b[#b + 1] = "<h3>Link queues</h3><div class=\"plots\">"
    for i, q in ipairs(qs) do
      if i > 12 then break end
      figure(b, tp.queue(q):svg())
    end
    b[#b + 1] = "</div>"
    if #qs > 12 then
      b[#b + 1] = string.format('<p class="muted">%d more link directions queued or dropped; the first 12 are drawn.</p>', #qs - 12)
    end
  end
  -- counters
  if s then
    b[#b + 1] = "<h3>Counters</h3><p class=\"muted\">What each host counted during the run (nstat names), non-zero only.</p><div class=\"ctr\">"
    for i, nd in ipairs(s.nodes) do
      if i > 64 then
        b[#b + 1] = string.format('<p class="muted">%d more nodes not shown</p>', #s.nodes - 64)
        break
      end
      local before, after = w.before[nd.name] or {}, s.after[nd.name] or {}
      local rows = {}
      for _, k in ipairs(sorted_keys(after)) do
        local d = (after[k] or 0) - (before[k] or 0)
        if d ~= 0 then rows[#rows + 1] = string.format('<tr><td>%s</td><td class="n">%d</td></tr>', esc(k), d) end
      end
      b[#b + 1] = string.format("<div><h4>%s</h4>", esc(nd.name))
      if #rows > 0 then
        b[#b + 1] = "<table>" .. table.concat(rows) .. "</table>"
      else
        b[#b + 1] = '<p class="muted">nothing counted</p>'
      end
      b[#b + 1] = "</div>"
    end
    b[#b + 1] = "</div>"
  end
  b[#b + 1] = "</section>"
end

-- The page as a string; dir is where it will live (for relative links).
function Report:html(dir)
  for _, w in ipairs(self.nets) do snapshot(w) end
  local b = {}
  b[#b + 1] = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
  b[#b + 1] = '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
  b[#b + 1] = "<title>" .. esc(self.title) .. "</title>"
  b[#b + 1] = "<style>" .. CSS .. "</style></head><body><main>"
  b[#b + 1] = "<h1>" .. esc(self.title) .. "</h1>"
  local seeds = {}
  for _, w in ipairs(self.nets) do seeds[#seeds + 1] = tostring(w.seed) end
  b[#b + 1] = string.format('<p class="meta">lunet %s · %s · seed %s · virtual time, deterministic: the same script and seed give this same page</p>',
    esc(lunet.version or "?"), count(#self.nets, "network"),
    #seeds > 0 and table.concat(seeds, ", ") or "-")
  if self.err then
    b[#b + 1] = '<div class="err">The script failed:\n' .. esc(self.err) .. "</div>"
  end
  -- contents
  b[#b + 1] = "<nav><ul>"
  for i, w in ipairs(self.nets) do
    b[#b + 1] = string.format('<li><a href="#n%d">Network “%s”</a> (%s)</li>', i, esc(w.name),
                              count(#w.tr.conns, "TCP connection"))
  end
  b[#b + 1] = '<li><a href="#output">Output</a></li><li><a href="#pcaps">Captures</a></li></ul></nav>'
  if #self.nets == 0 then
    b[#b + 1] = '<p class="muted">The script made no network.</p>'
  end
  for i, w in ipairs(self.nets) do self:_net(b, w, i) end
  -- output
  local text = require("lunet.term").strip(table.concat(self.out))   -- a coloured ladder
  if self.out_len > 1048576 then text = text .. "\n[... output cut at 1 MiB]\n" end
  b[#b + 1] = '<section id="output"><h2>Output</h2>'
  if text == "" then b[#b + 1] = '<p class="muted">The script printed nothing.</p>'
  else b[#b + 1] = "<pre>" .. esc(text) .. "</pre>" end
  b[#b + 1] = "</section>"
  -- captures
  b[#b + 1] = '<section id="pcaps"><h2>Captures</h2>'
  local any = false
  for _, w in ipairs(self.nets) do
    for _, cp in ipairs(w.snap and w.snap.caps or {}) do
      if not any then b[#b + 1] = "<ul>"; any = true end
      local href = dir and M.relpath(cp.path, dir) or cp.path
      b[#b + 1] = string.format('<li><a href="%s">%s</a> (%d frames)</li>', esc(url_path(href)), esc(href),
                                cp.count)
    end
  end
  if any then
    b[#b + 1] = '</ul><p class="muted">Open them in Wireshark; timestamps are virtual time.</p>'
  else
    b[#b + 1] = '<p class="muted">No captures (lunet run --pcap DIR, or net:capture{} in the script).</p>'
  end
  b[#b + 1] = "</section></main></body></html>\n"
  return table.concat(b, "\n")
end

-- Write dir/index.html (dir is created as with mkdir -p).
function Report:write(dir)
  if type(dir) ~= "string" or dir == "" then error("report:write: expected a directory", 2) end
  lunet.mkdir(dir)
  local path = dir .. "/index.html"
  return svg.write_file(path, self:html(dir), "report:write")
end

------------------------------------------------------------------------
-- lunet run --report DIR
------------------------------------------------------------------------

local cli

-- Record every network the script makes and everything it prints.
function M.begin(opts)
  local rep = M.new{title = opts.title}
  cli = {rep = rep, dir = opts.dir, saved = {}}
  local sv = cli.saved
  sv.net = lunet.net
  lunet.net = function(...)
    local n = sv.net(...)
    rep:watch(n)
    return n
  end
  -- a network is read after each run and just before the script closes
  -- it (the report does not keep it alive: see net_of)
  local methods = lunet._methods.Net
  sv.close, sv.run, sv.run_until = methods.close, methods.run, methods.run_until
  methods.close = function(n, ...)
    rep:snapshot(n)
    return sv.close(n, ...)
  end
  local function after(n, ...)
    rep:snapshot(n)
    return ...
  end
  methods.run = function(n, ...) return after(n, sv.run(n, ...)) end
  methods.run_until = function(n, ...) return after(n, sv.run_until(n, ...)) end
  local mt = debug.getregistry()["lunet.Net"]
  sv.mt_close = mt.__close
  mt.__close = function(n, ...)
    rep:snapshot(n)
    return sv.mt_close(n, ...)
  end
  -- a script that ends with os.exit still gets its page
  sv.exit = os.exit
  os.exit = function(...)
    M.finish(nil)
    return sv.exit(...)
  end
  sv.print = print
  print = function(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    rep:output(table.concat(parts, "\t") .. "\n")
    return sv.print(...)
  end
  local function keep(first, ...)
    for i = first, select("#", ...) do
      local v = select(i, ...)
      if type(v) == "string" or type(v) == "number" then rep:output(tostring(v)) end
    end
  end
  sv.write = io.write
  io.write = function(...)
    keep(1, ...)
    return sv.write(...)
  end
  -- io.stdout:write, through the methods every file shares
  local fm = getmetatable(io.stdout).__index
  sv.fwrite = fm.write
  fm.write = function(f, ...)
    if f == io.stdout then keep(1, ...) end
    return sv.fwrite(f, ...)
  end
  return rep
end

-- Write the page (also after the script failed: err is its message).
function M.finish(err)
  if not cli then return nil end
  local c = cli
  cli = nil
  lunet.net = c.saved.net
  local methods = lunet._methods.Net
  methods.close, methods.run, methods.run_until = c.saved.close, c.saved.run, c.saved.run_until
  debug.getregistry()["lunet.Net"].__close = c.saved.mt_close
  os.exit = c.saved.exit
  print, io.write = c.saved.print, c.saved.write
  getmetatable(io.stdout).__index.write = c.saved.fwrite
  c.rep.err = err
  return c.rep:write(c.dir)
end

return M
