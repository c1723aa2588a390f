# illdesk: one image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's native libraries and fonts (Latin and CJK) for PDF letters and slips; gettext for
# compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so code changes do not re-install them.
# (`packages = []`: installing the project installs only its dependencies.)
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Hashed, compressed static files served by WhiteNoise; the same variable is set at run time so the
# manifest written here is the one read there.
ENV ILLDESK_MANIFEST_STATIC=1 \
    ILLDESK_MEDIA_ROOT=/data/media
RUN python manage.py collectstatic --noinput --verbosity 0 \
    && if [ -d locale ]; then python manage.py compilemessages --verbosity 0; fi

RUN useradd --system --home-dir /app --shell /usr/sbin/nologin illdesk \
    && mkdir -p /data/media \
    && chown illdesk:illdesk /data/media
USER illdesk

EXPOSE 8000
CMD ["gunicorn", "illdesk.wsgi", "-b", "0.0.0.0:8000", "-w", "3"]
