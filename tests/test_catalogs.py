"""The catalogs are the only way a person-facing word reaches an API response (issue 11).

(a) an AST check over chalicelib: every domain error, ``problem(...)`` call and field problem is
given a ``_()``/``ngettext()`` call or a variable, never a bare literal, and every class ``title``
is ``N_()``; (b) the catalogs are not stale; (c) every language's entries are filled, not fuzzy,
not the English; (d) the committed ``.mo`` files are what the ``.po`` files compile to; (e) the
placeholders of a translation are those of its English.  (b) to (e) run for every language of
``i18n.LANGUAGES``: a third language is one ``.po`` file.
"""
from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from chalicelib.core import i18n

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chalicelib"
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE]
# The Makefile's `catalogs` keywords (pybabel's defaults and -k N_ -k _ -k ngettext:1,2).
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "N_": None, "ngettext": (1, 2)}
# Words that are written the same in a language and in English (a translator's decision).
SAME_AS_ENGLISH = {"es": {"No", "PIN", "Error", "Total"}}

TRANSLATING_CALLS = {"_", "ngettext"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


# --- (a) no bare person-facing literal ----------------------------------------------------

def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
            for path in sorted(PACKAGE.rglob("*.py"))]


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _error_classes(modules) -> set[str]:
    """DomainError and every class deriving from it, in any module (by class name: a name two
    modules define is an error class if either one is)."""
    bases: dict[str, set] = {}
    for _path, module in modules:
        for node in ast.walk(module):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(_name(base) for base in node.bases)
    found = {"DomainError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _is_text_literal(node: ast.expr | None) -> bool:
    """A str literal, an f-string, or text made from them (``+``, ``%``, ``.format``)."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text_literal(node.left) or _is_text_literal(node.right)
    if isinstance(node, ast.BoolOp):
        return any(_is_text_literal(value) for value in node.values)
    if isinstance(node, ast.IfExp):
        return _is_text_literal(node.body) or _is_text_literal(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"format", "join"} and _is_text_literal(node.func.value)
    return False


def _untranslated(node: ast.expr | None) -> bool:
    """A literal where a ``_()``/``ngettext()`` call or a variable belongs (also ``N_()``, which
    translates nothing now, and ``_()`` around an f-string, which no extractor can read)."""
    if isinstance(node, ast.Call) and _name(node.func) == "N_":
        return True
    if isinstance(node, ast.Call) and _name(node.func) in TRANSLATING_CALLS:
        return bool(node.args) and not isinstance(node.args[0], ast.Constant) \
            and _is_text_literal(node.args[0])
    return _is_text_literal(node)


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def _violations() -> list[str]:
    modules = _modules()
    errors = _error_classes(modules)
    found = []
    for path, module in modules:
        where = path.relative_to(ROOT)

        def report(node: ast.AST, what: str) -> None:
            found.append(f"{where}:{node.lineno}: {what}")

        classes = [node for node in ast.walk(module) if isinstance(node, ast.ClassDef)]
        inside = {id(call) for cls in classes if cls.name in errors for call in ast.walk(cls)}

        def _inside_error_class(call: ast.Call) -> bool:
            return id(call) in inside

        # Examples in the OpenAPI document are for developers, in English like the rest of it.
        documented = {id(inner) for node in ast.walk(module) if isinstance(node, ast.Dict)
                      for key, value in zip(node.keys, node.values)
                      if isinstance(key, ast.Constant) and key.value in ("example", "examples")
                      for inner in ast.walk(value)}

        for cls in classes:
            for statement in cls.body:
                if isinstance(statement, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "title" for t in statement.targets):
                    value = statement.value
                    if not (isinstance(value, ast.Call) and _name(value.func) == "N_"):
                        report(statement, f"class {cls.name}: title must be N_(...)")
            if cls.name not in errors:
                continue
            for call in ast.walk(cls):  # super().__init__(detail, ...) inside an error class
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "__init__"
                        and _untranslated(_argument(call, 0, "detail"))):
                    report(call, f"{cls.name}: detail passed to __init__ is not translated")
        for node in ast.walk(module):
            if isinstance(node, ast.Call):
                callee = _name(node.func)
                if callee in errors and _untranslated(_argument(node, 0, "detail")):
                    report(node, f"{callee}(...): detail is not translated")
                if callee in errors or (callee == "__init__" and _inside_error_class(node)):
                    for value in [*node.args, *(item.value for item in node.keywords)]:
                        if isinstance(value, ast.List) and any(map(_untranslated, value.elts)):
                            report(node, f"{callee}(...): a list of words is not translated")
                if callee == "problem":
                    for position, keyword in ((2, "detail"), (3, "title")):
                        argument = _argument(node, position, keyword)
                        if _untranslated(argument) and not (
                                keyword == "title" and isinstance(argument, ast.Call)
                                and _name(argument.func) == "N_"):
                            report(node, f"problem(...): {keyword} is not translated")
            if isinstance(node, ast.Dict) and id(node) not in documented:  # errors=[{"problem": ...}]
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "problem" \
                            and _untranslated(value):
                        report(node, "a field's problem is not translated")
                    if isinstance(key, ast.Constant) and key.value == "x-pattern-problem" \
                            and not (isinstance(value, ast.Call) and _name(value.func) == "N_"):
                        report(node, "x-pattern-problem must be N_(...)")
        for function in ast.walk(module):  # web/schema.py's format checkers (``_*_problem``)
            if isinstance(function, ast.FunctionDef) and function.name.endswith("_problem"):
                for node in ast.walk(function):
                    if isinstance(node, (ast.Return, ast.Assign)) and _untranslated(node.value):
                        report(node, f"{function.name}: a field's problem is not translated")
    return sorted(found, key=lambda line: (line.split(":")[0], int(line.split(":")[1])))


def test_every_person_facing_literal_goes_through_the_catalog():
    assert _violations() == []


def test_the_check_catches_each_kind_of_bare_literal(tmp_path, monkeypatch):
    """The checker itself: one module holding each mistake is reported once per mistake."""
    bad = tmp_path / "chalicelib" / "bad.py"
    bad.parent.mkdir()
    bad.write_text(
        "class DomainError(Exception): pass\n"
        "class NotFound(DomainError): pass\n"
        "class Oops(NotFound):\n"
        "    title = 'Oops'  # bad\n"
        "    def __init__(self, n):\n"
        "        super().__init__(f'{n} oops')  # bad\n"
        "raise NotFound('Plain words.')  # bad\n"
        "class Taken(Exception): pass\n"  # one name in two modules: the error class counts
        "class Taken(NotFound):\n"
        "    def __init__(self):\n"
        "        super().__init__('Taken.')  # bad\n"
        "raise Oops(_(f'{x} words'), errors=[{'field': 'a', 'problem': 'is bad'}])  # bad bad\n"
        "problem(400, 'x', 'words', title='Title')  # bad bad\n"
        "raise NotFound(N_('Later.'))  # bad\n"
        "raise Oops(_('Weak.'), ['Plain advice.', _('Fine advice.')])  # bad\n"
        "S = {'x-pattern-problem': 'must look right'}  # bad\n"
        "def _name_problem(value):\n"
        "    found = 'must not ' + value  # bad\n"
        "    return found or 'must be ' + value  # bad\n"
        # these are fine
        "raise Oops(_('Words.'), errors=[{'field': 'a', 'problem': _('is bad')}])\n"
        "raise NotFound(detail)\n"
        "problem(500, 'x', _('Words.'), title=N_('Title'))\n"
        "raise Oops(ngettext('%(n)s minute', '%(n)s minutes', n), retry_after_seconds=1)\n"
        "T = {'x-pattern-problem': N_('must look right')}\n"
        "U = {'examples': [{'errors': [{'field': 'a', 'problem': 'is bad'}]}]}\n"
    )
    expected = [number for number, line in enumerate(bad.read_text().splitlines(), 1)
                for _mark in (line.rpartition("  # ")[2].split() if "  # bad" in line else ())]
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path / "chalicelib")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    found = _violations()
    assert [int(line.split(":")[1]) for line in found] == expected, found


# --- (b) to (e): the catalogs of every language -------------------------------------------

@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[str, ...]]:
    """What `make catalogs` would extract now: msgid -> the ids (plural too) of each message."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        ids = message if isinstance(message, tuple) else (message,)
        found[ids[0]] = ids
    return found


def _catalog(path: Path, language: str | None = None):
    with open(path, "rb") as stream:
        return read_po(stream, locale=language)


def _po(language: str) -> Path:
    return i18n.LOCALES / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def test_languages_have_catalogs():
    assert i18n.DEFAULT_LANGUAGE == "en" and TRANSLATED
    for language in TRANSLATED:
        assert _po(language).is_file(), f"{language}: no {_po(language)}"


def test_the_template_holds_what_the_code_says(extracted):
    template = _catalog(i18n.LOCALES / "messages.pot")
    ids = {message.id if isinstance(message.id, str) else message.id[0]
           for message in template if message.id}
    assert sorted(set(extracted) - ids) == [], "run `make catalogs`"
    assert sorted(ids - set(extracted)) == [], "run `make catalogs` (ids no longer used)"


def test_every_id_the_code_marks_is_extracted(extracted):
    """pybabel does not see an id marked inside another marked call (``_(x or N_("..."))``):
    every literal given to ``_``, ``N_`` or ``ngettext`` in chalicelib must reach the catalog."""
    marked = {node.args[0].value for _path, module in _modules() for node in ast.walk(module)
              if isinstance(node, ast.Call) and _name(node.func) in {"_", "N_", "ngettext"}
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)}
    assert sorted(marked - set(extracted)) == [], "mark it outside the other call"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_language_has_every_id_translated(extracted, language):
    catalog = _catalog(_po(language), language)
    entries = {message.id if isinstance(message.id, str) else message.id[0]: message
               for message in catalog if message.id}
    assert sorted(set(extracted) - set(entries)) == [], "run `make catalogs`"
    assert sorted(set(entries) - set(extracted)) == [], "run `make catalogs` (obsolete ids)"
    same_allowed = SAME_AS_ENGLISH.get(language, set())
    problems = []
    for msgid, message in entries.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if not all(strings) or len(strings) != catalog.num_plurals and message.pluralizable:
            problems.append(f"missing: {msgid!r}")
        elif msgid in strings and msgid not in same_allowed:
            problems.append(f"same as English: {msgid!r}")
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language):
    catalog = _catalog(_po(language), language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            wanted = set(PLACEHOLDER.findall(message.id[1]))
            for form in message.string:
                names = set(PLACEHOLDER.findall(form))
                # A form may spell the number out ("un minuto"), never lose or add another name.
                if form and names - {"n"} != wanted - {"n"} or not names <= wanted:
                    problems.append(f"{message.id[0]!r}: {form!r}")
        elif message.string and set(PLACEHOLDER.findall(message.id)) != \
                set(PLACEHOLDER.findall(message.string)):
            problems.append(f"{message.id!r}: {message.string!r}")
    problems += [f"{message.id!r}: {errors}" for message, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_is_the_compiled_po(language):
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(_po(language), language))
    committed = _po(language).with_suffix(".mo").read_bytes()
    assert compiled.getvalue() == committed, "run `make catalogs` and commit the .mo"
