"""Write ``hubcrm/_sync.py``, the blocking facade, from the async classes.

Usage::

    python -m hubcrm._codegen            # regenerate hubcrm/_sync.py
    python -m hubcrm._codegen --check    # exit 1 (with a diff) if it is stale

The generator reads the async classes' source with :mod:`ast`, so signatures, defaults,
type hints and docstrings are copied exactly as written. A class whose blocking twin
needs different prose (threads instead of tasks) says so in a ``_sync_doc`` string.
Each ``async def`` becomes a blocking method that runs the coroutine on the sync
client's portal; a method returning an ``AsyncGenerator[X, None]`` becomes one
returning a ``Generator[X, None, None]`` (both closable: ``aclosing`` / ``closing``).
A ``name = raw_response(AsyncX.method)`` line (a ``with_raw_response`` class) becomes a
blocking method with ``AsyncX.method``'s signature, returning ``RawResponse[...]``.
A name the generated code uses only in annotations is imported under
``if TYPE_CHECKING:``, so that importing the module loads no more than its code runs.
The output is passed through ``ruff`` (import pruning, then formatting), so ruff must be
installed to run this; it is not needed to *use* the generated module.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import inspect
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs

from ._resources.raw import raw_doc

__all__ = [
    "CLASSES",
    "PACKAGE_DIR",
    "TARGET",
    "ClassSpec",
    "generate",
    "main",
]

PACKAGE_DIR = Path(__file__).resolve().parent
TARGET = PACKAGE_DIR / "_sync.py"


@attrs.frozen
class ClassSpec:
    """One async class and the name of its blocking twin."""

    module: str  # dotted path inside the package, e.g. "_resources.objects"
    async_name: str
    sync_name: str
    is_client: bool = False
    mixins: tuple[tuple[str, str], ...] = ()
    """(module, class) pairs the async class inherits public methods from, in order."""


CLASSES: tuple[ClassSpec, ...] = (
    ClassSpec("_resources.objects", "AsyncObjectsWithRawResponse", "ObjectsWithRawResponse"),
    ClassSpec(
        "_resources.objects",
        "AsyncObjects",
        "Objects",
        mixins=(("_resources.objects_bulk", "BulkWrites"),),
    ),
    ClassSpec("_resources.properties", "AsyncProperties", "Properties"),
    ClassSpec(
        "_resources.associations",
        "AsyncAssociations",
        "Associations",
        mixins=(("_resources.association_labels", "LabelWrites"),),
    ),
    ClassSpec("_resources.schemas", "AsyncSchemas", "Schemas"),
    ClassSpec("_resources.pipelines", "AsyncPipelines", "Pipelines"),
    ClassSpec("_resources.owners", "AsyncOwners", "Owners"),
    ClassSpec("_client", "AsyncHubCRM", "HubCRM", is_client=True),
)

# Methods of the async client that the hand-written SyncClientBase provides.
_CLIENT_MANAGED = frozenset({"aclose", "__aenter__", "__aexit__", "closed"})
_RENAMES = {spec.async_name: spec.sync_name for spec in CLASSES}
_RENAMES.update({"AsyncIterator": "Iterator", "AsyncIterable": "Iterable"})
# An async generator's twin is a generator: AsyncGenerator[X, None] -> Generator[X, None, None].
_ASYNC_GENERATOR = re.compile(r"^AsyncGenerator\[(.+), None\]$")


def _rename_text(text: str) -> str:
    for old, new in _RENAMES.items():
        text = text.replace(old, new)
    return text.replace("async with ", "with ").replace("async for ", "for ").replace("await ", "")


def _sync_annotation(node: ast.expr | None) -> str | None:
    """Return the annotation's source, with async class names replaced by sync ones."""
    if node is None:
        return None
    src = _ASYNC_GENERATOR.sub(r"Generator[\1, None, None]", ast.unparse(node))
    for old, new in _RENAMES.items():
        src = src.replace(old, new)
    return src


