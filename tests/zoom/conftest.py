import pytest


@pytest.fixture
def zoom(settings):
    """The stand-in Zoom on loopback, with this process's settings pointing at it and a
    fresh token cache. Every test that uses it ends with no schema violation."""
    from django.core.cache import cache

    from tests.support.zoom_standin import ZoomStandIn

    standin = ZoomStandIn().start()
    for name, value in standin.settings().items():
        setattr(settings, name, value)
    settings.ZOOM_TIMEOUT_SECONDS = 2
    cache.clear()
    yield standin
    standin.stop()
    cache.clear()
    assert standin.violations == []
