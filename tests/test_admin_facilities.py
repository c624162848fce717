"""Operating a facility (api.md v2): admins create and change facilities and put their rules;
the law's and the contract's limits refuse a rules document with 422 ``rule_not_allowed``;
deposits and stamp purchases read the facility's rules (no copies on inmates)."""
from __future__ import annotations

import copy

import pytest

from chalicelib.core.store import get_or_none
from chalicelib.facilities import caps, rulebook
from chalicelib.facilities.seed import DEMO_RULES
from chalicelib.facilities.store import Facility, Inmate
from tests.messaging_support import DEMO_FACILITY_ID, MARCUS, world  # noqa: F401  (fixture)
from tests.money_fixtures import card, deposit_body, post_deposit  # noqa: F401  (fixture)

NEW = {"facility_id": "lake-county", "name": "Lake County Jail", "state": "IL",
       "timezone": "America/Chicago", "kind": "jail", "average_daily_population": 420}


def rules(**changes) -> dict:
    document = copy.deepcopy(DEMO_RULES)
    document.update(changes)
    return document


# --- pure rules ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, population, tier", [
    ("prison", 5, "prison"), ("jail", 1000, "large_jail"), ("jail", 999, "medium_jail"),
    ("jail", 350, "medium_jail"), ("jail", 349, "small_jail"), ("jail", 100, "small_jail"),
    ("jail", 99, "very_small_jail"), ("jail", 50, "very_small_jail"),
    ("jail", 49, "extremely_small_jail"), ("jail", 0, "extremely_small_jail")])
def test_the_size_tier_follows_from_kind_and_average_daily_population(kind, population, tier):
    assert caps.size_tier(kind, population) == tier


def test_caps_are_dated_data_the_newest_table_in_force_applies():
    assert caps.cap("medium_jail", "audio", "2025-06-01") == caps.Cap(7, "FCC 24-75", "2024-11-01")
    assert caps.cap("medium_jail", "audio", "2026-04-06") == caps.Cap(12, "FCC 25-75", "2026-04-06")
    assert caps.cap("extremely_small_jail", "video", "2026-12-01").cents_per_minute == 44


def test_a_trust_fee_may_cover_the_processor_cost_and_no_more():
    cost = {"percent": 2.9, "fixed_cents": 30}
    assert rulebook.processor_cost_cents(100, 34, cost) == 34  # 2.9% of $1.34, rounded up, + 30¢
    ok = rules(fee_tiers=[{"up_to_cents": 2000, "fee_cents": 34}])
    assert rulebook.forbidden(ok, "jail", 420, "2026-12-01") == []
    too_much = rules(fee_tiers=[{"up_to_cents": 2000, "fee_cents": 35}])
    [found] = rulebook.forbidden(too_much, "jail", 420, "2026-12-01")
    assert found["field"] == "fee_tiers[0].fee_cents"
    # Each tier is judged at its own smallest amount (here $20.01 for the second).
    second = rules(fee_tiers=[{"up_to_cents": 2000, "fee_cents": 30},
                              {"up_to_cents": 10000, "fee_cents": 92}])
    assert [f["field"] for f in rulebook.forbidden(second, "jail", 420, "2026-12-01")] == [
        "fee_tiers[1].fee_cents"]


def test_the_same_rate_is_legal_in_a_small_jail_and_not_in_a_large_one():
    document = rules(call_rate_cents_per_minute=13)
    assert rulebook.forbidden(document, "jail", 200, "2026-12-01") == []
    [found] = rulebook.forbidden(document, "jail", 2000, "2026-12-01")
    assert found["field"] == "call_rate_cents_per_minute" and "FCC 25-75" in found["problem"]


# --- over HTTP -------------------------------------------------------------------------------

def test_admin_creates_changes_and_opens_a_facility(world):
    api, admin = world.api, world.admin
    created = api.post("/v1/admin/facilities", NEW, token=admin)
    assert created.status_code == 201, created.json
    assert created.json["facility_id"] == "lake-county"
    assert created.json["size_tier"] == "medium_jail" and created.json["listed"] is False
    assert api.post("/v1/admin/facilities", NEW, token=admin).json["code"] == "facility_exists"
    bad_zone = api.post("/v1/admin/facilities", {**NEW, "facility_id": "x-county",
                                                 "timezone": "Mars/Olympus"}, token=admin)
    assert bad_zone.status_code == 400 and bad_zone.json["errors"][0]["field"] == "timezone"
    assert get_or_none(Facility, "x-county") is None
    # Not listed, sells no stamps, publishes nothing until it has rules.
    assert "lake-county" not in [f["facility_id"] for f in api.get("/v1/facilities").json["items"]]
    assert api.get("/v1/facilities/lake-county/policies").status_code == 404

    changed = api.call("PATCH", "/v1/admin/facilities/lake-county",
                       {"average_daily_population": 1200, "timezone": "America/New_York"},
                       token=admin)
    assert changed.status_code == 200
    assert (changed.json["size_tier"], changed.json["timezone"]) == ("large_jail", "America/New_York")
    assert api.call("PATCH", "/v1/admin/facilities/nowhere", {"name": "X"},
                    token=admin).status_code == 404

    put = api.call("PUT", "/v1/admin/facilities/lake-county/rules", rules(), token=admin)
    assert put.status_code == 200, put.json
    assert put.json["calling_fee_tiers"] == [] and put.json["photo_price_stamps"] == 1
    listed = {f["facility_id"]: f for f in api.get("/v1/facilities").json["items"]}
    assert listed["lake-county"]["stamp_price_cents"] == 39
    stored = Facility.get("lake-county")
    assert int(stored.rules_version) == 1 and stored.rules.as_dict()["fee_tiers"][0]["fee_cents"] == 30


