# One image for every service; the SERVICE variable picks the entry point
# (gateway, auth, document, ocr-worker). One image keeps the shared packages and the OCR
# language data in a single layer set instead of four nearly identical images.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN npm install -g pnpm@10.34.9
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm run build \
 && pnpm install --frozen-lockfile --prod

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data/documents && chown node:node /data/documents
USER node
ENV SERVICE=gateway
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec so the service is PID 1's only child and receives SIGTERM to drain its work.
CMD ["sh", "-c", "exec node services/$SERVICE/dist/main.js"]
