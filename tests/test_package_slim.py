"""The Lambda package is slimmed and precompiled for the runtime (scripts/slim_package.py)."""
from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.slim_package import BOTOCORE_SERVICES, needed, slim

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
CACHE_TAG = sys.implementation.cache_tag


def _package(tmp_path: Path, runtime: str = RUNTIME) -> Path:
    (tmp_path / "sam.json").write_text(json.dumps({"Resources": {"Api": {
        "Type": "AWS::Serverless::Function", "Properties": {"Runtime": runtime}}}}))
    with zipfile.ZipFile(tmp_path / "deployment.zip", "w") as archive:
        archive.writestr("app.py", "VALUE = 42\n")
        archive.writestr("chalicelib/__init__.py", "")
        archive.writestr("somelib/tests/test_it.py", "assert True\n")
        archive.writestr("somelib-1.0.dist-info/RECORD", "x")
        archive.writestr("somelib-1.0.dist-info/METADATA", "Name: somelib\n")
        archive.writestr("botocore/data/dynamodb/2012-08-10/service-2.json.gz", "{}")
        archive.writestr("botocore/data/ec2/2016-11-15/service-2.json.gz", "{}")
        archive.writestr("botocore/data/endpoints.json", "{}")
        archive.writestr("phonenumbers/geodata/data0.py", "DATA = {}\n")
    return tmp_path


def test_modules_ship_unchecked_hash_bytecode_and_unneeded_files_go(tmp_path):
    (files_before, _), (files_after, _) = slim(_package(tmp_path))

    names = set(zipfile.ZipFile(tmp_path / "deployment.zip").namelist())
    pyc = f"__pycache__/app.{CACHE_TAG}.pyc"
    assert {"app.py", pyc, f"chalicelib/__pycache__/__init__.{CACHE_TAG}.pyc"} <= names
    flags = int.from_bytes(zipfile.ZipFile(tmp_path / "deployment.zip").read(pyc)[4:8], "little")
    assert flags == 0b01  # hash-based, source not checked: read-only /var/task uses it as is
    assert "somelib-1.0.dist-info/METADATA" in names
    assert not {"somelib/tests/test_it.py", "somelib-1.0.dist-info/RECORD",
                "botocore/data/ec2/2016-11-15/service-2.json.gz",
                "phonenumbers/geodata/data0.py"} & names
    assert {"botocore/data/dynamodb/2012-08-10/service-2.json.gz",
            "botocore/data/endpoints.json"} <= names
    assert files_before == 9 and files_after == len(names)


def test_bytecode_of_another_python_than_the_runtime_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="bytecode would not match"):
        slim(_package(tmp_path, runtime="python3.9"))


def test_every_aws_client_the_code_asks_for_keeps_its_botocore_model():
    asked = set()
    for source in (ROOT / "chalicelib").rglob("*.py"):
        asked |= set(re.findall(r"""client\(\s*["']([a-z0-9-]+)["']""", source.read_text()))
    assert asked, "no AWS client found: the pattern no longer matches the code"
    assert asked <= BOTOCORE_SERVICES


@pytest.mark.parametrize("name, kept", [
    ("botocore/data/sqs/2012-11-05/service-2.json.gz", True),
    ("botocore/data/iot/2015-05-28/service-2.json.gz", False),
    ("dns/tests/x.py", False),
    ("bcrypt-5.0.0.dist-info/licenses/LICENSE", False),
    ("phonenumbers/phonenumberutil.py", True),
])
def test_what_lambda_needs(name, kept):
    assert needed(name) is kept
