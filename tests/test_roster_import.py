"""Roster imports (api.md v2 "Operating a facility"): CSV or JSON, validated whole, a guard
against mass release, one import at a time, applied as one generation swapped in at once."""
from __future__ import annotations

import json
import threading

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import DomainError
from chalicelib.facilities import roster
from chalicelib.facilities.store import Facility, Inmate, RosterImport, RosterManifest
from tests.messaging_support import DEMO_FACILITY_ID, world  # noqa: F401  (fixture)
from tests.test_money_concurrency import serialised_moto  # noqa: F401  (fixture)

PATH = f"/v1/admin/facilities/{DEMO_FACILITY_ID}/roster"
HEADER = "inmate_number,first_name,last_name,status,housing_unit\n"


def csv_of(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


def put_csv(world, text: str, query: str = ""):
    return world.api.call("PUT", PATH + query, raw=text.encode(), token=world.admin,
                          headers={"Content-Type": "text/csv"})


def names_found(world, *prefixes: str) -> set[str]:
    """The inmate numbers staff find by these number prefixes (held people only)."""
    found = set()
    for prefix in prefixes:
        items = world.api.get(f"/v1/facilities/{DEMO_FACILITY_ID}/inmates?q={prefix}&limit=100",
                              token=world.staff).json["items"]
        found |= {item["inmate_number"] for item in items}
    return found


def everything() -> dict:
    return {"inmates": sorted(json.dumps(i.serialize(), sort_keys=True) for i in Inmate.scan()),
            "facility": json.dumps(Facility.get(DEMO_FACILITY_ID).serialize(), sort_keys=True),
            "manifests": RosterManifest.count(DEMO_FACILITY_ID), "imports": RosterImport.count()}


def roster_rows(n: int, status: str = "in_custody") -> list[str]:
    return [f"A{1001 + i},First{i},Last{i},{status},U-{i}" for i in range(n)]


# --- validation (no AWS) ---------------------------------------------------------------------

def test_every_bad_row_is_named_with_its_field():
    with pytest.raises(roster.RosterInvalid) as caught:
        roster.validated([
            {"inmate_number": "A1", "first_name": "Ana", "last_name": "Diaz", "status": "in_custody"},
            {"inmate_number": "a1", "first_name": "", "last_name": "Ruiz", "status": "gone"},
            {"inmate_number": "B 2", "first_name": "Bo", "last_name": "www.evil.example",
             "status": "released", "housing_unit": "x\u202e"}])
    found = {(e["row"], e["field"]) for e in caught.value.extensions["errors"]}
    assert found == {(2, "inmate_number"), (2, "first_name"), (2, "status"),
                     (3, "inmate_number"), (3, "last_name"), (3, "housing_unit")}
    assert caught.value.code == "roster_invalid"


def test_csv_header_and_field_counts_are_checked():
    with pytest.raises(roster.RosterInvalid) as caught:
        roster.rows_from_csv("number,name\nA1,Ana\n")
    assert caught.value.extensions["errors"][0]["field"] == "header"
    with pytest.raises(roster.RosterInvalid) as caught:
        roster.rows_from_csv(csv_of("A1,Ana,Diaz,in_custody"))
    assert caught.value.extensions["errors"][0] == {
        "row": 1, "field": "row", "problem": "has 4 fields; the header has 5"}
    with pytest.raises(roster.RosterInvalid):  # a NUL byte: refused, never a 500
        roster.validated(roster.rows_from_csv(HEADER + "A1,Ana\x00,Diaz,in_custody,\n"))
    with pytest.raises(roster.RosterInvalid) as caught:  # past the csv module's field limit
        roster.rows_from_csv(HEADER + 'A1,"' + "x" * 200_000 + '",Diaz,in_custody,\n')
    assert caught.value.extensions["errors"][0]["field"] == "file"
    reordered = "\ufefflast_name,first_name,inmate_number,status,housing_unit\r\nDiaz,Ana,a1,in_custody,\r\n"
    assert roster.validated(roster.rows_from_csv(reordered))[0].inmate_number == "A1"


def test_held_counts_only_generations_swapped_in_and_not_abandoned():
    facility = Facility("f", roster_generation=3, roster_abandoned={2})
    before_rosters = Inmate("i")
    assert roster.held(before_rosters, facility)
    assert not roster.held(Inmate("i", admitted_in={4}), facility)  # the running import's
    assert roster.held(Inmate("i", admitted_in={1}, released_in={4}), facility)
    assert not roster.held(Inmate("i", admitted_in={1}, released_in={3}), facility)
    assert roster.held(Inmate("i", admitted_in={1}, released_in={2}), facility)  # abandoned
    assert roster.held(Inmate("i", admitted_in={1, 3}, released_in={2}), facility)
    assert not roster.held(Inmate("i", released_in={1}), facility)


# --- importing over HTTP ---------------------------------------------------------------------

def test_a_csv_import_is_one_generation_and_reports_its_counts(world):
    released = []
    roster.on_release(lambda facility_id, ids, import_id: released.append((facility_id, ids)))
    try:
        response = put_csv(world, csv_of("A1001,Marcus,Johnson,in_custody,B-12",
                                         "A1002,Elena,Ruiz-Vega,in_custody,C-4",
                                         "A2001,Nora,Quinn,in_custody,",
                                         "A2002,Old,Timer,released,"))
        assert response.status_code == 202, response.json
        status = world.api.get(f"{PATH}/imports/{response.json['import_id']}",
                               token=world.admin)
        assert status.status_code == 200
        assert status.json["status"] == "applied"
        assert status.json["counts"] == {"rows": 4, "admitted": 1, "returned": 0, "updated": 1,
                                         "unchanged": 1, "released": 0, "held": 3}
        assert names_found(world, "A1", "A2") == {"A1001", "A1002", "A2001"}
        assert Inmate.get("inm_A1002").full_name == "Elena Ruiz-Vega"
        # The same roster again changes nothing; leaving it releases, returning keeps the id.
        again = put_csv(world, csv_of("A1001,Marcus,Johnson,in_custody,B-12",
                                      "A1002,Elena,Ruiz-Vega,in_custody,C-4",
                                      "A2001,Nora,Quinn,in_custody,"))
        counts = world.api.get(f"{PATH}/imports/{again.json['import_id']}",
                               token=world.admin).json["counts"]
        assert (counts["unchanged"], counts["released"]) == (3, 0)
        nora = roster.new_inmate_id(DEMO_FACILITY_ID, "A2001")
        gone = put_csv(world, csv_of("A1001,Marcus,Johnson,in_custody,B-12",
                                     "A1002,Elena,Ruiz-Vega,in_custody,C-4",
                                     "A2001,Nora,Quinn,released,"), "?confirm_releases=1")
        assert gone.status_code == 202, gone.json
        assert released == [(DEMO_FACILITY_ID, [nora])]
        assert names_found(world, "A2") == set()
        back = put_csv(world, csv_of("A1001,Marcus,Johnson,in_custody,B-12",
                                     "A1002,Elena,Ruiz-Vega,in_custody,C-4",
                                     "A2001,Nora,Quinn,in_custody,"))
        counts = world.api.get(f"{PATH}/imports/{back.json['import_id']}",
                               token=world.admin).json["counts"]
        assert counts["returned"] == 1 and names_found(world, "A2") == {"A2001"}
        assert Inmate.count() == len({i.inmate_id for i in Inmate.scan()})
        assert RosterManifest.count(DEMO_FACILITY_ID) == 1, "older generations are forgotten"
    finally:
        roster._release_listeners.clear()


def test_json_rosters_work_the_same_and_other_facilities_imports_are_private(world):
    body = {"inmates": [{"inmate_number": "A1001", "first_name": "Marcus",
                         "last_name": "Johnson", "status": "in_custody"},
                        {"inmate_number": "A1002", "first_name": "Elena", "last_name": "Ruiz",
                         "status": "in_custody", "housing_unit": "C-3"}]}
    response = world.api.call("PUT", PATH, body, token=world.admin)
    assert response.status_code == 202, response.json
    other = f"/v1/admin/facilities/other-county/roster/imports/{response.json['import_id']}"
    assert world.api.get(other, token=world.admin).json["code"] == "import_not_found"
    assert world.api.call("PUT", PATH, {"inmates": [{"inmate_number": 7}]},
                          token=world.admin).status_code == 400  # a wrong type: the schema's


def test_a_bad_row_changes_nothing(world):
    before = everything()
    response = put_csv(world, csv_of("A1001,Marcus,Johnson,in_custody,B-12",
                                     "A1002,,Ruiz,in_custody,",
                                     "A3001,New,Person,in_custody,"))
    assert response.status_code == 422
    assert response.json["code"] == "roster_invalid"
    assert response.json["errors"] == [{"row": 2, "field": "first_name", "problem": "is required"}]
    assert everything() == before


def test_releasing_more_than_a_tenth_needs_the_number_confirmed(world):
    assert put_csv(world, csv_of(*roster_rows(20))).status_code == 202
    before = everything()
    three_gone = csv_of(*roster_rows(17))
    refused = put_csv(world, three_gone)
    assert refused.status_code == 422 and refused.json["code"] == "mass_release_suspected"
    assert (refused.json["releases"], refused.json["held"]) == (3, 20)
    assert put_csv(world, three_gone, "?confirm_releases=2").status_code == 422
    assert everything() == before
    confirmed = put_csv(world, three_gone, "?confirm_releases=3")
    assert confirmed.status_code == 202
    assert len(names_found(world, "A10")) == 17
    # One of 17 (under a tenth) passes unconfirmed; two (11.8%) would not.
    assert put_csv(world, csv_of(*roster_rows(15))).json["releases"] == 2
    assert put_csv(world, csv_of(*roster_rows(16))).status_code == 202


def test_a_released_inmate_can_no_longer_sign_in_at_the_kiosk(world):
    assert world.inmate_login("A1002").status_code == 200
    put_csv(world, csv_of("A1001,Marcus,Johnson,in_custody,B-12",
                          "A1002,Elena,Ruiz,released,C-3"), "?confirm_releases=1")
    refused = world.inmate_login("A1002")
    assert refused.status_code == 401 and refused.json["code"] == "invalid_credentials"
    assert world.inmate_login("A1001").status_code == 200


def test_one_import_at_a_time_under_two_concurrent_requests(world, serialised_moto):  # noqa: F811
    """Two imports at once: one holds the lease, the other gets 409 ``import_in_progress``."""
    rows = [{"inmate_number": f"C{n}", "first_name": "Pat", "last_name": f"Doe{n}",
             "status": "in_custody"} for n in range(5)]
    entered, answered = threading.Event(), threading.Event()
    original = roster._apply

    def slow_apply(*args, **kwargs):
        entered.set()
        answered.wait(10)  # hold the lease until the other request has its answer
        return original(*args, **kwargs)

    results: list = [None, None]

    def run(index: int) -> None:
        try:
            results[index] = roster.import_roster(DEMO_FACILITY_ID, rows, 2, by=f"t{index}")
        except DomainError as error:
            results[index] = error
            answered.set()

    roster._apply = slow_apply
    try:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=lambda i=i: (barrier.wait(), run(i))) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        roster._apply = original
    codes = sorted(getattr(r, "code", "ok") for r in results)
    assert codes == ["import_in_progress", "ok"], results
    assert entered.is_set()
    assert Facility.get(DEMO_FACILITY_ID).roster_lock_import_id is None


