#!/usr/bin/env bash
# The README's two commands: `scripts/quickstart.sh demo` and `scripts/quickstart.sh test`.
# Each gets a fresh machine ready first: Node 22, the npm dependencies, a build.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/node22.sh

debian_packages() {
  # Real programs the tests use: bubblewrap (isolation), php-cli (php -l), git, openssh-client (signed approvals), and a compose
  # client for the static check of sandbox/compose.yaml (no engine: recommends stay out), kubectl.
  local missing=()
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  command -v php >/dev/null || missing+=(php-cli)
  command -v git >/dev/null || missing+=(git)
  command -v prlimit >/dev/null || missing+=(util-linux)
  command -v ssh-keygen >/dev/null && command -v ssh-agent >/dev/null || missing+=(openssh-client)
  # The full-disk fault tests (test/faults/) mount a small tmpfs; they skip, saying why, without root.
  command -v mount >/dev/null || missing+=(mount)
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || missing+=(docker-compose)
  # kubectl checks the tekton plugin's stand-in Kubernetes API server (no cluster needed).
  command -v kubectl >/dev/null || missing+=(kubernetes-client)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "warning: cannot install ${missing[*]} (no apt-get); tests that need them will fail" >&2
  fi
}

prepare() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund >&2
  fi
  npm run build --silent >&2
}

case "${1:-}" in
  demo) prepare; shift; exec node bin/run.js demo "$@" ;;
  test) debian_packages; prepare; exec npm test ;;
  setup) debian_packages; prepare ;;
  *) echo "usage: scripts/quickstart.sh demo|test" >&2; exit 2 ;;
esac
