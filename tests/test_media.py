"""Photos and VideoGrams (issue 16, docs/api.md "Photos and VideoGrams"): upload slots, the
checks on every file, per-part prices, review, refunds and who may fetch what.  Uploads go to
the in-process emulator's S3 with plain HTTP, as a client does."""
from __future__ import annotations

import base64
import io
import json

import pytest
import requests

from chalicelib import media
from chalicelib.core import aws, clock, housekeeping
from chalicelib.core.datarights import holdings
from chalicelib.media import objects
from chalicelib.media.store import Attachment
from tests import media_files as files
from tests.messaging_support import new_key, set_rules, stamp_balance, world  # noqa: F401


@pytest.fixture
def family_world(world):
    media.ensure_bucket()
    set_rules(photo_price_stamps=2, videogram_price_stamps=3)
    family = world.family(stamps_at_demo=20)
    return world, family, world.contact(family)


def slot(world, family, contact_id, kind="photo", content_type="image/jpeg", size=1000):
    return world.api.post(f"/v1/contacts/{contact_id}/attachments",
                          {"kind": kind, "content_type": content_type, "size_bytes": size},
                          token=family.token)


def upload(world, family, contact_id, data: bytes, kind="photo", content_type="image/jpeg",
           declared: int | None = None, name="photo.jpg") -> str:
    made = slot(world, family, contact_id, kind, content_type, declared or len(data))
    assert made.status_code == 201, made.json
    form = made.json["upload"]
    sent = requests.post(form["url"], data=form["fields"], files={"file": (name, data)},
                         timeout=10)
    assert sent.status_code in (200, 201, 204), sent.text
    return made.json["attachment_id"]


def status(world, family, contact_id, attachment_id):
    return world.api.get(f"/v1/contacts/{contact_id}/attachments/{attachment_id}",
                         token=family.token)


def send(world, family, contact_id, **body):
    return world.api.post(f"/v1/contacts/{contact_id}/messages", body, token=family.token,
                          headers=new_key())


