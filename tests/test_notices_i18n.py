"""Emails, SMS and rejection reasons in the reader's language (issue 11, api.md v2 "Languages"):
every template in English and Spanish, the recipient's language (not the sender's) carried by
the queued message, amounts and moments formatted for the locale and zone, each SMS measured
in GSM-7 / UCS-2 segments, watch words in every listed language."""
from __future__ import annotations

import json

import pytest

from chalicelib import facilities as facility_face
from chalicelib.accounts.store import Account
from chalicelib.core import aws, i18n, notify
from chalicelib.core.notify import EMAILS, SMS, recipient_language, render_email, render_sms
from chalicelib.facilities.seed import DEMO_RULES
from chalicelib.messaging.review import ReviewRules
from tests.conftest import STRONG_PASSWORD, sent_emails, sent_sms
from tests.messaging_support import set_rules, world  # noqa: F401
from tests.money_fixtures import card, deposit_body, facilities, family, post_deposit  # noqa: F401

# One realistic value for every placeholder any template uses (a name with markup checks the
# HTML escapes it and the text does not).
SAMPLE = {
    "full_name": "Ana <b>Ruiz</b> & co", "code": "482913", "minutes": 15,
    "link": "https://kinlink.example/reset-password#token=acc_x.y&z", "new_email": "n@example.com",
    "changed_at": "2026-12-01T18:00:00Z", "time": "2026-12-01T18:00:00Z",
    "locked_until": "2026-12-01T18:15:00Z", "sent_at": "2026-12-01T18:00:00Z",
    "created_at": "2026-12-01T18:00:00Z", "timezone": "America/Chicago", "ip": "203.0.113.9",
    "device": "Firefox on Linux", "phone": "+12025550142", "inmate_name": "Marcus Johnson",
    "inmate_number": "A1001", "account": "trust", "amount_cents": 125050, "fee_cents": 995,
    "total_cents": 126045, "deposit_id": "dep_123", "reason": "Acoso", "age_days": 181,
    "facility_name": "Demo County Jail", "hours": 72, "delivered": 2, "rejected": 1, "replies": 3,
    "refund_on": "2027-05-30", "month": "2026-11", "opening_cents": 0, "closing_cents": 280, "calls": 3,
    "call_charges_cents": 20,
    "ticket_id": "tkt_123", "ticket_subject": "Deposit missing", "reply_body": "It posted.",
    "from_staff": True, "respond_by": "2026-12-02T18:00:00Z",
    "mode": "video", "status": "cancelled", "starts_at": "2026-12-01T18:00:00Z",
    "stamp_refunds": [{"stamps": 3, "amount_cents": 150}],
    "calling_refunds": [{"amount_cents": 280}],
    "visits_cancelled": [{"visit_id": "vis_1", "refund_cents": 450}, {"visit_id": "vis_2",
                                                                      "refund_cents": 0}],
    "kept": [{"record": "Calling balances and their refunds, by account id only",
              "reason": "Records of money moved are kept for audits, disputes and the law; they "
                        "hold no email, name or phone.", "retain_until": "2033-11-30"}],
}
EMAIL_TEMPLATES = sorted(p.stem for p in EMAILS.glob("*.html") if not p.stem.startswith("_"))
SMS_TEMPLATES = sorted(p.stem for p in SMS.glob("*.txt"))

# GSM 03.38: the default alphabet (one septet each) and its extension table (two septets).
GSM7_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = set("^{}\\[~]|€\f")


