"""The local stack behind ``make run``: an AWS emulator, the demo data and the API, in one process.

1. Unless ``AWS_ENDPOINT_URL`` already points somewhere (LocalStack, DynamoDB Local, real AWS),
   moto's server starts in-process on 127.0.0.1:``MOTO_PORT`` (4566) with dummy credentials.
2. The ``dev`` stage's configuration is loaded the way ``chalice local`` loads it.  Chalice copies
   the stage's ``environment_variables`` into the process environment, which would silently
   override the shell; variables set in the shell are put back afterwards, so the shell wins
   (``BCRYPT_COST=4 make run`` works).  ``PUBLIC_BASE_URL`` defaults to the address served here
   (and ``PUBLIC_APP_URL`` to its ``/app/``), so emailed links follow ``API_PORT``.
3. Tables are created (idempotent), the SES sender identity verified and the demo data of docs/api.md
   seeded (facility demo-county with two inmates, a staff and an admin account, both enrolled
   in TOTP with the secrets ``DEMO_STAFF_TOTP_SECRET`` / ``DEMO_ADMIN_TOTP_SECRET``).
4. The API is served by Chalice's local server on ``API_HOST``:``API_PORT`` (127.0.0.1:8000), in
   the foreground, with the family web app's files at ``/app/`` (``webapp_files``).  Unknown
   routes answer a 404 problem (API Gateway's gateway response does the
   same in AWS) instead of chalice local's 403 ``Missing Authentication Token``.  The request
   log never prints query values or fragments (``redact_url``): no token reaches the terminal.
5. The app's ``@app.schedule`` jobs run on daemon threads at their rate, as EventBridge runs them
   in AWS.  A ``Cron`` expression is run hourly here: close enough for a demo, no cron parser.
6. Another daemon thread delivers the notification queue (what the worker Lambda does in AWS):
   emails and SMS reach the emulator's outbox within a second of the request that queued them.

Ctrl-C or SIGTERM stops the server, the scheduler and the emulator, and exits 0.
"""
from __future__ import annotations

import importlib
import logging
import os
import errno
import re
import signal
import socket
import sys
import threading
import uuid
from datetime import datetime, UTC
from pathlib import Path

import outbox  # this folder is on sys.path when run as a script
import webapp_files

ROOT = Path(__file__).resolve().parents[1]
STAGE = "dev"

DEMO_STAFF_EMAIL = "staff@demo-county.example"
DEMO_ADMIN_EMAIL = "admin@demo.example"
# Strong by zxcvbn (score >= 3) and free of the email's local part, as docs/api.md requires.
DEFAULT_STAFF_PASSWORD = "Lantern-Harbor-Quill-2026"
DEFAULT_ADMIN_PASSWORD = "Cobalt-Meadow-Falcon-2026"
# The family who asked the demo's open ticket (api.md "Local demo": one course, one ticket).
DEMO_FAMILY_EMAIL = "family@demo.example"
DEFAULT_FAMILY_PASSWORD = "Juniper-Quarry-Beacon-2026"
# Base32 TOTP secrets the demo staff and admin are enrolled with (staff and admins must use
# TOTP): add them to an authenticator app, or compute codes with pyotp.
DEFAULT_STAFF_TOTP_SECRET = "KINLINKDEMOSTAFFTOTPSECRET234567"
DEFAULT_ADMIN_TOTP_SECRET = "KINLINKDEMOADMINTOTPSECRET765432"

HOURLY = 3600
SECONDS_PER_UNIT = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}


def port_problem(host: str, port: int, what: str, variable: str) -> str | None:
    """One sentence for the operator if ``host:port`` cannot be listened on, else ``None``.
    Bound as the servers bind (``SO_REUSEADDR``), so a port in TIME_WAIT counts as free."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return listen_failure(host, port, what, variable, error)
    return None


def listen_failure(host: str, port: int, what: str, variable: str, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (f"Port {port} on {host} ({what}) is already in use, maybe by another `make run`: "
                f"stop that program or choose another port, e.g. `{variable}={port + 1} make run`.")
    return (f"Cannot listen on {host}:{port} ({what}): {error.strerror or error}; "
            f"choose another with {variable}.")


def start_emulator():
    """Start moto's server unless an endpoint is configured; returns it (or ``None``)."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return None
    from local_emulator import SerialMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call is noise
    port = int(os.environ.get("MOTO_PORT", "4566"))
    server = SerialMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(name, value)
    return server


