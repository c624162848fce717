"""Devices: human labels, remembered devices (skip the second factor) and new-device alerts.
A device is a remembered-device token's, or else the pair (account, User-Agent digest): what a
server can see without fingerprinting, erring on the side of telling the person.  Remembered
devices live ``remembered_device_days`` and die with any password change.
Why: docs/decisions/sign-in.md
"""
from __future__ import annotations

import re

from chalicelib.accounts import activity, mfa_store
from chalicelib.accounts.store import Account
from chalicelib.config import get_settings
from chalicelib.core import clock, secrets
from chalicelib.core.i18n import _
from chalicelib.core.identity import Client
from chalicelib.core.notify import notifier
from chalicelib.core.store import get_or_none

DAY = 24 * 60 * 60

# Order matters: Edge and Opera UAs also say "Chrome", Chrome's also says "Safari".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
             ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Android", "Android"), ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"),
            ("Macintosh", "macOS"), ("Linux", "Linux"))
_APP = re.compile(r"^([A-Za-z][\w.-]{0,40})/[\w.]+")


def label(user_agent: str | None) -> str:
    """A short, human device name such as "Firefox on Windows", in the current language (best
    effort, never fails)."""
    user_agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or _("Browser on %(system)s", system=system)
    app = _APP.match(user_agent)
    return app.group(1) if app else _("Unknown device")


def device_digest(account_id: str, user_agent: str) -> str:
    return secrets.token_digest(f"{account_id}\x00{user_agent}")


# --- remembered devices --------------------------------------------------------------------

def remember(account: Account) -> str:
    """A new device token for this account (shown once, stored as a digest)."""
    device_id, secret = secrets.new_id(), secrets.new_token()
    record = mfa_store.RememberedDevice(device_id, account_id=account.account_id,
                                        secret_digest=secrets.token_digest(secret),
                                        password_changed_at=account.password_changed_at)
    record.set_expiry(clock.now() + get_settings().remembered_device_days * DAY)
    record.save()
    return f"{device_id}.{secret}"


def is_remembered(account: Account, token: str | None) -> bool:
    if not token or token.count(".") != 1:
        return False
    device_id, secret = token.split(".")
    record = get_or_none(mfa_store.RememberedDevice, device_id) if device_id else None
    return (record is not None and not record.is_expired()
            and record.account_id == account.account_id
            and record.password_changed_at == account.password_changed_at
            and secrets.same(record.secret_digest, secrets.token_digest(secret)))


# --- new-device alerts ---------------------------------------------------------------------

def note_sign_in(account: Account, client: Client, remembered: bool) -> bool:
    """Record the device of a successful sign-in; if it is new, email the owner and log
    ``new_device_login``.  Returns whether it was new."""
    if remembered:
        return False
    digest = device_digest(account.account_id, client.user_agent)
    if get_or_none(mfa_store.KnownDevice, account.account_id, digest) is not None:
        return False
    device_label = label(client.user_agent)
    now = clock.iso()
    added = mfa_store.add_known_device(mfa_store.KnownDevice(
        account.account_id, digest, label=device_label, first_seen_at=now))
    if not added or mfa_store.known_device_count(account.account_id, at_most=2) < 2:
        return False  # lost a race with the same device, or this is the account's first device
    activity.record(account.account_id, "new_device_login", client, device=device_label)
    notifier().email(account.email, "new_sign_in", language=account.language,
                     full_name=account.full_name, time=now, ip=client.ip, device=device_label)
    return True
