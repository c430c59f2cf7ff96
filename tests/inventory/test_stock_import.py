"""Stock import from CSV: every bad row reported with its line, field and why; all rows written or none; re-runs
write only what is missing. Over the real embedded database."""

from __future__ import annotations

import codecs

import pytest

from inventory.equipment import Equipment
from inventory.events import Actor, Event
from inventory.secret_box import SecretBox
from inventory.stock_import import BATCH_SIZE, EQUALITY_LOOKUPS, Problem, StockFileError, import_stock, source_of
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.storage import ensure_indexes

HEADER = "serial,mac,vendor,model,ownership"
GOOD = ["YL-0001,00:15:65:00:00:01,yealink,T46U,lent", "PC-0002,0004.f2aa.0002,polycom,VVX450,sold"]
ACTOR = Actor("clerk", "req-1")
BOX = SecretBox([SecretBox.generate_key()])


@pytest.fixture
def db(mongo_db):
    ensure_indexes()
    return mongo_db


def run(text: str | bytes, dry_run: bool = False, batch_size: int = BATCH_SIZE):
    data = text.encode() if isinstance(text, str) else text
    return import_stock(data, source_of("stock.csv", data), ACTOR, lambda item: issue_secrets(item, BOX),
                        dry_run=dry_run, batch_size=batch_size)


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def store(serial: str, mac: str, vendor: str = "yealink", model: str = "T46U") -> Equipment:
    item = Equipment(serial=serial, mac=mac, vendor=vendor, model=model)
    issue_secrets(item, BOX)
    return item.insert(Actor("someone"))


BAD_ROWS = [
    ("bad MAC", "YL-0003,00:15:65:zz:00:03,yealink,T46U,lent", "mac", "is not valid"),
    ("multicast MAC", "YL-0003,01:15:65:00:00:03,yealink,T46U,lent", "mac", "multicast"),
    ("unknown model", "YL-0003,00:15:65:00:00:03,yealink,T99,lent", "model", "unknown yealink model 'T99'"),
    ("unknown vendor", "YL-0003,00:15:65:00:00:03,acme,T46U,lent", "vendor", "unknown vendor 'acme'"),
    ("bad ownership", "YL-0003,00:15:65:00:00:03,yealink,T46U,borrowed", "ownership", "expected lent or sold"),
    ("empty ownership", "YL-0003,00:15:65:00:00:03,yealink,T46U,", "ownership", "a value is required"),
    ("bad serial", "Y!,00:15:65:00:00:03,yealink,T46U,lent", "serial", "expected 3 to 64 letters"),
    ("empty MAC", "YL-0003,,yealink,T46U,lent", "mac", "a value is required"),
    ("serial twice in the file", "YL-0001,00:15:65:00:00:03,yealink,T46U,lent", "serial", "'YL-0001' is also on line 2"),
    ("MAC twice in the file", "YL-0003,001565000001,yealink,T46U,lent", "mac", "00:15:65:00:00:01 is also on line 2"),
    ("serial stored for another item", "ST-0009,00:15:65:00:00:03,yealink,T46U,lent", "serial",
     "already stored for another item (MAC 00:15:65:00:00:99"),
    ("MAC stored for another item", "YL-0003,00:15:65:00:00:99,yealink,T46U,lent", "mac",
     "already stored for another item (serial 'ST-0009')"),
    ("same item stored as another model", "ST-0009,00:15:65:00:00:99,yealink,T48U,lent", "model",
     "already stored as yealink T46U"),
    ("too few values", "YL-0003,00:15:65:00:00:03,yealink,T46U", "columns", "4 values"),
    ("too many values", "YL-0003,00:15:65:00:00:03,yealink,T46U,lent,x", "columns", "6 values"),
]


@pytest.mark.parametrize(("bad", "field", "why"), [row[1:] for row in BAD_ROWS], ids=[row[0] for row in BAD_ROWS])
def test_a_bad_row_is_reported_with_its_line_and_field_and_nothing_is_written(db, bad, field, why) -> None:
    store("ST-0009", "001565000099")
    result = run(csv(*GOOD, bad))

    assert [(p.line, p.field) for p in result.problems] == [(4, field)]
    assert why in result.problems[0].problem
    assert result.imported == 0
    assert Equipment.objects.count() == 1  # only the one stored beforehand
    assert Event.objects(action="create", collection="equipment").count() == 1


FILE_ERRORS = [
    ("empty file", b"", "the file is empty"),
    ("blank lines only", b"\n\n  \n", "the file is empty"),
    ("header only", (HEADER + "\n").encode(), None),
    ("unknown column", b"serial,mac,vendor,model,ownership,colour\nA,B,C,D,E,F\n", "unknown column(s) 'colour'"),
    ("missing column", b"serial,mac,vendor,model\n", "missing column(s) ownership"),
    ("wrong columns", b"name,address\n", "missing column(s) serial, mac, vendor, model, ownership"),
    ("column twice", b"serial,mac,vendor,model,ownership,MAC\n", "column(s) given twice: mac"),
    ("Latin-1 bytes", "serial,mac,vendor,model,ownership,notes\nYL-0001,001565000001,yealink,T46U,lent,réparé\n"
     .encode("latin-1"), "line 2: the file is not UTF-8: byte 0xe9 at offset 80"),
    ("Latin-1 after a BOM", codecs.BOM_UTF8 + b"serial,mac,vendor,model,ownership\n\xe9\n",
     "line 2: the file is not UTF-8: byte 0xe9 at offset 37"),
    ("UTF-16", (HEADER + "\n").encode("utf-16"), "the file is UTF-16"),
    ("unclosed quote", (HEADER + '\nYL-0001,"001565000001,yealink,T46U,lent\n').encode(), "not valid CSV"),
]


