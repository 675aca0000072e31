"""AsyncObjects: the CRM objects resource (create and friends)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._convert import dump_input, load_object
from ._errors import HubCRMError, OutcomeUnknownError
from ._models import Association, CrmObject, ObjectInput
from ._retry import FailureClass, classify
from ._session import Session, object_type_segment
from ._values import PropertyValue

__all__ = ["AsyncObjects"]


class AsyncObjects:
    """CRM objects: contacts, companies, deals, tickets, custom objects and the rest.

    Reached as ``crm.objects`` on a client; not constructed directly.
    """

    def __init__(self, session: Session, api_version: str) -> None:
        self._session = session
        if api_version == "v3":
            self._prefix = "/crm/v3/objects/"
        else:
            self._prefix = f"/crm/objects/{api_version}/"
        self._paths: dict[str, str] = {}

    def _path(self, object_type: str) -> str:
        # An application uses a handful of object types; validating and quoting each
        # once keeps both off the per-request path.
        path = self._paths.get(object_type) if type(object_type) is str else None
        if path is None:
            path = self._prefix + object_type_segment(object_type)
            if len(self._paths) < 1024:
                self._paths[object_type] = path
        return path

    async def create(
        self,
        object_type: str,
        properties: Mapping[str, PropertyValue],
        associations: Iterable[Association] = (),
    ) -> CrmObject:
        """Create one CRM object.

        Property values are written in HubSpot's formats: ``bool`` as ``"true"`` /
        ``"false"``, numbers as plain decimal strings, ``date`` as ``YYYY-MM-DD``, aware
        ``datetime`` as ISO 8601 UTC, a list or set of strings as a ``;``-joined
        multi-select value and ``None`` as ``""`` (clears the value). Every input is
        checked before any request is sent.

        Args:
            object_type: a type name (``"contacts"``, ``"deals"``, ``"p1234_cars"``) or
                id (``"0-1"``, ``"2-123"``).
            properties: property names mapped to values.
            associations: records to associate the new one with, e.g.
                ``[Association(company_id, AssociationType.CONTACT_TO_COMPANY)]``.

        Returns:
            The created object as HubSpot returned it.

        Raises:
            TypeError: an argument or a property value has a type hubcrm cannot send.
            ValueError: an argument or a property value is malformed (an empty object
                type, a naive datetime, a NaN).
            APIError: HubSpot rejected the request; the subclass says why
                (``BadRequestError``, ``ConflictError``, ``AuthenticationError``, ...).
            APIConnectionError: no connection could be made; nothing was sent.
            OutcomeUnknownError: the request may or may not have created the record (a
                timeout or a dropped connection after sending, or a 5xx answer). It
                carries the input and the underlying error as ``cause``.
        """
        path = self._path(object_type)
        obj = ObjectInput(properties, associations=associations)
        try:
            response = await self._session.request("POST", path, json_body=dump_input(obj))
        except HubCRMError as exc:
            if classify(exc) is FailureClass.AMBIGUOUS:
                # The record may exist now. Saying "failed" could make the caller create
                # it twice; saying "created" could lose it. Say what is known.
                raise OutcomeUnknownError(object_type, obj, cause=exc) from exc
            raise
        return load_object(response.json())
