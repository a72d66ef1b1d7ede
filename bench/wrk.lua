-- Round-robin GETs over a list of paths, for `wrk -s wrk.lua URL -- LIST [AUTHORIZATION]`.
-- Each line of LIST is a path, optionally followed by a tab and its own Authorization value
-- (wrong passwords, scenario e); otherwise every request carries AUTHORIZATION, if given.
-- Requests are formatted once in init, so the per-request Lua cost is a table lookup.

local requests = {}
local next_index = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  local default_auth = args[2]
  for line in io.lines(args[1]) do
    local path, auth = line:match("^([^\t]+)\t?(.*)$")
    if path then
      if auth == "" then auth = default_auth end
      local headers = {}
      if auth and auth ~= "" then headers["Authorization"] = auth end
      requests[#requests + 1] = wrk.format("GET", path, headers)
    end
  end
  -- Threads start at different offsets so that they do not walk the list in step.
  next_index = (tonumber(wrk.thread:get("id")) or 0) * 7919 % #requests
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

-- One machine-readable line; run.sh parses it.
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