def load_app(api_url: str):
    """Import the app with the stage's configuration; the shell's variables win."""
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(str(ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=STAGE)
    shell = {key: os.environ[key] for key in config.environment_variables if key in os.environ}
    shell_sets_base_url = "PUBLIC_BASE_URL" in os.environ
    shell_sets_app_url = "PUBLIC_APP_URL" in os.environ
    app_obj = config.chalice_app  # imports app.py and copies the stage variables into os.environ
    os.environ.update(shell)
    if not shell_sets_base_url:
        os.environ["PUBLIC_BASE_URL"] = api_url
    if not shell_sets_app_url:
        os.environ["PUBLIC_APP_URL"] = api_url + "/app/"
    from chalicelib.config import reset_settings

    reset_settings()
    return factory, config, app_obj


def stage_name() -> str:
    """The stage's name as the app sees it (``STAGE=prod make run``), with its card processor."""
    from chalicelib.config import get_settings

    settings = get_settings()
    processor = settings.card_processor
    if processor == "stripe":
        processor += f" at {settings.stripe_api_base or 'api.stripe.com'}"
    return f"{settings.stage}, card processor {processor}"


def stage_problem() -> str | None:
    """The sentence saying what to set when the stage cannot run (no card processor, ...)."""
    from chalicelib.config import ConfigurationError, check_start_up

    try:
        check_start_up()
    except ConfigurationError as error:
        return f"Cannot start: {error}"
    return None


def demo_kiosk() -> tuple[str, str]:
    """The demo inmates' PIN and the demo kiosk's key: the shell's, else the defaults."""
    from chalicelib.facilities.seed import DEMO_INMATE_PIN, DEMO_KIOSK_KEY

    return (os.environ.get("DEMO_INMATE_PIN") or DEMO_INMATE_PIN,
            os.environ.get("DEMO_KIOSK_KEY") or DEMO_KIOSK_KEY)


def prepare_data() -> tuple[str, str, str, str]:
    """Tables, sender identity and demo data; returns the staff and admin passwords and TOTP
    secrets."""
    from chalicelib.accounts.seed import create_staff_account
    from chalicelib import media
    from chalicelib.accounts.store import ensure_stand_in
    from chalicelib.config import get_settings
    from chalicelib.core import aws, delivery, kms
    from chalicelib.core.store import create_tables
    from chalicelib.facilities.seed import DEMO_FACILITY_ID, seed_demo_facility

    created = create_tables()
    print(f"Tables: {len(created)} created" + (f" ({', '.join(created)})" if created else
                                                " (all existed)"))
    aws.client("ses").verify_email_identity(EmailAddress=get_settings().email_sender)
    delivery.ensure_queue()
    media.ensure_bucket()  # photos and VideoGrams: clients upload to it with plain HTTP
    print(f"Media bucket: {get_settings().media_bucket} (presigned uploads at the AWS endpoint)")
    kms.ensure_key()  # the TOTP secrets' key
    pin, kiosk_key = demo_kiosk()
    seed_demo_facility(pin, kiosk_key)
    ensure_stand_in()  # what unknown emails read (equal time); written here, not by a request
    staff_password = os.environ.get("DEMO_STAFF_PASSWORD") or DEFAULT_STAFF_PASSWORD
    admin_password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    staff_totp = os.environ.get("DEMO_STAFF_TOTP_SECRET") or DEFAULT_STAFF_TOTP_SECRET
    admin_totp = os.environ.get("DEMO_ADMIN_TOTP_SECRET") or DEFAULT_ADMIN_TOTP_SECRET
    create_staff_account(DEMO_STAFF_EMAIL, "Demo Staff", staff_password, role="staff",
                         facility_id=DEMO_FACILITY_ID, totp_secret=staff_totp)
    create_staff_account(DEMO_ADMIN_EMAIL, "Demo Admin", admin_password, role="admin",
                         totp_secret=admin_totp)
    seed_course_and_ticket(DEMO_FACILITY_ID)
    return staff_password, admin_password, staff_totp, admin_totp


def seed_course_and_ticket(facility_id: str) -> None:
    """The demo facility's course, and one open ticket there from a verified demo family
    (``DEMO_FAMILY_EMAIL``), through the education and support services."""
    from chalicelib.accounts import passwords
    from chalicelib.accounts.store import Account, account_by_email, create_account
    from chalicelib.core import clock, secrets
    from chalicelib.education import seed_demo_course
    from chalicelib.support import seed_demo_ticket

    password = os.environ.get("DEMO_FAMILY_PASSWORD") or DEFAULT_FAMILY_PASSWORD
    family = account_by_email(DEMO_FAMILY_EMAIL)
    if family is None:
        now = clock.iso()
        family = Account(secrets.new_id("acc_"), email=DEMO_FAMILY_EMAIL, full_name="Demo Family",
                         password_hash=passwords.hash_password(password), email_verified=True,
                         created_at=now, password_changed_at=now)
        create_account(family)
    course_id = seed_demo_course(facility_id)
    ticket_id = seed_demo_ticket(family.account_id, facility_id)
    print(f"Demo course {course_id}; open ticket {ticket_id} from {DEMO_FAMILY_EMAIL} / "
          f"{password} (DEMO_FAMILY_PASSWORD)")


# --- scheduled jobs --------------------------------------------------------------------------

def schedule_seconds(expression) -> int:
    from chalice.app import Rate

    if isinstance(expression, Rate):
        return expression.value * SECONDS_PER_UNIT[expression.unit]
    return HOURLY  # Cron (or a raw expression string): hourly is close enough locally


def cloudwatch_event(rule_name: str) -> dict:
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule_name}"], "detail": {},
    }


