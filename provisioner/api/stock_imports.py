"""POST /api/v1/stock-imports: receive stock from a CSV body, all rows or none (inventory/stock_import.py)."""

from __future__ import annotations

from inventory.stock_import import ImportResult, StockFileError
from provisioner.api.base import ApiError, BaseHandler
from provisioner.stock_intake import FILE_NAME, FILE_NAME_EXPECTED, receive_stock

#: Media types a CSV body may be sent as.
CSV_TYPES = ("text/csv", "application/csv")


class StockImportHandler(BaseHandler):
    """POST: the CSV body checked row by row; written when every row is good and ?dry_run is not true."""

    roles = ("warehouse",)
    route = "/api/v1/stock-imports"

    async def post(self) -> None:
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind not in CSV_TYPES:
            raise ApiError(415, f"send the CSV file with 'Content-Type: text/csv', not {kind or 'no type'!r}")
        problems: dict[str, str] = {}
        dry_run = self.get_query_argument("dry_run", "false").lower()
        if dry_run not in ("true", "false"):
            problems["dry_run"] = "expected true or false"
        file_name = self.get_query_argument("filename", "upload.csv")
        if not FILE_NAME.match(file_name):
            problems["filename"] = FILE_NAME_EXPECTED
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        data, box, actor = self.request.body, self.services.box, self.actor
        try:
            # Thousands of rows take seconds: off the IOLoop, which keeps serving phones meanwhile.
            result = await self.off_loop(lambda: receive_stock(data, file_name, actor, box, dry_run=dry_run == "true"))
        except StockFileError as exc:
            raise ApiError(422, f"the file cannot be imported: {exc}", details={"rows": []}) from None
        if result.problems:
            bad = len({problem.line for problem in result.problems})
            raise ApiError(422, f"{bad} of {result.rows} row(s) are not valid; nothing was imported",
                           details={"rows": _rows(result)})
        self.send({"rows": result.rows, "imported": result.imported, "already_imported": result.already_imported,
                   "dry_run": result.dry_run})


def _rows(result: ImportResult) -> list[dict[str, object]]:
    return [{"line": p.line, "field": p.field, "problem": p.problem} for p in result.problems]
