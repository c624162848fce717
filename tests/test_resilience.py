"""Resilience (issue 6 §5, issue 9): DynamoDB, SES or SNS fail at every step of sign-up, password
reset (request and completion), deposit, message send, sign-in, the second factor (TOTP, and
asking for a sign-in code), refresh and a staff flag decision.

For every AWS call a clean run of the request makes, and every fault that call can meet
(``fault_support.faults_for``), the request is made again with that call failing.  Then:

1. the client got the contract's own answer (delivery failures are tolerated where the contract
   says so) or a 503 ``service_unavailable`` problem with ``Retry-After``, never a 500;
2. nothing is half written (each flow's ``check_consistent``);
3. the same request, repeated once the fault is gone, succeeds with exactly one effect.

Each attempt gets its own key, account or code, so one AWS state serves a whole sweep.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import pytest
from pynamodb.connection.base import VerboseClientError
from pynamodb.exceptions import CancellationReason, PutError, TransactWriteError

from chalicelib.accounts import passwords
from chalicelib.accounts.activity import ActivityEvent
from chalicelib.accounts.service import throttle_subject
from chalicelib.accounts.store import (Account, EmailClaim, LoginThrottle, OneTimeCode,
                                       SignupAttempt)
from chalicelib.core import clock, dependencies, secrets
from chalicelib.messaging.store import Message
from chalicelib.payments import ledger
from chalicelib.payments import processor as processors
from chalicelib.payments.audit import audit
from chalicelib.payments.store import Deposit, ReviewFlag
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails, sent_sms
from tests.fault_support import FAULTS, SweepReport, aws_calls, sweep
from tests.messaging_support import (DEMO_FACILITY_ID, MARCUS, World, set_rules,  # noqa: F401
                                     stamp_balance, world)
from tests.mfa_helpers import challenge, enrol, kms_key, next_step, totp_code  # noqa: F401
from tests.money_fixtures import (card, deposit_body, facilities, family,  # noqa: F401
                                  staff_token)
from tests.password_helpers import RESET_SUBJECT, emails_with_subject, reset_token

# The sweeps run a flow once per AWS call and fault kind: seconds each.
pytestmark = pytest.mark.slow

FIGURES: list[SweepReport] = []
RATE_WINDOW = 3601  # one reset-send window (3 sends per hour), so every attempt may send
SOURCE_WINDOW = 601  # one per-source-address window: each attempt starts its own counter


def _record(report: SweepReport) -> None:
    FIGURES.append(report)
    print(f"\n{report.flow}: {report.points} call points, {report.scenarios} faults injected, "
          f"first answers {report.outcomes}, calls {report.clean_calls}")


def _events(account_id: str, event_type: str) -> list[ActivityEvent]:
    return [event for event in ActivityEvent.query(account_id, consistent_read=True)
            if event.type == event_type]


def _code_record(subject: str) -> OneTimeCode | None:
    try:
        record = OneTimeCode.get(subject, consistent_read=True)
    except OneTimeCode.DoesNotExist:
        return None
    return None if record.is_expired() else record


def _is_code_of(record: OneTimeCode | None, code: str, subject: str) -> bool:
    return record is not None and secrets.same(record.code_digest,
                                               secrets.keyed_digest(code, subject))


# --- sign-up --------------------------------------------------------------------------------

@dataclass
class SignUp:
    api: object
    name: str = "sign-up"
    normal: tuple[int, ...] = (202,)

    def prepare(self) -> str:
        clock.advance(SOURCE_WINDOW)  # the same calls every time, and never over the limit
        return f"new.{uuid.uuid4().hex[:12]}@example.com"

    def request(self, email: str):
        return self.api.post("/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                                 "full_name": "Robin Family"})

    def check_consistent(self, email: str, response) -> None:
        claim = _get(EmailClaim, email)
        accounts = [a for a in Account.scan(Account.email == email, consistent_read=True)]
        assert (claim is None) == (not accounts), f"{email}: account and email claim disagree"
        if claim is not None:
            assert [a.account_id for a in accounts] == [claim.account_id]
        if response.status_code == 202:
            # The contract's answer means the account exists with a live sign-up attempt (its
            # code), even when the email carrying it could not be sent (sign-up again sends a
            # new one).
            assert claim is not None, f"{email}: 202 but no account"
            attempts = list(SignupAttempt.query(claim.account_id, consistent_read=True))
            assert [a for a in attempts if not a.is_expired()], f"{email}: 202 but no code"

    def check_retried(self, email: str, first, retry) -> None:
        assert retry.status_code == 202, retry.json
        self.check_consistent(email, retry)
        verified = self.api.post("/v1/auth/verify-email", {"email": email,
                                                           "code": last_code(email)})
        assert verified.status_code == 200, verified.json


def test_sign_up_survives_a_fault_at_every_call(api):
    _record(sweep(SignUp(api)))


# --- password reset: the request ------------------------------------------------------------

@dataclass
class ResetAttempt:
    sent_before: int


@dataclass
class ForgotPassword:
    api: object
    email: str
    account_id: str
    channel: str
    phone: str | None = None
    normal: tuple[int, ...] = (202,)

    @property
    def name(self) -> str:
        return f"password reset request ({self.channel})"

    def prepare(self) -> ResetAttempt:
        clock.advance(RATE_WINDOW)
        return ResetAttempt(len(self._delivered()))

    def request(self, attempt: ResetAttempt):
        return self.api.post("/v1/auth/password/forgot",
                             {"email": self.email, "channel": self.channel})

    def _delivered(self) -> list[str]:
        if self.channel == "sms":
            return sent_sms(self.phone)
        return [message.body for message in emails_with_subject(self.email, RESET_SUBJECT)]

    def check_consistent(self, attempt: ResetAttempt, response) -> None:
        """A live code was delivered, and a delivered code is live: nothing live that nobody
        received, no message whose code does not work."""
        subject = f"password_reset#{self.account_id}"
        record = _code_record(subject)
        new = self._delivered()[attempt.sent_before:]
        assert len(new) <= 1
        if new:
            code = _six_digits(new[0])
            assert _is_code_of(record, code, subject), "a code was sent but is not live"
        else:
            assert record is None, "a live code that nobody received"

    def check_retried(self, attempt: ResetAttempt, first, retry) -> None:
        assert retry.status_code == 202, retry.json
        subject = f"password_reset#{self.account_id}"
        newest = self._delivered()[-1]
        assert _is_code_of(_code_record(subject), _six_digits(newest), subject)
        assert len(self._delivered()) - attempt.sent_before in (1, 2)


def _six_digits(text: str) -> str:
    import re

    return re.search(r"\b(\d{6})\b", text).group(1)


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_password_reset_request_survives_a_fault_at_every_call(api, make_family, channel):
    email, _, tokens = make_family()
    account = _account(email)
    phone = None
    if channel == "sms":
        phone = "+12025550143"
        account.update(actions=[Account.phone.set(phone), Account.phone_verified.set(True)])
    _record(sweep(ForgotPassword(api, email, account.account_id, channel, phone)))


# --- password reset: setting the new password -----------------------------------------------

@dataclass
class ResetCompletion:
    new_password: str
    old_hash: str
    epoch: int
    token: str | None = None
    code: str | None = None


@dataclass
class ResetPassword:
    api: object
    email: str
    account_id: str
    by: str  # "code" | "link"
    normal: tuple[int, ...] = (200,)
    counter: list[int] = field(default_factory=lambda: [0])

    @property
    def name(self) -> str:
        return f"password reset by {self.by}"

    def prepare(self) -> ResetCompletion:
        clock.advance(RATE_WINDOW)
        assert self.api.post("/v1/auth/password/forgot", {"email": self.email}).status_code == 202
        self.counter[0] += 1
        account = Account.get(self.account_id, consistent_read=True)
        return ResetCompletion(f"{STRONG_PASSWORD} renewed {self.counter[0]} times",
                               account.password_hash, int(account.session_epoch),
                               token=reset_token(self.email) if self.by == "link" else None,
                               code=last_code(self.email) if self.by == "code" else None)

    def request(self, attempt: ResetCompletion):
        body = {"new_password": attempt.new_password}
        body.update({"token": attempt.token} if attempt.token else
                    {"email": self.email, "code": attempt.code})
        return self.api.post("/v1/auth/password/reset", body)

    def check_consistent(self, attempt: ResetCompletion, response) -> None:
        """The code is used up if and only if the password changed, and with it the session
        epoch and the activity log."""
        account = Account.get(self.account_id, consistent_read=True)
        changed = account.password_hash != attempt.old_hash
        code_live = _code_record(f"password_reset#{self.account_id}") is not None
        assert code_live != changed, f"code live: {code_live}, password changed: {changed}"
        assert (int(account.session_epoch) == attempt.epoch + 1) == changed
        if changed:
            assert passwords.verify_password(attempt.new_password, account.password_hash)[0]
        assert (response.status_code == 200) == changed

    def check_retried(self, attempt: ResetCompletion, first, retry) -> None:
        expected = 400 if first.status_code == 200 else 200  # a used code works once
        assert retry.status_code == expected, retry.json
        account = Account.get(self.account_id, consistent_read=True)
        assert passwords.verify_password(attempt.new_password, account.password_hash)[0]
        assert int(account.session_epoch) == attempt.epoch + 1, "changed exactly once"
        assert _code_record(f"password_reset#{self.account_id}") is None


@pytest.mark.parametrize("by", ["code", "link"])
def test_password_reset_survives_a_fault_at_every_call(api, make_family, by):
    email, _, _ = make_family(login=False)
    account = _account(email)
    flow = ResetPassword(api, email, account.account_id, by)
    report = sweep(flow)
    _record(report)
    events = _events(account.account_id, "password_reset")
    assert len(events) == flow.counter[0], "one password_reset event per password change"


# --- deposit --------------------------------------------------------------------------------

@dataclass
class DepositAttempt:
    key: str
    card: processors.TestProcessor
    deposits_before: int
    balance_before: int


@dataclass
class MakeDeposit:
    api: object
    token: str
    account_id: str
    name: str = "deposit"
    normal: tuple[int, ...] = (201,)
    amount: int = 100
    inmate_account: str = ledger.inmate_account(MARCUS, "trust")

    def prepare(self) -> DepositAttempt:
        card = processors.TestProcessor()
        processors.use_processor(card)
        return DepositAttempt(uuid.uuid4().hex, card, self._deposits(),
                              ledger.balance_of(self.inmate_account))

    def request(self, attempt: DepositAttempt):
        return self.api.post("/v1/deposits", deposit_body(amount_cents=self.amount),
                             token=self.token, headers={"Idempotency-Key": attempt.key})

    def _deposits(self) -> int:
        return sum(1 for _ in Deposit.by_sender.query(self.account_id))

    def check_consistent(self, attempt: DepositAttempt, response) -> None:
        """Every authorization was captured or voided, captured ones exactly where the ledger
        and the deposit record hold the money; the ledger balances."""
        report = audit()
        assert report.ok, report.mismatches
        operations = attempt.card.operations
        authorized = {op[1] for op in operations if op[0] == "authorize"}
        captured = {op[1] for op in operations if op[0] == "capture"}
        voided = {op[1] for op in operations if op[0] == "void"}
        assert authorized == captured | voided and not captured & voided, operations
        new_deposits = self._deposits() - attempt.deposits_before
        assert new_deposits == len(captured) <= 1, (new_deposits, operations)
        credited = ledger.balance_of(self.inmate_account) - attempt.balance_before
        assert credited == self.amount * new_deposits
        if captured:
            [authorization_id] = captured
            [stored] = [d for d in Deposit.by_sender.query(self.account_id)
                        if d.authorization_id == authorization_id]
            assert len(_events(self.account_id, "deposit_completed")) >= 1
            assert stored.status == "completed"
        assert (response.status_code == 201) == bool(captured)

    def check_retried(self, attempt: DepositAttempt, first, retry) -> None:
        assert retry.status_code == 201, retry.json
        if first.status_code == 201:
            assert retry.headers.get("Idempotent-Replayed") == "true"
            assert retry.json == first.json
        self.check_consistent(attempt, retry)
        assert self._deposits() - attempt.deposits_before == 1, "exactly one deposit"
        assert attempt.card.net_cents() == retry.json["total_cents"], "charged exactly once"


def test_deposit_survives_a_fault_at_every_call(api, family):  # noqa: F811
    email, token = family
    account_id = _account(email).account_id
    flow = MakeDeposit(api, token, account_id)
    report = sweep(flow)
    _record(report)
    deposits = flow._deposits()
    assert len(_events(account_id, "deposit_completed")) == deposits
    assert ledger.balance_of(flow.inmate_account) == flow.amount * deposits


# --- message send ---------------------------------------------------------------------------

@dataclass
class SendAttempt:
    key: str
    messages_before: int
    stamps_before: int


@dataclass
class SendMessage:
    world: World
    family_token: str
    account_id: str
    contact_id: str
    auto_approve: bool
    normal: tuple[int, ...] = (201,)

    @property
    def name(self) -> str:
        return "message send" + (" (automatic delivery)" if self.auto_approve else "")

    def prepare(self) -> SendAttempt:
        return SendAttempt(uuid.uuid4().hex, self._messages(), stamp_balance(self.account_id))

    def request(self, attempt: SendAttempt):
        return self.world.api.post(f"/v1/contacts/{self.contact_id}/messages",
                                   {"body": "Thinking of you"}, token=self.family_token,
                                   headers={"Idempotency-Key": attempt.key})

    def _messages(self) -> int:
        return sum(1 for _ in Message.by_family_thread.query(self.contact_id))

    def check_consistent(self, attempt: SendAttempt, response) -> None:
        """A stamp is spent if and only if a message was stored, with its activity event."""
        sent = self._messages() - attempt.messages_before
        spent = attempt.stamps_before - stamp_balance(self.account_id)
        assert sent == spent <= 1, f"messages stored: {sent}, stamps spent: {spent}"
        assert len(_events(self.account_id, "message_sent")) == self._messages()
        assert sent == (1 if response.status_code == 201 else 0), "a 503 must have sent nothing"

    def check_retried(self, attempt: SendAttempt, first, retry) -> None:
        assert retry.status_code == 201, retry.json
        if first.status_code == 201:
            assert retry.json == first.json, "a retry with the key replays the first answer"
        self.check_consistent(attempt, retry)
        assert self._messages() - attempt.messages_before == 1, "exactly one message"


@pytest.mark.parametrize("auto_approve", [False, True])
def test_message_send_survives_a_fault_at_every_call(world, auto_approve):  # noqa: F811
    set_rules(auto_approve_clean_messages=auto_approve)
    family = world.family(stamps_at_demo=200)
    contact_id = world.contact(family)
    _record(sweep(SendMessage(world, family.token, family.account_id, contact_id, auto_approve)))


# --- sign-in, second factor, refresh ---------------------------------------------------------

def _failures(email: str) -> int:
    """The email's counted failed attempts (a dependency failure must never count as one)."""
    throttle = _get(LoginThrottle, throttle_subject(email))
    return int(throttle.failures or 0) if throttle is not None and not throttle.is_expired() else 0


