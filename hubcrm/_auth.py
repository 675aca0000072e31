"""Token providers: where the bearer token of each request comes from."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["StaticToken", "TokenProvider"]


@runtime_checkable
class TokenProvider(Protocol):
    """Anything that can hand the session a bearer token for the next request.

    A provider may also define ``invalidate(token)``: the session calls it when HubSpot
    answers ``401 EXPIRED_AUTHENTICATION`` for that token, so the next ``token()`` call
    fetches a fresh one.
    """

    async def token(self) -> str:
        """Return the bearer token to send."""
        ...


class StaticToken:
    """A fixed token: a private-app token (``pat-...``) or any token managed elsewhere."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not isinstance(token, str):
            raise TypeError(f"access_token must be a str, not {type(token).__name__}")
        token = token.strip()
        if not token:
            raise ValueError("access_token is empty")
        self._token = token

    async def token(self) -> str:
        """Return the token."""
        return self._token

    def __repr__(self) -> str:
        # Never show the token itself: reprs end up in logs and tracebacks.
        return "StaticToken(<redacted>)"
