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
# The data directory holds raw packets (chunk files): owned by the runtime user, 0700. A named
# volume mounted here copies this owner and mode on first mount; a host directory (bind mount)
# keeps its own, so give it to uid 1000 and chmod 0700 it on the host. The app also tightens it to
# 0700 at start-up and creates every file 0600 itself.
RUN install -d -o node -g node -m 0700 /data
ENV NETWARDEN_DATA_DIR=/data
USER node
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