@dataclass
class SignIn:
    """Each attempt signs in from a device not seen before, so every attempt takes the same
    path (a new device is recorded and its owner emailed)."""

    api: object
    email: str
    name: str = "sign-in"
    normal: tuple[int, ...] = (200,)
    counter: list[int] = field(default_factory=lambda: [0])

    def prepare(self) -> dict:
        self.counter[0] += 1
        return {"User-Agent": f"resilience-device/{self.counter[0]}"}

    def request(self, device: dict):
        return self.api.post("/v1/auth/login", {"email": self.email, "password": STRONG_PASSWORD},
                             headers=device)

    def check_consistent(self, device: dict, response) -> None:
        assert _failures(self.email) == 0, f"a dependency failure was counted: {response.json}"
        if response.status_code == 200:
            token = response.json["access_token"]
            assert self.api.get("/v1/account", token=token).status_code == 200

    def check_retried(self, device: dict, first, retry) -> None:
        assert retry.status_code == 200, retry.json
        self.check_consistent(device, retry)


def test_sign_in_survives_a_fault_at_every_call(api, make_family):
    email, _, _ = make_family()  # a known device: each new one is emailed about
    _record(sweep(SignIn(api, email)))


@dataclass
class SecondFactor:
    """Finishing a sign-in with a TOTP code.  A fault after the code's step was recorded leaves
    that code used: the person then types the next code, on a new challenge if this one was
    used up.  Never a 500, never a lock, never a counted failure for the fault itself."""

    api: object
    email: str
    secret: str
    name: str = "second factor (TOTP)"
    normal: tuple[int, ...] = (200,)

    def prepare(self) -> dict:
        clock.advance(SOURCE_WINDOW)  # a per-source window of its own: the same calls each time
        next_step()  # each attempt has a fresh code
        pending = challenge(self.api, self.email, STRONG_PASSWORD)
        return {"challenge_id": pending["challenge_id"], "method": "totp",
                "code": totp_code(self.secret)}

    def request(self, body: dict):
        return self.api.post("/v1/auth/mfa", body)

    def check_consistent(self, body: dict, response) -> None:
        assert _failures(self.email) == 0, f"a dependency failure was counted: {response.json}"
        if response.status_code == 200:
            assert self.api.get("/v1/account", token=response.json["access_token"]
                                ).status_code == 200

    def check_retried(self, body: dict, first, retry) -> None:
        if first.status_code == 200:
            assert retry.status_code == 401, "a finished challenge is single use"
        elif retry.status_code != 200:
            assert retry.status_code == 401, retry.json
            assert retry.json["code"] in ("totp_code_reused", "invalid_challenge"), retry.json
            retry = self.request(self.prepare())  # the next code, on a new challenge
            assert retry.status_code == 200, retry.json
        assert self.api.get("/v1/account", token=retry.json["access_token"]).status_code == 200
        store_clear(self.email)