def test_staff_and_families_cannot_operate_facilities(world):
    family = world.family()
    for token in (world.staff, family.token):
        assert world.api.post("/v1/admin/facilities", NEW, token=token).status_code == 403
        assert world.api.call("PUT", f"/v1/admin/facilities/{DEMO_FACILITY_ID}/rules", rules(),
                              token=token).status_code == 403


FORBIDDEN = [
    ("a phone-account fee", {"phone_fee_tiers": [{"up_to_cents": 30000, "fee_cents": 100}]},
     "phone_fee_tiers[0].fee_cents"),
    ("a calling-balance fee", {"calling_fee_tiers": [{"up_to_cents": 5000, "fee_cents": 1}]},
     "calling_fee_tiers[0].fee_cents"),
    ("a video-account fee", {"video_fee_tiers": [{"up_to_cents": 5000, "fee_cents": 50}]},
     "video_fee_tiers[0].fee_cents"),
    ("a call rate above the medium-jail cap", {"call_rate_cents_per_minute": 13},
     "call_rate_cents_per_minute"),
    ("a video price above the cap",
     {"visit_policy": {"video": {"price_cents_per_minute": 20}}},
     "visit_policy.video.price_cents_per_minute"),
    ("a trust fee above processor cost", {"fee_tiers": [{"up_to_cents": 2000, "fee_cents": 295}]},
     "fee_tiers[0].fee_cents"),
]


def test_each_forbidden_rule_is_refused_by_name_and_nothing_changes(world):
    api, admin = world.api, world.admin
    before = Facility.get(DEMO_FACILITY_ID)
    for what, change, field in FORBIDDEN:
        response = api.call("PUT", f"/v1/admin/facilities/{DEMO_FACILITY_ID}/rules",
                            rules(**change), token=admin)
        assert response.status_code == 422, what
        assert response.json["code"] == "rule_not_allowed", what
        assert response.json["rule"] == field, what
        assert response.json["errors"][0]["field"] == field, what
    after = Facility.get(DEMO_FACILITY_ID)
    assert after.rules.as_dict() == before.rules.as_dict()
    assert after.rules_version == before.rules_version
    # Free tiers on those accounts, a rate at the cap and an agency that pays are all fine.
    allowed = rules(phone_fee_tiers=[{"up_to_cents": 30000, "fee_cents": 0}],
                    call_rate_cents_per_minute=12, calls_paid_by="agency")
    assert api.call("PUT", f"/v1/admin/facilities/{DEMO_FACILITY_ID}/rules", allowed,
                    token=admin).status_code == 200


def test_rules_documents_are_checked_before_the_law(world):
    api, admin = world.api, world.admin
    missing = {key: value for key, value in rules().items() if key != "processor_cost"}
    response = api.call("PUT", f"/v1/admin/facilities/{DEMO_FACILITY_ID}/rules", missing,
                        token=admin)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "processor_cost"
    twice = rules(rejection_reasons=[{"code": "a", "en": "A", "es": "A"}] * 2)
    response = api.call("PUT", f"/v1/admin/facilities/{DEMO_FACILITY_ID}/rules", twice,
                        token=admin)
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "rejection_reasons"
    old_shape = rules(watch_words=["escape"])
    assert api.call("PUT", f"/v1/admin/facilities/{DEMO_FACILITY_ID}/rules", old_shape,
                    token=admin).status_code == 400
    assert api.call("PUT", "/v1/admin/facilities/nowhere/rules", rules(),
                    token=admin).status_code == 404


