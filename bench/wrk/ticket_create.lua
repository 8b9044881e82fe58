-- wrk script: POST /api/v1/tickets/ as a storefront sends it (subject, body, category, a customer with its external
-- id and e-mail). Environment: API_KEY (the storefront's key), CUSTOMERS (the customers the snapshot has: ids are
-- drawn from four times as many, so about a quarter of the creates find a known customer and the rest create one).
-- Prints the same RESULT line as the peer's bench/post_ticket.lua.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Api-Key " .. (os.getenv("API_KEY") or "missing")
local customers = tonumber(os.getenv("CUSTOMERS") or "5000") * 4
local categories = {"logistics", "product_quality", "other", "payment", "policy"}
local counter = 0

request = function()
  counter = counter + 1
  local c = math.random(1, customers)
  local body = string.format(
    '{"subject": "Load test ticket", "body": "Unit stopped working after update.", "category": "%s", ' ..
    '"customer": {"external_id": "C-%d", "name": "Customer %d", "email": "customer%d@example.com"}}',
    categories[1 + counter % #categories], c, c, c)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f req_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors_status=%d errors_timeout=%d errors_connect=%d\n",
    summary.requests, summary.duration/1e6, summary.requests/(summary.duration/1e6),
    latency:percentile(50)/1000, latency:percentile(90)/1000, latency:percentile(99)/1000, latency.max/1000,
    summary.errors.status, summary.errors.timeout, summary.errors.connect))
end