def _returns_async_generator(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``func`` hands out an async generator (``AsyncGenerator[X, None]``).

    Public methods that iterate are annotated so, not ``AsyncIterator``: callers can
    then close them (``contextlib.aclosing``) and the portal can ``aclose`` them.
    """
    returns = "" if func.returns is None else ast.unparse(func.returns)
    if returns.startswith("AsyncIterator") and not func.name.startswith("_"):
        raise ValueError(
            f"{func.name}() returns {returns}: annotate it AsyncGenerator[..., None], so "
            "that it can be closed"
        )
    return _ASYNC_GENERATOR.match(returns) is not None


def _forward_args(args: ast.arguments) -> str:
    """The argument list that passes every parameter of ``args`` on, minus ``self``."""
    out: list[str] = []
    positional = [*args.posonlyargs, *args.args][1:]
    out.extend(a.arg for a in positional)
    if args.vararg is not None:
        out.append(f"*{args.vararg.arg}")
    out.extend(f"{a.arg}={a.arg}" for a in args.kwonlyargs)
    if args.kwarg is not None:
        out.append(f"**{args.kwarg.arg}")
    return ", ".join(out)


def _signature(func: ast.FunctionDef | ast.AsyncFunctionDef, returns: str | None) -> str:
    clone = copy.copy(func)
    clone.body = [ast.Pass()]
    clone.decorator_list = []
    clone.returns = None
    head = ast.unparse(clone).split("\n", 1)[0].removeprefix("async ")  # "def f(args):"
    head = _rename_text(head[:-1])
    return f"{head} -> {returns}:" if returns else f"{head}:"


def _docstring_lines(doc: str | None, indent: str, *, rename: bool = True) -> list[str]:
    if not doc:
        return []
    if rename:
        doc = _rename_text(doc)
    lines = doc.splitlines()
    body = [f"{indent}{line}" if line else "" for line in lines[1:]]
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}', *body, f'{indent}"""']


def _class_literal(cls: ast.ClassDef, name: str) -> object:
    """The literal value the class body assigns to ``name`` (None when it does not)."""
    for node in cls.body:
        if isinstance(node, ast.Assign) and [
            t.id for t in node.targets if isinstance(t, ast.Name)
        ] == [name]:
            return ast.literal_eval(node.value)
    return None


def _sync_read_ahead(cls: ast.ClassDef) -> frozenset[str]:
    """The class's ``_sync_read_ahead`` names: read iterators whose blocking twin reads
    ahead (a page per thread crossing instead of a record)."""
    names = _class_literal(cls, "_sync_read_ahead")
    return frozenset(names) if isinstance(names, tuple) else frozenset()


def _sync_doc(cls: ast.ClassDef) -> str | None:
    """The class's ``_sync_doc`` string: the twin's docstring where the two must differ."""
    doc = _class_literal(cls, "_sync_doc")
    return inspect.cleandoc(doc) if isinstance(doc, str) else None


def _attribute_docs(cls: ast.ClassDef) -> dict[str, str]:
    """Map annotated class attributes to the string literal that follows each."""
    docs: dict[str, str] = {}
    body = cls.body
    for i, node in enumerate(body[:-1]):
        nxt = body[i + 1]
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = nxt.value.value
    return docs


def _resource_attributes(cls: ast.ClassDef) -> list[tuple[str, str]]:
    """Annotated attributes whose type is another async class: (name, sync class)."""
    found = []
    for node in cls.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.annotation, ast.Name)
            and node.annotation.id in _RENAMES
        ):
            found.append((node.target.id, _RENAMES[node.annotation.id]))
    return found


def _raw_response_of(
    node: ast.stmt, tree: ast.Module
) -> tuple[str, str, ast.AsyncFunctionDef] | None:
    """For ``name = raw_response(AsyncX.method)`` in a class body: the name, ``AsyncX``
    and ``AsyncX.method``'s definition; else None."""
    if not (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "raw_response"
    ):
        return None
    (wrapped,) = node.value.args
    if not (isinstance(wrapped, ast.Attribute) and isinstance(wrapped.value, ast.Name)):
        raise ValueError(f"raw_response() takes a method of a class: {ast.unparse(node)}")
    owner = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == wrapped.value.id)
    method = next(
        n for n in owner.body if isinstance(n, ast.AsyncFunctionDef) and n.name == wrapped.attr
    )
    return node.targets[0].id, owner.name, method