def sms_measure(text: str) -> tuple[str, int, int]:
    """(encoding, length in its units, segments) as a carrier counts them."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return "GSM-7", units, 1 if units <= 160 else -(-units // 153)
    units = len(text.encode("utf-16-le")) // 2
    return "UCS-2", units, 1 if units <= 70 else -(-units // 67)


def test_there_are_twenty_eight_emails_and_five_sms():
    assert len(EMAIL_TEMPLATES) == 29 and SMS_TEMPLATES == ["call_number_verification",
                                                            "password_reset",
                                                            "phone_verification",
                                                            "visit_changed", "visit_reminder"]


@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_every_email_exists_in_english_and_spanish(template):
    english = render_email("a@example.com", template, SAMPLE, "en")
    spanish = render_email("a@example.com", template, SAMPLE, "es")
    for email, language in ((english, "en"), (spanish, "es")):
        assert email.subject and "\n" not in email.subject
        assert f'<html lang="{language}">' in email.html
        assert "Ana &lt;b&gt;Ruiz&lt;/b&gt; &amp; co" in email.html, "HTML escapes values"
        assert "Ana <b>Ruiz</b> & co" in email.text and "&amp;" not in email.text
    assert spanish.subject != english.subject
    assert spanish.text.splitlines()[0] == "Hola, Ana <b>Ruiz</b> & co:"
    assert english.text.splitlines()[0] == "Hello Ana <b>Ruiz</b> & co,"


def test_money_and_moments_follow_the_locale_and_the_facility_zone():
    english = render_email("a@example.com", "deposit_receipt", SAMPLE, "en")
    spanish = render_email("a@example.com", "deposit_receipt", SAMPLE, "es")
    assert english.subject == "Receipt: $1,250.50 sent to Marcus Johnson"
    assert spanish.subject == "Recibo: 1.250,50\xa0US$ enviados a Marcus Johnson"
    # 18:00 UTC is noon in Chicago (CST, UTC-6), written each locale's way.
    assert "Dec 1, 2026, 12:00:00\u202fPM (America/Chicago)" in english.text
    assert "1 dic 2026, 12:00:00 (America/Chicago)" in spanish.text
    assert "$9.95" in english.text and "9,95\xa0US$" in spanish.text
    locked = render_email("a@example.com", "account_locked", SAMPLE, "es")
    assert "pausado hasta el 1 dic 2026, 18:15:00 (UTC)" in locked.text


@pytest.mark.parametrize("template", SMS_TEMPLATES)
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_sms_fits_one_segment(template, language):
    """English must be GSM-7 (160 characters); Spanish is worded inside GSM-7 too (it has ñ
    and é, not á í ó ú), else it would be UCS-2 with 70.  Figures: docs/decisions/languages.md."""
    text = render_sms(template, {"code": "482913", "minutes": 15, "inmate_name": "Marcus Johnson",
                                 "hours": 24}, language)
    encoding, units, segments = sms_measure(text)
    if language == "en":
        assert encoding == "GSM-7"
    assert segments == 1, (language, encoding, units, text)


def test_sms_measure_counts_like_a_carrier():
    assert sms_measure("a" * 160) == ("GSM-7", 160, 1)
    assert sms_measure("a" * 161) == ("GSM-7", 161, 2)
    assert sms_measure("€" * 80) == ("GSM-7", 160, 1)
    assert sms_measure("código " * 10) == ("UCS-2", 70, 1)
    assert sms_measure("ó" * 71) == ("UCS-2", 71, 2)


def test_the_recipients_language_rule():
    with i18n.using("es"):
        assert recipient_language(None, requester=True) == "es"   # the request's language
        assert recipient_language(None, requester=False) == "en"  # not the sender's
        assert recipient_language("en", requester=True) == "en"   # the account's choice wins
    assert recipient_language("es", requester=False) == "es"


def test_queued_messages_carry_the_language_and_delivery_speaks_it(api):
    """Delivery renders out of band: the language travels in the message, not the worker's."""
    with i18n.using("es"):
        assert notify.notifier().email("q@example.com", "verify_email", full_name="Ana",
                                       code="123456", minutes=10)
        assert notify.notifier().sms("+12025550142", "phone_verification", code="654321",
                                     minutes=10)
    queued = aws.client("sqs").receive_message(QueueUrl=notify.queue_url(),
                                               MaxNumberOfMessages=10, VisibilityTimeout=0)
    bodies = [json.loads(m["Body"]) for m in queued["Messages"]]
    assert {body["language"] for body in bodies} == {"es"}
    assert i18n.current() == "en"
    [email] = sent_emails("q@example.com")
    assert email.subject == "Su código de verificación de Kinlink: 123456"
    assert sent_sms("+12025550142") == [
        "Kinlink: su clave para confirmar este teléfono es 654321. Vence en 10 minutos."]


def test_a_spanish_request_gets_a_spanish_reset_email_and_the_account_language_wins(
        api, make_family):
    email, _, tokens = make_family()
    assert api.post("/v1/auth/password/forgot", {"email": email},
                    headers={"Accept-Language": "es-MX"}).status_code == 202
    assert sent_emails(email)[-1].subject == "Restablezca su contraseña de Kinlink"
    assert api.call("PATCH", "/v1/account", {"language": "en"},
                    token=tokens["access_token"]).status_code == 200
    assert api.post("/v1/auth/password/forgot", {"email": email},
                    headers={"Accept-Language": "es"}).status_code == 202
    assert sent_emails(email)[-1].subject == "Reset your Kinlink password"


def test_a_spanish_signup_gets_its_code_in_spanish(api):
    assert api.post("/v1/auth/signup", {"email": "es.signup@example.com",
                                        "password": STRONG_PASSWORD, "full_name": "Ana Ruiz",
                                        "language": "es"}).status_code == 202
    [email] = sent_emails("es.signup@example.com")
    assert email.subject.startswith("Su código de verificación de Kinlink: ")
    assert "Vence en 10 minutos y sirve una sola vez." in email.body


