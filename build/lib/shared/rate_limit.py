"""Token buckets per key (a visitor's IP, a form): `limit` requests per minute, refilled smoothly.
Pure: the clock is an argument. In-process, so each instance limits on its own; the bucket table is
bounded, dropping the fullest (idle) buckets first."""

from dataclasses import dataclass


@dataclass
class Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self.buckets: dict[str, Bucket] = {}

    def hit(self, key: str, now: float) -> float | None:
        """Take one token: None when allowed, else the seconds until one is free (for Retry-After)."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._evict(now)
            bucket = self.buckets[key] = Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate

    def _evict(self, now: float) -> None:
        idle = [k for k, b in self.buckets.items() if b.tokens + (now - b.at) * self.rate >= self.capacity]
        for key in idle or list(self.buckets)[: len(self.buckets) // 2]:
            del self.buckets[key]
