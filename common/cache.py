"""The cache, as the portal wants it when Redis is down: a miss, not an error page."""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)


class _OneClientPerPool(RedisCacheClient):
    """Django's Redis cache client, except that it keeps one `redis.Redis` per connection pool
    instead of making one for every cache call: making one costs about 0.3 ms (it fills a table
    of response callbacks), as much as the call itself, on every page the cache serves. A
    `redis.Redis` holds no connection of its own (it borrows one from the pool for each
    command) and may be shared by threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, except that a Redis that is down or does not answer reads as an
    empty cache and takes no writes, instead of failing the request. Pages render without their
    cached copy; sign-in rate limits count nothing until Redis is back (and say so in the log).
    Socket timeouts (OPTIONS) keep a Redis that hangs from holding a request for long."""

    _warned_at = 0.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool

    def _degrade(self, call: Callable[[], Any], fallback: Any) -> Any:
        try:
            return call()
        except UNAVAILABLE:
            now = time.monotonic()
            if now - ResilientRedisCache._warned_at > 60:
                ResilientRedisCache._warned_at = now
                logger.warning("The cache (Redis) is unavailable: serving without it.",
                               exc_info=True)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._degrade(lambda: super(ResilientRedisCache, self).get(key, default, version),
                             default)

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return self._degrade(lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._degrade(lambda: super(ResilientRedisCache, self).has_key(key, version),
                             False)

    def set(self, *args: Any, **kwargs: Any) -> None:
        self._degrade(lambda: super(ResilientRedisCache, self).set(*args, **kwargs), None)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        # As if the key were free: a lock taken with add (allauth's rate-limit lock) is
        # granted, rather than refused for as long as Redis is down.
        return self._degrade(lambda: super(ResilientRedisCache, self).add(*args, **kwargs),
                             True)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return self._degrade(lambda: super(ResilientRedisCache, self).touch(*args, **kwargs),
                             False)

    def set_many(self, *args: Any, **kwargs: Any) -> list:
        return self._degrade(lambda: super(ResilientRedisCache, self).set_many(*args, **kwargs),
                             [])

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return self._degrade(lambda: super(ResilientRedisCache, self).delete(*args, **kwargs),
                             False)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        self._degrade(lambda: super(ResilientRedisCache, self).delete_many(*args, **kwargs), None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE:
            # What a cache without the key says: the caller starts the count again.
            raise ValueError(f"Key '{key}' not found: the cache is unavailable.") from None
