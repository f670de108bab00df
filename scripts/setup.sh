#!/usr/bin/env bash
# Installs everything storeshift needs on a fresh Debian machine, from a clean clone. Idempotent:
# a second run finds the packages, node_modules and the cached binaries and does almost nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/etcd ] || need+=(etcd-server)
[ -x /usr/bin/etcdctl ] || need+=(etcd-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt: ${need[*]} (etcd 3.4.23 for the v2 API and etcdctl migrate; chromium for the HTML report test; xmllint for the JUnit schema test)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need[@]}"
fi

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== build (dist/: the CLI and the step library run from it)"
npm run build

echo "== binaries: etcd 3.6 and kube-apiserver from the Go module proxy, cached by version outside the repo"
node bin/storeshift.js install
echo "== etcd 3.5: the middle step of the lifecycle suite's 3.4 → 3.5 → 3.6 upgrade (docs/lifecycle.md)"
node bin/storeshift.js install --tool etcd-3.5 --tool etcdutl-3.5

echo "== docker: an engine for the testcontainers backend (scripts/docker-engine.sh; docs/docker.md)"
bash scripts/docker-engine.sh start
# the kind CLI (under a minute cold, cached by version): where the engine runs privileged containers,
# kind then lacks only its node image; where it does not, doctor quotes the engine's refusal
node bin/storeshift.js install --tool kind || echo "setup: kind CLI not built; the kind scenarios will say so"
node bin/storeshift.js doctor
