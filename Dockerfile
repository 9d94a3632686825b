# syntax=docker/dockerfile:1
# partyaffairs production image: gunicorn (web), celery worker and celery beat all run from it.
#   docker compose build   (see docker-compose.yml and .env.example)

# --- Front-end packages: npm ci, then the same copies as the Makefile's $(VENDOR)/.installed ---
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY scripts/vendor.sh scripts/vendor.sh
RUN sh scripts/vendor.sh static/vendor

# --- The application ---
FROM python:3.11-slim
# PYTHONPATH=/app: run the code from /app (settings' BASE_DIR then finds templates/, static/ and
# staticfiles/ there), not the copy `pip install .` puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=partyaffairs.settings \
    PYTHONPATH=/app \
    MEDIA_ROOT=/app/media
WORKDIR /app

RUN groupadd --system --gid 1000 partyaffairs \
    && useradd --system --uid 1000 --gid partyaffairs --home-dir /app --shell /usr/sbin/nologin partyaffairs

COPY . .
RUN pip install . && rm -rf build *.egg-info
COPY --from=assets /src/static/vendor static/vendor

# Static files are collected into the image (whitenoise serves them, hashed and compressed).
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/media && chown partyaffairs:partyaffairs /app/media

USER partyaffairs
EXPOSE 8000
CMD ["gunicorn", "partyaffairs.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
