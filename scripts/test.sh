#!/usr/bin/env bash
# `npm test`: the whole suite. Services first (later suites need PostgreSQL and Redis),
# then a type-checked build (the CLI tests run the built `netwarden` binary), then jest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
npm run --silent build
npx jest --ci "$@"
