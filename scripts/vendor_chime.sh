#!/usr/bin/env bash
# Vendors the Amazon Chime SDK client library (npm amazon-chime-sdk-js, Apache-2.0) as one ES
# module, webapp/vendor/chime-sdk.mjs, that the video-visit "Join" step imports lazily.  A
# one-time vendoring step (run again only to upgrade), not a build step of the app: the app
# ships the committed file.  Needs node and npm; works in a temporary folder.
#
# The package is CommonJS, so esbuild cannot drop what the app does not use; two things are cut
# by hand: the messaging client (@aws-sdk/client-chime-sdk-messaging, for chat channels: not used,
# replaced by an empty module) and Node's built-ins (never reached in a browser, left external).
set -euo pipefail
CHIME_VERSION="${CHIME_VERSION:-3.32.0}"
ESBUILD_VERSION="${ESBUILD_VERSION:-0.28.2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "amazon-chime-sdk-js@${CHIME_VERSION}" "esbuild@${ESBUILD_VERSION}"
cat > entry.js <<'JS'
export { ConsoleLogger, DefaultDeviceController, DefaultMeetingSession, LogLevel,
         MeetingSessionConfiguration, MeetingSessionStatusCode } from "amazon-chime-sdk-js";
JS
echo "module.exports = {};" > no-messaging.cjs
./node_modules/.bin/esbuild entry.js --bundle --format=esm --minify --platform=browser \
  --target=es2020 --legal-comments=eof '--external:node:*' \
  --alias:@aws-sdk/client-chime-sdk-messaging=./no-messaging.cjs \
  --banner:js="// amazon-chime-sdk-js ${CHIME_VERSION} (Apache-2.0), bundled by scripts/vendor_chime.sh" \
  --outfile="$ROOT/webapp/vendor/chime-sdk.mjs"
cp node_modules/amazon-chime-sdk-js/LICENSE "$ROOT/webapp/vendor/chime-sdk.LICENSE.txt"
ls -l "$ROOT/webapp/vendor/chime-sdk.mjs"
sha256sum "$ROOT/webapp/vendor/chime-sdk.mjs"
echo "gzip: $(gzip -9 -c "$ROOT/webapp/vendor/chime-sdk.mjs" | wc -c) bytes"
