"""Logging filters named in settings.LOGGING (loaded before the apps: import nothing here)."""

import logging


class RequestlessAxesFilter(logging.Filter):
    """Drops django-axes' error "update_request can not set request attributes to a None
    request". Django sends its login signals without a request when code authenticates
    outside a view: the speaker portal checks its emailed links with django-sesame's
    ``get_user(token)``, which does. Those are no admin sign-ins (config/admin_sign_in.py
    ignores them), so the error would only be noise at every expired link."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "None request" not in record.getMessage()
