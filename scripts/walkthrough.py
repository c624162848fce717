"""``make walkthrough``: use the running local stack (``make run``) the way a client would.

Every step is an HTTP call to the API; codes and links are read from the emails and SMS the
stack sent through the emulator (``/moto-api/data.json``), exactly as a person would read them
with ``make outbox``.  Each check prints one line; the script exits 1 at the first surprise.
It creates fresh accounts on every run, so it can be run again against the same stack.

``--language es`` (or ``WALKTHROUGH_LANGUAGE=es``; ``make walkthrough-es``) sends
``Accept-Language: es`` on every request.  In every language, each answer must say
``Content-Language`` and each problem's words (title, detail, field problems, suggestions) must
be sentences of that language's catalog, never the English ids of another.
"""
from __future__ import annotations

import html
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import outbox as outbox_reader  # scripts/ is on sys.path when run as a script
import walkthrough_media
from babel.messages.pofile import read_po

API = os.environ.get("API_URL", "http://127.0.0.1:8000")
EMULATOR = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
STAFF = ("staff@demo-county.example", os.environ.get("DEMO_STAFF_PASSWORD", "Lantern-Harbor-Quill-2026"),
         os.environ.get("DEMO_STAFF_TOTP_SECRET", "KINLINKDEMOSTAFFTOTPSECRET234567"))
ADMIN = ("admin@demo.example", os.environ.get("DEMO_ADMIN_PASSWORD", "Cobalt-Meadow-Falcon-2026"),
         os.environ.get("DEMO_ADMIN_TOTP_SECRET", "KINLINKDEMOADMINTOTPSECRET765432"))
# The demo kiosk and the demo inmates' PIN (``make run`` prints both).
KIOSK = {"X-Kiosk-Key": os.environ.get("DEMO_KIOSK_KEY",
                                       "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1")}
INMATE_PIN = os.environ.get("DEMO_INMATE_PIN", "482613")
RUN = uuid.uuid4().hex[:8]
PASSWORD = "correct horse battery staple 42"
LOCALES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "chalicelib", "locales")
checks = 0
problems_read = 0


def _language() -> str:
    """``--language`` when run as a script; a script importing this module (onboard_demo)
    keeps its own arguments and speaks ``WALKTHROUGH_LANGUAGE`` or English."""
    arguments = sys.argv[1:] if __name__ == "__main__" else []
    if arguments[:1] == ["--language"] and len(arguments) == 2:
        return arguments[1]
    if arguments:
        sys.exit("usage: walkthrough.py [--language en|es]")
    return os.environ.get("WALKTHROUGH_LANGUAGE") or "en"


class Sentences:
    """The sentences of one language's catalog, as patterns (a ``%(name)s`` matches any text),
    to tell whether a problem's words are that language's."""

    def __init__(self, language: str) -> None:
        path = (os.path.join(LOCALES, "messages.pot") if language == "en"
                else os.path.join(LOCALES, language, "LC_MESSAGES", "messages.po"))
        if not os.path.exists(path):
            sys.exit(f"No catalog for language {language!r} ({path})")
        with open(path, "rb") as stream:
            catalog = read_po(stream)
        texts = []
        self.sentence = {}  # English id -> this language's sentence
        for message in catalog:
            if not message.id:
                continue
            if language == "en":
                texts += [message.id] if isinstance(message.id, str) else list(message.id)
            else:
                texts += [message.string] if isinstance(message.string, str) else list(message.string)
            if isinstance(message.id, str):
                self.sentence[message.id] = message.string if language != "en" else message.id
        self.exact = set(texts)
        # Pure placeholders ("%(field)s %(problem)s") would match anything: they are the shape
        # of a field's line in a detail, and read as such.
        shapes = [text for text in texts if re.search(r"[^\W\d_]", re.sub(r"%\(\w+\)s", "", text))]
        self.patterns = [self._pattern(text) for text in shapes]
        line = next(text for message in catalog if message.id == "%(field)s %(problem)s"
                    for text in [message.id if language == "en" else message.string])
        self.field_line = re.compile(re.escape(line).replace(re.escape("%(field)s"), r"\S+")
                                     .replace(re.escape("%(problem)s"), "(.+)"))

    @staticmethod
    def _pattern(text: str) -> re.Pattern:
        return re.compile(re.sub(r"%\\\(\w+\\\)s", ".+?", re.escape(text)), re.DOTALL)

    def says(self, text: str) -> bool:
        return text in self.exact or any(p.fullmatch(text) for p in self.patterns)

    def says_detail(self, text: str) -> bool:
        """A sentence, or the fields' problems joined ("email is required; ...")."""
        if self.says(text):
            return True
        lines = text.removesuffix(".").split("; ")
        return all((m := self.field_line.fullmatch(line)) and self.says(m.group(1)) for line in lines)


LANGUAGE = _language()
SPOKEN = {language: Sentences(language) for language in
          {"en", LANGUAGE, *(name for name in os.listdir(LOCALES) if "." not in name)}}


def said(english: str) -> str:
    """An email's words as the run's language says them (accounts without a language of their
    own are written to in the language of the request that caused the email)."""
    return SPOKEN[LANGUAGE].sentence[english]


