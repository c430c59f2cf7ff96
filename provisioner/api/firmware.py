"""Firmware images in the API: list, read, pin or unpin, delete, and the streamed upload of a new image.

Images are created only by uploading their bytes (PUT /api/v1/firmware-uploads), streamed to disk and
checked against the SHA-256 the uploader gives, so a 300 MB image never sits in memory and a corrupted
one is never stored. The records are then served by the generic record handlers, without creation.
"""

from __future__ import annotations

import tornado.web

from inventory.catalogue import VENDORS
from inventory.firmware import FirmwareImage
from provisioner import firmware_images, firmware_store
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.fields import Field
from provisioner.api.records import CollectionHandler, ItemHandler, render
from provisioner.api.resources import ADMIN_ONLY, Resource, _common
from provisioner.firmware_images import new_image, record_upload, remove_image, store_for
from provisioner.firmware_store import ChecksumMismatch, FirmwareStoreError, PendingFile, TooLarge

FIRMWARE = Resource(
    "firmware", FirmwareImage, _common(
        Field("vendor", writable=False, filterable=True, sortable=True, choices=tuple(VENDORS)),
        Field("models", "string_list", filterable=True,
              description="Catalogue models of the vendor the image fits; at most one pinned image per model"),
        Field("firmware_version", writable=False, filterable=True, sortable=True, max_length=64,
              description="The vendor's version of the firmware"),
        Field("filename", writable=False, filterable=True, sortable=True, max_length=128,
              description="The name phones fetch it by: GET /firmware/<filename>"),
        Field("sha256", writable=False, filterable=True, max_length=64, description="SHA-256 of the bytes"),
        Field("size", "integer", writable=False, sortable=True, description="Bytes"),
        Field("pinned", "boolean", filterable=True,
              description="The version served to these models: their configuration points to it"),
        Field("comment", max_length=500),
    ),
    read_roles=("support", "technician"), write_roles=ADMIN_ONLY, search=("filename", "firmware_version"),
    summary="Firmware images served to the phones (uploaded through /api/v1/firmware-uploads)",
)

#: Query parameters of an upload, besides the digest.
UPLOAD_PARAMETERS = ("vendor", "firmware_version", "filename", "models", "pinned", "comment", "sha256")
CHECKSUM_HEADER = "X-Checksum-SHA256"


class FirmwareListHandler(CollectionHandler):
    """GET lists images; there is no POST: an image comes with its bytes, through the upload."""

    post = tornado.web.RequestHandler.post


class FirmwareItemHandler(ItemHandler):
    """GET, PATCH (pinned, models, comment) and DELETE of one image; deleting frees its bytes if unshared."""

    def delete(self, record_id: str) -> None:
        image = self._load(record_id)
        if image.pinned:
            raise ApiError(409, f"{image.filename} is pinned: unpin it (pinned false) before deleting it")
        remove_image(store_for(self.services.settings), image, self.actor, self.expected_version())
        self.set_status(204)
        self.finish()


