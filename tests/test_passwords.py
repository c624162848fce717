"""Passwords exactly as api.md: 12–128 characters after NFKC, every character counts, weak or
common ones refused with suggestions, bcrypt cost from configuration, rehash on cost change."""
from __future__ import annotations

import pytest

from chalicelib.accounts import passwords
from chalicelib.config import get_settings, reset_settings


def signup(api, password, email="pw@example.com"):
    return api.post("/v1/auth/signup", {"email": email, "password": password,
                                        "full_name": "Pat Example"})


@pytest.mark.parametrize("password", ["short pass", "password1234", "Password123!",
                                      "qwertyuiopasdf", "111111111111", "iloveyou2024"])
def test_weak_or_common_passwords_are_refused_with_suggestions(api, password):
    response = signup(api, password)
    assert response.status_code == 400
    assert response.json["code"] == "weak_password"
    assert response.json["suggestions"] and all(isinstance(s, str) for s in response.json["suggestions"])


def test_password_containing_the_email_local_part_is_refused(api):
    response = signup(api, "jacaranda-jacaranda-pw", email="jacaranda@example.com")
    assert response.status_code == 400 and response.json["code"] == "weak_password"


def test_length_bounds_count_characters_after_nfkc(api):
    with pytest.raises(passwords.WeakPassword, match="at least 12"):
        passwords.check_new_password("ﬁﬁﬁﬁﬁ")  # 5 characters, 10 after NFKC
    long_ok = "tangerine-" * 12 + "volcano!"  # 128 characters
    assert len(long_ok) == 128
    assert signup(api, long_ok, email="long@example.com").status_code == 202
    too_long = long_ok + "x"
    response = signup(api, too_long, email="toolong@example.com")
    assert response.status_code == 400 and response.json["code"] == "weak_password"


def test_every_character_counts_beyond_72_bytes():
    base = "ü" * 40  # 80 UTF-8 bytes: bcrypt alone would ignore everything after byte 72
    stored = passwords.hash_password(base + " first ending", cost=4)
    assert passwords.verify_password(base + " first ending", stored)[0]
    assert not passwords.verify_password(base + " other ending", stored)[0]


def test_nfkc_equivalent_passwords_match():
    stored = passwords.hash_password("Ｆｕｌｌｗｉｄｔｈ ｐａｓｓｗｏｒｄ ４２", cost=4)
    assert passwords.verify_password("Fullwidth password 42", stored)[0]


def test_unicode_passwords_are_accepted(api):
    assert signup(api, "кошка собака мышь 7", email="uni@example.com").status_code == 202


def test_cost_comes_from_configuration_and_old_hashes_are_upgraded(api, make_family, monkeypatch):
    from chalicelib.accounts.store import account_by_email

    email, password, _ = make_family(login=False)
    assert "$2b$04$" in account_by_email(email).password_hash
    monkeypatch.setenv("BCRYPT_COST", "5")
    reset_settings()
    get_settings()  # cache now: the test client re-applies the stage's values during requests
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200
    assert "$2b$05$" in account_by_email(email).password_hash
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200
