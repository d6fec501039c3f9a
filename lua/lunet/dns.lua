-- lunet.dns - a DNS server and a stub resolver for the virtual hosts,
-- installed as Node methods by lunet.apps, on top of lunet.dns.encode /
-- decode (lua/l_dns.c, the wire format in lua/dns_wire.c).
--
--   srv = h:dns_server{zone = {...}, ttl = 300, origin =, reverse =, port = 53}
--     answers over UDP and TCP, like an authoritative-only server
--     (BIND with "recursion no"): NXDOMAIN, REFUSED outside its zones,
--     FORMERR, NOTIMP, TC over UDP past 512 bytes.
--     EDNS(0) (RFC 6891): a query with OPT gets an answer with OPT, cut at
--     the size the client advertised (at most max_udp, 1232); BADVERS to
--     a version other than 0.
--   h:dns_servers{"10.0.0.53", ...}      -- resolv.conf's nameserver lines
--   h:dns_servers(list, {search = {"lab"}, ndots = 1, edns0 = true})
--   h:hosts{["server.lab"] = "10.0.0.2"} -- /etc/hosts, looked up first
--   addr, r = h:resolve("server.lab", {type = "A", timeout =, attempts =})
--
-- The resolver behaves like glibc's with resolv.conf's defaults (timeout
-- 5 s, attempts 2, servers tried in order), so the retry pattern in a
-- capture is the one a Linux client makes; `search`, `ndots` and `options
-- edns0` follow glibc's res_search and res_send.  lunet.dns.dst_addr is the one
-- helper the applications (ping, http_get, ...) call to accept a name
-- where they accept an address; the C socket calls reach the same
-- resolver through lunet.dns._resolve_arg (lnl_resolve_arg in l_dns.c).

local lunet = package.loaded["lunet"] or rawget(_G, "lunet") or require("lunet")
local util = require("lunet.util")
local check_opts = util.check_opts

local M = lunet.dns     -- encode and decode, from C; the rest is added here

------------------------------------------------------------------------
-- helpers
------------------------------------------------------------------------

local function in_task()
  local _, main = coroutine.running()
  return not main and coroutine.isyieldable()
end

local function nsarg(n) return string.format("%dns", n) end

-- Names compare without case (RFC 4343) and without the final dot.
local function norm(name)
  name = name:lower()
  if #name > 1 and name:sub(-1) == "." then name = name:sub(1, -2) end
  return name
end

local function is_ipv4(s)
  local a, b, c, d = tostring(s):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  return a ~= nil and tonumber(a) < 256 and tonumber(b) < 256 and tonumber(c) < 256 and
         tonumber(d) < 256
end

-- An IPv6 address, checked by the wire encoder (inet_pton).
local function is_ipv6(s)
  if type(s) ~= "string" or not s:find(":", 1, true) then return false end
  return (pcall(M.encode, {answers = {{name = ".", type = "AAAA", data = s}}}))
end

-- What lnl_is_hostname calls a name: a string with a letter that is not
-- an IPv6 address or a prefix.
local function is_name(s)
  return type(s) == "string" and s:find("%a") ~= nil and not s:find("[:/]")
end
M.is_name = is_name

local function valid_name(s)
  return type(s) == "string" and (pcall(M.encode, {questions = {{name = s}}}))
end

