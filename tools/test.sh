#!/usr/bin/env bash
# The whole test suite from a fresh clone: set up .venv, check notebooks and package agree, run notebook tests and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 WANDB_MODE=offline
B=.venv/bin
# Notebooks and tests run WORKERS at a time (2 by default, one per core of CI's machine), each with its share of the
# cores as torch threads: on 2 cores, two processes with 2 torch threads each ran a MiniLM training step 1.7x slower
# than two with 1 thread each (2.58 s against 1.52 s a step), and one process with 2 threads is no faster than two with 1.
WORKERS=${FASTHF_TEST_WORKERS:-2}
share=$(( $(nproc) / WORKERS ))
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( share > 0 ? share : 1 ))}
# nbdev is the source of truth: exporting must not change fasthf/ or README.md, and cleaning must not change nbs/
snap() { find "$@" -type f \( -name '*.py' -o -name '*.md' -o -name '*.ipynb' \) -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 md5sum; }
before=$(snap fasthf README.md)
$B/nbdev-export
$B/python tools/make_readme.py
if [ "$before" != "$(snap fasthf README.md)" ]; then
  echo "fasthf/ or README.md differed from what the notebooks export (now re-exported):"; diff <(echo "$before") <(snap fasthf README.md) || true; exit 1
fi
before=$(snap nbs)
$B/nbdev-clean
if [ "$before" != "$(snap nbs)" ]; then
  echo "Notebooks were not clean (nbdev-clean has now cleaned them):"; diff <(echo "$before") <(snap nbs) || true; exit 1
fi
# the tutorials (2x_tutorial_*, minutes each) are executed once, by the docs build that tests/test_docs.py runs
$B/nbdev-test --n-workers "$WORKERS" --skip-file-re '^2[0-9]_tutorial'
# tests/test_docs.py opens the rendered docs in Debian's Chromium: install it (and its driver) when missing
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  if command -v apt-get >/dev/null && { [ -z "$SUDO" ] || command -v sudo >/dev/null; }; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null \
      || echo "could not install chromium chromium-driver: tests/test_docs.py will fail and say so"
  else echo "no apt-get: install Chromium and ChromeDriver for tests/test_docs.py"; fi
fi
# pytest-xdist: WORKERS processes take tests as they free up (worksteal), so tests/test_docs.py (the longest) overlaps the rest
$B/python -m pytest -q -p no:cacheprovider -n "$WORKERS" --dist worksteal tests "$@"
