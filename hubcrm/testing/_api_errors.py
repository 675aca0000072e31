"""HubSpot-shaped error bodies: status, category, message, correlation id, context."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ._schema import PropertyError

__all__ = [
    "AUTH_MISSING_MESSAGE",
    "ApiError",
    "bad_json",
    "conflict",
    "property_errors",
    "unique_refused",
]

AUTH_MISSING_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class ApiError(Exception):
    """A request the emulator rejects: HTTP status plus the body's fields (no correlation id)."""

    def __init__(
        self,
        status: int,
        message: str,
        category: str | None = "VALIDATION_ERROR",
        *,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.errors = errors
        self.context = context
        self.headers = headers
        self.extra = extra

    def body(self, correlation_id: str) -> dict[str, Any]:
        """The ``Error`` body HubSpot sends for this rejection."""
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id,
        }
        if self.category is not None:
            body["category"] = self.category
        if self.errors is not None:
            body["errors"] = self.errors
        if self.context is not None:
            body["context"] = self.context
        if self.extra is not None:
            body.update(self.extra)
        return body

    def batch_entry(self, trace_id: str) -> dict[str, Any]:
        """The ``StandardError`` entry of a 207 body, naming its input by trace id."""
        entry: dict[str, Any] = {
            "status": "error",
            "category": self.category,
            "message": self.message,
        }
        context = dict(self.context) if self.context else {}
        context["objectWriteTraceId"] = [trace_id]
        entry["context"] = context
        entry["errors"] = self.errors if self.errors is not None else []
        entry["links"] = {}
        return entry


def bad_json(detail: str) -> ApiError:
    """A body that is not the JSON the endpoint expects: always a whole-request 400."""
    return ApiError(400, f"Invalid input JSON: {detail}")


def property_errors(errors: Sequence[PropertyError]) -> ApiError:
    """400 VALIDATION_ERROR whose message embeds the JSON list of failed values."""
    items = [
        {"isValid": False, "message": e.message, "error": e.code, "name": e.name} for e in errors
    ]
    embedded = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    return ApiError(
        400,
        f"Property values were not valid: {embedded}",
        errors=[
            {"message": e.message, "code": e.code, "context": {"propertyName": [e.name]}}
            for e in errors
        ],
    )


def conflict(existing_id: str, singular: str, property_name: str, style: str) -> ApiError:
    """409 for a unique-value clash, in the classic or the newer shape."""
    message = f"{singular.capitalize()} already exists. Existing ID: {existing_id}"
    if style == "OBJECT_ALREADY_EXISTS":
        return ApiError(
            409,
            message,
            "OBJECT_ALREADY_EXISTS",
            errors=[{"message": message, "in": property_name}],
        )
    return ApiError(409, message, "CONFLICT")


def unique_refused(property_name: str) -> ApiError:
    """400 for a value a unique-value property already holds (the shape without an id)."""
    message = (
        f'Property "{property_name}" has unique values: another record already holds this value'
    )
    return ApiError(
        400,
        message,
        errors=[
            {
                "message": message,
                "code": "DUPLICATE_UNIQUE_VALUE",
                "in": property_name,
                "context": {"propertyName": [property_name]},
            }
        ],
        context={"propertyName": [property_name]},
    )