class Response:
    def __init__(self, status: int, headers, raw: bytes) -> None:
        self.status, self.headers, self.raw = status, headers, raw
        self.json = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else None


def call(method: str, path: str, body=None, token: str | None = None, headers=None,
         raw: bytes | None = None, speaks: str | None = None) -> Response:
    """``speaks``: the language the answer must be in (the walkthrough's, unless the account
    chose another; "" for the gateway's own 404, which is English in AWS too)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(API + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept-Language", LANGUAGE)
    request.add_header("User-Agent", "kinlink-walkthrough/1.0 (X11; Linux x86_64) Firefox/140.0")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (local stack)
            answer = Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        answer = Response(error.code, error.headers, error.read())
    if speaks != "":
        _check_words(method, path, answer, speaks or LANGUAGE)
    return answer


def _check_words(method: str, path: str, answer: Response, language: str) -> None:
    """The answer is in ``language``, and so is every word of a problem."""
    global problems_read
    where = f"{method} {path.split('?')[0]} ({answer.status})"
    said = answer.headers.get("Content-Language")
    if said != language:
        check(False, f"{where} answers in {language}", f"Content-Language: {said}")
    if not (answer.headers.get("Content-Type") or "").startswith("application/problem+json"):
        return
    problems_read += 1
    spoken, english = SPOKEN[language], SPOKEN["en"]
    body = answer.json
    words = [body["title"], *(item["problem"] for item in body.get("errors", [])),
             *body.get("suggestions", [])]
    strange = [text for text in words if not spoken.says(text)]
    if not spoken.says_detail(body["detail"]):
        strange.append(body["detail"])
    if language != "en":
        strange += [text for text in [*words, body["detail"]]
                    if text in english.exact and text not in spoken.exact]
    if strange:
        check(False, f"{where}: every word of the problem is in {language}", strange)


def check(condition: bool, what: str, detail: object = "") -> None:
    global checks
    checks += 1
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        print(f"     {detail}")
        sys.exit(1)


def outbox() -> dict:
    # The API queues what it sends; make run's worker thread sends it within about a second.
    outbox_reader.wait_for_deliveries(EMULATOR)
    with urllib.request.urlopen(EMULATOR + "/moto-api/data.json", timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def emails_to(address: str) -> list[dict]:
    return [m for m in outbox().get("ses", {}).get("Message", [])
            if address in m.get("destinations", {}).get("ToAddresses", [])]


def last_code(address: str) -> str:
    return re.search(r"\b(\d{6})\b", emails_to(address)[-1]["body"]).group(1)


def signed_up(email: str) -> dict:
    call("POST", "/v1/auth/signup", {"email": email, "password": PASSWORD, "full_name": "Rosa Family"})
    call("POST", "/v1/auth/verify-email", {"email": email, "code": last_code(email)})
    return call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json


def totp_sign_in(email: str, password: str, secret: str) -> tuple[Response, Response | None]:
    """(sign-in answer, second-factor answer) for an account enrolled in TOTP with ``secret``.
    A code is good once; when this step's code was used already (an earlier sign-in within the
    same 30 seconds), the next step's code is sent: the server accepts one step of clock skew,
    so nobody waits."""
    import pyotp

    totp = pyotp.TOTP(secret)
    challenge = call("POST", "/v1/auth/login", {"email": email, "password": password})
    if not (challenge.json or {}).get("mfa_required"):
        return challenge, None
    for attempt in range(3):
        if attempt == 2:  # the next step's code was used too: wait for the step after
            time.sleep(30 - time.time() % 30 + 1)
        code = totp.now() if attempt == 0 else totp.at(time.time() + 30)
        done = call("POST", "/v1/auth/mfa", {"challenge_id": challenge.json["challenge_id"],
                                             "method": "totp", "code": code})
        if done.status == 200 or (done.json or {}).get("code") != "totp_code_reused":
            break
    return challenge, done


def staff_sign_in(who: tuple[str, str, str]) -> str:
    """Staff and admins must use TOTP: password, then a code from the demo secret."""
    email, password, secret = who
    challenge, done = totp_sign_in(email, password, secret)
    check(challenge.json.get("mfa_required") is True
          and challenge.json["methods"] == ["totp", "recovery_code"],
          f"{email} is asked for a TOTP code (and nothing by email)")
    check(done.status == 200, f"{email} signs in with a TOTP code", done.json)
    return done.json["access_token"]


def accounts_and_sign_in() -> dict:
    check(call("GET", "/v1/health").json == {"status": "ok"}, "health answers ok")
    docs = call("GET", "/docs")
    page = docs.raw.decode()
    check(docs.status == 200 and "/docs/swagger-ui-bundle.js" in page and "https://" not in page
          and "connect-src 'self'" in docs.headers["Content-Security-Policy"],
          "GET /docs serves the reference page, loading nothing from elsewhere")
    script = call("GET", "/docs/swagger-ui-bundle.js")
    check(script.status == 200 and script.headers["Content-Type"].startswith("text/javascript"),
          f"and its script from the API itself ({len(script.raw) // 1024} KiB)")
    email = f"rosa.{RUN}@example.com"
    new = call("POST", "/v1/auth/signup", {"email": email, "password": PASSWORD,
                                           "full_name": "Rosa Family"})
    check(new.status == 202 and new.json == {"status": "verification_sent"}, "sign-up answers 202")
    code = last_code(email)
    check(call("POST", "/v1/auth/verify-email", {"email": email, "code": code}).status == 200,
          "the emailed code verifies the address")
    again = call("POST", "/v1/auth/signup", {"email": email, "password": PASSWORD,
                                             "full_name": "Someone Else"})
    check(again.status == 202 and again.json == new.json, "sign-up with a taken email looks the same")
    check(emails_to(email)[-1]["subject"]
          == said("Someone tried to create a Kinlink account with your email"),
          "the owner is warned by email")
    wrong = call("POST", "/v1/auth/login", {"email": email, "password": "wrong password entirely"})
    unknown = call("POST", "/v1/auth/login", {"email": f"ghost.{RUN}@example.com",
                                              "password": "wrong password entirely"})
    check(wrong.status == unknown.status == 401 and wrong.json == unknown.json,
          "wrong password and unknown email get the same 401 problem")
    weak = call("POST", "/v1/auth/signup", {"email": f"weak.{RUN}@example.com",
                                            "password": "password1234", "full_name": "W"})
    check(weak.status == 400 and weak.json["code"] == "weak_password" and weak.json["suggestions"],
          "a common password is refused with suggestions")
    long = call("POST", "/v1/auth/signup", {"email": f"long.{RUN}@example.com",
                                            "password": "x" * 129, "full_name": "L"})
    check(long.status == 400, "a 129-character password is refused")
    tokens = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json
    check("access_token" in tokens and tokens["token_type"] == "Bearer", "sign-in returns tokens")
    rotated = call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    check(rotated.status == 200, "refresh rotates the pair")
    reuse = call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    check(reuse.status == 401, "a rotated refresh token is refused")
    check(call("GET", "/v1/account", token=rotated.json["access_token"]).status == 401,
          "reuse of a rotated token ended the whole session")
    tokens = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json
    check(call("POST", "/v1/auth/logout", token=tokens["access_token"]).status == 204, "logout 204")
    check(call("GET", "/v1/account", token=tokens["access_token"]).status == 401,
          "a logged-out token stops working at once")
    for label, raw in [("invalid JSON", b"{oops"), ("non UTF-8", b"\xff\xfe"), ("an array", b"[1]"),
                       ("deep nesting", b"[" * 50000 + b"]" * 50000)]:
        odd = call("POST", "/v1/auth/login", raw=raw)
        check(odd.status == 400 and odd.headers["Content-Type"] == "application/problem+json",
              f"{label} gets a 400 problem")
    missing = call("GET", "/v1/no-such-thing", speaks="")  # the gateway's own answer
    check(missing.status == 404 and missing.json["code"] == "not_found", "unknown route: 404 problem")
    return {"email": email}


def lockout_and_reset(email: str) -> None:
    for target in (email, f"nobody.{RUN}@example.com"):
        for _ in range(5):
            call("POST", "/v1/auth/login", {"email": target, "password": "not it at all, no"})
        locked = call("POST", "/v1/auth/login", {"email": target, "password": PASSWORD})
        check(locked.status == 429 and locked.json["code"] == "account_locked"
              and int(locked.headers["Retry-After"]) > 800,
              f"5 failures lock {'a known' if target == email else 'an unknown'} email "
              f"({locked.json.get('retry_after_seconds')} s to wait)")
    unlock_mail = emails_to(email)[-1]["body"]
    unlock_link = re.search(r"(http://[^\s\"<]+/unlock#token=[^\s\"<&]+)", unlock_mail)
    check(unlock_link is not None and unlock_link.group(1).startswith(API),
          "the owner of the locked account is emailed an unlock link")
    page = urllib.request.urlopen(unlock_link.group(1).split("#")[0], timeout=30)  # noqa: S310
    check(page.status == 200 and "default-src 'none'" in page.headers["Content-Security-Policy"],
          "the unlock link opens the unlock page with a strict CSP")
    unlock_token = urllib.parse.unquote(unlock_link.group(1).split("#token=", 1)[1])
    check(call("POST", "/v1/auth/unlock", {"token": unlock_token}).status == 200,
          "the page's token unlocks the account")
    check(call("POST", "/v1/auth/unlock", {"token": unlock_token}).status == 400,
          "the unlock link works once")
    check(call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).status == 200,
          "the owner signs in again at once")
    for _ in range(5):
        call("POST", "/v1/auth/login", {"email": email, "password": "not it at all, no"})
    forgot = call("POST", "/v1/auth/password/forgot", {"email": email},
                  headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    check(forgot.status == 202 and forgot.json == {"status": "sent_if_registered"},
          "forgot-password works while locked out")
    body = emails_to(email)[-1]["body"]
    link = re.search(r"(http://[^\s\"<]+/reset-password#token=[^\s\"<&]+)", body).group(1)
    check(link.startswith(API) and "evil.example" not in body,
          "the reset link comes from configuration, not the Host header")
    check("?" not in link, "the reset token rides in the link's fragment, never sent to a server")
    page = urllib.request.urlopen(link, timeout=30)  # noqa: S310
    check(page.status == 200 and "no-referrer" in page.headers.get("Referrer-Policy", "")
          and "default-src 'none'" in page.headers.get("Content-Security-Policy", ""),
          "the emailed link opens the reset page with a strict CSP")
    token = link.split("token=", 1)[1]
    new_password = "lighthouse marmalade 1987 sprint"
    reset = call("POST", "/v1/auth/password/reset", {"token": token, "new_password": new_password})
    check(reset.status == 200, "the reset link sets a new password")
    check(call("POST", "/v1/auth/password/reset", {"token": token, "new_password": new_password}
               ).status == 400, "the link works once")
    check(call("POST", "/v1/auth/login", {"email": email, "password": new_password}).status == 200,
          "the reset cleared the lockout")
    subjects = [m["subject"] for m in emails_to(email)[-3:]]
    check(said("Your Kinlink password was changed") in subjects,
          f"a 'password changed' email was sent ({subjects})")
    unknown = call("POST", "/v1/auth/password/forgot", {"email": f"ghost.{RUN}@example.com"})
    check(unknown.json == forgot.json, "forgot answers the same for unknown emails")


def two_factor() -> None:
    import pyotp

    email = f"totp.{RUN}@example.com"
    tokens = signed_up(email)
    bare = call("POST", "/v1/account/mfa/totp/setup", {}, token=tokens["access_token"])
    check(bare.status == 400, "a session alone cannot start TOTP setup: the password is asked")
    setup = call("POST", "/v1/account/mfa/totp/setup", {"current_password": PASSWORD},
                 token=tokens["access_token"]).json
    totp = pyotp.TOTP(setup["secret"])
    confirm = call("POST", "/v1/account/mfa/totp/confirm", {"code": totp.now()},
                   token=tokens["access_token"])
    check(confirm.status == 200 and len(confirm.json["recovery_codes"]) == 10,
          "TOTP enrolment returns 10 recovery codes")
    challenge = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json
    check(challenge.get("mfa_required") is True, "sign-in now asks for a second factor")
    time.sleep(30 - time.time() % 30 + 1)  # a fresh time step: the confirm used this one
    code = totp.now()
    done = call("POST", "/v1/auth/mfa", {"challenge_id": challenge["challenge_id"],
                                         "method": "totp", "code": code})
    check(done.status == 200 and "access_token" in done.json, "the TOTP code completes sign-in")
    second = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json
    replay = call("POST", "/v1/auth/mfa", {"challenge_id": second["challenge_id"],
                                           "method": "totp", "code": code})
    check(replay.status == 401, "a replayed TOTP code is refused")
    fresh = call("POST", "/v1/account/mfa/recovery-codes", {"current_password": PASSWORD},
                 token=tokens["access_token"])
    check(fresh.status == 200 and not set(fresh.json["recovery_codes"])
          & set(confirm.json["recovery_codes"]), "new recovery codes replace the old ones")
    recovery = fresh.json["recovery_codes"][0]
    third = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json
    used = call("POST", "/v1/auth/mfa", {"challenge_id": third["challenge_id"],
                                         "method": "recovery_code", "code": recovery})
    check(used.status == 200, "a recovery code works")
    fourth = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json
    again = call("POST", "/v1/auth/mfa", {"challenge_id": fourth["challenge_id"],
                                          "method": "recovery_code", "code": recovery})
    check(again.status == 401, "and only once")
    activity = call("GET", "/v1/account/activity?limit=50", token=used.json["access_token"]).json
    types = {item["type"] for item in activity["items"]}
    check({"mfa_enabled", "login_succeeded", "totp_replay_refused"} <= types,
          f"activity shows the security events ({len(activity['items'])} events)")
    sessions = call("GET", "/v1/account/sessions", token=used.json["access_token"]).json["items"]
    other = next(s for s in sessions if not s["current"])
    check(call("DELETE", f"/v1/account/sessions/{other['session_id']}",
               token=used.json["access_token"]).status == 204, "another session can be revoked")


def account_settings() -> None:
    email, moved = f"settings.{RUN}@example.com", f"settings.moved.{RUN}@example.com"
    token = signed_up(email)["access_token"]
    started = call("POST", "/v1/account/email", {"new_email": moved, "current_password": PASSWORD},
                   token=token)
    check(started.status == 202 and emails_to(email)[-1]["subject"]
          == said("Someone asked to change the email of your Kinlink account"),
          "an email change sends a code to the new address and a notice to the old one")
    switched = call("POST", "/v1/account/email/verify", {"code": last_code(moved)}, token=token)
    check(switched.status == 200 and call("GET", "/v1/account", token=token).json["email"] == moved,
          "the code from the new address switches the email")
    check(call("POST", "/v1/auth/login", {"email": moved, "password": PASSWORD}).status == 200,
          "sign-in works with the new address")
    # The account chooses the other language: from then on its answers are in that one,
    # whatever Accept-Language says (the account's language wins).
    other = "es" if LANGUAGE == "en" else "en"
    patched = call("PATCH", "/v1/account", {"full_name": "Rosa María Family", "language": other},
                   token=token, speaks=other)
    check(patched.status == 200 and patched.json["language"] == other
          and patched.json["role"] == "family",
          f"PATCH /v1/account sets the name and the language ({other}), and answers in it")
    tag = {"es": "es-MX", "en": "en-US"}[other]
    regional = call("PATCH", "/v1/account", {"language": tag}, token=token, speaks=other)
    check(regional.status == 200 and regional.json["language"] == other,
          f"a regional tag ({tag}) is stored as its language")
    unspoken = call("PATCH", "/v1/account", {"language": "fr"}, token=token, speaks=other)
    check(unspoken.status == 400 and unspoken.json["errors"][0]["field"] == "language",
          "a language we do not speak is refused, naming the field")
    link = call("PATCH", "/v1/account", {"full_name": "Win at evil.example"}, token=token,
                speaks=other)
    check(link.status == 400 and link.json["errors"][0]["field"] == "full_name",
          f"a name with a link is refused (in {other}, the account's language)")
    wrong = call("POST", "/v1/account/phone", {"phone": "+12025550142",
                                               "current_password": "not my password at all"},
                 token=token, speaks=other)
    check(wrong.status == 403 and wrong.json["code"] == "reauthentication_required",
          "changing the phone needs the current password")
    check(call("GET", "/v1/account", token=token, speaks=other).json["language"] == other,
          f"GET /v1/account shows the chosen language ({other})")


def money_and_messages() -> str:
    """Returns the staff token for the kiosk steps."""
    tokens = signed_up(f"money.{RUN}@example.com")
    token = tokens["access_token"]
    other = signed_up(f"other.{RUN}@example.com")["access_token"]
    facilities = call("GET", "/v1/facilities").json["items"]
    check(any(f["facility_id"] == "demo-county" for f in facilities), "facilities are listed")
    found = call("GET", "/v1/facilities/demo-county/inmates?q=A1001", token=token).json["items"]
    inmate_id = found[0]["inmate_id"]
    quote = call("GET", f"/v1/deposits/quote?inmate_id={inmate_id}&account=trust&amount_cents=2500",
                 token=token).json
    check(quote["total_cents"] == quote["amount_cents"] + quote["fee_cents"],
          f"quote shows the fee before paying ({quote})")
    body = {"inmate_id": inmate_id, "account": "trust", "amount_cents": 2500,
            "payment_method_token": "tok_visa"}
    key = {"Idempotency-Key": f"dep-{RUN}"}
    first = call("POST", "/v1/deposits", body, token=token, headers=key)
    check(first.status == 201 and first.json["fee_cents"] == quote["fee_cents"],
          "the deposit charges the quoted fee")
    replay = call("POST", "/v1/deposits", body, token=token, headers=key)
    check(replay.status == 201 and replay.raw == first.raw, "a retry replays the same response")
    reused = call("POST", "/v1/deposits", {**body, "amount_cents": 2600}, token=token, headers=key)
    check(reused.status == 409 and reused.json["code"] == "idempotency_key_reused",
          "the same key with another body is refused")
    check(call("POST", "/v1/deposits", body, token=token).status == 400, "a key is required")
    declined = call("POST", "/v1/deposits", {**body, "payment_method_token": "tok_declined"},
                    token=token, headers={"Idempotency-Key": f"dec-{RUN}"})
    check(declined.status == 402, "a declined card is 402")
    over = call("POST", "/v1/deposits", {**body, "amount_cents": 30001}, token=token,
                headers={"Idempotency-Key": f"over-{RUN}"})
    check(over.status == 422 and over.json["code"] == "limit_exceeded", "limits are enforced")
    deposit_id = first.json["deposit_id"]
    check(call("GET", f"/v1/deposits/{deposit_id}", token=other).status == 404,
          "another family cannot see the deposit")
    staff_token = staff_sign_in(STAFF)
    refund = call("POST", f"/v1/staff/deposits/{deposit_id}/refund", {"reason": "Sent in error"},
                  token=staff_token)
    check(refund.status in (200, 201), f"staff refund the deposit ({refund.status})")
    check(call("POST", f"/v1/staff/deposits/{deposit_id}/refund", {"reason": "again"},
               token=staff_token).status == 409, "a deposit is refunded once")
    forged = call("POST", "/v1/webhooks/stripe", {"id": "evt_x", "type": "charge.refunded"},
                  headers={"Stripe-Signature": "t=1,v1=00"})
    check(forged.status == 400 and forged.json["code"] == "invalid_signature",
          "a processor event without Stripe's signature is refused")

    contact = call("POST", "/v1/contacts", {"inmate_id": inmate_id}, token=token)
    check(contact.status == 201 and contact.json["status"] == "pending", "contact request pending")
    contact_id = contact.json["contact_id"]
    decision = call("POST", f"/v1/staff/contacts/{contact_id}/decision", {"decision": "approve"},
                    token=staff_token)
    check(decision.status == 200, "staff approve the contact")
    text = "Hola mamá ❤️ — 你好 — مرحبا"
    keyless = call("POST", f"/v1/contacts/{contact_id}/messages", {"body": text}, token=token)
    check(keyless.status == 400 and keyless.json["errors"][0]["field"] == "Idempotency-Key",
          "a send without Idempotency-Key: 400")
    no_stamp = call("POST", f"/v1/contacts/{contact_id}/messages", {"body": text}, token=token,
                    headers={"Idempotency-Key": f"message-{RUN}-0"})
    check(no_stamp.status == 402 and no_stamp.json["code"] == "insufficient_stamps",
          "no stamp: 402")
    bought = call("POST", "/v1/stamps/purchase", {"facility_id": "demo-county", "quantity": 5,
                                                  "payment_method_token": "tok_visa"},
                  token=token, headers={"Idempotency-Key": f"stamps-{RUN}"})
    check(bought.status == 201, "stamps bought")
    message_key = {"Idempotency-Key": f"message-{RUN}-1"}
    sent = call("POST", f"/v1/contacts/{contact_id}/messages", {"body": text}, token=token,
                headers=message_key)
    check(sent.status == 201 and sent.json["stamps_left"] == 4, "a message costs one stamp")
    retried = call("POST", f"/v1/contacts/{contact_id}/messages", {"body": text}, token=token,
                   headers=message_key)
    check(retried.status == 201 and retried.json == sent.json,
          "a retried send replays, spending no second stamp")
    too_long = call("POST", f"/v1/contacts/{contact_id}/messages", {"body": "x" * 6001},
                    token=token, headers={"Idempotency-Key": f"message-{RUN}-2"})
    check(too_long.status == 400, "6001 characters are refused")
    check(call("GET", f"/v1/contacts/{contact_id}/messages", token=other).status in (403, 404),
          "another family cannot read the thread")
    queue = call("GET", "/v1/staff/messages?status=pending_review", token=staff_token).json["items"]
    message_id = sent.json["message_id"]
    check(any(m["message_id"] == message_id for m in queue), "the message waits for review")
    claimed = call("POST", "/v1/staff/review-claims", {"limit": 50}, token=staff_token)
    check(claimed.status == 200 and claimed.json["lease_expires_at"]
          and all(m["status"] == "pending_review" for m in claimed.json["items"]),
          "a reviewer claims a batch of pending messages under a five-minute lease")
    reject = call("POST", f"/v1/staff/messages/{message_id}/decision",
                  {"decision": "reject", "reason": "Other", "note": "walkthrough"},
                  token=staff_token)
    check(reject.status == 200, "staff reject it with a reason")
    thread = call("GET", f"/v1/contacts/{contact_id}/messages", token=token).json["items"]
    check(thread[0]["status"] == "rejected" and thread[0]["body"] == text
          and thread[0].get("rejection_reason"), "the sender sees the reason; Unicode intact")
    stamps = call("GET", "/v1/stamps", token=token).json["items"]
    check(any(s.get("balance", s.get("stamps")) == 5 for s in stamps),
          f"the rejection refunded the stamp ({stamps})")
    rejected_mail = emails_to(f"money.{RUN}@example.com")[-1]["body"]
    check(f"#/contacts/{contact_id}/messages" in rejected_mail,
          "the rejection email links to the thread in the family app (PUBLIC_APP_URL)")
    return staff_token


def inmate_sign_in(number: str, pin: str, kiosk: dict | None = None) -> Response:
    return call("POST", "/v1/inmate/login", {"facility_id": "demo-county",
                                             "inmate_number": number, "pin": pin},
                headers=KIOSK if kiosk is None else kiosk)


def kiosks_and_inmates(staff_token: str) -> None:
    no_key = inmate_sign_in("A1001", INMATE_PIN, kiosk={})
    check(no_key.status == 401 and no_key.json["code"] == "kiosk_not_registered",
          "sign-in without a kiosk key is refused")
    kiosk = inmate_sign_in("A1001", INMATE_PIN)
    check(kiosk.status == 200 and "access_token" in kiosk.json, "the inmate signs in at the kiosk")
    inmate = kiosk.json["access_token"]
    check(call("GET", "/v1/inmate/messages", token=inmate, headers=KIOSK).status == 200,
          "the kiosk sends its key with every request")
    check(call("GET", "/v1/inmate/messages", token=inmate).status == 401,
          "the session is refused without the key")
    issued = call("POST", "/v1/staff/kiosks", {"label": f"Walkthrough tablet {RUN}"},
                  token=staff_token)
    check(issued.status == 201 and issued.json["key"], "staff register a kiosk (key shown once)")
    tablet = {"X-Kiosk-Key": issued.json["key"]}
    check(inmate_sign_in("A1001", INMATE_PIN, tablet).status == 200,
          "the inmate signs in at the new kiosk")
    check(call("DELETE", f"/v1/staff/kiosks/{issued.json['kiosk_id']}",
               token=staff_token).status == 204, "staff revoke the kiosk")
    check(inmate_sign_in("A1001", INMATE_PIN, tablet).status == 401,
          "the revoked kiosk's key stops working")
    check(call("POST", "/v1/staff/inmates/inm_A1001/sessions/revoke",
               token=staff_token).status == 204
          and call("GET", "/v1/inmate/messages", token=inmate, headers=KIOSK).status == 401,
          "staff end every kiosk session of an inmate")
    # PIN reset: a one-time PIN, then the inmate chooses a PIN (the demo one again, so the
    # walkthrough can run again).
    one_time = call("POST", "/v1/staff/inmates/inm_A1002/pin", token=staff_token)
    check(one_time.status == 200 and one_time.json["pin"].isdigit(),
          "staff issue a one-time PIN")
    first = inmate_sign_in("A1002", one_time.json["pin"])
    check(first.status == 200 and first.json.get("pin_change_required") is True,
          "signing in with it asks for a new PIN")
    check(call("GET", "/v1/inmate/messages", token=first.json["access_token"],
               headers=KIOSK).status == 403, "that session can do nothing else")
    chosen = call("POST", "/v1/inmate/pin", {"new_pin": INMATE_PIN},
                  token=first.json["access_token"], headers=KIOSK)
    check(chosen.status == 200 and "access_token" in chosen.json, "the inmate chooses a new PIN")
    check(inmate_sign_in("A1002", one_time.json["pin"]).status == 401,
          "the one-time PIN is used up")


def administration(email: str) -> str:
    """Returns the admin's token for the facility steps."""
    token = staff_sign_in(ADMIN)
    found = call("GET", f"/v1/admin/accounts?email={email.upper()}", token=token).json["items"]
    check(len(found) == 1 and found[0]["email"] == email, "an admin finds an account by email")
    account_id = found[0]["account_id"]
    check(call("POST", f"/v1/admin/accounts/{account_id}/disable", token=token).status == 204,
          "the admin disables it")
    refused = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    check(refused.status == 403 and refused.json["code"] == "account_disabled",
          "a disabled account cannot sign in")
    check(call("POST", f"/v1/admin/accounts/{account_id}/enable", token=token).status == 204,
          "the admin enables it again")
    check(call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).status == 200,
          "and it signs in")
    me = call("GET", "/v1/account", token=token).json["account_id"]
    itself = call("POST", f"/v1/admin/accounts/{me}/disable", token=token)
    check(itself.status == 409 and itself.json["code"] == "cannot_disable_self",
          "an admin cannot disable itself")
    removal = call("DELETE", "/v1/account/mfa/totp", {"password": ADMIN[1], "code": "000000"},
                   token=token)
    check(removal.status == 403 and removal.json["code"] == "mfa_required_for_role",
          "an admin cannot turn its own TOTP off")
    return token


