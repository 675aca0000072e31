"""What a check before sending finds: :class:`ValidationReport` and its parts."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = ["SkippedCheck", "ValidationProblem", "ValidationReport"]


@attrs.frozen
class ValidationProblem:
    """One reason HubSpot would refuse one input.

    Attributes:
        index: The input's position among the inputs checked, from 0.
        property: The property at fault, or None when the problem is not one
            property's (an input that cannot be encoded).
        code: HubSpot's error code for it where one is known (``"INVALID_OPTION"``,
            ``"PROPERTY_DOESNT_EXIST"``, ``"READ_ONLY_VALUE"``, ...), else a category
            (``"CONFLICT"`` for a unique value held twice). See the API docs for which
            codes HubSpot's documentation confirms.
        message: What is wrong, naming the property and what the portal allows (an
            option list, a stage id); never the input's own value.
        held_by: For a unique value repeated among the inputs (``"CONFLICT"``), the
            index of the earlier input that holds it (HubSpot creates that one); else
            None.
    """

    index: int
    property: str | None
    code: str
    message: str
    held_by: int | None = None


@attrs.frozen
class SkippedCheck:
    """A check that was not run, or a value it could not judge, and why.

    Attributes:
        check: What was not checked: ``"properties"``, ``"validation_rules"``,
            ``"pipelines"``, ``"owners"``, ``"required_properties"``,
            ``"existing_values"`` (the portal could not be read for it), or ``"rule"``
            (one validation rule hubcrm does not evaluate).
        reason: Why (a missing scope, a rule type hubcrm does not evaluate, a pattern
            Java and Python read differently).
        property: The property concerned, for a rule; None for a whole check.
    """

    check: str
    reason: str
    property: str | None = None


def _problems(value: Iterable[ValidationProblem]) -> tuple[ValidationProblem, ...]:
    # A stable sort: an input's problems keep the order they were found in.
    return tuple(sorted(value, key=lambda p: p.index))


def _skipped(value: Iterable[SkippedCheck]) -> tuple[SkippedCheck, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class ValidationReport:
    """What ``objects.validate`` found: the inputs HubSpot would refuse, and why.

    Attributes:
        object_type: The object type the inputs were checked for.
        checked: How many inputs were checked.
        problems: Every problem found, ordered by input index (an input may have
            several: one per property at fault).
        skipped: The checks not run (a definition the token may not read) and the
            validation rules not evaluated, each with its reason; empty when every
            check ran.
        requests: The requests the check spent (0 when the portal's definitions were
            cached).
    """

    object_type: str
    checked: int
    problems: tuple[ValidationProblem, ...] = attrs.field(default=(), converter=_problems)
    skipped: tuple[SkippedCheck, ...] = attrs.field(default=(), converter=_skipped)
    requests: int = 0

    @property
    def ok(self) -> bool:
        """Whether no problem was found (some checks may still have been skipped)."""
        return not self.problems

    @property
    def refused(self) -> frozenset[int]:
        """The indexes of the inputs with at least one problem."""
        return frozenset(p.index for p in self.problems)

    def by_index(self) -> dict[int, list[ValidationProblem]]:
        """The problems grouped by input index, in index order."""
        grouped: dict[int, list[ValidationProblem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.index, []).append(problem)
        return grouped
