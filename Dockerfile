# syntax=docker/dockerfile:1
# The image runs exactly the tree scripts/check-package-layout.sh builds and tests without an engine:
# the packed package (dist/, bin/, config/, docs/), production dependencies from the lock file, and
# no compiler, TypeScript or native build intermediates.
#
# Base: Node 24, the active LTS line, on Debian 12 (bookworm, where the sqlite3 build is tested).
# Pinned to an exact release. Pin the digest as well wherever an engine is at hand, and refresh it on
# every Node update:
#   docker pull node:24.20.0-bookworm-slim
#   docker inspect --format '{{index .RepoDigests 0}}' node:24.20.0-bookworm-slim
# then set NODE_IMAGE=node:24.20.0-bookworm-slim@sha256:<that digest> (here or with --build-arg).
ARG NODE_IMAGE=node:24.20.0-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
# sqlite3 compiles from source during npm ci.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*

FROM toolchain AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/build.js scripts/build-state.js ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md ./
COPY src ./src
COPY bin ./bin
COPY config ./config
COPY docs ./docs
COPY ui ./ui
COPY scripts/build-ui.js ./scripts/
RUN npm run build && npm pack --silent --pack-destination /tmp && mv /tmp/aviary-backup-*.tgz /tmp/aviary-backup.tgz

FROM toolchain AS runtime-deps
WORKDIR /app
COPY --from=build /tmp/aviary-backup.tgz /tmp/
COPY package-lock.json scripts/install-runtime.sh /tmp/
RUN tar xzf /tmp/aviary-backup.tgz --strip-components=1 -C /app && cp /tmp/package-lock.json /app/ \
  && sh /tmp/install-runtime.sh /app && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production DATA_DIR=/data PORT=8000
WORKDIR /app
COPY --from=runtime-deps /app /app
# `aviary-backup …` on the PATH (docker exec … aviary-backup admin reset-password admin).
RUN ln -s /app/bin/aviary-backup.js /usr/local/bin/aviary-backup \
  && mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/server.js"]
