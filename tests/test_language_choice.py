"""Which language an answer speaks (issue 11, api.md "Languages"): the account's `language`
(sign-up or PATCH /v1/account: "en" or "es"; a regional tag is read as its language, any other is
refused naming the field), else Accept-Language; kiosks follow Accept-Language.  And what the
problems say in each language: plural forms, money, field problems, zxcvbn's feedback."""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from chalicelib.accounts import devices, passwords
from chalicelib.core import i18n
from chalicelib.core.errors import AccountLocked
from chalicelib.core.ratelimit import SourceRateLimited
from chalicelib.facilities.rules import MoneyRules
from chalicelib.facilities.signin import KioskPaused
from chalicelib.web import schema
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails
from tests.messaging_support import world  # noqa: F401

ES = {"Accept-Language": "es-MX,es;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


# --- the account's language ---------------------------------------------------------------

def _sign_up(api, email: str, **extra):
    return api.post("/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                        "full_name": "Rosa Family", **extra}, headers=EN)


def _signed_in(api, email: str) -> str:
    assert api.post("/v1/auth/verify-email", {"email": email, "code": last_code(email)}
                    ).status_code == 200
    return api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD}
                    ).json["access_token"]


def test_sign_up_takes_a_language_we_speak_and_reads_a_regional_tag_as_its_language(api):
    assert _sign_up(api, "rosa@example.com", language="es-MX").status_code == 202
    profile = api.get("/v1/account", token=_signed_in(api, "rosa@example.com"), headers=EN)
    assert profile.json["language"] == "es"
    assert profile.headers["Content-Language"] == "es"  # the account's language wins

    refused = _sign_up(api, "pierre@example.com", language="fr")
    assert refused.status_code == 400 and refused.json["code"] == "invalid_request"
    assert refused.json["errors"] == [{"field": "language", "problem": "must be one of en, es"}]
    assert sent_emails("pierre@example.com") == []
    odd = _sign_up(api, "odd@example.com", language="es mx!")
    assert odd.status_code == 400 and odd.json["errors"][0]["field"] == "language"

    assert _sign_up(api, "plain@example.com").status_code == 202
    plain = api.get("/v1/account", token=_signed_in(api, "plain@example.com"), headers=ES)
    assert plain.json["language"] is None and plain.headers["Content-Language"] == "es"


def test_a_family_chooses_its_language_and_it_wins_over_accept_language(api, make_family):
    _email, _password, tokens = make_family()
    token = tokens["access_token"]
    chosen = api.call("PATCH", "/v1/account", {"language": "ES-mx"}, token=token, headers=EN)
    assert chosen.status_code == 200 and chosen.json["language"] == "es"
    assert chosen.headers["Content-Language"] == "es"  # the answer speaks the new language
    assert api.get("/v1/account", token=token, headers=EN).json["language"] == "es"

    link = api.call("PATCH", "/v1/account", {"full_name": "Win at evil.example"}, token=token,
                    headers=EN)
    assert link.status_code == 400 and link.headers["Content-Language"] == "es"
    assert link.json["title"] == "Solicitud no válida"
    assert link.json["errors"] == [{"field": "full_name",
                                    "problem": "no puede contener una dirección web ni un enlace"}]
    assert link.json["detail"] == "full_name: no puede contener una dirección web ni un enlace."

    refused = api.call("PATCH", "/v1/account", {"language": "fr"}, token=token, headers=EN)
    assert refused.status_code == 400
    assert refused.json["detail"] == "language debe ser uno de estos valores: en, es."
    assert refused.json["errors"][0]["field"] == "language"
    assert api.get("/v1/account", token=token).json["language"] == "es", "nothing changed"

    back = api.call("PATCH", "/v1/account", {"language": "en"}, token=token, headers=ES)
    assert back.json["language"] == "en" and back.headers["Content-Language"] == "en"
    cursor = api.get("/v1/account/activity?cursor=forged", token=token, headers=ES)
    assert cursor.status_code == 400 and cursor.json["detail"] == \
        "The cursor is not valid for this list."


