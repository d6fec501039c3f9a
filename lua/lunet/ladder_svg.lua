-- lunet.ladder_svg - a ladder diagram as an SVG picture (ladder:svg()).
--
-- Time runs down.  Each host (or endpoint) has a lifeline; a segment is an
-- arrow slanted from the moment it started onto the wire at the sender to
-- the moment its last bit arrived at the receiver, so serialization and
-- propagation show as the slope.  A segment that died is drawn to where
-- it died (on the link, at a router, at the receiver) and ends in a red
-- cross with the reason.  Retransmissions, zero-window probes and
-- keep-alives have their own colours and say what they are.  State
-- changes are labelled boxes on the lifeline; notes are rows of their
-- own.  Long idle gaps (a 60 s TIME_WAIT) are cut to a marked break that
-- says how long it was (lunet.timeaxis), so a whole run fits on a page.
--
-- Every arrow is a <g class="seg ..."> with a tooltip holding the
-- segment's tcpdump line: tests and the browser test count them.  Its
-- data-id is the packet's trace id as lunet.trace_id writes it ("3.17":
-- the 17th packet actor 3 made), the same on every hop of the packet.
--
-- Options (ladder:svg(opts)):
--   relative, win   as for the text ladder (default: the ladder's own)
--   options = true  SYN options under the SYN's label
--   max_segments    draw the first 3/4 and the last 1/4 of that many
--                   segments, and a break for the rest
--   max_gap = 200   longest gap in px kept to scale before it is cut
--   title           a heading above the picture

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
local svg = require "lunet.svg"
local num, esc = svg.num, svg.esc

local M = {}

-- A segment's trace id as people read it; "" for a segment without one.
local function id_text(id)
  if math.type(id) == "integer" and id >= 0 then return (lunet.trace_id(id)) end
  return id and tostring(id) or ""
end

local FONT = 11
local SMALL = 10
local HEAD = 78            -- names, addresses, initial states
local LEFT = 100           -- time labels
local ROOM_TX, ROOM_STATE, ROOM_NOTE = 24, 22, 20
local TRANSIT_PX = 56      -- a typical one-way trip, in px

local CSS = table.concat({
  ".lunet-ladder text{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:11px;fill:#1d2733}",
  ".lunet-ladder .host{font-weight:bold;font-size:13px}",
  ".lunet-ladder .addr,.lunet-ladder .t{fill:#607080;font-size:10px}",
  ".lunet-ladder .life{stroke:#9fb0bf;stroke-width:1.5}",
  ".lunet-ladder .brk{fill:#f1f3f5}",
  ".lunet-ladder .brkline{fill:none;stroke:#9fb0bf;stroke-width:1}",
  ".lunet-ladder .brktxt{fill:#607080;font-style:italic;font-size:10px}",
  ".lunet-ladder .note{fill:#5a6b7b;font-style:italic}",
  ".lunet-ladder .noteline{stroke:#c5ced6;stroke-dasharray:2 3}",
  ".lunet-ladder .st rect{stroke-width:1}",
  ".lunet-ladder .st text{font-size:10px}",
  ".lunet-ladder .seg line,.lunet-ladder .seg polyline{stroke:#24425e;stroke-width:1.4}",
  ".lunet-ladder .seg polygon{fill:#24425e}",
  ".lunet-ladder .seg.ctl line,.lunet-ladder .seg.ctl polyline{stroke:#2e7d32}.lunet-ladder .seg.ctl polygon{fill:#2e7d32}",
  ".lunet-ladder .seg.rst line,.lunet-ladder .seg.rst polyline{stroke:#8e1b1b}.lunet-ladder .seg.rst polygon{fill:#8e1b1b}",
  ".lunet-ladder .seg.rtx line,.lunet-ladder .seg.rtx polyline{stroke:#d35400;stroke-width:2}.lunet-ladder .seg.rtx polygon{fill:#d35400}",
  ".lunet-ladder .seg.rtx .lbl{fill:#a04000}",
  ".lunet-ladder .seg.probe line,.lunet-ladder .seg.probe polyline{stroke:#7b1fa2;stroke-dasharray:6 3}.lunet-ladder .seg.probe polygon{fill:#7b1fa2}",
  ".lunet-ladder .seg.probe .lbl{fill:#6a1b9a}",
  ".lunet-ladder .seg.lost line,.lunet-ladder .seg.lost polyline{stroke:#c62828;stroke-dasharray:5 3}",
  ".lunet-ladder .seg.inflight line,.lunet-ladder .seg.inflight polyline{stroke:#8a99a8;stroke-dasharray:2 3}",
  ".lunet-ladder .seg .x{stroke:#c62828;stroke-width:2.2;stroke-dasharray:none}",
  ".lunet-ladder .seg .why{fill:#c62828;font-size:10px}",
  ".lunet-ladder .seg .opt{fill:#56707f;font-size:10px}",
  ".lunet-ladder .seg:hover line,.lunet-ladder .seg:hover polyline{stroke-width:3}",
  ".lunet-ladder .flat{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}",
}, "\n")

-- Box colours by state: opening, open, closing, waiting, closed.
local STATE_FILL = {
  LISTEN = {"#f3e5f5", "#8e24aa"}, SYN_SENT = {"#e3f2fd", "#1e88e5"},
  SYN_RCVD = {"#e3f2fd", "#1e88e5"}, ESTABLISHED = {"#e8f5e9", "#43a047"},
  FIN_WAIT_1 = {"#fff8e1", "#f9a825"}, FIN_WAIT_2 = {"#fff8e1", "#f9a825"},
  CLOSING = {"#fff8e1", "#f9a825"}, CLOSE_WAIT = {"#fff3e0", "#ef6c00"},
  LAST_ACK = {"#fff3e0", "#ef6c00"}, TIME_WAIT = {"#eceff1", "#546e7a"},
  CLOSED = {"#fafafa", "#9e9e9e"},
}
M.STATE_FILL = STATE_FILL

local function median(xs)
  if #xs == 0 then return nil end
  table.sort(xs)
  return xs[(#xs + 1) // 2]
end

-- "MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=10" (Wireshark's words; WS as
-- the shift count, the number on the wire).
local function syn_options(o)
  local p = {}
  if o.mss then p[#p + 1] = "MSS=" .. o.mss end
  if o.sack_perm then p[#p + 1] = "SACK_PERM" end
  if o.tsval then p[#p + 1] = "TSval=" .. o.tsval .. " TSecr=" .. o.tsecr end
  if o.ws then p[#p + 1] = "WS=" .. o.ws end
  return table.concat(p, " ")
end
M.syn_options = syn_options

local function seg_class(s)
  if s.lost then return "seg lost" end
  if not s.rx_time and not s.discarded and s.to then return "seg inflight" end
  if s.retransmission then return "seg rtx" end
  if s.kind then return "seg probe" end
  if s.rst then return "seg rst" end
  if s.syn or s.fin then return "seg ctl" end
  return "seg"
end

-- What the tooltip says of a segment's fate.
local function fate(s)
  if s.lost then
    local where = s.lost_node or s.lost_link
    return "dropped: " .. s.lost .. (where and (" at " .. where) or "") ..
           " at t=" .. string.format("%.6f", s.lost_time / 1e9) .. " s"
  end
  if s.rx_time and s.discarded then
    return "arrived at t=" .. string.format("%.6f", s.rx_time / 1e9) ..
           " s; discarded as " .. s.discarded .. " and answered with an ACK, as a probe is meant to be"
  end
  if s.rx_time then return "arrived at t=" .. string.format("%.6f", s.rx_time / 1e9) .. " s" end
  return "not seen arriving"
end

-- Where along its path a segment died, 0 (at its sender) to 1 (at its
-- receiver): the hops it had made out of the hops segments of its
-- direction take, and half a hop more if the wire lost it.
local function death_fraction(s, hops_of_dir)
  if s.lost_node and s.lost_node == s.to then return 1 end
  if s.lost_node and s.lost_node == s.from and not s.lost_link then return 0.1 end
  local total = hops_of_dir[s.dir] or math.max(s.hops, 1)
  if total < 1 then total = 1 end
  local h = s.lost_hop or s.hops
  local f
  if s.lost_link and (s.lost == "loss" or s.lost == "link down") and h > 0 then
    f = (h - 0.5) / total
  else
    f = h / total
  end
  if f < 0.1 then f = 0.1 end
  if f > 1 then f = 1 end
  return f
end

-- Which rows to draw when a segment cap applies: the first 3/4 and the
-- last 1/4 of the segments, with what happened between their times.
local function cap_rows(rows, max)
  local nseg = 0
  for _, r in ipairs(rows) do if r.kind == "seg" then nseg = nseg + 1 end end
  if not max or nseg <= max then return rows, nil end
  local head, tail = max - max // 4, max // 4
  local out, k, elided = {}, 0, nil
  for _, r in ipairs(rows) do
    if r.kind == "seg" then k = k + 1 end
    if k <= head or (r.kind == "seg" and k > nseg - tail) or (r.kind ~= "seg" and k >= nseg - tail) then
      if elided and not elided.placed and k > head then
        out[#out + 1] = {kind = "elided", time = r.time, n = nseg - head - tail}
        elided.placed = true
      end
      out[#out + 1] = r
    else
      elided = elided or {}
    end
  end
  return out, nseg - head - tail
end

function M.draw(lad, opts)
  -- a view of the ladder with this drawing's numbering options
  local view = setmetatable({}, {__index = lad})
  if opts.relative ~= nil then view.relative = opts.relative end
  if opts.win ~= nil then view.win = opts.win end
  return M._draw(view, opts, opts.options ~= false)
end

function M._draw(lad, opts, show_opts)
  local rows, elided = cap_rows(lad:rows(), opts.max_segments)
  local ncol = #lad.cols

  -- the longest label sets the distance between lifelines
  local transit, hops_of_dir, longest = {}, {}, 0
  local labels = {}
  for _, r in ipairs(rows) do
    if r.kind == "seg" then
      local s = r.seg
      local lbl = lad:label(s)
      if s.retransmission then lbl = lbl .. " (retransmission)"
      elseif s.kind then lbl = lbl .. " (" .. s.kind .. ")" end
      labels[s] = lbl
      longest = math.max(longest, svg.text_width(lbl, FONT))
      if s.syn and s.opts and show_opts then
        longest = math.max(longest, svg.text_width(syn_options(s.opts), SMALL))
      end
      if s.rx_time then
        transit[#transit + 1] = s.rx_time - s.time
        if s.hops > (hops_of_dir[s.dir] or 0) then hops_of_dir[s.dir] = s.hops end
      end
    end
  end
  local colw = math.max(260, math.floor(longest + 70))
  local xs = {}
  for i = 1, ncol do xs[i] = LEFT + 80 + (i - 1) * colw end
  -- notes go in a margin of their own on the right, clear of the arrows
  local note_w = 0
  for _, r in ipairs(rows) do
    if r.kind == "note" then note_w = math.max(note_w, svg.text_width(r.note.text, FONT)) end
  end
  local notes_x = xs[ncol] + 90
  local width = notes_x + (note_w > 0 and note_w + 16 or 20)
  local typical = median(transit) or 1e6
  if typical <= 0 then typical = 1e3 end
  local scale = TRANSIT_PX / typical

  -- the items on the time axis: where each row needs room
  local items, geo = {}, {}
  local function item(t, room)
    local it = {t = t, room = room}
    items[#items + 1] = it
    return it
  end
  for _, r in ipairs(rows) do
    if r.kind == "seg" then
      local s = r.seg
      local a, b = lad:seg_cols(s)
      local g = {s = s, a = a, b = b, tx = item(s.time, (s.syn and s.opts and show_opts) and ROOM_TX + 10 or ROOM_TX)}
      -- routers and switches drawn as columns: where it arrived and when
      -- it left again (the time in between is its wait in their queue)
      for _, hop in ipairs(s.path or {}) do
        local col = lad.col_of[hop.node]
        if b and col and (col - a) * (b - col) > 0 then
          g.via = g.via or {}
          g.via[#g.via + 1] = {col = col, rx = item(hop.rx, 6), tx = hop.tx and item(hop.tx, 6)}
        end
      end
      if b and s.rx_time and not (s.lost and s.lost_node ~= s.to) then
        -- room: clear of a state box drawn just before (half a box),
        -- and of another arrowhead
        g.rx = item(s.rx_time, 12)
      elseif b and not s.lost then
        -- not seen arriving (still on its way when the trace ended):
        -- drawn to where it would arrive, dashed
        g.rx = item(s.time + math.floor(typical), 6)
      elseif b and s.lost then
        g.f = death_fraction(s, hops_of_dir)
        -- a router drawn as a column: the cross sits on its lifeline
        local at = s.lost_node and lad.col_of[s.lost_node]
        if at and at ~= a and at ~= b and (at - a) * (b - at) > 0 then
          g.at_col = at
          g.f = (at - a) / (b - a)
        end
        -- when: a node or a queue dropped it at a known time; the wire
        -- loses a frame as it leaves, so that is placed on its way
        local wire = s.lost_link and (s.lost == "loss" or s.lost == "link down")
        local t = (not wire and s.lost_time and s.lost_time > s.time) and s.lost_time
                  or s.time + math.floor(typical * g.f)
        g.rx = item(t, 14)            -- room for the reason
      end
      geo[#geo + 1] = g
    elseif r.kind == "state" then
      geo[#geo + 1] = {st = r.state, col = lad:state_col(r.state), it = item(r.time, ROOM_STATE)}
    elseif r.kind == "note" then
      geo[#geo + 1] = {note = r.note, it = item(r.time, ROOM_NOTE)}
    else
      geo[#geo + 1] = {elided = r.n, it = item(r.time, 40)}
    end
  end
  local ax = require("lunet.timeaxis").new(items, {scale = scale, max_gap = opts.max_gap or 200,
                                                   break_size = 34})
  local top = HEAD + (opts.title and 22 or 0) + 18
  local function Y(it) return top + ax:pos(it) end
  local bottom = top + ax.length + 30
  local c = svg.canvas()

  -- title, names, addresses, initial states
  local y0 = 0
  if opts.title then
    c:text(12, 18, opts.title, 'class="host"')
    y0 = 22
  end
  c:text(LEFT - 8, y0 + 22, "time (s)", 'class="t" text-anchor="end"')
  local initial = {}
  for _, g in ipairs(geo) do
    if g.st and not initial[g.col] then initial[g.col] = g.st.from end
  end
  for i, col in ipairs(lad.cols) do
    c:text(xs[i], y0 + 22, col.name, 'class="host" text-anchor="middle"')
    local addr = col.addrs[1] or ""
    if col.port then addr = require("lunet.util").endpoint(addr, col.port) end
    c:text(xs[i], y0 + 38, addr, 'class="addr" text-anchor="middle"')
  end

  -- breaks: a band, the lifelines cut, and how long it was
  local cuts, elided_at = {}, nil
  for _, g in ipairs(geo) do
    if g.elided then elided_at = {Y(g.it), g.elided} end
  end
  for _, b in ipairs(ax.breaks) do
    local ya, yb = top + b.p0, top + b.p1
    local label = svg.fmt_dur(b.t1 - b.t0) .. " later"
    if elided_at and elided_at[1] - yb >= 0 and elided_at[1] - yb < 60 then
      -- the segments left out are what that time was spent on: one band
      elided_at[3] = svg.fmt_dur(b.t1 - b.t0)
      elided_at[4] = ya
    else
      cuts[#cuts + 1] = {ya, yb, label}
    end
  end
  if elided_at then
    local y = elided_at[1]
    local label = elided_at[2] .. " segments not drawn" .. (elided_at[3] and (", " .. elided_at[3]) or "")
    cuts[#cuts + 1] = {elided_at[4] or (y - 30), y - 4, label}
  end
  table.sort(cuts, function(p, q) return p[1] < q[1] end)
  for _, cut in ipairs(cuts) do
    local ya, yb = cut[1], cut[2]
    c:rect(LEFT, ya, width - LEFT - 8, yb - ya, 'class="brk"')
    for _, yy in ipairs({ya, yb}) do
      local pts = {}
      for x = LEFT, width - 8, 12 do
        pts[#pts + 1] = x
        pts[#pts + 1] = yy + ((x - LEFT) % 24 == 0 and -2.5 or 2.5)
      end
      c:poly("polyline", pts, 'class="brkline"')
    end
    local mid = (xs[1] + xs[ncol]) / 2
    local tw = svg.text_width(cut[3], SMALL) + 12
    c:rect(mid - tw / 2, (ya + yb) / 2 - 8, tw, 15, 'class="brk"')
    c:text(mid, (ya + yb) / 2 + 4, cut[3], 'class="brktxt" text-anchor="middle"')
  end

  -- lifelines, in pieces between the cuts
  for i = 1, ncol do
    local y = top - 12
    for _, cut in ipairs(cuts) do
      c:line(xs[i], y, xs[i], cut[1], 'class="life"')
      y = cut[2]
    end
    c:line(xs[i], y, xs[i], bottom, 'class="life"')
  end

  -- time labels, where they do not collide
  local last_t = -1e9
  for _, g in ipairs(geo) do
    local it = g.tx or g.it
    if it and not g.elided then
      local y = Y(it)
      if y - last_t >= 12 then
        c:text(LEFT - 8, y + 4, string.format("%.6f", it.t / 1e9), 'class="t" text-anchor="end"')
        last_t = y
      end
    end
  end

  local function state_box(x, y, name)
    local fill = STATE_FILL[name] or {"#fafafa", "#9e9e9e"}
    local w = svg.text_width(name, SMALL) + 12
    c:open("g", 'class="st"')
    c:rect(x - w / 2, y - 8, w, 16, string.format('rx="3" fill="%s" stroke="%s"', fill[1], fill[2]))
    c:text(x, y + 3.5, name, 'text-anchor="middle"')
    c:close("g")
  end
  -- (a router or switch drawn as a column has no TCP state of its own)
  for i = 1, ncol do
    if initial[i] or not lad.cols[i].relay then state_box(xs[i], y0 + 56, initial[i] or "CLOSED") end
  end

  for _, g in ipairs(geo) do
    if g.st then
      state_box(xs[g.col], Y(g.it), g.st.to)
    elseif g.note then
      local y = Y(g.it)
      c:line(xs[ncol] + 14, y, notes_x - 6, y, 'class="noteline"')
      c:text(notes_x, y + 4, g.note.text, 'class="note"')
    elseif g.s then
      M._arrow(c, lad, g, xs, Y, labels[g.s], show_opts)
    end
  end

  local height = bottom + 12
  local label = "ladder diagram: " .. (opts.title or table.concat((function()
    local n = {}
    for i, col in ipairs(lad.cols) do n[i] = col.name end
    return n
  end)(), ", "))
  return c:document(width, height, "lunet-ladder", CSS, label), elided
end

-- One segment: line, head or cross, label along the line, tooltip.
function M._arrow(c, lad, g, xs, Y, label, show_opts)
  local s = g.s
  local x1, y1 = xs[g.a], Y(g.tx)
  -- the path: from the sender, through the columns it crossed, to where
  -- it arrived or died
  local pts = {x1, y1}
  for _, v in ipairs(g.via or {}) do
    pts[#pts + 1] = xs[v.col]; pts[#pts + 1] = Y(v.rx)
    if v.tx then pts[#pts + 1] = xs[v.col]; pts[#pts + 1] = Y(v.tx) end
  end
  local x2, y2
  if g.b and g.rx then
    x2, y2 = xs[g.b], Y(g.rx)
    if s.lost and g.f then
      if g.at_col then
        x2 = xs[g.at_col]
      elseif g.via then
        -- on the wire after the last column it crossed: half way on
        local lx = pts[#pts - 1]
        x2 = lx + (xs[g.b] - lx) * 0.5
      else
        x2 = x1 + (xs[g.b] - x1) * g.f
      end
    end
  else
    -- to an address without a column: a short arrow off the side
    local dir = (g.a < #xs) and 1 or -1
    x2, y2 = x1 + dir * 120, y1 + 14
  end
  if pts[#pts - 1] ~= x2 or pts[#pts] ~= y2 then pts[#pts + 1] = x2; pts[#pts + 1] = y2 end
  local tip = (s.summary or label) .. "\n" .. fate(s)
  c:open("g", string.format('class="%s" data-id="%s" data-t="%s"', seg_class(s), id_text(s.id),
                            string.format("%.9f", s.time / 1e9)))
  c:title(tip)
  if #pts == 4 then c:line(x1, y1, x2, y2) else c:poly("polyline", pts, 'fill="none"') end
  -- the head points along the last leg, the label along the first
  local px, py = pts[#pts - 3], pts[#pts - 2]
  local hl = math.sqrt((x2 - px) ^ 2 + (y2 - py) ^ 2)
  local hx_, hy_ = (x2 - px) / hl, (y2 - py) / hl
  local fx, fy = pts[3], pts[4]
  local dx, dy = fx - x1, fy - y1
  local len = math.sqrt(dx * dx + dy * dy)
  local ux, uy = dx / len, dy / len
  if s.lost then
    local k = 5
    c:line(x2 - k, y2 - k, x2 + k, y2 + k, 'class="x"')
    c:line(x2 - k, y2 + k, x2 + k, y2 - k, 'class="x"')
    local right = dx >= 0
    c:text(x2 + (right and 9 or -9), y2 + 4, s.lost, string.format('class="why" text-anchor="%s"',
                                                                 right and "start" or "end"))
  else
    local hx, hy = x2 - hx_ * 9, y2 - hy_ * 9
    c:poly("polygon", {x2, y2, hx - hy_ * 4, hy + hx_ * 4, hx + hy_ * 4, hy - hx_ * 4})
  end
  if not (g.b and g.rx) then
    c:text(x2 + (dx >= 0 and 4 or -4), y2 + 4, s.dst, string.format('class="addr" text-anchor="%s"',
                                                                  dx >= 0 and "start" or "end"))
  end
  -- A steep arrow (many rows in one trip: a window of data in flight)
  -- would pile its slanted label onto its neighbours': its label lies
  -- flat in its own row instead, beside the sender's lifeline.
  if math.abs(dy) > 0.6 * math.abs(dx) then
    local right = dx >= 0
    local ax = x1 + (right and 7 or -7)
    local anchor = right and "start" or "end"
    c:text(ax, y1 - 4, label, string.format('class="lbl flat" text-anchor="%s"', anchor))
    if s.syn and s.opts and show_opts then
      c:text(ax, y1 + 9, syn_options(s.opts), string.format('class="opt flat" text-anchor="%s"', anchor))
    end
    c:close("g")
    return
  end
  -- the label reads left to right along the line, near the sender, so
  -- that arrows crossing in opposite directions keep theirs apart
  local lx, ly, rx, ry = x1, y1, fx, fy
  if lx > rx then lx, ly, rx, ry = fx, fy, x1, y1 end
  local ang = math.deg(math.atan(ry - ly, rx - lx))
  local w = svg.text_width(label, FONT)
  if s.syn and s.opts and show_opts then w = math.max(w, svg.text_width(syn_options(s.opts), SMALL)) end
  local d                                  -- label centre, from the sender
  if w + 24 <= len then d = 12 + w / 2 else d = len / 2 end
  local cx, cy = x1 + ux * d, y1 + uy * d
  c:open("g", string.format('transform="translate(%s %s) rotate(%s)"', num(cx), num(cy), num(ang)))
  c:text(0, -4, label, 'class="lbl" text-anchor="middle"')
  if s.syn and s.opts and show_opts then
    c:text(0, 11, syn_options(s.opts), 'class="opt" text-anchor="middle"')
  end
  c:close("g")
  c:close("g")
end

return M
