"""Runtime configuration, read lazily from the environment.

Chalice copies the stage's ``environment_variables`` from ``.chalice/config.json`` into the
process environment (on Lambda, under ``chalice local`` and in ``chalice.test.Client``); the
local launcher lets variables already set in the shell win over the stage's values.  Nothing
here is read at import time: ``get_settings()`` builds the settings on first use and caches
them, and ``reset_settings()`` drops the cache (tests change the environment between cases).
"""
from __future__ import annotations

import functools
import os


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed: a deployment mistake, not a client error."""


class Settings:
    """Each annotated attribute is a setting and its default; the environment variable of the
    same name in capitals overrides it.  A plain read-only class, not a frozen dataclass, whose
    generated methods for dozens of fields cost 2.5 ms of every cold start."""

    stage: str = "dev"
    table_prefix: str = "kinlink-dev-"
    # Signs cursors and keys the HMACs of low-entropy secrets (6-digit codes). Rotating it
    # invalidates outstanding codes and cursors, nothing else.  In AWS it is not in the
    # environment: ``SECRET_KEY_ARN`` names the Secrets Manager secret holding it, read on first
    # use (``core.secrets.secret_key``); locally and in tests the stage's ``SECRET_KEY`` serves.
    secret_key: str = ""
    secret_key_arn: str = ""
    # Where this API is reached from outside (emailed reset and unlock links open its pages).
    public_base_url: str = "http://127.0.0.1:8000"
    # The family web app (a separate front end); emails deep-link into it with a fragment,
    # ``<PUBLIC_APP_URL>#/deposits/<id>`` (core.links.app_link, docs/api.md "Links we send").
    public_app_url: str = "http://127.0.0.1:8000/app/"
    cors_allow_origin: str = ""
    # Our CloudFront distribution adds this value as ``X-Kinlink-Edge`` to every request it
    # forwards; only a request carrying it has its ``CloudFront-Viewer-Address`` believed as its
    # source (rate limits).  In AWS ``EDGE_ORIGIN_SECRET_ARN`` names the secret; empty: no edge.
    edge_origin_secret: str = ""
    edge_origin_secret_arn: str = ""
    email_sender: str = "no-reply@kinlink.example"
    # Every email and SMS goes through this SQS queue (core.notify queues, core.delivery sends).
    notification_queue: str = "kinlink-dev-notifications"
    bcrypt_cost: int = 12
    # Lockout (docs/api.md "Limits").
    lockout_threshold: int = 5
    lockout_base_seconds: int = 15 * 60
    lockout_max_seconds: int = 24 * 60 * 60
    # How long after a lock ends its escalation is remembered (the next lock doubles).
    lockout_memory_seconds: int = 24 * 60 * 60
    # Sessions (ASVS 3.3.2): access tokens are short; the session itself ends after the idle or
    # the absolute lifetime, whichever comes first.
    access_token_seconds: int = 15 * 60
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 60 * 60
    verification_code_seconds: int = 10 * 60
    code_max_attempts: int = 5
    # Password reset (docs/api.md "Accounts and sign-in"): how long a reset link/code lives.
    password_reset_code_seconds: int = 10 * 60
    # The single-use unlock link emailed to the owner of a locked account.
    unlock_link_seconds: int = 60 * 60
    # The single-use link of a staff invitation (api.md "Operating a facility": 72 h).
    staff_invitation_seconds: int = 72 * 60 * 60
    # Named rate-limit policies (``core.ratelimit.RatePolicy.configured(name)`` reads
    # ``<name>_per_window`` and ``<name>_window_seconds``).  Reset messages per account (over the
    # limit the request still answers 202 and sends nothing); phone verification SMS per account.
    password_reset_sends_per_window: int = 3
    password_reset_sends_window_seconds: int = 60 * 60
    phone_verification_sends_per_window: int = 3
    phone_verification_sends_window_seconds: int = 60 * 60
    # Every code message (email or SMS: verification, phone, email change, reset) per account,
    # across purposes and re-sends: stops code pumping (issue 9, F10).
    code_messages_per_window: int = 5
    code_messages_window_seconds: int = 60 * 60
    # Sign-up emails per address (a code or a "someone tried" notice), so sign-up cannot flood
    # a mailbox; over the limit sign-up still answers 202 and sends nothing (F7).
    signup_emails_per_window: int = 3
    signup_emails_window_seconds: int = 60 * 60
    # Email verification codes tried per address, right or wrong, across re-sends (F6).
    verification_code_guesses_per_window: int = 10
    verification_code_guesses_window_seconds: int = 24 * 60 * 60
    # Wrong PINs per kiosk (docs/api.md "Kiosks and inmates"): the window starts at the kiosk's first
    # failure; past the limit the kiosk is refused for the rest of the window.
    kiosk_pin_failures_per_window: int = 20
    kiosk_pin_failures_window_seconds: int = 60 * 60
    # The lock of an inmate's kiosk sign-in that holds until staff unlock it (the third within
    # the lockout memory); the earlier ones follow the lockout above.
    inmate_hold_after_locks: int = 3
    # Per source address (API Gateway's sourceIp) on anonymous, expensive endpoints, named by
    # ``@endpoint(source_limit=...)`` as policy ``source_<name>``.  Generous for a family or a
    # shared address (a library, a carrier NAT), far below what guessing or spamming needs.
    # ``PER_SOURCE_LIMITS=off`` switches them all off (load tests from one address).
    per_source_limits: str = "on"
    source_signin_per_window: int = 300
    source_signin_window_seconds: int = 10 * 60
    source_mfa_per_window: int = 300
    source_mfa_window_seconds: int = 10 * 60
    source_signup_per_window: int = 60
    source_signup_window_seconds: int = 10 * 60
    source_forgot_per_window: int = 60
    source_forgot_window_seconds: int = 10 * 60
    source_reset_per_window: int = 100
    source_reset_window_seconds: int = 10 * 60
    source_verify_per_window: int = 100
    source_verify_window_seconds: int = 10 * 60
    # Second factor (ASVS 2.8): TOTP secrets are encrypted with this KMS key (an alias, id or
    # ARN).  Outside production the alias is created on first use; in production it must exist.
    kms_key_id: str = "alias/kinlink-totp"
    totp_issuer: str = "Kinlink"
    mfa_challenge_seconds: int = 5 * 60
    # A staff or admin session opened before TOTP is enrolled (it can only enrol) ends after this.
    mfa_enrollment_session_seconds: int = 15 * 60
    remembered_device_days: int = 30
    # Opt-in reminder to change an old password (nothing forces rotation, NIST SP 800-63B).
    password_reminder_days: int = 180
    # Each scheduled run of a paging job (reminders, digests) stops after this many seconds and
    # saves its cursor; the next run resumes there (the functions time out at 30 s).
    job_run_seconds: int = 20
    job_workers: int = 16  # concurrent claims and sends inside one page of a paging job
    # A reviewer's claim on a batch of pending messages lapses after this (issue 13, finding 6).
    review_lease_seconds: int = 5 * 60
    log_level: str = "INFO"
    # Money (issue 4). The card processor: "test" (tok_visa, tok_declined, tok_processor_error;
    # refused on the prod stage) or "stripe"; unset, prod uses Stripe and every other stage the
    # test one.  Stripe's keys come from Secrets Manager in AWS (``STRIPE_*_ARN``, read on first
    # use) or from the plain variables locally.  ``STRIPE_API_BASE`` points the library at
    # another server (the fake in tests and ``scripts/fake_stripe.py``).  Each Stripe call waits
    # at most ``stripe_timeout_seconds``; an authorization is retried ``stripe_max_retries``
    # times with the same idempotency key (a capture is left to the settlement job), so a
    # payment stays well under API Gateway's 29 s (docs/decisions/stripe.md).
    payment_processor: str = ""
    # Public by design (pk_live_...): the web app's Stripe Elements use it, and with it the
    # app's CSP allows Stripe's origins (docs/decisions/webapp.md).  Empty: test tokens.
    stripe_publishable_key: str = ""
    stripe_secret_key: str = ""
    stripe_secret_key_arn: str = ""
    stripe_webhook_secret: str = ""
    stripe_webhook_secret_arn: str = ""
    stripe_api_base: str = ""
    stripe_currency: str = "usd"
    stripe_timeout_seconds: int = 5
    stripe_max_retries: int = 1
    # Video visits (visits.video): "chime" (Amazon Chime SDK Meetings) or "local" (join details
    # of the same shapes, for ``make run`` and tests); unset, prod uses Chime, others local.
    video_rooms: str = ""
    video_media_region: str = "us-east-1"
    # Idempotency keys are remembered at least this long (Stripe-style: 24 h).
    idempotency_key_seconds: int = 24 * 60 * 60
    # Calls: relay services for deaf and hard-of-hearing people (TRS, VRS, IP CTS access
    # numbers, E.164, comma-separated) that the platform routes; calls to them cost nothing.
    relay_numbers: str = ""
    # Photos and VideoGrams (docs/api.md "Photos and VideoGrams"): the private bucket holding
    # them (in AWS the template's, named by the function's environment), how long an upload slot
    # and a viewing URL live, and the bounds every file is checked against.
    media_bucket: str = "kinlink-dev-media"
    media_upload_seconds: int = 15 * 60
    media_url_seconds: int = 5 * 60
    media_unsent_seconds: int = 24 * 60 * 60
    photo_max_bytes: int = 10 * 1024 * 1024
    photo_max_pixels: int = 50_000_000
    videogram_max_bytes: int = 50 * 1024 * 1024
    videogram_max_seconds: int = 30
    # Support (issue 17): business days to answer a ticket, per category ("deposit=1,other=2");
    # a category not named gets one business day (chalicelib/support/targets.py).
    support_target_days: str = ""

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"

    @property
    def card_processor(self) -> str:
        return self.payment_processor or ("stripe" if self.is_production else "test")

    def __init__(self, **values: int | str) -> None:
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("settings are read-only")


# ``from __future__ import annotations`` turns the annotations into strings.
_FIELD_TYPES = {"int": int, "str": str}


def _coerce(raw: str, kind: type, name: str):
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    return raw


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    values = {}
    for name, kind in Settings.__annotations__.items():
        raw = os.environ.get(name.upper())
        if raw is not None and raw != "":
            values[name] = _coerce(raw, _FIELD_TYPES[kind], name.upper())
    settings = Settings(**values)
    if not settings.secret_key_arn and len(settings.secret_key) < 32:
        raise ConfigurationError("SECRET_KEY must hold at least 32 characters "
                                 "(or SECRET_KEY_ARN name the secret holding it)")
    if settings.per_source_limits not in ("on", "off"):
        raise ConfigurationError("PER_SOURCE_LIMITS must be 'on' or 'off'")
    if settings.is_production and settings.bcrypt_cost < 12:
        raise ConfigurationError("BCRYPT_COST must be at least 12 in production")
    missing = processor_setup_missing(settings)
    if missing:
        raise ConfigurationError(missing)
    return settings


def processor_setup_missing(settings: Settings) -> str | None:
    """What an operator must set for the stage's card processor, or ``None`` (in English, like
    every start-up error): a stage without one fails at start-up (``check_start_up``), never
    with a 500 on a payment."""
    name = settings.card_processor
    if name == "test":
        if settings.is_production:
            return ("The prod stage cannot take payments with the test card processor: set "
                    "PAYMENT_PROCESSOR=stripe (or leave it unset) and Stripe's keys.")
        return None
    if name != "stripe":
        return f"PAYMENT_PROCESSOR must be 'stripe' or 'test', not {name!r}."
    missing = [f"STRIPE_{what}_ARN (in AWS) or STRIPE_{what}"
               for what, plain, arn in (
                   ("SECRET_KEY", settings.stripe_secret_key, settings.stripe_secret_key_arn),
                   ("WEBHOOK_SECRET", settings.stripe_webhook_secret,
                    settings.stripe_webhook_secret_arn))
               if not (plain or arn)]
    if missing:
        return (f"The {settings.stage} stage takes card payments through Stripe: set "
                + " and ".join(missing) + " (Stripe's secret API key sk_... and the webhook "
                "endpoint's signing secret whsec_...), or PAYMENT_PROCESSOR=test outside prod.")
    return None


def check_start_up() -> None:
    """Read and check the settings once at start-up (``make run``, the Lambda's init), so a
    misconfigured stage stops there with the sentence saying what to set.  No AWS call."""
    reset_settings()
    get_settings()


def reset_settings() -> None:
    get_settings.cache_clear()
