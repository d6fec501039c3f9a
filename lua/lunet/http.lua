-- lunet.http - HTTP/1.1 (RFC 9110, RFC 9112) on the TcpSocket API, enough
-- of it that curl and Wireshark's dissector take lunet's servers and
-- clients for real ones: Content-Length, persistent connections
-- (keep-alive), chunked responses, Host, HEAD, 400/404 and friends.
-- Installed as Node methods by lunet.apps.
--
--   srv = h:http_server(port, {handler = fn | routes = {...}, chunked =,
--                              chunk_size =, keepalive_timeout =, backlog =,
--                              reuseaddr =, max_header =, max_body =, addr =})
--   body, status, headers = h:http_get(dst, port, path, {timeout=, method=, headers=})
--   c = h:http_connect(dst, port, {timeout=})   -- one persistent connection
--     body, status, headers = c:request("GET", "/a", {headers=, body=})
--     c:close()
--
-- Every request and response is read through a bounded buffer (reader()
-- below): a request head larger than max_header is answered 431 and the
-- connection closed, so a peer cannot make a server buffer without end.

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
local util = require("lunet.util")
local dns = require("lunet.dns")
local check_opts = util.check_opts
local sorted_keys, is_time = util.sorted_keys, util.is_time

local M = {}

local REASONS = {
  [100] = "Continue", [200] = "OK", [201] = "Created", [204] = "No Content",
  [301] = "Moved Permanently", [302] = "Found", [304] = "Not Modified",
  [400] = "Bad Request", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [408] = "Request Timeout", [411] = "Length Required",
  [413] = "Content Too Large", [414] = "URI Too Long", [431] = "Request Header Fields Too Large",
  [500] = "Internal Server Error", [501] = "Not Implemented", [505] = "HTTP Version Not Supported",
}

local function in_task(fname, level)
  local _, main = coroutine.running()
  if main or not coroutine.isyieldable() then
    error(fname .. ": not inside a task (use host:spawn)", level or 3)
  end
end

local function check_port(fname, port)
  if math.type(port) ~= "integer" or port < 1 or port > 65535 then
    error(string.format("%s: port must be an integer in 1..65535, got %s", fname, tostring(port)), 3)
  end
end

------------------------------------------------------------------------
-- a bounded reader over a TcpSocket
------------------------------------------------------------------------

