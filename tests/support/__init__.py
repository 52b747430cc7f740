"""Real local counterparts of external services for the integration tests: an SMTP server
that records what it receives, and a Celery worker running as a separate process."""
