"""The HTTP front end for firmware: GET or HEAD /firmware/<filename>, the image stored under that name.

Firmware is the vendors' public software, so any device may fetch it, with ranges and an ETag (its SHA-256);
but nothing lists the images, and a name we do not serve gets exactly the missing-file answer of the
configuration files.
"""

from __future__ import annotations

import logging
import os

import tornado.web

from inventory.firmware import FirmwareImage, is_safe_filename
from provisioner.firmware_store import firmware_folder
from provisioner.logs import request_id_var
from provisioner.provisioning.http_files import MISSING_BODY
from provisioner.services import Services


class FirmwareFileHandler(tornado.web.StaticFileHandler):
    """Serves a stored image by the file name phones ask for; the store names it by its digest."""

    route = "firmware file"
    success_log_level = logging.DEBUG

    def initialize(self, services: Services) -> None:  # type: ignore[override]
        request_id_var.set("")
        super().initialize(path=str(firmware_folder(services.settings.data_path)))

    def set_default_headers(self) -> None:
        self.clear_header("Server")  # as the configuration files' answers (http_files.py): no server's name

    def parse_url_path(self, url_path: str) -> str:
        """The stored file (the image's SHA-256) for the name asked for; 404 for any other name."""
        if not is_safe_filename(url_path):
            raise tornado.web.HTTPError(404)
        found = FirmwareImage._get_collection().find_one({"filename": url_path}, {"sha256": 1})
        if found is None:
            raise tornado.web.HTTPError(404)
        return found["sha256"]

    @classmethod
    def get_content_version(cls, abspath: str) -> str:
        # Content-addressed: the file's name is its SHA-256, so the ETag costs no read of a 300 MB file.
        return os.path.basename(abspath)

    def get_content_type(self) -> str:
        return "application/octet-stream"

    def set_extra_headers(self, path: str) -> None:
        # The name may later serve other bytes (an image replaced): caches must ask again, with the ETag.
        self.set_header("Cache-Control", "no-cache")

    def write_error(self, status_code: int, **kwargs: object) -> None:
        # Whatever went wrong, the answer is the missing-file one of the configuration files, byte for byte.
        self.set_status(404)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(MISSING_BODY)
