"""Griffe extensions for the API reference: hubcrm's docstrings, rendered as Markdown.

hubcrm's docstrings are written for ``help()`` and editors in the reST habit: roles such
as ``:meth:`aclose``` and literal blocks opened by a paragraph ending in ``::``. The
reference renders docstrings as Markdown, where both would show as written. Rather than
rewrite every module's docstrings, the build translates them as it reads them:

- ``ReSTToMarkdown``: a Python-domain role (``:class:``, ``:meth:``, ``:func:``,
  ``:attr:``, ``:exc:``, ``:data:``, ``:mod:``, ``:obj:``, ``:const:``) becomes a
  cross-reference to the object when the name resolves within the package (as Sphinx
  resolves it: the docstring's own object, then its class, its module, then an absolute
  path), and a code span otherwise (``:mod:`time``` names the standard library). A
  trailing ``::`` becomes ``:`` (or goes, after a space or alone) and the indented block
  it opens becomes a fenced Python code block.
- ``SkipModuleDocstrings``: the modules whose reference page introduces them in its own
  words, with links; their docstring would say the same a second time.
- ``RawResponseMethods``: ``create = raw_response(AsyncObjects.create)`` in a
  ``with_raw_response`` class is an attribute to static analysis; the method it makes
  exists once the module has run. Each such attribute is replaced with the method as
  the live class has it (the plain method's parameters, returning a ``RawResponse``).

mkdocs.yml loads them (the build runs from the repository root); ``check_site.py`` beside
this file fails the docs build if a role or a ``::`` marker still reaches a page.
"""

from __future__ import annotations

import ast
import html
import importlib
import re
from typing import Any

import griffe

# `:meth:`aclose``, `:py:class:`~hubcrm.Timeouts``, `:func:`title <target>``.
ROLE = re.compile(
    r"(?<![\w`]):(?:py:)?(?P<role>meth|class|func|attr|exc|data|mod|obj|const):"
    r"`(?P<text>[^`]+)`"
)
EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")
FENCE = re.compile(r"^\s*(```|~~~)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def literal_blocks_to_fences(text: str) -> str:
    """Turn each reST literal block (a paragraph ending in ``::`` and the indented block
    after it) into a fenced Python code block.

    The block is the lines after the marker, up to the first that is indented less than
    the block's first line. The fence stands at the marker line's indentation, or, when
    the block is indented more than one step deeper (a Google-style item such as
    ``key: ...::`` whose description goes on one step in), one step less than the block.
    """
    lines = text.split("\n")
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        start = i + 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        base = _indent(line)
        if (
            in_fence
            or not line.rstrip().endswith("::")
            or start == len(lines)
            or _indent(lines[start]) <= base
        ):
            out.append(line)  # not a literal-block marker: no deeper block follows
            i += 1
            continue
        depth = _indent(lines[start])
        end = start
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= depth):
            end += 1
        body = lines[start:end]
        while not body[-1].strip():
            body.pop()
        marker = line.rstrip()
        if marker.strip() != "::":  # a lone `::` only opens the block
            # `when done::` reads `when done:`; `example ::` reads `example`.
            out.append(marker[:-3].rstrip() if marker.endswith(" ::") else marker[:-1])
            out.append("")
        pad = " " * (base if base == 0 or depth <= base + 4 else depth - 4)
        out.append(f"{pad}```python")
        out.extend(pad + code[depth:] if code.strip() else "" for code in body)
        out.append(f"{pad}```")
        if end < len(lines):
            out.append("")
        i = end
    return "\n".join(out)


def _public_path(obj: griffe.Object) -> str:
    """The path the reference shows ``obj`` under when it is exported (listed in a public
    module's ``__all__``: ``hubcrm.AsyncHubCRM`` for ``hubcrm._client.AsyncHubCRM``),
    else its own."""
    exported = [path for path, alias in obj.aliases.items() if alias.is_exported]
    public = [path for path in exported if not any(p.startswith("_") for p in path.split("."))]
    return min(public, key=len) if public else obj.path


def _member(obj: griffe.Object, name: str) -> griffe.Object | None:
    """``obj``'s member ``name`` (a class's inherited ones too), aliases followed."""
    member = (obj.all_members if obj.is_class else obj.members).get(name)
    if isinstance(member, griffe.Alias):
        try:
            return member.final_target
        except griffe.AliasResolutionError:
            return None
    return member


