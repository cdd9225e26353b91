# syntax=docker/dockerfile:1
# Build stage: compile TypeScript, then keep only production dependencies. The embedded
# PostgreSQL (an optional dependency for local runs) is left out: the image always runs
# against DATABASE_URL. TypeScript, ts-node and the Nest CLI are development dependencies,
# so the runtime stage carries no TypeScript toolchain; the build fails if one slipped in.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build \
  && npm prune --omit=dev --omit=optional --ignore-scripts \
  && for tool in typescript ts-node @nestjs/cli; do \
       if [ -e "node_modules/$tool" ]; then echo "$tool must not ship" >&2; exit 1; fi; \
     done

# Runtime stage: Node 24, non-root.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node console ./console
USER node
EXPOSE 3000
# SIGTERM stops the job runner, then HTTP, then the pools, within SHUTDOWN_TIMEOUT_MS
# (7 s by default), inside Docker's default 10 s grace period.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The Node options of `npm start` (package.json): a young generation of 32 MiB per
# semi-space, for imports (docs/configuration.md, "Node.js runtime options").
CMD ["node", "--max-semi-space-size=32", "dist/main.js"]
