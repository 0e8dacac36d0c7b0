"""The studio's web application (FastAPI): the page, its JSON API and the guards.

Guards, as Jupyter's: the server listens on 127.0.0.1 only; every request must name the
server itself in ``Host`` (``127.0.0.1:<port>`` or ``localhost:<port>``, against DNS
rebinding) and, when the browser sends an ``Origin``, come from the page itself; the page and
the API need the random token of the URL (``?token=`` once, then a same-site cookie or the
``X-Planner-Token`` header). A refused request gets 403 and a Chinese line; a bad edit 400;
an edit made on an older revision 409 with the current state; anything unexpected 500 with
one line, and the server keeps running.
"""

from __future__ import annotations

import hmac
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.background import BackgroundTask

from planner._errors import PlannerError
from planner._version import __version__
from planner.studio.base import base_layers
from planner.studio.session import Session, Stale
from planner.studio.sheets import annex_workbook

ASSETS = Path(__file__).parent / "_assets"
LEAFLET = Path(__file__).parent.parent / "report" / "_assets" / "leaflet"
COOKIE = "planner_token"
_ENV = Environment(loader=FileSystemLoader(ASSETS), autoescape=select_autoescape(["j2", "html"]))


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def create_app(session: Session, *, token: str, port: int) -> FastAPI:
    """The studio application for ``session``, answering only on ``port`` with ``token``."""
    app = FastAPI(title="planner studio", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = token
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    origins = {f"http://{h}" for h in hosts}

    def _token_ok(request: Request) -> bool:
        given = (request.headers.get("x-planner-token") or request.cookies.get(COOKIE)
                 or request.query_params.get("token") or "")
        return hmac.compare_digest(given.encode(), token.encode())

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.headers.get("host", "") not in hosts:
            return _error(403, "拒绝：请从本机地址 127.0.0.1 打开规划工作台 / wrong Host")
        origin = request.headers.get("origin")
        if origin is not None and origin not in origins:
            return _error(403, "拒绝：请求来自其他网页 / requests from another site are refused")
        if not request.url.path.startswith("/assets/") and not _token_ok(request):
            return _error(403, "拒绝：缺少或错误的访问令牌，请使用启动时显示的完整地址 / "
                               "missing or wrong token: open the full address printed at start")
        try:
            response = await call_next(request)
        except Exception as exc:  # a bug: one line here, the traceback in a log file
            return _error(500, f"内部错误（{type(exc).__name__}），服务仍在运行；详情见 "
                               f"{_log(exc)}，请发给维护人员 / internal error, the server "
                               "keeps running")
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(PlannerError)
    async def _bad(_request: Request, exc: PlannerError):
        return _error(400, str(exc))

    @app.exception_handler(Stale)
    async def _stale(_request: Request, exc: Stale):
        return _error(409, str(exc), state=session.state())

    _routes(app, session)
    return app


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise _BadRequest("请求内容不是 JSON / the request is not JSON") from None
    if not isinstance(data, dict):
        raise _BadRequest("请求内容应为一个对象 / the request must be an object")
    return data


class _BadRequest(PlannerError):
    """A request the page should never send."""


def _routes(app: FastAPI, session: Session) -> None:
    engine = session.engine

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        html = _ENV.get_template("studio.html.j2").render(
            title=engine.settings.name, version=__version__,
            token=_token_of(app))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/print", response_class=HTMLResponse)
    def printable(scenario: str = "") -> HTMLResponse:
        state = session.state() if not scenario else {
            "scenario": {"name": scenario}, "figures": session.figures_of(scenario)}
        html = _ENV.get_template("print.html.j2").render(
            title=engine.settings.name, version=__version__, token=_token_of(app),
            scenario=state["scenario"].get("name") or "当前方案（未保存）",
            figures_json=json.dumps(state["figures"], ensure_ascii=False))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/assets/leaflet/{name:path}")
    def leaflet(name: str) -> FileResponse:
        return _asset(LEAFLET, name)

    @app.get("/assets/studio/{name:path}")
    def studio_asset(name: str) -> FileResponse:
        return _asset(ASSETS, name)

    drawn: dict[str, Any] = {}

    @app.get("/api/base")
    def base() -> dict[str, Any]:
        if not drawn:  # the layers never change while the server runs
            drawn.update(base_layers(engine))
        return drawn

    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return session.state()

    @app.post("/api/edit")
    async def edit(request: Request) -> dict[str, Any]:
        return await _threaded(session.edit, await _body(request))

    @app.post("/api/suggest")
    async def suggest(request: Request) -> dict[str, Any]:
        return await _threaded(session.suggest, (await _body(request)).get("rev"))

    @app.get("/api/suggest/{job}")
    def suggest_state(job: str) -> Any:
        if job not in session.jobs:
            return _error(404, "没有这个建议任务 / no such suggestion")
        return session.jobs[job].poll()

    @app.delete("/api/suggest/{job}")
    def suggest_cancel(job: str) -> Any:
        if job not in session.jobs:
            return _error(404, "没有这个建议任务 / no such suggestion")
        session.jobs[job].cancel()
        return session.jobs[job].poll()

    @app.post("/api/suggest/{job}/apply")
    async def suggest_apply(job: str, request: Request) -> dict[str, Any]:
        return await _threaded(session.apply, job, (await _body(request)).get("rev"))

    @app.get("/api/next_best")
    def next_best(n: int = 5) -> dict[str, Any]:
        return session.next_best(max(1, min(int(n), 50)))

    @app.get("/api/scenarios")
    def scenarios() -> dict[str, Any]:
        return session.compare()

    @app.post("/api/scenarios")
    async def save(request: Request) -> dict[str, Any]:
        body = await _body(request)
        return await _threaded(session.save, body.get("name"), body.get("rev"))

    @app.post("/api/scenarios/{name}/load")
    async def load(name: str) -> dict[str, Any]:
        return await _threaded(session.load, name)

    @app.get("/api/scenarios/{name}/annex.xlsx")
    def annex(name: str) -> FileResponse:
        folder = Path(tempfile.mkdtemp(prefix="planner-studio-"))
        path = annex_workbook(session, name, folder=folder)
        return FileResponse(path, filename=path.name,
                            media_type="application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet",
                            background=BackgroundTask(_remove, folder))


async def _threaded(fn, *args):
    """Run a blocking call of the session off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _token_of(app: FastAPI) -> str:
    return app.state.token


def _asset(folder: Path, name: str) -> Response:
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file() \
            or path.suffix in (".j2", ".py"):
        return _error(404, "没有这个文件 / no such file")
    return FileResponse(path)


def _log(exc: BaseException) -> Path:
    """Append the traceback of ``exc`` to the studio's error log; print one line."""
    path = Path(tempfile.gettempdir()) / "planner-studio-errors.log"
    with path.open("a", encoding="utf-8") as f:
        f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        traceback.print_exception(exc, file=f)
    print(f"planner studio: 内部错误（{type(exc).__name__}），详情见 {path}", file=sys.stderr)
    return path


def _remove(folder: Path) -> None:
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()

