"""The write engines: bulk creation (intake, scheduling, the engine, its drivers),
the one batch executor, reading batch answers, settling ambiguous writes
(recovery, read-back), batch updates and archives, and the public outcomes."""

__all__: list[str] = []
