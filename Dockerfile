# syntax=docker/dockerfile:1
# Build stage: every dependency, compile, then drop the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime: production dependencies and dist/ only. Nothing from .data/ (dev keys, SQLite), no
# .env: .dockerignore keeps them out of the context, and only these paths are copied. Secrets
# arrive at run time as *_FILE mounts. Non-root; NODE_ENV=production (no stack pages, docs off).
FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
# Owned by root, read-only to the app user: a compromised process cannot rewrite its own code.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1 so SIGTERM reaches the app: it drains in-flight requests and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
