"""Operations tasks (also used by the worker failure and multi-machine tests)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.tasks import task


@task
def probe(path: str, token: str, seconds: float = 0.0) -> str:
    """Wait SECONDS, then record TOKEN in the file PATH once (idempotent: a rerun adds nothing).

    The worker failure test kills the worker during the wait and checks that after a restart
    the token is recorded exactly once. `manage.py ops_check` uses it to prove a worker runs.
    """
    time.sleep(seconds)
    target = Path(path)
    lines = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
    if token not in lines:
        with target.open("a", encoding="utf-8") as fh:
            fh.write(f"{token}\n")
            fh.flush()
            os.fsync(fh.fileno())
    return f"{token}@{os.getpid()}"