def test_the_lease_lapses_after_ten_minutes_and_an_abandoned_import_never_counts(world):
    rows = [{"inmate_number": "A1001", "first_name": "Marcus", "last_name": "Johnson",
             "status": "in_custody"}, {"inmate_number": "D1", "first_name": "Dee",
                                       "last_name": "Ghost", "status": "in_custody"}]
    facility = Facility.get(DEMO_FACILITY_ID)
    # An import that wrote its changes and then died (say, a Lambda timeout) before its flip.
    generation = roster._take_lease(facility, "imp_dead", clock.now())
    roster._apply(DEMO_FACILITY_ID, generation, {r["inmate_number"]: roster.Row(
        r["inmate_number"], r["first_name"], r["last_name"], r["status"], "") for r in rows},
        roster.held_now(facility), ["A1002"], {})
    assert names_found(world, "D1") == set() and names_found(world, "A1002") == {"A1002"}
    busy = world.api.call("PUT", PATH, {"inmates": rows}, token=world.admin)
    assert busy.status_code == 409 and busy.json["code"] == "import_in_progress"
    clock.advance(roster.LOCK_SECONDS + 1)
    keep_both = [{"inmate_number": n, "first_name": "A", "last_name": "B", "status": "in_custody"}
                 for n in ("A1001", "A1002")]
    assert world.api.call("PUT", PATH, {"inmates": keep_both}, token=world.admin).status_code == 202
    assert names_found(world, "A1") == {"A1001", "A1002"}, "the dead import's release never counts"
    assert names_found(world, "D1") == set(), "nor its admission"
    assert generation in Facility.get(DEMO_FACILITY_ID).roster_abandoned


def test_csv_needs_its_content_type_and_admins_only(world):
    text = csv_of("A1001,Marcus,Johnson,in_custody,")
    as_json = world.api.call("PUT", PATH, raw=text.encode(), token=world.admin)
    assert as_json.status_code == 400  # sent as JSON: not JSON
    assert world.api.call("PUT", PATH, raw=text.encode(), token=world.staff,
                          headers={"Content-Type": "text/csv"}).status_code == 403
    odd = world.api.call("PUT", PATH, raw=b"\xff\xfe", token=world.admin,
                         headers={"Content-Type": "text/csv; charset=utf-8"})
    assert odd.status_code == 400
