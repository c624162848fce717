"""What eMessaging holds about a family account, for export and erasure (core.datarights).
Erasure empties the words the family wrote, puts the pseudonym in place of its name and takes
the messages out of its thread; the inmate keeps the words they wrote, and the stamps paid stay
on each message (a money record).
Why: docs/decisions/data-rights.md"""
from __future__ import annotations

from chalicelib.core import datarights
from chalicelib.core.datarights import Holding, Kept
from chalicelib.core.i18n import N_
from chalicelib.messaging import states
from chalicelib.messaging.store import Message

ERASED_BODY = ""


def export(account_id: str) -> dict[str, list[dict]]:
    return {"messages": [
        {"message_id": m.message_id, "contact_id": m.contact_id, "inmate_id": m.inmate_id,
         "facility_id": m.facility_id, "direction": m.direction, "body": m.body,
         "status": m.status, "sent_at": m.sent_at, "read_at": m.read_at,
         "stamps_spent": int(m.stamps_spent or 0), "rejection_reason": m.rejection_reason}
        for m in Message.by_account.query(account_id)]}


def erase(account_id: str) -> None:
    name = datarights.pseudonym(account_id)
    for found in Message.by_account.query(account_id):
        actions = [Message.family_name.set(name), Message.family_thread_id.remove()]
        if found.direction == states.TO_INMATE:
            actions.append(Message.body.set(ERASED_BODY))
        found.update(actions=actions)


datarights.register(Holding(
    capability="messaging", models=(Message,), export=export, erase=erase,
    kept=(Kept(N_("Messages: who paid how many stamps, and the inmate's own words"),
               N_("Stamps are money; the inmate's letters are theirs. The words you wrote are "
                  "erased."), 7 * 365),)))
