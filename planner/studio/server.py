"""``planner studio``: start the local server, print its address, open the browser.

The server binds 127.0.0.1 on a free port (or ``--port``), makes a random token for the
address, and serves until Ctrl-C. Nothing leaves the machine: the page, Leaflet and the
layers come from the planner itself. :func:`start_background` runs the same server in a
thread (tests, benchmarks, notebooks).
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
import webbrowser
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from planner._beside import Terminated
from planner.studio.app import create_app
from planner.studio.engine import Engine
from planner.studio.kit_desk import release_memory
from planner.studio.session import Session


def _socket(port: int | None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    sock.listen(64)
    return sock


@dataclass
class Running:
    """A studio server running in a thread."""

    url: str
    token: str
    port: int
    session: Session
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _server(workspace: str | Path | None, port: int | None
            ) -> tuple[uvicorn.Server, socket.socket, Session, str, str]:
    session = Session(Engine(workspace))
    session.state()  # the first figures before the first page
    release_memory(collect=True)  # what reading the workspace needed and no longer holds
    sock = _socket(port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    app = create_app(session, token=token, port=port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config), sock, session, token, f"http://127.0.0.1:{port}/?token={token}"


def start_background(workspace: str | Path | None = None, *, port: int | None = None
                     ) -> Running:
    """Start a studio in a thread and return once it answers."""
    server, sock, session, token, url = _server(workspace, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return Running(url, token, sock.getsockname()[1], session, server, thread)


def serve(workspace: str | Path | None = None, *, port: int | None = None,
          open_browser: bool = True, echo=print) -> int:
    """``planner studio``: serve until Ctrl-C (exit status 0)."""
    echo("规划工作台启动中：读入工作区、道路和水域 ……")
    server, sock, session, _token, url = _server(workspace, port)
    echo(f"规划工作台（{session.engine.settings.name}）：{url}")
    echo("只在本机可用；按 Ctrl-C 停止。/ local only; Ctrl-C stops it.")
    if open_browser:
        threading.Timer(0.5, lambda: webbrowser.open(url)).start()
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, Terminated):
        pass  # Ctrl-C or kill: the server has shut down; scenarios were saved when saved
    finally:
        for job in session.jobs.values():
            job.cancel()
    echo("规划工作台已停止。/ stopped.")
    return 0
