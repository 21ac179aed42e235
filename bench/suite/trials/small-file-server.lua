-- wrk script of the small-file-server scenario: every request asks for one of the server's N files
-- (named 0 .. N-1) at random, the same seeded sequence for every contender; done() prints wrk's figures
-- as one JSON line for the trial to parse.
--   wrk ... -s small-file-server.lua http://HOST:PORT/ -- <files> <seed>
local files = 1

function init(args)
  files = tonumber(args[1])
  math.randomseed(tonumber(args[2]))
end

function request()
  return wrk.format("GET", "/" .. math.random(0, files - 1))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"bytes":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyP50Us":%d,"latencyP99Us":%d,"latencyMaxUs":%d}\n', summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
