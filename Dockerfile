# perfbot in a container: the wheel built in one stage, installed in a slim image that runs as
# a user without privileges. The database is PostgreSQL (see compose.yaml) or, for a trial,
# SQLite in the /data volume.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bot bot
COPY store store
COPY scheduler scheduler
COPY teams teams
COPY config config
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 perfbot && mkdir /data && chown perfbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels scs-perfbot && rm -rf /wheels
USER perfbot
WORKDIR /data
VOLUME /data
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/perfbot.db \
    LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
EXPOSE 3000
# Ready means the database answers, not only that the process is up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3000')}/readyz\", timeout=4)"]
CMD ["perfbot", "serve"]
