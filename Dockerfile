# The `pulse` command in an image: `docker run IMAGE worker|sink|api|serve|topics apply|migrate up`.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
RUN /opt/venv/bin/pip install .

# Same base as the build stage, so the venv's interpreter links stay valid.
FROM python:3.11-slim
RUN groupadd --system --gid 10001 pulse \
 && useradd --system --uid 10001 --gid pulse --home-dir /var/lib/pulse --create-home pulse
COPY --from=build /opt/venv /opt/venv
# The settings' defaults point inside the source tree, which is not writable here: state goes
# under the user's home, and the API and the collector listen on every interface so they are
# reachable from outside.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PULSE_API_HOST=0.0.0.0 \
    PULSE_COLLECTOR_HOST=0.0.0.0 \
    PULSE_STREAM_DATA_DIR=/var/lib/pulse/faust \
    PULSE_CLICKHOUSE_URL=chdb:///var/lib/pulse/chdb \
    PULSE_LOG_FORMAT=json
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /var/lib/pulse
EXPOSE 8000 8100
ENTRYPOINT ["pulse"]
CMD ["--help"]
