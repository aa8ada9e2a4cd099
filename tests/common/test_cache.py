"""The Redis cache keeps its clients: making a `redis.Redis` costs as much as a cache call."""

import uuid

from django.conf import settings

from common.cache import ResilientRedisCache


def test_the_cache_keeps_one_redis_client_for_every_call():
    cache = ResilientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})

    cache.set("page", "rendered", 5)

    assert cache.get("page") == "rendered"
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.delete("page")
    assert cache.get("page") is None
