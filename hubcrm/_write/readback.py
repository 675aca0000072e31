"""What settling an ambiguous create decides by: the facts a read-back is judged on.

- :func:`made_since`: a record found was made since the write began (with a clock-skew
  tolerance), so that write may have made it;
- :func:`other_values`: a record made since the write began holds other values than
  those sent (another writer's);
- :func:`is_unique_refusal`: HubSpot refused a resend because its unique value is
  taken;
- :func:`read_first`: after which failures the inputs are read back before any resend;
- :func:`pause`: how long a settling round waits first.

What a bulk run decides by besides (an earlier input's claim on a record, the rounds
of an ambiguous batch) is in :mod:`~hubcrm._write.batch_settling`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from .._core.config import RetryPolicy
from .._core.errors import (
    APIError,
    BadRequestError,
    ConflictError,
    HubCRMError,
)
from .._core.models import CrmObject, ObjectInput
from .._http.retry import backoff
from .._http.session import Session

__all__ = [
    "CLOCK_SKEW",
    "LookUp",
    "OtherValues",
    "ReadBack",
    "earlier_writes",
    "is_unique_refusal",
    "made_since",
    "other_values",
    "pause",
    "read_first",
]

# How far HubSpot's clock may be behind ours when deciding whether a record found after
# an ambiguous create is the one that create made (created after it began) or one that
# existed before (then the create's honest answer is HubSpot's 409).
CLOCK_SKEW = 60.0


def read_first(cause: HubCRMError) -> bool:
    """Whether inputs that ``cause`` left ambiguous are read back before any resend.

    A 503 most likely came before HubSpot committed anything: resending first costs one
    request, and a resend cannot duplicate a keyed input (HubSpot refuses a taken
    value). Any other ambiguous failure (a 502 or 504, a dropped connection, a timeout,
    an unreadable answer) may well have come after commit: one read settles them all.
    """
    return not (isinstance(cause, APIError) and cause.status == 503)


def made_since(record: CrmObject, started: float) -> bool:
    """Whether ``record`` was created after a write that began at ``started``."""
    return record.created_at.timestamp() >= started - CLOCK_SKEW


class OtherValues(HubCRMError):
    """Why a record made since a write began is not that write's: it holds other values.

    The message names the record and the properties, never their values.

    Attributes:
        record: The record read back.
        properties: The properties whose values differ from those sent.
    """

    def __init__(self, record: CrmObject, properties: Sequence[str]) -> None:
        self.record = record
        self.properties = list(properties)
        super().__init__(
            f"the record read back by this input's unique value (ID {record.id}) was made "
            f"since the write began but holds other values for {', '.join(properties)}: "
            "another writer may have made it"
        )


def other_values(record: CrmObject, obj: ObjectInput) -> OtherValues | None:
    """Why ``record``, made since ``obj``'s write began, is not that write's: it holds
    other values (see :func:`~hubcrm._write.compare.differing_properties`); None when
    it holds the values sent."""
    from .compare import differing_properties  # loaded by the first record read back

    differing = differing_properties(obj.properties, record.properties)
    return OtherValues(record, differing) if differing else None


#: Reads one record: ``(object id or unique value, id_property or None)`` to the record.
#: Raises ``NotFoundError`` when there is none.
LookUp = Callable[[str, "str | None"], Awaitable[CrmObject]]

#: Reads records back in one request: ``(values, id_property or None for ids, properties)``
#: to the record of each value, aligned, ``None`` where there is none.
ReadBack = Callable[
    [Sequence[str], "str | None", Sequence[str]], Awaitable["list[CrmObject | None]"]
]


# Codes of a 400 that says the value itself is bad, not that another record holds it.
_INVALID_VALUE_CODES = frozenset(
    {"PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE", "MISSING_REQUIRED_PROPERTY"}
)


def is_unique_refusal(error: BaseException | None, key_property: str) -> bool:
    """Whether ``error`` refuses a create because its unique value is taken.

    HubSpot documents no one shape for a clash on a custom unique-value property: any
    409, or a 400 that names the property (and no invalid value), counts.
    """
    if isinstance(error, ConflictError):
        return True
    if not isinstance(error, BadRequestError):
        return False
    named = key_property in error.context.get("propertyName", ())
    for detail in error.errors:
        code = detail.code or ""
        if code.startswith("INVALID_") or code in _INVALID_VALUE_CODES:
            return False
        if detail.in_ == key_property or key_property in detail.context.get("propertyName", ()):
            named = True
    return named or f'"{key_property}"' in error.message


async def pause(
    session: Session, policy: RetryPolicy, round_: int, cause: HubCRMError
) -> float | None:
    """Wait before settling round ``round_`` (from 1): the first waits only for what
    HubSpot asked (``Retry-After``); later ones back off as a write's retries do.

    Returns the seconds waited, or None without waiting when HubSpot asked for a pause
    longer than ``rate_limit_deadline``: settling then gives up (the inputs stay
    unknown), as a request does.
    """
    wait = _asked_wait(cause)
    if wait > policy.rate_limit_deadline:
        return None
    if round_ > 1:
        wait = max(wait, backoff(policy, round_ - 1, session.random))
    if wait > 0:
        await session.sleep(wait)
    return wait


def _asked_wait(error: HubCRMError) -> float:
    """The pause HubSpot asked for with its answer (``Retry-After``), else 0."""
    if isinstance(error, APIError) and error.retry_after is not None:
        return error.retry_after
    return 0.0


async def earlier_writes(
    read_back: ReadBack,
    refused: Sequence[tuple[str | None, str | None]],
    *,
    key_property: str | None,
    since: float,
    claimed: set[str],
    properties: Sequence[str] = (),
) -> list[CrmObject | None]:
    """For writes HubSpot refused as taken: the record an earlier attempt of each made.

    A write sent again after a run was cut short (``hubcrm import --resume``) is refused
    when its first attempt had made the record. Each refusal names the record (its
    ``existing_id``) or, failing that, the write's unique value. The record read back
    settles the write as created when it was made since ``since`` (with the clock-skew
    tolerance) and no other write has claimed it; the record is then added to
    ``claimed``, so that one record settles at most one write.

    Args:
        read_back: reads records by id or by unique value (one request per kind).
        refused: per refused write: the id its refusal names, and its unique value.
        key_property: the property the unique values are values of.
        since: when the first attempt of these writes may have begun, at the earliest.
        claimed: the ids of records already settled as some write's.
        properties: the properties to read with the records (HubSpot's defaults when
            empty), for the caller to compare with what the writes sent
            (:func:`~hubcrm._write.compare.differing_properties`).

    Returns:
        Per write, aligned: its record, or None when the refusal stands.

    Raises:
        HubCRMError: the records could not be read (the refusals stand).
    """
    found: list[CrmObject | None] = [None] * len(refused)
    by_id = [i for i, (existing, _) in enumerate(refused) if existing is not None]
    by_key = [i for i, (existing, value) in enumerate(refused) if existing is None and value]
    if by_id:
        got = await read_back([refused[i][0] or "" for i in by_id], None, properties)
        for i, record in zip(by_id, got, strict=True):
            found[i] = record
    if by_key and key_property is not None:
        got = await read_back([refused[i][1] or "" for i in by_key], key_property, properties)
        for i, record in zip(by_key, got, strict=True):
            found[i] = record
    out: list[CrmObject | None] = []
    for record in found:
        if record is not None and record.id not in claimed and made_since(record, since):
            claimed.add(record.id)
            out.append(record)
        else:
            out.append(None)
    return out
