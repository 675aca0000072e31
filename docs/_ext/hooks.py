"""MkDocs hooks of the docs build (mkdocs.yml ``hooks:``).

Code blocks wrap a line longer than the column instead of hiding its end past the edge
(docs/stylesheets/code.css), and a wrapped line's continuation is indented four columns
deeper than the line itself, so that it cannot be mistaken for a line of its own. For
that, each line of each code block becomes a ``<span class="hc-line">`` that carries its
indentation (``--indent``); the highlighter's own tags are closed at the end of a line
and opened again on the next, so that every line span holds whole tags.
"""

from __future__ import annotations

import html
import re
from typing import Any

CODE_BLOCK = re.compile(r"(<pre\b[^>]*>(?:<span></span>)?<code\b[^>]*>)(.*?)(</code></pre>)", re.S)
TOKEN = re.compile(r"(<[^>]+>)|([^<]+)")
TAG_NAME = re.compile(r"</?([a-zA-Z][\w-]*)")


def wrap_lines(code: str) -> str:
    """The inner HTML of one ``<code>`` element, each of its lines in a line span."""
    lines: list[list[str]] = [[]]
    open_tags: list[str] = []  # the start tags open at this point, outermost first
    for tag, text in TOKEN.findall(code):
        if tag:
            lines[-1].append(tag)
            if tag.startswith("</"):
                open_tags.pop()
            elif not tag.endswith("/>"):
                open_tags.append(tag)
            continue
        first, *rest = text.split("\n")
        lines[-1].append(first)
        for piece in rest:
            lines[-1].append("\n")
            lines[-1].extend(f"</{_name(tag)}>" for tag in reversed(open_tags))
            lines.append([*open_tags, piece])
    if not _text(lines[-1]):
        lines.pop()  # what follows the last newline: the tags it closes, nothing shown
    spans = []
    for line in lines:
        text = _text(line)
        indent = len(text) - len(text.lstrip(" "))
        spans.append(f'<span class="hc-line" style="--indent:{indent}">{"".join(line)}</span>')
    return "".join(spans)


def _name(start_tag: str) -> str:
    match = TAG_NAME.match(start_tag)
    assert match is not None, start_tag
    return match.group(1)


def _text(line: list[str]) -> str:
    return html.unescape("".join(token for token in line if not token.startswith("<")))


def wrap_code_blocks(page_html: str) -> str:
    """``page_html`` with the lines of every ``<pre><code>`` block in line spans."""
    return CODE_BLOCK.sub(lambda m: m.group(1) + wrap_lines(m.group(2)) + m.group(3), page_html)


def on_page_content(page_html: str, **kwargs: Any) -> str:
    """MkDocs event: a page's HTML, once its Markdown is converted."""
    return wrap_code_blocks(page_html)
