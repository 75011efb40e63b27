# Tovholder: a small image that runs `python -m bot run`.
#   docker build -t tovholder .
#   docker run --env-file .env -v tovholder-data:/app/data tovholder
# With SLACK_APP_TOKEN set it uses Socket Mode (it still answers GET /healthz on $PORT);
# otherwise it serves Slack over HTTP on $PORT (default 3000): add `-p 3000:3000`.
# `docker stop` sends SIGTERM: the bot finishes what it is doing and exits 0.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY handlers ./handlers
COPY jobs ./jobs
COPY models ./models
COPY migrations ./migrations
COPY examples ./examples

# The image's Python never writes bytecode (PYTHONDONTWRITEBYTECODE), so the project's modules
# are compiled here, once, and the message catalogues too: each start (and each `docker run …
# python -m bot …`) then reads them instead of compiling them again (about 0.15 s). The
# bytecode is checked against the source by hash, not by time (a build that rewrites file
# times keeps it valid). `i18n compile` refuses a catalogue with a problem (a text missing or
# not yet translated), so such an image is not built.
RUN pip install . \
 && python -m compileall -q --invalidation-mode checked-hash bot handlers jobs models migrations \
 && python -m bot i18n compile \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tovholder \
 && mkdir -p /app/data \
 && chown tovholder /app/data

USER tovholder
VOLUME ["/app/data"]
EXPOSE 3000

# Unhealthy when the database is down or (Socket Mode) the connection to Slack is lost.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT') or 3000}/healthz\", timeout=4)"]

# Reachable from outside the container (publish the port with -p to expose it).
CMD ["python", "-m", "bot", "run", "--host", "0.0.0.0"]
