-- Driven by bench/wrk.py: wrk ... -s wrk.lua URL -- PATH WORKLOAD
-- repeated: the same GET of PATH every time.
-- distinct: PATH ends in "LIMIT " (encoded); each request appends a different large number,
--           so every query text differs while the answer stays the same. Optional
--           FIRST SPAN: numbers run FIRST + (n mod SPAN) instead (Virtuoso refuses an
--           ORDER BY with LIMIT above 10000; it keeps no answers, so repeats do not matter).
-- done() prints one JSON line: requests, duration, errors (non-2xx included), p50/p99 in µs.
local threads = 0
local counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  path = args[1]
  distinct = args[2] == "distinct"
  first = tonumber(args[3]) or (1000000 + id * 100000000)
  span = tonumber(args[4]) or 100000000
  fixed = wrk.format("GET", path)
end

function request()
  if not distinct then
    return fixed
  end
  counter = counter + 1
  return wrk.format("GET", path .. (first + counter % span))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
