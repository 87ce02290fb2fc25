# One image for every process: the server and each worker service run it with another command.
# Two stages: `build` installs everything (dev dependencies included) and builds the admin UI with
# Vite; the runtime stage installs the production dependencies only (no Vite, React or Mantine: they
# are bundled into admin-ui/dist) and takes the built UI from `build`.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: as npm 11 does by default where this project is developed and tested; nothing
# needs an install script (esbuild, rolldown and swc ship prebuilt binaries as optional packages)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# scripts/build-ui.ts: admin-ui → admin-ui/dist, React's production build
RUN npm run build:ui

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# what the processes read at run time: the sources (run by tsx), the migrations, tsconfig (read by tsx)
COPY tsconfig.json ./
COPY migrations ./migrations
COPY src ./src
COPY --from=build /app/admin-ui/dist ./admin-ui/dist
# STORAGE_URL's default (file:///app/data) must be writable by the user below; docker-compose uses S3
RUN mkdir -p /app/data && chown node:node /app/data
# the node image's own unprivileged user (uid 1000); the code and node_modules stay root's, read-only to it
USER node
EXPOSE 3000
# exec form, node itself (tsx as its loader, not npm, the tsx or npx wrapper): SIGTERM from `docker stop`
# reaches the process that holds the jobs and requests, which then stops gracefully
# (WORKER_SHUTDOWN_GRACE_MS). docker-compose adds an init (`init: true`) in front of it; with plain
# `docker run`, add --init. Not `npm start` or `npm run server`: their pre-scripts check or start
# local services and rebuild the UI, which needs Vite, a dev dependency absent here.
CMD ["node", "--import", "tsx", "src/server.ts"]
