"""The HTTP layer: one attempt (session, transport), resending it (retry, the
write-safety classes), rate limits (in process and in Redis), auth and counters."""

__all__: list[str] = []
