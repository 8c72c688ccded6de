# One image for the API and the workers (they run the same engine).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ libpcap-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig*.json nest-cli.json ./
COPY src src
COPY workers workers
COPY scripts scripts
COPY migrations migrations
COPY bin bin
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpcap0.8 libcap2-bin && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
# Live capture as the unprivileged user: the node binary may open packet sockets (the container
# must also be granted the capabilities: cap_add in docker-compose.yml).
RUN setcap cap_net_raw,cap_net_admin=eip "$(readlink -f /usr/local/bin/node)"
# The named volume for chunk files takes this directory's owner on first mount.
RUN mkdir -p /data && chown node:node /data
USER node
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
