"""The photos-and-VideoGrams steps of ``make walkthrough`` (issue 16), as a client does them:
ask for an upload slot, upload with a plain HTTP multipart POST to the emulator's S3, read the
attachment's status, send it with a message, let staff decide part by part, and fetch the
approved photo as the family and as the inmate at the kiosk.

``walkthrough.py`` runs ``photos_and_videograms(walk)`` with itself as ``walk`` (its call, check
and sign-in helpers), so the checks count in its total.
"""
from __future__ import annotations

import io
import urllib.request
import uuid


def photo_with_location() -> bytes:
    """A JPEG carrying GPS coordinates in its EXIF, as phones write them."""
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (40.0, 41.0, 21.12), 3: "W", 4: (74.0, 2.0, 40.2)})
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 140, 60)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(slot: dict, data: bytes, filename: str) -> int:
    """POST the file to the presigned form: every field, then the file (multipart/form-data)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in slot["fields"].items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + data + f"\r\n--{boundary}--\r\n".encode())
    request = urllib.request.Request(slot["url"], data=b"".join(parts), method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (the stack's S3)
        return answer.status


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 (presigned GET)
        return answer.read()


def photos_and_videograms(walk) -> None:
    from PIL import Image

    call, check = walk.call, walk.check
    token = walk.signed_up(f"photos.{walk.RUN}@example.com")["access_token"]
    other = walk.signed_up(f"photos.other.{walk.RUN}@example.com")["access_token"]
    inmate_id = call("GET", "/v1/facilities/demo-county/inmates?q=A1001",
                     token=token).json["items"][0]["inmate_id"]
    contact_id = call("POST", "/v1/contacts", {"inmate_id": inmate_id},
                      token=token).json["contact_id"]
    staff = walk.staff_sign_in(walk.STAFF)
    call("POST", f"/v1/staff/contacts/{contact_id}/decision", {"decision": "approve"},
         token=staff)
    call("POST", "/v1/stamps/purchase", {"facility_id": "demo-county", "quantity": 5,
                                         "payment_method_token": "tok_visa"},
         token=token, headers={"Idempotency-Key": f"photo-stamps-{walk.RUN}"})
    photo = photo_with_location()
    attachments = f"/v1/contacts/{contact_id}/attachments"
    heic = call("POST", attachments, {"kind": "photo", "content_type": "image/heic",
                                      "size_bytes": 1000}, token=token)
    check(heic.status == 400, "a HEIC photo is refused with a reason: 400")
    slots = [call("POST", attachments, {"kind": "photo", "content_type": "image/jpeg",
                                        "size_bytes": len(photo)}, token=token)
             for _ in range(2)]
    check(all(slot.status == 201 for slot in slots), "two upload slots (presigned POST)")
    for slot in slots:
        status = upload(slot.json["upload"], photo, "beach.jpg")
        check(status in (200, 201, 204), f"uploaded with plain HTTP to {slot.json['upload']['url']}")
    first, second = (slot.json["attachment_id"] for slot in slots)
    ready = call("GET", f"{attachments}/{first}", token=token)
    check(ready.json["status"] == "ready", "the photo is processed: ready")
    kept = Image.open(io.BytesIO(fetch(ready.json["url"])))
    check(not kept.getexif() and not kept.getexif().get_ifd(0x8825),
          "the kept photo has no EXIF and no GPS (fetched through its 5-minute URL)")
    check(call("GET", f"{attachments}/{first}", token=other).status == 404,
          "another family cannot see the attachment")
    small = call("POST", attachments, {"kind": "photo", "content_type": "image/jpeg",
                                       "size_bytes": 100}, token=token)
    upload(small.json["upload"], photo, "big.jpg")
    refused = call("POST", f"/v1/contacts/{contact_id}/messages",
                   {"body": "Too big", "attachment_ids": [small.json["attachment_id"]]},
                   token=token, headers={"Idempotency-Key": f"photo-big-{walk.RUN}"})
    check(refused.status == 422 and refused.json["errors"][0]["reason"] == "larger_than_declared",
          "a file larger than declared: 422 attachment_rejected, no stamp spent")
    sent = call("POST", f"/v1/contacts/{contact_id}/messages",
                {"body": "The beach today", "attachment_ids": [first, second]},
                token=token, headers={"Idempotency-Key": f"photo-send-{walk.RUN}"})
    check(sent.status == 201 and sent.json["stamps_left"] == 2,
          "text and two photos cost 1 + 1 + 1 stamps, charged together")
    message_id = sent.json["message_id"]
    review = call("GET", f"/v1/staff/messages/{message_id}", token=staff).json
    check(len(review["parts"]) == 3 and fetch(review["parts"][2]["url"])[:2] == b"\xff\xd8",
          "staff see the text and each photo")
    decided = call("POST", f"/v1/staff/messages/{message_id}/decision",
                   {"parts": [{"part": "text", "decision": "approve"},
                              {"part": first, "decision": "approve"},
                              {"part": second, "decision": "reject", "reason": "Other"}]},
                   token=staff)
    check(decided.status == 200 and decided.json["status"] == "delivered",
          "staff approve the text and one photo, reject the other")
    thread = call("GET", f"/v1/contacts/{contact_id}/messages", token=token).json["items"]
    outcome = {part["part"]: part["status"] for part in thread[0]["parts"]}
    stamps = call("GET", "/v1/stamps", token=token).json["items"]
    check(outcome == {"text": "delivered", first: "delivered", second: "rejected"}
          and any(s.get("balance") == 3 for s in stamps),
          "the family sees each part's outcome; the rejected photo's stamp came back")
    inmate = walk.inmate_sign_in("A1001", walk.INMATE_PIN).json["access_token"]
    opened = call("GET", f"/v1/inmate/messages/{message_id}", token=inmate,
                  headers=walk.KIOSK).json
    check([part["part"] for part in opened["parts"]] == ["text", first]
          and fetch(opened["parts"][1]["url"])[:2] == b"\xff\xd8",
          "the inmate sees and fetches the approved photo only")
