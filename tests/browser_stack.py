"""One live stack and one headless Chromium for every browser module in a test process.

Starting a stack (moto's server, the app on chalice's local server, tables, bucket) and a
browser costs seconds each; the browser modules (the web app, the reset/unlock/invitation
pages, the API reference) used to pay it once each.  Here the first module to ask starts them
and the session's end stops them.  Between modules the stack's environment is handed back
(``LiveStack.deactivate``), so a module using the in-process moto can run in between; each
module takes it again on entry, which also re-creates what an emulator reset elsewhere may have
removed (tables, queue, bucket) and starts it from an empty emulator with the demo facility and
its staff member.

The app is served as ``make run`` serves it (``scripts/devserver.py``: the API and /app/ on one
origin).  Without /usr/bin/chromium or the playwright package, ``skip_without_browser`` skips
the calling module with the reason.  The modules import the fixtures ``live_app`` (the
stack's base URL, for the module) and ``browser``.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.live_stack import LiveStack

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STAFF_EMAIL = "staff@demo-county.example"
STAFF_PASSWORD = "Lantern-Harbor-Quill-2026"
STAFF_TOTP = "KINLINKDEMOSTAFFTOTPSECRET234567"

_shared: dict[str, object] = {}


def skip_without_browser():
    """The playwright module, or the calling module skipped with the reason."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium)",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api",
                               reason="the playwright package is missing (requirements-dev.txt)")


def _seed() -> None:
    """An empty emulator with the demo facility and its staff member (enrolled in TOTP).  Each
    module starts from it: a module using the in-process emulator in between may have left its
    own ``staff@demo-county.example`` (another password), a moved clock or anything else behind."""
    from chalicelib.accounts.seed import create_staff_account
    from chalicelib.accounts.store import ensure_stand_in
    from chalicelib.core import clock, kms
    from chalicelib.facilities.seed import DEMO_FACILITY_ID, seed_demo_facility
    from tests.conftest import _empty_aws

    _empty_aws()
    clock.reset()  # an in-process test may have moved the clock the stack shares
    kms.ensure_key()
    seed_demo_facility()
    ensure_stand_in()
    create_staff_account(STAFF_EMAIL, "Demo Staff", STAFF_PASSWORD, role="staff",
                         facility_id=DEMO_FACILITY_ID, totp_secret=STAFF_TOTP)


@contextlib.contextmanager
def shared_stack(config: pytest.Config) -> Iterator[str]:
    """The shared stack's base URL, its environment active for the ``with`` (one module)."""
    stack = _shared.get("stack")
    if stack is None:
        sys.path.insert(0, str(ROOT / "scripts"))
        import devserver

        stack = LiveStack(server_factory=devserver.create_server)
        stack.start()
        _shared["stack"] = stack
        config.add_cleanup(stack.stop)
    else:
        stack.activate()
    try:
        _seed()
        yield stack.base_url
    finally:
        stack.deactivate()


def shared_browser(config: pytest.Config, engine: str = "chromium"):
    """One browser of ``engine`` for the session (Debian's Chromium, or Playwright's own
    Firefox build when installed)."""
    if engine in _shared:
        return _shared[engine]
    playwright_api = skip_without_browser()
    driver = _shared.get("driver")
    if driver is None:
        driver = playwright_api.sync_playwright().start()
        _shared["driver"] = driver
        config.add_cleanup(lambda: (_shared.pop("driver", None), driver.stop()))
    if engine == "chromium":
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
    else:
        browser = getattr(driver, engine).launch()
    _shared[engine] = browser
    config.add_cleanup(lambda: (_shared.pop(engine, None), browser.close()))
    return browser


@pytest.fixture(scope="module")
def live_app(request):
    """The shared stack's base URL, active for the calling module."""
    with shared_stack(request.config) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser(request):
    return shared_browser(request.config)
