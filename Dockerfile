# One image for every process: the server and each worker service run it with another command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# the admin UI is built into the image (admin-ui/dist), as `npm start` does on a laptop
RUN npx tsx scripts/build-ui.ts
EXPOSE 3000
# exec form, node itself (tsx as its loader, not the tsx or npx wrapper): SIGTERM from `docker stop`
# reaches the process that holds the jobs and requests, which then stops gracefully
# (WORKER_SHUTDOWN_GRACE_MS). docker-compose adds an init (`init: true`) in front of it.
CMD ["node", "--import", "tsx", "src/server.ts"]
