"""A token bucket in Redis, shared by every worker: messages per second to the WeChat API.

RQ's own rate limiting caps concurrent jobs per key, not a rate; this is a rate. A caller takes
tokens and is told how long to wait for them (a reservation), so the bucket never goes idle
while workers sleep.
"""

from __future__ import annotations

import time

from redis import Redis

TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local now, want = tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens < want then wait = math.ceil((want - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - want), 'ts', tostring(math.max(now, ts)))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
"""


class TokenBucket:
    def __init__(self, redis: Redis, key: str, rate: float, burst: int | None = None) -> None:
        self.redis, self.key, self.rate = redis, f"tiefen:rate:{key}", rate
        self.burst = burst if burst is not None else max(1, int(rate))
        self._take = redis.register_script(TAKE)

    def reserve(self, tokens: int = 1) -> float:
        """Take `tokens` now; returns the seconds to wait before using them."""
        now_ms = int(time.time() * 1000)
        return int(self._take(keys=[self.key], args=[self.rate, self.burst, now_ms, tokens])) / 1000

    def take(self, tokens: int = 1) -> float:
        """Take `tokens`, sleeping until they are ours; returns the seconds slept."""
        wait = self.reserve(tokens)
        if wait > 0:
            time.sleep(wait)
        return wait
