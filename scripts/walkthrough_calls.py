"""The calls steps of ``make walkthrough``: a family registers the number it takes calls on,
funds its calling balance with no fee, and the demo facility's call platform (its key is
``DEMO_PLATFORM_KEY``, printed by ``make run``) authorises and ends calls: a normal call, a drop
in the first minute (free), a call placed again within 5 minutes (it continues the dropped one,
with no second free minute), an odd request.  Then the family reads its calls and takes its
balance back to its card.
"""
from __future__ import annotations

import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from walkthrough import PASSWORD, RUN, STAFF, call, check, outbox, signed_up, staff_sign_in

PLATFORM = {"X-Platform-Key": os.environ.get(
    "DEMO_PLATFORM_KEY", "plk_demo.demo-platform-key-change-me-4Tq8wZ2mR6vL")}


def texts_to(phone: str) -> list[str]:
    return [sms.get("message", "") for sms in outbox().get("sns", {}).get("SMS", [])
            if sms.get("phone_number") == phone]


def calls_and_calling_balance() -> None:
    token = signed_up(f"calls.{RUN}@example.com")["access_token"]
    phone = f"+1202555{int(RUN, 16) % 10_000:04d}"
    contact = call("POST", "/v1/contacts", {"inmate_id": "inm_A1001"}, token=token).json
    call("POST", f"/v1/staff/contacts/{contact['contact_id']}/decision", {"decision": "approve"},
         token=staff_sign_in(STAFF))
    body = {"phone": phone, "contact_id": contact["contact_id"], "current_password": PASSWORD}
    started = call("POST", "/v1/call-numbers", body, token=token)
    check(started.status == 202, "a family registers a call number (password asked again)")
    code = re.search(r"\b(\d{6})\b", texts_to(phone)[-1]).group(1)
    verified = call("POST", f"/v1/call-numbers/{started.json['number_id']}/verify",
                    {"code": code}, token=token)
    check(verified.json.get("status") == "approved", "the texted code verifies the number")

    ask = {"inmate_number": "A1001", "dialed_number": phone}
    refused = call("POST", "/v1/telephony/calls/authorize", ask, headers=PLATFORM)
    check(refused.json == {"allowed": False, "reason": "no_balance"},
          "without a balance the platform is told no_balance")
    deposit = call("POST", "/v1/deposits", {"account": "calling", "facility_id": "demo-county",
                                            "amount_cents": 300, "payment_method_token": "tok_visa"},
                   token=token, headers={"Idempotency-Key": f"calling-{RUN}"})
    check(deposit.status == 201 and deposit.json["fee_cents"] == 0,
          "a calling deposit of $3.00 carries no fee")

    def placed(seconds: int, cause: str) -> tuple[dict, dict]:
        allowed = call("POST", "/v1/telephony/calls/authorize", ask, headers=PLATFORM).json
        ended = call("POST", f"/v1/telephony/calls/{allowed['call_id']}/end",
                     {"connected_seconds": seconds, "end_cause": cause}, headers=PLATFORM)
        return allowed, ended.json

    first, ended = placed(125, "hangup")
    check(first["allowed"] and first["payer"] == "family" and ended["charge_cents"]
          == 125 * first["rate_cents_per_minute"] // 60,
          f"a 125 s call at {first['rate_cents_per_minute']}¢/min costs {ended['charge_cents']}¢")
    repeat = call("POST", f"/v1/telephony/calls/{first['call_id']}/end",
                  {"connected_seconds": 125, "end_cause": "hangup"}, headers=PLATFORM)
    check(repeat.json["charge_cents"] == ended["charge_cents"], "the same end again: same answer")
    other = call("POST", f"/v1/telephony/calls/{first['call_id']}/end",
                 {"connected_seconds": 300, "end_cause": "hangup"}, headers=PLATFORM)
    check(other.status == 409 and other.json["code"] == "call_already_ended",
          "a different end of an ended call is 409")
    dropped, free = placed(40, "network")
    check(free["charge_cents"] == 0, "a network drop in the first minute costs nothing")
    again, charged = placed(40, "system")
    check(again["continues_call_id"] == dropped["call_id"] and charged["charge_cents"] > 0,
          f"calling back within 5 minutes continues it, no second free minute "
          f"({charged['charge_cents']}¢)")
    odd = call("POST", "/v1/telephony/calls/authorize", {**ask, "inmate_number": "Z0000"},
               headers=PLATFORM)
    check(odd.status == 404, "an unknown inmate number is a clear 404")
    check(call("POST", "/v1/telephony/calls/authorize", ask).status == 401,
          "no platform key: 401")

    listed = call("GET", "/v1/calls", token=token).json["items"]
    check(len(listed) == 3, "the family sees its three calls with their charges",
          [(c["duration_seconds"], c["end_cause"], c["charge_cents"]) for c in listed])
    left = call("GET", "/v1/calling/demo-county", token=token).json["balance_cents"]
    spent = ended["charge_cents"] + charged["charge_cents"]
    check(left == 300 - spent, f"the balance is $3.00 less the calls ({left}¢)")
    refund = call("POST", "/v1/calling/demo-county/refund", token=token).json
    check(refund["amount_cents"] == left and refund["status"] == "sent",
          "the whole balance goes back to the card, fee-free")
    month = datetime.now(ZoneInfo("America/New_York")).strftime("%Y-%m")  # the demo's zone
    statement = call("GET", f"/v1/statements/{month}?facility_id=demo-county", token=token)
    check(statement.status == 200 and len(statement.json["calls"]) == 3
          and statement.json["closing_balance_cents"] == 0 and "visits" in statement.json,
          "the month's statement lists the calls, the deposit and the balance back at $0.00")
    releases = call("GET", "/v1/staff/releases", token=staff_sign_in(STAFF))
    check(releases.status == 200 and "items" in releases.json,
          "staff see released people's balances to pay out")
