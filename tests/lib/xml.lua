-- tests/lib/xml.lua - a strict well-formedness check for the SVG and HTML
-- lunet writes (the report is written as polyglot HTML: it parses as XML
-- too, which is what lets one checker hold both to the rules).
--
--   local xml = dofile("tests/lib/xml.lua")
--   local root, err = xml.parse(text)   -- root = {name=, attrs=, kids=, text=}
--   xml.find_all(root, pred)            -- every element for which pred(el)
--
-- Checked: one root element; tags nested and closed; names well-formed;
-- attributes quoted, not repeated, without "<" in values; "&" only as a
-- predefined or numeric character reference; comments closed and without
-- "--" inside; nothing but whitespace, comments and one <!DOCTYPE ...>
-- around the root.

local M = {}

local NAME = "^[%a_:][%w_:%.%-]*"
local ENT = {amp = true, lt = true, gt = true, quot = true, apos = true}

local function line_of(s, i)
  local n = 1
  for _ in s:sub(1, i):gmatch("\n") do n = n + 1 end
  return n
end

-- Check the character references in a piece of text.
local function refs_ok(s)
  local i = 1
  while true do
    local a = s:find("&", i, true)
    if not a then return true end
    local b = s:find(";", a, true)
    if not b then return false, "'&' without ';'" end
    local name = s:sub(a + 1, b - 1)
    if not (ENT[name] or name:match("^#%d+$") or name:match("^#x%x+$")) then
      return false, "unknown entity &" .. name .. ";"
    end
    i = b + 1
  end
end

local DECODE = {amp = "&", lt = "<", gt = ">", quot = '"', apos = "'"}

-- Text with its character references replaced (after refs_ok passed).
local function decode(s)
  return (s:gsub("&(#?x?)(%w+);", function(kind, v)
    if kind == "" then return DECODE[v] end
    return utf8.char(tonumber(v, kind == "#x" and 16 or 10))
  end))
end
M.decode = decode

function M.parse(s)
  local i, n = 1, #s
  local stack, root = {}, nil
  local function fail(msg, at) return nil, string.format("line %d: %s", line_of(s, at or i), msg) end
  local seen_doctype = false
  while i <= n do
    local lt = s:find("<", i, true)
    local text = s:sub(i, (lt or n + 1) - 1)
    if #stack == 0 then
      if text:find("%S") then return fail("text outside the root element") end
    else
      local ok, why = refs_ok(text)
      if not ok then return fail(why) end
      if text:find(">", 1, true) and text:find("]]>", 1, true) then return fail("']]>' in text") end
      local top = stack[#stack]
      top.text[#top.text + 1] = decode(text)
    end
    if not lt then break end
    i = lt
    if s:sub(i, i + 3) == "<!--" then
      local e = s:find("-->", i + 4, true)
      if not e then return fail("comment not closed") end
      if s:sub(i + 4, e - 1):find("--", 1, true) then return fail("'--' inside a comment") end
      i = e + 3
    elseif s:sub(i, i + 8):upper() == "<!DOCTYPE" then
      if seen_doctype or root or #stack > 0 then return fail("misplaced DOCTYPE") end
      seen_doctype = true
      local e = s:find(">", i, true)
      if not e then return fail("DOCTYPE not closed") end
      i = e + 1
    elseif s:sub(i, i + 1) == "</" then
      local name = s:sub(i + 2):match(NAME)
      if not name then return fail("bad end tag") end
      local e = s:find(">", i, true)
      if not e or s:sub(i + 2 + #name, e - 1):find("%S") then return fail("bad end tag </" .. name) end
      local top = table.remove(stack)
      if not top then return fail("end tag </" .. name .. "> without a start") end
      if top.name ~= name then return fail("</" .. name .. "> closes <" .. top.name .. ">") end
      top.text = table.concat(top.text)
      i = e + 1
    elseif s:sub(i, i + 1) == "<?" then
      local e = s:find("?>", i, true)
      if not e then return fail("processing instruction not closed") end
      i = e + 2
    else
      local name = s:sub(i + 1):match(NAME)
      if not name then return fail("bad start tag") end
      local el = {name = name, attrs = {}, attr_order = {}, kids = {}, text = {}, line = line_of(s, i)}
      local j = i + 1 + #name
      while true do
        local ws = s:match("^%s*", j)
        j = j + #ws
        local c = s:sub(j, j)
        if c == ">" then j = j + 1; break end
        if s:sub(j, j + 1) == "/>" then j = j + 2; el.empty = true; break end
        if c == "" then return fail("tag <" .. name .. "> not closed") end
        if #ws == 0 then return fail("attributes of <" .. name .. "> need spaces between them", j) end
        local an = s:match(NAME, j)
        if not an then return fail("bad attribute in <" .. name .. ">", j) end
        j = j + #an
        local eq = s:match("^%s*=%s*", j)
        if not eq then return fail("attribute " .. an .. " without a value", j) end
        j = j + #eq
        local q = s:sub(j, j)
        if q ~= '"' and q ~= "'" then return fail("attribute " .. an .. " not quoted", j) end
        local e = s:find(q, j + 1, true)
        if not e then return fail("attribute " .. an .. " not closed", j) end
        local v = s:sub(j + 1, e - 1)
        if v:find("<", 1, true) then return fail("'<' in the value of " .. an, j) end
        local ok, why = refs_ok(v)
        if not ok then return fail(why .. " in " .. an, j) end
        if el.attrs[an] then return fail("attribute " .. an .. " repeated", j) end
        el.attrs[an] = decode(v)
        el.attr_order[#el.attr_order + 1] = an
        j = e + 1
      end
      if #stack == 0 then
        if root then return fail("a second root element <" .. name .. ">") end
        root = el
      else
        local kids = stack[#stack].kids
        kids[#kids + 1] = el
      end
      if el.empty then el.text = "" else stack[#stack + 1] = el end
      i = j
    end
  end
  if #stack > 0 then return fail("<" .. stack[#stack].name .. "> never closed", n) end
  if not root then return nil, "no root element" end
  return root
end

function M.find_all(el, pred, out)
  out = out or {}
  if pred(el) then out[#out + 1] = el end
  for _, k in ipairs(el.kids) do M.find_all(k, pred, out) end
  return out
end

-- Elements whose class attribute holds every word of `classes`.
function M.by_class(root, classes)
  local want = {}
  for w in classes:gmatch("%S+") do want[#want + 1] = w end
  return M.find_all(root, function(el)
    local c = el.attrs.class
    if not c then return false end
    for _, w in ipairs(want) do
      if not (" " .. c .. " "):find(" " .. w .. " ", 1, true) then return false end
    end
    return true
  end)
end

return M
