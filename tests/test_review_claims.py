"""Issue 13 finding 6: reviewers claim batches of pending messages under a short lease from a
sparse pending-only index, so two reviewers never get the same messages (no "already decided"),
a lapsed lease frees its messages, and decided messages leave the pool."""
from __future__ import annotations

from datetime import datetime

from chalicelib.core import clock
from chalicelib.messaging import claims, states
from chalicelib.messaging.store import Message
from tests.messaging_support import OTHER_FACILITY_ID, world  # noqa: F401  (fixture)
from tests.mfa_helpers import create_staff, staff_sign_in


def _claim(world, token: str, limit: int):  # noqa: F811
    response = world.api.post("/v1/staff/review-claims", {"limit": limit}, token=token)
    assert response.status_code == 200, response.json
    return [item["message_id"] for item in response.json["items"]], response.json


def _pool(facility_id: str) -> list[Message]:
    return list(Message.by_review_pool.query(facility_id))


def test_two_reviewers_get_disjoint_batches_and_decide_without_collisions(world):  # noqa: F811
    family = world.family(stamps_at_demo=6)
    contact_id = world.contact(family)
    sent = [world.send(family, contact_id, f"Letter {n}").json["message_id"] for n in range(6)]
    create_staff("second@demo-county.example", "Rae Reviewer", facility_id="demo-county")
    second = staff_sign_in(world.api, "second@demo-county.example")["access_token"]

    first_batch, body = _claim(world, world.staff, 4)
    second_batch, _ = _claim(world, second, 4)
    assert first_batch == sent[:4] and second_batch == sent[4:]  # oldest first, disjoint
    lease_end = datetime.fromisoformat(body["lease_expires_at"]).timestamp()
    assert 290 <= lease_end - clock.now() <= 300
    assert all(item["status"] == "pending_review" for item in body["items"])
    assert _claim(world, second, 4)[0] == []  # everything is leased
    assert _claim(world, world.other_staff, 4)[0] == []  # another facility's pool is its own

    for message_id in first_batch:
        assert world.decide(message_id, "approve").status_code == 200
    assert [m.message_id for m in _pool("demo-county")] == second_batch  # decided ones left

    clock.advance(301)  # the second reviewer's lease lapses
    assert _claim(world, world.staff, 10)[0] == second_batch
    assert Message.get(second_batch[0]).claimed_by is not None


def test_one_lease_per_read_decided_messages_leave_and_auto_approved_never_enter(
        world):  # noqa: F811
    from tests.messaging_support import set_rules

    family = world.family(stamps_at_demo=4)
    contact_id = world.contact(family)
    first, stale, fresh = (world.send(family, contact_id, text).json["message_id"]
                           for text in ("one", "two", "three"))
    candidate = next(m for m in _pool("demo-county") if m.message_id == first)
    until = int(clock.now()) + 300
    assert claims._take(candidate, "acc_first", until) is not None
    assert claims._take(candidate, "acc_second", until) is None  # read the same lease: refused
    assert Message.get(first).claimed_by == "acc_first"

    # A decision path that forgot the pool (a future one, say): the claim tidies up.
    Message(stale).update(actions=[Message.status.set(states.DELIVERED)])
    assert _claim(world, world.staff, 5)[0] == [fresh]
    assert {m.message_id for m in _pool("demo-county")} == {first, fresh}

    set_rules(auto_approve_clean_messages=True)
    assert world.send(family, contact_id, "four").json["status"] == "delivered"
    assert len(_pool("demo-county")) == 2 and _pool(OTHER_FACILITY_ID) == []
