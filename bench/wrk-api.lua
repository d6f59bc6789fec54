-- wrk script for bench/throughput.py: one API request, repeated, on wrk's keep-alive connections.
--   BENCH_METHOD          GET (default), POST or PATCH
--   BENCH_TOKEN           JWT access token (none: no Authorization header)
--   BENCH_BODY            JSON request body, if any
--   BENCH_UNIQUE_CLIENT   set: every request carries its own X-Forwarded-For, as if from its own client
--                         (login's throttle allows 10 a minute per client)
-- Counts every response outside 2xx (wrk itself only counts >= 400) and the responses in each wall-clock
-- second, and prints one line, "BENCH_RESULT {json}", with the totals and latency percentiles in
-- microseconds.

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = body
end

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  created = 0
  sent = 0
  per_second = {}  -- responses by the wall-clock second they arrived in: the driver counts a window of them
end

if os.getenv("BENCH_UNIQUE_CLIENT") then
  function request()
    sent = sent + 1
    wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", thread_number, math.floor(sent / 256) % 256, sent % 256)
    return wrk.format()
  end
end

function response(status, headers, body)
  local now = os.time()
  per_second[now] = (per_second[now] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if status == 201 then
    created = created + 1
  end
end

function done(summary, latency, requests)
  local bad, made, seconds = 0, 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    made = made + thread:get("created")
    for second, n in pairs(thread:get("per_second")) do
      seconds[second] = (seconds[second] or 0) + n
    end
  end
  local buckets = {}
  for second, n in pairs(seconds) do
    table.insert(buckets, string.format('"%d": %d', second, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "created": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "per_second": {%s}}\n',
    summary.requests, summary.duration, bad, made, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, table.concat(buckets, ", ")))
end
