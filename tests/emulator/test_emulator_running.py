"""Ways to run the emulator: sync (thread), standalone process, pytest plugin; public API."""

from __future__ import annotations

import ast
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import hubcrm.testing
from hubcrm.testing import Emulator, PropertyDef

pytest_plugins = ["pytester"]

V = "/crm/objects/2026-03"


def post_sync(base_url: str, token: str, path: str, body: Any) -> tuple[int, Any, Any]:
    """One request from synchronous code, with plain aiohttp on a private loop."""

    async def go() -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.post(base_url + path, json=body) as response,
        ):
            return response.status, await response.json(), response.headers

    return asyncio.run(go())


def test_public_api_is_exactly_this() -> None:
    assert sorted(hubcrm.testing.__all__) == [
        "AssociationCategory",
        "AssociationTypeDef",
        "ConflictStyle",
        "Emulator",
        "FIXTURE_SEARCH_DELAY",
        "FaultKind",
        "FaultRecord",
        "FaultRule",
        "Faults",
        "ObjectTypeDef",
        "Operation",
        "OwnerDef",
        "PipelineDef",
        "PropertyDef",
        "PropertyType",
        "ReceivedRequest",
        "StageDef",
        "Stats",
        "TeamDef",
    ]


def test_import_hubcrm_does_not_import_the_emulator() -> None:
    code = (
        "import sys, hubcrm; print('hubcrm.testing' in sys.modules, 'aiohttp.web' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False"


def test_emulator_does_not_import_client_modules() -> None:
    """An independent reference: only stdlib, aiohttp, attrs (and pytest in the plugin)."""
    package = Path(hubcrm.testing.__file__).parent
    allowed = set(sys.stdlib_module_names) | {"aiohttp", "attrs", "pytest", "hubcrm"}
    for source in sorted(package.glob("*.py")):
        tree = ast.parse(source.read_text(), str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{source.name} imports from outside hubcrm.testing"
                names = [node.module or ""] if node.level == 0 else []
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{source.name} imports {name}"
                assert name == "hubcrm.testing" or not name.startswith("hubcrm"), name


def test_sync_context_manager_serves_from_a_thread() -> None:
    with Emulator(rate_limit=None) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:")
        threads = [t.name for t in threading.enumerate()]
        assert "hubcrm-emulator" in threads
        # configuration from this thread while the server runs on the other one
        emu.add_property("contacts", PropertyDef(name="shoe_size", type="number"))
        status, body, _ = post_sync(
            emu.base_url, emu.token, f"{V}/contacts", {"properties": {"shoe_size": "43"}}
        )
        assert status == 201
        assert body["properties"]["shoe_size"] == "43"
        assert emu.count("contacts") == 1
        base_url = emu.base_url
    assert "hubcrm-emulator" not in [t.name for t in threading.enumerate()]
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url
    with pytest.raises(aiohttp.ClientConnectionError):
        post_sync(base_url, "test-token", f"{V}/contacts", {"properties": {}})


def test_sync_emulator_from_many_threads() -> None:
    with Emulator(rate_limit=None) as emu:
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                for i in range(5):
                    status, _, _ = post_sync(
                        emu.base_url,
                        emu.token,
                        f"{V}/contacts",
                        {"properties": {"email": f"t{n}-{i}@example.com"}},
                    )
                    assert status == 201
                    emu.count("contacts")
                    _ = emu.stats
            except BaseException as exc:  # collected and re-raised in the test thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert emu.count("contacts") == 40
        assert emu.stats.objects_created == 40
        assert len({o["id"] for o in emu.objects("contacts")}) == 40


def test_start_twice_is_an_error() -> None:
    with Emulator() as emu, pytest.raises(RuntimeError, match="already running"):
        emu.__enter__()


def test_busy_port_is_reported() -> None:
    with Emulator() as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        second = Emulator(port=port)
        with pytest.raises(OSError, match="address already in use"), second:
            pass
        with pytest.raises(RuntimeError, match="not running"):
            _ = second.base_url


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="token"):
        Emulator(token=[])
    with pytest.raises(ValueError, match="conflict_style"):
        Emulator(conflict_style="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate_limit"):
        Emulator(rate_limit=(0, 10.0))


# --- standalone -----------------------------------------------------------------------------


def launch(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hubcrm.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    prefix = "hubcrm emulator listening on http://127.0.0.1:"
    if not line.startswith(prefix):
        process.kill()
        pytest.fail(f"unexpected first line {line!r}; stderr: {process.communicate()[1]}")
    return process, line.split(" on ", 1)[1].strip()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_standalone_process(signum: int) -> None:
    process, base_url = launch("--token", "T", "--rate-limit", "5/1", "--seed", "3")
    try:
        status, body, headers = post_sync(base_url, "T", f"{V}/contacts", {"properties": {}})
        assert status == 201
        assert body["properties"]["hs_object_id"] == body["id"]
        assert headers["X-HubSpot-RateLimit-Max"] == "5"
        assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "1000"
        assert post_sync(base_url, "test-token", f"{V}/contacts", {"properties": {}})[0] == 401

        async def stats() -> Any:
            async with (
                aiohttp.ClientSession() as session,
                session.get(base_url + "/_emulator/stats") as response,
            ):
                return await response.json()

        assert asyncio.run(stats())["objects"] == {"contacts": 1}
    finally:
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in stderr


def test_standalone_without_rate_limit_and_with_oauth_app() -> None:
    process, base_url = launch("--rate-limit", "none", "--oauth-app", "cid:secret:rt-1")
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "oauth app cid: refresh token rt-1"
        _, _, headers = post_sync(base_url, "test-token", f"{V}/contacts", {"properties": {}})
        assert "X-HubSpot-RateLimit-Max" not in headers
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_standalone_rejects_bad_arguments() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hubcrm.testing", "--rate-limit", "lots"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "expected N/W" in result.stderr


# --- pytest plugin --------------------------------------------------------------------------

PLUGIN_TESTS = """
import asyncio

import aiohttp
import pytest


def post(emu, email):
    async def go():
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.post(
                emu.base_url + "/crm/objects/2026-03/contacts",
                json={"properties": {"email": email}},
            ) as response:
                return response.status

    return asyncio.run(go())


def test_default(hubspot_emulator):
    assert post(hubspot_emulator, "a@example.com") == 201
    assert hubspot_emulator.count("contacts") == 1


def test_fresh_per_test(hubspot_emulator):
    assert hubspot_emulator.count("contacts") == 0
    assert post(hubspot_emulator, "a@example.com") == 201


@pytest.mark.hubspot_emulator(rate_limit=(2, 60.0), token="custom")
def test_marker_configures(hubspot_emulator):
    assert hubspot_emulator.token == "custom"
    assert [post(hubspot_emulator, f"{n}@example.com") for n in range(3)] == [201, 201, 429]
    assert hubspot_emulator.stats.rate_limited == {"TEN_SECONDLY_ROLLING": 1}
"""


def test_pytest_plugin_fixture_and_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plugin_use=PLUGIN_TESTS)
    result = pytester.runpytest_subprocess("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_pytest_plugin_registers_marker(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.hubspot_emulator(**kwargs):*"])