def facility_operations(token: str) -> None:
    """An admin opens a facility through the API: create, rules, roster; anyone reads its
    policies."""
    facility_id = f"walk-{RUN}"
    base = f"/v1/admin/facilities/{facility_id}"
    created = call("POST", "/v1/admin/facilities", {
        "facility_id": facility_id, "name": "Walkthrough County Jail", "state": "TX",
        "timezone": "America/Chicago", "kind": "jail", "average_daily_population": 75},
        token=token)
    check(created.status == 201 and created.json["size_tier"] == "very_small_jail",
          "an admin creates a facility; its size tier follows from kind and population")
    rules = {"stamp_price_cents": 35, "processor_cost": {"percent": 2.9, "fixed_cents": 30},
             "fee_tiers": [{"up_to_cents": 5000, "fee_cents": 33}],
             "watch_words": {"en": ["escape"], "es": ["fuga"]},
             "rejection_reasons": [{"code": "safety", "en": "Threatens safety",
                                    "es": "Amenaza la seguridad"}],
             "calls_paid_by": "family", "call_rate_cents_per_minute": 14, "call_max_minutes": 20}
    illegal = call("PUT", f"{base}/rules", {**rules, "phone_fee_tiers": [
        {"up_to_cents": 5000, "fee_cents": 100}]}, token=token)
    check(illegal.status == 422 and illegal.json["rule"] == "phone_fee_tiers[0].fee_cents",
          "a fee on phone accounts is refused by name (rule_not_allowed)")
    too_dear = call("PUT", f"{base}/rules", {**rules, "call_rate_cents_per_minute": 16},
                    token=token)
    check(too_dear.status == 422 and too_dear.json["rule"] == "call_rate_cents_per_minute",
          "a call rate above the tier's legal cap is refused")
    check(call("PUT", f"{base}/rules", rules, token=token).status == 200, "the rules are put")
    csv_headers = {"Content-Type": "text/csv"}
    bad = call("PUT", f"{base}/roster", token=token, headers=csv_headers,
               raw=b"inmate_number,first_name,last_name,status,housing_unit\nW1,,Doe,in_custody,\n")
    check(bad.status == 422 and bad.json["errors"][0]["row"] == 1, "a bad row names itself")
    rows = "".join(f"W{n},Pat,Doe{n},in_custody,D-{n}\n" for n in range(10))
    imported = call("PUT", f"{base}/roster", token=token, headers=csv_headers,
                    raw=("inmate_number,first_name,last_name,status,housing_unit\n" + rows).encode())
    check(imported.status == 202, "the roster CSV is imported", imported.json)
    status = call("GET", f"{base}/roster/imports/{imported.json['import_id']}", token=token)
    check(status.json["status"] == "applied" and status.json["counts"]["admitted"] == 10,
          "the import is applied as one generation", status.json)
    fewer = "".join(f"W{n},Pat,Doe{n},in_custody,D-{n}\n" for n in range(8))
    guarded = call("PUT", f"{base}/roster", token=token, headers=csv_headers,
                   raw=("inmate_number,first_name,last_name,status,housing_unit\n" + fewer).encode())
    check(guarded.status == 422 and guarded.json["code"] == "mass_release_suspected",
          "releasing 2 of 10 needs ?confirm_releases=2")
    policies = call("GET", f"/v1/facilities/{facility_id}/policies",
                    headers={"Accept-Language": "es"}, speaks="es")
    rate = policies.json["rates"][0]
    check(policies.status == 200 and rate["legal_cap_cents_per_minute"] == 15
          and policies.json["rejection_reasons"][0]["text"] == "Amenaza la seguridad",
          "anyone reads its policies, in Spanish, with the legal cap beside the rate")
    reasons = call("GET", f"/v1/staff/rejection-reasons?facility_id={facility_id}", token=token)
    check(reasons.status == 200 and reasons.json["items"][0]["code"] == "safety",
          "staff (here an admin naming the facility) read the rejection reasons")


