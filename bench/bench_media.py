"""(p) Photos: re-encoding a 12-megapixel JPEG (4000 x 3000, camera-like noise, with EXIF and
GPS) stays under 1.5 s and 512 MB, and the size of what Pillow and mutagen add to the package.

The work runs in a fresh interpreter, as in a Lambda: ``chalicelib.media.checks.check`` (decode,
orientation, scale to 4096 px, re-encode without metadata, thumbnail) is timed ``RUNS`` times
after one warm-up; peak memory is the process's maximum resident set (what a function's memory
setting must hold).  The goal is the time in the Lambda: CPU time divided by the vCPU share its
memory buys (a loaded machine stretches the wall time measured here, not the CPU time).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.harness import ROOT

RUNS = 5
LAMBDA_MEMORY_MB = 1024  # .chalice/config.json lambda_memory_size: the API's function
SECONDS_GOAL, MEGABYTES_GOAL = 1.5, 512
_PROBE = """
import io, json, random, resource, statistics, sys, time
sys.path.insert(0, ".")
from PIL import Image
from chalicelib.media import checks
from tests.media_files import GPS_IFD

random.seed(7)
noise = Image.frombytes("L", (4000, 3000), random.randbytes(4000 * 3000))
image = Image.merge("RGB", [noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                            noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM)])
exif = Image.Exif()
exif[0x010F] = "PhoneMaker"
exif.get_ifd(GPS_IFD).update({1: "N", 2: (40.0, 41.0, 21.12)})
out = io.BytesIO()
image.save(out, "JPEG", quality=92, exif=exif)
data = out.getvalue()
del image, noise, out
walls, cpus = [], []
for run in range(RUNS + 1):
    started, cpu = time.perf_counter(), time.process_time()
    kept = checks.check("photo", data, max_pixels=50_000_000, max_seconds=30)
    if run:
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
print(json.dumps({"wall": statistics.median(walls), "wall_max": max(walls),
                  "cpu": statistics.median(cpus), "input_mb": len(data) / 1e6,
                  "output_mb": len(kept.media) / 1e6, "size": [kept.width, kept.height],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def reencode() -> dict:
    result = subprocess.run([sys.executable, "-c", _PROBE.replace("RUNS", str(RUNS))], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def added_to_package() -> tuple[float, float]:
    """(unzipped MB, zipped MB) of Pillow (with its bundled libraries) and mutagen."""
    import mutagen
    import PIL

    roots = [Path(PIL.__file__).parent, Path(mutagen.__file__).parent]
    roots += [path for path in roots[0].parent.glob("pillow.libs")]
    files = [path for root in roots for path in root.rglob("*") if path.is_file()
             and "__pycache__" not in path.parts]
    unzipped = sum(path.stat().st_size for path in files)
    with tempfile.TemporaryFile() as stream:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(roots[0].parent))
        zipped = stream.tell()
    return unzipped / 1e6, zipped / 1e6


def run() -> list[tuple]:
    found = reencode()
    unzipped, zipped = added_to_package()
    # Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB.
    share = min(1.0, LAMBDA_MEMORY_MB / 1769)
    in_lambda = found["cpu"] / share
    detail = (f"{found['input_mb']:.1f} MB JPEG (4000x3000) -> {found['output_mb']:.1f} MB "
              f"{found['size'][0]}x{found['size'][1]} without metadata; median of {RUNS}: "
              f"{found['cpu']:.2f} s CPU, {found['wall']:.2f} s wall here (max "
              f"{found['wall_max']:.2f} s; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs), so {in_lambda:.2f} s in a {LAMBDA_MEMORY_MB} MB Lambda "
              f"({share:.2f} vCPU); peak {found['peak_mb']:.0f} MB resident. Pillow + mutagen "
              f"add {unzipped:.1f} MB unzipped, {zipped:.1f} MB zipped to the package (the API "
              "function does the work).")
    return [("photo re-encode 12 MP in Lambda (s)", in_lambda, f"<= {SECONDS_GOAL}", detail),
            ("photo re-encode 12 MP wall here (s)", found["wall"], "", ""),
            ("photo re-encode peak memory (MB)", found["peak_mb"], f"<= {MEGABYTES_GOAL}")]
