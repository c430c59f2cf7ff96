"""Equipment labels: the QR code reads back (with a real decoder), sizes match the dpi, text stays on the label."""

from __future__ import annotations

import io

import pypdf
import pytest
import zxingcpp
from PIL import Image, ImageChops

from provisioner.labels import (
    LABEL_MARGIN_MM,
    MAX_PAYLOAD,
    Label,
    label_png,
    label_sheet_pdf,
    label_sheet_png,
    mm_to_px,
    payload_for,
    serial_from_payload,
)

PHONE = Label.of("YL2345678901234", "80:5E:C0:12:34:56", "yealink", "T46U", "lent")
LONGEST_SERIAL = "W" * 64  # the widest letter, as many as a serial may hold


def image(png: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(png))
    picture.load()
    return picture


def decoded(picture: Image.Image) -> list[zxingcpp.Barcode]:
    return [code for code in zxingcpp.read_barcodes(picture) if code.format == zxingcpp.BarcodeFormat.QRCode]


def qr_right_edge(picture: Image.Image) -> int:
    (code,) = decoded(picture)
    return max(point.x for point in (code.position.top_right, code.position.bottom_right))


def changed_area(a: Image.Image, b: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(a.convert("L"), b.convert("L")).getbbox()


def phone(**changes: str) -> Label:
    values = {"serial": PHONE.serial, "mac": PHONE.mac, "vendor": PHONE.vendor, "model": PHONE.model,
              "ownership": PHONE.ownership, "qr_payload": PHONE.qr_payload, **changes}
    return Label(**values)


# --- the QR code -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [203, 300, 600])
@pytest.mark.parametrize("label", [
    PHONE,
    Label.of(LONGEST_SERIAL, "001565000001", "grandstream", "GRP2614", "sold"),
    Label.of("A1/B2.c_3-d", "0004f2abcdef", "polycom", "VVX 450", "lent"),
    phone(qr_payload="provisioner:equipment:YL2345678901234:805ec0123456"),
], ids=["plain", "longest-serial", "every-serial-sign", "custom-payload"])
def test_the_qr_code_reads_back_as_the_payload(label: Label, dpi: int) -> None:
    assert [code.text for code in decoded(image(label_png(label, dpi=dpi)))] == [label.qr_payload]


def test_the_payload_is_the_serial_behind_a_prefix_that_a_scan_field_recognises() -> None:
    assert PHONE.qr_payload == "EQ:YL2345678901234" == payload_for("YL2345678901234")
    assert serial_from_payload("EQ:YL2345678901234") == "YL2345678901234"
    assert serial_from_payload(" EQ:A1/B2.c_3-d\r\n") == "A1/B2.c_3-d"  # the wedge's Enter suffix is ignored
    for other in ("YL2345678901234", "805EC0123456", "EQ:", "eq:YL1", ""):
        assert serial_from_payload(other) is None, other


@pytest.mark.parametrize("payload", ["", "EQ:é", "EQ:\tYL1", "EQ:YL1\n", "E" * (MAX_PAYLOAD + 1)],
                         ids=["empty", "accent", "tab", "newline", "too-long"])
def test_a_payload_a_keyboard_wedge_cannot_type_faithfully_is_refused(payload: str) -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        phone(qr_payload=payload)


def test_a_label_needs_a_valid_mac_and_a_serial() -> None:
    with pytest.raises(ValueError, match="MAC address"):
        phone(mac="80:5e:c0:12:34")
    with pytest.raises(ValueError, match="serial"):
        phone(serial=" ")
    assert phone(mac="805E.C012.3456").mac == "805ec0123456"


# --- size and text ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size_mm, dpi, pixels", [
    ((62, 29), 300, (732, 343)),  # 62 mm = 732.3 dots, 29 mm = 342.5 dots
    ((62, 29), 203, (496, 232)),
    ((62, 29), 600, (1465, 685)),
    ((70, 37), 300, (827, 437)),
    ((40, 60), 300, (472, 709)),  # portrait: the code above the text
])
def test_the_image_is_the_label_size_at_the_dpi_and_says_so(size_mm, dpi: int, pixels) -> None:
    picture = image(label_png(PHONE, dpi=dpi, size_mm=size_mm))
    assert picture.size == pixels
    assert picture.mode == "1"  # black dots or none: what a thermal head prints
    assert [round(d) for d in picture.info["dpi"]] == [dpi, dpi]
    assert [code.text for code in decoded(picture)] == [PHONE.qr_payload]


def test_the_default_label_is_62_by_29_mm_at_300_dpi() -> None:
    assert image(label_png(PHONE)).size == (732, 343)


@pytest.mark.parametrize("field, other", [("serial", "ZZ9999999999999"), ("mac", "80:5e:c0:ff:ff:ff"),
                                          ("model", "T54W"), ("vendor", "snom"), ("ownership", "sold")])
def test_each_field_is_drawn_beside_the_qr_code(field: str, other: str) -> None:
    # The payload stays the same, so every pixel that changes belongs to the text.
    first, second = image(label_png(PHONE)), image(label_png(phone(**{field: other})))
    area = changed_area(first, second)
    assert area is not None, f"the {field} is not drawn"
    assert area[0] > qr_right_edge(first)


def test_the_serial_is_drawn_above_the_mac() -> None:
    serial = changed_area(image(label_png(PHONE)), image(label_png(phone(serial="ZZ9999999999999"))))
    mac = changed_area(image(label_png(PHONE)), image(label_png(phone(mac="80:5e:c0:ff:ff:ff"))))
    assert serial is not None and mac is not None
    assert serial[3] <= mac[1]


