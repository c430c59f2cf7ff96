"""Batches of devices read by `_id` through a MAC map that is only a hint: changes since it was read are found."""

from __future__ import annotations

from server_process import wait_until

from inventory.equipment import Equipment
from inventory.events import Actor
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.mac_index import MAX_SINGLE_READS, MacIndex

ACTOR = Actor.system("tests")


def add(services, number: int) -> Equipment:
    item = Equipment(serial=f"SN-{number:04d}", mac=f"805ec0{number:06x}", vendor="yealink", model="T46U")
    issue_secrets(item, services.box)
    return item.insert(ACTOR)


def macs_read(index: MacIndex, macs: list[str]) -> set[str]:
    return {raw["mac"] for raw in index.read(Equipment._get_collection(), macs)}


def test_a_batch_is_read_by_id_and_what_changed_since_the_map_is_found(mongo_db, services):
    items = [add(services, number) for number in range(1, 21)]
    index = MacIndex()
    batch = [item.mac for item in items[:10]] + ["805ec0ffffff"]  # one not in the inventory
    assert len(batch) > MAX_SINGLE_READS
    assert macs_read(index, batch) == {item.mac for item in items[:10]}  # by $in while the map is read
    assert wait_until(lambda: index._ids is not None, 5)
    assert macs_read(index, batch) == {item.mac for item in items[:10]}  # by _id now
    moved, old_mac = items[0], items[0].mac
    moved.update(ACTOR, {"mac": "805ec0aaaaaa"})           # its MAC changed after the map was read
    newcomer = add(services, 99)                             # recorded after the map was read
    batch = [old_mac, "805ec0aaaaaa", newcomer.mac] + [item.mac for item in items[1:10]]
    assert macs_read(index, batch) == {"805ec0aaaaaa", newcomer.mac} | {item.mac for item in items[1:10]}


def test_a_few_macs_are_read_one_by_one_without_the_map(mongo_db, services):
    item = add(services, 1)
    index = MacIndex()
    assert macs_read(index, [item.mac, "805ec0ffffff"]) == {item.mac}
    assert index._ids is None  # no scan of the collection for a handful of devices
