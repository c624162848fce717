"""(v) Visits: listing a week of slots costs one Query per mode whatever the number of visits
ever booked, and holding then booking a visit costs at most six DynamoDB calls.

* Listing: ``booking.list_slots`` for one inmate and one week of video slots at two facilities
  with the same templates, one with 10 past visits and one with 10,000 (each past visit leaves
  its visit item and its place item, written straight with batch writes), interleaved, 25 runs
  each.  Reported: DynamoDB calls per listing, the items the Query reads (``ScannedCount``:
  what DynamoDB charges; the same at both), the ratio of median wall times outside DynamoDB
  calls (goal ≤ 1.5), and the raw ratio for the record: moto sorts a whole partition before
  applying the key condition (see bench_messaging), which DynamoDB never does, so on moto the
  raw time grows with the partition.
* Booking: the calls ``booking.hold`` plus ``booking.book`` make for a paid video visit (the
  card's capture mark included).
"""
from __future__ import annotations

from bench.bench_messaging import dynamo_timer
from bench.harness import dynamo_calls, fresh_aws, interleaved, logs_discarded, timed, wall

RUNS = 25
SMALL, LARGE = 10, 10_000
RATIO_GOAL = 1.5
FACILITIES = {"demo-county": SMALL, "bench-county": LARGE}


def _world():
    """Both facilities, an inmate and an approved family at each; returns the principals."""
    from chalicelib.accounts import Account
    from chalicelib.contacts import CONTACT_APPROVED, Contact, ContactClaim, claim_key
    from chalicelib.core import clock
    from chalicelib.core.identity import Principal
    from chalicelib.facilities import rulebook
    from chalicelib.facilities.seed import DEMO_FACILITY, DEMO_RULES
    from chalicelib.facilities.store import Facility, Inmate

    principals = {}
    for facility_id in FACILITIES:
        Facility(facility_id, rules=rulebook.complete(DEMO_RULES), rules_version=1,
                 **{k: v for k, v in DEMO_FACILITY.items() if k != "facility_id"}).save()
        inmate_id, account_id = f"inm_{facility_id}", f"acc_{facility_id}"
        Inmate(inmate_id, facility_id=facility_id, inmate_number="B1", full_name="Bench Inmate",
               search_key="inmate bench").save()
        Account(account_id, email=f"{facility_id}@example.com", full_name="Pat Bench",
                password_hash="x", created_at=clock.iso(), password_changed_at=clock.iso()).save()
        Contact(f"con_{facility_id}", account_id=account_id, inmate_id=inmate_id,
                facility_id=facility_id, status=CONTACT_APPROVED, review_key="x",
                family_name="Pat Bench", inmate_name="Bench Inmate", inmate_number="B1",
                created_at=clock.iso(), created_key="x").save()
        ContactClaim(claim_key(account_id, inmate_id), contact_id=f"con_{facility_id}").save()
        principals[facility_id] = (Principal(account_id, "family", "ses"), inmate_id)
    return principals


def _past_visits(facility_id: str, count: int) -> None:
    """``count`` completed video visits, one every half hour up to yesterday."""
    from chalicelib.core import clock
    from chalicelib.visits import slots
    from chalicelib.visits.store import Visit, VisitPlace

    first = int(clock.now()) - 86400 - count * 1800
    with VisitPlace.batch_write() as places, Visit.batch_write() as visits:
        for n in range(count):
            starts = first + n * 1800
            visit_id = f"vis_{facility_id}_{n:05d}"
            stamp = slots.make_id("", "", starts).rsplit(".", 1)[1]
            places.save(VisitPlace(f"{facility_id}#video", f"{stamp}#000", holder=visit_id,
                                   holder_kind="visit"))
            visits.save(Visit(
                visit_id, account_id="acc_past", inmate_id="inm_past", facility_id=facility_id,
                mode="video", status="completed", slot_id=f"{facility_id}.video.{stamp}",
                starts=starts, ends=starts + 1800, starts_at=clock.iso(starts),
                ends_at=clock.iso(starts + 1800), starts_key=f"{clock.iso(starts)}#{visit_id}",
                facility_day=f"{facility_id}#{clock.iso(starts)[:10]}",
                lane=f"{facility_id}#video", place=f"{stamp}#000", inmate_week="x",
                entry_id="x", minimum_notice_hours=24, family_name="Past",
                inmate_name="Past", created_at=clock.iso(starts)))


