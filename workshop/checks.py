"""System checks of the rate limits (workshop.ratelimit), run by `manage.py check --deploy`:
their counts must live in a cache that every web process shares and increments atomically,
or each gunicorn worker allows the full limit on its own."""

from django.conf import settings
from django.core.checks import Error, Tags, register

# Shared between processes and hosts, with an atomic increment (Redis INCR, memcached incr).
# django-ratelimit lists only the memcached ones and django_redis as supported; Django's own
# RedisCache (what CACHE_URL selects) increments with INCR as well.
SHARED_ATOMIC_CACHES = {
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django_redis.cache.RedisCache",
}


@register(Tags.caches, deploy=True)
def rate_limits_use_a_shared_cache(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []  # the embedded demo: one runserver process, its memory is shared enough
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    if backend in SHARED_ATOMIC_CACHES:
        return []
    return [
        Error(
            f"Rate limits are counted in the cache {alias!r} ({backend or 'none'}), which web "
            "processes do not share (or cannot count in atomically): with several workers, "
            "each allows the whole limit.",
            hint="Set CACHE_URL to a Redis database that every web process reaches, e.g. "
            "CACHE_URL=redis://redis:6379/1.",
            id="workshop.E001",
        )
    ]
