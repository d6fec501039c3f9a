-- tests/browser/dom.lua FILE - what report_test.sh asks of a DOM that
-- Chromium dumped (--dump-dom), one fact per line:
--
--   ladders N            svg elements with the class lunet-ladder
--   segs N               g elements with the class seg in the first of them
--   seg-kinds K=N ...    the same g elements by their whole class list
--   ref TAG ATTR VALUE   every attribute that names something to load or open
--   cssurl VALUE         every url(...) and @import in CSS (style elements
--                        and style attributes)
--
-- Run as `lunet run tests/browser/dom.lua FILE`.  The input is the HTML
-- serialization of a DOM, which is regular enough for a small tokenizer:
-- attribute values are double-quoted with '"' escaped, text has '<'
-- escaped, and only the children of raw-text elements (style, script, ...)
-- are written literally, so those are read up to their end tag.

local path = assert(arg and arg[1], "usage: lunet run tests/browser/dom.lua FILE")
local f = assert(io.open(path, "rb"))
local s = f:read("a")
f:close()

-- Elements whose text the serializer writes unescaped.
local RAW = {script = true, style = true, xmp = true, iframe = true,
             noembed = true, noframes = true, plaintext = true, noscript = true}
-- Attributes that make a browser fetch, embed or open something.
local REF = {src = true, href = true, ["xlink:href"] = true, srcset = true,
             poster = true, data = true, action = true, formaction = true,
             background = true, ping = true, manifest = true}

local ENT = {amp = "&", lt = "<", gt = ">", quot = '"', apos = "'", nbsp = "\u{a0}"}
local function decode(v)
  return (v:gsub("&(#?)([xX]?)(%w+);", function(num, hex, name)
    if num == "" then return ENT[name] end
    return utf8.char(tonumber(name, hex ~= "" and 16 or 10))
  end))
end

local out = {}
local function emit(...) out[#out + 1] = table.concat({...}, " ") end
local function css_urls(css)
  for u in css:gmatch("[uU][rR][lL]%(%s*([^)]-)%s*%)") do emit("cssurl", (u:gsub("^[\"']", ""):gsub("[\"']$", ""))) end
  for u in css:gmatch("@import%s+[\"']([^\"']*)") do emit("cssurl", u) end
end

-- The attributes of one start tag: attrs[name] = decoded value.
local function attributes(text)
  local attrs, i = {}, 1
  while true do
    local a, b, name = text:find("^[%s/]*([^%s/>=]+)", i)
    if not a then return attrs end
    i = b + 1
    local value = ""
    local c, d, q = text:find('^%s*=%s*(["\'])', i)
    if c then
      local e = text:find(q, d + 1, true) or #text + 1
      value, i = text:sub(d + 1, e - 1), e + 1
    else
      c, d, value = text:find("^%s*=%s*([^%s>]*)", i)
      if c then i = d + 1 else value = "" end
    end
    attrs[name:lower()] = decode(value)
  end
end

local function has_class(attrs, word)
  for w in (attrs.class or ""):gmatch("%S+") do
    if w == word then return true end
  end
  return false
end

local ladders, segs, kinds, kind_order = 0, 0, {}, {}
local depth = 0              -- svg elements open inside the first ladder (0: outside)
local i, n = 1, #s
while i <= n do
  local lt = s:find("<", i, true)
  if not lt then break end
  if s:sub(lt, lt + 3) == "<!--" then
    i = (select(2, s:find("-->", lt + 4, true)) or n) + 1
  elseif s:find("^<[!?]", lt) then
    i = (s:find(">", lt, true) or n) + 1
  else
    local close, name = s:match("^<(/?)([%a][^%s/>]*)", lt)
    if not name then
      i = lt + 1                          -- a '<' that starts no tag
    else
      -- the tag ends at the first '>' outside a quoted attribute value
      local j, quote = lt + 1 + #close + #name, nil
      while j <= n do
        local ch = s:sub(j, j)
        if quote then if ch == quote then quote = nil end
        elseif ch == '"' or ch == "'" then quote = ch
        elseif ch == ">" then break end
        j = j + 1
      end
      local lname = name:lower()
      if close == "/" then
        if lname == "svg" and depth > 0 then depth = depth - 1 end
      else
        local attrs = attributes(s:sub(lt + 1 + #name, j - 1))
        for k, v in pairs(attrs) do
          if REF[k] then emit("ref", lname, k, v) end
        end
        if attrs.style then css_urls(attrs.style) end
        if lname == "svg" then
          if depth > 0 then depth = depth + 1
          elseif has_class(attrs, "lunet-ladder") then
            ladders = ladders + 1
            if ladders == 1 then depth = 1 end
          end
        elseif lname == "g" and depth > 0 and has_class(attrs, "seg") then
          segs = segs + 1
          local k = (attrs.class:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
          if not kinds[k] then kinds[k] = 0; kind_order[#kind_order + 1] = k end
          kinds[k] = kinds[k] + 1
        end
      end
      i = j + 1
      if close == "" and RAW[lname] then  -- raw text up to the end tag
        local e = s:find("</" .. lname, i, true) or s:lower():find("</" .. lname, i, true) or n + 1
        if lname == "style" then css_urls(s:sub(i, e - 1)) end
        i = e
      end
    end
  end
end

local kv = {}
for _, k in ipairs(kind_order) do kv[#kv + 1] = string.format("%s=%d", k:gsub(" ", "+"), kinds[k]) end
io.write("ladders ", ladders, "\n", "segs ", segs, "\n", "seg-kinds ", table.concat(kv, " "), "\n")
for _, l in ipairs(out) do io.write(l, "\n") end
