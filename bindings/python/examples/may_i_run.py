"""May I run now? python may_i_run.py VENDOR_KEY LICENSE LEDGER [NOW]"""
import os, pathlib, sys, time
import timefence

key, license_file, ledger_file = map(pathlib.Path, sys.argv[1:4])
now = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time())
secret_file = ledger_file.with_suffix(".secret")  # this installation's own 32 bytes
if not secret_file.exists():
    secret_file.write_bytes(os.urandom(32))
ledger = ledger_file.read_bytes() if ledger_file.exists() else b""
try:
    license = timefence.Verifier([key.read_text()]).verify(license_file.read_text())
    verdict, ledger = timefence.check(license, now, ledger, secret_file.read_bytes())
except timefence.TimefenceError as error:
    sys.exit(f"refused: {error.code}: {error}")
ledger_file.write_bytes(ledger)
print(f"yes, until {verdict.closes_at}" if verdict.allowed else f"not now: {verdict.reason}")
