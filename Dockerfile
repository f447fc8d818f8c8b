# syntax=docker/dockerfile:1
#
# agentic-batch worker image: the CLI plus the bundled Claude Code binary, running
# `agentic-batch worker` against TEMPORAL_ADDRESS and DATABASE_URL (see docker-compose.yml).
#
#   docker build -t agentic-batch .
#   docker run --rm --init -e TEMPORAL_ADDRESS=host:7233 -e DATABASE_URL=postgres://... \
#     -e ANTHROPIC_API_KEY agentic-batch                  # a worker
#   docker run --rm agentic-batch --help                  # any other CLI command
#
# One stage on purpose: `npm ci` hardlinks the ~380 MB claude binary from its platform
# package into node_modules/@anthropic-ai/claude-code/bin/claude.exe. Hardlinks survive inside
# one layer but a COPY --from between stages duplicates them, which would double the image.
FROM node:20-bookworm-slim

# git: agents commonly inspect or diff the trees they edit. ca-certificates: TLS for git and
# anything else an agent runs (node and claude carry their own CA bundles). safe.directory:
# mounted work trees are often owned by another uid than this image's user, and git would
# refuse them as "dubious ownership".
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'

# package.json's `allowScripts` (which dependencies may run install scripts) is an npm 11
# feature; node 20 ships npm 10, which would ignore it. Same version as the development machines.
ARG NPM_VERSION=11.19.1
RUN npm install -g "npm@${NPM_VERSION}" && npm --version

WORKDIR /app
COPY . .

# `npm ci` installs and builds (the `prepare` script: tsc + the workflow bundle); then the dev
# dependencies go, in the same layer so they never reach the image. The npm cache is a BuildKit
# cache mount: rebuilds after a source change don't download the claude binary again.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && test -f dist/workflow-bundle.js \
 && test -x node_modules/@anthropic-ai/claude-code/bin/claude.exe \
 && ln -s /app/bin/agentic-batch.js /usr/local/bin/agentic-batch \
 && ln -s /app/node_modules/@anthropic-ai/claude-code/bin/claude.exe /usr/local/bin/claude

# MALLOC_ARENA_MAX: the worker's peak RSS at concurrency 64 falls ~25 MB (README, "Benchmark").
ENV NODE_ENV=production \
    DISABLE_AUTOUPDATER=1 \
    MALLOC_ARENA_MAX=2

# Non-root: claude refuses --permission-mode bypassPermissions (and --dangerously-skip-permissions)
# as root. The app stays root-owned and read-only to this user; claude's own state goes to
# /home/node/.claude and agentic-batch's to /home/node/.agentic-batch.
USER node

ENTRYPOINT ["node", "bin/agentic-batch.js"]
CMD ["worker"]
