"""Receiving a stock file, as POST /api/v1/stock-imports and the staff import page both do: the import of
inventory/stock_import.py, with each new item's secrets made by the provisioning side.
"""

from __future__ import annotations

import re

from inventory.events import Actor
from inventory.secret_box import SecretBox
from inventory.stock_import import ImportResult, import_stock, source_of
from provisioner.provisioning.device_secrets import issue_secrets

#: The names a stock file may be given (the event log keeps it in the import's source).
FILE_NAME = re.compile(r"^[\w .()-]{1,100}$")
FILE_NAME_EXPECTED = "expected 1 to 100 letters, digits, spaces, dots, dashes or brackets"


def receive_stock(data: bytes, file_name: str, actor: Actor, box: SecretBox, dry_run: bool = False) -> ImportResult:
    """Check every row of the CSV `data`, then write the new items unless a row is bad or it is a dry run.

    StockFileError when the file as a whole cannot be read. Takes seconds for thousands of rows: call it off the
    event loop."""
    return import_stock(data, source_of(file_name, data), actor, lambda item: issue_secrets(item, box),
                        dry_run=dry_run)
