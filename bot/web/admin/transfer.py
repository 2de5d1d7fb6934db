"""Import and export from the console, on top of `bot.directory.transfer`.

An upload is first *previewed*: imported inside a transaction that is rolled back, so
staff see what would change (or every validation error) before anything is written.
"Apply" imports the same file again for real, through the audited session.
"""

from __future__ import annotations

import io
import re
import secrets
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqladmin import expose
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.directory.transfer import (
    Result,
    TransferError,
    dumps_json,
    export_csv,
    export_json,
    import_file,
)
from bot.web.admin.auth import has_role
from bot.web.admin.pages import ConsolePage

UPLOADS = Path(tempfile.gettempdir()) / "dalil-imports"
TOKEN = re.compile(r"[0-9a-f]{32}")
SUFFIXES = {".json": "json", ".zip": "csv", ".csv": "csv"}
MAX_BYTES = 20 * 1024 * 1024


def _upload_path(token: str) -> Path | None:
    if not TOKEN.fullmatch(token):
        return None
    for path in UPLOADS.glob(f"{token}.*"):
        return path
    return None


class TransferView(ConsolePage):
    name = "Import / export"
    icon = "fa-solid fa-right-left"

    def _import(self, path: Path, *, apply: bool) -> tuple[Result | None, list[str]]:
        with self.session_maker() as session:
            try:
                result = import_file(session, path, fmt=SUFFIXES[path.suffix.lower()])
            except TransferError as exc:
                session.rollback()
                return None, exc.errors
            if apply:
                session.commit()
            else:
                session.rollback()
            return result, []

    async def _page(self, request: Request, **extra: Any) -> Response:
        context = {
            "title": "Import / export",
            "subtitle": "HSDS JSON and HSDS tabular CSV (.zip)",
            "can_import": has_role(request, "admin", "editor"),
            **extra,
        }
        status = 400 if extra.get("errors") else 200
        return await self.templates.TemplateResponse(
            request, "dalil/transfer.html", context, status_code=status
        )

    @expose("/transfer", methods=["GET"], identity="transfer")
    async def transfer(self, request: Request) -> Response:
        return await self._page(request)

    @expose("/transfer/download/{fmt}", methods=["GET"], identity="transfer-download")
    async def export(self, request: Request) -> Response:
        fmt = request.path_params["fmt"]
        with self.session_maker() as session:
            if fmt == "json":
                body = dumps_json(export_json(session)).encode()
                return Response(
                    body,
                    media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="dalil-hsds.json"'},
                )
            if fmt == "csv":
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                    for name, text in export_csv(session).items():
                        archive.writestr(name, text.encode("utf-8"))
                return Response(
                    buffer.getvalue(),
                    media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="dalil-hsds-csv.zip"'},
                )
        return Response("Unknown format.", status_code=404)

    @expose("/transfer/preview", methods=["POST"], identity="transfer-preview")
    async def preview(self, request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await self._page(request, errors=["Choose a file to import."])
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUFFIXES:
            return await self._page(
                request, errors=["The file must be HSDS JSON (.json) or CSV (.zip or .csv)."]
            )
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            return await self._page(request, errors=["The file is larger than 20 MB."])
        UPLOADS.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        path = UPLOADS / f"{token}{suffix}"
        path.write_bytes(data)
        result, errors = self._import(path, apply=False)
        if errors:
            path.unlink(missing_ok=True)
            return await self._page(request, errors=errors, filename=upload.filename)
        assert result is not None
        return await self._page(
            request,
            preview=result.summary(),
            warnings=result.warnings,
            token=token,
            filename=upload.filename,
        )

    @expose("/transfer/apply", methods=["POST"], identity="transfer-apply")
    async def apply(self, request: Request) -> Response:
        form = await request.form()
        path = _upload_path(str(form.get("token", "")))
        if path is None:
            return await self._page(request, errors=["The preview expired: upload the file again."])
        try:
            result, errors = self._import(path, apply=True)
        finally:
            path.unlink(missing_ok=True)
        if errors:
            return await self._page(request, errors=errors)
        assert result is not None
        return await self._page(request, applied=result.summary(), warnings=result.warnings)

    @expose("/transfer/cancel", methods=["POST"], identity="transfer-cancel")
    async def cancel(self, request: Request) -> Response:
        form = await request.form()
        path = _upload_path(str(form.get("token", "")))
        if path is not None:
            path.unlink(missing_ok=True)
        return RedirectResponse(request.url_for("admin:transfer"), status_code=303)