def test_a_rules_change_reaches_every_inmate_without_rewriting_them(world, card):
    """No inmate item holds a copy of the rules: a change is one write to the facility, and the
    next quote, deposit and stamp purchase use it."""
    api, admin = world.api, world.admin
    family = world.family()
    inmate_before = Inmate.get(MARCUS).attribute_values
    quote = f"/v1/deposits/quote?inmate_id={MARCUS}&account=trust&amount_cents=2000"
    assert api.get(quote, token=family.token).json["fee_cents"] == 30
    cheaper = rules(fee_tiers=[{"up_to_cents": 30000, "fee_cents": 0}], stamp_price_cents=25)
    assert api.call("PUT", f"/v1/admin/facilities/{DEMO_FACILITY_ID}/rules", cheaper,
                    token=admin).status_code == 200
    assert Inmate.get(MARCUS).attribute_values == inmate_before
    assert "facility_rules" not in inmate_before
    assert api.get(quote, token=family.token).json["fee_cents"] == 0
    deposit = post_deposit(api, family.token, deposit_body(MARCUS, 2000))
    assert deposit.status_code == 201 and deposit.json["fee_cents"] == 0
    bought = api.post("/v1/stamps/purchase", {"facility_id": DEMO_FACILITY_ID, "quantity": 2,
                                              "payment_method_token": "tok_visa"},
                      token=family.token, headers={"Idempotency-Key": "stamps-after-change"})
    assert bought.status_code == 201 and bought.json["unit_price_cents"] == 25


def test_a_deposit_is_never_charged_by_rules_that_changed_while_it_ran(world, card, monkeypatch):
    """The deposit reads the rules, then its transaction checks they are still in force (on its
    stripe of the rules stamps): an admin's change in between refuses it (409 ``rules_changed``),
    voids the card and records nothing."""
    from chalicelib.payments import charging

    family = world.family()
    original = charging.charge

    def change_rules_first(*args, **kwargs):
        rulebook.put_rules(DEMO_FACILITY_ID, rules(stamp_price_cents=26), by="adm_test")
        return original(*args, **kwargs)

    monkeypatch.setattr("chalicelib.payments.deposits.charge", change_rules_first)
    response = post_deposit(world.api, family.token, deposit_body(MARCUS, 2000))
    assert response.status_code == 409 and response.json["code"] == "rules_changed"
    assert [op for op, *_ in card.operations][-1] == "void"
    monkeypatch.setattr("chalicelib.payments.deposits.charge", original)
    assert post_deposit(world.api, family.token, deposit_body(MARCUS, 2000)).status_code == 201


def test_caps_use_the_day_of_the_change():
    """Before FCC 25-75's compliance date the lower 24-75 cap applies."""
    found = rulebook.forbidden(rules(call_rate_cents_per_minute=10), "jail", 420, "2026-01-15")
    assert "call_rate_cents_per_minute" in [f["field"] for f in found]
    assert rulebook.forbidden(rules(call_rate_cents_per_minute=10), "jail", 420, "2026-12-01") == []


def test_the_demo_seed_goes_through_the_same_services(world):
    """No second path: the seed's facility, rules and roster come from the admin services
    (a rules version, a roster generation, an import record), and running it again keeps the
    demo's inmates and ids."""
    from pathlib import Path

    from chalicelib.facilities import seed
    from chalicelib.facilities.store import RosterImport

    source = Path(seed.__file__).read_text()
    assert ".save(" not in source and "Inmate(" not in source and ".update(" not in source
    facility = Facility.get(DEMO_FACILITY_ID)
    assert (facility.kind, int(facility.rules_version), int(facility.roster_generation)) == (
        "jail", 1, 1)
    [record] = [r for r in RosterImport.scan() if r.facility_id == DEMO_FACILITY_ID]
    assert (record.status, record.created_by, record.counts["admitted"]) == ("applied", "seed", 2)
    seed.seed_demo_facility()
    facility = Facility.get(DEMO_FACILITY_ID)
    assert (int(facility.rules_version), int(facility.roster_generation)) == (2, 2)
    assert {i.inmate_id for i in Inmate.scan() if i.facility_id == DEMO_FACILITY_ID} == {
        MARCUS, "inm_A1002"}
    assert world.inmate_login("A1001").status_code == 200


def test_a_document_without_deposit_bounds_gets_the_default_numbers():
    """Defaults are plain numbers, stored and compared as such (a regression: they were read
    from a NamedTuple's class, i.e. field getters, and a minimal document answered 500)."""
    filled = rulebook.complete({})
    assert (filled["deposit_min_cents"], filled["deposit_max_cents"]) == (100, 30000)
    assert all(isinstance(filled[key], int) for key in (
        "deposit_min_cents", "deposit_max_cents", "daily_cap_cents_per_sender",
        "flag_sender_distinct_inmates_per_day", "flag_inmate_distinct_senders_per_day"))


def test_a_null_inside_the_document_means_not_given():
    """Found by the fuzzer: a nested null was stored and shown, against the published schema."""
    filled = rulebook.complete({"visit_policy": {"video": {"price_cents_per_minute": None}}})
    assert filled["visit_policy"] == {"video": {}}
