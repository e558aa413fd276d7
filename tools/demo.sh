#!/usr/bin/env bash
# The main job from a fresh clone: set up .venv, then fine-tune the packaged pretrained MiniLM on Rotten Tomatoes, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/fasthf demo "$@"