def store_clear(email: str) -> None:
    """Forget counted failures (a replayed code after a fault counts as one, see above)."""
    throttle = _get(LoginThrottle, throttle_subject(email))
    if throttle is not None:
        throttle.delete()


@dataclass
class SendSignInCode:
    """Asking for an emailed or texted sign-in code: refused for every account (only TOTP and
    recovery codes are second factors), and a fault is a 503, never 429 ``too_many_codes_sent``."""

    api: object
    email: str
    name: str = "send sign-in code"
    normal: tuple[int, ...] = (400,)

    def prepare(self) -> str:
        return challenge(self.api, self.email, STRONG_PASSWORD)["challenge_id"]

    def request(self, challenge_id: str):
        return self.api.post("/v1/auth/mfa/send", {"challenge_id": challenge_id,
                                                   "method": "email"})

    def check_consistent(self, challenge_id: str, response) -> None:
        if response.status_code == 400:
            assert response.json["code"] == "mfa_method_unavailable", response.json
        assert not [m for m in sent_emails(self.email) if "sign-in code" in m.body]

    def check_retried(self, challenge_id: str, first, retry) -> None:
        assert retry.status_code == 400 and retry.json["code"] == "mfa_method_unavailable"


@pytest.fixture
def totp_family(api, make_family, kms_key):  # noqa: F811
    email, _, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    return email, secret


