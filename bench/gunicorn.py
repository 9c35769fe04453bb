"""A real Doorstep server process on a free loopback port, for benchmarks and tests."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving ``create_app()`` on ``db_path``; its output goes to ``log``."""

    def __init__(self, db_path, log, *, workers: int = 1, secret: str = "k" * 32):
        self.db_path, self.log, self.workers, self.secret = db_path, Path(log), workers, secret
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> "Gunicorn":
        env = {
            **os.environ,
            "DOORSTEP_DATABASE": str(self.db_path),
            "DOORSTEP_SECRET_KEY": self.secret,
        }
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(GUNICORN),
                    "-c",
                    str(CONFIG),
                    "--workers",
                    str(self.workers),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "server.app:create_app()",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"gunicorn did not start: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: master and workers die mid-request."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
