-- wrk script: POST /api/v1/returns/, the example body of api.md for a new order each time (its first return: the
-- order snapshot, the customer, the ticket with its clocks, the return, the policy's decision and the outbox row).
-- The order's external id is made here: a run id (the start time), the wrk thread and a counter. Environment:
-- API_KEY, CUSTOMERS as in ticket_create.lua. Prints the same RESULT line as the peer's bench/post_ticket.lua.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Api-Key " .. (os.getenv("API_KEY") or "missing")

local threads = {}
local number = 0
setup = function(thread)
  number = number + 1
  thread:set("thread_number", number)
  table.insert(threads, thread)
end

local customers = tonumber(os.getenv("CUSTOMERS") or "5000") * 4
local run = os.time()
local placed = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 4 * 86400)
local delivered = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 2 * 86400)
local counter = 0

request = function()
  counter = counter + 1
  local c = math.random(1, customers)
  local order = string.format("W-%d-%d-%d", run, thread_number or 0, counter)
  local body = string.format(
    '{"order": {"external_id": "%s", "placed_at": "%s", "delivered_at": "%s", "currency": "CNY", ' ..
    '"lines": [{"external_id": "L1", "sku": "KET-01", "name": "Electric kettle", "quantity": 2, "unit_price": "199.00"}]}, ' ..
    '"customer": {"external_id": "C-%d", "name": "Customer %d", "email": "customer%d@example.com"}, ' ..
    '"items": [{"line": "L1", "quantity": 1, "reason": "quality_issue", "unused": false, "original_packaging": true}], ' ..
    '"resolution": "refund", "description": "The kettle leaks from the base."}',
    order, placed, delivered, c, c, c)
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f req_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors_status=%d errors_timeout=%d errors_connect=%d\n",
    summary.requests, summary.duration/1e6, summary.requests/(summary.duration/1e6),
    latency:percentile(50)/1000, latency:percentile(90)/1000, latency:percentile(99)/1000, latency.max/1000,
    summary.errors.status, summary.errors.timeout, summary.errors.connect))
end
