"""Make `chalice package`'s deployment.zip lean and precompiled, for the Lambda cold start.

Lambda runs the code from a read-only `/var/task`: Python cannot write `__pycache__` there, so a
package of sources only is compiled on every cold start.  This rewrites the zip:

* every module compiled to `__pycache__/*.cpython-3XX.pyc` with *unchecked-hash* invalidation
  (Python trusts the file without comparing timestamps, which a zip does not keep reliably), by
  the same Python version as the template's Lambda runtime (checked: a mismatch is an error);
* what Lambda never reads left out: test suites shipped inside libraries, wheel bookkeeping
  (`RECORD`, `INSTALLER`, `WHEEL`, licences: `METADATA` stays for `importlib.metadata`),
  botocore's API models of services this app does not call, phonenumbers' geocoding,
  carrier and time-zone data (the app only parses and formats numbers), every file of
  Swagger UI but the script and stylesheet ``GET /docs`` serves (source maps, other builds:
  9 of its 11 MB; its licence stays, as the script is handed to browsers), Babel's CLDR data
  of languages Kinlink does not speak (it keeps ``root``, English and each language whose
  compiled catalog ``chalicelib/locales/<lang>/LC_MESSAGES/*.mo`` ships), and the catalogs'
  sources (``.po``, ``.pot``: the runtime reads the ``.mo`` files).

Usage: python scripts/slim_package.py build/package  (prints the sizes before and after).
"""
from __future__ import annotations

import compileall
import json
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

# The AWS services the app may call; botocore keeps only these models.  tests/test_package.py
# fails when the code asks for a client that is not listed here.
BOTOCORE_SERVICES = frozenset({
    "dynamodb", "dynamodbstreams", "ses", "sesv2", "sns", "sqs", "kms", "secretsmanager", "ssm",
    "s3", "scheduler", "events", "chime-sdk-meetings", "sts",
})
UNNEEDED_DIRECTORIES = frozenset({"tests", "test", "__pycache__"})
UNNEEDED_PHONENUMBERS_DATA = ("phonenumbers/geodata", "phonenumbers/carrierdata",
                              "phonenumbers/tzdata")
# chalicelib.web.docs.ASSETS (tests/test_api_docs.py checks they agree).
SWAGGER_UI_VENDOR = "swagger_ui_bundle/vendor/"
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})
SWAGGER_UI_DIST_INFO = "swagger_ui_bundle_v2-"
WHEEL_BOOKKEEPING = frozenset({"RECORD", "INSTALLER", "WHEEL", "REQUESTED", "direct_url.json"})
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # reproducible archives
# CLDR locales always kept: the root every locale inherits from, and the source language.
BASE_LOCALES = frozenset({"root", "en"})
CATALOGS = "chalicelib/locales/"


def spoken_locales(names: list[str]) -> frozenset[str]:
    """``root``, English and every language the package has a compiled catalog for."""
    found = {PurePosixPath(name).parts[2] for name in names
             if name.startswith(CATALOGS) and name.endswith(".mo")}
    return BASE_LOCALES | found


def needed(name: str, locales: frozenset[str] = BASE_LOCALES) -> bool:
    path = PurePosixPath(name)
    parts = path.parts
    if parts[:2] == ("babel", "locale-data"):
        return path.suffix != ".dat" or path.stem in locales
    if name.startswith(CATALOGS) and path.suffix in (".po", ".pot"):
        return False
    if UNNEEDED_DIRECTORIES.intersection(parts[:-1]):
        return False
    if parts[0].endswith(".dist-info"):
        if name.startswith(SWAGGER_UI_DIST_INFO) and "licen" in name.lower():
            return True
        return not (path.name in WHEEL_BOOKKEEPING or "licen" in name.lower())
    if name.startswith(SWAGGER_UI_VENDOR):
        return path.name in SWAGGER_UI_FILES
    if name.startswith(UNNEEDED_PHONENUMBERS_DATA):
        return False
    if parts[:2] == ("botocore", "data") and len(parts) > 3:
        return parts[2] in BOTOCORE_SERVICES
    return True


def runtime_version(package_dir: Path) -> str:
    """The Python version of the template's functions, e.g. ``3.11``."""
    template = json.loads((package_dir / "sam.json").read_text())
    runtimes = {resource["Properties"]["Runtime"] for resource in template["Resources"].values()
                if resource.get("Type") == "AWS::Serverless::Function"}
    if len(runtimes) != 1:
        raise SystemExit(f"expected one Lambda runtime in the template, found {sorted(runtimes)}")
    return runtimes.pop().removeprefix("python")


def slim(package_dir: Path) -> tuple[tuple[int, int], tuple[int, int]]:
    """Rewrite ``deployment.zip`` in place; returns (files, bytes) before and after."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if runtime_version(package_dir) != here:
        raise SystemExit(f"the template's runtime is python{runtime_version(package_dir)} but "
                         f"this is Python {here}: bytecode would not match; package with it")
    archive = package_dir / "deployment.zip"
    before = (len(zipfile.ZipFile(archive).namelist()), archive.stat().st_size)
    with tempfile.TemporaryDirectory(prefix="kinlink-package-") as tmp:
        tree = Path(tmp)
        modes = {}
        with zipfile.ZipFile(archive) as source:
            locales = spoken_locales(source.namelist())
            for info in source.infolist():
                if info.is_dir() or not needed(info.filename, locales):
                    continue
                source.extract(info, tree)
                modes[info.filename] = info.external_attr
        compileall.compile_dir(tree, quiet=2, workers=0,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        files = sorted(p for p in tree.rglob("*") if p.is_file())
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
            for path in files:
                name = path.relative_to(tree).as_posix()
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.external_attr = modes.get(name, 0o644 << 16)
                info.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(info, path.read_bytes())
        after = (len(files), archive.stat().st_size)
    return before, after


def main() -> None:
    package_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "build/package")
    (files_before, size_before), (files_after, size_after) = slim(package_dir)
    print(f"deployment.zip: {files_before} files, {size_before / 1e6:.1f} MB -> {files_after} "
          f"files with bytecode, {size_after / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
