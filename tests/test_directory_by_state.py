"""Issue 13 finding 6: the public facility directory is one sparse index partition per state
(never one key for the whole country), listed by state or walked state after state, and its
answers may be cached (Cache-Control)."""
from __future__ import annotations

from pynamodb.connection.base import Connection

from chalicelib.facilities.seed import DEMO_RULES, seed_demo_facility
from chalicelib.facilities.store import US_STATES, Facility

LISTED = {"demo-county": "MD", "va-one": "VA", "va-two": "VA", "il-one": "IL", "md-two": "MD"}


def _world() -> None:
    seed_demo_facility()
    for facility_id, state in LISTED.items():
        if facility_id != "demo-county":
            Facility(facility_id, name=f"{facility_id} jail", state=state, stamp_price_cents=40,
                     rules=DEMO_RULES).save()
    Facility("hidden", name="Hidden jail", state="VA", directory="unlisted", rules={}).save()


def test_one_state_and_cache_control(api):
    _world()
    response = api.get("/v1/facilities?state=VA")
    assert response.status_code == 200
    assert [f["facility_id"] for f in response.json["items"]] == ["va-one", "va-two"]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert api.get("/v1/facilities?state=ZZ").status_code == 400
    assert api.get("/v1/facilities?state=VA&limit=1").json["next_cursor"] is not None
    assert api.get("/v1/facilities?state=WY").json == {"items": [], "next_cursor": None}


def test_the_walk_goes_state_by_state_and_never_reads_a_national_key(api, monkeypatch):
    _world()
    partitions: list[str] = []
    real_dispatch = Connection.dispatch

    def recording(self, operation_name, operation_kwargs):
        if operation_name == "Query" and operation_kwargs.get("IndexName") == "directory_by_state":
            values = operation_kwargs["ExpressionAttributeValues"]
            partitions.append(next(iter(values.values()))["S"])
        return real_dispatch(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", recording)
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get("/v1/facilities?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200
        seen += [(f["state"], f["facility_id"]) for f in response.json["items"]]
        pages, cursor = pages + 1, response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == [("IL", "il-one"), ("MD", "demo-county"), ("MD", "md-two"),
                    ("VA", "va-one"), ("VA", "va-two")]  # the unlisted one never shows
    assert partitions and set(partitions) <= set(US_STATES)
    assert pages == 3
