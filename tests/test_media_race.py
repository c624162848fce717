"""The same attachment sent on several messages at once, over real HTTP (issue 16): the live
stack (chalice's threaded server over the emulator applying one request at a time, as
``make run`` serves it), the file uploaded with a plain multipart POST to the emulator's S3.
Exactly one send wins; the others are 409 ``attachment_already_used`` and spend nothing."""
from __future__ import annotations

import json
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.contacts import service as contacts
from chalicelib.core.identity import Principal
from chalicelib.facilities.seed import DEMO_FACILITY_ID, seed_demo_facility
from scripts.walkthrough_media import upload
from tests import media_files as files
from tests.conftest import STRONG_PASSWORD, last_code
from tests.live_stack import post_json, running_stack
from tests.messaging_support import grant_stamps, stamp_balance

SENDERS = 6
pytestmark = [pytest.mark.live, pytest.mark.slow]


def _get(base_url: str, path: str, token: str) -> dict:
    request = urllib.request.Request(base_url + path,
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local stack)
        return json.loads(response.read())


def test_one_attachment_raced_onto_six_messages_rides_on_exactly_one(aws_state):
    with running_stack() as base_url:
        seed_demo_facility()
        email = "racer@example.com"
        post_json(base_url, "/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                                "full_name": "Rae Racer"})
        post_json(base_url, "/v1/auth/verify-email", {"email": email, "code": last_code(email)})
        token = post_json(base_url, "/v1/auth/login",
                          {"email": email, "password": STRONG_PASSWORD})[1]["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        account_id = _get(base_url, "/v1/account", token)["account_id"]
        contact_id = post_json(base_url, "/v1/contacts", {"inmate_id": "inm_A1001"},
                               headers=auth)[1]["contact_id"]
        contacts.decide(Principal("acc_staff", "staff", "s", DEMO_FACILITY_ID), contact_id,
                        "approve", None)
        grant_stamps(account_id, DEMO_FACILITY_ID, 10)
        photo = files.jpeg()
        status, made = post_json(base_url, f"/v1/contacts/{contact_id}/attachments",
                                 {"kind": "photo", "content_type": "image/jpeg",
                                  "size_bytes": len(photo)}, headers=auth)
        assert status == 201 and upload(made["upload"], photo, "photo.jpg") in (200, 201, 204)
        attachment_id = made["attachment_id"]
        # Processed first (a send racing the processing lease is told "not ready", also 409).
        assert _get(base_url, f"/v1/contacts/{contact_id}/attachments/{attachment_id}",
                    token)["status"] == "ready"

        def send(n: int) -> tuple[int, dict]:
            return post_json(base_url, f"/v1/contacts/{contact_id}/messages",
                             {"body": f"race {n}", "attachment_ids": [attachment_id]},
                             headers={**auth, "Idempotency-Key": uuid.uuid4().hex})

        with ThreadPoolExecutor(SENDERS) as pool:
            answers = list(pool.map(send, range(SENDERS)))
        statuses = sorted(status for status, _ in answers)
        assert statuses == [201] + [409] * (SENDERS - 1), answers
        assert {body["code"] for status, body in answers if status == 409} == {
            "attachment_already_used"}
        assert stamp_balance(account_id) == 10 - 2  # the text and the photo, once
        thread = _get(base_url, f"/v1/contacts/{contact_id}/messages", token)["items"]
        assert len(thread) == 1 and thread[0]["parts"][1]["part"] == attachment_id
