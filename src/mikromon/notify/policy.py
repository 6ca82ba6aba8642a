"""When a failed delivery is tried again: exponential backoff, bounded attempts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff for one channel.

    Attempt ``n`` (1-based) that fails is retried after
    ``min(base_s * factor ** (n - 1), max_s)`` seconds; after ``max_attempts``
    failed attempts the message is given up (state ``failed``).

    Args:
        max_attempts: attempts in all, at least 1.
        base_s: delay after the first failure, seconds (> 0).
        factor: growth per attempt (>= 1).
        max_s: longest delay, seconds.

    Raises:
        ValueError: a value out of range, naming it.
    """

    max_attempts: int = 8
    base_s: float = 10.0
    factor: float = 2.0
    max_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if not self.base_s > 0:
            raise ValueError(f"base_s must be above 0 seconds, not {self.base_s}")
        if self.factor < 1:
            raise ValueError(f"factor must be at least 1, not {self.factor}")
        if self.max_s < self.base_s:
            raise ValueError(f"max_s ({self.max_s}) must be at least base_s ({self.base_s})")

    def delay_after(self, attempts: int) -> float | None:
        """Seconds to wait after ``attempts`` failed attempts, or ``None`` when the
        message is to be given up (``attempts >= max_attempts``)."""
        if attempts >= self.max_attempts:
            return None
        return float(min(self.base_s * self.factor ** max(attempts - 1, 0), self.max_s))
