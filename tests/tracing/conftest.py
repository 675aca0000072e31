"""OpenTelemetry for the tracing tests: the SDK on the global tracer provider, recording
only while a test holds the ``spans`` fixture.

hubcrm traces through the global provider, which a process sets once. It is set here
with a sampler that drops every span unless a test is recording, so that the other tests
of the same run create no spans (a dropped span is the API's no-op span).

Nothing here imports OpenTelemetry until a fixture is used: without opentelemetry-sdk the
test modules skip (``pytest.importorskip``), saying how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class _Recording:
    """The process's exporter, and the switch of its sampler."""

    def __init__(self) -> None:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )
        from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

        recording = self

        class Switch(Sampler):
            """Records every span while the test records; drops them all otherwise."""

            def should_sample(
                self,
                parent_context: Any,
                trace_id: int,
                name: str,
                kind: Any = None,
                attributes: Any = None,
                links: Any = None,
                trace_state: Any = None,
            ) -> SamplingResult:
                if not recording.on:
                    return SamplingResult(Decision.DROP)
                # A sampler hands the span its start attributes (the SDK takes them here).
                return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

            def get_description(self) -> str:
                return "hubcrm tests: on while a test records"

        self.on = False
        self.exporter: InMemorySpanExporter = InMemorySpanExporter()
        provider = TracerProvider(sampler=Switch())
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        trace.set_tracer_provider(provider)
        if trace.get_tracer_provider() is not provider:
            pytest.fail("another global tracer provider was set first in this process")


@pytest.fixture(scope="session")
def _recording() -> _Recording:
    return _Recording()


class Spans:
    """The spans finished while the test records."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self._exporter = exporter

    def __call__(self) -> Sequence[ReadableSpan]:
        return self._exporter.get_finished_spans()

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self() if span.name == name]


@pytest.fixture
def spans(_recording: _Recording) -> Iterator[Spans]:
    """Record the spans of this test (hubcrm's, on the global provider)."""
    _recording.exporter.clear()
    _recording.on = True
    try:
        yield Spans(_recording.exporter)
    finally:
        _recording.on = False
        _recording.exporter.clear()
