"""Files for the media tests, made here (no fixtures on disk): photos with and without
metadata, a bomb's header, damaged files, and minimal MP4 containers of a chosen length."""
from __future__ import annotations

import io
import struct
import zlib

GPS_IFD = 0x8825


def jpeg(size=(640, 480), gps: bool = False, comment: bytes | None = None,
         xmp: bytes | None = None, orientation: int | None = None) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 41.0, 21.12), 3: "W",
                                      4: (74.0, 2.0, 40.2)})
    out = io.BytesIO()
    options = {"exif": exif}
    if comment:
        options["comment"] = comment
    if xmp:
        options["xmp"] = xmp
    image.save(out, "JPEG", **options)
    return out.getvalue()


def png(size=(300, 200), alpha: bool = False) -> bytes:
    from PIL import Image

    image = Image.new("RGBA" if alpha else "RGB", size, (10, 120, 200, 128) if alpha else
                      (10, 120, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb_header(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG signature and header claiming ``width`` x ``height`` pixels, a few bytes of
    compressed zeros after it: decoding it would need gigabytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + _chunk(b"IEND", b""))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


LOCATION = b"+40.6892-074.0445/"


def mp4(seconds: float, location: bool = True) -> bytes:
    """ftyp + moov (mvhd with the duration; udta with a ©xyz location) + a little mdat."""
    timescale = 1000
    mvhd = _box(b"mvhd", struct.pack(">BxxxIIII", 0, 0, 0, timescale, int(seconds * timescale))
                + struct.pack(">IH", 0x00010000, 0x0100) + b"\x00" * 10
                + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
                + b"\x00" * 24 + struct.pack(">I", 2))
    udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(LOCATION), 0x15c7) + LOCATION)) \
        if location else b""
    return (_box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
            + _box(b"moov", mvhd + udta) + _box(b"mdat", b"\x00" * 256))
