-- wrk script: cycles through the request paths in $PATHS_FILE, one per line.
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  paths[#paths + 1] = line
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

-- One summary line per run, so that search and occurrences can be read side by side.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("%-12s %9.0f req/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  errors %d\n",
    os.getenv("LABEL") or "run", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, errors))
end
