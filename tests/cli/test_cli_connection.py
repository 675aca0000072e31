"""``hubcrm import`` through a proxy and over TLS: --proxy, --env-proxy/--no-env-proxy
and --ca-bundle, against a real forward proxy and a TLS server on 127.0.0.1.

The command runs in a worker thread (it runs its own event loop), while the proxy and
the TLS server serve on the test's loop.
"""

from __future__ import annotations

import functools
from pathlib import Path

import anyio
import pytest
from click.testing import Result
from support_cli import cli_runner
from support_proxy import ForwardProxy
from support_tls import Certificates

from hubcrm.cli import cli
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

PASSWORD = "pr0xy-s3cret"
CONTACTS = "/crm/objects/2026-03/contacts"


def contacts_file(tmp_path: Path, n: int = 3, name: str = "in.csv") -> Path:
    path = tmp_path / name
    rows = "".join(f"{name}-{i}@example.com\n" for i in range(n))
    path.write_text("email\n" + rows, "utf-8")
    return path


async def run(*args: str) -> Result:
    invoke = functools.partial(cli_runner().invoke, cli, list(args), catch_exceptions=False)
    return await anyio.to_thread.run_sync(invoke)


def relayed(proxy: ForwardProxy) -> list[tuple[str, str]]:
    return [(p.method, p.target) for p in proxy.seen]


async def test_proxy_with_credentials_relays_every_request_and_never_shows_them(
    hubspot_emulator: Emulator, tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    path = contacts_file(tmp_path)
    async with ForwardProxy(credentials=("hub", PASSWORD)) as proxy:
        url = f"http://hub:{PASSWORD}@127.0.0.1:{proxy.port}"
        result = await run(
            "import", "contacts", str(path), "--base-url", emu.base_url, "--token", emu.token,
            "--proxy", url, "--errors", str(tmp_path / "e.jsonl"),
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert relayed(proxy) == [
        ("GET", f"{emu.base_url}{CONTACTS}?limit=1"),  # the check, through the proxy too
        ("POST", f"{emu.base_url}{CONTACTS}/batch/create"),
    ]
    assert all(p.authorization is not None for p in proxy.seen)
    assert emu.count("contacts") == 3
    assert PASSWORD not in result.output


async def test_a_proxy_refusing_the_credentials_is_an_error_without_them(
    hubspot_emulator: Emulator, tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    async with ForwardProxy(credentials=("hub", "right")) as proxy:
        url = f"http://hub:{PASSWORD}@127.0.0.1:{proxy.port}"
        result = await run(
            "import", "contacts", str(contacts_file(tmp_path)), "--base-url", emu.base_url,
            "--token", emu.token, "--proxy", url,
        )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "the proxy refused the request (407" in result.stderr
    assert "nothing was sent" in result.stderr
    assert PASSWORD not in result.output
    assert emu.count("contacts") == 0


async def test_the_environments_proxy_is_honoured_unless_turned_off(
    hubspot_emulator: Emulator,
    tmp_path: Path,
    forward_proxy: ForwardProxy,
    clean_environment: pytest.MonkeyPatch,
) -> None:
    emu = hubspot_emulator
    remote = ["--base-url", emu.base_url, "--token", emu.token]

    async def run_on(name: str, *extra: str) -> int:
        path = contacts_file(tmp_path, 1, name)
        return (await run("import", "contacts", str(path), *remote, *extra)).exit_code

    clean_environment.setenv("HTTP_PROXY", forward_proxy.url)
    assert await run_on("a.csv") == 0
    assert len(forward_proxy.seen) == 2  # the check and the batch
    assert await run_on("b.csv", "--no-env-proxy") == 0
    assert len(forward_proxy.seen) == 2  # straight to the server
    clean_environment.setenv("NO_PROXY", "127.0.0.1")
    assert await run_on("c.csv") == 0
    assert len(forward_proxy.seen) == 2  # NO_PROXY names the server
    assert emu.count("contacts") == 3


async def test_ca_bundle_trusts_a_private_ca(
    tls_portal: str, certificates: Certificates, tmp_path: Path
) -> None:
    path = contacts_file(tmp_path, 1)
    args = ["import", "contacts", str(path), "--base-url", tls_portal, "--token", "t"]
    args += ["--mode", "single"]
    untrusted = await run(*args)
    assert untrusted.exit_code == 2, untrusted.output
    assert "cannot reach HubSpot" in untrusted.stderr
    assert "TLS certificate could not be verified" in untrusted.stderr
    assert "nothing was sent" in untrusted.stderr
    trusted = await run(*args, "--ca-bundle", str(certificates.ca))
    assert trusted.exit_code == 0, trusted.output


@pytest.mark.parametrize("kind", ["missing", "not PEM", "a folder"])
async def test_an_unusable_ca_bundle_is_refused_naming_it(tmp_path: Path, kind: str) -> None:
    bundle = tmp_path / "ca.pem"
    if kind == "not PEM":
        bundle.write_text("this is not a certificate\n")
    elif kind == "a folder":
        bundle.mkdir()
    args = ["import", "contacts", str(contacts_file(tmp_path)), "--token", "t"]
    result = await run(*args, "--base-url", "https://127.0.0.1:9", "--ca-bundle", str(bundle))
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    if kind == "a folder":  # refused by click, before anything else
        assert f"'--ca-bundle': File '{bundle}' is a directory" in said
        return
    assert f"--ca-bundle {bundle}:" in said
    assert ("not a PEM file" if kind == "not PEM" else "cannot read it") in said
    assert "nothing was sent" in said


async def test_the_printed_resume_command_names_the_proxy_without_its_credentials(
    hubspot_emulator: Emulator, tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    path = tmp_path / "in.csv"
    path.write_text("email\nnot-an-email\nok@example.com\n", "utf-8")
    async with ForwardProxy(credentials=("hub", PASSWORD)) as proxy:
        url = f"http://hub:{PASSWORD}@127.0.0.1:{proxy.port}"
        # /dev/full: the failed row's line cannot be written, so the run stops and
        # prints the command that resumes it.
        result = await run(
            "import", "contacts", str(path), "--base-url", emu.base_url, "--token", emu.token,
            "--proxy", url, "--results", str(tmp_path / "r.jsonl"), "--errors", "/dev/full",
            "--no-env-proxy",
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    # stdout and stderr apart: click before 8.2 leaves stderr out of result.output.
    shown = " ".join(f"{result.stdout} {result.stderr}".split())
    assert f"--proxy 'http://<redacted>@127.0.0.1:{proxy.port}'" in shown
    assert "--no-env-proxy" in shown  # as given, not as --env-proxy
    assert "(the token and the proxy's credentials as before)" in shown
    assert PASSWORD not in result.output
