"""Facility directory and inmate search (issue 4, api.md "Facilities, inmates, contacts")."""
from __future__ import annotations

from tests.money_fixtures import (DEMO_FACILITY_ID, OTHER_FACILITY_ID, admit, card, facilities,  # noqa: F401
                                  family, staff_token)


def test_facility_directory_is_public_and_publishes_fees_and_limits(api, facilities):
    response = api.get("/v1/facilities")
    assert response.status_code == 200
    by_id = {item["facility_id"]: item for item in response.json["items"]}
    demo = by_id[DEMO_FACILITY_ID]
    assert demo["name"] == "Demo County Jail" and demo["state"] == "MD"
    assert demo["stamp_price_cents"] == 39
    assert demo["deposit_limits"] == {"min_cents": 100, "max_cents": 30000,
                                      "daily_cap_cents": 100000}
    assert {"account": "trust", "up_to_cents": 2000, "fee_cents": 30} in demo["fee_schedule"]
    assert not [tier for tier in demo["fee_schedule"] if tier["account"] == "phone"]
    assert response.json["next_cursor"] is None


def test_facility_directory_pages_with_a_cursor(api, facilities):
    first = api.get("/v1/facilities?limit=1")
    assert len(first.json["items"]) == 1 and first.json["next_cursor"]
    second = api.get(f"/v1/facilities?limit=1&cursor={first.json['next_cursor']}")
    assert second.status_code == 200
    assert first.json["items"][0]["facility_id"] != second.json["items"][0]["facility_id"]
    forged = api.get("/v1/facilities?cursor=abc.def")
    assert forged.status_code == 400


def test_inmate_search_by_name_prefix_and_by_number(api, family):
    _, token = family
    path = f"/v1/facilities/{DEMO_FACILITY_ID}/inmates"
    by_name = api.get(f"{path}?q=Johnson", token=token)
    assert by_name.status_code == 200
    assert [i["inmate_number"] for i in by_name.json["items"]] == ["A1001"]
    assert by_name.json["items"][0] == {"inmate_id": "inm_A1001", "full_name": "Marcus Johnson",
                                        "inmate_number": "A1001", "facility_id": DEMO_FACILITY_ID}
    assert [i["inmate_id"] for i in api.get(f"{path}?q=ruiz,%20e", token=token).json["items"]] == [
        "inm_A1002"]
    by_number = api.get(f"{path}?q=a100", token=token)
    assert {i["inmate_id"] for i in by_number.json["items"]} == {"inm_A1001", "inm_A1002"}
    assert api.get(f"{path}?q=A1002", token=token).json["items"][0]["full_name"] == "Elena Ruiz"
    assert api.get(f"{path}?q=nobody", token=token).json["items"] == []


def test_inmate_search_pages_and_needs_sign_in(api, family):
    _, token = family
    for n in range(5):
        admit(f"inm_X{n}", DEMO_FACILITY_ID, f"X{n:04d}", f"Pat Smith{n}")
    path = f"/v1/facilities/{DEMO_FACILITY_ID}/inmates"
    first = api.get(f"{path}?q=smith&limit=3", token=token)
    assert len(first.json["items"]) == 3 and first.json["next_cursor"]
    rest = api.get(f"{path}?q=smith&limit=3&cursor={first.json['next_cursor']}", token=token)
    assert len(rest.json["items"]) == 2
    other_query = api.get(f"{path}?q=smi&cursor={first.json['next_cursor']}", token=token)
    assert other_query.status_code == 400, "a cursor belongs to its own search"
    assert api.get(f"{path}?q=smith").status_code == 401
    assert api.get("/v1/facilities/nowhere/inmates?q=a", token=token).status_code == 404


def test_staff_search_only_their_own_facility(api, facilities):
    token = staff_token(api, DEMO_FACILITY_ID)
    assert api.get(f"/v1/facilities/{DEMO_FACILITY_ID}/inmates", token=token).status_code == 200
    assert api.get(f"/v1/facilities/{OTHER_FACILITY_ID}/inmates", token=token).status_code == 403


def test_an_inmate_is_charged_by_the_rules_of_its_facility(api, family):
    from chalicelib.facilities.store import Inmate

    _, token = family
    Inmate("inm_new", facility_id=OTHER_FACILITY_ID, inmate_number="B2002", full_name="New Person",
           search_key="person new").save()
    too_much = api.get("/v1/deposits/quote?inmate_id=inm_new&account=trust&amount_cents=25000",
                       token=token)
    assert too_much.status_code == 422, "the other facility's $200.00 maximum applies"
