#!/usr/bin/env bash
# The main job on a fresh machine: set up, then run every bundled feature suite on the embedded
# default (local etcd + local control plane). Reports go to reports/<run-id>/ (reports/latest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/storeshift.js run --backend local "$@"