def test_a_decision_email_goes_in_the_familys_language_not_the_staffs(world):  # noqa: F811
    family = world.family(stamps_at_demo=2)
    Account.get(family.account_id).update(actions=[Account.language.set("es")])
    contact_id = world.contact(family)
    rejected = world.send(family, contact_id).json["message_id"]
    before = len(sent_emails(family.email))
    decided = world.api.post(f"/v1/staff/messages/{rejected}/decision",
                             {"decision": "reject", "reason": "harassment"},
                             token=world.staff, headers={"Accept-Language": "en"})
    assert decided.status_code == 200
    assert decided.json["rejection_reason"] == "Harassment"  # staff read English
    assert decided.json["rejection_reason_code"] == "harassment"
    [email] = sent_emails(family.email)[before:]
    assert email.subject == "Su mensaje para Marcus Johnson no se entregó"
    assert "Motivo indicado: <strong>Acoso</strong>" in email.body
    thread = world.api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json
    [message] = thread["items"]
    assert (message["rejection_reason_code"], message["rejection_reason"]) == ("harassment",
                                                                               "Acoso")


def test_an_inmates_reply_is_announced_in_the_familys_language(world):  # noqa: F811
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)  # no language chosen: English, whatever the kiosk speaks
    before = len(sent_emails(family.email))
    reply = world.reply(world.inmate_token(), contact_id, headers={
        "Idempotency-Key": "r-1", "Accept-Language": "es"})
    assert reply.status_code == 201
    world.decide(reply.json["message_id"], "approve")
    [email] = sent_emails(family.email)[before:]
    assert email.subject == "Marcus Johnson replied to you"


def test_deposit_receipt_in_the_senders_language_and_the_facility_zone(api, family):  # noqa: F811
    address, token = family
    account_id = api.get("/v1/account", token=token).json["account_id"]
    Account.get(account_id).update(actions=[Account.language.set("es")])
    response = post_deposit(api, token, deposit_body(amount_cents=2000))
    assert response.status_code == 201, response.json
    receipt = sent_emails(address)[-1]
    assert receipt.subject == "Recibo: 20,00\xa0US$ enviados a Marcus Johnson"
    assert "(America/New_York)" in receipt.body and "0,30\xa0US$" in receipt.body


# --- watch words and rejection reasons --------------------------------------------------------

def test_watch_words_are_checked_in_every_listed_language_ignoring_case_and_accents():
    rules = ReviewRules.from_facility_rules(DEMO_RULES)
    assert rules.watch_list_hits("Traigan drogas y un arma") == ["drogas", "arma"]
    assert rules.watch_list_hits("ÁRMAS en la celda") == ["armas"]
    assert rules.watch_list_hits("no more DRUGS, plan an Escape") == ["escape", "drugs"]
    assert rules.watch_list_hits("Armando y Drogón saludan") == []  # whole words only


def test_the_old_flat_list_still_reads_as_english():
    old = {"watch_words": ["escape", "weapon"], "rejection_reasons": ["Harassment", "Other"]}
    assert facility_face.watch_words(old) == {"en": ("escape", "weapon")}
    assert ReviewRules.from_facility_rules(old).watch_list_hits("a Weapon") == ["weapon"]
    assert facility_face.rejection_reasons(old) == [{"code": "harassment", "en": "Harassment"},
                                                 {"code": "other", "en": "Other"}]
    assert facility_face.reason_code(old, "Harassment") == "harassment"
    assert facility_face.rejection_reason(old, "harassment", "es") == "Harassment"  # no Spanish


def test_rejection_reasons_per_language_and_the_default():
    assert facility_face.reason_code(DEMO_RULES, "coded_content") == "coded_content"
    assert facility_face.reason_code(DEMO_RULES, "Coded or unreadable content") == "coded_content"
    assert facility_face.reason_code(DEMO_RULES, "Acoso") is None  # staff send the code or English
    assert facility_face.rejection_reason(DEMO_RULES, "harassment", "es") == "Acoso"
    assert facility_face.rejection_reason(DEMO_RULES, "harassment", "fr") == "Harassment"
    assert facility_face.rejection_reasons({}) == [{"code": "other", "en": "Other",
                                                 "es": "Otro motivo"}]


def test_spanish_words_flag_a_message_in_the_demo_facility(world):  # noqa: F811
    set_rules(watch_words=DEMO_RULES["watch_words"])
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    sent = world.send(family, contact_id, "¿Me mandas las drogas y el arma?")
    assert sent.status_code == 201
    message = world.api.get(f"/v1/staff/messages/{sent.json['message_id']}",
                            token=world.staff).json
    assert message["flagged"] and message["watch_words"] == ["drogas", "arma"]