def test_second_factor_survives_a_fault_at_every_call(api, totp_family):
    email, secret = totp_family
    _record(sweep(SecondFactor(api, email, secret)))


def test_sending_a_sign_in_code_survives_a_fault_at_every_call(api, totp_family):
    email, _ = totp_family
    _record(sweep(SendSignInCode(api, email)))


@dataclass
class Refresh:
    api: object
    email: str
    account_id: str
    name: str = "refresh"
    normal: tuple[int, ...] = (200,)

    def prepare(self) -> dict:
        response = self.api.post("/v1/auth/login", {"email": self.email,
                                                    "password": STRONG_PASSWORD})
        assert response.status_code == 200, response.json
        return response.json

    def request(self, tokens: dict):
        return self.api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})

    def check_consistent(self, tokens: dict, response) -> None:
        """A fault leaves the session as it was: not revoked, no theft alarm."""
        assert _events(self.account_id, "refresh_token_reuse") == [], "a fault raised a theft alarm"
        if response.status_code != 200:
            assert self.api.get("/v1/account", token=tokens["access_token"]).status_code == 200

    def check_retried(self, tokens: dict, first, retry) -> None:
        if first.status_code == 200:
            return  # retrying a rotated token is reuse: the theft rule, tested elsewhere
        assert retry.status_code == 200, retry.json
        assert self.api.get("/v1/account", token=retry.json["access_token"]).status_code == 200
        self.check_consistent(tokens, retry)


