# syntax=docker/dockerfile:1
#
# Container image of the It's My Life site agent. Build it from the
# repository root:
#
#   docker build -f deploy/agent.Dockerfile -t iml-agent .
#
# The image runs `agent serve` as an unprivileged user (uid 10001). Its
# SQLite database, which holds the site's identifying data, lives in the
# volume /var/lib/iml: keep that volume (and its backups) as carefully as
# the machine itself. Any other agent command runs by naming it after the
# image with the same volume, e.g.
#
#   docker run --rm -v iml-agent-data:/var/lib/iml -e IML_AGENT_ENROLL_HUB=https://hub.example.org \
#       iml-agent enroll --token imlenr_...
#
# A bind-mounted directory must be writable by uid 10001.
#
# Configuration is by environment variable (see deploy/examples/agent.env):
#   IML_AGENT_ENROLL_HUB  the hub's URL, read by `agent enroll` (the agent
#                     keeps the URL it enrolled with)
#   IML_AGENT_ADDR    listen address, 0.0.0.0:8090 here; change the port with
#                     this variable rather than --addr, the health check reads it
#   IML_AGENT_LOG_LEVEL  debug, info, warn or error (JSON log lines on stderr)
#
# The health check asks GET /healthz. It uses bash's /dev/tcp, so the image
# needs no HTTP client.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# Only what the agent is built from: the hub's code stays out of this image.
COPY pkg ./pkg
COPY agent ./agent
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/agent ./agent

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 iml \
    && useradd --system --uid 10001 --gid iml --home-dir /var/lib/iml --no-create-home --shell /usr/sbin/nologin iml \
    && install -d -o iml -g iml -m 0700 /var/lib/iml
COPY --from=build /out/agent /usr/local/bin/agent
ENV IML_AGENT_DATA_DIR=/var/lib/iml \
    IML_AGENT_ADDR=0.0.0.0:8090
USER 10001:10001
WORKDIR /var/lib/iml
VOLUME ["/var/lib/iml"]
EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${IML_AGENT_ADDR##*:} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/agent"]
CMD ["serve"]
