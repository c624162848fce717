"""Messages carrying photos or a VideoGram: the text and each attachment are parts, each
priced, reviewed, refunded and shown on its own (docs/api.md "Photos and VideoGrams").

A message is ``delivered`` when any part is approved and ``rejected`` when every part is; only
rejected parts give their stamps back, in the decision's transaction.  The inmate sees the
approved parts only.  Messages without attachments keep ``parts`` empty and the v1 rules.
Why: docs/decisions/media.md
"""
from __future__ import annotations

from chalicelib import facilities, media
from chalicelib.core import audit, i18n
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.i18n import _
from chalicelib.core.identity import Principal
from chalicelib.core.store import StateChanged, write_together
from chalicelib.messaging import states
from chalicelib.messaging.store import Message
from chalicelib.payments import credit_stamps

TEXT = "text"
# What a facility's rules say when they name no media prices (facilities' own defaults).
DEFAULT_PRICES = {media.PHOTO: ("photo_price_stamps", 1),
                  media.VIDEOGRAM: ("videogram_price_stamps", 2)}


def new_parts(body: str, items: list, rules: dict) -> list[dict]:
    """The parts of a message sent with ``items`` (attachments), each with its price in stamps."""
    pending = str(states.PENDING_REVIEW)  # plain strings: the list is stored as it is
    parts = [{"part": TEXT, "kind": TEXT, "stamps": 1, "status": pending}] if body else []
    for item in items:
        field, default = DEFAULT_PRICES[item.kind]
        parts.append({"part": item.attachment_id, "kind": str(item.kind),
                      "stamps": int(rules.get(field, default)), "status": pending})
    return parts


def cost(parts: list[dict]) -> int:
    return sum(int(part["stamps"]) for part in parts)


def stored(message: Message) -> list[dict]:
    return [dict(part) for part in (message.parts or [])]


# --- review --------------------------------------------------------------------------------

def rejection_reason(facility_id: str, reason: str | None, field: str = "reason"):
    """A rejection's reason as the facility's ``(code, {language: words})``; 400 otherwise."""
    rules = facilities.facility(facility_id).rules
    rules = rules.as_dict() if hasattr(rules, "as_dict") else dict(rules)
    code = facilities.reason_code(rules, reason)
    if code is None:
        allowed = [known["code"] for known in facilities.rejection_reasons(rules)]
        raise InvalidRequest(_("reason must be one of the facility's rejection reasons."),
                             code="invalid_rejection_reason", allowed_reasons=list(allowed),
                             errors=[{"field": field, "problem": _(
                                 "must be one of %(choices)s", choices="; ".join(allowed))}])
    return code, facilities.reason_texts(rules, code)


def decide(principal: Principal, message: Message, decisions: list[dict],
           note: str | None) -> None:
    """Decide every part of ``message`` at once: ``decisions`` names each part exactly once
    (``{part, decision, reason?}``).  Raises ``StateChanged`` when it was decided meanwhile."""
    parts = stored(message)
    names = [decision["part"] for decision in decisions]
    known = [part["part"] for part in parts]
    if sorted(names) != sorted(known):
        raise InvalidRequest(_("parts must name each part of the message once: %(parts)s.",
                               parts=", ".join(known)),
                             errors=[{"field": "parts", "problem": _(
                                 "must name each of %(choices)s once", choices=", ".join(known))}])
    by_name = {decision["part"]: decision for decision in decisions}
    for part in parts:
        decision = by_name[part["part"]]
        part["status"] = str(states.MESSAGE_DECISIONS[decision["decision"]])
        if part["status"] == states.REJECTED:
            code, texts = rejection_reason(message.facility_id, decision.get("reason"),
                                           f"parts[{names.index(part['part'])}].reason")
            part.update(reason_code=code, reason_texts=texts)
    refund = sum(int(part["stamps"]) for part in parts if part["status"] == states.REJECTED)
    rejected_all = all(part["status"] == states.REJECTED for part in parts)
    to_status = states.REJECTED if rejected_all else states.DELIVERED
    entry = audit.entry(f"message#{message.message_id}", principal, "decide_parts",
                        message.status, to_status, note=note,
                        reason="; ".join(f"{part['part']}: {part['status']}"
                                         + (f" ({part['reason_code']})"
                                            if part.get("reason_code") else "")
                                         for part in parts),
                        watch_words=list(message.watch_words))
    _store(message, parts, to_status, entry, refund if message.stamps_spent else 0)


def _store(message: Message, parts: list[dict], to_status: str, entry, refund: int) -> None:
    actions = [Message.parts.set(parts), Message.status.set(to_status),
               Message.review_key.set(audit.review_key(message.facility_id, to_status)),
               Message.decided_at.set(entry.at)]
    if to_status == states.REJECTED:
        first = parts[0]
        actions += [Message.rejection_reason.set(first["reason_texts"].get("en")),
                    Message.rejection_reason_code.set(first["reason_code"]),
                    Message.rejection_reason_texts.set(first["reason_texts"])]
    else:
        actions.append(Message.inbox_inmate_id.set(message.inmate_id))

    def build(transaction):
        transaction.update(message, actions=actions,
                           condition=Message.status == states.PENDING_REVIEW)
        if refund:
            credit_stamps(transaction, message.payer_account_id, message.facility_id, refund)
        audit.append(transaction, entry)

    write_together(build, {Message: StateChanged})


# --- views -----------------------------------------------------------------------------------

def render(message: Message, approved_only: bool = False) -> list[dict]:
    """Each part with its status and reason (in the reader's language) and, for attachments,
    5-minute viewing URLs; ``approved_only`` (the inmate) leaves out parts not delivered."""
    shown = []
    for part in stored(message):
        if approved_only and part["status"] != states.DELIVERED:
            continue
        texts = dict(part.get("reason_texts") or {})
        view = {"part": part["part"], "kind": part["kind"], "stamps": int(part["stamps"]),
                "status": part["status"], "reason_code": part.get("reason_code"),
                "reason": texts.get(i18n.current()) or texts.get("en")}
        if part["kind"] != TEXT:
            view.update(media.viewing_urls(part["part"]))
        shown.append(view)
    return shown


def text_visible_to_inmate(message: Message) -> bool:
    return not message.parts or any(part["part"] == TEXT and part["status"] == states.DELIVERED
                                    for part in stored(message))