@pytest.mark.parametrize(("data", "why"), [row[1:] for row in FILE_ERRORS], ids=[row[0] for row in FILE_ERRORS])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(db, data, why) -> None:
    if why is None:  # a header and no rows: nothing to do, nothing wrong
        result = run(data)
        assert (result.rows, result.imported, result.problems) == (0, 0, [])
        return
    with pytest.raises(StockFileError) as refused:
        run(data)
    assert why in str(refused.value)
    assert Equipment.objects.count() == 0


def test_every_bad_row_is_reported_not_only_the_first(db) -> None:
    result = run(csv("YL-0001,zz,yealink,T46U,lent", *GOOD[1:], "PC-0003,0004.f2aa.0003,polycom,VVX999,rented"))

    assert [str(p) for p in result.problems] == [
        "line 2: mac: MAC address 'zz' is not valid: expected 12 hexadecimal digits such as 00:15:65:aa:bb:cc, "
        "0015.65AA.BBCC or 001565AABBCC",
        "line 4: model: unknown polycom model 'VVX999': expected one of VVX250, VVX350, VVX450",
        "line 4: ownership: expected lent or sold, got 'rented'",
    ]
    assert Equipment.objects.count() == 0


def test_a_duplicate_is_reported_on_a_row_that_has_other_problems_too(db) -> None:
    result = run(csv(*GOOD, "YL-0001,00:15:65:00:00:03,yealink,T46U,rented"))

    assert [(p.line, p.field, p.problem) for p in result.problems] == [
        (4, "ownership", "expected lent or sold, got 'rented'"), (4, "serial", "'YL-0001' is also on line 2")]


def test_good_rows_are_stored_in_stock_with_secrets_and_one_create_event_each(db) -> None:
    result = run(csv(*GOOD))

    assert (result.rows, result.imported, result.already_imported, result.problems) == (2, 2, 0, [])
    polycom = Equipment.objects.get(serial="PC-0002")
    assert (polycom.mac, polycom.vendor, polycom.model, polycom.kind, polycom.ownership, polycom.state,
            polycom.version) == ("0004f2aa0002", "polycom", "VVX450", "phone", "sold", "in_stock", 1)
    assert polycom.admin_password(BOX) and polycom.provisioning_password(BOX)
    assert not polycom.outbox_pending
    event = Event.objects.get(object_id=str(polycom.pk))
    digest = source_of("stock.csv", csv(*GOOD).encode()).rsplit(" ", 1)[1]
    assert (event.action, event.actor, event.request_id, event.source) == ("create", "clerk", "req-1",
                                                                          f"import stock.csv {digest}")
    assert event.after["serial"] == "PC-0002" and not any(k.endswith("_enc") for k in event.after)


def test_semicolons_bom_header_case_and_notes_are_read(db) -> None:
    text = "\ufeffSerial;MAC;Vendor;Model;Ownership;Notes\r\nYL-0001;00-15-65-00-00-01;Yealink;t46u;Lent;\"carton 3; shelf B\"\r\n"
    result = run(codecs.BOM_UTF8 + text[1:].encode())

    assert (result.imported, result.problems) == (1, [])
    item = Equipment.objects.get(serial="YL-0001")
    assert (item.mac, item.vendor, item.model, item.ownership, item.notes) == (
        "001565000001", "yealink", "T46U", "lent", "carton 3; shelf B")


def test_dry_run_reports_and_writes_nothing(db) -> None:
    result = run(csv(*GOOD), dry_run=True)

    assert (result.dry_run, result.imported, result.problems) == (True, 2, [])
    assert Equipment.objects.count() == 0


def test_running_the_same_file_again_writes_nothing(db) -> None:
    run(csv(*GOOD))
    stored = {item.serial: (item.pk, item.version) for item in Equipment.objects}

    again = run(csv(*GOOD))

    assert (again.imported, again.already_imported, again.problems) == (0, 2, [])
    assert {item.serial: (item.pk, item.version) for item in Equipment.objects} == stored
    assert Event.objects(collection="equipment").count() == 2


def test_a_longer_file_with_part_of_it_stored_imports_the_rest(db) -> None:
    rows = [f"YL-{n:04d},00:15:65:00:{n >> 8:02x}:{n & 255:02x},yealink,T46U,lent" for n in range(1, 160)]
    assert len(rows) > EQUALITY_LOOKUPS  # stored items looked up with $in
    run(csv(*rows[:70]), batch_size=25)

    result = run(csv(*rows), batch_size=25)

    assert (result.imported, result.already_imported, result.problems) == (89, 70, [])
    assert Equipment.objects.count() == 159
    assert Event.objects(collection="equipment", action="create").count() == 159


def test_an_event_left_in_an_outbox_by_a_crash_is_delivered_by_the_next_run(db) -> None:
    run(csv(*GOOD))
    item = Equipment.objects.get(serial="YL-0001")
    # As if killed between the items' insert and their events' delivery.
    Event.objects(object_id=str(item.pk)).delete()
    Equipment._get_collection().update_one({"_id": item.pk}, {"$set": {"outbox_pending": True}})

    again = run(csv(*GOOD))

    assert (again.imported, again.already_imported) == (0, 2)
    event = Event.objects.get(object_id=str(item.pk))
    assert (event.action, event.source) == ("create", item.last_event["source"])
    assert not Equipment.objects.get(pk=item.pk).outbox_pending


def test_problems_read_as_report_lines() -> None:
    assert str(Problem(12, "mac", "is not valid")) == "line 12: mac: is not valid"
