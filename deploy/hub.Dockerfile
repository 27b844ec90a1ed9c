# syntax=docker/dockerfile:1
#
# Container image of the It's My Life hub. Build it from the repository root:
#
#   docker build -f deploy/hub.Dockerfile -t iml-hub .
#
# The image runs `hub serve` as an unprivileged user (uid 10001). Any other
# hub command runs by naming it after the image, with the same environment
# as the server, e.g. `docker run --rm -e IML_HUB_DB=postgres://... iml-hub
# site list` (or `docker compose run --rm hub site list`).
#
# Configuration is by environment variable (see deploy/examples/hub.env):
#   IML_HUB_DB        postgres:// URL; without it the hub uses an embedded
#                     SQLite file in the data volume /var/lib/iml
#   IML_HUB_ADDR      listen address, 0.0.0.0:8080 here; change the port with
#                     this variable rather than --addr, the health check reads it
#   IML_HUB_LOG_LEVEL  debug, info, warn or error (JSON log lines on stderr)
#
# The health check asks GET /readyz, which answers 200 only while the
# database answers. It uses bash's /dev/tcp, so the image needs no HTTP client.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# Only what the hub is built from: the agent's code stays out of this image.
COPY pkg ./pkg
COPY hub ./hub
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/hub ./hub

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 iml \
    && useradd --system --uid 10001 --gid iml --home-dir /var/lib/iml --no-create-home --shell /usr/sbin/nologin iml \
    && install -d -o iml -g iml -m 0700 /var/lib/iml
COPY --from=build /out/hub /usr/local/bin/hub
ENV IML_HUB_DATA_DIR=/var/lib/iml \
    IML_HUB_ADDR=0.0.0.0:8080
USER 10001:10001
WORKDIR /var/lib/iml
VOLUME ["/var/lib/iml"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${IML_HUB_ADDR##*:} && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hub"]
CMD ["serve"]