@tornado.web.stream_request_body
class FirmwareUploadHandler(BaseHandler):
    """PUT an image's bytes as the body, its description in the query and its SHA-256 in a header (admin only)."""

    route = "/api/v1/firmware-uploads"

    def initialize(self, services, max_bytes: int | None = None) -> None:  # type: ignore[override]
        super().initialize(services)
        self.max_bytes = max_bytes or firmware_images.size_limit(services.settings)
        self.pending: PendingFile | None = None
        self.image: FirmwareImage | None = None
        self.failure: ApiError | None = None
        self.committing = False

    def prepare(self) -> None:
        # Runs once the headers are in, before any byte of the body: refusals cost no upload.
        super().prepare()
        if not self.caller.may(ADMIN_ONLY):
            raise ApiError(403, "uploading firmware needs the admin role")
        store = store_for(self.services.settings, self.max_bytes)
        announced = self._announced_size()
        self.image = new_image(**self._description())
        try:
            store.remove_stale_partials()
            self.pending = store.begin(self.image.sha256, announced)
        except TooLarge as exc:
            raise ApiError(413, str(exc)) from None
        self.store = store
        self.request.connection.set_max_body_size(self.max_bytes)

    def data_received(self, chunk: bytes) -> None:
        if self.failure is not None or self.pending is None:
            return  # already refused: the rest of the body is read and dropped
        try:
            self.pending.write(chunk)
        except FirmwareStoreError as exc:
            self.failure = ApiError(413 if isinstance(exc, TooLarge) else 400, str(exc))

    async def put(self) -> None:
        if self.failure is not None:
            raise self.failure
        self.committing = True  # the file is now the executor's: a dropped connection must not close it
        try:
            # Flushing hundreds of megabytes to disk must not hold up the other requests.
            await self.off_loop(self.pending.commit)
        except ChecksumMismatch as exc:
            raise ApiError(422, str(exc), {"sha256": f"expected {exc.expected}, got {exc.actual}"}) from None
        except FirmwareStoreError as exc:
            raise ApiError(400, str(exc)) from None
        image = record_upload(self.store, self.image, self.pending, self.actor)
        self.set_header("Location", f"/api/v1/firmware/{image.pk}")
        self.set_header("ETag", f'"{image.version}"')
        self.send(render(FIRMWARE, image.to_mongo().to_dict()), status=201)

    def on_connection_close(self) -> None:
        if self.pending is not None and not self.committing:
            self.pending.abort()

    def on_finish(self) -> None:
        if self.pending is not None:
            self.pending.abort()  # a no-op after a commit; drops a refused or interrupted upload

    # -- the request -------------------------------------------------------------------------

    def _description(self) -> dict:
        args = self.request.query_arguments
        unknown = sorted(set(args) - set(UPLOAD_PARAMETERS))
        if unknown:
            raise ApiError(400, "the query is not valid",
                           {name: f"unknown parameter: expected {', '.join(UPLOAD_PARAMETERS)}" for name in unknown})
        problems: dict[str, str] = {}

        def text(name: str, required: bool = True) -> str | None:
            value = self.get_query_argument(name, None, strip=False)  # a stray space or newline is refused, not cut
            if value is None and required:
                problems[name] = "is required"
            return value

        vendor, version, filename = text("vendor"), text("firmware_version"), text("filename")
        models = [m.strip() for value in self.get_query_arguments("models", strip=False) for m in value.split(",") if m.strip()]
        if not models:
            problems["models"] = "is required: one or more models, comma-separated"
        pinned = (text("pinned", required=False) or "false").lower()
        if pinned not in ("true", "false"):
            problems["pinned"] = "expected true or false"
        digest = self._expected_digest(text("sha256", required=False), problems)
        if problems:
            raise ApiError(422, "some fields are not valid", problems)
        return {"vendor": vendor, "firmware_version": version, "filename": filename, "models": models, "sha256": digest,
                "pinned": pinned == "true", "comment": text("comment", required=False),
                "size": self._announced_size() or 1}

    def _expected_digest(self, from_query: str | None, problems: dict[str, str]) -> str:
        from_header = self.request.headers.get(CHECKSUM_HEADER)
        given = [value for value in (from_header, from_query) if value is not None]
        if not given:
            problems["sha256"] = f"is required: the image's SHA-256 in the {CHECKSUM_HEADER} header or the sha256 parameter"
            return ""
        try:
            digests = {firmware_store.check_digest(value) for value in given}
        except FirmwareStoreError as exc:
            problems["sha256"] = str(exc)
            return ""
        if len(digests) > 1:
            problems["sha256"] = f"the {CHECKSUM_HEADER} header and the sha256 parameter differ"
            return ""
        return digests.pop()

    def _announced_size(self) -> int | None:
        length = self.request.headers.get("Content-Length")
        if length is None:
            return None
        if not (length.isascii() and length.isdigit()):
            raise ApiError(400, "Content-Length must be a number of bytes")
        return int(length)