def test_staff_follow_their_account_and_kiosks_follow_accept_language(world):
    api = world.api
    assert api.call("PATCH", "/v1/account", {"language": "es"}, token=world.staff
                    ).json["language"] == "es"
    staff = api.get("/v1/staff/kiosks?cursor=forged", token=world.staff, headers=EN)
    assert staff.status_code == 400 and staff.headers["Content-Language"] == "es"
    assert staff.json["detail"] == "El cursor no es válido para esta lista."
    other_staff = api.get("/v1/staff/kiosks?cursor=forged", token=world.other_staff, headers=ES)
    assert other_staff.json["detail"] == "El cursor no es válido para esta lista."
    assert api.get("/v1/staff/kiosks?cursor=forged", token=world.other_staff, headers=EN
                   ).json["detail"] == "The cursor is not valid for this list."

    inmate = world.inmate_token()
    for headers, language, detail in [
            (ES, "es", "El cursor no es válido para esta lista."),
            (EN, "en", "The cursor is not valid for this list.")]:
        answer = api.get("/v1/inmate/messages?cursor=forged", token=inmate, headers=headers)
        assert answer.status_code == 400 and answer.headers["Content-Language"] == language
        assert answer.json["detail"] == detail
    wrong = api.post("/v1/inmate/login", {"facility_id": "demo-county", "inmate_number": "A1001",
                                          "pin": "000000"}, headers=ES)
    assert wrong.status_code == 401 and wrong.json["code"] == "invalid_credentials"
    assert wrong.json["title"] == "Credenciales no válidas"
    assert wrong.json["detail"] == "El centro, el número de recluso o el PIN no son correctos."


def test_chalices_own_refusals_speak_the_requests_language(api):
    answer = api.call("PUT", "/v1/health", headers=ES)
    assert answer.status_code == 405 and answer.json["code"] == "method_not_allowed"
    assert answer.json["detail"] == "Este método no se admite en este recurso."
    assert answer.headers["Content-Language"] == "es"
    assert api.call("PUT", "/v1/health", headers=EN).json["detail"] == \
        "This method is not supported on this resource."


# --- what the sentences say in each language (no AWS) --------------------------------------

@pytest.mark.parametrize("seconds, english, spanish", [
    (60, "for 1 minute.", "durante 1 minuto."),
    (61, "for 2 minutes.", "durante 2 minutos."),
    (900, "for 15 minutes.", "durante 15 minutos."),
])
def test_waits_are_counted_with_plural_forms(seconds, english, spanish):
    assert english in AccountLocked(seconds).detail
    with i18n.using("es"):
        assert spanish in AccountLocked(seconds).detail
        assert SourceRateLimited(seconds).detail.startswith("Llegaron demasiadas solicitudes")
        assert KioskPaused(seconds).detail.startswith("Este quiosco queda en pausa durante")


def test_deposit_limits_name_the_money_in_the_readers_conventions():
    rules = MoneyRules(min_cents=100, max_cents=30000, daily_cap_cents=100000)
    assert rules.limit_problem(99, 0) == "The smallest deposit this facility accepts is $1.00."
    with i18n.using("es"):
        assert rules.limit_problem(99, 0) == \
            "El depósito mínimo que acepta este centro es de 1,00\xa0US$."
        assert rules.limit_problem(6000, 95000) == ("Este centro permite 1.000,00\xa0US$ por "
                                                    "remitente al día; hoy todavía puede enviar "
                                                    "50,00\xa0US$.")


def test_field_problems_and_device_names_are_in_the_current_language():
    body = schema.obj({"name": schema.string(1, 5), "count": schema.integer(1, 3),
                       "tags": {"type": "array", "items": schema.string(), "maxItems": 1}})
    wrong = {"name": "toolong", "count": 9, "tags": ["a", "b"], "extra": True}
    english = {item["field"]: item["problem"] for item in schema.problems(body, wrong)}
    assert english == {"name": "must be at most 5 characters", "count": "must be at most 3",
                       "tags": "must hold at most 1 item", "extra": "is not a known field"}
    with i18n.using("es"):
        spanish = {item["field"]: item["problem"] for item in schema.problems(body, wrong)}
        assert devices.label("Mozilla/5.0 (Windows NT 10.0) Firefox/140.0") == \
            "Firefox en Windows"
        assert devices.label("") == "Dispositivo desconocido"
    assert spanish == {"name": "debe tener como máximo 5 caracteres",
                       "count": "debe ser como máximo 3",
                       "tags": "debe contener como máximo 1 elemento",
                       "extra": "no es un campo conocido"}


def test_every_sentence_zxcvbn_can_say_is_in_the_catalog():
    """Its feedback is English only; ours maps each of its sentences through the catalog, so a
    new version's new sentence fails here instead of reaching a person untranslated."""
    source = Path(importlib.util.find_spec("zxcvbn.feedback").origin)
    said = {node.args[0].value for node in ast.walk(ast.parse(source.read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_"
            and isinstance(node.args[0], ast.Constant)}
    assert said == passwords.ZXCVBN_FEEDBACK
    with i18n.using("es"), pytest.raises(passwords.WeakPassword) as refused:
        passwords.check_new_password("password1234")
    assert refused.value.detail == "Esta contraseña es demasiado fácil de adivinar."
    assert "Es una contraseña muy común." in refused.value.extensions["suggestions"]
