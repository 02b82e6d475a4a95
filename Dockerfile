# syntax=docker/dockerfile:1
# psa-escalator container: multi-stage build on the current Node LTS, non-root, read-only friendly.

# ---- build: compile TypeScript with dev dependencies
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
COPY scripts ./scripts
RUN npm run build

# ---- deps: production dependencies only
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    CONFIG_FILE=/config/escalator.yaml
# tini: Node is not PID 1 without an init (signals, zombies); redis-server only for the embedded default
# (REDIS_URL unset) — compose and production point REDIS_URL at a real Redis with AOF.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data /config && chown node:node /data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY examples ./examples
USER node
# A smaller V8 young generation (8 MB semi-spaces instead of Node's 16): RSS after a webhook burst 133 MB instead of
# 143–153 MB in bench/ack.ts, at no CPU cost visible there (bench/README.md). If you set NODE_OPTIONS yourself,
# include it.
ENV NODE_OPTIONS="--max-semi-space-size=8"
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/psa-escalator.js"]
CMD ["serve"]
