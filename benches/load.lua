-- wrk script: cycles through the request paths in $PATHS_FILE, one per line.
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  paths[#paths + 1] = line
end
local i = 0
-- $ENCODING, when set, is sent as Accept-Encoding.
local headers = {}
if os.getenv("ENCODING") then
  headers["Accept-Encoding"] = os.getenv("ENCODING")
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end

-- One summary line per run, so that search and occurrences can be read side by side.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  -- Bytes per response as read off the socket, headers included: what Accept-Encoding saves.
  io.write(string.format("%-18s %7.0f req/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  errors %d  %7.0f B/response\n",
    os.getenv("LABEL") or "run", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, errors,
    summary.bytes / math.max(summary.requests, 1)))
end
