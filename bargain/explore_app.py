"""The explorer's web app and server: an :class:`~bargain.explore.Explorer` over HTTP.

:func:`make_app` wraps an explorer in a small Starlette app: ``GET /`` serves
the page of :mod:`bargain.explore_page` and JSON endpoints call the explorer's
handlers (``controls``, ``quick``, ``full``, ``save``, ``figures_zip``).
:func:`serve` runs the app with uvicorn on ``127.0.0.1`` until Ctrl-C (this is
``bargain explore``, wired in :mod:`bargain.explore_cli`); :func:`start_server`
runs it in a background thread and returns a :class:`RunningServer` (for tests
and notebooks).

Only the explorer's own page is answered (host ``127.0.0.1`` or ``localhost``,
no other origin); a full update that a newer edit from the same page has
overtaken is dropped; errors come back as JSON, never as a traceback. Starlette
and uvicorn (the ``explore`` extra) are imported only when an app is made or
served, so ``import bargain.explore_app`` works without them.

See Also
--------
bargain.explore : :class:`~bargain.explore.Explorer`, which does the work.
bargain.explore_page : the page the app serves.

Examples
--------
>>> from bargain.explore import Explorer
>>> from bargain.explore_app import make_app
>>> app = make_app(Explorer("scenarios/textbook/unit_pie.toml"))  # needs the explore extra
>>> [route.path for route in app.routes]
['/', '/api/controls', '/api/quick', '/api/full', '/api/save', '/api/figures']
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

from .errors import BargainError, ScenarioError
from .explore import Explorer
from .explore_page import PAGE
from .result import _jsonable

__all__ = ["RunningServer", "make_app", "serve", "start_server"]

log = logging.getLogger("bargain.explore")  # one logger for the whole explorer


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ScenarioError):
        return {
            "message": exc.message,
            "key": exc.key,
            "problem": exc.problem,
            "fix": exc.fix,
        }
    return {"message": str(exc) or type(exc).__name__, "key": "", "problem": str(exc), "fix": ""}


#: Largest request body read, in bytes.
MAX_BODY = 1_000_000
#: Longest a quick update or a save may take, and a full update or the figures, in seconds.
QUICK_SECONDS = 30.0
FULL_SECONDS = 300.0


def make_app(explorer: Explorer, token: str | None = None) -> Any:
    """The Starlette app: the page and its JSON endpoints.

    Every request needs the session's ``token`` (random unless given): ``GET /``
    as ``?token=...`` (the URL :func:`serve` prints), the API in the header
    ``X-Bargain-Token``; a POST also needs a same-origin ``Origin`` (or
    ``Sec-Fetch-Site: same-origin``) header. Bodies over :data:`MAX_BODY` bytes
    are refused (413); an update that takes too long is answered with 503.

    ``GET /`` the page; ``GET /api/controls``; ``POST /api/quick``,
    ``/api/full``, ``/api/save`` and ``/api/figures`` (a zip), each with the
    JSON body ``{"values": {...}, "formulas": {...}}`` (and ``"path"``,
    ``"overwrite"`` for save). Errors come back as ``{"ok": false, "error":
    {...}}`` with status 400 (bad input) or 500, never as a traceback.
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    token = token or secrets.token_urlsafe(24)
    latest: dict[str, int] = {}  # each page's newest edit, by the page's random id

    def reply(data: Any, status: int = 200) -> JSONResponse:
        body = json.dumps(_jsonable(data), allow_nan=False)
        return JSONResponse(json.loads(body), status_code=status)

    async def state(request: Request) -> dict[str, Any]:
        raw = bytearray()
        async for part in request.stream():
            raw += part
            if len(raw) > MAX_BODY:
                raise _TooLarge(f"the request is larger than {MAX_BODY:,} bytes")
        try:
            body = json.loads(bytes(raw) or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BargainError(f"the request is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise BargainError("the request must be a JSON object")
        for key in ("values", "formulas"):
            if not isinstance(body.get(key, {}), dict):
                raise BargainError(f"'{key}' must be a JSON object")
        return body

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            if not _same_origin(request.headers):  # another site's page, or DNS rebinding
                return reply({"ok": False, "error": _error(BargainError("forbidden"))}, 403)
            if not _allowed(request, token):  # another local process or user
                return reply({"ok": False, "error": _error(BargainError("forbidden"))}, 403)
            try:
                return await handler(request)
            except _TooLarge as exc:
                return reply({"ok": False, "error": _error(exc)}, 413)
            except TimeoutError:
                error = BargainError("the update took too long; simplify the formulas")
                return reply({"ok": False, "error": _error(error)}, 503)
            except BargainError as exc:
                return reply({"ok": False, "error": _error(exc)}, 400)
            except Exception as exc:  # noqa: BLE001 -- the page must never break
                log.error(
                    "bargain explore: %s failed: %s: %s", request.url.path, type(exc).__name__, exc
                )
                return reply({"ok": False, "error": _error(exc)}, 500)

        return endpoint

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE.replace("__BARGAIN_TOKEN__", token))

    async def controls(request: Request) -> Response:
        return reply({"ok": True, **explorer.controls()})

    async def quick(request: Request) -> Response:
        body = await state(request)
        client = str(body.get("client", ""))[:64]
        latest[client] = max(latest.get(client, 0), _seq(body))
        while len(latest) > 256:  # one entry per open page; forget the oldest
            latest.pop(next(iter(latest)))
        result = await _in_thread(
            explorer.quick, body.get("values"), body.get("formulas"), limit=QUICK_SECONDS
        )
        return reply({"ok": True, **result})

    async def full(request: Request) -> Response:
        body = await state(request)
        client, seq = str(body.get("client", ""))[:64], _seq(body)

        def stale() -> bool:  # a newer edit from the same page has arrived
            return seq < latest.get(client, 0)

        if stale():
            return reply({"ok": True, "stale": True})
        result = await _in_thread(
            lambda: explorer.full(body.get("values"), body.get("formulas"), stale=stale),
            limit=FULL_SECONDS,
        )
        return reply({"ok": True, **result})

    async def save(request: Request) -> Response:
        body = await state(request)
        result = await _in_thread(
            lambda: explorer.save(
                str(body.get("path") or ""),
                body.get("values"),
                body.get("formulas"),
                overwrite=body.get("overwrite", False),  # a JSON boolean: checked by save
                folder_only=True,
            ),
            limit=QUICK_SECONDS,
        )
        return reply({"ok": True, **result})

    async def figures(request: Request) -> Response:
        body = await state(request)
        data = await _in_thread(
            explorer.figures_zip, body.get("values"), body.get("formulas"), limit=FULL_SECONDS
        )
        name = f"{explorer.path.stem}_figures.zip"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type="application/zip", headers=headers)

    routes = [
        Route("/", guarded(page)),
        Route("/api/controls", guarded(controls)),
        Route("/api/quick", guarded(quick), methods=["POST"]),
        Route("/api/full", guarded(full), methods=["POST"]),
        Route("/api/save", guarded(save), methods=["POST"]),
        Route("/api/figures", guarded(figures), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.token = token
    return app


class _TooLarge(BargainError):
    """A request body over :data:`MAX_BODY` bytes."""


def _allowed(request: Any, token: str) -> bool:
    """The session's token (query on the page, header on the API); same origin for POST."""
    given = request.headers.get("x-bargain-token") or request.query_params.get("token", "")
    if not secrets.compare_digest(given.encode(), token.encode()):
        return False
    if request.method == "POST":
        host = request.headers.get("host", "")
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site")
        return origin == f"http://{host}" or (origin is None and site == "same-origin")
    return True


def _same_origin(headers: Mapping[str, str]) -> bool:
    """Whether a request comes from the explorer's own page on 127.0.0.1 or localhost."""
    host = headers.get("host", "")
    if host.rpartition(":")[0] not in ("127.0.0.1", "localhost"):
        return False
    origin = headers.get("origin")
    return origin is None or origin == f"http://{host}"


def _seq(body: Mapping[str, Any]) -> int:
    """The page's edit counter (newer edits have larger numbers); 0 if absent or bad."""
    seq = body.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0


async def _in_thread(func: Any, *args: Any, limit: float | None = None) -> Any:
    """``func(*args)`` in a worker thread; TimeoutError after ``limit`` seconds (the
    thread finishes its work, but nobody waits for it)."""
    import asyncio

    from starlette.concurrency import run_in_threadpool

    return await asyncio.wait_for(run_in_threadpool(func, *args), timeout=limit)


class RunningServer:
    """A server started by :func:`start_server`: its ``url`` (the base), the session's
    ``token``, ``page_url`` (the page with the token) and :meth:`stop`."""

    def __init__(self, server: Any, thread: threading.Thread, url: str, token: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url
        self.token = token
        self.page_url = f"{url}?token={token}"

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise BargainError(f"the explorer server did not stop within {timeout} s")


def _server(explorer: Explorer, port: int) -> tuple[Any, Any, str, str]:
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise BargainError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})") from None
    token = secrets.token_urlsafe(24)
    config = uvicorn.Config(
        make_app(explorer, token),
        log_level="warning",
        access_log=False,
        lifespan="off",
        limit_concurrency=64,
    )
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    return uvicorn.Server(config), sock, url, token


def start_server(explorer: Explorer, *, port: int = 0, timeout: float = 10.0) -> RunningServer:
    """Run the explorer on ``127.0.0.1`` in a background thread (for tests and notebooks)."""
    server, sock, url, token = _server(explorer, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise BargainError("the explorer server did not start")
        time.sleep(0.02)
    return RunningServer(server, thread, url, token)


def serve(explorer: Explorer, *, port: int = 0, open_browser: bool = True) -> int:
    """Serve the explorer on ``127.0.0.1`` until Ctrl-C; returns the exit status."""
    server, sock, url, token = _server(explorer, port)
    url = f"{url}?token={token}"  # only who has this URL drives the explorer
    print(f"bargain explore: {explorer.path} at {url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("bargain explore: stopped", flush=True)
    return 0