-- r:line(max) -> the next line without its CRLF (or bare LF) | nil, err
--   err is "too long" when max bytes pass without a line end
-- r:bytes(n) -> exactly n bytes | nil, err
-- r:rest() -> everything until EOF
-- r.io is the receive options ({timeout =}), changeable between reads.
local function reader(c, io)
  local r = {buf = "", pos = 1, io = io}
  local function fill()
    local d, err = c:receive(r.io)
    if not d then return nil, err end
    r.buf = r.buf:sub(r.pos) .. d
    r.pos = 1
    return true
  end
  function r.line(max)
    while true do
      local e = r.buf:find("\n", r.pos, true)
      if e then
        if e - r.pos > max then return nil, "too long" end
        local line = r.buf:sub(r.pos, e - 1)
        r.pos = e + 1
        if line:sub(-1) == "\r" then line = line:sub(1, -2) end
        return line
      end
      if #r.buf - r.pos + 1 > max then return nil, "too long" end
      local ok, err = fill()
      if not ok then return nil, err end
    end
  end
  function r.bytes(n)
    while #r.buf - r.pos + 1 < n do
      local ok, err = fill()
      if not ok then return nil, err end
    end
    local d = r.buf:sub(r.pos, r.pos + n - 1)
    r.pos = r.pos + n
    return d
  end
  function r.rest()
    local parts = {r.buf:sub(r.pos)}
    r.buf, r.pos = "", 1
    while true do
      local d = c:receive(r.io)
      if not d then break end
      parts[#parts + 1] = d
    end
    return table.concat(parts)
  end
  return r
end

-- RFC 9110 5.6.2: a field name is a token.
local TOKEN = "^[%w!#$%%&'*+%-.^_`|~]+$"

-- The header section, up to the empty line: {lowercase name = value},
-- repeated fields joined with ", " (RFC 9110 5.3), or nil, status, why.
-- `budget` bounds the whole section in bytes.
local function read_headers(r, budget)
  local headers, n = {}, 0
  while true do
    local line, err = r.line(budget)
    if not line then
      if err == "too long" then return nil, 431, "header section too large" end
      return nil, nil, err
    end
    budget = budget - #line - 2
    if line == "" then return headers end
    if budget < 0 then return nil, 431, "header section too large" end
    n = n + 1
    if n > 100 then return nil, 431, "more than 100 header fields" end
    -- RFC 9112 5.1: no space before the colon; 5.2: no folded lines
    if line:find("^[ \t]") then return nil, 400, "folded header line" end
    local k, v = line:match("^([^:]+):[ \t]*(.-)[ \t]*$")
    if not k or not k:find(TOKEN) then return nil, 400, "malformed header line" end
    k = k:lower()
    if headers[k] then
      if k == "content-length" and headers[k] ~= v then
        return nil, 400, "two different Content-Length fields"
      end
      if k ~= "content-length" then headers[k] = headers[k] .. ", " .. v end
    else
      headers[k] = v
    end
  end
end

-- A chunked body (RFC 9112 7.1), at most max bytes: body | nil, err.
local function read_chunked(r, max)
  local parts, total = {}, 0
  while true do
    local line, err = r.line(1024)
    if not line then return nil, err end
    -- chunk-size [ chunk-ext ]: hex digits, then nothing or ";..."
    local hex, rest = line:match("^(%x+)(.*)$")
    if not hex or #hex > 8 or not (rest == "" or rest:find("^[ \t]*;")) then
      return nil, "bad chunk size"
    end
    local n = tonumber(hex, 16)
    if n == 0 then break end
    total = total + n
    if total > max then return nil, "body too large" end
    local d, derr = r.bytes(n)
    if not d then return nil, derr end
    parts[#parts + 1] = d
    local crlf = r.line(2)
    if crlf ~= "" then return nil, "chunk not followed by CRLF" end
  end
  -- trailer fields, ignored, up to the empty line
  local _, st, why = read_headers(r, 8192)
  if st then return nil, why end
  return table.concat(parts)
end

-- The message body by RFC 9112 6.3's rules: nil, err on a malformed one.
local function read_body(r, headers, max, to_eof)
  local te = headers["transfer-encoding"]
  if te then
    if te:lower() ~= "chunked" then return nil, "unsupported transfer coding" end
    return read_chunked(r, max)
  end
  local cl = headers["content-length"]
  if cl then
    if not cl:find("^%d+$") or #cl > 15 then return nil, "bad Content-Length" end
    local n = tonumber(cl)
    if n > max then return nil, "body too large" end
    return r.bytes(n)
  end
  if to_eof then return r.rest() end
  return ""
end

------------------------------------------------------------------------
-- the server
------------------------------------------------------------------------

-- The response head: status line, framing fields, then the others by
-- name (pairs' order changes from one process to the next, and these
-- bytes go on the wire).
local function head(status, framing, extra)
  local lines = {string.format("HTTP/1.1 %d %s", status, REASONS[status] or "Status")}
  for _, f in ipairs(framing) do lines[#lines + 1] = f end
  for _, k in ipairs(sorted_keys(extra)) do lines[#lines + 1] = tostring(k) .. ": " .. tostring(extra[k]) end
  return table.concat(lines, "\r\n") .. "\r\n\r\n"
end

local function is_size(v)
  if math.type(v) ~= "integer" or v < 1 then return false, "must be an integer >= 1 (bytes)" end
  return true
end

local SERVER_OPTS = {handler = true, routes = true, backlog = true, reuseaddr = true,
                     chunked = true, chunk_size = is_size, keepalive_timeout = is_time,
                     max_header = is_size, max_body = is_size, addr = true}

function M.http_server(h, port, opts)
  local F = "http_server"
  check_port(F, port)
  opts = check_opts(F, opts, SERVER_OPTS)
  local handler = opts.handler
  if handler ~= nil and type(handler) ~= "function" then error(F .. ": handler must be a function", 2) end
  if opts.routes ~= nil then
    if handler then error(F .. ": give a handler or routes, not both", 2) end
    if type(opts.routes) ~= "table" then error(F .. ': routes must be a table like {["/"] = "body"}', 2) end
    local routes = opts.routes
    handler = function(req)
      local v = routes[req.path]
      if v == nil then return "not found\n", 404 end
      if type(v) == "function" then return v(req) end
      return v
    end
  end
  handler = handler or function() return "hello from " .. h.name .. "\n" end
  local chunk_size = opts.chunk_size or 4096
  -- Apache's KeepAliveTimeout: an idle persistent connection is closed
  local idle = {timeout = opts.keepalive_timeout or "5s"}
  local max_header = opts.max_header or 8192
  local max_body = opts.max_body or 1048576

  local lsock, err = h:listen(port, {backlog = opts.backlog, reuseaddr = opts.reuseaddr,
                                     addr = opts.addr})
  if not lsock then return nil, err end
  local srv = {port = port, socket = lsock, connections = 0, requests = 0, bytes = 0,
               errors = {}}
  function srv.close() lsock:close() end

  -- One exchange: false when the connection must close afterwards.
  local function serve_one(c, r)
    -- RFC 9112 2.2: ignore empty lines before the request line
    local line, lerr
    repeat line, lerr = r.line(max_header) until line ~= ""
    local status, body, extra, req, why = 400, "bad request\n", {}, nil, nil
    if not line then
      if lerr ~= "too long" then return false end    -- closed, timeout, reset
      status, why, body = 414, "request line too long", "request line too long\n"
    else
      local method, target, version = line:match("^(%u+) (%S+) HTTP/(%d%.%d)$")
      if not method then
        why = "malformed request line"
      elseif version ~= "1.1" and version ~= "1.0" then
        status, why, body = 505, "version " .. version, "HTTP/1.1 only\n"
      else
        local headers, hst, hwhy = read_headers(r, max_header)
        if not headers then
          if not hst then return false end
          status, why, body = hst, hwhy, hwhy .. "\n"
        elseif version == "1.1" and not headers.host then
          why, body = "no Host field", "no Host field\n"     -- RFC 9112 3.2: 400
        else
          -- RFC 9110 10.1.1: a client waiting to send its body (curl,
          -- past 1 KB) is told to go on
          if version == "1.1" and (headers.expect or ""):lower() == "100-continue" then
            c:send("HTTP/1.1 100 Continue\r\n\r\n")
          end
          local rbody, berr = read_body(r, headers, max_body, false)
          if not rbody then
            if berr == "closed" or berr == "timeout" or berr == "reset" then return false end
            status = berr == "body too large" and 413 or
                     (berr == "unsupported transfer coding" and 501 or 400)
            why, body = berr, berr .. "\n"
          else
            req = {method = method, path = target, version = "HTTP/" .. version,
                   headers = headers, body = rbody}
          end
        end
      end
    end
    local keep = false
    if req then
      srv.requests = srv.requests + 1
      local conn = (req.headers.connection or ""):lower()
      if req.version == "HTTP/1.1" then keep = not conn:find("close", 1, true)
      else keep = conn:find("keep-alive", 1, true) ~= nil end
      local ok, b, st, hd = pcall(handler, req)
      if ok then
        body, status, extra = b or "", st or 200, hd or {}
      else
        body, status, extra = "internal error\n", 500, {}
        print(string.format("http_server: handler failed: %s", tostring(b)))
      end
    else
      srv.errors[why] = (srv.errors[why] or 0) + 1
    end
    if type(body) ~= "table" then body = {tostring(body)} end
    local has_type = false
    for k in pairs(extra) do if tostring(k):lower() == "content-type" then has_type = true end end
    if not has_type then
      local e = {["Content-Type"] = "text/plain"}
      for k, v in pairs(extra) do e[k] = v end
      extra = e
    end
    local chunked = opts.chunked and req and req.version == "HTTP/1.1"
    local whole = table.concat(body)
    local framing = {}
    if chunked then framing[1] = "Transfer-Encoding: chunked"
    else framing[1] = "Content-Length: " .. #whole end
    framing[2] = keep and "Connection: keep-alive" or "Connection: close"
    local out = {head(status, framing, extra)}
    if not (req and req.method == "HEAD") then
      if chunked then
        -- a list body goes out one chunk per element; a string in
        -- chunk_size pieces
        local pieces = body
        if #body == 1 then
          pieces = {}
          for i = 1, #whole, chunk_size do pieces[#pieces + 1] = whole:sub(i, i + chunk_size - 1) end
        end
        for _, p in ipairs(pieces) do
          if #p > 0 then out[#out + 1] = string.format("%x\r\n%s\r\n", #p, p) end
        end
        out[#out + 1] = "0\r\n\r\n"
      else
        out[#out + 1] = whole
      end
      srv.bytes = srv.bytes + #whole
    end
    if not c:send(table.concat(out)) then return false end
    return keep
  end

  srv.task = h:spawn(function()
    while true do
      local c = lsock:accept()
      if not c then break end
      srv.connections = srv.connections + 1
      h:spawn(function()
        local r = reader(c, nil)
        while serve_one(c, r) do
          -- the first request may take as long as it likes; between
          -- requests the connection waits keepalive_timeout
          r.io = idle
        end
        c:close()
      end)
    end
  end)
  return srv
end

------------------------------------------------------------------------
-- the client
------------------------------------------------------------------------

local CONNECT_OPTS = {timeout = true}
local REQUEST_OPTS = {headers = true, body = true, close = true}

-- A persistent connection: requests one after the other (no pipelining).
local Conn = {}
Conn.__index = Conn

local function send_request(self, method, path, o)
  local lines = {string.format("%s %s HTTP/1.1", method, path), "Host: " .. self.host}
  local extra = o.headers or {}
  local names = sorted_keys(extra)
  local has_conn = false
  for _, k in ipairs(names) do
    if tostring(k):lower() == "connection" then has_conn = true end
    if tostring(k):lower() ~= "host" then lines[#lines + 1] = tostring(k) .. ": " .. tostring(extra[k]) end
  end
  if o.close and not has_conn then lines[#lines + 1] = "Connection: close" end
  if o.body then lines[#lines + 1] = "Content-Length: " .. #o.body end
  return self.sock:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. (o.body or ""), self.io)
end

function Conn:request(method, path, o)
  local F = "http request"
  if type(method) ~= "string" or not method:find("^%u+$") then
    error(F .. ': method must be an upper-case word like "GET"', 2)
  end
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" then
    error(F .. ': path must be a string starting with "/"', 2)
  end
  o = check_opts(F, o, REQUEST_OPTS)
  if not self.sock then return nil, "closed" end
  local ok, serr = send_request(self, method, path, o)
  if not ok then self:close(); return nil, serr end
  local r = self.reader
  local line, lerr = r.line(8192)
  if not line then self:close(); return nil, lerr end
  local version, status = line:match("^HTTP/(%d%.%d) (%d%d%d)")
  status = tonumber(status)
  if not status then self:close(); return nil, "protocol error" end
  local headers, _, why = read_headers(r, 65536)
  if not headers then self:close(); return nil, why end
  local body, berr
  -- RFC 9112 6.3: no body after HEAD, 1xx, 204, 304
  if method == "HEAD" or status < 200 or status == 204 or status == 304 then
    body = ""
  else
    body, berr = read_body(r, headers, 1 << 30, true)
  end
  if not body then self:close(); return nil, berr end
  local conn = (headers.connection or ""):lower()
  local to_eof = not headers["content-length"] and not headers["transfer-encoding"] and body ~= ""
  if o.close or conn:find("close", 1, true) or (version == "1.0" and not conn:find("keep-alive", 1, true))
     or to_eof then
    self:close()
  end
  return body, status, headers
end

function Conn:close()
  if self.sock then self.sock:close() end
  self.sock = nil
end
Conn.__close = Conn.close

local function connect(h, F, dst, port, opts)
  in_task(F, 4)
  local addr, why = dns.dst_addr(h, F, dst, 3, true)
  if not addr then return nil, why end
  local c, err = h:connect(addr, port, {timeout = opts.timeout})
  if not c then return nil, err end
  local io = opts.timeout and {timeout = opts.timeout} or nil
  -- Host names what the user asked for: the name, when it was a name
  local host = dns.is_name(dst) and dst or addr
  -- an IPv6 literal goes in brackets (RFC 3986 3.2.2, RFC 9110 7.2)
  if host:find(":", 1, true) then host = "[" .. host .. "]" end
  if port ~= 80 then host = host .. ":" .. port end
  return setmetatable({sock = c, io = io, host = host, reader = reader(c, io)}, Conn)
end

function M.http_connect(h, dst, port, opts)
  local F = "http_connect"
  check_port(F, port)
  opts = check_opts(F, opts, CONNECT_OPTS)
  return connect(h, F, dst, port, opts)
end

local GET_OPTS = {timeout = true, method = true, headers = true}

function M.http_get(h, dst, port, path, opts)
  local F = "http_get"
  if not dns.is_name(dst) then util.dst_string(F, dst) end
  check_port(F, port)
  path = path or "/"
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" then
    error(F .. ': path must be a string starting with "/"', 2)
  end
  opts = check_opts(F, opts, GET_OPTS)
  local method = opts.method or "GET"
  if method ~= "GET" and method ~= "HEAD" then error(F .. ': method must be "GET" or "HEAD"', 2) end
  local c, err = connect(h, F, dst, port, opts)
  if not c then return nil, err end
  local body, status, headers = c:request(method, path, {headers = opts.headers, close = true})
  c:close()
  return body, status, headers
end

return M