def fetch(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return response.content


def exists(key: str) -> bool:
    listed = aws.client("s3").list_objects_v2(Bucket=objects._bucket(), Prefix=key)
    return any(item["Key"] == key for item in listed.get("Contents", []))


def test_slot_is_one_key_of_at_most_the_declared_size_and_bad_declarations_are_400(
        family_world):
    world, family, contact_id = family_world
    made = slot(world, family, contact_id, size=123_456)
    assert made.status_code == 201 and made.json["status"] == "awaiting_upload"
    policy = json.loads(base64.b64decode(made.json["upload"]["fields"]["policy"]))
    key = f"uploads/{made.json['attachment_id']}"
    assert ["content-length-range", 1, 123_456] in policy["conditions"]
    assert {"key": key} in policy["conditions"] and {"Content-Type": "image/jpeg"} in \
        policy["conditions"]
    item = Attachment.get(made.json["attachment_id"])
    assert item.expires_at is not None  # unsent: the record expires with the upload
    for kind, content_type, size, field in (
            ("photo", "image/heic", 1000, "content_type"),
            ("photo", "image/gif", 1000, "content_type"),
            ("photo", "image/jpeg", 10 * 1024 * 1024 + 1, "size_bytes"),
            ("videogram", "video/quicktime", 1000, "content_type"),
            ("videogram", "video/mp4", 50 * 1024 * 1024 + 1, "size_bytes")):
        refused = slot(world, family, contact_id, kind, content_type, size)
        assert refused.status_code == 400 and refused.json["errors"][0]["field"] == field
    assert "HEIC" in slot(world, family, contact_id, "photo", "image/heic").json["detail"]
    assert slot(world, family, contact_id, "sticker").status_code == 400
    stranger = world.family()
    assert slot(world, stranger, contact_id).status_code == 404
    pending = world.contact(stranger, approve=False)
    assert slot(world, stranger, pending).json["code"] == "contact_not_approved"
    # The local bucket is the template's: private, encrypted, unsent uploads expire in a day.
    s3 = aws.client("s3")
    blocked = s3.get_public_access_block(Bucket=objects._bucket())
    assert all(blocked["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_encryption(Bucket=objects._bucket())[
        "ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"][
        "SSEAlgorithm"] == "AES256"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=objects._bucket())["Rules"]
    assert {"Prefix": "uploads/"} in [rule["Filter"] for rule in rules]
    # The hourly clean-up deletes the records of slots never sent, a day on.
    clock.advance(24 * 3600 + 3700)
    housekeeping.delete_expired()
    assert Attachment.count(item.attachment_id) == 0


def test_photos_are_cleaned_charged_with_the_text_reviewed_per_part_and_fetched_by_the_right_people(
        family_world):
    world, family, contact_id = family_world
    api = world.api
    gps = upload(world, family, contact_id, files.jpeg(gps=True, comment=b"home address",
                                                       xmp=b"<x:xmpmeta>where</x:xmpmeta>"))
    # A PNG named .jpg and declared image/jpeg: its bytes say PNG, and it is read as one.
    named_wrong = upload(world, family, contact_id, files.png(alpha=True), name="beach.jpg")
    ready = status(world, family, contact_id, gps)
    assert ready.json["status"] == "ready" and ready.json["media_type"] == "image/jpeg"
    assert not exists(f"uploads/{gps}")  # the original is gone once processed
    from PIL import Image
    kept = Image.open(io.BytesIO(fetch(ready.json["url"])))
    assert dict(kept.getexif()) == {} and not kept.getexif().get_ifd(files.GPS_IFD)
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(kept.info)
    assert fetch(ready.json["thumbnail_url"])[:3] == b"\xff\xd8\xff"

    before = stamp_balance(family.account_id)
    sent = send(world, family, contact_id, body="Look at the beach", attachment_ids=[gps,
                                                                                   named_wrong])
    assert sent.status_code == 201, sent.json
    assert sent.json["stamps_left"] == before - (1 + 2 + 2) == stamp_balance(family.account_id)
    assert Attachment.get(gps).message_id == sent.json["message_id"]
    assert Attachment.get(named_wrong).detected_type == "image/png"  # processed at the send
    assert Attachment.get(gps).expires_at is None
    message_id = sent.json["message_id"]
    again = send(world, family, contact_id, body="Twice", attachment_ids=[gps])
    assert again.status_code == 409 and again.json["code"] == "attachment_already_used"

    # Staff see the text and each item (5-minute URLs), and decide each part.
    staff_view = api.get(f"/v1/staff/messages/{message_id}", token=world.staff).json
    assert [part["part"] for part in staff_view["parts"]] == ["text", gps, named_wrong]
    assert "X-Amz-Expires=300" in staff_view["parts"][1]["url"]
    fetch(staff_view["parts"][2]["url"])
    decided = api.post(
        f"/v1/staff/messages/{message_id}/decision",
        {"parts": [{"part": "text", "decision": "approve"},
                   {"part": gps, "decision": "approve"},
                   {"part": named_wrong, "decision": "reject", "reason": "Other"}]},
        token=world.staff)
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "delivered"
    assert stamp_balance(family.account_id) == before - 3  # the rejected photo's 2 came back
    thread = api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json["items"]
    shown = {part["part"]: part for part in thread[0]["parts"]}
    assert shown[gps]["status"] == "delivered" and shown["text"]["status"] == "delivered"
    assert shown[named_wrong]["status"] == "rejected"
    assert shown[named_wrong]["reason_code"] and shown[named_wrong]["reason"]

    # The inmate sees the approved parts only, and fetches the approved photo.
    inmate = world.inmate_token()
    opened = api.get(f"/v1/inmate/messages/{message_id}", token=inmate).json
    assert opened["body"] == "Look at the beach"
    assert [part["part"] for part in opened["parts"]] == ["text", gps]
    assert fetch(opened["parts"][1]["url"])[:3] == b"\xff\xd8\xff"

    # Nobody else gets a URL: another family, another facility's staff, another inmate,
    # anonymous.
    stranger = world.family()
    assert status(world, stranger, contact_id, gps).status_code == 404
    assert api.get(f"/v1/contacts/{contact_id}/messages", token=stranger.token).status_code == 404
    assert api.get(f"/v1/staff/messages/{message_id}", token=world.other_staff).status_code == 404
    assert api.get(f"/v1/inmate/messages/{message_id}",
                   token=world.inmate_token("A1002")).status_code == 404
    assert api.get(f"/v1/contacts/{contact_id}/attachments/{gps}").status_code == 401
    other_contact = world.contact(stranger)
    assert send(world, stranger, other_contact, attachment_ids=[gps]).status_code == 404


def test_bad_files_are_refused_with_their_reason_before_any_stamp_is_spent(family_world):
    world, family, contact_id = family_world
    photo = files.jpeg()
    cases = {
        "unreadable": upload(world, family, contact_id, photo[: len(photo) // 2]),
        "too_many_pixels": upload(world, family, contact_id, files.png_bomb_header(),
                                  content_type="image/png"),
        "too_long": upload(world, family, contact_id, files.mp4(31), kind="videogram",
                           content_type="video/mp4", name="clip.mp4"),
        # S3 enforces the slot's size in AWS; the emulator does not, so processing checks too.
        "larger_than_declared": upload(world, family, contact_id, photo,
                                       declared=len(photo) - 10),
        "not_a_photo": upload(world, family, contact_id, files.mp4(5)),
    }
    before = stamp_balance(family.account_id)
    for reason, attachment_id in cases.items():
        refused = send(world, family, contact_id, body="Hi", attachment_ids=[attachment_id])
        assert refused.status_code == 422, (reason, refused.json)
        assert refused.json["code"] == "attachment_rejected"
        assert refused.json["errors"][0] == {"attachment_id": attachment_id, "reason": reason,
                                             "problem": refused.json["errors"][0]["problem"]}
        assert status(world, family, contact_id, attachment_id).json["reason"] == reason
        assert not exists(f"uploads/{attachment_id}")
    never_uploaded = slot(world, family, contact_id).json["attachment_id"]
    waiting = send(world, family, contact_id, attachment_ids=[never_uploaded])
    assert waiting.status_code == 409 and waiting.json["code"] == "attachment_not_ready"
    assert stamp_balance(family.account_id) == before
    assert world.api.get(f"/v1/contacts/{contact_id}/messages",
                         token=family.token).json["items"] == []


def test_videogram_length_is_read_from_the_container_and_its_location_blanked(family_world):
    world, family, contact_id = family_world
    clip = upload(world, family, contact_id, files.mp4(12), kind="videogram",
                  content_type="video/mp4", name="clip.mp4")
    ready = status(world, family, contact_id, clip).json
    assert ready["status"] == "ready" and ready["duration_seconds"] == 12.0
    kept = fetch(ready["url"])
    assert files.LOCATION not in kept and len(kept) == len(files.mp4(12))
    photo = upload(world, family, contact_id, files.jpeg())
    mixed = send(world, family, contact_id, attachment_ids=[clip, photo])
    assert mixed.status_code == 400
    before = stamp_balance(family.account_id)
    sent = send(world, family, contact_id, attachment_ids=[clip])  # no text: only the clip
    assert sent.status_code == 201 and sent.json["stamps_left"] == before - 3
    # A whole decision rejects every part and refunds them all.
    rejected = world.decide(sent.json["message_id"], "reject", "Other")
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert rejected.json["parts"][0]["status"] == "rejected"
    assert stamp_balance(family.account_id) == before


def test_watch_words_still_flag_the_text_and_media_always_wait_for_staff(family_world):
    world, family, contact_id = family_world
    set_rules(photo_price_stamps=2, auto_approve_clean_messages=True,
              watch_words={"en": ["escape"], "es": []})
    photo = upload(world, family, contact_id, files.jpeg())
    sent = send(world, family, contact_id, body="Plan the escape", attachment_ids=[photo])
    assert sent.json["status"] == "pending_review"
    staff_view = world.api.get(f"/v1/staff/messages/{sent.json['message_id']}",
                               token=world.staff).json
    assert staff_view["flagged"] and staff_view["watch_words"] == ["escape"]
    clean = send(world, family, contact_id, body="Hello",
                 attachment_ids=[upload(world, family, contact_id, files.jpeg())])
    assert clean.json["status"] == "pending_review"  # clean text, but a photo: a person looks
    partial = world.api.post(f"/v1/staff/messages/{clean.json['message_id']}/decision",
                             {"parts": [{"part": "text", "decision": "approve"}]},
                             token=world.staff)
    assert partial.status_code == 400  # every part must be named


def test_export_lists_media_and_erasure_deletes_the_files(family_world):
    world, family, contact_id = family_world
    photo = upload(world, family, contact_id, files.jpeg())
    assert status(world, family, contact_id, photo).json["status"] == "ready"
    [holding] = [h for h in holdings() if h.capability == "media"]
    exported = holding.export(family.account_id)["media"]
    assert [item["attachment_id"] for item in exported] == [photo]
    json.dumps(exported)
    holding.erase(family.account_id)
    assert not exists(f"media/{photo}") and not exists(f"thumbs/{photo}")
    assert holding.export(family.account_id) == {"media": []}
