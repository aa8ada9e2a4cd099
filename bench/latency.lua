-- Prints the latency percentiles wrk's --latency leaves out (p95 among them), in microseconds,
-- as `bench:` lines that bench/wrk.py reads.
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("bench: p%d %d\n", p, latency:percentile(p)))
  end
end
