# One image for every tyrsim service and the CLI: the repository with its locked dependencies.
# TypeScript runs through tsx, so there is no build step.
FROM node:20-bookworm-slim
WORKDIR /opt/tyrsim
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY . .
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/tyrsim.mjs"]
CMD ["--help"]
