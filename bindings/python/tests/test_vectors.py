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
    assert len(VECTORS) >= 13


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


def test_versions():
    assert timefence.abi_version() == 1
    assert len(timefence.tzdata_version()) == 5
