-- An HTTP server whose handler returns several headers in a Lua table: the
-- bytes on the wire must not depend on that table's order, which Lua
-- randomises per process.
local net = lunet.net{name = "http_headers"}
local client, server = net:host("client"), net:host("server")
net:link(client, server, {delay = "1ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
net:capture{}
local srv = server:http_server(80, {handler = function()
  return "hello\n", 200, {["X-One"] = "1", ["X-Two"] = "2", ["X-Three"] = "3", ["X-Four"] = "4",
                          ["Cache-Control"] = "no-store", ["Content-Type"] = "text/plain",
                          ["Server"] = "lunet", ["X-Five"] = "5"}
end})
client:spawn(function()
  local body = assert(client:http_get("10.0.0.2", 80, "/"))
  io.write(body)
  srv:close()
end)
net:run()
