"""Walkthrough steps for data rights (issue 17): a fresh family account of its own (never the
demo's) buys stamps, takes its export, is refused deletion with a wrong password, deletes
itself (stamps refunded, sessions ended, what is kept listed, a confirmation email), and its
address signs up again.  Run last by walkthrough.py."""
from __future__ import annotations

import json
import urllib.request

from walkthrough import PASSWORD, RUN, call, check, emails_to, said, signed_up


def data_rights() -> None:
    email = f"privacy.{RUN}@example.com"
    token = signed_up(email)["access_token"]
    bought = call("POST", "/v1/stamps/purchase", {"facility_id": "demo-county", "quantity": 3,
                                                  "payment_method_token": "tok_visa"},
                  token=token, headers={"Idempotency-Key": f"privacy-stamps-{RUN}"})
    check(bought.status == 201, "a family buys stamps it will not use")
    export = call("GET", "/v1/account/export", token=token)
    data = export.json.get("data", {}) if export.json else {}
    check(export.status == 200 and export.json["schema_version"] == 1
          and data["accounts"]["profile"][0]["email"] == email
          and data["payments"]["stamp_balances"] == [{"facility_id": "demo-county", "balance": 3}],
          "the export holds the profile and the stamp balance, with a schema version")
    asked = call("POST", "/v1/account/export", token=token)
    check(asked.status == 202 and asked.json["status"] == "ready",
          "the family asks for its export as a file", asked.json)
    ready = call("GET", f"/v1/account/exports/{asked.json['export_id']}", token=token)
    with urllib.request.urlopen(ready.json["url"], timeout=30) as response:  # noqa: S310
        document = json.loads(response.read())
    check(ready.status == 200 and document["data"]["accounts"]["profile"][0]["email"] == email,
          "its presigned link (15 minutes) downloads the whole document")
    wrong = call("DELETE", "/v1/account", {"current_password": "not the password at all"},
                 token=token)
    check(wrong.status == 403 and wrong.json["code"] == "reauthentication_required",
          "deleting with a wrong password is refused (and counts as a failed sign-in)")
    deleted = call("DELETE", "/v1/account", {"current_password": PASSWORD}, token=token)
    refunds = (deleted.json or {}).get("refunds", {}).get("stamp_refunds", [])
    check(deleted.status == 202 and [r["stamps"] for r in refunds] == [3],
          "the account is deleted and its unused stamps refunded", deleted.json)
    check(all(k["record"] and k["reason"] for k in deleted.json["kept"]) and deleted.json["kept"],
          "the answer lists what is kept, why and until when")
    check(call("GET", "/v1/account", token=token).status == 401, "its sessions ended at once")
    check(call("DELETE", "/v1/account", {"current_password": PASSWORD}, token=token).status == 401,
          "deleting twice is refused")
    check(any(m["subject"] == said("Your Kinlink account was deleted") for m in emails_to(email)),
          "the deletion is confirmed by email")
    check("access_token" in signed_up(email), "the address can sign up again")
