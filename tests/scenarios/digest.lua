-- digest.lua - lunet.hash, the digest h:sink reports and transfer tests
-- compare: CRC-64/XZ (lua/crc64.c), checked against a bit-at-a-time
-- reference written here from the definition, on every path of the C
-- code (the tables below 64 bytes, the carry-less folding above, the
-- doubling for the generated pattern), across any split of a stream, and
-- for what a broken transfer would do to it.

-- CRC-64/XZ one bit at a time: reflected ECMA-182 polynomial, init and
-- xorout all ones, continuing from h as lunet.hash does.
local REV = 0xC96C5795D7870F42
local function ref(s, h)
  local c = ~(h or 0)
  for i = 1, #s do
    c = c ~ s:byte(i)
    for _ = 1, 8 do
      if c & 1 == 1 then c = (c >> 1) ~ REV else c = c >> 1 end
    end
  end
  return ~c
end

-- n bytes from a fixed LCG
local function noise(n, seed)
  local t, x = {}, seed
  for i = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    t[i] = string.char((x >> 16) & 0xff)
  end
  return table.concat(t)
end

-- n bytes of the pattern s:send(n) sends: byte i is i % 256
local function pattern(n)
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  local p = table.concat(t)
  return p:rep(n // 256 + 1):sub(1, n)
end

test("the published check values of CRC-64/XZ", function()
  expect(lunet.hash("123456789")):eq(0x995dc9bbdf1939fa)
  expect(lunet.hash("")):eq(0)
  expect(lunet.hash("a")):eq(ref("a"))
  -- zlib style: a hash goes on from the one before
  expect(lunet.hash("56789", lunet.hash("1234"))):eq(0x995dc9bbdf1939fa)
end)

test("every length and alignment hashes as the definition says", function()
  local s = noise(1500, 7)
  -- every length up to 300 (the tables, then folding from 64 bytes on,
  -- with every remainder of 16 and of 8), from an odd start too
  for n = 0, 300 do
    local piece = s:sub(1, n)
    expect(lunet.hash(piece), "length " .. n):eq(ref(piece))
    local odd = s:sub(4, 3 + n)
    expect(lunet.hash(odd), "length " .. n .. " at offset 3"):eq(ref(odd))
  end
  expect(lunet.hash(s)):eq(ref(s))
  expect(lunet.hash(s, 0x0123456789abcdef)):eq(ref(s, 0x0123456789abcdef))
end)

test("a stream hashes the same however it is cut", function()
  local s = noise(5000, 11)
  local whole = ref(s)
  local x = 1
  for _ = 1, 200 do
    -- cut points from an LCG, so the pieces are all sizes
    local cuts, h, at = {}, nil, 0
    while at < #s do
      x = (x * 1103515245 + 12345) % 2147483648
      local len = math.min(#s - at, (x >> 8) % 700)
      cuts[#cuts + 1] = len
      h = lunet.hash(s:sub(at + 1, at + len), h)
      at = at + len
    end
    expect(h, "pieces " .. table.concat(cuts, ",")):eq(whole)
  end
  -- and two pieces hashed apart join with hash_combine
  for _, cut in ipairs{0, 1, 63, 64, 65, 1448, 4999, 5000} do
    local a, b = s:sub(1, cut), s:sub(cut + 1)
    expect(lunet.hash_combine(lunet.hash(a), lunet.hash(b), #b), "cut at " .. cut):eq(whole)
  end
end)

test("the generated pattern: lunet.hash(n) is the hash of its bytes", function()
  for _, n in ipairs{0, 1, 255, 256, 4095, 4096, 65535, 65536, 65537, 100000, 1000003} do
    local p = pattern(n)
    local want = n <= 5000 and ref(p) or lunet.hash(p)
    expect(lunet.hash(n), n .. " bytes"):eq(want)
    expect(lunet.hash(n, 42), n .. " bytes after a hash"):eq(lunet.hash(p, 42))
  end
  -- the bytes of a 200 MB transfer (built by doubling, not byte by
  -- byte), against the same bytes a megabyte at a time
  local mb, h = pattern(1048576), nil
  for _ = 1, 190 do h = lunet.hash(mb, h) end
  h = lunet.hash(mb:sub(1, 200000000 - 190 * 1048576), h)
  expect(lunet.hash(200000000)):eq(h)
end)

test("what a broken transfer does changes the hash", function()
  local s = noise(20000, 3)
  local good = lunet.hash(s)
  -- one bit flipped anywhere
  for _, i in ipairs{1, 2, 64, 1448, 10000, 20000} do
    local b = s:byte(i) ~ 0x10
    local bad = s:sub(1, i - 1) .. string.char(b) .. s:sub(i + 1)
    expect(lunet.hash(bad), "bit flipped in byte " .. i):ne(good)
  end
  -- two segments swapped, one segment twice, one missing
  local seg = 1448
  local a, b, rest = s:sub(1, seg), s:sub(seg + 1, 2 * seg), s:sub(2 * seg + 1)
  expect(lunet.hash(b .. a .. rest), "segments swapped"):ne(good)
  expect(lunet.hash(a .. a .. b .. rest), "a segment twice"):ne(good)
  expect(lunet.hash(a .. rest), "a segment missing"):ne(good)
  -- two bytes swapped, near and far
  for _, d in ipairs{1, 7, 8, 1448, 19000} do
    local i, j = 5, 5 + d
    if s:byte(i) ~= s:byte(j) then
      local t = {s:byte(1, -1)}
      t[i], t[j] = t[j], t[i]
      local chars = {}
      for k = 1, #t do chars[k] = string.char(t[k]) end
      expect(lunet.hash(table.concat(chars)), "bytes " .. d .. " apart swapped"):ne(good)
    end
  end
  -- the pattern: a transfer whose bytes were shifted by one period of
  -- it still has its length right, but not its hash
  expect(lunet.hash(pattern(1000256):sub(257))):eq(lunet.hash(1000000))
  expect(lunet.hash(pattern(1000001):sub(2))):ne(lunet.hash(1000000))
end)

test("lunet.hash and hash_combine check their arguments", function()
  expect(function() lunet.hash({}) end):raises("string or byte count")
  expect(function() lunet.hash(-1) end):raises("byte count %-1 is negative")
  expect(function() lunet.hash("x", "y") end):raises("lunet.hash")
  expect(function() lunet.hash_combine(1, 2, -5) end):raises("byte count %-5 is negative")
  expect(function() lunet.hash_combine(1, nil, 5) end):raises("lunet.hash_combine")
end)
