-- wrk script for bench/bench_sparring_http.py: sends signed Slack slash commands that the
-- bench wrote beforehand, one per line ("timestamp<TAB>signature<TAB>body"), each line once.
-- Usage: wrk -t2 -c16 -d10s -s bench/wrk_signed.lua URL -- FILE THREADS
-- Thread k of n sends lines k, k+n, k+2n, ... so no two requests share a trigger_id
-- (equal bodies would be replays). At the end it prints one line the bench reads:
-- RESULT <requests> <non-2xx> <socket errors> <duration us> <p50 us> <p99 us>

local started = 0
local requests = {}
local sent = 0

function setup(thread)
  thread:set("thread_index", started)
  started = started + 1
end

function init(args)
  local path, threads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(path) do
    if i % threads == thread_index then
      local ts, sig, body = line:match("^(%d+)\t(%S+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/slack/events", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Slack-Request-Timestamp"] = ts,
        ["X-Slack-Signature"] = sig,
      }, body)
    end
    i = i + 1
  end
end

function request()
  sent = sent + 1
  if sent > #requests then
    sent = 1 -- ran out: the bench sizes the file so this does not happen; replays would show
  end
  return requests[sent]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
