"""The warehouse's stock import page: a CSV file uploaded, checked row by row (a dry run of the API's import,
provisioner/stock_intake.py), the report shown, then imported when the clerk confirms.

No JavaScript and nothing kept on the server between the two steps: the checked file comes back with the
confirmation in a hidden field (base64, so its bytes and its digest in the event log stay the same), and the
import checks every row again before writing. The body is read as a stream so that a file over the size cap
gets a message instead of a closed connection.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import tornado.httputil
import tornado.web

from inventory.stock_csv import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, StockFileError, read_rows
from inventory.stock_import import ImportResult
from provisioner.stock_intake import FILE_NAME, receive_stock
from provisioner.web.navigation import WAREHOUSE_ROLES
from provisioner.web.page_handler import PageHandler
from provisioner.web.warehouse import stock_report

#: Past this size a request is cut off without an answer; up to it, a file too big gets a message.
MAX_REQUEST_BYTES = 64 * 1024 * 1024
#: Room in a request for the form around the file (its boundaries, token, names), and base64's growth.
FORM_ROOM = 64 * 1024
TEMPLATE = ",".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)) + "\r\n"


def max_file_bytes() -> int:
    """The largest stock file: the API's, whose CSV body the server caps (provisioner/app.py)."""
    from provisioner.app import MAX_BODY_BYTES  # at call time: the application imports this module

    return MAX_BODY_BYTES


def file_name_of(given: str) -> str:
    """The name the event log keeps for an uploaded file: its base name, with what the API refuses replaced."""
    name = re.sub(r"[^\w .()-]", "_", given.replace("\\", "/").rsplit("/", 1)[-1])[-100:].strip()
    return name if FILE_NAME.match(name) else "upload.csv"


@tornado.web.stream_request_body
class StockImportPage(PageHandler):
    """GET: the upload form. POST (multipart): action=check, the file checked (nothing written) and its report;
    action=import, the checked file (carried back) imported."""

    roles = WAREHOUSE_ROLES
    route = "/staff/warehouse/import"

    def initialize(self, services: Any) -> None:  # type: ignore[override]
        super().initialize(services)
        self.chunks: list[bytes] = []
        self.received = 0
        self.body_read = False

    def prepare(self) -> None:
        super().prepare()
        if self.request.method == "POST" and not self._finished:
            self.request.connection.set_max_body_size(MAX_REQUEST_BYTES)

    def data_received(self, chunk: bytes) -> None:
        self.received += len(chunk)
        # Past the cap the rest is read and dropped: the answer says the file is too big.
        if self.received > self.body_cap:
            self.chunks.clear()
        else:
            self.chunks.append(chunk)

    @property
    def body_cap(self) -> int:
        return max_file_bytes() * 4 // 3 + FORM_ROOM

    def check_xsrf_cookie(self) -> None:
        # The token is in the body, which arrives after Tornado's own check: post() checks it once read.
        if self.body_read:
            super().check_xsrf_cookie()

    def get(self) -> None:
        self.show()

    async def post(self) -> None:
        self.body_read = True
        too_big = self.received > self.body_cap
        if not too_big:
            self.request.body = b"".join(self.chunks)
            self.request.body_arguments, self.request.files = {}, {}
            tornado.httputil.parse_body_arguments(self.request.headers.get("Content-Type", ""), self.request.body,
                                                  self.request.body_arguments, self.request.files,
                                                  self.request.headers)
            for name, values in self.request.body_arguments.items():
                self.request.arguments.setdefault(name, []).extend(values)
            self.check_xsrf_cookie()
        if too_big:  # nothing can be read of it, not even its token; nothing is written either way
            self.show(error=self.t("import.too_big", max=self.size_text()), status=413)
            return
        if self.get_body_argument("action", "check") == "import":
            await self.run_import()
        else:
            await self.check()

    async def check(self) -> None:
        """Check the uploaded file (a dry run) and show its report."""
        upload = (self.request.files.get("file") or [None])[0]
        if upload is None or not upload.filename:
            self.show(error=self.t("import.no_file"), status=400)
            return
        data, name = upload.body, file_name_of(upload.filename)
        if len(data) > max_file_bytes():
            self.show(error=self.t("import.too_big", max=self.size_text()), status=413)
            return
        await self.run(data, name, dry_run=True)

    async def run_import(self) -> None:
        """Import the file the report was shown for, carried back in the form."""
        try:
            data = base64.b64decode(self.get_body_argument("data", ""), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if not data or len(data) > max_file_bytes():
            self.show(error=self.t("import.lost"), status=400)
            return
        await self.run(data, file_name_of(self.get_body_argument("name", "upload.csv")), dry_run=False)

    async def run(self, data: bytes, name: str, dry_run: bool) -> None:
        """Run the API's import on `data` (off the event loop) and show what it found or did."""
        actor, box = self.actor, self.services.box

        def import_and_report() -> tuple[ImportResult, list[stock_report.ReportRow]]:
            # The report's rows are read here too: parsing a big file would hold the event loop up.
            result = receive_stock(data, name, actor, box, dry_run=dry_run)
            return result, stock_report.report_rows(read_rows(data), result.problems)

        try:
            result, rows = await self.off_loop(import_and_report)
        except StockFileError as exc:
            self.show(error=stock_report.file_problem(self.t, str(exc), ", ".join(REQUIRED_COLUMNS),
                                                      ", ".join(OPTIONAL_COLUMNS)), status=422)
            return
        self.show(report=rows, result=result, name=name, status=422 if result.problems else 200,
                  data=base64.b64encode(data).decode("ascii") if dry_run and not result.problems else "")

    def show(self, error: str | None = None, status: int = 200, report: list[stock_report.ReportRow] | None = None,
             result: ImportResult | None = None, name: str = "", data: str = "") -> None:
        self.render_page("stock_import.html", status=status, error=error, report=report, result=result, name=name,
                         data=data, required=", ".join(REQUIRED_COLUMNS), optional=", ".join(OPTIONAL_COLUMNS),
                         max_size=self.size_text(), problem=lambda field, text: stock_report.row_problem(
                             self.t, field, text))

    def size_text(self) -> str:
        size = max_file_bytes()
        return f"{size // (1024 * 1024)} Mio" if self.t.language == "fr" else f"{size // (1024 * 1024)} MiB"


class StockTemplatePage(PageHandler):
    """GET: a stock file holding only the header line the importer expects, to fill in a spreadsheet."""

    roles = WAREHOUSE_ROLES
    route = "/staff/warehouse/import/template.csv"

    def get(self) -> None:
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="stock-template.csv"')
        self.finish(TEMPLATE.encode("utf-8"))
