#!/usr/bin/env bash
# npm run test:zoo (after build and compile-tests): make sure the architecture zoo exists (generated on the
# first run into a cache folder keyed by the generator's hash, see scripts/zoo-fixtures.mjs), then run the
# coverage sweep and the brute-force reference comparison, and say whether the README's table is current.
set -euo pipefail
cd "$(dirname "$0")/.."
CNN_FIXATIONS_ZOO="$(node scripts/zoo-fixtures.mjs)"
export CNN_FIXATIONS_ZOO
echo "zoo: $CNN_FIXATIONS_ZOO"
# --no-config: the default .mocharc skips out/test/zoo (it is this lane's, not `npm test`'s).
npx mocha --no-config --timeout 900000 --enable-source-maps --reporter spec 'out/test/zoo/**/*.test.js'
node scripts/zoo-table.mjs --check || true
