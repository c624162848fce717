"""Jinja2 for the words people read outside a JSON body: emails, SMS and the HTML pages.

Templates call ``_``/``ngettext`` (Jinja2's i18n extension, new style, wired to
``core.i18n``), so they speak the current language; ``money``/``when`` format amounts and
moments for it; ``p``, ``url``, ``strong`` and ``rows`` lay out an email's paragraphs, links
and labelled values in HTML or in plain text.  HTML escapes every value; plain text (a subject, an email's
text part, an SMS) is never read as HTML.  Jinja2 is imported on first use, not at cold start.
Why: docs/decisions/languages.md
"""
from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.core import i18n

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment(folder: Path, html: bool) -> jinja2.Environment:
    """One environment per template folder and kind (HTML escapes values, text does not)."""
    import jinja2

    # By kind, not by file name: an email's one template makes its HTML and its plain text,
    # and plain text is never read as HTML (escaping it would show "&amp;" to the reader).
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder),
                             autoescape=jinja2.select_autoescape(
                                 enabled_extensions=(), default_for_string=html, default=html),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=False,
                             extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(i18n._, _plural, newstyle=True)
    env.globals.update(money=money, when=when, p=jinja2.pass_eval_context(paragraph),
                       url=jinja2.pass_eval_context(url),
                       strong=jinja2.pass_eval_context(strong), rows=jinja2.pass_eval_context(rows))
    return env


def render(folder: Path, name: str, html: bool, context: dict[str, object]) -> str:
    """The template ``name`` of ``folder``; ``html`` (escaping) is also a value it can read."""
    return environment(folder, html).get_template(name).render({**context, "html": html})


def render_block(folder: Path, name: str, block: str, context: dict[str, object]) -> str:
    """One block of a text template (an email's subject), on one line."""
    template = environment(folder, False).get_template(name)
    return one_line("".join(template.blocks[block](template.new_context(context))))


def one_line(text: str) -> str:
    """Line breaks and runs of spaces made one space; no-break spaces (``1.250,50\xa0US$``)
    kept."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _plural(singular: str, plural: str, n: int) -> str:
    """Jinja2 fills the placeholders itself (``%(num)s`` and the named ones)."""
    return i18n.plural(singular, plural, n)


def money(cents: object) -> str:
    return i18n.format_money(int(cents))


def when(moment: object, timezone: str | None = None) -> str:
    """An ISO 8601 moment (``...Z``) as people at ``timezone`` read it, the zone named."""
    parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    zone = timezone or "UTC"
    return f"{i18n.format_datetime(parsed, zone)} ({zone})"


def _escaping(eval_ctx) -> bool:
    return bool(eval_ctx.autoescape)


def _markup(eval_ctx, html: str, text: str, *values: object) -> str:
    from markupsafe import Markup

    # ``html`` is this module's own markup; ``format`` escapes the values put into it.
    return (Markup(html).format(*values)  # noqa: S704
            if _escaping(eval_ctx) else text.format(*values))


def paragraph(eval_ctx, text: object) -> str:
    """A paragraph: ``<p>`` in HTML, a block followed by a blank line in text."""
    return _markup(eval_ctx, "<p>{}</p>\n", "{}\n", text)


def strong(eval_ctx, text: object) -> str:
    """Words that matter most in a sentence (a rejection's reason): bold in HTML."""
    return _markup(eval_ctx, "<strong>{}</strong>", "{}", text)


def url(eval_ctx, address: object) -> str:
    """A link on its own: a paragraph with the address as its text (long, but honest)."""
    return _markup(eval_ctx, '<p><a href="{0}">{0}</a></p>\n', "{}\n", address)


def rows(eval_ctx, pairs: list[tuple[object, object]]) -> str:
    """Label and value lines (a receipt): a list in HTML, aligned lines in text."""
    if _escaping(eval_ctx):
        from markupsafe import Markup

        items = Markup("").join(Markup("<li>{}: {}</li>\n").format(label, value)
                                for label, value in pairs)
        return Markup("<ul>\n{}</ul>\n").format(items)
    width = max(len(str(label)) for label, _value in pairs) + 2
    return "".join(f"  {str(label) + ':':<{width}}{value}\n" for label, value in pairs)