def _through(owner: griffe.Object, names: list[str]) -> tuple[str, str, griffe.Object] | None:
    """The public and canonical identifiers of the member of ``owner`` that ``names``
    reach (a member of ``owner``, then a member of that one...), and that member."""
    public, canonical, obj = _public_path(owner), owner.path, owner
    for name in names:
        member = _member(obj, name)
        if member is None:
            return None
        public, canonical, obj = f"{public}.{name}", f"{canonical}.{name}", member
    return public, canonical, obj


def resolve(scope: griffe.Object, target: str, role: str = "obj") -> tuple[str, str] | None:
    """Two identifiers under which the reference may show ``target``, as named by a
    ``role`` in the docstring of ``scope`` (the public path first, then the canonical
    one), or None when it names nothing of that kind in the package.

    A name is looked up in ``scope``, then in each enclosing object (a class's inherited
    members included), then as an absolute path; a ``:mod:`` role names modules only,
    the other roles anything but modules."""
    names = target.lstrip(".").split(".")
    wants_module = role == "mod"
    found: tuple[str, str, griffe.Object] | None = None
    place: griffe.Object | None = scope
    while place is not None:
        if place.is_class and names[0] == place.name:
            found = _through(place, names[1:])
        elif (member := _member(place, names[0])) is not None:
            # A class's member, inherited or not, is shown on the class that reaches it.
            found = _through(place, names) if place.is_class else _through(member, names[1:])
        if found is not None and found[2].is_module == wants_module:
            return found[0], found[1]
        found, place = None, place.parent
    try:
        absolute = scope.modules_collection[".".join(names)]
        obj = absolute.final_target if isinstance(absolute, griffe.Alias) else absolute
    except (KeyError, griffe.AliasResolutionError):
        return None
    return (_public_path(obj), obj.path) if obj.is_module == wants_module else None


def roles_to_markdown(text: str, scope: griffe.Object) -> str:
    """Replace each Python-domain role of ``text`` with a cross-reference (an optional
    one: unresolved, it renders as its code span) or, naming nothing here, a code span."""

    def replace(match: re.Match[str]) -> str:
        written = match["text"]
        explicit = EXPLICIT_TITLE.match(written)
        if explicit:
            title, target = explicit["title"], explicit["target"]
        else:
            target = written
            title = target.lstrip("~.")
            if target.startswith("~"):
                title = title.rsplit(".", 1)[-1]
        target = target.lstrip("~")
        code = f"<code>{html.escape(title)}</code>"
        found = resolve(scope, target, match["role"])
        if found is None:
            return code
        public, canonical = (html.escape(path, quote=True) for path in found)
        return f'<autoref identifier="{public}" slug="{canonical}" optional>{code}</autoref>'

    return ROLE.sub(replace, text)


def _objects(obj: griffe.Object) -> list[griffe.Object]:
    """``obj`` and every object defined within it (aliases excluded)."""
    found = [obj]
    for member in obj.members.values():
        if not isinstance(member, griffe.Alias):
            found.extend(_objects(member))
    return found


class ReSTToMarkdown(griffe.Extension):
    """Render the reST roles and literal blocks of a package's docstrings as Markdown."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            if obj.docstring is not None:
                text = literal_blocks_to_fences(obj.docstring.value)
                obj.docstring.value = roles_to_markdown(text, obj)


class SkipModuleDocstrings(griffe.Extension):
    """Leave out the docstrings of the modules in ``paths``: their reference page
    introduces each in its own words."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = set(paths)

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            if obj.is_module and obj.path in self.paths:
                obj.docstring = None


class RawResponseMethods(griffe.Extension):
    """Replace the ``name = raw_response(...)`` attributes of a class with the methods
    they make, read from the live class."""

    def on_class_members(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        cls: griffe.Class,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        made = [
            name
            for name, member in cls.members.items()
            if isinstance(member, griffe.Attribute)
            and str(member.value).startswith("raw_response(")
        ]
        if not made or isinstance(agent, griffe.Inspector):
            return
        # Imported from the environment first: griffe.inspect alone would look for the
        # module with sys.path cut down to the source tree, without hubcrm's dependencies.
        importlib.import_module(cls.module.path)
        live = griffe.inspect(
            cls.module.path,
            filepath=cls.module.filepath,
            docstring_parser=agent.docstring_parser,
            docstring_options=agent.docstring_options,
        )
        for name in made:
            cls.set_member(name, live[cls.name][name])
