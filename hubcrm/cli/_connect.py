"""How ``hubcrm import`` reaches HubSpot, and the one request that checks it can.

- `client_options` turns ``--base-url``, ``--rate-limit``, ``--proxy``,
  ``--env-proxy/--no-env-proxy`` and ``--ca-bundle`` into the client's keyword
  arguments (a CA bundle that cannot be read is refused, naming the file).
- `target` gives the token and base URL the import uses: the in-process emulator's,
  started and stopped around the run, with ``--emulator``; the user's otherwise.
- `check_access` reads one record of the object type before any row is read: a token
  HubSpot refuses, or an object type it does not know, stops the import there, with
  nothing sent. A token that may not read the type (403) is not refused: the check is
  skipped, and the import goes on (a token may create without reading).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._client import AsyncHubCRM
from .._core.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ForbiddenError,
    HubCRMError,
    NotFoundError,
)
from ._files import RefusedError
from ._state import _ImportOptions

if TYPE_CHECKING:
    from ..testing import Emulator

__all__ = ["Target", "check_access", "client_options", "target"]


def _ca_context(path: str) -> ssl.SSLContext:
    """A TLS context trusting the CAs of a PEM file (and only them)."""
    try:
        return ssl.create_default_context(cafile=path)
    except ssl.SSLError:  # an OSError too: first
        raise RefusedError(
            f"--ca-bundle {path}: not a PEM file of CA certificates "
            "(expected -----BEGIN CERTIFICATE----- blocks)"
        ) from None
    except OSError as exc:  # FileNotFoundError, PermissionError, IsADirectoryError
        reason = exc.strerror or str(exc)
        raise RefusedError(f"--ca-bundle {path}: cannot read it: {reason}") from None


def client_options(o: _ImportOptions, base_url: str | None) -> dict[str, Any]:
    """The keyword arguments of the import's client, beside its token.

    Raises:
        RefusedError: ``--ca-bundle`` cannot be read, or holds no PEM certificate.
    """
    kwargs: dict[str, Any] = {"trust_env": o.trust_env}
    if base_url:
        kwargs["base_url"] = base_url
    if o.rate_limit is not None:
        kwargs["rate_limit"] = o.rate_limit
    if o.proxy:
        kwargs["proxy"] = o.proxy
    if o.ca_bundle:
        kwargs["ssl"] = _ca_context(o.ca_bundle)
    return kwargs


class Target:
    """Where the import sends: a token, a base URL (None for HubSpot's), and the
    in-process emulator behind them with ``--emulator``."""

    def __init__(self, token: str, base_url: str | None, emulator: Emulator | None) -> None:
        self.token = token
        self.base_url = base_url
        self.emulator = emulator


@contextlib.asynccontextmanager
async def target(o: _ImportOptions) -> AsyncIterator[Target]:
    """The import's target; with ``--emulator``, an emulator running until the block ends.

    The caller has refused a run with neither ``--emulator`` nor a token.
    """
    if not o.emulator:
        assert o.token, "a run without a token or --emulator is refused before this"
        yield Target(o.token, o.base_url, None)
        return
    from ..testing import Emulator

    async with Emulator() as emulator:
        yield Target(emulator.token, emulator.base_url, emulator)


async def check_access(token: str, object_type: str, options: dict[str, Any]) -> str | None:
    """Read one record of ``object_type``: is the token good, and the type known?

    Returns:
        None when the check passed; a note saying why it was skipped otherwise.

    Raises:
        RefusedError: HubSpot refused the token, or does not know the object type, or
            could not be reached: nothing has been sent.
    """
    try:
        async with AsyncHubCRM(token, **options) as crm:
            async for _ in crm.objects.iter_all(object_type, page_size=1):
                break
    except AuthenticationError as exc:
        raise RefusedError(f"HubSpot did not accept the token: {exc}") from None
    except (BadRequestError, NotFoundError) as exc:
        raise RefusedError(
            f"HubSpot does not know the object type {object_type!r}: {exc}"
        ) from None
    except ForbiddenError as exc:
        why = f"{exc.status} {exc.category}" if exc.category else str(exc.status)
        return (
            f"note: the token may not read {object_type} ({why}): the check of the token "
            "and object type was skipped; going on"
        )
    except APIConnectionError as exc:
        raise RefusedError(f"cannot reach HubSpot: {exc}") from None
    except APIError as exc:
        if exc.status == 407:  # a proxy without its credentials, or with wrong ones
            raise RefusedError(
                "the proxy refused the request (407 Proxy Authentication Required): "
                "check the credentials of --proxy (or of HTTP_PROXY/HTTPS_PROXY)"
            ) from None
        return (
            f"note: the check of the token and object type failed ({exc.status}): skipped; going on"
        )
    except HubCRMError as exc:
        return (
            f"note: the check of the token and object type failed ({type(exc).__name__}): "
            "skipped; going on"
        )
    return None
