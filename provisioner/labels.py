"""Printable equipment labels: a QR code with the serial, MAC, vendor and model, one per PNG or a sheet per PDF page.

Pure rendering: label records in, PNG or PDF bytes out; nothing here reads the database or the request.

* The QR code (drawn with `segno`) holds ``EQ:<serial>`` (see `payload_for`). A warehouse scanner in keyboard-wedge
  mode types what it reads into the focused field as key presses, so the payload is short printable ASCII only:
  short for large modules that a 203 or 300 dpi thermal head prints cleanly; no control characters nor accents,
  which a wedge types wrongly or not at all. The ``EQ:`` prefix tells our label from a maker's barcode holding a bare
  serial or MAC, and cannot begin a serial (':' is not allowed in one). The scanner must use the workstation's
  keyboard layout (an AZERTY workstation needs the scanner set to French), as for any wedge input.
* Images are 1-bit (black or white, no anti-aliasing) and carry their dpi: a thermal head prints dots on or off,
  and a driver dithering grey edges would blur small text and the QR modules.
* The PDF sheet is written by Pillow (one 1-bit image per page, CCITT G4 compressed): no dependency beyond the one
  that draws the labels, and every page is exactly what the PNG shows. reportlab would give vector text, which the
  printers of sticker sheets do not need at 300 dpi, at the price of a second drawing library.
* Text uses DejaVu Sans (Debian's fonts-dejavu-core, in the base image; wide Unicode coverage) and falls back to
  Pillow's built-in scalable font (Pillow >= 10.1) where it is missing. Text too long for its line is set smaller,
  down to `MIN_TEXT_PT`, then shortened with an ellipsis: it never runs off the label.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from inventory.mac import format_mac, normalize_mac

#: What the QR code of an equipment label starts with; the serial follows.
PAYLOAD_PREFIX = "EQ:"
#: A longer payload means smaller modules; a serial is at most 64 characters.
MAX_PAYLOAD = 80
#: Brother DK-11209 / DK-22205 cut labels, the common size of desktop thermal printers.
LABEL_MM = (62.0, 29.0)
#: Sticker sheets, page size in millimetres (portrait).
PAGES = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MIN_DPI, MAX_DPI = 150, 1200
#: No text is set smaller than this, in points (1/72 inch): the smallest a warehouse reads at arm's length.
MIN_TEXT_PT = 6.0
#: The blank border inside a label: thermal printers cut precisely; sheet printers shift the page by a millimetre.
LABEL_MARGIN_MM = 1.5
SHEET_MARGIN_MM = 3.0
#: The white border QR readers need around the code, in modules (ISO/IEC 18004).
QUIET_ZONE = 4
#: The smallest QR module, in printer dots, that still scans after a thermal head's dot gain.
MIN_MODULE_DOTS = 2

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf"}
_ELLIPSIS = "\u2026"
#: Fonts by thread: a FreeType face is not safe to share between threads, and the API renders in an executor.
_fonts = threading.local()


def payload_for(serial: str) -> str:
    """The text the QR code of an equipment label holds: ``EQ:<serial>``."""
    return PAYLOAD_PREFIX + serial


def serial_from_payload(text: str) -> str | None:
    """The serial in a scanned label (surrounding blanks ignored), or None when `text` is not one of our labels."""
    text = text.strip()
    if not text.startswith(PAYLOAD_PREFIX):
        return None
    return text[len(PAYLOAD_PREFIX):] or None


@dataclass(frozen=True)
class Label:
    """What one label shows; `mac` in any common notation, `qr_payload` short printable ASCII (see `payload_for`)."""

    serial: str
    mac: str
    vendor: str
    model: str
    ownership: str
    qr_payload: str

    def __post_init__(self) -> None:
        for name in ("serial", "vendor", "model", "ownership", "qr_payload"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"label {name} must be text, not {type(getattr(self, name)).__name__}")
        if not self.serial.strip():
            raise ValueError("label serial is empty: expected the equipment's serial number")
        object.__setattr__(self, "mac", normalize_mac(self.mac))
        payload = self.qr_payload
        if not payload or len(payload) > MAX_PAYLOAD or not all(" " <= c <= "~" for c in payload):
            raise ValueError(f"label QR payload {payload[:40]!r} is not valid: expected 1 to {MAX_PAYLOAD} printable "
                             "ASCII characters, which a scanner in keyboard mode types faithfully")

    @classmethod
    def of(cls, serial: str, mac: str, vendor: str, model: str, ownership: str) -> Label:
        """The label of an equipment item, its QR code holding `payload_for(serial)`."""
        return cls(serial, mac, vendor, model, ownership, payload_for(serial))


# --- single labels -----------------------------------------------------------------------------------------------


def label_png(label: Label, dpi: int = 300, size_mm: tuple[float, float] = LABEL_MM,
              margin_mm: float = LABEL_MARGIN_MM) -> bytes:
    """One label as a 1-bit PNG of `size_mm` (width, height) at `dpi`; ValueError when it cannot be drawn legibly."""
    _check_dpi(dpi)
    return _png(render_label(label, (mm_to_px(size_mm[0], dpi), mm_to_px(size_mm[1], dpi)), dpi, margin_mm), dpi)


def mm_to_px(mm: float, dpi: int) -> int:
    """The number of printer dots closest to `mm` millimetres."""
    return round(mm * dpi / 25.4)


def render_label(label: Label, size_px: tuple[int, int], dpi: int, margin_mm: float = LABEL_MARGIN_MM) -> Image.Image:
    """One label drawn on a new 1-bit image of `size_px`; ValueError when its QR code or MAC cannot fit.

    A landscape label has the QR code on the left and the text beside it; a portrait one, the code above the text.
    """
    width, height = size_px
    margin = mm_to_px(margin_mm, dpi)
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    image = Image.new("L", size_px, 255)
    if width >= height:
        code = _qr_image(label.qr_payload, min(inner_h, inner_w // 2), dpi)
        image.paste(code, (margin, (height - code.height) // 2))
        box = (margin + code.width, margin, width - margin, height - margin)
    else:
        code = _qr_image(label.qr_payload, min(inner_w, inner_h * 3 // 5), dpi)
        image.paste(code, ((width - code.width) // 2, margin))
        box = (margin, margin + code.height, width - margin, height - margin)
    _check_text_room(box, width, height, dpi)
    _draw_text(ImageDraw.Draw(image), label, box, dpi)
    # A plain threshold, not dithering: glyph edges become whole dots.
    return image.convert("1", dither=Image.Dither.NONE)


def _check_text_room(box: tuple[int, int, int, int], width: int, height: int, dpi: int) -> None:
    """ValueError unless the text box takes the MAC, whole, at the smallest text size, and all lines at that size."""
    left, top, right, bottom = box
    size = _min_text_px(dpi)
    font = _font("mono", size)
    lines = len(_LINES) * sum(font.getmetrics()) + (len(_LINES) - 1) * round(size * _LINE_GAP)
    if right - left < font.getlength("00:00:00:00:00:00") or bottom - top < lines:
        raise ValueError(f"a {_mm(width, dpi)} x {_mm(height, dpi)} mm label leaves too little room for its text "
                         f"next to its QR code: expected a label about twice as wide as high, or twice as high as wide")


def _qr_image(payload: str, side: int, dpi: int) -> Image.Image:
    """The QR code with its quiet zone, as large as whole dots per module allow within `side` pixels."""
    code = segno.make_qr(payload, error="m")  # at least M; segno raises it when that costs no extra size
    modules = len(code.matrix) + 2 * QUIET_ZONE
    scale = side // modules
    if scale < MIN_MODULE_DOTS:
        raise ValueError(f"a label leaving {_mm(side, dpi)} mm at {dpi} dpi is too small for the QR code of "
                         f"{payload[:40]!r}: it needs {modules * MIN_MODULE_DOTS} dots ({modules} modules of "
                         f"{MIN_MODULE_DOTS})")
    dots = bytes(0 if dark else 255 for row in code.matrix for dark in row)
    small = Image.new("L", (modules, modules), 255)
    small.paste(Image.frombytes("L", (len(code.matrix),) * 2, dots), (QUIET_ZONE, QUIET_ZONE))
    return small.resize((modules * scale,) * 2, Image.Resampling.NEAREST)


# --- text --------------------------------------------------------------------------------------------------------

#: The text lines: what they show, font, nominal size as a share of the text box's height, where a long one is cut.
_LINES = (
    ("serial", "bold", 0.17, "middle"),
    ("mac", "mono", 0.12, "end"),
    ("product", "regular", 0.105, "end"),
    ("ownership", "regular", 0.085, "end"),
)
_LINE_GAP = 0.2  # of each line's size


def _line_text(label: Label, what: str) -> str:
    """The text of one line, on one line: control characters and runs of blanks become one space."""
    if what == "serial":
        text = label.serial
    elif what == "mac":
        text = format_mac(label.mac).upper()
    elif what == "product":
        text = f"{label.vendor} {label.model}"
    else:
        text = label.ownership.upper()
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _draw_text(draw: ImageDraw.ImageDraw, label: Label, box: tuple[int, int, int, int], dpi: int) -> None:
    """The text lines, each fitted to the box's width, the block centred in the box's height.

    Each line has a slot as high as its nominal size, so a long serial set smaller moves no other line: the MAC is
    at the same place on every label of a batch. A line set smaller sits on its slot's baseline.
    """
    left, top, right, bottom = box
    min_px = _min_text_px(dpi)
    slots: list[tuple[str, str, int, str]] = []
    for what, style, share, cut in _LINES:
        # No line is larger than the one above it: the serial stays the most visible.
        size = min([max(min_px, int(share * (bottom - top)))] + [slot[2] for slot in slots[-1:]])
        slots.append((_line_text(label, what), style, size, cut))
    heights = [sum(_font(style, size).getmetrics()) for _, style, size, _ in slots]
    gaps = [round(size * _LINE_GAP) for _, _, size, _ in slots[:-1]] + [0]
    y = top + max(0, (bottom - top - sum(heights) - sum(gaps)) // 2)
    for (text, style, size, cut), height, gap in zip(slots, heights, gaps, strict=True):
        if y + height > bottom:
            break  # only on a label too small for even the smallest text: drop lines rather than overflow
        shown, font = _fit(text, style, size, min_px, right - left, cut)
        draw.text((left, y + _font(style, size).getmetrics()[0]), shown, font=font, fill=0, anchor="ls")
        y += height + gap


def _fit(text: str, style: str, size: int, min_size: int, width: int, cut: str) -> tuple[str, ImageFont.FreeTypeFont]:
    """`text` at the largest size from `size` down to `min_size` that fits `width`, else cut to fit at `min_size`."""
    while True:
        font = _font(style, size)
        if font.getlength(text) <= width:
            return text, font
        if size <= min_size:
            break
        size = max(min_size, math.floor(size * 0.92))
    for keep in range(len(text) - 1, 0, -1):
        shortened = _shorten(text, keep, cut)
        if font.getlength(shortened) <= width:
            return shortened, font
    return "", font


def _shorten(text: str, keep: int, cut: str) -> str:
    """`text` reduced to `keep` of its characters plus an ellipsis, at its end or in its middle."""
    if cut == "middle":
        head = (keep + 1) // 2
        return text[:head] + _ELLIPSIS + text[len(text) - (keep - head):] if keep > head else text[:head] + _ELLIPSIS
    return text[:keep].rstrip() + _ELLIPSIS


def _min_text_px(dpi: int) -> int:
    return max(1, round(MIN_TEXT_PT * dpi / 72))


def _font(style: str, size: int) -> ImageFont.FreeTypeFont:
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = _fonts.__dict__.setdefault("cache", {})
    if (style, size) not in cache:
        path = _FONT_DIR / _FONT_FILES[style]
        # load_default(size=) is Pillow's own scalable font (a FreeTypeFont) since Pillow 10.1.
        cache[style, size] = (ImageFont.truetype(str(path), size) if path.is_file()
                              else ImageFont.load_default(size=size))  # type: ignore[assignment]
    return cache[style, size]


# --- sheets ------------------------------------------------------------------------------------------------------


def label_sheet_pdf(labels: Sequence[Label], page: str = "A4", columns: int = 3, rows: int = 8,
                    label_mm: tuple[float, float] | None = None, dpi: int = 300) -> bytes:
    """Labels laid out on sticker sheets, `columns` x `rows` a page (24 of 70 x 37 mm on A4 by default), as a PDF."""
    pages = sheet_pages(labels, page, columns, rows, label_mm, dpi)
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi),
                  title="Equipment labels", producer="centrex-provisioner")
    return out.getvalue()


def label_sheet_png(labels: Sequence[Label], page: str = "A4", columns: int = 3, rows: int = 8,
                    label_mm: tuple[float, float] | None = None, dpi: int = 300) -> list[bytes]:
    """The same sheets as `label_sheet_pdf`, one PNG per page."""
    return [_png(image, dpi) for image in sheet_pages(labels, page, columns, rows, label_mm, dpi)]


def sheet_pages(labels: Sequence[Label], page: str = "A4", columns: int = 3, rows: int = 8,
                label_mm: tuple[float, float] | None = None, dpi: int = 300) -> list[Image.Image]:
    """One 1-bit image per page; `label_mm` defaults to the page shared evenly, in whole millimetres."""
    if not labels:
        raise ValueError("no labels to print: expected at least one")
    _check_dpi(dpi)
    if page not in PAGES:
        raise ValueError(f"unknown page size {page!r}: expected one of {', '.join(PAGES)}")
    if not (isinstance(columns, int) and isinstance(rows, int) and 1 <= columns <= 10 and 1 <= rows <= 30):
        raise ValueError(f"a sheet of {columns} x {rows} labels is not valid: expected 1 to 10 columns and 1 to 30 rows")
    page_w, page_h = PAGES[page]
    cell_mm = label_mm or (math.floor(page_w / columns), math.floor(page_h / rows))
    if cell_mm[0] * columns > page_w or cell_mm[1] * rows > page_h:
        raise ValueError(f"{columns} x {rows} labels of {cell_mm[0]} x {cell_mm[1]} mm do not fit on {page} paper")
    page_px = (mm_to_px(page_w, dpi), mm_to_px(page_h, dpi))
    cell_px = (mm_to_px(cell_mm[0], dpi), mm_to_px(cell_mm[1], dpi))
    # The grid is centred: sheets such as 3 x 8 of 70 x 37 mm on A4 leave the spare half-millimetres at the edges.
    origin = ((page_px[0] - columns * cell_px[0]) // 2, (page_px[1] - rows * cell_px[1]) // 2)
    per_page = columns * rows
    pages = []
    for start in range(0, len(labels), per_page):
        sheet = Image.new("1", page_px, 1)
        for index, label in enumerate(labels[start:start + per_page]):
            row, column = divmod(index, columns)
            cell = render_label(label, cell_px, dpi, SHEET_MARGIN_MM)
            sheet.paste(cell, (origin[0] + column * cell_px[0], origin[1] + row * cell_px[1]))
        pages.append(sheet)
    return pages


# --- shared ------------------------------------------------------------------------------------------------------


def _png(image: Image.Image, dpi: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()


def _check_dpi(dpi: int) -> None:
    if not isinstance(dpi, int) or isinstance(dpi, bool) or not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"dpi {dpi!r} is not valid: expected a whole number from {MIN_DPI} to {MAX_DPI}")


def _mm(pixels: int, dpi: int) -> float:
    return round(pixels * 25.4 / dpi, 1)
