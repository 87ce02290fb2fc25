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
CMD ["npx", "tsx", "src/server.ts"]