def test_refresh_survives_a_fault_at_every_call(api, make_family):
    email, _, _ = make_family(login=False)
    _record(sweep(Refresh(api, email, _account(email).account_id)))


# --- staff decision on a flagged deposit ----------------------------------------------------

@dataclass
class DecideFlag:
    api: object
    staff_token: str
    name: str = "flag decision"
    normal: tuple[int, ...] = (200,)

    def prepare(self) -> str:
        flag = ReviewFlag(DEMO_FACILITY_ID, f"flg_{uuid.uuid4().hex}", deposit_id="dep_x",
                          inmate_id=MARCUS, sender_account_id="acc_x", amount_cents=500,
                          rule_codes=["sender_pays_many_inmates"], created_at=clock.iso(),
                          details={})
        flag.save()
        return flag.flag_id

    def request(self, flag_id: str):
        return self.api.post(f"/v1/staff/flags/{flag_id}/decision",
                             {"decision": "cleared", "reason": "known family"},
                             token=self.staff_token)

    def check_consistent(self, flag_id: str, response) -> None:
        status = ReviewFlag.get(DEMO_FACILITY_ID, flag_id, consistent_read=True).status
        assert status == ("cleared" if response.status_code == 200 else "pending")

    def check_retried(self, flag_id: str, first, retry) -> None:
        if first.status_code == 200:
            assert retry.status_code == 409 and retry.json["code"] == "already_decided"
        else:
            assert retry.status_code == 200, retry.json
        assert ReviewFlag.get(DEMO_FACILITY_ID, flag_id).status == "cleared"


