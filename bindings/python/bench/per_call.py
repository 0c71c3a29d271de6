"""verify + check per call from Python (scripts/bench-bindings). Prints one JSON line."""
import json, sys, time
import timefence

vector = json.load(open(sys.argv[1]))
calls = int(sys.argv[2])
verifier = timefence.Verifier(vector["trusted_keys"])
text, now = vector["files"][0], vector["steps"][0]["now_unix"]
secret, ledger = bytes.fromhex(vector["ledger_secret"]), b""
times = []
for _ in range(calls):
    start = time.perf_counter_ns()
    verdict, ledger = timefence.check(verifier.verify(text), now, ledger, secret)
    times.append((time.perf_counter_ns() - start) / 1000)
    assert verdict.allowed
times.sort()
at = lambda q: times[round((len(times) - 1) * q)]
print(json.dumps({"language": "python", "calls": calls, "median_us": round(at(0.5), 2), "p99_us": round(at(0.99), 2)}))
