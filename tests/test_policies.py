"""A facility's public policies (no sign-in, in the caller's language, each rate with its legal
cap) and the rejection reasons staff read before deciding (api.md v2)."""
from __future__ import annotations

from tests.messaging_support import DEMO_FACILITY_ID, world  # noqa: F401  (fixture)

POLICIES = f"/v1/facilities/{DEMO_FACILITY_ID}/policies"


def test_policies_are_public_with_the_legal_cap_beside_each_rate(world):
    english = world.api.get(POLICIES, headers={"Accept-Language": "en"})
    assert english.status_code == 200
    body = english.json
    assert body["size_tier"] == "medium_jail" and body["language"] == "en"
    [call, video] = body["rates"]
    assert (call["code"], call["cents_per_minute"], call["legal_cap_cents_per_minute"]) == (
        "audio_call", 10, 12)
    assert call["legal_basis"] == "FCC 25-75" and call["max_minutes"] == 15
    assert (video["cents_per_minute"], video["legal_cap_cents_per_minute"]) == (15, 19)
    trust = [fee for fee in body["fees"] if fee["account"] == "trust"]
    assert [(f["up_to_cents"], f["fee_cents"]) for f in trust] == [
        (2000, 30), (10000, 90), (20000, 325), (30000, 620)]
    assert trust[0]["label"] == "Trust account deposit up to $20.00"
    assert {f["account"]: f["fee_cents"] for f in body["fees"] if f["account"] != "trust"} == {
        "phone": 0, "calling": 0, "video": 0}
    assert {"code": "harassment", "text": "Harassment"} in body["rejection_reasons"]
    assert body["visit_rules"]["policy"]["video"]["price_cents_per_minute"] == 15
    assert [limit["cents"] for limit in body["limits"]] == [100, 30000, 100000]
    # The same for a signed-in caller: the answer does not depend on who asks.
    family = world.family()
    signed_in = world.api.get(POLICIES, token=family.token, headers={"Accept-Language": "en"})
    assert signed_in.json == body


def test_policies_speak_the_callers_language(world):
    spanish = world.api.get(POLICIES, headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert spanish.status_code == 200 and spanish.headers["Content-Language"] == "es"
    body = spanish.json
    assert body["language"] == "es"
    assert {"code": "harassment", "text": "Acoso"} in body["rejection_reasons"]
    assert body["rates"][0]["label"] == "Llamada telefónica, por minuto"
    assert body["limits"][0]["label"] == "Depósito mínimo"
    assert "20,00" in body["fees"][0]["label"]  # money in the reader's conventions
    assert body["rates"][0]["code"] == "audio_call", "codes never change with the language"


def test_policies_of_a_facility_without_rules_or_of_none_are_not_found(world):
    assert world.api.get("/v1/facilities/nowhere/policies").status_code == 404
    created = world.api.post("/v1/admin/facilities", {
        "facility_id": "new-county", "name": "New County Jail", "state": "OH",
        "timezone": "America/New_York", "kind": "jail", "average_daily_population": 30},
        token=world.admin)
    assert created.status_code == 201
    missing = world.api.get("/v1/facilities/new-county/policies")
    assert missing.status_code == 404 and missing.json["code"] == "not_found"


def test_staff_read_their_facilitys_rejection_reasons_before_deciding(world):
    api = world.api
    mine = api.get("/v1/staff/rejection-reasons", token=world.staff,
                   headers={"Accept-Language": "es"})
    assert mine.status_code == 200
    assert mine.json["items"][0] == {"code": "safety", "en": "Threatens safety or security",
                                     "es": "Amenaza la seguridad o el orden",
                                     "text": "Amenaza la seguridad o el orden"}
    # The other facility still has its old-shape list: it reads as codes made of the text.
    other = api.get("/v1/staff/rejection-reasons", token=world.other_staff).json["items"]
    assert other == [{"code": "other", "en": "Other", "text": "Other"}]  # no Spanish given: English
    assert api.get(f"/v1/staff/rejection-reasons?facility_id={DEMO_FACILITY_ID}",
                   token=world.other_staff).status_code == 403
    assert api.get("/v1/staff/rejection-reasons", token=world.admin).status_code == 400
    as_admin = api.get(f"/v1/staff/rejection-reasons?facility_id={DEMO_FACILITY_ID}",
                       token=world.admin)
    assert [r["code"] for r in as_admin.json["items"]] == [
        "safety", "contraband", "coded_content", "harassment", "other"]
    assert api.get("/v1/staff/rejection-reasons").status_code == 401
    assert api.get("/v1/staff/rejection-reasons", token=world.family().token).status_code == 403
