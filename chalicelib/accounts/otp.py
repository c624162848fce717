"""One-time-password arithmetic (RFC 6238 TOTP via pyotp, recovery codes), free of storage.

* A TOTP code is accepted for the current 30-second step and one step either side (clock skew of
  the phone).  ``matching_step`` says *which* step matched, so the caller can refuse a step that
  was already used (replay) with one conditional write on the stored last step.
* Recovery codes are 10 random characters from a 32-letter alphabet without look-alikes (50 bits
  each), shown as ``xxxxx-xxxxx``; input is normalised (case, spaces, hyphens) before hashing.
"""
from __future__ import annotations

import secrets

WINDOW_STEPS = 1
STEP_SECONDS = 30
DIGITS = 6
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_LENGTH = 10


def new_secret() -> str:
    import pyotp

    return pyotp.random_base32()  # 160 bits, RFC 4226's recommended length


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_svg_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code in an SVG data URI (no external image request)."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=4)


def step_at(epoch_seconds: float) -> int:
    return int(epoch_seconds // STEP_SECONDS)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is, within ±``WINDOW_STEPS`` of ``now``; else None."""
    import pyotp

    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = step_at(now)
    # Newest first: if two steps share the code, the later one is the one being used.
    for step in range(current + WINDOW_STEPS, current - WINDOW_STEPS - 1, -1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    return [_format(''.join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)))
            for _ in range(RECOVERY_CODE_COUNT)]


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def looks_like_totp(code: str) -> bool:
    cleaned = code.strip().replace(" ", "")
    return len(cleaned) == DIGITS and cleaned.isdigit()


def _format(raw: str) -> str:
    half = _RECOVERY_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"

