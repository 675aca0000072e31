"""OpenTelemetry for the tracing tests: the SDK on the global tracer provider, recording
only while a test holds the ``spans`` fixture.

hubcrm traces through the global provider, which a process sets once. It is set here
with a sampler that drops every span unless a test is recording, so that the other tests
of the same run create no spans (a dropped span is the API's no-op span).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk", reason="pip install opentelemetry-sdk")

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult


class _Switch(Sampler):
    """Records every span while ``on``; drops them all otherwise."""

    def __init__(self) -> None:
        self.on = False

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if not self.on:
            return SamplingResult(Decision.DROP)
        # A sampler hands the span its start attributes (the SDK takes them from here).
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "hubcrm tests: on while a test records"


_SWITCH = _Switch()
_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="session")
def _global_provider() -> TracerProvider:
    provider = TracerProvider(sampler=_SWITCH)
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)
    if trace.get_tracer_provider() is not provider:
        pytest.fail("another global tracer provider was set first in this process")
    return provider


class Spans:
    """The spans finished while the test records."""

    def __call__(self) -> Sequence[ReadableSpan]:
        return _EXPORTER.get_finished_spans()

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self() if span.name == name]


@pytest.fixture
def spans(_global_provider: TracerProvider) -> Iterator[Spans]:
    """Record the spans of this test (hubcrm's, on the global provider)."""
    _EXPORTER.clear()
    _SWITCH.on = True
    try:
        yield Spans()
    finally:
        _SWITCH.on = False
        _EXPORTER.clear()
