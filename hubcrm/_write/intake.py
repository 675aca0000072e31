"""Intake of a bulk run: pulling inputs, checking them, their unique keys and trace ids.

Inputs are pulled one at a time from any iterable or async iterable, so that a run
holds only what it is working on. Each becomes an :class:`Item`: the caller's input as
given, its encoded properties and associations (its :class:`~hubcrm.ObjectInput`, made
only when asked for), the ``objectWriteTraceId`` that matches HubSpot's answer to it,
and the unique keys that scheduling keeps apart.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Iterator,
    Mapping,
    Sequence,
    Sized,
)
from typing import Any

from .._core.convert import dump_input
from .._core.models import Association, ObjectInput, input_of
from .._core.values import encode_properties
from .outcomes import BulkInput, BulkInputs

__all__ = ["Intake", "Item", "Refused", "batch_body", "mark_sent", "unique_key", "unsendable"]


class Item:
    """One input on its way: the original, its encoded properties and associations, its
    trace id and unique keys."""

    __slots__ = (
        *("_obj", "associations", "done", "index", "key", "properties", "raw", "repeated"),
        *("sent", "settling", "trace_id", "unique"),
    )

    def __init__(
        self,
        index: int,
        raw: BulkInput,
        properties: dict[str, str],
        associations: tuple[Association, ...],
        obj: ObjectInput | None,
        trace_id: str,
        key: str | tuple[str, ...],
        unique: str = "",
    ) -> None:
        self.index = index
        # Its value of the run's key property (``id_property``, else a contact's email),
        # as HubSpot compares it; "" when it has none.
        self.unique = unique
        self.raw = raw
        self.properties = properties  # encoded: what the body sends
        self.associations = associations
        # Its ObjectInput when it came as one (or as another mapping); for a plain dict,
        # made on first use of ``obj`` (settling and errors): one object less per input.
        self._obj = obj
        self.trace_id = trace_id
        # Its unique keys as scheduling takes them: a lone key as itself (the usual
        # case: no tuple per input), else a tuple of them.
        self.key = key
        self.done = False
        self.settling = False  # handed to settling: its keys stay busy until settled
        # An earlier input of the run may have had its unique value (see SeenKeys).
        self.repeated = False
        self.sent = False  # a request with it left the rate limiter: it may be in HubSpot

    @property
    def keys(self) -> tuple[str, ...]:
        """Its unique keys (the ones scheduling keeps apart), as a tuple."""
        key = self.key
        return (key,) if isinstance(key, str) else key

    @property
    def obj(self) -> ObjectInput:
        """The input as an :class:`~hubcrm.ObjectInput` (the same properties)."""
        obj = self._obj
        if obj is None:
            obj = self._obj = input_of(self.properties)  # encoded already: a copy
        return obj


def mark_sent(items: list[Item]) -> None:
    """A request of these items left the rate limiter (``request_sent``'s callback)."""
    for item in items:
        item.sent = True


class Refused:
    """An input that failed its local checks: it fails alone, and is never sent."""

    __slots__ = ("error", "index", "raw")

    def __init__(self, index: int, raw: BulkInput, error: Exception) -> None:
        self.index = index
        self.raw = raw
        self.error = error


class Intake:
    """Pulls and checks the inputs of one run, in order."""

    def __init__(
        self,
        inputs: BulkInputs,
        *,
        id_property: str | None,
        upsert: bool,
        contacts: bool,
        single: bool,
        trace_prefix: str,
    ) -> None:
        self._id_property = id_property
        self._upsert = upsert
        self._contacts = contacts
        self._single = single
        self._trace_prefix = trace_prefix
        self.total: int | None = None
        """How many inputs there are, when the iterable says (``len()``)."""
        if isinstance(inputs, AsyncIterable):
            self._aiter: AsyncIterator[BulkInput] | None = inputs.__aiter__()
            self._iter: Iterator[BulkInput] | None = None
        else:
            self._aiter = None
            self._iter = iter(inputs)
            self.total = len(inputs) if isinstance(inputs, Sized) else None
        self.pulled = 0
        self.exhausted = False

    @property
    def is_async(self) -> bool:
        """Whether the inputs come from an async iterable (pulling may then suspend)."""
        return self._aiter is not None

    async def pull(self) -> Item | Refused | None:
        """The next input; ``None`` when there is none left.

        Raises:
            Exception: whatever the caller's iterable raised (then nothing is left).
        """
        if self._aiter is None:
            return self.pull_now()
        try:
            raw = await self._aiter.__anext__()
        except StopAsyncIteration:
            self.exhausted = True
            return None
        except Exception:
            self.exhausted = True
            raise
        return self._taken(raw)

    def pull_now(self) -> Item | Refused | None:
        """:meth:`pull` of a plain iterable's next input, without suspending."""
        assert self._iter is not None
        try:
            raw = next(self._iter)
        except StopIteration:
            self.exhausted = True
            return None
        except Exception:
            self.exhausted = True
            raise
        return self._taken(raw)

    def _taken(self, raw: BulkInput) -> Item | Refused:
        index = self.pulled
        self.pulled += 1
        try:
            return self._item(index, raw)
        except Exception as exc:  # whatever an input raises is its own
            # An input that cannot be sent (a TypeError or ValueError naming the
            # property, or an error raised by a mapping of the caller's) fails alone.
            return Refused(index, raw, exc)

    def _item(self, index: int, raw: BulkInput) -> Item:
        obj: ObjectInput | None
        if type(raw) is dict:  # the common case first: no ABC check, no ObjectInput
            obj = None
            properties = encode_properties(raw)
            associations: tuple[Association, ...] = ()
            trace_id = None
        else:
            if isinstance(raw, ObjectInput):
                obj = raw
            elif isinstance(raw, Mapping):
                obj = ObjectInput(raw)
            else:
                raise TypeError(
                    "each input must be an ObjectInput or a mapping of properties, "
                    f"not {type(raw).__name__}"
                )
            properties, associations = obj.properties, obj.associations
            trace_id = obj.object_write_trace_id
        # The unique keys, as strings (no container per key, and a lone key as itself):
        # see unique_key.
        key: str | tuple[str, ...] = ()
        unique = ""
        id_property = self._id_property
        if id_property is not None:
            value = properties.get(id_property)
            unique = value.strip().lower() if value else ""
            if not unique:  # a blank value is no key: HubSpot would not find it by it
                raise ValueError(f"id_property {id_property!r} has no value in this input")
            if self._upsert and associations:
                raise ValueError(
                    "batch/upsert cannot set associations; use create_many with "
                    "id_property for inputs with associations"
                )
            key = unique_key(id_property, unique)
        if self._contacts:
            email = properties.get("email")
            folded = email.strip().lower() if email else ""
            if folded:
                if id_property is None:
                    unique = folded
                    key = f"u5:email{folded}"  # unique_key("email", folded), inline
                elif id_property != "email" or folded != unique:
                    assert type(key) is str  # the id_property's
                    key = (key, unique_key("email", folded))
        if trace_id is None:
            trace_id = f"{self._trace_prefix}{index}"
        elif not self._single:  # the caller's own: must be unique per batch
            traced = f"t{trace_id}"
            key = traced if key == () else (key, traced) if type(key) is str else (*key, traced)
        return Item(index, raw, properties, associations, obj, trace_id, key, unique)


def unique_key(prop: str, value: str) -> str:
    """The scheduling key of an input whose ``prop`` has the (folded) ``value``.

    One string per key keeps a key free of containers; the property's length in front
    makes it unambiguous (``"u5:emailx@y.com"``), and no such key starts like a trace
    id's (``"t"`` and the id).
    """
    return f"u{len(prop)}:{prop}{value}"


def unsendable(obj: ObjectInput, error: Exception) -> Exception:
    """The error for an input whose body cannot be encoded, naming the property."""
    try:  # checking it again names the property (it was changed since it was checked)
        ObjectInput(
            obj.properties,
            associations=obj.associations,
            object_write_trace_id=obj.object_write_trace_id,
        )
    except (TypeError, ValueError) as exc:
        return exc
    return ValueError(f"the input cannot be encoded as JSON: {type(error).__name__}")


def batch_body(items: Sequence[Item], upsert_by: str | None) -> dict[str, Any]:
    """The JSON body of a ``batch/create`` of ``items`` or, with ``upsert_by`` (the
    ``id_property``), of a ``batch/upsert``; each entry carries its input's trace id."""
    inputs: list[dict[str, Any]] = []
    if upsert_by is not None:
        for item in items:
            props = item.properties
            inputs.append(
                {
                    "idProperty": upsert_by,
                    "id": props[upsert_by],
                    "properties": props,
                    "objectWriteTraceId": item.trace_id,
                }
            )
        return {"inputs": inputs}
    for item in items:
        if item.associations:
            body = dump_input(item.obj)
            body["objectWriteTraceId"] = item.trace_id
        else:
            # An empty tuple is JSON's [] too, and is no new object per input.
            body = {
                "properties": item.properties,
                "associations": (),
                "objectWriteTraceId": item.trace_id,
            }
        inputs.append(body)
    return {"inputs": inputs}