def start_scheduler(app_obj, stop: threading.Event) -> list[str]:
    """One daemon thread per scheduled job; returns a description of each."""
    from chalice.app import ScheduledEventConfig
    from chalice.local import LambdaContext

    described = []
    for source in app_obj.event_sources:
        if not isinstance(source, ScheduledEventConfig):
            continue
        module_name, _, attribute = source.handler_string.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        interval = schedule_seconds(source.schedule_expression)

        def run(handler=handler, name=source.name, interval=interval) -> None:
            while not stop.wait(interval):
                try:
                    handler(cloudwatch_event(name), LambdaContext(name, memory_size=1024))
                except Exception:  # a failed run is logged; the next one still happens
                    logging.getLogger("devserver").exception("scheduled job %s failed", name)

        threading.Thread(target=run, name=f"schedule-{source.name}", daemon=True).start()
        described.append(f"{source.name} every {interval} s")
    return described


# --- outbound email and SMS -----------------------------------------------------------------

DELIVERY_POLL_SECONDS = 0.2


def start_delivery(stop: threading.Event) -> None:
    """Send what the API queues, continuously, as the worker Lambda does in AWS.  Short polls
    (no long poll holding an emulator connection): a send reaches the outbox within a second."""
    from chalicelib.core import delivery

    def run() -> None:
        while not stop.wait(DELIVERY_POLL_SECONDS):
            try:
                delivery.drain()
            except Exception:  # the emulator hiccuped: logged, the next poll retries
                logging.getLogger("devserver").exception("delivering queued notifications failed")

    threading.Thread(target=run, name="deliver-notifications", daemon=True).start()


# --- HTTP ------------------------------------------------------------------------------------

# A URL's query string and anything after a "#", up to the end of the URL in a log line.
URL_TAIL = re.compile(r"[?#][^\s\"']*")


def redact_url(text: str) -> str:
    """``text`` with every query value and every fragment of the URLs in it removed: a reset
    link's token, or any secret a client put in a URL, never reaches the terminal or a log
    file.  Parameter names stay (``/reset-password?token=[redacted]``)."""
    def redact(match: re.Match) -> str:
        query = match.group(0).split("#", 1)[0][1:]
        if not query:
            return ""
        names = [pair.partition("=")[0] if "=" in pair else "" for pair in query.split("&")]
        return "?" + "&".join(f"{name}=[redacted]" if name else "[redacted]" for name in names)

    return URL_TAIL.sub(redact, text)


def create_server(app_obj, config, host: str, port: int):
    """Chalice's local server, with unknown routes answered by a 404 problem."""
    from chalice.local import (ChaliceRequestHandler, LocalDevServer, LocalGateway,
                               LocalGatewayException)

    from chalicelib.web.http import STRICT_TRANSPORT_SECURITY
    from chalicelib.web.problems import problem

    class UnknownRoute(LocalGatewayException):
        CODE = 404

        def __init__(self) -> None:
            response = problem(404, "not_found", "No such resource.",
                               headers={"Cache-Control": "no-store",
                                        "Strict-Transport-Security": STRICT_TRANSPORT_SECURITY})
            super().__init__(dict(response.headers), response.body.encode("utf-8"))

    class ProblemGateway(LocalGateway):
        def _generate_lambda_event(self, method, path, headers, body):
            try:
                event = super()._generate_lambda_event(method, path, headers, body)
            except ValueError:  # no route matches: chalice local would answer 403
                raise UnknownRoute() from None
            # API Gateway gives every request an id (the logs carry it); chalice local does not.
            event["requestContext"].setdefault("requestId", str(uuid.uuid4()))
            return event

    class RequestHandler(ChaliceRequestHandler):
        def __init__(self, request, client_address, server, app_object, config) -> None:
            self.local_gateway = ProblemGateway(app_object, config)
            # Skip ChaliceRequestHandler.__init__: it would replace the gateway.
            super(ChaliceRequestHandler, self).__init__(request, client_address, server)

        def do_GET(self) -> None:
            self._app_file_or_api()

        def do_HEAD(self) -> None:
            self._app_file_or_api()

        def _app_file_or_api(self) -> None:
            """The family web app's files (webapp/, at /app/); everything else is the API's."""
            answer = webapp_files.response(self.path, self.headers.get("Accept-Encoding", ""))
            if answer is None:
                self._generic_handle()
                return
            status, headers, body = answer
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        def log_message(self, message_format: str, *args) -> None:
            # The standard request line names the whole URL, query string included.
            super().log_message("%s", redact_url(message_format % args))

    from local_emulator import accept_many

    return accept_many(LocalDevServer(app_obj, config, host, port, handler_cls=RequestHandler))


