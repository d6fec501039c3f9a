-- golden.lua - pictures compared byte for byte with tests/golden/*.svg.
--
-- A change in how lunet draws makes this fail; look at the new picture
-- (its path is printed), and if it is right, accept it:
--   make gallery    (LUNET_UPDATE_GOLDEN=1 lunet test tests/scenarios/golden.lua)
-- then review `git diff tests/golden docs/gallery` like any other change.
-- The README's pictures (docs/gallery) are some of these cases, checked
-- the same way, so they never go stale.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local dir = here .. "../golden/"
local xml = dofile(here .. "../lib/xml.lua")
local cases = dofile(dir .. "cases.lua")

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- Fail with the first line that differs and where the new picture is.
local function differs(case, path, want, got)
  local out = (os.getenv("TMPDIR") or "/tmp") .. "/lunet-golden-" .. case.name .. ".svg"
  write(out, got)
  if not want then
    error(string.format("%s: no golden file %s (the new picture is in %s; accept it with make gallery)",
                        case.name, path, out), 0)
  end
  local n, wl, gl = 0, nil, nil
  local wi, gi = want:gmatch("[^\n]*"), got:gmatch("[^\n]*")
  repeat
    n = n + 1
    wl, gl = wi(), gi()
  until wl ~= gl
  error(string.format("%s: the drawing changed at line %d of %s:\n  was %q\n  now %q\nnew picture: %s (diff it, and accept it with make gallery)",
                      case.name, n, path, tostring(wl):sub(1, 160), tostring(gl):sub(1, 160), out), 0)
end

for _, case in ipairs(cases) do
  test(case.name, function()
    local got = case.draw()
    local root, err = xml.parse(got)
    if not root then error(case.name .. ": not well-formed: " .. err, 0) end
    local paths = {dir .. case.name .. ".svg"}
    if case.gallery then paths[2] = here .. "../../" .. case.gallery end
    if os.getenv("LUNET_UPDATE_GOLDEN") == "1" then
      for _, p in ipairs(paths) do write(p, got) end
      return
    end
    for _, path in ipairs(paths) do
      local want = read(path)
      if want ~= got then differs(case, path, want, got) end
    end
  end)
end
