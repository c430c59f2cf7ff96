"""The SIP core alone, as the "ours" target of the SIP benchmarks: one process, the accounts of accounts.csv in memory.

Started by bench/sip_register_bench.py (through ``--ours-cmd``) and bench/sip_call_bench.py: the core
(sip_core.core.SipCore) listens on UDP, with a MemoryDirectory of the bench's accounts
(``username;password;realm;ha1[;extension;number]``), each carried by a "bench" device that sipp's
User-Agent (``sipp-register-bench``) names, so the managed-device check runs as it does for phones;
bindings kept in memory (MemoryStore: no database). The lines given an extension and a number are the ones
the call benchmark calls through the proxy, whose fraud guards keep their defaults. What the whole server
adds (the MongoDB store's batched writes, the directory's refresh, the call records written behind) is
measured through the server itself. Runs until SIGTERM or SIGINT:

    python bench/sip_register_bench.py --target kamailio-htable \
        --ours-cmd "python bench/sip_core_alone.py {host} {port} {realm} {accounts_csv}"
"""

from __future__ import annotations

import asyncio
import csv
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provisioner.garbage_collector import tune_garbage_collector  # noqa: E402
from sip_core.core import CoreConfig, SipCore  # noqa: E402
from sip_core.directory import Account, Agent, Device, MemoryDirectory  # noqa: E402
from sip_core.location import MemoryStore  # noqa: E402
from sip_core.recorder import MemoryRecorder  # noqa: E402

AGENTS = {"sipp-register-bench": Agent("bench", "sipp")}


def accounts(path: Path) -> list[Account]:
    """The accounts of the bench's accounts.csv (``username;password;realm;ha1[;extension;number]``, header
    first), all of one customer and each carried by the bench device; extension and number make a line callable."""
    with path.open() as handle:
        rows = [row for row in csv.reader(handle, delimiter=";")
                if row and not row[0].startswith("#") and row[0] != "username"]
    return [Account(row[0], row[1], f"line-{row[0]}", "bench", extension=row[4] if len(row) > 4 else "",
                    number=(row[5] if len(row) > 5 else "") or None, devices=(Device("bench", "sipp"),))
            for row in rows]


async def serve(host: str, port: int, realm: str, accounts_csv: Path) -> None:
    config = CoreConfig(realm, b"bench-nonce-key-0123456789abcdef", digest_algorithms=("MD5",))
    known = accounts(accounts_csv)
    core = SipCore(config, MemoryDirectory(known, AGENTS), MemoryStore(), MemoryRecorder())
    await core.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"SIP core listening on udp {host}:{port}, {len(known)} accounts", flush=True)
    await stop.wait()
    core.stop()


if __name__ == "__main__":
    tune_garbage_collector()  # as in the server's workers, where the core runs
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
