"""The pure parts of the warehouse's scan-batch pages: batch keys, adding a scan, the inputs a batch move asks
for and how the form's text becomes them, a receiving scan split into serial and MAC, and the stock import's
problems said in the pages' words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS
from provisioner.web.messages import Translator
from provisioner.web.warehouse import receiving_batch, scan_batch, shipping_batch
from provisioner.web.warehouse.receiving_batch import Choice, Entry
from provisioner.web.warehouse.receiving_page import problem_text

PARIS = ZoneInfo("Europe/Paris")
KEY = "shipping-" + "a" * 32


@pytest.mark.parametrize(("sent", "prefix", "kept"), [
    (KEY, "shipping", True),
    (KEY, "receiving", False),  # another page's key
    ("shipping-" + "A" * 32, "shipping", False),
    ("shipping-abc", "shipping", False),
    (None, "shipping", False),
    ("shipping.deliver-" + "0" * 32, "shipping.deliver", True),
])
def test_a_batch_keeps_its_key_only_when_it_is_one_of_the_page(sent, prefix, kept) -> None:
    key = scan_batch.batch_key(sent, prefix)
    assert (key == sent) is kept
    assert key.startswith(prefix + "-") and len(key) == len(prefix) + 33


@pytest.mark.parametrize(("already", "scan", "code"), [
    (0, "WH-1", None),
    (0, "x" * MAX_SCAN_LENGTH, None),
    (0, "x" * (MAX_SCAN_LENGTH + 1), "too_long"),
    (MAX_SCANS - 1, "WH-1", None),
    (MAX_SCANS, "WH-1", "full"),
])
def test_a_scan_is_added_unless_too_long_or_the_batch_is_full(already, scan, code) -> None:
    entries = ["old"] * already
    after, why = scan_batch.add_scan(entries, "new", scan)
    assert why == code
    assert after == (entries if code else [*entries, "new"])


@pytest.mark.parametrize(("move", "states"), [
    ("ship", ("staged",)), ("deliver", ("shipped",)),
    ("check_in", ("failed", "return_due", "overdue", "repossession")),
])
def test_the_states_a_move_accepts_come_from_the_table(move, states) -> None:
    assert scan_batch.states_of(move) == states


@pytest.mark.parametrize(("move", "inputs"), [
    ("ship", ("carrier", "tracking_number", "accessories")),  # "replaces" names one item: not a batch's
    ("deliver", ("proof", "place", "delivered_at")),
])
def test_a_batch_asks_for_the_moves_own_inputs(move, inputs) -> None:
    assert shipping_batch.batch_inputs(move) == inputs


@pytest.mark.parametrize(("move", "form", "given", "problems"), [
    ("ship", {"carrier": " Colissimo ", "tracking_number": "6A01", "accessories": "cable\n\n alimentation \r\ncable"},
     {"carrier": "Colissimo", "tracking_number": "6A01", "accessories": ["cable", "alimentation", "cable"]}, {}),
    ("ship", {"carrier": "", "tracking_number": "  ", "accessories": "\n"}, {}, {}),  # blank: not given
    ("deliver", {"proof": "signed", "delivered_at": "2026-11-26T09:30"},
     {"proof": "signed", "delivered_at": dt.datetime(2026, 11, 26, 9, 30, tzinfo=PARIS)}, {}),
    ("deliver", {"proof": "signed", "delivered_at": "yesterday"}, {"proof": "signed"},
     {"delivered_at": "expected a date and time as ISO 8601, such as 2026-11-26T09:30:00Z"}),
])
def test_the_forms_text_becomes_the_moves_inputs(move, form, given, problems) -> None:
    read, unread = shipping_batch.form_inputs(move, form, PARIS)
    assert (read, {name: str(why) for name, why in unread.items()}) == (given, problems)
    assert all(why.code for why in unread.values())  # coded: the page says them in its user's language


def test_input_problems_are_those_unread_then_the_lifecycles() -> None:
    rows = [shipping_batch.Row("A", "ready", input_problems={"carrier": "required"}),
            shipping_batch.Row("B", "ready", input_problems={"carrier": "required", "tracking_number": "required"})]
    assert shipping_batch.input_problems(rows, {"carrier": "too long"}) == {
        "carrier": "too long", "tracking_number": "required"}


@pytest.mark.parametrize(("serial", "mac", "entry", "pending"), [
    ("SN-1", "", None, "SN-1"),  # the serial's barcode: its MAC comes next
    ("SN-1", "805ec1000001", Entry("SN-1", "805ec1000001"), ""),
    (" SN-1 805ec1000001 ", "", Entry("SN-1", "805ec1000001"), ""),  # both barcodes in one scan
    ("SN-1 80 5e", "", Entry("SN-1", "80 5e"), ""),  # the rest is the MAC, checked as the import checks it
    ("", "", None, ""),
    ("", "805ec1000001", None, ""),
])
def test_a_receiving_scan_gives_a_serial_and_a_mac(serial, mac, entry, pending) -> None:
    assert receiving_batch.split_scan(serial, mac) == (entry, pending)


def test_the_batch_comes_back_in_pairs_as_the_stock_imports_rows() -> None:
    entries = receiving_batch.entries_from(["SN-1", " ", "SN-3", "x" * 90], ["m1", "m2", " m3 ", "y" * 20])
    assert entries == [Entry("SN-1", "m1"), Entry("SN-3", "m3")]
    rows = receiving_batch.stock_rows(entries, Choice("yealink", "T46U", "sold"))
    assert [(row.line, row.values) for row in rows] == [
        (1, {"serial": "SN-1", "mac": "m1", "vendor": "yealink", "model": "T46U", "ownership": "sold"}),
        (2, {"serial": "SN-3", "mac": "m3", "vendor": "yealink", "model": "T46U", "ownership": "sold"})]


@pytest.mark.parametrize(("field", "why", "french"), [
    ("serial", "'SN-1' is also on line 2", "N° de série : scanné deux fois dans ce lot (déjà à la ligne 2)."),
    ("serial", "already stored for another item (MAC 80:5e:c1:00:00:01, yealink T46U)",
     "N° de série : déjà en stock pour un autre équipement (MAC 80:5e:c1:00:00:01, yealink T46U)."),
    ("mac", "MAC address 'zz' is not valid: expected 12 hexadecimal digits such as 00:15:65:aa:bb:cc",
     "Adresse MAC : 'zz' n'est pas une adresse MAC valide : 12 chiffres hexadécimaux attendus, comme 00:15:65:aa:bb:cc."),
    ("model", "unknown yealink model 'T99': expected one of T43U, T46U",
     "Modèle : modèle 'T99' inconnu chez yealink ; modèles connus : T43U, T46U."),
    ("model", "this item is already stored as yealink T48U",
     "Modèle : cet équipement est déjà en stock comme yealink T48U."),
    ("mac", "empty: a value is required", "Adresse MAC : vide : une valeur est obligatoire."),
    ("ownership", "expected lent or sold, got 'x'", "Propriété : expected lent or sold, got 'x'"),  # as it is
])
def test_the_stock_imports_problems_are_said_in_the_pages_words(field, why, french) -> None:
    t = Translator("fr")
    key, values = problem_text(field, why)
    assert t("receiving.problem", field=t(f"receiving.field.{field}"), why=t(key, **values)) == french
