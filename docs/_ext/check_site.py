"""Check the built docs site for markup that reached a page as written.

Run by ``nox -s docs`` right after ``mkdocs build``: ``python docs/_ext/check_site.py
site``. It fails (exit 1, one line per finding) when a page's prose, outside code, holds

- a reST role: ``:meth:`` or ``:class:`` (any ``:name:``) followed by a code span or a
  backtick, as a docstring role renders when nothing translates it;
- a reST literal-block marker: a paragraph, list item or table cell ending in ``::``;
- an ``id`` given twice on one page (an object documented twice: its links are ambiguous);
- a signature line longer than ``SIGNATURE_WIDTH``: the reference's signatures were not
  formatted (mkdocstrings formats them with ruff, when ruff is installed).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

# Prose ending in `:meth:` right before a <code> element, or `:meth:` then a backtick.
ROLE_BEFORE_CODE = re.compile(r"(?<![\w:]):[a-z]+(?::[a-z]+)?:$")
ROLE_WITH_BACKTICK = re.compile(r"(?<![\w:]):[a-z]+(?::[a-z]+)?:`")
LITERAL_MARKER = re.compile(r"::$")
# Elements whose text is code, not prose.
CODE = {"code", "pre", "script", "style", "kbd", "samp"}
# Elements whose text ends where a reST paragraph would.
BLOCKS = {"p", "li", "dd", "dt", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"}
# mkdocs.yml's `line_length` is 80; ruff goes past it only for what it cannot break.
SIGNATURE_WIDTH = 100
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class PageChecker(HTMLParser):
    """Collects the findings of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self.ids: Counter[str] = Counter()
        self.code_depth = 0
        self.prose = ""  # prose since the last element boundary, outside code
        self.blocks: list[str] = []  # the prose of each open block element
        self.signature_divs = 0  # open <div>s, counted from a signature's own
        self.signature = ""  # the text of the signature being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1
        if tag in VOID:
            return
        if tag == "div" and self.signature_divs:
            self.signature_divs += 1
        elif tag == "div" and "doc-signature" in (dict(attrs).get("class") or "").split():
            self.signature_divs, self.signature = 1, ""
        if tag == "code" and not self.code_depth and ROLE_BEFORE_CODE.search(self.prose):
            self.findings.append(f"reST role before a code span: {self._tail()!r}")
        if tag in CODE:
            self.code_depth += 1
        if tag in BLOCKS:
            self.blocks.append("")
        self.prose = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.signature_divs:
            self.signature_divs -= 1
            if not self.signature_divs:
                self._check_signature()
        if tag in CODE and self.code_depth:
            self.code_depth -= 1
        if tag in BLOCKS and self.blocks:
            text = self.blocks.pop().strip()
            if LITERAL_MARKER.search(text):
                self.findings.append(f"reST '::' marker ends a <{tag}>: {text[-60:]!r}")
        self.prose = ""

    def handle_data(self, data: str) -> None:
        if self.signature_divs:
            self.signature += data
        if self.code_depth:
            return
        if self.blocks:
            self.blocks[-1] += data
        self.prose += data
        for match in ROLE_WITH_BACKTICK.finditer(data):
            self.findings.append(f"reST role as written: {data[match.start() :][:60]!r}")

    def _check_signature(self) -> None:
        longest = max(self.signature.splitlines() or [""], key=len)
        if len(longest) > SIGNATURE_WIDTH:
            self.findings.append(
                f"signature line of {len(longest)} characters (is ruff installed?): "
                f"{longest[:60]!r}"
            )

    def _tail(self) -> str:
        return " ".join(self.prose.split())[-60:]

    def report(self) -> list[str]:
        twice = sorted(name for name, count in self.ids.items() if count > 1)
        return self.findings + [f"id given {self.ids[name]} times: {name!r}" for name in twice]


def check_html(text: str) -> list[str]:
    """The findings of one page's HTML."""
    checker = PageChecker()
    checker.feed(text)
    checker.close()
    return checker.report()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_site.py SITE_DIR", file=sys.stderr)
        return 2
    site = Path(argv[0])
    pages = sorted(site.rglob("*.html"))
    if not pages:
        print(f"{site}: no HTML pages (build the site first)", file=sys.stderr)
        return 1
    problems = [
        f"{page.relative_to(site).as_posix()}: {finding}"
        for page in pages
        for finding in check_html(page.read_text("utf-8"))
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(pages)} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
