# The app's image: gunicorn, the Celery worker and beat (docker-compose.yml). The base is
# pinned to a Python release and a Debian release; the Python packages come from the lock file.
FROM python:3.11.15-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_STATIC_ROOT=/app/staticfiles
WORKDIR /app
RUN useradd --system --uid 1000 app
# Dependencies in a layer of their own, rebuilt only when the lock changes (not on every code
# change): exactly the versions and hashes of requirements/lock.txt, the lock whose versions CI
# tests (requirements/test-lock.txt pins them alike). Regenerate both with `python3 dev.py lock`.
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --no-cache-dir --disable-pip-version-check --require-hashes --no-deps \
    -r requirements/lock.txt
COPY . .
# Static files are collected into the image. Everything the app writes goes under /app/var, on
# named volumes (docker-compose.yml); a new named volume takes the owner of the directory it is
# mounted on, so these directories are made here, owned by the app user.
# The translations are compiled in pure Python (config/catalogues.py), as dev.py does.
RUN python -m config.catalogues \
 && DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
 && mkdir -p /app/var/media /app/var/private /app/var/beat \
 && chown -R app /app/var
USER app
EXPOSE 8000
ENV PORT=8000
CMD ["gunicorn", "config.wsgi"]