-- "10.0.0.2" -> "2.0.0.10.in-addr.arpa" (RFC 1035 3.5);
-- "2001:db8::2" -> "2.0.0.0. ... .8.b.d.0.1.0.0.2.ip6.arpa" (RFC 3596 2.5),
-- its 16 bytes taken from the wire encoder (inet_pton) rather than parsed
-- again here.
local function reverse_name(ip)
  local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if a then return string.format("%s.%s.%s.%s.in-addr.arpa", d, c, b, a) end
  local bytes = M.encode({answers = {{name = ".", type = "AAAA", data = ip}}}):sub(-16)
  local nib = {}
  for i = 16, 1, -1 do
    local x = bytes:byte(i)
    nib[#nib + 1] = string.format("%x.%x", x & 15, x >> 4)
  end
  return table.concat(nib, ".") .. ".ip6.arpa"
end
M.reverse_name = reverse_name

local sorted_keys = require("lunet.util").sorted_keys

local function is_time(v)
  local ok, r = pcall(lunet.time, v)
  if not ok or r <= 0 then return false, "must be a positive time like \"5s\"" end
  return true
end
local function is_count(v)
  if math.type(v) ~= "integer" or v < 1 or v > 5 then
    return false, "must be an integer in 1..5 (resolv.conf's attempts)"
  end
  return true
end
local is_bool = require("lunet.util").is_bool
local TYPES = {A = true, AAAA = true, CNAME = true, PTR = true, NS = true, MX = true, TXT = true,
               SOA = true}
local function is_type(v)
  if not TYPES[v] then return false, "must be one of A, AAAA, CNAME, PTR, NS, MX, TXT, SOA" end
  return true
end

------------------------------------------------------------------------
-- per-host configuration: servers and hosts
------------------------------------------------------------------------

-- Node handles are cached per node, so they key the state (weakly: a
-- closed network takes its hosts' state with it).
local state = setmetatable({}, {__mode = "k"})

local function st(h)
  local s = state[h]
  if not s then
    s = {servers = {}, hosts = {}, timeout = 5e9, attempts = 2, rotate = false, cache = nil,
         rot = 0, search = {}, ndots = 1, edns0 = false, noedns = {}}
    state[h] = s
  end
  return s
end

-- glibc's MAXNS: servers past the third are ignored, silently, as glibc
-- ignores a fourth nameserver line.
local MAXNS = 3
-- glibc's RES_MAXNDOTS: a larger ndots in resolv.conf is taken as 15.
local MAXNDOTS = 15
-- What `options edns0` advertises: 1232, the DNS flag day 2020 size
-- that BIND and Unbound use (glibc itself says 1200, RESOLV_EDNS_BUFFER_SIZE:
-- both stay under the 1280-byte IPv6 minimum MTU).
local EDNS_SIZE = 1232

local function is_search(v)
  if type(v) == "string" then v = {v} end
  if type(v) ~= "table" then return false, 'must be a domain or a list of domains like {"lab", "corp.lab"}' end
  for _, d in ipairs(v) do
    if not valid_name(d) then return false, string.format('"%s" is not a valid domain', tostring(d)) end
  end
  return true
end
local function is_ndots(v)
  if math.type(v) ~= "integer" or v < 0 then return false, "must be an integer >= 0 (resolv.conf's ndots)" end
  return true
end
local function is_edns0(v)
  if type(v) == "boolean" then return true end
  if math.type(v) ~= "integer" or v < 512 or v > 65535 then
    return false, "must be true, false or a UDP payload size in 512..65535"
  end
  return true
end

local SERVERS_OPTS = {timeout = is_time, attempts = is_count, rotate = is_bool, cache = is_bool,
                      search = is_search, domain = is_search, ndots = is_ndots, edns0 = is_edns0}

-- A search domain as the resolver appends it: no final dot, "" for the
-- root (glibc's root_on_list: the name as is).
local function search_list(v)
  if type(v) == "string" then v = {v} end
  local out = {}
  for i, d in ipairs(v) do
    d = d:gsub("%.$", "")
    out[i] = d
  end
  return out
end

function M.dns_servers(h, list, opts)
  local F = "dns_servers"
  local s = st(h)
  if list == nil and opts == nil then
    local out = {}
    for i, a in ipairs(s.servers) do out[i] = a end
    return out
  end
  if list ~= nil and type(list) ~= "table" then
    error(F .. ': servers must be a list of addresses like {"10.0.0.53"}, got ' .. type(list), 2)
  end
  opts = check_opts(F, opts, SERVERS_OPTS)
  if opts.search and opts.domain then
    -- resolv.conf keeps whichever of the two lines comes last; a table
    -- has no last
    error(F .. ": give search or domain, not both (domain = x is search = {x})", 2)
  end
  if list then
    local out = {}
    for i, a in ipairs(list) do
      a = util.dst_string(F, a, 3)
      if not is_ipv4(a) and not is_ipv6(a) then
        error(string.format('%s: server %d: "%s" is not an address like "10.0.0.53" or "2001:db8::53"',
                            F, i, a), 2)
      end
      if i <= MAXNS then out[i] = a end
    end
    s.servers = out
    s.noedns = {}
  end
  if opts.timeout then s.timeout = lunet.time(opts.timeout) end
  if opts.attempts then s.attempts = opts.attempts end
  if opts.rotate ~= nil then s.rotate = opts.rotate end
  if opts.cache ~= nil then s.cache = opts.cache and {} or nil end
  if opts.search or opts.domain then s.search = search_list(opts.search or opts.domain) end
  if opts.ndots then s.ndots = math.min(opts.ndots, MAXNDOTS) end
  if opts.edns0 ~= nil then
    s.edns0 = opts.edns0 == true and EDNS_SIZE or opts.edns0
    s.noedns = {}
  end
  return h
end

-- h:dns_config(): what resolv.conf would say, as a table (copies).
function M.dns_config(h)
  local s = st(h)
  local function copy(t) local o = {} for i, v in ipairs(t) do o[i] = v end return o end
  return {servers = copy(s.servers), search = copy(s.search), ndots = s.ndots,
          edns0 = s.edns0, timeout = s.timeout, attempts = s.attempts, rotate = s.rotate,
          cache = s.cache ~= nil}
end

-- h:hosts{name = "addr" | {"addr", ...}} replaces the table; h:hosts()
-- returns it (a copy, names in lower case).
function M.hosts(h, tbl)
  local F = "hosts"
  local s = st(h)
  if tbl == nil then
    local out = {}
    for n, l in pairs(s.hosts) do
      out[n] = {}
      for i, a in ipairs(l) do out[n][i] = a end
    end
    return out
  end
  if type(tbl) ~= "table" then
    error(F .. ': expects a table like {["server.lab"] = "10.0.0.2"}, got ' .. type(tbl), 2)
  end
  local out = {}
  for _, name in ipairs(sorted_keys(tbl)) do
    if not valid_name(name) then error(string.format('%s: "%s" is not a host name', F, tostring(name)), 2) end
    local v = tbl[name]
    if type(v) == "string" then v = {v} end
    if type(v) ~= "table" or #v == 0 then
      error(string.format('%s: %s: give an address or a list of addresses', F, name), 2)
    end
    local l = {}
    for i, a in ipairs(v) do
      if not is_ipv4(a) and not is_ipv6(a) then
        error(string.format('%s: %s: "%s" is not an address', F, name, tostring(a)), 2)
      end
      l[i] = a
    end
    out[norm(name)] = l
  end
  s.hosts = out
  return h
end

-- /etc/hosts answers A and AAAA by the address family, and PTR by a
-- reverse search (as glibc's files backend does for gethostbyaddr).
local function hosts_lookup(s, name, qtype)
  -- RFC 6761 6.3: localhost is the loopback address, whatever the tables say
  local n = norm(name)
  if n == "localhost" or n:sub(-10) == ".localhost" then
    if qtype == "A" then return {"127.0.0.1"} end
    if qtype == "AAAA" then return {"::1"} end
  end
  if qtype == "PTR" then
    local found = {}
    for _, n in ipairs(sorted_keys(s.hosts)) do
      for _, x in ipairs(s.hosts[n]) do
        if reverse_name(x) == norm(name) then found[#found + 1] = n end
      end
    end
    return #found > 0 and found or nil
  end
  local l = s.hosts[norm(name)]
  if not l then return nil end
  local found = {}
  for _, a in ipairs(l) do
    if (qtype == "A" and is_ipv4(a)) or (qtype == "AAAA" and not is_ipv4(a)) then
      found[#found + 1] = a
    end
  end
  return #found > 0 and found or nil
end

------------------------------------------------------------------------
-- the resolver
------------------------------------------------------------------------

-- Does reply m answer our question (glibc's res_queriesmatch)?
local function matches(m, id, qname, qtype)
  if not m.qr or m.id ~= id then return false end
  local q = m.questions[1]
  -- a FORMERR may come back without the question
  if not q then return m.rcode ~= "NOERROR" end
  return norm(q.name) == norm(qname) and q.type == qtype
end

-- One UDP exchange with a server, on the socket `u` connected to it.
-- Replies that do not match are ignored (glibc's res_send keeps waiting).
local function exchange_udp(u, q, id, qname, qtype, timeout)
  local ok, err = u:send(q)
  if not ok then return nil, err end
  local deadline = lunet.now() + timeout
  while true do
    local left = deadline - lunet.now()
    if left <= 0 then return nil, "timeout" end
    local d, rerr = u:receive({timeout = nsarg(left)})
    if not d then return nil, rerr end
    local m = M.decode(d)
    if m and matches(m, id, qname, qtype) then return m end
  end
end

-- The same question over TCP (RFC 1035 4.2.2: a two-byte length before
-- each message), after a truncated UDP answer.
local function exchange_tcp(h, server, qtcp, id, qname, qtype, timeout)
  local deadline = lunet.now() + timeout
  local function left() return {timeout = nsarg(math.max(deadline - lunet.now(), 1))} end
  local c, err = h:connect(server, 53, left())
  if not c then return nil, err end
  local ok, serr = c:send(qtcp, left())
  if not ok then c:close(); return nil, serr end
  local hdr, herr = c:receive(2, left())
  if not hdr or #hdr < 2 then c:close(); return nil, herr or "closed" end
  local body, berr = c:receive((string.unpack(">I2", hdr)), left())
  c:close()
  if not body then return nil, berr end
  local m = M.decode(body)
  if not m or not matches(m, id, qname, qtype) then return nil, "bad reply" end
  return m
end

-- Replies that make glibc try the next server rather than believe them.
local NEXT_SERVER = {SERVFAIL = "server failure", NOTIMP = "not implemented", REFUSED = "refused"}

-- glibc's res_send with default options: for each attempt, each server in
-- order (from a turning start with `rotate`); the first attempt waits
-- `timeout` per server, the later ones timeout << attempt divided by the
-- number of servers (at least 1 s).  A truncated reply is asked again of
-- the same server over TCP; a closed port (ICMP port unreachable on the
-- connected socket) drops that server for the rest of the query.
--
-- EDNS(0), with `edns0`: the query carries OPT (RFC 6891) advertising
-- s.edns0 bytes.  A server that answers it FORMERR or NOTIMP predates
-- EDNS: asked again at once without OPT, and remembered as such until the
-- server list or edns0 changes, as BIND's address database and Unbound's
-- infrastructure cache remember it (glibc, less patient, would first try
-- the other servers).
local function query(h, s, qname, qtype, o)
  local servers = s.servers
  local n = #servers
  if n == 0 then return nil, "no servers" end
  s.rng = s.rng or h.net:rng("dns:" .. h.name)
  local plain, with_opt           -- the query without and with OPT: {bytes, TCP bytes}
  local function make(edns)
    local id = s.rng:int(0, 65535)
    local msg = {id = id, rd = true, questions = {{name = qname, type = qtype}}}
    if edns then msg.edns = {udp_size = s.edns0} end
    local q = M.encode(msg)
    return {q, string.pack(">s2", q), id}   -- RFC 1035 4.2.2, for a TC fallback
  end
  local function query_for(server)
    if s.edns0 and not s.noedns[server] then
      with_opt = with_opt or make(true)
      return with_opt, true
    end
    plain = plain or make(false)
    return plain, false
  end
  local socks, bad, last = {}, {}, "timeout"
  local start = 0
  if s.rotate then start = s.rot; s.rot = s.rot + 1 end
  local function finish(...)
    for i = 1, n do if socks[i] then socks[i]:close() end end
    return ...
  end
  for try = 0, o.attempts - 1 do
    for k = 0, n - 1 do
      local i = (start + k) % n + 1
      if not bad[i] then
        local t = o.timeout << try
        if try > 0 then t = t // n end
        t = math.max(t, 1000000000)
        local u = socks[i]
        if not u then
          u = h:udp()
          u:connect(servers[i], 53)
          socks[i] = u
        end
        local qq, edns = query_for(servers[i])
        local m, err = exchange_udp(u, qq[1], qq[3], qname, qtype, t)
        if m and edns and (m.rcode == "FORMERR" or m.rcode == "NOTIMP") then
          s.noedns[servers[i]] = true
          qq = query_for(servers[i])
          m, err = exchange_udp(u, qq[1], qq[3], qname, qtype, t)
        end
        if m and m.tc then m, err = exchange_tcp(h, servers[i], qq[2], qq[3], qname, qtype, t) end
        if m then
          if NEXT_SERVER[m.rcode] then
            last = NEXT_SERVER[m.rcode]
          elseif m.rcode == "NOERROR" or m.rcode == "NXDOMAIN" then
            return finish(m, servers[i])
          else
            last = "bad reply"
          end
        else
          if err == "refused" then bad[i] = true end
          last = err == "refused" and "refused" or (err or "timeout")
        end
      end
    end
  end
  -- glibc's ECONNREFUSED: no server could be reached at all
  local unreachable = true
  for i = 1, n do if not bad[i] then unreachable = false end end
  return finish(nil, last, unreachable)
end

-- The records of type qtype for qname in m's answer section, through its
-- CNAME chain: list, the name they belong to, the smallest TTL, and the
-- name a chain ends at when the server did not follow it.
local function answer_of(m, qname, qtype)
  local cur, out, ttl, dangling = norm(qname), {}, nil, nil
  for _ = 1, 16 do
    local nxt
    for _, rr in ipairs(m.answers) do
      if norm(rr.name) == cur then
        if rr.type == qtype then
          out[#out + 1] = rr.data
          ttl = math.min(ttl or rr.ttl, rr.ttl)
        elseif rr.type == "CNAME" and qtype ~= "CNAME" then
          nxt = norm(rr.data)
          ttl = math.min(ttl or rr.ttl, rr.ttl)
        end
      end
    end
    if #out > 0 or not nxt then break end
    cur, dangling = nxt, nxt
  end
  if #out > 0 then dangling = nil end
  return out, cur, ttl, dangling
end

local RESOLVE_OPTS = {type = is_type, timeout = is_time, attempts = is_count}

-- One name as given (the search list already applied): the cache, then
-- DNS, following a CNAME chain the server left unfinished.  nil, why,
-- unreachable on failure.
local function lookup_dns(h, s, name, qtype, o)
  local key = norm(name) .. "/" .. qtype
  if s.cache then
    local c = s.cache[key]
    if c and c.expires > lunet.now() then
      return c.answers[1], {name = name, cname = c.cname, answers = c.answers, via = "cache",
                            server = c.server, ttl = (c.expires - lunet.now()) // 1000000000}
    end
  end
  local qname = name
  for _ = 1, 8 do
    local m, server, unreachable = query(h, s, qname, qtype, o)
    if not m then return nil, server, unreachable end
    local out, owner, ttl, dangling = answer_of(m, qname, qtype)
    if #out > 0 then
      local r = {name = name, cname = owner ~= norm(name) and owner or nil, answers = out,
                 ttl = ttl, server = server, via = "dns"}
      if s.cache and ttl and ttl > 0 then
        s.cache[key] = {answers = out, cname = r.cname, server = server,
                        expires = lunet.now() + ttl * 1000000000}
      end
      return out[1], r
    end
    if m.rcode == "NXDOMAIN" then return nil, "no such name" end
    if not dangling then return nil, "no data" end
    qname = dangling
  end
  return nil, "cname loop"
end

-- glibc's res_search (resolv/res_query.c), with RES_DEFNAMES and
-- RES_DNSRCH on as they are by default:
--   - a name with a trailing dot is absolute: asked as is, only;
--   - a name with at least ndots dots is asked as is first;
--   - then name.domain for each search domain, in order: NXDOMAIN and
--     NODATA go on to the next, as does SERVFAIL from every server; a
--     timeout (or REFUSED) ends the list; no server reachable at all
--     (ECONNREFUSED) ends everything;
--   - then, if not yet done and "." is not on the list, the name as is.
-- A failure reports the first as-is answer's reason, else "no data" if a
-- domain had the name without the type, else "server failure" if one
-- failed, else the last reason.
local function search(h, s, name, qtype, o)
  local dots = select(2, name:gsub("%.", ""))
  if name:sub(-1) == "." then return lookup_dns(h, s, name, qtype, o) end
  local saved, tried_as_is
  if dots >= s.ndots then
    local a, r = lookup_dns(h, s, name, qtype, o)
    if a then return a, r end
    saved, tried_as_is = r, true
  end
  local got_nodata, got_servfail, last, root_on_list
  for _, d in ipairs(s.search) do
    if d == "" then root_on_list = true end
    local full = d == "" and name or name .. "." .. d
    -- res_nquerydomain refuses a name past MAXDNAME, and the loop goes on
    if valid_name(full) then
      local a, r, unreachable = lookup_dns(h, s, full, qtype, o)
      if a then return a, r end
      last = r
      if unreachable then return nil, r end
      if r == "no data" then got_nodata = true
      elseif r == "server failure" then got_servfail = true
      elseif r ~= "no such name" then break end
    end
  end
  if not tried_as_is and not root_on_list then
    local a, r = lookup_dns(h, s, name, qtype, o)
    if a then return a, r end
    last = r
  end
  if saved then return nil, saved end
  if got_nodata then return nil, "no data" end
  if got_servfail then return nil, "server failure" end
  return nil, last
end

-- The whole lookup, in a task: hosts (the name as given, as glibc's files
-- backend takes it), then DNS through the search list.
local function lookup(h, name, qtype, o)
  local s = st(h)
  local hit = hosts_lookup(s, name, qtype)
  if hit then return hit[1], {name = name, answers = hit, via = "hosts"} end
  return search(h, s, name, qtype, o)
end

function M.resolve(h, name, opts)
  local F = "resolve"
  if type(name) ~= "string" then
    error(F .. ': name must be a string like "server.lab", got ' .. type(name), 2)
  end
  opts = check_opts(F, opts, RESOLVE_OPTS)
  local qtype = opts.type or "A"
  -- getaddrinfo on a numeric address returns it without a lookup
  if qtype == "A" and is_ipv4(name) or qtype == "AAAA" and is_ipv6(name) then
    return name, {name = name, answers = {name}, via = "literal"}
  end
  if qtype == "PTR" and (is_ipv4(name) or is_ipv6(name)) then name = reverse_name(name) end
  if not valid_name(name) then error(string.format('%s: "%s" is not a valid name', F, name), 2) end
  local s = st(h)
  local o = {timeout = opts.timeout and lunet.time(opts.timeout) or s.timeout,
             attempts = opts.attempts or s.attempts}
  if not in_task() then
    local hit = hosts_lookup(s, name, qtype)
    if hit then return hit[1], {name = name, answers = hit, via = "hosts"} end
    error(F .. ": not inside a task (use host:spawn): a DNS query waits for its answer", 2)
  end
  return lookup(h, name, qtype, o)
end

-- The C socket calls (h:connect, s:connect, u:connect, u:sendto) with a
-- name: called by lnl_resolve_arg, so level 3 is the user's line.
-- Which family first: glibc's getaddrinfo sorts by RFC 6724, whose
-- precedence table puts IPv6 (::/0, 40) before IPv4 (::ffff:0:0/96, 35)
-- when the host has a global IPv6 source (rule 2, matching scope, fails
-- for a link-local one).  So: AAAA first on a host with a global IPv6
-- address, A first otherwise; the other family when the first has no
-- data.  (getaddrinfo returns both and the application tries each in
-- turn; lunet's socket calls take the first.)
local function families(h)
  local ok, a6 = pcall(h.ip6, h)
  if ok and a6 then return "AAAA", "A" end
  return "A", "AAAA"
end

function M._resolve_arg(h, name, fname)
  local s = st(h)
  local first, second = families(h)
  local hit = hosts_lookup(s, name, first) or hosts_lookup(s, name, second)
  if hit then return hit[1] end
  if not in_task() then
    error(string.format('%s: resolving "%s" waits for a DNS answer: call it inside a task ' ..
                        '(host:spawn), or put the name in h:hosts', fname, name), 3)
  end
  local o = {timeout = s.timeout, attempts = s.attempts}
  local a, err = lookup(h, name, first, o)
  if a or err ~= "no data" then return a, err end
  return lookup(h, name, second, o)
end

-- The applications' one way to take a destination: an address, a Node or
-- Iface (its address), or a name resolved for host h (in a task).  Returns
-- the address, or nil and why the name did not resolve; raises at `level`
-- (default: the application's caller) when dst is none of these.
-- v6: the caller speaks IPv6 too (ping, traceroute, HTTP).  Then the
-- families come in _resolve_arg's order (RFC 6724 as glibc sorts it), the
-- other one when the first has no data; without it, A only.
function M.dst_addr(h, fname, dst, level, v6)
  level = (level or 2) + 1
  if is_name(dst) then
    local s = st(h)
    local first, second = "A", nil
    if v6 then first, second = families(h) end
    local hit = hosts_lookup(s, dst, first) or (second and hosts_lookup(s, dst, second))
    if hit then return hit[1] end
    if not in_task() then
      error(fname .. ": not inside a task (use host:spawn)", level)
    end
    local o = {timeout = s.timeout, attempts = s.attempts}
    local a, why = lookup(h, dst, first, o)
    if a or not second or why ~= "no data" then return a, why end
    return lookup(h, dst, second, o)
  end
  return util.dst_string(fname, dst, level + 1)
end

------------------------------------------------------------------------
-- the server
------------------------------------------------------------------------

local function is_edns_mode(v)
  if v == true or v == false or v == "notimp" or v == "ignore" then return true end
  return false, 'must be true, false (FORMERR, as a server from before EDNS), "notimp" or "ignore"'
end
local function is_udp_size(v)
  if math.type(v) ~= "integer" or v < 512 or v > 65535 then
    return false, "must be an integer in 512..65535 (bytes)"
  end
  return true
end
local SERVER_OPTS = {zone = true, ttl = true, origin = true, reverse = is_bool, port = true,
                     addr = true, edns = is_edns_mode, max_udp = is_udp_size}

-- The zone table, checked and put in a fixed order:
--   name = "10.0.0.2" | "2001:db8::2" | {"10.0.0.3", "10.0.0.4", ...}
--   name = {a = addr|{...}, aaaa = addr|{...}, cname = "target",
--           ptr = "name"|{...}, txt = "text"|{...}, mx = {{10, "mail.lab"}, ...}, ttl = n}
-- z.names[name] = {A = {...}, AAAA = {...}, CNAME = "...", PTR = {...}, ttl =}
local function compile_zone(F, zone, ttl)
  if type(zone) ~= "table" then error(F .. ": zone must be a table of names", 3) end
  local z = {names = {}}
  local function bad(name, why) error(string.format("%s: zone[%q]: %s", F, name, why), 4) end
  local function addrs(name, v, want)
    if type(v) == "string" then v = {v} end
    if type(v) ~= "table" or #v == 0 then bad(name, "an address or a list of addresses") end
    for _, a in ipairs(v) do
      if want == "A" and not is_ipv4(a) then bad(name, string.format('"%s" is not an IPv4 address', tostring(a))) end
      if want == "AAAA" and not is_ipv6(a) then bad(name, string.format('"%s" is not an IPv6 address', tostring(a))) end
    end
    return v
  end
  local function names(name, v, what)
    if type(v) == "string" then v = {v} end
    if type(v) ~= "table" or #v == 0 then bad(name, what .. ": a name or a list of names") end
    for _, x in ipairs(v) do
      if not valid_name(x) then bad(name, string.format('%s: "%s" is not a valid name', what, tostring(x))) end
    end
    return v
  end
  for _, name in ipairs(sorted_keys(zone)) do
    if type(name) ~= "string" or not valid_name(name) then
      error(string.format("%s: zone: %s is not a valid name", F, tostring(name)), 3)
    end
    local v = zone[name]
    local e = {ttl = ttl}
    if type(v) == "string" or (type(v) == "table" and #v > 0) then
      for _, a in ipairs(type(v) == "string" and {v} or v) do
        if is_ipv4(a) then e.A = e.A or {}; e.A[#e.A + 1] = a
        elseif is_ipv6(a) then e.AAAA = e.AAAA or {}; e.AAAA[#e.AAAA + 1] = a
        else bad(name, string.format('"%s" is not an address', tostring(a))) end
      end
    elseif type(v) == "table" then
      for _, k in ipairs(sorted_keys(v)) do
        if k == "a" then e.A = addrs(name, v.a, "A")
        elseif k == "aaaa" then e.AAAA = addrs(name, v.aaaa, "AAAA")
        elseif k == "cname" then
          if type(v.cname) ~= "string" or not valid_name(v.cname) then bad(name, "cname: a name") end
          e.CNAME = v.cname
        elseif k == "ptr" then e.PTR = names(name, v.ptr, "ptr")
        elseif k == "txt" then
          e.TXT = type(v.txt) == "string" and {v.txt} or v.txt
          if type(e.TXT) ~= "table" then bad(name, "txt: a string or a list of strings") end
        elseif k == "ttl" then
          if math.type(v.ttl) ~= "integer" or v.ttl < 0 then bad(name, "ttl: an integer >= 0 (seconds)") end
          e.ttl = v.ttl
        else
          bad(name, string.format('"%s" unknown (use a, aaaa, cname, ptr, txt, ttl)', tostring(k)))
        end
      end
      if e.CNAME and (e.A or e.AAAA or e.PTR or e.TXT) then
        bad(name, "a CNAME cannot have other data (RFC 1034 3.6.2)")
      end
    else
      bad(name, "an address, a list of addresses or a table like {cname = \"x.lab\"}")
    end
    z.names[norm(name)] = e
  end
  return z
end

-- The parent of a name ("server.lab" -> "lab"), nil for a top-level one.
local function parent(name) return name:match("^[^.]+%.(.+)$") end

local function under(name, origin)
  return name == origin or name:sub(-(#origin + 1)) == "." .. origin
end

function M.dns_server(h, opts)
  local F = "dns_server"
  opts = check_opts(F, opts, SERVER_OPTS)
  local ttl = opts.ttl or 300
  if math.type(ttl) ~= "integer" or ttl < 0 then
    error(F .. ": ttl must be an integer >= 0 (seconds)", 2)
  end
  local port = opts.port or 53
  if math.type(port) ~= "integer" or port < 1 or port > 65535 then
    error(F .. ": port must be an integer in 1..65535", 2)
  end
  local z = compile_zone(F, opts.zone or {}, ttl)
  -- BIND's max-udp-size: 1232 since the DNS flag day 2020
  local max_udp = opts.max_udp or 1232
  local edns_mode = opts.edns
  if edns_mode == nil then edns_mode = true end

  -- Reverse records for every address (reverse = true), unless given.
  if opts.reverse then
    for _, name in ipairs(sorted_keys(z.names)) do
      for _, t in ipairs({"A", "AAAA"}) do
        for _, a in ipairs(z.names[name][t] or {}) do
          local r = reverse_name(a)
          if not z.names[r] then z.names[r] = {PTR = {name}, ttl = z.names[name].ttl} end
        end
      end
    end
  end

  -- The zones served: `origin` (a name or a list), else the parent of
  -- every name.  Anything else is REFUSED, as by a server that does not
  -- recurse.
  local origins = {}
  local given = opts.origin
  if type(given) == "string" then given = {given} end
  if given ~= nil then
    if type(given) ~= "table" then error(F .. ": origin must be a name or a list of names", 2) end
    for _, o in ipairs(given) do
      if not valid_name(o) then error(string.format('%s: origin "%s" is not a valid name', F, tostring(o)), 2) end
      origins[norm(o)] = true
    end
  else
    for name in pairs(z.names) do origins[parent(name) or name] = true end
  end
  local olist = sorted_keys(origins)
  -- the longest origin first: it is the zone a name belongs to
  table.sort(olist, function(a, b) if #a ~= #b then return #a > #b end return a < b end)
  -- Empty non-terminals (RFC 8020: "b.lab" when only "a.b.lab" exists)
  -- exist, without data.
  local exists = {}
  for o in pairs(origins) do exists[o] = true end
  for name in pairs(z.names) do
    local n = name
    while n do exists[n] = true; n = parent(n) end
  end
  local function zone_of(name)
    for _, o in ipairs(olist) do if under(name, o) then return o end end
  end
  local function soa(o)
    return {name = o, type = "SOA", ttl = ttl, data = {
      mname = h.name .. "." .. o, rname = "hostmaster." .. o, serial = 1, refresh = 3600,
      retry = 600, expire = 86400, minimum = ttl}}
  end

  local srv = {port = port, queries = 0, tcp_queries = 0, truncated = 0, rcodes = {}, dropped = {},
               edns_queries = 0, max_udp = max_udp}
  local function drop(why) srv.dropped[why] = (srv.dropped[why] or 0) + 1 end

  local function add(list, name, e, t)
    local v = e[t]
    if v == nil then return 0 end
    if type(v) ~= "table" then v = {v} end
    for _, d in ipairs(v) do
      list[#list + 1] = {name = name, type = t, ttl = e.ttl, data = d}
    end
    return #v
  end

  -- The reply to a message, or nil to stay silent.
  local function answer(d)
    local m, why = M.decode(d)
    if not m then
      drop(why)
      -- RFC 1035 4.1.1: FORMERR, when there is a header to answer to
      if #d < 12 then return nil end
      local id, flags = string.unpack(">I2I2", d)
      if flags & 0x8000 ~= 0 then return nil end       -- never answer a response
      return {id = id, qr = true, opcode = (flags >> 11) & 15, rd = flags & 0x100 ~= 0,
              rcode = "FORMERR"}, 512
    end
    if m.qr then drop("not a query"); return nil end
    local r = {id = m.id, qr = true, opcode = m.opcode, rd = m.rd, rcode = "NOERROR",
               questions = m.questions, answers = {}, authority = {}}
    -- EDNS comes first, as in BIND (a bad version is answered whatever
    -- the opcode).  Without OPT the UDP limit is 512 (RFC 1035 4.2.1).
    local limit = 512
    if m.edns and edns_mode ~= "ignore" then
      srv.edns_queries = srv.edns_queries + 1
      -- a server from before RFC 2671 does not know the record type
      if edns_mode == false then r.rcode = "FORMERR"; return r, limit end
      if edns_mode == "notimp" then r.rcode = "NOTIMP"; return r, limit end
      -- RFC 3225 3: the DO bit is copied into the answer
      r.edns = {udp_size = max_udp, dnssec_ok = m.edns.dnssec_ok}
      -- RFC 6891 6.1.3: a version we do not do gets BADVERS, and ours (0)
      if m.edns.version ~= 0 then r.rcode = "BADVERS"; return r, limit end
      -- 6.2.5: sizes below 512 count as 512; ours caps the rest
      limit = math.min(math.max(m.edns.udp_size, 512), max_udp)
    end
    if m.opcode ~= 0 then r.rcode = "NOTIMP"; return r, limit end
    -- BIND answers FORMERR to anything but one question
    if #m.questions ~= 1 then r.rcode = "FORMERR"; return r, limit end
    local q = m.questions[1]
    if q.class ~= "IN" and q.class ~= 255 then r.rcode = "REFUSED"; return r, limit end
    local name = norm(q.name)
    local o = zone_of(name)
    if not o then r.rcode = "REFUSED"; return r, limit end
    r.aa = true
    -- RFC 1034 4.3.2: follow CNAMEs within our zones
    for _ = 1, 8 do
      local e = z.names[name]
      if not e and name == o and (q.type == "SOA" or q.type == "ANY") then
        r.answers[1] = soa(o)
        break
      end
      if not e then
        if not exists[name] then r.rcode = "NXDOMAIN" end     -- RFC 6604: the chain's end
        break
      end
      if e.CNAME and q.type ~= "CNAME" and q.type ~= "ANY" then
        add(r.answers, name, e, "CNAME")
        name = norm(e.CNAME)
        o = zone_of(name)
        if not o then break end        -- the resolver asks elsewhere
      elseif q.type == "ANY" then
        for _, t in ipairs({"CNAME", "A", "AAAA", "PTR", "TXT"}) do add(r.answers, name, e, t) end
        break
      else
        add(r.answers, name, e, q.type)
        break
      end
    end
    -- RFC 2308 3: the zone's SOA with a negative answer
    if #r.answers == 0 or r.rcode == "NXDOMAIN" then
      local last = r.answers[#r.answers]
      if not (last and last.type == "CNAME" and not zone_of(name)) then
        r.authority[1] = soa(o)
      end
    end
    return r, limit
  end

  local function count(r) srv.rcodes[r.rcode] = (srv.rcodes[r.rcode] or 0) + 1 end

  -- srv.answer(query bytes [, max]) -> reply bytes | nil (silence): the
  -- server without the network, for tests and the fuzz target.  max:
  -- bytes (default 65535, as over TCP), or "udp" for the size the UDP
  -- answer would be cut at (512, or what EDNS negotiated).
  function srv.answer(d, max)
    local r, limit = answer(d)
    if not r then return nil end
    count(r)
    return (M.encode(r, {max = max == "udp" and limit or max or 65535}))
  end

  local u = h:udp()
  -- addr = "::": IPv6 and IPv4 both (a socket on :: takes the two)
  local ok, err
  if opts.addr then ok, err = u:bind(opts.addr, port) else ok, err = u:bind(port) end
  if not ok then u:close(); return nil, err end
  local l, lerr = h:listen(port, {reuseaddr = true, addr = opts.addr})
  if not l then u:close(); return nil, lerr end
  srv.udp, srv.tcp = u, l
  function srv.close() u:close(); l:close() end

  srv.task = h:spawn(function()
    while true do
      local d, ip, from = u:receivefrom()
      if not d then break end                        -- closed
      srv.queries = srv.queries + 1
      local r, limit = answer(d)
      if r then
        -- RFC 1035 4.2.1, RFC 6891 7: cut at 512, or at the negotiated size
        local bytes, tc = M.encode(r, {max = limit})
        if tc then srv.truncated = srv.truncated + 1 end
        count(r)
        u:sendto(bytes, ip, from)
      end
    end
  end)
  -- RFC 7766: several queries may come over one connection, until the
  -- client closes it.
  srv.tcp_task = h:spawn(function()
    while true do
      local c = l:accept()
      if not c then break end
      h:spawn(function()
        while true do
          -- BIND's tcp-idle-timeout: 30 s
          local hdr = c:receive(2, {timeout = "30s"})
          if not hdr or #hdr < 2 then break end
          local n = string.unpack(">I2", hdr)
          local d = c:receive(n, {timeout = "30s"})
          if not d or #d < n then drop("TCP message cut short"); break end
          srv.queries = srv.queries + 1
          srv.tcp_queries = srv.tcp_queries + 1
          local r = answer(d)
          if r then
            count(r)
            if not c:send((M.encode(r, {tcp = true}))) then break end
          end
        end
        c:close()
      end)
    end
  end)
  return srv
end

return M
