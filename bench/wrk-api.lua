-- wrk script for bench/throughput.py: GET or POST /api/v1/tasks/ with a bearer token.
--   BENCH_METHOD  GET (default) or POST (creates one task per request)
--   BENCH_TOKEN   JWT access token
-- Counts every response outside 2xx (wrk itself only counts >= 400) and prints one line,
-- "BENCH_RESULT {json}", with the totals and latency percentiles in microseconds.

local method = os.getenv("BENCH_METHOD") or "GET"
wrk.method = method
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
if method == "POST" then
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"title":"bench task","priority":"high","description":"created by bench/throughput.py"}'
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  created = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if status == 201 then
    created = created + 1
  end
end

function done(summary, latency, requests)
  local bad, made = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    made = made + thread:get("created")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "created": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, bad, made, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
