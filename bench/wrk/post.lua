-- Borrowed from the shared side-by-side harness (shared/bench/wrk/post.lua).
-- wrk script: POST one fixed body with fixed headers, print one JSON summary line.
-- Environment:
--   BODY_FILE  path of the request body (JSON)
--   HDRS       extra headers, "Name: value|Name: value" (optional)
-- Usage: BODY_FILE=bench/payloads/chat-request.json HDRS='Authorization: Bearer x' \
--        wrk -t1 -c16 -d10s -s bench/wrk/post.lua http://127.0.0.1:18080/v1/chat/completions
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
for h in string.gmatch(os.getenv("HDRS") or "", "[^|]+") do
  local k, v = h:match("^%s*([^:]+):%s*(.-)%s*$")
  if k then wrk.headers[k] = v end
end

-- No response() callback on purpose: defining one slows wrk's hot path.
-- Non-2xx/3xx answers are still counted by wrk itself (errors.status).
function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, secs, summary.requests / secs, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
