"""Languages (issue 11, api.md v2 "Languages"): the account's language, else Accept-Language
with quality values, else English; responses say which with Content-Language and Vary."""
from __future__ import annotations

import pytest

from chalicelib.core import i18n


@pytest.mark.parametrize("header, expected", [
    (None, "en"),
    ("", "en"),
    ("es", "es"),
    ("es-MX,es;q=0.9,en;q=0.8", "es"),
    ("en-US,en;q=0.9,es;q=0.8", "en"),
    ("fr-FR, es;q=0.5, en;q=0.4", "es"),  # French is not spoken: the next best is
    ("en;q=0.2, es;q=0.9", "es"),         # quality, not order, decides
    ("es;q=0, en;q=0.1", "en"),           # q=0 means "not this one"
    ("de, fr", "en"),
    ("es;q=banana", "en"),
    ("x" * 10_000, "en"),
])
def test_accept_language_is_negotiated_by_quality(header, expected):
    assert i18n.negotiate(header) == expected


def test_money_is_formatted_for_the_language():
    with i18n.using("es"):
        assert i18n.format_money(125050) == "1.250,50\xa0US$"
    assert i18n.format_money(125050, "en") == "$1,250.50"


def test_problem_titles_are_spanish_when_the_client_asks(api):
    response = api.get("/v1/account", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert response.status_code == 401
    assert response.json["title"] == "Se requiere iniciar sesión"
    assert response.json["code"] == api.get("/v1/account").json["code"]  # codes never change
    assert response.headers["Content-Language"] == "es"
    assert response.headers["Vary"] == "Accept-Language"


def test_the_accounts_language_wins_over_the_header(api, make_family):
    _email, _password, tokens = make_family()
    token = tokens["access_token"]
    chosen = api.call("PATCH", "/v1/account", {"language": "es"}, token=token,
                      headers={"Accept-Language": "en"})
    assert chosen.status_code == 200
    answer = api.call("PATCH", "/v1/account", {"language": 5}, token=token,
                      headers={"Accept-Language": "en"})
    assert answer.status_code == 400 and answer.json["title"] == "Solicitud no válida"
    assert answer.headers["Content-Language"] == "es"


def test_time_zones_load_without_the_systems_database():
    """Lambda's image is not guaranteed to carry /usr/share/zoneinfo: the pinned ``tzdata``
    package answers instead (facility times in notices depend on it)."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import zoneinfo; "
                           "print(zoneinfo.ZoneInfo('America/New_York').key)"],
                          env={**os.environ, "PYTHONTZPATH": "/nonexistent"},
                          capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "America/New_York", done.stderr
