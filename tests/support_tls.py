"""A certificate authority of the test's own, and a server certificate it signed for
127.0.0.1, made with the ``openssl`` command (OpenSSL 3)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import attrs
import pytest


@attrs.frozen
class Certificates:
    """Files in PEM: the CA's certificate, and the server's certificate and key."""

    ca: Path
    certificate: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting the server certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client-side context that trusts this CA (and only it)."""
        return ssl.create_default_context(cafile=str(self.ca))


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the TLS tests make their certificates with the openssl command")
    subprocess.run([openssl, *args], check=True, capture_output=True)


def make_certificates(folder: Path) -> Certificates:
    """A new CA and a server certificate for 127.0.0.1 and localhost, in ``folder``."""
    ca, ca_key = folder / "ca.pem", folder / "ca-key.pem"
    cert, key = folder / "server.pem", folder / "server-key.pem"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", str(ca_key), "-out", str(ca), "-subj", "/CN=hubcrm test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-CA", str(ca), "-CAkey", str(ca_key),
        "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "basicConstraints=critical,CA:FALSE",
        "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
        "-addext", "extendedKeyUsage=serverAuth",
    )  # fmt: skip
    return Certificates(ca, cert, key)
