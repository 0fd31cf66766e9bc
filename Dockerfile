# syntax=docker/dockerfile:1
# scrape-auth-exporter: build with the dev dependencies, run with the production ones only, as a numeric non-root user.
# docker build -t scrape-auth-exporter . && docker run -p 9863:9863 -v $PWD/examples:/etc/scrape-auth scrape-auth-exporter
# test/kit/docker-runtime.test.ts performs the runtime stage's steps without a Docker engine.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="scrape-auth-exporter" \
      org.opencontainers.image.description="Prometheus exporter sidecar that watches scrape credentials and probes targets with Prometheus's own authentication, saying why a scrape would fail" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="docs/kubernetes.md"
ENV NODE_ENV=production
WORKDIR /app
# --ignore-scripts: no dependency runs code at install time; none needs to.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# nobody:nogroup, numeric so Kubernetes' runAsNonRoot can verify it without an /etc/passwd lookup.
USER 65534:65534
EXPOSE 9863
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["--config.file=/etc/scrape-auth/scrape-auth.yml"]
