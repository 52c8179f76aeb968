# One image for every service; the command picks the entry point, e.g.
#   docker run readur services/ocr-worker/dist/main.js
# Why one image: the services share most of their code (packages/*) and dependencies, so one
# image is one set of layers to build, scan and pull instead of six nearly identical ones.
# README.md, "Operations", says more.

# --- build: every dependency, compile TypeScript, then drop the development dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN npm install -g pnpm@10.34.9
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY packages/ packages/
COPY services/ services/
COPY tsconfig.base.json tsconfig.build.json tsconfig.json ./
RUN pnpm install --frozen-lockfile \
 && pnpm run build \
 && pnpm install --frozen-lockfile --prod --config.confirmModulesPurge=false

# --- runtime: compiled output and production dependencies only; no sources, tests or pnpm.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json /app/
COPY --from=build --chown=root:root /app/node_modules /app/node_modules
COPY --from=build --chown=root:root /app/packages /app/packages
COPY --from=build --chown=root:root /app/services /app/services
# Sources and tests came with the folders above; the image runs dist/ only. The OCR language
# data (@tesseract.js-data/eng, deu, fra, osd) are production dependencies of the ocr-worker,
# so they are in node_modules: nothing is downloaded at run time.
RUN rm -rf /app/packages/*/src /app/packages/*/test /app/services/*/src /app/services/*/test \
 && mkdir -p /data/documents \
 && chown node:node /data/documents
# The app files stay owned by root: the service user can read them, not change them.
USER node
EXPOSE 8080 9090
# PORT is the service's own HTTP port (8080 gateway ... 8085 sync); every one answers
# /api/health without a token.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form, no shell: node is PID 1 and gets SIGTERM itself; every service drains its work on
# SIGTERM (onShutdownSignal in @readur/http) before it exits.
ENTRYPOINT ["node"]
CMD ["services/gateway/dist/main.js"]
