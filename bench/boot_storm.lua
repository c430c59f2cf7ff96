-- wrk script for bench/boot_storm.py: GET /<mac>.cfg for a device picked at random per request (or, with
-- "cycle", every device in turn, each thread from its own offset), and one JSON line of results at the end.
-- The User-Agent and "Connection: close" headers come from -H.
--   wrk -t2 -c256 -d15s --latency -H "Connection: close" -H "User-Agent: ..." -s bench/boot_storm.lua URL -- MACS_FILE [cycle]

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("seed", #threads)
end

function init(args)
  macs = {}
  for line in io.lines(args[1]) do
    if #line > 0 then macs[#macs + 1] = line end
  end
  cycle = args[2] == "cycle"
  turn = (seed - 1) * 7919
  math.randomseed(seed * 7919)
end

function request()
  if cycle then
    turn = turn + 1
    return wrk.format("GET", "/" .. macs[turn % #macs + 1] .. ".cfg")
  end
  return wrk.format("GET", "/" .. macs[math.random(#macs)] .. ".cfg")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BOOT_STORM_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
