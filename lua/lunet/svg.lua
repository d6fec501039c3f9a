-- lunet.svg - the few pieces every picture shares: XML escaping, numbers
-- written the same way in every process, and a buffer that collects
-- elements into one SVG document.
--
--   local svg = require "lunet.svg"
--   local c = svg.canvas()
--   c:add('<line x1="%s" y1="%s" x2="%s" y2="%s"/>', svg.num(x1), ...)
--   c:text(x, y, "label", 'class="lbl"')
--   local doc = c:document(width, height, "lunet-ladder", CSS)
--
-- Pictures are inlined into one HTML report, so nothing here uses id=
-- attributes (markers, gradients): two pictures on a page must not clash.
-- Attributes are written by hand in a fixed order, never from pairs(), so
-- the same drawing gives the same bytes.

local M = {}

local ESC = {["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;"}

-- Text for XML content and attribute values.  Control characters other
-- than tab and newline are not allowed in XML 1.0: they become "?".
function M.esc(s)
  s = tostring(s)
  s = s:gsub("[%z\1-\8\11\12\14-\31]", "?")
  -- XML is UTF-8 here: bytes that are not (a note built from raw bytes)
  -- become "?" too
  if not utf8.len(s) then s = s:gsub("[\128-\255]", "?") end
  return (s:gsub("[&<>\"']", ESC))
end

-- A coordinate or length: at most two decimals, no trailing zeros, never
-- "-0", so output does not depend on floating-point noise below 0.005.
function M.num(x)
  local s = string.format("%.2f", x)
  s = s:gsub("0+$", ""):gsub("%.$", "")
  if s == "-0" then s = "0" end
  return s
end
local num = M.num

-- Width of a text in pixels, for layout.  The pictures use a monospace
-- font, whose advance is close to 0.6 em in every common one.
function M.text_width(s, size)
  return utf8.len(s) and utf8.len(s) * size * 0.6 or #s * size * 0.6
end

local Canvas = {}
Canvas.__index = Canvas

function M.canvas()
  return setmetatable({buf = {}}, Canvas)
end

-- Append one element written with string.format; numbers should already
-- have been through svg.num.
function Canvas:add(fmt, ...)
  local b = self.buf
  if select("#", ...) == 0 then b[#b + 1] = fmt else b[#b + 1] = string.format(fmt, ...) end
end

function Canvas:line(x1, y1, x2, y2, attrs)
  self.buf[#self.buf + 1] = string.format('<line x1="%s" y1="%s" x2="%s" y2="%s"%s/>',
    num(x1), num(y1), num(x2), num(y2), attrs and " " .. attrs or "")
end

function Canvas:rect(x, y, w, h, attrs)
  self.buf[#self.buf + 1] = string.format('<rect x="%s" y="%s" width="%s" height="%s"%s/>',
    num(x), num(y), num(w), num(h), attrs and " " .. attrs or "")
end

function Canvas:circle(x, y, r, attrs)
  self.buf[#self.buf + 1] = string.format('<circle cx="%s" cy="%s" r="%s"%s/>',
    num(x), num(y), num(r), attrs and " " .. attrs or "")
end

-- Text at (x, y); `title` (optional) becomes a tooltip.
function Canvas:text(x, y, s, attrs, title)
  local b = self.buf
  if title then
    b[#b + 1] = string.format('<text x="%s" y="%s"%s><title>%s</title>%s</text>',
      num(x), num(y), attrs and " " .. attrs or "", M.esc(title), M.esc(s))
  else
    b[#b + 1] = string.format('<text x="%s" y="%s"%s>%s</text>',
      num(x), num(y), attrs and " " .. attrs or "", M.esc(s))
  end
end

-- A polyline or polygon through {x1, y1, x2, y2, ...}.
function Canvas:poly(tag, pts, attrs)
  local p = {}
  for i = 1, #pts, 2 do p[#p + 1] = num(pts[i]) .. "," .. num(pts[i + 1]) end
  self.buf[#self.buf + 1] = string.format('<%s points="%s"%s/>', tag, table.concat(p, " "),
    attrs and " " .. attrs or "")
end

function Canvas:open(tag, attrs)
  self.buf[#self.buf + 1] = "<" .. tag .. (attrs and " " .. attrs or "") .. ">"
end

function Canvas:close(tag)
  self.buf[#self.buf + 1] = "</" .. tag .. ">"
end

function Canvas:title(s)
  self.buf[#self.buf + 1] = "<title>" .. M.esc(s) .. "</title>"
end

-- The whole document.  `class` names the kind of picture (CSS hooks and
-- what tests count); `css` is scoped by it so that several pictures
-- inlined in one page keep their own rules.
function Canvas:document(w, h, class, css, label)
  local head = string.format(
    '<svg xmlns="http://www.w3.org/2000/svg" class="%s" width="%s" height="%s" ' ..
    'viewBox="0 0 %s %s" role="img"%s>',
    class, num(w), num(h), num(w), num(h),
    label and string.format(' aria-label="%s"', M.esc(label)) or "")
  local out = {head}
  if label then out[#out + 1] = "<title>" .. M.esc(label) .. "</title>" end
  if css then out[#out + 1] = "<style>" .. css .. "</style>" end
  out[#out + 1] = string.format('<rect class="bg" x="0" y="0" width="%s" height="%s" fill="#fff"/>',
                                num(w), num(h))
  out[#out + 1] = table.concat(self.buf, "\n")
  out[#out + 1] = "</svg>\n"
  return table.concat(out, "\n")
end

-- Write a string to a file; raises with the path and the system's reason.
function M.write_file(path, data, fname)
  local f, err = io.open(path, "wb")
  if not f then error((fname or "write") .. ": cannot write " .. path .. ": " .. tostring(err), 3) end
  f:write(data)
  f:close()
  return path
end

-- Time in the unit that reads best for its size: "1.2 ms", "60 s".
function M.fmt_dur(ns)
  local a = math.abs(ns)
  if a >= 1e9 then return (string.format("%.3f", ns / 1e9):gsub("%.?0+$", "")) .. " s" end
  if a >= 1e6 then return (string.format("%.3f", ns / 1e6):gsub("%.?0+$", "")) .. " ms" end
  if a >= 1e3 then return (string.format("%.3f", ns / 1e3):gsub("%.?0+$", "")) .. " µs" end
  return string.format("%d ns", ns)
end

return M
