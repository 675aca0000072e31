"""What a bulk run is given: the caller's arguments, checked, and where to send.

The engine (``_engine``) knows nothing of the resource that calls it: it is given a
:class:`BulkArgs` (the caller's arguments, checked once) and an :class:`Endpoint`
(what to send requests through, and where).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Literal, Protocol

import attrs

from .._core.config import RequestOptions
from .._core.models import Association, CrmObject
from .._core.values import PropertyValue
from .._http.session import object_type_segment
from .executor import Requester
from .recovery import ReadBack, Writes
from .schedule import check_batch_size, check_concurrency

if TYPE_CHECKING:
    from .outcomes import BulkProgress

__all__ = ["BulkArgs", "BulkMode", "CreateOne", "Endpoint"]

BulkMode = Literal["batch", "single"]


@attrs.frozen(kw_only=True)
class BulkArgs:
    """The arguments of one ``create_many`` / ``iter_create_many`` call, checked.

    Attributes:
        object_type: The object type's name or id.
        batch_size: Inputs per request, 1 to 100.
        concurrency: Requests in flight at once; None to derive it from the rate limit.
        id_property: The unique-value property every input has, or None.
        mode: ``"batch"``, or ``"single"`` for one create per input.
        on_progress: Called with a ``BulkProgress`` now and then, or None.

    Raises:
        TypeError, ValueError: an argument is invalid (the message says which).
    """

    object_type: str
    batch_size: int
    concurrency: int | None
    id_property: str | None
    mode: BulkMode
    on_progress: Callable[[BulkProgress], object] | None
    upsert: bool = False
    """Send batches through ``batch/upsert`` (needs ``id_property`` and batch mode)."""

    def __attrs_post_init__(self) -> None:
        object_type_segment(self.object_type)  # validates the type name
        check_batch_size(self.batch_size)
        check_concurrency(self.concurrency)
        id_property = self.id_property
        if id_property is not None and (not isinstance(id_property, str) or not id_property):
            raise ValueError("id_property must be a non-empty property name or None")
        if self.mode not in ("batch", "single"):
            raise ValueError(f"mode must be 'batch' or 'single', not {self.mode!r}")
        if self.on_progress is not None and not callable(self.on_progress):
            raise TypeError("on_progress must be callable or None")
        if self.upsert and (id_property is None or self.mode != "batch"):
            raise ValueError("an upsert needs an id_property and mode='batch'")

    @property
    def operation(self) -> str:
        """The batch endpoint below the object type's path: ``batch/create`` or ``batch/upsert``."""
        return "batch/upsert" if self.upsert else "batch/create"


class CreateOne(Protocol):
    """Creates one object, with its own safe recovery: what ``mode="single"`` calls."""

    async def __call__(
        self,
        object_type: str,
        properties: Mapping[str, PropertyValue],
        associations: Iterable[Association] = (),
        *,
        id_property: str | None = None,
    ) -> CrmObject:
        """Create the object, or raise as ``create`` does."""
        ...


@attrs.frozen(kw_only=True)
class Endpoint:
    """Where a bulk run sends its requests, and through what.

    Attributes:
        requester: The client's retrier; the concurrency target follows its
            ``rate_limit``.
        path: The batch path (``.../batch/create`` or ``.../batch/upsert``).
        options: Timeouts and retry policy for the batch requests.
        create_one: Creates one input, for ``mode="single"``.
        writes: Settles ambiguous batch creates (with ``read_back``); None: such
            batches stay unknown.
        read_back: Reads records by unique key, to settle ambiguous batch creates;
            None: such batches stay unknown.
    """

    requester: Requester
    path: str
    options: RequestOptions
    create_one: CreateOne
    writes: Writes | None = None
    read_back: ReadBack | None = None


# --- the engine -------------------------------------------------------------------------
