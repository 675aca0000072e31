"""A forward HTTP proxy on 127.0.0.1 for the connection-settings tests.

It handles what a client's proxy must: absolute-URI requests (``GET http://host/path``),
relayed one per connection, and ``CONNECT host:port`` tunnels (how HTTPS goes through a
proxy). It records every request it was asked to make, with its ``Proxy-Authorization``,
and can require credentials (answering 407 without them).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from urllib.parse import urlsplit

import attrs

_HOP_BY_HOP = frozenset({"proxy-authorization", "proxy-connection", "connection", "keep-alive"})


@attrs.frozen
class Proxied:
    """One request the proxy received: ``CONNECT`` and its target, or a relayed one."""

    method: str
    target: str  # "host:port" for CONNECT, the absolute URL otherwise
    authorization: str | None  # the Proxy-Authorization header, as sent


class ForwardProxy:
    """``async with ForwardProxy() as proxy:`` serves on ``proxy.url`` until the block ends.

    Args:
        credentials: ``(user, password)`` to require; requests without them get a 407.
    """

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.seen: list[Proxied] = []
        self._expected: str | None = None
        if credentials is not None:
            token = base64.b64encode(":".join(credentials).encode()).decode()
            self._expected = f"Basic {token}"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's URL, without credentials."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        method, target, version = request_line.split(" ", 2)
        headers = [tuple(line.split(":", 1)) for line in header_lines if ":" in line]
        fields = {name.strip().lower(): value.strip() for name, value in headers}
        authorization = fields.get("proxy-authorization")
        self.seen.append(Proxied(method, target, authorization))
        if self._expected is not None and authorization != self._expected:
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                b"Connection: close\r\n\r\n"
            )
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            self._writers.add(up_writer)
            try:
                await asyncio.gather(
                    _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
                )
            finally:
                self._writers.discard(up_writer)
            return
        # An absolute-URI request: sent on in origin form, one per connection.
        url = urlsplit(target)
        body = await reader.readexactly(int(fields.get("content-length", "0")))
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        kept = [
            f"{name}:{value}" for name, value in headers if name.strip().lower() not in _HOP_BY_HOP
        ]
        upstream = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
        up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
        try:
            up_writer.write(upstream.encode("latin-1") + body)
            await up_writer.drain()
            writer.write(await up_reader.read())  # the whole answer: the server closes
            await writer.drain()
        finally:
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()
