"""The Timefence verifier: check daily time-fenced license files.

The same functions, verdict fields and error codes as the C and Node bindings.
"""

from typing import Optional, Sequence, Tuple

__version__: str

class TimefenceError(Exception):
    """A refusal. `code` names it: BadSignature, UnknownKey, ClockRollback, Superseded,
    FileExpired, NoOpenWindow, BadUse, LedgerTampered, BadInput, ..."""

    code: str

class License:
    """A license file that verified."""

    @property
    def uid(self) -> Optional[str]: ...
    @property
    def serial(self) -> int: ...
    @property
    def key_id(self) -> str: ...
    def describe(self) -> str:
        """The signed payload as JSON, with key_id and identity."""

class Verifier:
    """Trusted vendor keys, each PEM or base64 of its 32 bytes."""

    def __init__(self, keys: Sequence[str]) -> None: ...
    def verify(self, text: str) -> License: ...

class Verdict:
    """May the license be used now? Instants are seconds since 1970 (UTC)."""

    @property
    def allowed(self) -> bool: ...
    @property
    def reason(self) -> Optional[str]:
        """NotYetValid, Expired, WeekdayExcluded, OutsideWindow or ConsumptionExhausted."""
    @property
    def closes_at(self) -> Optional[int]: ...
    @property
    def remaining_seconds(self) -> Optional[int]: ...
    @property
    def next_opening(self) -> Optional[int]: ...

def verify(verifier: Verifier, text: str) -> License: ...
def describe(license: License) -> str: ...
def check(license: License, now: int, ledger: bytes, secret: bytes) -> Tuple[Verdict, bytes]:
    """The verdict at `now`, and the ledger to keep (on an error, keep the old one)."""

def record_use(license: License, now: int, seconds: int, ledger: bytes, secret: bytes) -> bytes:
    """Records use against the window open at `now`; returns the ledger to keep."""

def check_witnessed(
    license: License, now: int, ledger: bytes, witness: bytes, secret: bytes
) -> Tuple[Verdict, bytes, bytes]:
    """`check` with the ledger's witness (kept somewhere else) beside it: the verdict, the
    ledger and the witness to keep. LedgerMissing, WitnessMissing or LedgerDisagrees when one
    of them was lost or put back from an older copy."""

def record_use_witnessed(
    license: License, now: int, seconds: int, ledger: bytes, witness: bytes, secret: bytes
) -> Tuple[bytes, bytes]:
    """`record_use` with the ledger's witness beside it: the ledger and the witness to keep."""

def tzdata_version() -> str: ...
def abi_version() -> int: ...
