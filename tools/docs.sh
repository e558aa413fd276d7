#!/usr/bin/env bash
# Build the HTML documentation offline from the notebooks: _docs/html/index.html (see tools/docs.py for how).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 WANDB_MODE=offline
exec .venv/bin/python tools/docs.py "$@"
