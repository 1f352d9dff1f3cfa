-- wrk script for bench/webhook.py: distinct signed callbacks, per-status counts, a JSON summary.
-- Arguments after `--`: run number, subscribe template, text template (see bench/bodies.py);
-- the signed query string is in the URL. Bodies follow bodies.py's formulas exactly.

local threads = {}

function setup(thread)
  thread:set("worker", #threads)
  table.insert(threads, thread)
end

function init(args)
  run = tonumber(args[1])
  subscribe_tpl = args[2]
  text_tpl = args[3]
  headers = { ["Content-Type"] = "text/xml" }
  n = -1
  sent = 0
  ok = 0
  other = 0
end

local function fill(tpl, who, msg_id)
  local body = tpl:gsub("OPENIDSLOT", who)
  if msg_id then
    body = body:gsub("MSGIDSLOT", msg_id)
  end
  return body
end

function request()
  n = n + 1
  sent = sent + 1
  local who = string.format("o%03dw%03dn%019d", run, worker, n)
  local body
  if n % 2 == 0 then
    body = fill(subscribe_tpl, who, nil)
  else
    body = fill(text_tpl, who, string.format("%d", (run * 1000 + worker) * 10000000000 + n))
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  -- wrk calls request() once on the first thread before the run to check the script
  -- (script_verify_request); that body is never sent, so it does not count.
  local sent_all, ok_all, other_all = -1, 0, 0
  for _, t in ipairs(threads) do
    sent_all = sent_all + t:get("sent")
    ok_all = ok_all + t:get("ok")
    other_all = other_all + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us": %d, "requests": %d, "sent": %d, "ok": %d, "non200": %d, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.duration, summary.requests, sent_all, ok_all, other_all,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max
  ))
end
