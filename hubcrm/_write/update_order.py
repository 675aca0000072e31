"""The rounds of an ``update_many`` run: updates of one record apply in input order.

HubSpot refuses two inputs with one id in a batch, and batches in flight at once are
applied in no promised order. So the k-th update of a record goes in round k, and a
round is sent only once the one before it is answered. What "one record" means is the
question: an input names its record by id, or by the value of a unique property
(``id_property``), and two names may be one record.

- Names of one kind are compared as HubSpot compares them (:func:`key_fold`): an email
  case-insensitively, an id or any other unique value exactly, surrounding blanks never.
  A run that names records only by id, or only by one ``id_property``, costs nothing
  extra; case variants of one email go in successive rounds, as repeats do.
- A run that mixes kinds (ids and emails, or two unique properties) cannot tell from
  the names alone which are one record: the keyed names are first read
  (``batch/read`` by ``idProperty``, 100 distinct values per request) and the rounds
  are built by record id. A name with no record keeps its own key (HubSpot refuses its
  update as before). The updates are still sent as given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from .._core.errors import HubCRMError
from .._core.models import CrmObject
from .._http.safety import FailureClass, classify
from .bulk_answer import key_fold
from .executor import stops_run

__all__ = ["Named", "Resolve", "plan_rounds"]

#: Reads records by the values of a unique property: one entry per value, in order,
#: None where HubSpot has none (``AsyncObjects.get_many``).
Resolve = Callable[[Sequence[str], str], Awaitable[Sequence[CrmObject | None]]]

#: One input's name: ``(id_property, value)``; the property ``""`` stands for a record id.
Named = tuple[str | None, str] | None

_BY_ID = ("", "hs_object_id")


def _key(id_property: str | None, value: str) -> tuple[str, str]:
    prop = "" if id_property is None or id_property in _BY_ID else id_property
    return prop, key_fold(prop, value)


def _rounds(keys: Sequence[tuple[str, str] | None]) -> list[list[int]]:
    """The k-th input with a key goes in round k."""
    seen: dict[tuple[str, str], int] = {}
    rounds: list[list[int]] = []
    for index, key in enumerate(keys):
        if key is None:
            continue
        k = seen.get(key, 0)
        seen[key] = k + 1
        while len(rounds) <= k:
            rounds.append([])
        rounds[k].append(index)
    return rounds


async def plan_rounds(
    names: Sequence[Named], resolve: Resolve | None
) -> tuple[list[list[int]], HubCRMError | None]:
    """The rounds of the inputs (their positions; None names no input to send).

    Returns:
        The rounds, and the error of a read that failed (the run cannot be ordered, so
        nothing is sent: every input is then not attempted). A read HubSpot refuses (an
        unknown or non-unique ``id_property``) resolves nothing: those names keep their
        own keys, and HubSpot refuses their updates too.
    """
    keys = [None if name is None else _key(*name) for name in names]
    kinds = {key[0] for key in keys if key is not None}
    if len(kinds) < 2 or resolve is None:
        return _rounds(keys), None
    resolved: dict[tuple[str, str], tuple[str, str]] = {}
    for prop in sorted(kinds - {""}):
        # One value per folded key (the first spelling given), never a blank one.
        values: dict[str, str] = {}
        for key, name in zip(keys, names, strict=True):
            if key is not None and name is not None and key[0] == prop and key[1]:
                values.setdefault(key[1], name[1])
        try:
            records = await resolve(list(values.values()), prop)
        except HubCRMError as exc:
            if classify(exc) is FailureClass.REJECTED and not stops_run(exc):
                continue
            return [], exc
        for folded, record in zip(values, records, strict=True):
            if record is not None:
                resolved[(prop, folded)] = _key(None, record.id)
    return _rounds([None if key is None else resolved.get(key, key) for key in keys]), None