def invitation_token(address: str) -> str:
    """The token of the newest invitation link emailed to ``address`` (it rides in the
    fragment of ``<PUBLIC_BASE_URL>/accept-invitation#token=...``)."""
    body = html.unescape(emails_to(address)[-1]["body"])
    link = re.search(r"(http[^\s\"<]+/accept-invitation#token=[^\s\"<&]+)", body)
    return urllib.parse.unquote(link.group(1).split("#token=", 1)[1]) if link else ""


def enrol_totp(access_token: str, password: str) -> str:
    """Turn TOTP on for the signed-in account with a fresh secret; returns the secret."""
    import pyotp

    setup = call("POST", "/v1/account/mfa/totp/setup", {"current_password": password},
                 token=access_token).json
    confirm = call("POST", "/v1/account/mfa/totp/confirm",
                   {"code": pyotp.TOTP(setup["secret"]).now()}, token=access_token)
    return setup["secret"] if confirm.status == 200 else ""


def staff_onboarding() -> None:
    token = staff_sign_in(ADMIN)
    email = f"officer.{RUN}@demo-county.example"
    invited = call("POST", "/v1/admin/staff", {"email": email, "full_name": "Nia Officer",
                                               "facility_id": "demo-county"}, token=token)
    check(invited.status == 201 and invited.json["role"] == "staff",
          "an admin invites a staff member by email")
    again = call("POST", "/v1/admin/staff", {"email": email, "full_name": "Nia Officer",
                                             "facility_id": "demo-county"}, token=token)
    check(again.status == 201, "inviting a pending address again sends a new link")
    taken = call("POST", "/v1/admin/staff", {"email": ADMIN[0], "full_name": "Someone",
                                             "facility_id": "demo-county"}, token=token)
    check(taken.status == 409 and taken.json["code"] == "email_taken",
          "an address that has an account: 409 email_taken")
    invitation = invitation_token(email)
    check(bool(invitation), "the invitation email holds an /accept-invitation#token= link")
    page = urllib.request.urlopen(API + "/accept-invitation", timeout=30)  # noqa: S310
    check(page.status == 200 and "default-src 'none'" in page.headers["Content-Security-Policy"],
          "the link opens the set-password page with a strict CSP")
    accepted = call("POST", "/v1/auth/invitations/accept",
                    {"token": invitation, "new_password": PASSWORD})
    check(accepted.status == 200, "the page's token sets the first password")
    used = call("POST", "/v1/auth/invitations/accept",
                {"token": invitation, "new_password": PASSWORD})
    check(used.status == 400 and used.json["code"] == "invalid_token", "the link works once")
    first = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD}).json
    check(first.get("mfa_enrollment_required") is True,
          "the first sign-in asks for TOTP enrolment")
    check(call("GET", "/v1/staff/kiosks", token=first["access_token"]).status == 403,
          "until then the session can do nothing else")
    secret = enrol_totp(first["access_token"], PASSWORD)
    _, done = totp_sign_in(email, PASSWORD, secret)
    check(done is not None and done.status == 200, "the new staff member signs in with TOTP")
    keys = "/v1/admin/facilities/demo-county/platform-keys"
    issued = call("POST", keys, {"label": f"Walkthrough platform {RUN}"}, token=token)
    check(issued.status == 201 and issued.json["key"].startswith(issued.json["key_id"] + "."),
          "an admin issues a call platform key (shown once)")
    listed = call("GET", keys, token=token).json["items"]
    check(all("key" not in item for item in listed), "the list of platform keys holds no key")
    check(call("DELETE", f"{keys}/{issued.json['key_id']}", token=token).status == 204,
          "the admin revokes it")


if __name__ == "__main__":
    outbox_reader.require_stack({"API_URL": API, "AWS_ENDPOINT_URL": EMULATOR})
    sys.modules.setdefault("walkthrough", sys.modules[__name__])  # step modules share the run
    import walkthrough_calls
    import walkthrough_privacy
    import walkthrough_support
    import walkthrough_visits

    state = accounts_and_sign_in()
    lockout_and_reset(state["email"])
    two_factor()
    account_settings()
    walkthrough_visits.visits()
    kiosks_and_inmates(money_and_messages())
    walkthrough_media.photos_and_videograms(sys.modules[__name__])
    facility_operations(administration(f"money.{RUN}@example.com"))
    staff_onboarding()
    walkthrough_support.support_and_education()
    walkthrough_calls.calls_and_calling_balance()
    walkthrough_privacy.data_rights()  # last: it deletes an account (its own)
    print(f"\n{checks} checks passed against {API} in {LANGUAGE} "
          f"({problems_read} problems read, every word in its language)")