def stop_on_signals() -> None:
    """SIGTERM stops like Ctrl-C; SIGINT is set too, since a shell's background job ignores it."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def main() -> int:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from chalicelib.facilities.seed import DEMO_FACILITY_ID
    # The app writes its own JSON lines; the root logger only shows other libraries' warnings
    # (botocore and PynamoDB narrate every client they create at INFO).
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")
    stop_on_signals()
    host = os.environ.get("API_HOST", "127.0.0.1")
    port = int(os.environ.get("API_PORT", "8000"))
    api_url = f"http://{host}:{port}"
    # Both ports are checked before anything starts: a taken port is one sentence, not a hang
    # (the emulator's) or a traceback after the seeding (the API's).
    checks = [(host, port, "the API", "API_PORT")]
    if not os.environ.get("AWS_ENDPOINT_URL"):
        checks.insert(0, ("127.0.0.1", int(os.environ.get("MOTO_PORT", "4566")),
                          "the embedded AWS emulator", "MOTO_PORT"))
    problems = [problem for problem in (port_problem(*check) for check in checks) if problem]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1

    try:
        emulator = start_emulator()
    except OSError as error:  # taken between the check and the start
        print(listen_failure("127.0.0.1", int(os.environ.get("MOTO_PORT", "4566")),
                             "the embedded AWS emulator", "MOTO_PORT", error), file=sys.stderr)
        return 1
    stop = threading.Event()
    server = None
    try:
        factory, config, app_obj = load_app(api_url)
        problem = stage_problem()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        staff_password, admin_password, staff_totp, admin_totp = prepare_data()
        inmate_pin, kiosk_key = demo_kiosk()
        jobs = start_scheduler(app_obj, stop)
        start_delivery(stop)
        try:
            server = create_server(app_obj, config, host, port)
        except OSError as error:  # taken during the seeding
            print(listen_failure(host, port, "the API", "API_PORT", error), file=sys.stderr)
            return 1
        endpoint = os.environ["AWS_ENDPOINT_URL"]
        outbox_command = ("make outbox" if endpoint == outbox.DEFAULT_ENDPOINT
                          else f"AWS_ENDPOINT_URL={endpoint} make outbox")
        print(f"""
Kinlink local stack (stage {stage_name()})
  API:          {api_url}   (try {api_url}/v1/health)
  Family app:   {api_url}/app/   (and the staff console, for staff accounts)
  Reference:    {api_url}/docs   (guide: docs/api.md)
  AWS endpoint: {endpoint}{'  (embedded moto)' if emulator else ''}
  Outbox:       {outbox_command}   (emails and SMS sent so far; queued, sent within 1 s)
  Demo staff:   {DEMO_STAFF_EMAIL} / {staff_password}   (DEMO_STAFF_PASSWORD)
                TOTP secret {staff_totp}   (DEMO_STAFF_TOTP_SECRET)
  Demo admin:   {DEMO_ADMIN_EMAIL} / {admin_password}   (DEMO_ADMIN_PASSWORD)
                TOTP secret {admin_totp}   (DEMO_ADMIN_TOTP_SECRET)
  Demo kiosk:   facility {DEMO_FACILITY_ID}, inmates A1001 and A1002, PIN {inmate_pin}   (DEMO_INMATE_PIN)
                X-Kiosk-Key: {kiosk_key}   (DEMO_KIOSK_KEY)
  Scheduled:    {'; '.join(jobs) or 'none'}
Ctrl-C stops everything.
""", flush=True)
        server.server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
    finally:
        stop.set()
        if server is not None:
            server.server.server_close()
        if emulator is not None:
            emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
