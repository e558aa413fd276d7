#!/usr/bin/env bash
# The full architecture sweep from a fresh clone: every sequence- and image-classification architecture of transformers,
# built tiny and offline, through every fasthf step; writes docs/architectures.md (table) and docs/architectures.json.
# Arguments go to tests/_sweep.py (e.g. `--task image`, or model types).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
if [ $# -eq 0 ]; then set -- --out docs/architectures.md; fi
.venv/bin/python tests/_sweep.py "$@"