def test_flag_decision_survives_a_fault_at_every_call(api, facilities):  # noqa: F811
    _record(sweep(DecideFlag(api, staff_token(api, DEMO_FACILITY_ID))))


def test_a_throttle_during_refresh_is_a_503_and_the_session_lives_on(api, make_family):
    """The known bug: the rotation's conditional update was throttled, read as "rotated by
    someone else", so the session was revoked and a theft alarm logged (401)."""
    email, _, tokens = make_family()
    probe = api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD}).json
    with aws_calls() as clean:
        assert api.post("/v1/auth/refresh", {"refresh_token": probe["refresh_token"]}
                        ).status_code == 200
    rotation = clean.calls.index("dynamodb.UpdateItem") + 1
    with aws_calls(rotation, "throttled"):
        throttled = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert throttled.status_code == 503 and throttled.json["code"] == "service_unavailable"
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 200
    assert api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}
                    ).status_code == 200
    assert _events(_account(email).account_id, "refresh_token_reuse") == []


# --- helpers --------------------------------------------------------------------------------

def _get(model, key):
    try:
        return model.get(key, consistent_read=True)
    except model.DoesNotExist:
        return None


def _account(email: str) -> Account:
    return Account.get(EmailClaim.get(email, consistent_read=True).account_id,
                       consistent_read=True)



# --- what counts as a dependency failure ----------------------------------------------------

def test_a_failure_that_is_not_transient_is_still_a_500_and_a_transient_one_is_logged(api, capsys):
    with aws_calls(1, "access_denied"):
        denied = api.post("/v1/auth/signup", {"email": "denied@example.com",
                                              "password": STRONG_PASSWORD, "full_name": "D"})
    assert denied.status_code == 500 and denied.json["code"] == "internal_error"
    capsys.readouterr()
    with aws_calls(1, "throttled"):
        throttled = api.post("/v1/auth/signup", {"email": "throttled@example.com",
                                                 "password": STRONG_PASSWORD, "full_name": "T"})
    assert throttled.status_code == 503 and throttled.headers["Retry-After"] == "5"
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()
              if '"dependency_unavailable"' in text]
    assert line["level"] == "ERROR" and line["aws_error"] == "ProvisionedThroughputExceededException"
    # The first call is the per-source-address counter (F11).
    assert line["operation"] == "UpdateItem" and line["path"] == "/v1/auth/signup"


def test_a_transaction_cancelled_by_its_conditions_is_not_a_dependency_failure():
    def cancelled(*codes: str) -> TransactWriteError:
        response = {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                    "CancellationReasons": [{"Code": code} for code in codes]}
        return TransactWriteError("Failed to write transaction items",
                                  VerboseClientError(response, "TransactWriteItems", {},
                                                     cancellation_reasons=[
                                                         None if code == "None" else
                                                         CancellationReason(code)
                                                         for code in codes]))

    assert dependencies.is_transient(cancelled("TransactionConflict", "None"))
    assert dependencies.is_transient(cancelled("ThrottlingError"))
    assert not dependencies.is_transient(cancelled("ConditionalCheckFailed", "None"))
    assert not dependencies.is_transient(cancelled("ConditionalCheckFailed", "TransactionConflict"))
    assert not dependencies.is_transient(ValueError("a bug"))
    assert dependencies.is_transient(PutError("wrapped", FAULTS["timeout"]("dynamodb", "PutItem", {})))
