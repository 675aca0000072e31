"""Association labels: ``AssociationLabel``, and creating, renaming and deleting labels.

A mixin of :class:`~hubcrm._resources.associations.AsyncAssociations` (the codegen reads
its methods into the blocking ``Associations`` as well). Labels live under
``/crm/associations/{version}/{fromObjectType}/{toObjectType}/labels``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import attrs

from .._core.config import RequestOptions
from .._core.errors import HubCRMError, OutcomeUnknownError, ResponseParseError
from .._core.models import AssociationSpec
from .._core.values import type_name
from .._http.retry import RequestKind, Retrier
from .._http.safety import FailureClass, classify
from .._http.session import path_segment
from .paging import page_results

__all__ = ["AssociationLabel", "LabelWrites"]


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {type_name(value)}")


def _str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    raise TypeError(f"expected a string, got {type_name(value)}")


@attrs.frozen
class AssociationLabel:
    """An association type between two object types, as HubSpot describes it.

    Attributes:
        category: ``"HUBSPOT_DEFINED"``, ``"USER_DEFINED"``, ``"INTEGRATOR_DEFINED"``
            or ``"WORK"``.
        type_id: The association type id.
        label: Its label (``"Primary"``, ``"Decision maker"``); None when unlabelled.
    """

    category: str
    type_id: int
    label: str | None = None

    @property
    def spec(self) -> AssociationSpec:
        """The type as an ``AssociationSpec``, to pass to ``create``."""
        # The category is HubSpot's text; AssociationSpec checks it is a known one.
        return AssociationSpec(self.type_id, self.category)  # type: ignore[arg-type]

    @classmethod
    def _from_json(cls, data: Any) -> AssociationLabel:
        label = data.get("label")
        return cls(
            _str(data.get("category", "HUBSPOT_DEFINED")),
            _int(data["typeId"]),
            label if isinstance(label, str) and label else None,
        )


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty str, not {value!r}")
    return value


def _type_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"association_type_id must be an int, not {type_name(value)}")
    if not 0 < value < 2**31:
        raise ValueError(f"association_type_id must be a positive int32, not {value}")
    return value


class LabelWrites:
    """Creating, renaming and deleting association labels (a mixin)."""

    # Provided by AsyncAssociations.
    _retrier: Retrier
    _options: RequestOptions
    _pair: Callable[[str, str], str]

    async def create_label(
        self,
        from_type: str,
        to_type: str,
        label: str,
        *,
        name: str,
        inverse_label: str | None = None,
    ) -> builtins.list[AssociationLabel]:
        """Create a ``USER_DEFINED`` association label between two object types.

        A labelled association can only use a label that exists: create it here, then
        pass its ``spec`` to :meth:`create` or ``create_many``.

        Args:
            from_type: the ``from`` object type (``"contacts"``).
            to_type: the ``to`` object type (``"companies"``).
            label: the label read from the ``from`` side (``"Manager"``).
            name: the label's internal name, unique between the two types.
            inverse_label: the label read from the ``to`` side (``"Employee"``), for a
                pair of labels; by default both sides read ``label``.

        Returns:
            The association types HubSpot made, the ``from`` side's first (between
            two different types HubSpot makes one per direction).

        Raises:
            TypeError, ValueError: an argument is malformed (checked first).
            OutcomeUnknownError: the create failed ambiguously (a 5xx, a connection
                dropped after sending): it is not sent again, since a second create
                could make a second label. Look it up with :meth:`labels`.
            APIError: HubSpot refused the label (a name already used: ``ConflictError``).
        """
        body: dict[str, Any] = {
            "label": _text(label, "label"),
            "name": _text(name, "name"),
        }
        if inverse_label is not None:
            body["inverseLabel"] = _text(inverse_label, "inverse_label")
        path = f"{self._pair(from_type, to_type)}/labels"
        try:
            response = await self._retrier.request(
                "POST", path, kind=RequestKind.CREATE, json_body=body, options=self._options
            )
            results = page_results(response.json(), path)
            return [_read_label(path, item) for item in results]
        except HubCRMError as exc:
            if classify(exc) is not FailureClass.AMBIGUOUS:
                raise
            what = f"the association label {name!r} from {from_type!r} to {to_type!r}"
            raise OutcomeUnknownError(from_type, cause=exc, definition=what) from exc

    async def update_label(
        self,
        from_type: str,
        to_type: str,
        association_type_id: int,
        label: str,
        *,
        inverse_label: str | None = None,
    ) -> None:
        """Rename a ``USER_DEFINED`` association label (HubSpot answers 204).

        Renaming is idempotent: it is retried after ambiguous failures like a read.

        Args:
            from_type: the ``from`` object type.
            to_type: the ``to`` object type.
            association_type_id: the label's type id, read from the ``from`` side.
            label: its new label.
            inverse_label: the new label of its inverse, for a pair.

        Raises:
            TypeError, ValueError: an argument is malformed (checked first).
            NotFoundError: there is no such label between the two types.
            APIError: HubSpot refused the request.
        """
        body: dict[str, Any] = {
            "associationTypeId": _type_id(association_type_id),
            "label": _text(label, "label"),
        }
        if inverse_label is not None:
            body["inverseLabel"] = _text(inverse_label, "inverse_label")
        path = f"{self._pair(from_type, to_type)}/labels"
        await self._retrier.request(
            "PUT", path, kind=RequestKind.UPSERT, json_body=body, options=self._options
        )

    async def delete_label(self, from_type: str, to_type: str, association_type_id: int) -> None:
        """Delete a ``USER_DEFINED`` association label, and its inverse (HubSpot answers
        204). Associations that carried it no longer do.

        Deleting is retried after ambiguous failures; a retry that finds the label
        already gone raises ``NotFoundError``.

        Args:
            from_type: the ``from`` object type.
            to_type: the ``to`` object type.
            association_type_id: the label's type id, read from the ``from`` side.

        Raises:
            TypeError, ValueError: an argument is malformed (checked first).
            NotFoundError: there is no such label between the two types.
            APIError: HubSpot refused the request.
        """
        type_id = str(_type_id(association_type_id))
        path = f"{self._pair(from_type, to_type)}/labels/{path_segment(type_id, 'type_id')}"
        await self._retrier.request("DELETE", path, kind=RequestKind.UPSERT, options=self._options)


def _read_label(path: str, item: Any) -> AssociationLabel:
    try:
        return AssociationLabel._from_json(item)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ResponseParseError(f"could not read HubSpot's answer to {path}: {exc!r}") from exc
