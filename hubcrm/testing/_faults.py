"""Fault injection: scripted ("the next 3 creates") or by seeded probability."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Literal

import attrs

__all__ = [
    "FAULT_KINDS",
    "OPERATIONS",
    "FaultKind",
    "FaultRecord",
    "FaultRule",
    "Faults",
    "Operation",
]

FaultKind = Literal[
    "latency", "error_before", "error_after", "disconnect_after", "timeout_after", "answer_after"
]
"""What goes wrong.

- ``latency``: the request waits ``delay`` seconds, then proceeds normally (combines
  with any one other kind).
- ``error_before``: answered with ``status`` before anything is processed: nothing is
  written.
- ``error_after``: processed and committed, then answered with ``status``.
- ``disconnect_after``: processed and committed, then the connection is dropped without
  any HTTP response.
- ``timeout_after``: processed and committed, then the response is held back for
  ``delay`` seconds (longer than the client's timeout) before it is sent.
- ``answer_after``: processed and committed, then answered with ``status`` and the
  rule's ``body`` (any JSON value) instead of the true answer: a malformed answer.
"""

Operation = Literal[
    "create",
    "batch_create",
    "batch_upsert",
    "read",
    "batch_read",
    "token",
    "list",
    "update",
    "archive",
    "batch_update",
    "batch_archive",
    "search",
    "associate",
    "list_associations",
    "delete_association",
    "batch_associate",
    "batch_disassociate",
    "association_labels",
    "create_property",
    "read_property",
    "list_schemas",
    "read_schema",
    "create_schema",
    "create_association_label",
    "update_association_label",
    "delete_association_label",
    "read_pipelines",
    "read_owners",
    "list_properties",
    "update_property",
    "archive_property",
    "property_groups",
    "read_property_group",
    "create_property_group",
    "property_validations",
]
"""The endpoints faults can target."""

FAULT_KINDS: tuple[FaultKind, ...] = (
    "latency",
    "error_before",
    "error_after",
    "disconnect_after",
    "timeout_after",
    "answer_after",
)
OPERATIONS: tuple[Operation, ...] = Operation.__args__  # type: ignore[attr-defined]
_DEFAULT_DELAY = {"latency": 0.5, "timeout_after": 30.0}


def _check_kind(_: object, __: object, value: str) -> None:
    if value not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {value!r}; expected one of {FAULT_KINDS}")


def _check_operation(_: object, __: object, value: str | None) -> None:
    if value is not None and value not in OPERATIONS:
        raise ValueError(f"unknown operation {value!r}; expected one of {OPERATIONS}")


@attrs.frozen(kw_only=True)
class FaultRule:
    """One fault to inject.

    Exactly one of ``times`` (scripted: the next ``times`` matching requests) and
    ``probability`` (each matching request, with this seeded probability) is set; with
    neither, ``times=1``.

    Attributes:
        kind: see :data:`FaultKind`.
        times: how many of the next matching requests get the fault.
        probability: chance, in [0, 1], that a matching request gets it.
        operation: only requests to this endpoint (``create``, ``batch_create``,
            ``batch_upsert``, ``read``, ``batch_read``, ``token``); ``None`` matches all.
        object_type: only requests for this object type (name or id); ``None`` matches all.
        status: HTTP status for ``error_before`` / ``error_after`` (502 by default; 423,
            477, 503, 504, 52x, ...).
        delay: seconds for ``latency`` (default 0.5) and ``timeout_after`` (default 30).
        retry_after: ``Retry-After`` header value in seconds; a 477 gets 1 when unset.
        html: answer the error with an HTML page (``text/html``) like a gateway does.
        body: for ``answer_after``, the JSON value sent as the answer.
    """

    kind: FaultKind = attrs.field(validator=_check_kind)
    times: int | None = None
    probability: float | None = None
    operation: Operation | None = attrs.field(default=None, validator=_check_operation)
    object_type: str | None = None
    status: int = 502
    # A Factory, not a @delay.default method: pyright sees only a default given here,
    # and would otherwise make users pass delay.
    delay: float = attrs.field(
        default=attrs.Factory(lambda self: _DEFAULT_DELAY.get(self.kind, 0.0), takes_self=True)
    )
    retry_after: float | None = None
    html: bool = False
    body: object = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.times is None and self.probability is None:
            object.__setattr__(self, "times", 1)
        elif self.times is not None and self.probability is not None:
            raise ValueError("give either times or probability, not both")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if self.delay < 0:
            raise ValueError("delay must be >= 0")


@attrs.frozen(kw_only=True)
class FaultRecord:
    """One injected fault, as kept in the fault log.

    Attributes:
        kind: what was injected.
        operation: the endpoint it hit.
        object_type: the object type's name (``contacts``), or ``None`` (token endpoint).
        status: the HTTP status sent for ``error_*`` and ``answer_after`` faults, else
            ``None``.
        ids: ids of the objects committed by the request the fault hit (empty for
            faults before processing): they are stored even though the client saw a
            failure.
        correlation_id: the request's ``x-hubspot-correlation-id``.
    """

    kind: FaultKind
    operation: str
    object_type: str | None
    status: int | None
    ids: tuple[str, ...]
    correlation_id: str

    def to_json(self) -> dict[str, object]:
        """JSON form, as ``GET /_emulator/faults`` returns it."""
        return {
            "kind": self.kind,
            "operation": self.operation,
            "object_type": self.object_type,
            "status": self.status,
            "ids": list(self.ids),
            "correlation_id": self.correlation_id,
        }


class _Scripted:
    __slots__ = ("remaining", "rule")

    def __init__(self, rule: FaultRule) -> None:
        self.rule = rule
        self.remaining = rule.times or 1


class Faults:
    """The fault injector of an :class:`~hubcrm.testing.Emulator` (``emu.faults``).

    Every method is thread-safe. A request gets at most one ``latency`` fault and at
    most one other fault: scripted rules first, in the order added, then probabilistic
    ones.
    """

    def __init__(
        self, lock: threading.Lock, seed: int | None, resolve: Callable[[str], str | None]
    ) -> None:
        self._lock = lock
        self._seed = seed
        self._rng = random.Random(seed)
        self._resolve = resolve
        self._scripted: list[_Scripted] = []
        self._random: list[FaultRule] = []
        self._log: list[FaultRecord] = []
        self.active: bool = False

    # --- configuration -------------------------------------------------------------

    def add(self, rule: FaultRule) -> FaultRule:
        """Arm ``rule``; returns it."""
        with self._lock:
            if rule.probability is not None:
                self._random.append(rule)
            else:
                self._scripted.append(_Scripted(rule))
            self.active = True
        return rule

    def latency(
        self,
        delay: float = 0.5,
        *,
        times: int | None = None,
        probability: float | None = None,
        operation: Operation | None = None,
        object_type: str | None = None,
    ) -> FaultRule:
        """Delay matching requests by ``delay`` seconds before processing them."""
        return self._arm("latency", times, probability, operation, object_type, delay=delay)

    def error_before(
        self,
        status: int = 502,
        *,
        times: int | None = None,
        probability: float | None = None,
        operation: Operation | None = None,
        object_type: str | None = None,
        html: bool = False,
        retry_after: float | None = None,
    ) -> FaultRule:
        """Answer matching requests with ``status`` without processing them."""
        return self._arm(
            "error_before",
            times,
            probability,
            operation,
            object_type,
            status=status,
            html=html,
            retry_after=retry_after,
        )

    def error_after(
        self,
        status: int = 502,
        *,
        times: int | None = None,
        probability: float | None = None,
        operation: Operation | None = None,
        object_type: str | None = None,
        html: bool = False,
        retry_after: float | None = None,
    ) -> FaultRule:
        """Process and commit matching requests, then answer with ``status``."""
        return self._arm(
            "error_after",
            times,
            probability,
            operation,
            object_type,
            status=status,
            html=html,
            retry_after=retry_after,
        )

    def disconnect_after(
        self,
        *,
        times: int | None = None,
        probability: float | None = None,
        operation: Operation | None = None,
        object_type: str | None = None,
    ) -> FaultRule:
        """Process and commit matching requests, then drop the connection unanswered."""
        return self._arm("disconnect_after", times, probability, operation, object_type)

    def answer_after(
        self,
        body: object,
        status: int = 200,
        *,
        times: int | None = None,
        probability: float | None = None,
        operation: Operation | None = None,
        object_type: str | None = None,
    ) -> FaultRule:
        """Process and commit matching requests, then answer ``status`` with ``body``
        (a JSON value: ``{"results": [None]}``) in place of the true answer."""
        rule = FaultRule(
            kind="answer_after",
            times=times,
            probability=probability,
            operation=operation,
            object_type=object_type,
            status=status,
            body=body,
        )
        return self.add(rule)

    def timeout_after(
        self,
        delay: float = 30.0,
        *,
        times: int | None = None,
        probability: float | None = None,
        operation: Operation | None = None,
        object_type: str | None = None,
    ) -> FaultRule:
        """Process and commit matching requests, then hold the response ``delay`` seconds."""
        return self._arm("timeout_after", times, probability, operation, object_type, delay=delay)

    def _arm(
        self,
        kind: FaultKind,
        times: int | None,
        probability: float | None,
        operation: Operation | None,
        object_type: str | None,
        *,
        status: int = 502,
        delay: float | None = None,
        html: bool = False,
        retry_after: float | None = None,
    ) -> FaultRule:
        """Build the rule one of the builders describes, and arm it.

        A ``delay`` of ``None`` stands for the kind's default delay.
        """
        rule = FaultRule(
            kind=kind,
            times=times,
            probability=probability,
            operation=operation,
            object_type=object_type,
            status=status,
            delay=_DEFAULT_DELAY.get(kind, 0.0) if delay is None else delay,
            html=html,
            retry_after=retry_after,
        )
        return self.add(rule)

    def clear(self) -> None:
        """Disarm every rule (the log and counters stay)."""
        with self._lock:
            self._scripted.clear()
            self._random.clear()
            self.active = False

    def reset(self) -> None:
        """Disarm every rule, empty the log and reseed the random generator."""
        with self._lock:
            self._scripted.clear()
            self._random.clear()
            self._log.clear()
            self._rng = random.Random(self._seed)
            self.active = False

    # --- inspection ------------------------------------------------------------------

    @property
    def rules(self) -> list[FaultRule]:
        """Armed rules; scripted ones with ``times`` = what is left of them."""
        with self._lock:
            scripted = [attrs.evolve(s.rule, times=s.remaining) for s in self._scripted]
            return scripted + list(self._random)

    @property
    def log(self) -> list[FaultRecord]:
        """Every fault injected so far, oldest first."""
        with self._lock:
            return list(self._log)

    # --- used by the app, under the lock ------------------------------------------------

    def _matches(self, rule: FaultRule, operation: str, object_type: str | None) -> bool:
        if rule.operation is not None and rule.operation != operation:
            return False
        if rule.object_type is None:
            return True
        return object_type is not None and self._resolve(rule.object_type) == object_type

    def pick(
        self, operation: str, object_type: str | None
    ) -> tuple[FaultRule | None, FaultRule | None]:
        """Choose (latency, other) faults for one request; caller holds the lock."""
        latency: FaultRule | None = None
        other: FaultRule | None = None
        for entry in list(self._scripted):
            rule = entry.rule
            is_latency = rule.kind == "latency"
            if (latency if is_latency else other) is not None:
                continue
            if not self._matches(rule, operation, object_type):
                continue
            entry.remaining -= 1
            if entry.remaining <= 0:
                self._scripted.remove(entry)
            if is_latency:
                latency = rule
            else:
                other = rule
        for rule in self._random:
            is_latency = rule.kind == "latency"
            if (latency if is_latency else other) is not None:
                continue
            if not self._matches(rule, operation, object_type):
                continue
            if self._rng.random() < (rule.probability or 0.0):
                if is_latency:
                    latency = rule
                else:
                    other = rule
        self.active = bool(self._scripted or self._random)
        return latency, other

    def record(self, record: FaultRecord) -> None:
        """Append to the log; caller holds the lock."""
        self._log.append(record)
