"""FastAPI web app: health page, HSDS API, the web chat widget and its demo page at `/`."""

from __future__ import annotations

import html
import re
from string import Template

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from bot import db
from bot.conversations import erase_conversation
from bot.settings import ROOT, get_settings
from bot.web.admin.console import mount_console
from bot.web.hsds_api import router as hsds_router

app = FastAPI(title="Dalil", docs_url=None, redoc_url=None)
app.include_router(hsds_router)
mount_console(app)  # the staff console at /admin (issue 7)
# The web widget (bot/web/static/dalil.js, built by bot/web/widget/build.py), gzipped.
app.add_middleware(GZipMiddleware, minimum_size=500)
app.mount("/static", StaticFiles(directory=ROOT / "bot" / "web" / "static"), name="static")


async def _reachable(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


@app.get("/health")
async def health() -> JSONResponse:
    """200 when the database, Rasa and the action server all answer; 503 otherwise."""
    settings = get_settings()
    try:
        database = db.ping()
    except Exception:  # noqa: BLE001 - any failure means "down", reported as such
        database = False
    checks = {
        "database": database,
        "rasa": await _reachable(f"{settings.rasa_url}/"),
        "actions": await _reachable(f"http://127.0.0.1:{settings.actions_port}/health"),
    }
    status = "ok" if all(checks.values()) else "degraded"
    return JSONResponse(
        {"status": status, "checks": checks}, status_code=200 if status == "ok" else 503
    )


DEMO = Template((ROOT / "bot" / "web" / "widget" / "demo.html").read_text(encoding="utf-8"))
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,128}")


def widget_server_url(request: Request) -> str:
    """Rasa's address as the browser sees it: WIDGET_SERVER_URL, else this host's name."""
    settings = get_settings()
    if settings.widget_server_url:
        return settings.widget_server_url.rstrip("/")
    host = request.url.hostname or settings.rasa_host
    host = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{host}:{settings.rasa_port}"


@app.get("/", response_class=HTMLResponse)
async def demo(request: Request) -> HTMLResponse:
    """The widget's demo page: the one-tag embed, live."""
    src = str(request.url_for("static", path="dalil.js"))
    tag = (
        f'<script src="{html.escape(src)}" '
        f'data-server-url="{html.escape(widget_server_url(request))}" '
        'data-color="#0a58ca" defer></script>'
    )
    return HTMLResponse(DEMO.substitute(snippet=html.escape(tag), script=tag))


@app.post("/api/conversations/{session_id}/erase")
async def erase(session_id: str, request: Request) -> JSONResponse:
    """The widget's "erase my conversation": deletes the session's stored events.

    A POST without a body is a "simple" cross-origin request (no preflight), so the
    widget can call it from any site allowed by RASA_CORS.
    """
    if not SESSION_ID.fullmatch(session_id):
        raise HTTPException(status_code=404)
    erased = await run_in_threadpool(erase_conversation, session_id)
    allowed = get_settings().rasa_cors.replace(",", " ").split()
    origin = request.headers.get("origin", "")
    headers = {"Vary": "Origin"}
    if "*" in allowed:
        headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        headers["Access-Control-Allow-Origin"] = origin
    return JSONResponse({"erased": erased}, headers=headers)