def _emit_raw_method(name: str, owner: str, method: ast.AsyncFunctionDef) -> list[str]:
    """The blocking twin of ``name = raw_response(...)``: ``method``'s signature,
    returning a ``RawResponse`` of what it returns, documented as ``raw_response`` does."""
    returns = f"RawResponse[{_sync_annotation(method.returns)}]"
    call = f"functools.partial(self._async.{name}, {_forward_args(method.args)})"
    return [
        "    " + _signature(method, returns).replace(f"def {method.name}(", f"def {name}(", 1),
        *_docstring_lines(raw_doc(owner, method.name), "        "),
        f"        return self._portal.call({call})",
        "",
    ]


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def _with_mixins(spec: ClassSpec, trees: dict[str, ast.Module]) -> ast.ClassDef:
    """The async class, with the methods it inherits from its mixins appended (a method
    the class defines itself wins, as in its MRO)."""
    cls = copy.copy(_class(trees[spec.module], spec.async_name))
    own = {n.name for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    body = list(cls.body)
    for module, name in spec.mixins:
        for node in _class(trees[module], name).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in own:
                own.add(node.name)
                body.append(node)
    cls.body = body
    return cls


def _emit_class(spec: ClassSpec, trees: dict[str, ast.Module]) -> list[str]:
    tree = trees[spec.module]
    cls = _with_mixins(spec, trees)
    base = "SyncClientBase" if spec.is_client else ""
    out = [f"class {spec.sync_name}({base}):" if base else f"class {spec.sync_name}:"]
    sync_doc = _sync_doc(cls)
    read_ahead = _sync_read_ahead(cls)
    if sync_doc is not None:
        out += _docstring_lines(sync_doc, "    ", rename=False)
    else:
        out += _docstring_lines(ast.get_docstring(cls, clean=True), "    ")
    out.append("")
    attr_docs = _attribute_docs(cls)
    resources = _resource_attributes(cls)
    if spec.is_client:
        out += [f"    _async_client: {spec.async_name}", ""]
    for name, sync_cls in resources:
        out.append(f"    {name}: {sync_cls}")
        if name in attr_docs:
            out += _docstring_lines(attr_docs[name], "    ")
        out.append("")

    if not spec.is_client:
        out += [
            f"    def __init__(self, async_resource: {spec.async_name}, portal: Portal) -> None:",
            "        self._async = async_resource",
            "        self._portal = portal",
            "",
        ]

    for node in cls.body:
        raw = _raw_response_of(node, tree)
        if raw is not None:
            out += _emit_raw_method(*raw)
            continue
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        name = node.name
        doc = ast.get_docstring(node, clean=True)
        if spec.is_client and name == "__init__":
            out.append("    " + _signature(node, "None"))
            out += _docstring_lines(doc, "        ")
            out.append(
                f"        self._async_client = {spec.async_name}({_forward_args(node.args)})"
            )
            out.append(f"        self._portal = Portal({spec.sync_name!r})")
            for attr, sync_cls in resources:
                out.append(
                    f"        self.{attr} = {sync_cls}(self._async_client.{attr}, self._portal)"
                )
            out += [
                "",
                "    @classmethod",
                f"    def _wrap(cls, async_client: {spec.async_name}, portal: Portal)"
                f" -> {spec.sync_name}:",
                '        """A twin of ``async_client`` that runs on ``portal``."""',
                "        self = cls.__new__(cls)",
                "        self._async_client = async_client",
                "        self._portal = portal",
            ]
            for attr, sync_cls in resources:
                out.append(f"        self.{attr} = {sync_cls}(async_client.{attr}, portal)")
            out += ["        return self", ""]
            continue
        if name.startswith("_") or (spec.is_client and name in _CLIENT_MANAGED):
            continue
        target = "self._async_client" if spec.is_client else "self._async"
        call = f"functools.partial({target}.{name}, {_forward_args(node.args)})"
        is_property = any(
            isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list
        )
        returns_resource = node.returns is not None and ast.unparse(node.returns) in _RENAMES
        if is_property and returns_resource:
            # A property giving another async resource: its twin, on the same portal. A
            # resource the async client makes on first access: so does its twin, once.
            assert node.returns is not None
            twin = _RENAMES[ast.unparse(node.returns)]
            out.append("    @functools.cached_property" if spec.is_client else "    @property")
            out.append("    " + _signature(node, twin))
            out += _docstring_lines(doc, "        ")
            out.append(f"        return {twin}({target}.{name}, self._portal)")
        elif is_property:
            out.append("    @property")
            out.append("    " + _signature(node, _sync_annotation(node.returns)))
            out += _docstring_lines(doc, "        ")
            out.append(f"        return {target}.{name}")
        elif isinstance(node, ast.AsyncFunctionDef):
            out.append("    " + _signature(node, _sync_annotation(node.returns)))
            out += _docstring_lines(doc, "        ")
            out.append(f"        return self._portal.call({call})")
        elif _returns_async_generator(node):
            out.append("    " + _signature(node, _sync_annotation(node.returns)))
            out += _docstring_lines(doc, "        ")
            ahead = ", read_ahead=True" if name in read_ahead else ""
            out.append(f"        return self._portal.iterate({call}{ahead})")
        elif (
            spec.is_client
            and node.returns is not None
            and (ast.unparse(node.returns) == spec.async_name)
        ):
            # Returns another async client (with_options): its twin shares the portal.
            out.append("    " + _signature(node, _sync_annotation(node.returns)))
            out += _docstring_lines(doc, "        ")
            forwarded = f"{target}.{name}({_forward_args(node.args)})"
            out.append(f"        return {spec.sync_name}._wrap({forwarded}, self._portal)")
        else:
            out.append("    " + _signature(node, _sync_annotation(node.returns)))
            out += _docstring_lines(doc, "        ")
            out.append(f"        return {target}.{name}({_forward_args(node.args)})")
        out.append("")
    return out


def _source_path(module: str) -> Path:
    """The file of a module given by its dotted path inside the package."""
    return PACKAGE_DIR / (module.replace(".", "/") + ".py")


class _Rebase(ast.NodeTransformer):
    """Rewrites a module's relative imports as the generated module, at the top of the
    package, must write them."""

    def __init__(self, module: str) -> None:
        self.package = module.split(".")[:-1]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.ImportFrom:
        if node.level == 0:
            return node
        base = self.package[: len(self.package) - (node.level - 1)]
        parts = base + ([node.module] if node.module else [])
        return ast.ImportFrom(module=".".join(parts) or None, names=node.names, level=1)


def _module_imports(tree: ast.Module, module: str) -> list[str]:
    lines = []
    rebase = _Rebase(module)
    for node in tree.body:
        if (
            isinstance(node, (ast.Import, ast.ImportFrom))
            and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        ) or (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            lines.append(ast.unparse(rebase.visit(copy.deepcopy(node))))
    return lines


def _defined_names(tree: ast.Module) -> list[str]:
    """Public names a module defines itself (classes, aliases): its annotations use them."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in names if not n.startswith("_") and n != "__all__"]


class _RuntimeNames(ast.NodeVisitor):
    """The names a module's code reads when it runs: annotations left out (the
    generated module has ``from __future__ import annotations``)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        pass  # its annotation

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for child in (*node.decorator_list, *node.args.defaults, *node.body):
            self.visit(child)
        for default in node.args.kw_defaults:
            if default is not None:
                self.visit(default)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function


def _runtime_names(source: str) -> set[str]:
    """The names ``source`` reads at run time (defaults, decorators, bodies)."""
    visitor = _RuntimeNames()
    visitor.visit(ast.parse(source))
    return visitor.names


def _split_imports(lines: Sequence[str], runtime: set[str]) -> list[str]:
    """The import ``lines``, with every name the code only uses in annotations moved
    under ``if TYPE_CHECKING:``: importing the blocking client then loads only what it
    runs, and the rarer resources' modules load with their async twins, on first use."""
    eager: list[str] = []
    typing_only: list[str] = []
    for line in lines:
        for node in ast.parse(line).body:
            # Under the source's own `if TYPE_CHECKING:`, an import stays type-only.
            checking = isinstance(node, ast.If)
            for statement in node.body if isinstance(node, ast.If) else [node]:
                if not isinstance(statement, ast.ImportFrom):
                    (typing_only if checking else eager).append(ast.unparse(statement))
                    continue
                for alias in statement.names:
                    one = ast.ImportFrom(statement.module, [alias], statement.level)
                    used = (alias.asname or alias.name) in runtime and not checking
                    (eager if used else typing_only).append(ast.unparse(one))
    eager.append("from typing import TYPE_CHECKING")
    return [
        *dict.fromkeys(eager),
        "",
        "if TYPE_CHECKING:",
        *(f"    {line}" for line in dict.fromkeys(typing_only) if line not in eager),
    ]


def _ruff(args: Sequence[str], source: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=PACKAGE_DIR.parent,
        check=False,
    )
    if proc.returncode not in (0, 1) or not proc.stdout:
        raise RuntimeError(f"ruff {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def generate() -> str:
    """Return the source of ``_sync.py`` for the async classes as they are now."""
    modules = [spec.module for spec in CLASSES]
    modules += [module for spec in CLASSES for module, _ in spec.mixins]
    trees = {
        module: ast.parse(_source_path(module).read_text("utf-8"))
        for module in dict.fromkeys(modules)
    }
    sources = [f"hubcrm/{module.replace('.', '/')}.py" for module in trees]
    header = [
        "# GENERATED by `python -m hubcrm._codegen` from",
        *(f"#   {source}" for source in sources),
        "# Do not edit: change the async classes and regenerate (`nox -s codegen`).",
        '"""The blocking facade: HubCRM and its resources, run through one portal."""',
        "",
        "from __future__ import annotations",
        "",
        "import functools",
    ]
    imports = ["from collections.abc import Generator, Iterable, Iterator"]
    for module, tree in trees.items():
        imports += _module_imports(tree, module)
    imports += [f"from .{spec.module} import {spec.async_name}" for spec in CLASSES]
    for module, tree in trees.items():
        own = [n for n in _defined_names(tree) if n not in _RENAMES]
        if own:
            imports.append(f"from .{module} import {', '.join(own)}")
    imports += [
        "from ._portal import Portal, SyncClientBase",
        "from ._resources.raw import RawResponse",
    ]
    body: list[str] = []
    for spec in CLASSES:
        body += _emit_class(spec, trees)
        body.append("")
    header += _split_imports(imports, _runtime_names("\n".join(body)))
    names = ", ".join(repr(name) for name in sorted(spec.sync_name for spec in CLASSES))
    header += ["", f"__all__ = [{names}]", "", ""]
    source = "\n".join(header + body)
    source = _ruff(["check", "--fix", "--quiet", "--select", "F401,I001"], source)
    return _ruff(["format", "--quiet"], source)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m hubcrm._codegen``."""
    parser = argparse.ArgumentParser(prog="python -m hubcrm._codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if hubcrm/_sync.py is stale")
    args = parser.parse_args(argv)
    fresh = generate()
    current = TARGET.read_text("utf-8") if TARGET.exists() else ""
    if args.check:
        if fresh == current:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            "hubcrm/_sync.py (checked in)",
            "hubcrm/_sync.py (generated)",
        )
        sys.stderr.writelines(diff)
        sys.stderr.write("\nhubcrm/_sync.py is stale: run `nox -s codegen`.\n")
        return 1
    if fresh != current:
        TARGET.write_text(fresh, "utf-8")
        print("wrote hubcrm/_sync.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
