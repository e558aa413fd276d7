import os, socket, warnings
import pytest
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')

@pytest.fixture
def free_port()->int:
    "A local port nothing listens on, for a torchrun that must not meet another one (tests run two at a time)"
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]
