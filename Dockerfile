# The bot as an image: `docker build --build-arg FRAMEWORK=aiogram .` (default: ptb). Multi-stage:
# the build stage installs the locked versions (requirements/<framework>.lock, hashes checked) with
# the one Telegram framework it runs, then the package, and compiles the
# translation catalogs; the image runs as an unprivileged user. See compose.yaml.
# The lock files are resolved for Python 3.11: the image runs the same.
ARG PYTHON=3.11

FROM python:${PYTHON}-slim AS build
ARG FRAMEWORK=ptb
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY bot ./bot
COPY engine ./engine
COPY exchange ./exchange
COPY handlers ./handlers
COPY locales ./locales
COPY matching ./matching
COPY push ./push
COPY storage ./storage
COPY synthetic ./synthetic
COPY town ./town
COPY vocabulary ./vocabulary
RUN python -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes \
        -r "requirements/${FRAMEWORK}.lock" \
    && /venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps . \
    && cd / && /venv/bin/python -c "from locales.catalogs import compile_catalogs; compile_catalogs()"

FROM python:${PYTHON}-slim
ARG FRAMEWORK=ptb
RUN useradd --system --uid 10001 --create-home --home-dir /app ehrenamt \
    && mkdir -p /data/files && chown -R ehrenamt /data
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BOT_FRAMEWORK=${FRAMEWORK} \
    STORAGE_DIR=/data/files \
    WEBHOOK_LISTEN=0.0.0.0:8080
WORKDIR /app
USER ehrenamt
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3)"
ENTRYPOINT ["ehrenamt"]
CMD ["run"]
