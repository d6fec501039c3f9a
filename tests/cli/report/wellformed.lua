-- wellformed.lua FILE.html - parse a report (and each picture in it) with
-- the tests' XML checker; print what it holds; exit 1 if anything is wrong.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local xml = dofile(here .. "../../lib/xml.lua")
local f = assert(io.open(arg[1], "rb"))
local html = f:read("a")
f:close()
local root, err = xml.parse(html)
if not root then
  io.stderr:write(arg[1] .. ": not well-formed: " .. err .. "\n")
  os.exit(1)
end
local svgs = xml.find_all(root, function(el) return el.name == "svg" end)
local n = 0
for piece in html:gmatch("<svg.-</svg>") do
  local r, e = xml.parse(piece)
  if not r then
    io.stderr:write("picture " .. (n + 1) .. ": not well-formed: " .. e .. "\n")
    os.exit(1)
  end
  n = n + 1
end
local links = {}
for _, a in ipairs(xml.find_all(root, function(el) return el.name == "a" end)) do
  local h = a.attrs.href
  if h and not h:match("^#") then links[#links + 1] = h end
end
print(string.format("svg %d %d", #svgs, n))
print("ladders " .. #xml.by_class(root, "lunet-ladder"))
print("segments " .. #xml.by_class(root, "seg"))
for _, h in ipairs(links) do print("link " .. h) end
