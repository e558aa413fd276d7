import os, socket, warnings
import pytest
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')

@pytest.fixture
def free_port()->int:
    "A local port nothing listens on, for a torchrun that must not meet another one (tests run two at a time)"
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

# The longest tests (minutes each), first: tools/test.sh runs the suite on two workers, and one of these started last
# would run alone at the end (tests/test_docs.py, which executes every notebook, started 12 minutes in otherwise)
LONGEST = ('tests/test_docs.py', 'tests/test_learning.py::test_minilm_lora', 'tests/test_readme.py::test_shell_commands')

def pytest_collection_modifyitems(items):
    items.sort(key=lambda it: next((i for i, k in enumerate(LONGEST) if it.nodeid.startswith(k)), len(LONGEST)))