def run() -> list[tuple]:
    from datetime import timedelta

    from chalicelib.core import clock
    from chalicelib.payments import processor
    from chalicelib.visits import booking, slots
    from chalicelib.visits.store import VisitPlace

    rows = []
    dynamo_timer()  # before fresh_aws creates the clients that report to it
    with fresh_aws(), logs_discarded():
        processor.use_processor(processor.TestProcessor())
        principals = _world()
        for facility_id, count in FACILITIES.items():
            _past_visits(facility_id, count)
        first = slots.local_date(clock.now(), slots.zone("America/New_York")) + timedelta(days=2)
        last = first + timedelta(days=6)

        def listing(facility_id: str):
            principal, inmate_id = principals[facility_id]
            return lambda: timed(lambda: booking.list_slots(principal, facility_id, inmate_id,
                                                            "video", first, last))

        calls = {}
        for facility_id in FACILITIES:
            with dynamo_calls().counting() as made:
                listing(facility_id)()
            calls[facility_id] = made
        timer = dynamo_timer()

        def outside(facility_id: str):
            def sample():
                inside = timer.seconds
                taken = listing(facility_id)()
                return taken[0] - (timer.seconds - inside), taken[1]
            return sample

        small, large = interleaved(RUNS, listing("demo-county"), listing("bench-county"))
        small_ours, large_ours = interleaved(RUNS, outside("demo-county"), outside("bench-county"))
        scanned = {}
        for facility_id in FACILITIES:
            results = VisitPlace.query(f"{facility_id}#video", VisitPlace.place.between(
                first.strftime("%Y%m%d"), (last + timedelta(days=1)).strftime("%Y%m%d")))
            list(results)
            scanned[facility_id] = results.page_iter.total_scanned_count
        principal, inmate_id = principals["demo-county"]
        slot = booking.slots.slots_between(
            booking.facilities.visit_mode(booking.facilities.facility("demo-county").rules.as_dict(),
                                          "video"),
            "demo-county", slots.zone("America/New_York"), first, first)[3]
        with dynamo_calls().counting() as booked:
            _status, held = booking.hold(principal, slot.slot_id, inmate_id)
            booking.book(principal, {"hold_id": held["hold_id"],
                                     "payment_method_token": "tok_visa"}, "bench-visit")
        processor.use_processor(None)
    rows.append(("visits: DynamoDB calls per week listing (10 / 10,000 past visits)",
                 float(len(calls["bench-county"])), "<= 3",
                 f"{calls['demo-county']} / {calls['bench-county']}; Query once each"))
    rows.append(("visits: places read by the listing Query (10 / 10,000 past)",
                 float(scanned["bench-county"]), f"<= {scanned['demo-county']}",
                 f"{scanned['demo-county']} / {scanned['bench-county']}"))
    rows.append(("visits: week listing, 10,000 past visits vs 10, outside DynamoDB calls",
                 wall(large_ours) / wall(small_ours), f"<= {RATIO_GOAL}",
                 f"{wall(small_ours) * 1000:.1f} ms vs {wall(large_ours) * 1000:.1f} ms"))
    rows.append(("visits: same, raw wall ratio on moto (partition sorted whole)",
                 wall(large) / wall(small), "",
                 f"{wall(small) * 1000:.1f} ms vs {wall(large) * 1000:.1f} ms"))
    rows.append(("visits: DynamoDB calls to hold and book a paid video visit",
                 float(len(booked)), "<= 6", ", ".join(booked)))
    return rows


if __name__ == "__main__":
    from bench.harness import prepare_environment

    prepare_environment()
    for row in run():
        print(row)
