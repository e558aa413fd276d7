#!/usr/bin/env bash
# The whole test suite from a fresh clone: set up .venv, check notebooks and package agree, run notebook tests and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 WANDB_MODE=offline
B=.venv/bin
# nbdev is the source of truth: exporting must not change fasthf/, and notebooks must be clean
$B/nbdev-export
$B/python tools/make_readme.py
if [ -n "$(git status --porcelain -- fasthf README.md)" ]; then
  echo "fasthf/ or README.md differs from what the notebooks export:"; git status --porcelain -- fasthf README.md; git diff --stat -- fasthf README.md; exit 1
fi
$B/nbdev-clean
if [ -n "$(git status --porcelain -- nbs)" ]; then
  echo "Notebooks are not clean (run nbdev-clean):"; git status --porcelain -- nbs; exit 1
fi
$B/nbdev-test --n-workers 2
$B/python -m pytest -q -p no:cacheprovider tests "$@"