def test_the_same_label_renders_to_the_same_bytes() -> None:
    assert label_png(PHONE) == label_png(Label.of(PHONE.serial, "805ec0123456", "yealink", "T46U", "lent"))


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("size_mm", [(62, 29), (70, 37), (40, 60)])
def test_long_texts_are_shrunk_or_cut_but_never_leave_the_label(size_mm, dpi: int) -> None:
    label = Label.of(LONGEST_SERIAL, "805ec0123456", "W" * 40, "M" * 40, "W" * 40)
    picture = image(label_png(label, dpi=dpi, size_mm=size_mm))
    width, height = picture.size
    margin = mm_to_px(LABEL_MARGIN_MM, dpi)
    inked = ImageChops.invert(picture.convert("L")).getbbox()
    assert inked is not None
    assert inked[0] >= margin and inked[1] >= margin, inked
    assert inked[2] <= width - margin and inked[3] <= height - margin, (inked, picture.size)
    assert [code.text for code in decoded(picture)] == [label.qr_payload]


def test_a_long_serial_moves_no_other_line() -> None:
    short, long = image(label_png(PHONE)), image(label_png(phone(serial=LONGEST_SERIAL)))
    mac = changed_area(image(label_png(PHONE)), image(label_png(phone(mac="80:5e:c0:ff:ff:ff"))))
    serial = changed_area(short, long)
    assert mac is not None and serial is not None
    assert serial[3] <= mac[1]  # the long serial changed nothing at the MAC's height


@pytest.mark.parametrize("model", ["Téléphone Übergröße", "Ωmega-Γ", "Çà ñ Ø"])
def test_non_ascii_models_are_drawn_with_their_own_glyphs(model: str) -> None:
    picture = image(label_png(phone(model=model)))
    # U+10FFFD is in no font: it is drawn as the font's empty box, as a missing glyph would be.
    missing = image(label_png(phone(model="\U0010fffd" * len(model))))
    ascii_only = image(label_png(phone(model=model.encode("ascii", "replace").decode())))
    assert changed_area(picture, missing) is not None
    assert changed_area(picture, ascii_only) is not None
    assert [code.text for code in decoded(picture)] == [PHONE.qr_payload]


@pytest.mark.parametrize("size_mm, dpi, problem", [
    ((30, 30), 300, "too little room for its text"),
    ((62, 8), 203, "too small for the QR code"),
    ((62, 29), 100, "dpi 100 is not valid"),
    ((62, 29), 2400, "dpi 2400 is not valid"),
])
def test_a_label_that_cannot_be_drawn_legibly_is_refused(size_mm, dpi: int, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        label_png(PHONE, dpi=dpi, size_mm=size_mm)


# --- sheets ---------------------------------------------------------------------------------------------------------


def stock(count: int) -> list[Label]:
    return [Label.of(f"SN-{n:04d}", f"805ec0{n:06x}", "yealink", "T46U", "lent") for n in range(count)]


@pytest.mark.parametrize("count, columns, rows, pages", [
    (1, 3, 8, 1), (24, 3, 8, 1), (25, 3, 8, 2), (49, 3, 8, 3), (5, 2, 2, 2),
])
def test_the_pdf_has_a_page_per_sheet_of_labels(count: int, columns: int, rows: int, pages: int) -> None:
    pdf = pypdf.PdfReader(io.BytesIO(label_sheet_pdf(stock(count), columns=columns, rows=rows)))
    assert len(pdf.pages) == pages
    for page in pdf.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4, points


def test_letter_paper_has_letter_pages() -> None:
    pdf = pypdf.PdfReader(io.BytesIO(label_sheet_pdf(stock(2), page="Letter", rows=10)))
    assert (round(float(pdf.pages[0].mediabox.width)), round(float(pdf.pages[0].mediabox.height))) == (612, 792)


def test_the_labels_of_a_sheet_sit_in_their_70_by_37_mm_cells_in_reading_order() -> None:
    labels = stock(26)
    pages = [image(png) for png in label_sheet_png(labels)]
    assert len(pages) == 2 and pages[0].size == (mm_to_px(210, 300), mm_to_px(297, 300))
    cell_w, cell_h = mm_to_px(70, 300), mm_to_px(37, 300)
    top = (pages[0].height - 8 * cell_h) // 2
    found = {}
    for number, page in enumerate(pages):
        for code in decoded(page):
            column, row = code.position.top_left.x // cell_w, (code.position.top_left.y - top) // cell_h
            found[code.text] = number * 24 + row * 3 + column
    assert found == {label.qr_payload: index for index, label in enumerate(labels)}


def test_the_pdf_pages_are_the_png_pages() -> None:
    labels = stock(4)
    pdf = pypdf.PdfReader(io.BytesIO(label_sheet_pdf(labels)))
    (picture,) = pdf.pages[0].images
    assert changed_area(picture.image, image(label_sheet_png(labels)[0])) is None


@pytest.mark.parametrize("render", [label_sheet_pdf, label_sheet_png])
def test_no_labels_is_a_clear_error(render) -> None:
    with pytest.raises(ValueError, match="no labels to print"):
        render([])


@pytest.mark.parametrize("arguments, problem", [
    ({"page": "A3"}, "unknown page size 'A3'"),
    ({"columns": 0}, "expected 1 to 10 columns"),
    ({"rows": 31}, "expected 1 to 10 columns and 1 to 30 rows"),
    ({"label_mm": (80, 37)}, "do not fit on A4"),
    ({"columns": 10, "rows": 30}, "too small"),
])
def test_a_sheet_that_cannot_be_printed_is_refused(arguments, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        label_sheet_pdf(stock(1), **arguments)


def test_control_characters_in_a_field_stay_on_one_line() -> None:
    assert label_png(phone(model="T46U\nsecond\tline\x00")) == label_png(phone(model="T46U second line"))
