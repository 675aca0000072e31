"""What a shared budget keeps in Redis, and the Lua scripts that read and change it.

Every key of one budget shares the hash tag ``{KEY}``, so that a Redis Cluster keeps
them in one slot and a script may touch them all: ``hubcrm:{KEY}:starts`` (a sorted set
of request starts), ``hubcrm:{KEY}:pause`` (the shared pause after a 429) and
``hubcrm:{KEY}:daily`` (the account's daily limit is spent). :func:`check_key` says which
names may stand for ``KEY``.
"""

from __future__ import annotations

import re

__all__ = ["ACQUIRE", "PAUSE", "check_key"]

# KEYS: starts (zset), pause, daily. ARGV: max requests, this process's window in µs
# (margin included), the trim horizon in µs, a member id unique to this start, then the
# ages in µs of starts this process made while Redis was unreachable. Returns {status, µs}:
# 1 = granted, 0 = wait that long for the window, 2 = a shared pause holds every process
# that long, -1 = the daily limit is spent (µs: until the key expires).
#
# Processes may use different windows (each 429 episode widens one process's margin, up
# to a quarter interval; observe() may change the limit), so the set is trimmed only past
# a horizon longer than any of them, and each counts the starts inside its own window.
# The unshared starts are recorded before any early answer: they were made, whatever the
# pause or the daily flag now say. Scores are µs since the epoch (16 digits): Lua prints
# numbers with 14, so they go to Redis as numbers or through string.format('%d').
ACQUIRE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local ttl = math.ceil(horizon / 1000) + 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - horizon)
-- Starts stamped after now (Redis' clock went back: a failover) count as made now.
local ahead = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', now), '+inf')
for _, member in ipairs(ahead) do redis.call('ZADD', KEYS[1], now, member) end
for i = 5, #ARGV do
  local age = tonumber(ARGV[i])
  if age < window then redis.call('ZADD', KEYS[1], now - age, ARGV[4] .. ':' .. i) end
end
if #ARGV > 4 then redis.call('PEXPIRE', KEYS[1], ttl) end
local daily = redis.call('PTTL', KEYS[3])
if daily > 0 or daily == -1 then return {-1, daily * 1000} end
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then
  local left = redis.call('PTTL', KEYS[2])
  if left >= 0 and paused - now > left * 1000 then return {2, left * 1000} end
  return {2, paused - now}
end
local n = redis.call('ZCOUNT', KEYS[1], string.format('(%d', now - window), '+inf')
if n < max then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, 0}
end
-- The set is sorted by score and the starts outside this window are the oldest, so the
-- (n - max)-th start inside it is the (total - max)-th of the whole set.
local total = redis.call('ZCARD', KEYS[1])
local first = redis.call('ZRANGE', KEYS[1], total - max, total - max, 'WITHSCORES')
return {0, math.min(tonumber(first[2]) + window - now, window)}
"""

# KEYS: pause. ARGV: pause length in µs. Extends the shared pause, never shortens it.
# Returns the µs from now until the pause ends.
PAUSE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wanted = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if wanted > current then
  local ms = math.ceil(tonumber(ARGV[1]) / 1000) + 1
  redis.call('SET', KEYS[1], string.format('%d', wanted), 'PX', ms)
  return wanted - now
end
return current - now
"""

_KEY_RE = re.compile(r"[^\s{}]+")


def check_key(key: object) -> str:
    """``key``, once it is a name fit for the budget's keys; else TypeError or ValueError."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, not {type(key).__name__}")
    if not _KEY_RE.fullmatch(key):
        raise ValueError(
            f"key must be a non-empty name without spaces or braces, such as "
            f"'app-1234' or 'portal-5678', not {key!r}"
        )
    if key.startswith("pat-"):
        raise ValueError(
            "key looks like an access token: name the app or account instead "
            "(the key is stored in Redis in clear)"
        )
    return key
