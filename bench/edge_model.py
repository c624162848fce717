"""The edge's numbers from the scale model's peaks (issue 13, findings 2 and 3): API Gateway's
per-route throttles, the sign-in function's reserved concurrency, WAF's per-address limits.

``scripts/cfn_edge.py`` puts them in the template and ``bench/scale_model.py`` prints them in
docs/scale.md, so neither types them.  A limit is ``HEADROOM`` times the expected peak minute:
an ordinary busiest minute passes with room, so does a holiday's peak hour (5x the hour's
average, 1.7x a peak minute); a retry storm (20x) is cut at the edge, not in Lambda or DynamoDB.
"""
from __future__ import annotations

import math

from bench.scale_model import (AWS_CALL_SECONDS, BCRYPT_VCPU_SECONDS, HOTTEST_ADDRESS_SHARE,
                               OWN_SECONDS, PEAK_HOUR_SHARE, PEAK_MINUTE_FACTOR, PEOPLE_HELD,
                               PER_DAY)

HEADROOM = 2
STEP = 10  # limits are rounded up to a multiple of this
WAF_WINDOW_SECONDS = 300  # WAF's rate-based rules count per address over five minutes

# Assumptions the scale model does not count (stated here, printed in docs/scale.md):
# every person held signs in at a kiosk once a day;
KIOSK_SIGN_INS_PER_PERSON = 1
# each other bcrypt route (sign-up, reset, password and PIN changes, re-authentication) sees at
# most this share of the family sign-ins;
OTHER_BCRYPT_SHARE = 0.05
# any other route is called at most this many times per family sign-in (reads, refreshes);
CALLS_PER_ROUTE_PER_SIGN_IN = 2
# a family session makes about this many requests (a handful of screens, 2-4 requests each);
REQUESTS_PER_SIGN_IN = 20
# a bcrypt request makes at most this many AWS calls (sign-in makes 9: docs/scale.md checks).
BCRYPT_ROUTE_CALL_BUDGET = 20

ACCOUNT_CONCURRENCY = 1_000  # Lambda's default per account and region
SIGN_IN = ("POST", "/v1/auth/login")
KIOSK_SIGN_IN = ("POST", "/v1/inmate/login")
# Routes whose expected peak the model counts: (method, path) -> daily volume.
COUNTED_ROUTES = {
    SIGN_IN: PER_DAY["sign-in"],
    KIOSK_SIGN_IN: PEOPLE_HELD * KIOSK_SIGN_INS_PER_PERSON,
    ("POST", "/v1/deposits"): PER_DAY["deposit"],
    ("POST", "/v1/contacts/{contact_id}/messages"): PER_DAY["message"],
}


def peak_minute(per_day: float) -> float:
    """Requests a second in the peak minute of a day with this volume."""
    return per_day * PEAK_HOUR_SHARE / 3600 * PEAK_MINUTE_FACTOR


def limit(rate: float) -> int:
    return math.ceil(round(rate * HEADROOM / STEP, 6)) * STEP  # no float dust: 1000, not 1010


def route_peaks(bcrypt_routes: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Expected peak-minute rate of every route that gets its own throttle."""
    peaks = {route: peak_minute(per_day) for route, per_day in COUNTED_ROUTES.items()}
    other = peak_minute(PER_DAY["sign-in"]) * OTHER_BCRYPT_SHARE
    return {**{route: other for route in bcrypt_routes if route not in peaks}, **peaks}


def default_peak() -> float:
    """Any route not named: a few calls per family sign-in."""
    return peak_minute(PER_DAY["sign-in"]) * CALLS_PER_ROUTE_PER_SIGN_IN


def bcrypt_seconds() -> float:
    """Seconds a bcrypt request holds its function (whole vCPU), at the call budget."""
    return BCRYPT_VCPU_SECONDS + OWN_SECONDS + BCRYPT_ROUTE_CALL_BUDGET * AWS_CALL_SECONDS


def reserved_concurrency(bcrypt_routes: list[tuple[str, str]]) -> int:
    """Enough for every bcrypt route at its throttle at once: API Gateway, not Lambda, says 429
    first; and a flood of them can take no more than this from the other routes."""
    peaks = route_peaks(bcrypt_routes)
    return math.ceil(round(sum(limit(peaks[route]) for route in bcrypt_routes)
                           * bcrypt_seconds(), 6))


def address_limits() -> dict[str, int]:
    """WAF's requests per address per window: the busiest address (a carrier NAT, a visitor
    kiosk) carries ``HOTTEST_ADDRESS_SHARE`` of sign-ins, and its sessions' other requests."""
    sign_ins = peak_minute(PER_DAY["sign-in"]) * HOTTEST_ADDRESS_SHARE * WAF_WINDOW_SECONDS
    return {"sign-in": limit(sign_ins), "all": limit(sign_ins * REQUESTS_PER_SIGN_IN)}
