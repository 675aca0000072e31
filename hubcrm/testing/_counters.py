"""Counters the emulator keeps, and the immutable snapshot tests read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "Counters",
    "Stats",
]


@attrs.frozen(kw_only=True)
class Stats:
    """A snapshot of the emulator's counters (``emu.stats``).

    Attributes:
        requests: API requests received (admin endpoints excluded), whatever the outcome.
        requests_by_operation: the same, by operation: ``create``, ``batch_create``,
            ``batch_upsert``, ``read``, ``token``, ``list``, ``update``, ``archive``,
            ``batch_update``, ``batch_archive``, ``search``, ``associate``,
            ``list_associations``, ``delete_association``, ``batch_associate``,
            ``batch_disassociate``, ``association_labels``, ``create_association_label``,
            ``update_association_label``, ``delete_association_label``, ``list_schemas``,
            ``read_schema``, ``create_schema`` or ``other``.
        responses_by_status: HTTP responses sent, by status code (a dropped connection
            sends none).
        rate_limited: 429s sent, by ``policyName`` (``TEN_SECONDLY_ROLLING``, ``DAILY``).
        faults: faults injected, by kind.
        faults_by_operation: faults injected, by operation then kind.
        oauth_refreshes: successful refresh-token grants.
        objects_created: objects written by create, batch create and upsert.
        objects_updated: objects updated by upsert.
    """

    requests: int = 0
    requests_by_operation: Mapping[str, int] = attrs.field(factory=dict)
    responses_by_status: Mapping[int, int] = attrs.field(factory=dict)
    rate_limited: Mapping[str, int] = attrs.field(factory=dict)
    faults: Mapping[str, int] = attrs.field(factory=dict)
    faults_by_operation: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict)
    oauth_refreshes: int = 0
    objects_created: int = 0
    objects_updated: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON form, as ``GET /_emulator/stats`` returns it (status codes as strings)."""
        return {
            "requests": self.requests,
            "requests_by_operation": dict(self.requests_by_operation),
            "responses_by_status": {str(k): v for k, v in self.responses_by_status.items()},
            "rate_limited": dict(self.rate_limited),
            "faults": dict(self.faults),
            "faults_by_operation": {k: dict(v) for k, v in self.faults_by_operation.items()},
            "oauth_refreshes": self.oauth_refreshes,
            "objects_created": self.objects_created,
            "objects_updated": self.objects_updated,
        }


class Counters:
    """The live, mutable counters; mutated and read under the emulator's lock."""

    __slots__ = (
        "faults",
        "faults_by_operation",
        "oauth_refreshes",
        "objects_created",
        "objects_updated",
        "rate_limited",
        "requests",
        "requests_by_operation",
        "responses_by_status",
    )

    def __init__(self) -> None:
        self.requests = 0
        self.requests_by_operation: dict[str, int] = {}
        self.responses_by_status: dict[int, int] = {}
        self.rate_limited: dict[str, int] = {}
        self.faults: dict[str, int] = {}
        self.faults_by_operation: dict[str, dict[str, int]] = {}
        self.oauth_refreshes = 0
        self.objects_created = 0
        self.objects_updated = 0

    def request(self, operation: str) -> None:
        """Count one API request received."""
        self.requests += 1
        by_operation = self.requests_by_operation
        by_operation[operation] = by_operation.get(operation, 0) + 1

    def response(self, status: int) -> None:
        """Count one HTTP response sent."""
        by_status = self.responses_by_status
        by_status[status] = by_status.get(status, 0) + 1

    def fault(self, kind: str, operation: str) -> None:
        """Count one injected fault."""
        self.faults[kind] = self.faults.get(kind, 0) + 1
        per_op = self.faults_by_operation.setdefault(operation, {})
        per_op[kind] = per_op.get(kind, 0) + 1

    def snapshot(self) -> Stats:
        """An immutable copy."""
        return Stats(
            requests=self.requests,
            requests_by_operation=dict(self.requests_by_operation),
            responses_by_status=dict(self.responses_by_status),
            rate_limited=dict(self.rate_limited),
            faults=dict(self.faults),
            faults_by_operation={k: dict(v) for k, v in self.faults_by_operation.items()},
            oauth_refreshes=self.oauth_refreshes,
            objects_created=self.objects_created,
            objects_updated=self.objects_updated,
        )
