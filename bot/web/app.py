"""FastAPI web app. For now: a health page that checks every part of the stack."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot import db
from bot.settings import get_settings
from bot.web.hsds_api import router as hsds_router

app = FastAPI(title="Dalil", docs_url=None, redoc_url=None)
app.include_router(hsds_router)


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
