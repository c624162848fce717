"""The Lambda package carries the compiled catalogs and only the CLDR data of the languages
Kinlink speaks (scripts/slim_package.py), and Babel still formats both languages from it."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path, PurePath

import babel

from chalicelib.core import i18n
from scripts.slim_package import needed, slim, spoken_locales

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
BABEL = Path(babel.__file__).parent


def _package(tmp_path: Path) -> Path:
    """A deployment.zip as chalice builds it: the real catalogs and the real Babel, every
    locale of it (stored, not compressed: quick to write)."""
    (tmp_path / "sam.json").write_text(json.dumps({"Resources": {"Api": {
        "Type": "AWS::Serverless::Function", "Properties": {"Runtime": RUNTIME}}}}))
    with zipfile.ZipFile(tmp_path / "deployment.zip", "w", zipfile.ZIP_STORED) as archive:
        for path in sorted((ROOT / "chalicelib" / "locales").rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(ROOT).as_posix())
        for path in sorted(BABEL.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(BABEL.parent).as_posix())
    return tmp_path


def test_the_package_keeps_the_mo_files_and_only_the_locales_spoken(tmp_path):
    package = _package(tmp_path)
    slim(package)
    names = set(zipfile.ZipFile(package / "deployment.zip").namelist())
    for language in i18n.LANGUAGES:
        if language != i18n.DEFAULT_LANGUAGE:
            assert f"chalicelib/locales/{language}/LC_MESSAGES/messages.mo" in names
    assert not [name for name in names if name.endswith((".po", ".pot"))]
    kept = sorted(PurePath(name).stem for name in names
                  if name.startswith("babel/locale-data/") and name.endswith(".dat"))
    assert kept == sorted({"root", *i18n.LANGUAGES})
    assert "babel/global.dat" in names

    # Babel from the slimmed package formats money and moments in every language we speak.
    extracted = tmp_path / "extracted"
    zipfile.ZipFile(package / "deployment.zip").extractall(extracted)
    probe = ("import babel; assert babel.__file__.startswith('" + str(extracted) + "')\n"
             "from datetime import datetime, timezone\n"
             "from babel.dates import format_datetime\n"
             "from babel.numbers import format_currency\n"
             "moment = datetime(2026, 12, 1, 18, tzinfo=timezone.utc)\n"
             "for lang in ('en', 'es'):\n"
             "    print(format_currency(12.5, 'USD', locale=lang), '|',\n"
             "          format_datetime(moment, 'medium', tzinfo=timezone.utc, locale=lang))\n")
    # -S: no site-packages, so the Babel imported is the package's (the working directory).
    result = subprocess.run([sys.executable, "-S", "-c", probe], cwd=extracted,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["$12.50 | Dec 1, 2026, 6:00:00\u202fPM",
                                          "12,50\xa0US$ | 1 dic 2026, 18:00:00"]


def test_which_locale_files_stay():
    locales = spoken_locales(["chalicelib/locales/es/LC_MESSAGES/messages.mo",
                              "chalicelib/locales/es/LC_MESSAGES/messages.po"])
    assert locales == {"root", "en", "es"}
    assert needed("babel/locale-data/es.dat", locales)
    assert not needed("babel/locale-data/es_MX.dat", locales)
    assert not needed("babel/locale-data/fr.dat", locales)
    assert needed("babel/global.dat", locales) and needed("babel/locale-data/LICENSE", locales)
    assert not needed("chalicelib/locales/messages.pot", locales)

