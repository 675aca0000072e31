"""Retries: the one module where a request is sent again.

Every failed request falls in one of three write-safety classes (``_safety.classify``:
not processed, ambiguous, rejected). The module has two halves:

- the **decision**, a pure function of its arguments, unit-tested without a network:
  :func:`decide` (is a failed attempt sent again, after how long);
- the **loop** that performs it, :class:`Retrier`: :meth:`Retrier.request` sends a
  request through the session until it succeeds or the decision says stop.

It knows nothing of CRM records. An ambiguous create is never resent here: recovery
(``_recovery``), above this module, settles it by reading back and resending with a
unique key, and is the only reader of ``retry_writes``.

Resources build requests and read answers; they never sleep, back off or resend.
One thing the batch executor does that looks like a resend is not one: when HubSpot
rejects a whole batch (a 400: nothing was written), it splits it in halves and sends
each, to isolate the bad inputs. That is a new request with fewer inputs, made at once,
and safe by the rejection itself; which failures count as rejections is still
``classify``'s call.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any

from .._core.config import RequestOptions, RetryPolicy
from .._core.errors import (
    APIError,
    AuthenticationError,
    DailyLimitError,
    HubCRMError,
    RateLimitError,
    RateLimitPauseError,
)
from .ratelimit import RateLimit
from .safety import FailureClass, RequestKind, classify
from .session import Response, Session, encode_json
from .tracing import Attempt

__all__ = [
    "Decision",
    "FailureClass",
    "RequestKind",
    "Retrier",
    "RetryPolicy",
    "backoff",
    "classify",
    "decide",
]


class Decision:
    """What to do after a failed attempt (a plain class: made per failed attempt and
    read once, never compared or copied).

    Attributes:
        retry: send again.
        reason: why, for logs, counters and spans.
        wait: seconds to wait first; for a rate limit, ``None`` means "until the window
            drains".
        rate_limited: a 429 for the burst window: every sender of the client pauses, not
            only this one.
        refresh_token: the token expired: invalidate it, then send again at once with a
            fresh one.
    """

    __slots__ = ("rate_limited", "reason", "refresh_token", "retry", "wait")

    def __init__(
        self,
        retry: bool,
        reason: str,
        wait: float | None = None,
        *,
        rate_limited: bool = False,
        refresh_token: bool = False,
    ) -> None:
        self.retry = retry
        self.reason = reason
        self.wait = wait
        self.rate_limited = rate_limited
        self.refresh_token = refresh_token


def backoff(policy: RetryPolicy, retry: int, rand: Callable[[], float] = random.random) -> float:
    """The wait before the ``retry``-th retry (1-based): exponential, with jitter.

    The ceiling doubles from ``backoff_base`` up to ``backoff_max``; the wait is drawn
    between half the ceiling and the ceiling ("equal jitter"), so it never collapses
    to nothing and concurrent retries still spread out.
    """
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0 ** max(retry - 1, 0))
    return ceiling * (0.5 + rand() / 2)


def decide(
    policy: RetryPolicy,
    kind: RequestKind,
    error: HubCRMError,
    retries_so_far: int,
    rand: Callable[[], float] = random.random,
    *,
    can_refresh_token: bool = False,
    paused_so_far: float = 0.0,
) -> Decision:
    """Decide whether a failed attempt is retried, and after how long.

    A ``Retry-After`` longer than what is left of ``rate_limit_deadline`` gives up at
    once, on any status: waiting it out would break the deadline anyway. A 429's pause is
    still taken by every sender (``rate_limited``), so that the others learn of it.

    Args:
        policy: the request's retry policy.
        kind: what repeating the request can do.
        error: how the attempt failed.
        retries_so_far: transient retries already made for this request (rate-limit
            waits are not counted; they are bounded by ``rate_limit_deadline``).
        rand: a source of jitter in ``[0, 1)``.
        can_refresh_token: the token was not refreshed yet for this request; an
            expired one is then refreshed once and the request sent again.
        paused_so_far: seconds of ``rate_limit_deadline`` this request has used: its
            429 pauses and the ``Retry-After`` waits it honoured.
    """
    if isinstance(error, AuthenticationError) and error.expired and can_refresh_token:
        return Decision(True, "expired token", 0.0, refresh_token=True)
    if isinstance(error, DailyLimitError):
        return Decision(False, "daily limit reached: retrying today cannot succeed")
    if isinstance(error, RateLimitError):
        if isinstance(error, RateLimitPauseError):
            return Decision(False, "held back: a 429 pause outlasts rate_limit_deadline")
        wait = error.retry_after
        if wait is not None and wait > policy.rate_limit_deadline - paused_so_far:
            return Decision(
                False,
                f"rate limited (429) for {wait:g} s: past rate_limit_deadline",
                wait,
                rate_limited=True,
            )
        return Decision(True, "rate limited (429)", wait, rate_limited=True)
    failure = classify(error)
    if failure is FailureClass.REJECTED:
        return Decision(False, "rejected by HubSpot")
    if retries_so_far >= policy.max_retries:
        return Decision(False, f"gave up after {retries_so_far} retries")
    if failure is FailureClass.AMBIGUOUS and kind is RequestKind.CREATE:
        # Recovery (``_recovery``) settles an ambiguous create, or sends it as an
        # idempotent write when the caller accepts at-least-once.
        return Decision(False, "a retried create could duplicate the record")
    wait = backoff(policy, retries_so_far + 1, rand)
    if isinstance(error, APIError):
        retry_after = error.retry_after
        if retry_after is not None:
            if retry_after > policy.rate_limit_deadline - paused_so_far:
                return Decision(
                    False,
                    f"{error.status} answer asks to wait {retry_after:g} s: "
                    f"past rate_limit_deadline",
                )
            wait = max(wait, retry_after)
        if error.status == 423:
            wait = max(wait, 2.0)  # HubSpot asks for at least 2 s after a 423
    reason = f"{error.status} answer" if isinstance(error, APIError) else type(error).__name__
    return Decision(True, f"{failure.value}: {reason}", wait)


class _Call:
    """One request on its way, and what its attempts have used so far.

    A plain class: made once per request and never shown, compared or copied, it needs
    nothing attrs would generate (and attrs' per-class generation would cost import time).
    """

    __slots__ = (
        "ambiguous",
        "attempts",
        "data",
        "kind",
        "method",
        "options",
        "params",
        "path",
        "pause_limit",
        "paused",
        "refreshed",
        "retries",
        "shown_path",
        "token",
    )

    def __init__(
        self,
        method: str,
        path: str,
        shown_path: str,
        kind: RequestKind,
        options: RequestOptions,
        data: bytes | None,
        params: Mapping[str, str] | None,
        *,
        pause_limit: float = math.inf,
    ) -> None:
        self.method = method
        self.path = path
        self.shown_path = shown_path  # the path as logs may show it (no personal data)
        self.kind = kind
        self.options = options
        self.data = data
        self.params = params
        self.attempts = 0
        self.retries = 0  # transient retries (rate-limit pauses are not counted)
        self.pause_limit = pause_limit  # how long a pause may hold the next attempt
        # Seconds of rate_limit_deadline used: 429 pauses, Retry-After waits.
        self.paused = 0.0
        self.refreshed = False
        self.token: str | None = None
        # An attempt failed ambiguously and was followed by another.
        self.ambiguous = False


class Retrier:
    """Sends every request of one client, and sends it again when that is safe.

    Reached by resources as ``self._retrier``. Shared by the clients made with
    ``with_options``, which pass their own options per request.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def max_connections(self) -> int:
        """The most requests the session has in flight at once."""
        return self.session.max_connections

    @property
    def closed(self) -> bool:
        """Whether the client is closed: every request now fails before it is sent."""
        return self.session.closed

    @property
    def rate_limit(self) -> RateLimit | None:
        """The limit the client's limiter keeps to now (``None``: no window)."""
        return self.session.limiter.rate_limit

    async def request(
        self,
        method: str,
        path: str,
        *,
        kind: RequestKind,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        options: RequestOptions | None = None,
        log_path: str | None = None,
    ) -> Response:
        """Send a request, again and again as its kind and the retry policy allow.

        Each attempt first waits for the rate limiter. A 429 for the burst window pauses
        every sender of the client (through the limiter) and is retried; a daily 429 is
        raised at once. An expired OAuth token is refreshed once. Ambiguous failures
        are retried only for reads and idempotent writes, never for creates; the
        answer of such a resend has ``resent_after_ambiguous`` set.

        Args:
            method: HTTP method.
            path: path below the base URL, already quoted, starting with ``/``.
            kind: what repeating the request can do.
            json_body: a JSON-ready value to send as the body, or ``None``.
            params: query parameters.
            options: the request's options; the client's when ``None``.
            log_path: the path as it may appear in logs, when ``path`` holds personal
                data (a lookup by email, say).

        Raises:
            APIError: HubSpot answered with a status of 400 or more (the subclass says which).
            APIConnectionError: the exchange failed at the transport level.
            APITimeoutError: it took longer than the timeout.
        """
        options = options or self.session.options
        call = _Call(
            method,
            path,
            log_path or path,
            kind,
            options,
            None if json_body is None else encode_json(json_body),
            params,
            pause_limit=options.retry.rate_limit_deadline,
        )
        session = self.session
        tracing = session.tracing
        while True:
            span = (
                None
                if tracing is None
                else tracing.attempt(call.method, call.shown_path, call.params, call.attempts + 1)
            )
            try:
                # The attempt, inline: one coroutine frame fewer per request.
                # A fixed token is read without an await: no coroutine per request for it.
                token = session.static_token or await session.token(call.method, call.shown_path)
                call.token = token
                call.attempts += 1
                response = await session.send(
                    call.method,
                    call.path,
                    data=call.data,
                    params=call.params,
                    token=token,
                    options=call.options,
                    log_path=call.shown_path,
                    attempt=call.attempts,
                    max_pause=call.pause_limit,
                    span=span,
                )
                response.resent_after_ambiguous = call.ambiguous
                return response
            except HubCRMError as exc:
                if span is not None:
                    span.failed(exc)
                wait = self._before_next_attempt(call, exc, span)
            finally:
                if span is not None:
                    span.end()
            if wait is not None:
                await session.sleep(wait)

    def _before_next_attempt(
        self, call: _Call, error: HubCRMError, span: Attempt | None
    ) -> float | None:
        """Decide on a failed attempt and do what the decision says; raise to give up.

        Returns the backoff to sleep before the next attempt (after the attempt's span
        ends), or None when the next attempt goes at once or waits in the limiter.
        """
        session = self.session
        if isinstance(error, DailyLimitError):
            session.limiter.daily_limit_reached(error)  # a shared limiter tells the others
        policy = call.options.retry
        decision = decide(
            policy,
            call.kind,
            error,
            call.retries,
            session.random,
            can_refresh_token=not call.refreshed and call.token is not None,
            paused_so_far=call.paused,
        )
        if not decision.retry:
            if decision.rate_limited:
                # Too long for this request, but HubSpot holds every sender: the others
                # learn of the pause, and those it outlasts fail at once too.
                session.limiter.penalize(decision.wait)
            raise error
        if classify(error) is FailureClass.AMBIGUOUS:
            call.ambiguous = True  # the next attempt is a resend of what may have been done
        counters = session.counters
        if decision.refresh_token:
            call.refreshed = True
            assert call.token is not None
            session.token_provider.invalidate(call.token)
            counters.retry(decision.reason, 0.0, call.method, call.shown_path, error)
            if span is not None:
                span.retry(decision.reason, 0.0)
            return None
        if decision.rate_limited:
            # The limiter holds every sender; this request waits its turn in acquire(),
            # held by this pause (and any later one) for at most what is left.
            pause = session.limiter.penalize(decision.wait)
            left = policy.rate_limit_deadline - call.paused
            if pause > left:
                raise error
            call.pause_limit = left
            call.paused += pause
            counters.pauses += 1
            counters.pause_time += pause
            counters.retry(decision.reason, pause, call.method, call.shown_path, error)
            if span is not None:
                span.retry(decision.reason, pause, pause=True)
            return None
        call.retries += 1
        wait = decision.wait or 0.0
        if isinstance(error, APIError) and error.retry_after is not None:
            call.paused += wait  # HubSpot asked for the wait: it counts like a pause
        call.pause_limit = policy.rate_limit_deadline - call.paused
        counters.retry(decision.reason, wait, call.method, call.shown_path, error)
        if span is not None:
            span.retry(decision.reason, wait)
        return wait
