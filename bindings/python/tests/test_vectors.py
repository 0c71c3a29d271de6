"""Runs every conformance vector (conformance/vectors/*.json) through the Python binding."""

import json
import pathlib

import pytest

import timefence

VECTORS = sorted((pathlib.Path(__file__).resolve().parents[3] / "conformance" / "vectors").glob("*.json"))


def run(vector):
    """Each step's answer, in the vectors' own shape."""
    verifier = timefence.Verifier(vector["trusted_keys"])
    secret = bytes.fromhex(vector["ledger_secret"])
    ledger = b""
    answers = []
    for step in vector["steps"]:
        try:
            license = verifier.verify(vector["files"][step["file"]])
            if step["action"] == "verify":
                payload = json.loads(timefence.describe(license))
                answers.append({"ok": True, "serial": payload["serial"], "uid": payload.get("uid")})
            elif step["action"] == "check":
                verdict, ledger = timefence.check(license, step["now_unix"], ledger, secret)
                answers.append(
                    {
                        "allowed": verdict.allowed,
                        "reason": verdict.reason,
                        "closes_at": verdict.closes_at,
                        "remaining_seconds": verdict.remaining_seconds,
                        "next_opening": verdict.next_opening,
                    }
                )
            elif step["action"] == "record_use":
                ledger = timefence.record_use(license, step["now_unix"], step["seconds"], ledger, secret)
                answers.append({"ok": True})
            else:
                raise AssertionError(f"unknown action {step['action']}")
        except timefence.TimefenceError as error:
            answers.append({"error": error.code})
    return answers


def test_there_are_vectors():
    assert len(VECTORS) >= 15


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_vector(path):
    vector = json.loads(path.read_text())
    expected = [step["expect"] for step in vector["steps"]]
    assert run(vector) == expected


def test_bad_input_is_a_typed_error():
    with pytest.raises(timefence.TimefenceError) as bad_key:
        timefence.Verifier(["not a key"])
    assert bad_key.value.code == "BadKey"
    verifier = timefence.Verifier([])
    with pytest.raises(timefence.TimefenceError) as not_a_license:
        verifier.verify("hello")
    assert not_a_license.value.code == "BadArmor"
    assert "not a Timefence license file" in str(not_a_license.value)


def test_a_short_secret_is_refused():
    vector = json.loads(VECTORS[0].read_text())
    verifier = timefence.Verifier(vector["trusted_keys"])
    for text in vector["files"]:
        try:
            license = verifier.verify(text)
        except timefence.TimefenceError:
            continue
        with pytest.raises(timefence.TimefenceError) as short:
            timefence.check(license, 0, b"", b"too short")
        assert short.value.code == "BadInput"
        return
    pytest.fail("the vector has no file that verifies")


def allowed_at():
    """A license and an instant its first check allows (the daily-limit vector)."""
    vector = json.loads(next(p for p in VECTORS if p.stem == "daily-limit-spent-across-calls").read_text())
    verifier = timefence.Verifier(vector["trusted_keys"])
    license = verifier.verify(vector["files"][0])
    return license, vector["steps"][0]["now_unix"], bytes.fromhex(vector["ledger_secret"])


def code_of(call):
    with pytest.raises(timefence.TimefenceError) as raised:
        call()
    return raised.value.code


def test_none_and_wrong_types_are_bad_input_not_type_error():
    license, now, secret = allowed_at()
    assert code_of(lambda: timefence.check(None, now, b"", secret)) == "BadInput"
    assert code_of(lambda: timefence.check(license, None, b"", secret)) == "BadInput"
    assert code_of(lambda: timefence.check(license, float(now), b"", secret)) == "BadInput"
    assert code_of(lambda: timefence.check(license, True, b"", secret)) == "BadInput"
    assert code_of(lambda: timefence.check(license, str(now), b"", secret)) == "BadInput"
    assert code_of(lambda: timefence.check(license, now, None, secret)) == "BadInput"
    assert code_of(lambda: timefence.check(license, now, "ledger", secret)) == "BadInput"
    assert code_of(lambda: timefence.check(license, now, b"", None)) == "BadInput"
    assert code_of(lambda: timefence.record_use(license, now, 1.5, b"", secret)) == "BadInput"
    assert code_of(lambda: timefence.describe(None)) == "BadInput"
    assert code_of(lambda: timefence.Verifier(None)) == "BadInput"
    assert code_of(lambda: timefence.Verifier("one key")) == "BadInput"
    assert code_of(lambda: timefence.Verifier([1])) == "BadInput"
    assert code_of(lambda: timefence.Verifier([]).verify(None)) == "BadInput"
    assert code_of(lambda: timefence.verify(None, "text")) == "BadInput"
    # A bytearray is bytes too.
    verdict, _ = timefence.check(license, now, bytearray(), bytearray(secret))
    assert verdict.allowed


def test_instants_outside_1970_to_2100_are_bad_instant_never_a_panic():
    license, now, secret = allowed_at()
    for instant in [-1, 4_133_980_800, now * 1000, 8_210_266_876_799, 2**63 - 1, 2**64, -(2**70)]:
        assert code_of(lambda: timefence.check(license, instant, b"", secret)) == "BadInstant", instant
        assert code_of(lambda: timefence.record_use(license, instant, 60, b"", secret)) == "BadInstant", instant
    assert code_of(lambda: timefence.record_use(license, now, 2**80, b"", secret)) == "BadUse"


def test_a_witness_kept_beside_the_ledger_notices_an_older_copy():
    license, now, secret = allowed_at()
    _, l1, w1 = timefence.check_witnessed(license, now, b"", b"", secret)
    _, l2, w2 = timefence.check_witnessed(license, now + 60, l1, w1, secret)
    l3, w3 = timefence.record_use_witnessed(license, now + 120, 60, l2, w2, secret)
    verdict, _, _ = timefence.check_witnessed(license, now + 180, l3, w3, secret)
    assert verdict.allowed and verdict.remaining_seconds == 7200 - 60
    assert code_of(lambda: timefence.check_witnessed(license, now + 180, l1, w3, secret)) == "LedgerDisagrees"
    assert code_of(lambda: timefence.check_witnessed(license, now + 180, b"", w3, secret)) == "LedgerMissing"
    assert code_of(lambda: timefence.check_witnessed(license, now + 180, l3, b"", secret)) == "WitnessMissing"


def test_versions():
    assert timefence.abi_version() == 2
    assert len(timefence.tzdata_version()) == 5
