"""The docs build's own tools (docs/_ext/): the site check and the code-line hook.

``nox -s docs`` runs ``check_site.py`` on the built site; these tests show that it finds
what it is there to find, and passes a clean page.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

EXT = Path(__file__).resolve().parents[2] / "docs" / "_ext"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_ext_{name}", EXT / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_site = load("check_site")
hooks = load("hooks")


def page(body: str) -> str:
    return f"<html><body><article>{body}</article></body></html>"


CLEAN = page(
    '<p>Call <a href="#x"><code>aclose</code></a> when done:</p>'
    '<div class="highlight"><pre><span></span><code>crm = HubCRM()\n'
    "x = {'a': 1}  # :meth:`not prose` and a::\n</code></pre></div>"
    "<p>Ratio 1:2: fine; std::vector in <code>a::b</code>.</p>"
    '<ul><li>a list item</li></ul><h2 id="one">One</h2><h2 id="two">Two</h2>'
)


def test_a_clean_page_passes() -> None:
    assert check_site.check_html(CLEAN) == []


@pytest.mark.parametrize(
    ("body", "finding"),
    [
        ("<p>Call :meth:<code>aclose</code> when done.</p>", "reST role before a code span"),
        ("<p>See :py:class:<code>~hubcrm.Timeouts</code>.</p>", "reST role before a code span"),
        ("<td>read :attr:<code>base_url</code></td>", "reST role before a code span"),
        ("<p>Raises :exc:`ValueError` then.</p>", "reST role as written"),
        ("<p>Use it when done::</p><pre><code>x\n</code></pre>", "reST '::' marker ends a <p>"),
        ("<li>like so ::</li>", "reST '::' marker ends a <li>"),
        ('<h3 id="hubcrm.X">X</h3><h3 id="hubcrm.X">X</h3>', "id given 2 times: 'hubcrm.X'"),
        (
            '<div class="doc-signature highlight"><pre><code>'
            + "f("
            + ", ".join(f"a{i}: int = 0" for i in range(12))
            + ")\n"
            + "</code></pre></div>",
            "signature line of",
        ),
    ],
)
def test_a_finding_is_reported(body: str, finding: str) -> None:
    findings = check_site.check_html(page(body))
    assert len(findings) == 1, findings
    assert finding in findings[0]


def test_a_formatted_signature_passes() -> None:
    lines = "\n".join(f"    a{i}: int = 0," for i in range(12))
    body = f'<div class="doc-signature highlight"><pre><code>f(\n{lines}\n)\n</code></pre></div>'
    assert check_site.check_html(page(body)) == []


def test_the_script_fails_on_a_site_with_a_role(tmp_path: Path) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "index.html").write_text(CLEAN, "utf-8")
    assert check_site.main([str(tmp_path)]) == 0
    (tmp_path / "bad.html").write_text(page("<p>see :func:<code>f</code></p>"), "utf-8")
    assert check_site.main([str(tmp_path)]) == 1


def test_the_script_fails_on_a_folder_without_pages(tmp_path: Path) -> None:
    assert check_site.main([str(tmp_path)]) == 1


LINE = re.compile(
    r'<span class="hc-line" style="--indent:(\d+)">(.*?)</span>(?=<span class="hc|$)', re.S
)


def test_each_code_line_becomes_a_span_with_its_indentation() -> None:
    code = (
        '<span class="k">def</span> <span class="nf">f</span>():\n'
        '    <span class="s2">"""two\n'
        '        lines"""</span>\n'
        "\n"
        '    <span class="k">return</span> 1\n'
    )
    html = hooks.wrap_code_blocks(f'<pre><span></span><code class="x">{code}</code></pre>')
    inner = html.removeprefix('<pre><span></span><code class="x">').removesuffix("</code></pre>")
    lines = LINE.findall(inner)
    assert [int(indent) for indent, _ in lines] == [0, 4, 8, 0, 4]
    # The string token that crosses a line is closed on its first line and reopened.
    assert lines[1][1] == '    <span class="s2">"""two\n</span>'
    assert lines[2][1] == '<span class="s2">        lines"""</span>\n'
    assert lines[3][1] == "\n"
    # Nothing is lost: without the line spans, the code is as it was.
    text = re.sub(r"<[^>]+>", "", inner)
    assert text == re.sub(r"<[^>]+>", "", code)


def test_code_outside_pre_is_left_alone() -> None:
    html = "<p><code>a\nb</code></p>"
    assert hooks.wrap_code_blocks(html) == html
