# Build a wheel in one stage, install it in a slim runtime stage that runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOORSTEP_DATA_DIR=/var/lib/doorstep
RUN useradd --system --create-home --uid 10001 doorstep \
    && mkdir -p /var/lib/doorstep && chown doorstep /var/lib/doorstep
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER doorstep
WORKDIR /home/doorstep
EXPOSE 8000
# With DOORSTEP_DATABASE_URL unset the embedded PostgreSQL keeps its data in the volume below.
VOLUME ["/var/lib/doorstep"]
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["doorstep", "serve", "--host", "0.0.0.0", "--port", "8000"]
