"""Bring up a small chibo deployment on 127.0.0.1 for tests, the benchmark and the load test.

PostgreSQL (an existing server: a database of our own is created and dropped), Redis (a
private redis-server on a free port, no persistence), N gunicorn app servers and a worker,
all with the same environment, as on several machines. Every process started here is
stopped here, by its own pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

BASE = Path(__file__).resolve().parents[2]
PG = os.environ.get("CHIBO_STACK_PG", "postgres://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def stack_tests_enabled() -> tuple[bool, str]:
    """Process-level tests (gunicorn, workers) run in the PostgreSQL pass of the suite only."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return False, "kiểm thử nhiều tiến trình: chỉ chạy trong lượt PostgreSQL (DATABASE_URL=postgres://…)"
    if not pg_available():
        return False, "PostgreSQL không chạy trên 127.0.0.1:5432"
    return True, ""


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return
        except requests.RequestException as exc:
            last = exc
            time.sleep(0.2)
    raise TimeoutError(f"{url} không trả lời sau {timeout:.0f} s: {last}")


@dataclass
class Stack:
    root: Path
    db_name: str
    servers: int = 2
    gunicorn_workers: int = 2
    gunicorn_threads: int = 1
    tasks: str = "rq"  # rq (Redis worker) or database (manage.py worker)
    redis: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    sqlite: bool = False  # an SQLite file under root instead of a PostgreSQL database
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    redis_port: int = 0

    @property
    def database_url(self) -> str:
        if self.sqlite:
            return f"sqlite:///{self.root / (self.db_name + '.sqlite3')}"
        return f"{PG}/{self.db_name}"

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHIBO_", "DATABASE_"))}
        env = {
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "CHIBO_VAR_DIR": str(self.root / "var"),
            "CHIBO_MEDIA_ROOT": str(self.root / "media"),  # shared: stands for object storage
            "CHIBO_SECRET_KEY": "stack-secret-key-for-tests-only-0123456789abcdef",
            "CHIBO_FIELD_KEY": "stack-field-key-for-tests-only-0123456789",
            "CHIBO_HTTPS": "0",
            "CHIBO_2FA_REQUIRED": "0",
            "CHIBO_TASKS": self.tasks,
            "CHIBO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CHIBO_LOGIN_FAILURE_LIMIT": "1000",
            "HF_HUB_OFFLINE": "1",
        }
        if self.redis:
            env["CHIBO_REDIS_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE, env=self.env(), capture_output=True, text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stderr[-3000:]}")
        return result

    # -- lifecycle ---------------------------------------------------------------------------
    def create_database(self) -> None:
        if self.sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.root / self.db_name}.sqlite3{suffix}").unlink(missing_ok=True)
            return
        _pg_exec(f'DROP DATABASE IF EXISTS "{self.db_name}"')
        _pg_exec(f'CREATE DATABASE "{self.db_name}"')

    def drop_database(self) -> None:
        if self.sqlite:
            return
        with contextlib.suppress(Exception):
            _pg_exec(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def start_redis(self) -> None:
        self.redis_port = free_port()
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("Không có redis-server.")
        self._spawn("redis", [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(self.root)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.redis_port), timeout=1):
                return
            time.sleep(0.1)
        raise TimeoutError("redis-server không khởi động.")

    def start_server(self, index: int) -> None:
        port = free_port()
        self.ports.append(port)
        self._spawn(f"web{index}", [
            sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(self.gunicorn_workers), "--threads", str(self.gunicorn_threads),
            "--timeout", "60", "--graceful-timeout", "5", "--access-logfile", "-",
        ])

    def start_worker(self, name: str = "worker") -> subprocess.Popen[bytes]:
        if self.tasks == "rq":
            cmd = [sys.executable, "manage.py", "rq_worker", "--name", f"{name}-{time.monotonic_ns()}"]
        else:
            cmd = [sys.executable, "manage.py", "worker", "--no-startup-delay", "--interval", "0.2", "--no-reload"]
        return self._spawn(name, cmd)

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("ab")
        proc = subprocess.Popen(cmd, cwd=BASE, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the group of this one process we started (gunicorn + its workers)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


@contextlib.contextmanager
def running(root: Path, db_name: str, *, servers: int = 2, worker: bool = True, gen: list[str] | None = None,
            keep_db: bool = False, **kwargs: object) -> Iterator[Stack]:
    """Database (migrated, optionally `gen_province GEN...`), Redis, SERVERS gunicorns, a worker."""
    stack = Stack(root=root, db_name=db_name, servers=servers, **kwargs)  # type: ignore[arg-type]
    root.mkdir(parents=True, exist_ok=True)
    stack.create_database()
    try:
        if stack.redis:
            stack.start_redis()
        stack.manage("migrate", "--noinput", "-v0")
        if gen:
            stack.manage("gen_province", "--force", *gen)
        for i in range(servers):
            stack.start_server(i)
        if worker:
            stack.start_worker()
        for url in stack.urls:
            wait_http(f"{url}/tai-khoan/dang-nhap/")
        yield stack
    finally:
        stack.stop_all()
        if not keep_db:
            stack.drop_database()
