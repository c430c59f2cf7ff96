-- wrk script for bench/api_bench.py --wrk: GET /api/v1/equipment/{id} with ids picked at random
-- from a file (one per line), authenticated with a bearer token.
--   wrk -t2 -c8 -d10s --latency -s bench/random_ids.lua http://127.0.0.1:PORT -- IDS_FILE TOKEN

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  ids = {}
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", "/api/v1/equipment/" .. ids[math.random(#ids)])
end
