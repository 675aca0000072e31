"""A griffe extension for the reference docs: the methods ``raw_response`` makes.

In ``class AsyncObjectsWithRawResponse``, ``create = raw_response(AsyncObjects.create)``
is an attribute to static analysis: the method exists only once the module has run. The
extension puts in each such attribute's place the method as the live class has it (the
plain method's signature, returning a ``RawResponse``, and its docstring).
Configured in mkdocs.yml (``extensions``); the docs build is the only user.
"""

from __future__ import annotations

import ast
import importlib
from typing import Any

import griffe


class RawResponseMethods(griffe.Extension):
    """Replaces ``name = raw_response(...)`` attributes with the methods they make."""

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
        # Imported from the environment first: griffe.inspect alone would look for it
        # with sys.path cut down to the source tree, without hubcrm's dependencies.
        importlib.import_module(cls.module.path)
        live = griffe.inspect(
            cls.module.path,
            filepath=cls.module.filepath,
            docstring_parser=agent.docstring_parser,
            docstring_options=agent.docstring_options,
        )
        for name in made:
            method = live[cls.name][name]
            cls.set_member(name, method)
