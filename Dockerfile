# syntax=docker/dockerfile:1
# Semantik production image: one image for every role (api, worker, migrate, backup), chosen by the
# command: `docker run semantik serve --no-worker`, `… worker`, `… db migrate`, `… backup --out …`.
#
#   docker build -t semantik .
#   docker compose up -d --scale worker=4      (see docker-compose.yml and docs/operations.md)
#
# Stages: deps (all dependencies, with a compiler for native modules) → build (tsc → dist/,
# vite → web/dist) → prod-deps (npm ci --omit=dev) → runtime (no compiler, no devDependencies,
# non-root). Only the runtime stage ships.

ARG NODE_VERSION=20
# pg_dump/pg_restore must be at least the server's major version (semantik backup checks it):
# 17 dumps any server up to 17 (pg_dump reads older servers), including docker-compose.yml's pg17.
ARG PG_CLIENT_MAJOR=17

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 (legacy SQLite reader) falls back to a source build when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY bin ./bin
RUN npm run build && npm run build:web

FROM deps AS prod-deps
# Production dependencies only: no vitest, vite, typescript or @types in the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG PG_CLIENT_MAJOR
# PostgreSQL client tools from the PGDG repository (Debian bookworm ships only 15).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && install -d /usr/share/keyrings \
 && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
 && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_CLIENT_MAJOR}" \
 && apt-get purge -y curl gnupg && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SEMANTIK_DATA_DIR=/data \
    SEMANTIK_DOCUMENT_ROOTS=/documents
WORKDIR /app
COPY --chown=root:root package.json ./
COPY --chown=root:root --from=prod-deps /app/node_modules ./node_modules
COPY --chown=root:root --from=build /app/dist ./dist
COPY --chown=root:root --from=build /app/web/dist ./web/dist
COPY --chown=root:root bin ./bin
# The code is root-owned and read-only to the app; the app writes only /data (embedded database,
# generated secrets) and /backups. `node` (uid 1000) comes with the official image.
RUN mkdir -p /data /backups /documents && chown node:node /data /backups
USER node

EXPOSE 8080
# Readiness, not just liveness: 200 only when the database answers and migrations are current.
# Workers have no HTTP port; docker-compose.yml disables this check for them.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1's child under `init: true` (compose) and receives SIGTERM directly,
# so serve/worker drain within SEMANTIK_SHUTDOWN_TIMEOUT_SECONDS.
ENTRYPOINT ["node", "/app/bin/semantik.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