def test_pytest_plugin_rejects_positional_marker_args(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hubspot_emulator((2, 60.0))
        def test_it(hubspot_emulator):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*keyword arguments only*"])


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(rate_limit=None, seed=5)
async def test_plugin_fixture_from_an_async_test(hubspot_emulator: Emulator) -> None:
    headers = {"Authorization": f"Bearer {hubspot_emulator.token}"}
    async with (
        aiohttp.ClientSession(base_url=hubspot_emulator.base_url, headers=headers) as http,
        http.post(f"{V}/contacts", json={"properties": {}}) as response,
    ):
        assert response.status == 201
        assert "X-HubSpot-RateLimit-Max" not in response.headers
    assert hubspot_emulator.count("contacts") == 1


def test_freeze_gc_takes_finite_seconds() -> None:
    from hubcrm.testing.__main__ import build_parser

    assert build_parser().parse_args([]).freeze_gc == 0.0
    assert build_parser().parse_args(["--freeze-gc", "2.5"]).freeze_gc == 2.5
    for bad in ("-1", "inf", "nan", "soon"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--freeze-gc", bad])


@pytest.mark.anyio
async def test_freeze_gc_freezes_what_is_alive_every_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from hubcrm.testing.__main__ import _freeze_gc

    calls: list[float] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(asyncio.get_running_loop().time()))
    task = asyncio.create_task(_freeze_gc(0.01))
    for _ in range(500):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert len(calls) >= 3
    assert all(b - a >= 0.009 for a, b in itertools.pairwise(calls))


def test_standalone_with_freeze_gc_serves() -> None:
    process, base_url = launch("--freeze-gc", "0.05")
    try:
        assert post_sync(base_url, "test-token", f"{V}/contacts", {"properties": {}})[0] == 201
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in stderr
