"""What a file really is and what may be kept of it, from its bytes alone (no storage, no HTTP).

Photos are decoded and re-encoded with Pillow into a new JPEG that carries pixels only (no
EXIF, GPS, XMP, comment or ICC field survives), after their size in pixels is read from the
header (a decompression bomb is refused before it is decoded).  VideoGrams are checked as MP4,
their duration read from the container with mutagen; their metadata boxes are blanked in place.
Pillow and mutagen are imported inside the functions (cold starts never pay for them).
Why: docs/decisions/media.md
"""
from __future__ import annotations

import io
from typing import NamedTuple

from chalicelib.media import states

JPEG, PNG, HEIC, MP4 = "image/jpeg", "image/png", "image/heic", "video/mp4"
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
LONG_EDGE = 4096  # what a kiosk shows at most; larger photos are scaled down
THUMBNAIL_EDGE = 320
QUALITY = 85


class Rejected(Exception):
    """The file breaks a rule; ``reason`` is one of ``states.REASONS``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Kept(NamedTuple):
    """What is stored of an accepted file: the cleaned media, its thumbnail, what was found."""

    media: bytes
    media_type: str
    thumbnail: bytes
    detected_type: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


def sniff(head: bytes) -> str | None:
    """The file's type from its first bytes (never its name or declared type)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[4:8] == b"ftyp":
        return HEIC if head[8:12] in HEIF_BRANDS else MP4
    return None


def check(kind: str, data: bytes, *, max_pixels: int, max_seconds: int) -> Kept:
    """Accept ``data`` as a ``kind`` (photo or VideoGram) or raise ``Rejected``."""
    detected = sniff(data[:32])
    if kind == states.PHOTO:
        if detected == HEIC:
            raise Rejected(states.HEIC_NOT_SUPPORTED)
        if detected not in (JPEG, PNG):
            raise Rejected(states.NOT_A_PHOTO)
        return _photo(data, detected, max_pixels)
    if detected != MP4:
        raise Rejected(states.NOT_A_VIDEOGRAM)
    return _videogram(data, max_seconds)


def _photo(data: bytes, detected: str, max_pixels: int) -> Kept:
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as opened:
            if opened.width * opened.height > max_pixels:
                raise Rejected(states.TOO_MANY_PIXELS)
            opened.draft("RGB", (LONG_EDGE, LONG_EDGE))  # JPEG: decode at a reduced scale
            image = ImageOps.exif_transpose(opened)  # keep the orientation the EXIF said
            image.load()
        if image.mode not in ("RGB", "L"):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", image.size, "white")
            image.paste(rgba, mask=rgba.getchannel("A"))
        image.thumbnail((LONG_EDGE, LONG_EDGE))
        image.info = {}  # nothing read from the file (comment, XMP, ICC, EXIF) is written back
        media = _jpeg(image)
    except Image.DecompressionBombError:
        raise Rejected(states.TOO_MANY_PIXELS) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise Rejected(states.UNREADABLE) from None
    return Kept(media, JPEG, _thumbnail(image), detected, image.width, image.height)


def _jpeg(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def _thumbnail(image) -> bytes:
    small = image.copy()
    small.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    small.info = {}
    return _jpeg(small)


def _videogram(data: bytes, max_seconds: int) -> Kept:
    from mutagen import MutagenError
    from mutagen.mp4 import MP4 as Mp4File

    try:
        length = Mp4File(io.BytesIO(data)).info.length
    except (MutagenError, ValueError, OSError, EOFError):
        raise Rejected(states.UNREADABLE) from None
    if not length or length <= 0:
        raise Rejected(states.UNREADABLE)
    if length > max_seconds:
        raise Rejected(states.TOO_LONG)
    try:
        cleaned = strip_mp4_metadata(data)
    except ValueError:
        raise Rejected(states.UNREADABLE) from None
    return Kept(cleaned, MP4, _poster(length), MP4, duration_seconds=round(length, 3))


# Boxes that only hold other boxes (walked), and boxes that hold metadata (blanked): user data
# (location ©xyz, maker, software, dates), iTunes-style and QuickTime metadata, XMP in uuid.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}
_METADATA = {b"udta", b"meta", b"uuid", b"XMP_"}


def strip_mp4_metadata(data: bytes) -> bytes:
    """``data`` with every metadata box turned into a zero-filled ``free`` box of the same size:
    no offset moves, so the media data and its sample tables stay valid."""
    buffer = bytearray(data)
    _blank(buffer, 0, len(buffer), top=True)
    return bytes(buffer)


def _blank(buffer: bytearray, start: int, end: int, top: bool = False) -> None:
    position = start
    while position + 8 <= end:
        size = int.from_bytes(buffer[position:position + 4], "big")
        box, header = bytes(buffer[position + 4:position + 8]), 8
        if size == 1:
            size, header = int.from_bytes(buffer[position + 8:position + 16], "big"), 16
        elif size == 0 and top:
            size = end - position
        if size < header or position + size > end:
            raise ValueError("malformed MP4 box")
        if box in _METADATA:
            buffer[position + 4:position + 8] = b"free"
            buffer[position + header:position + size] = bytes(size - header)
        elif box in _CONTAINERS:
            _blank(buffer, position + header, position + size)
        position += size


def _poster(length: float) -> bytes:
    """A VideoGram's thumbnail: a card with a play mark and its length (no video decoder is
    packaged, so no frame is taken from the film)."""
    from PIL import Image, ImageDraw

    card = Image.new("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE * 9 // 16), (32, 36, 44))
    draw = ImageDraw.Draw(card)
    middle_x, middle_y = card.width // 2, card.height // 2
    draw.polygon([(middle_x - 18, middle_y - 24), (middle_x - 18, middle_y + 24),
                  (middle_x + 26, middle_y)], fill=(236, 236, 236))
    seconds = int(round(length))
    draw.text((10, card.height - 22), f"0:{seconds:02d}", fill=(236, 236, 236))
    return _jpeg(card)
