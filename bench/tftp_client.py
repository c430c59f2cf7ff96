"""A TFTP read client for load (RFC 1350, with the blksize option of RFC 2348): many transfers at once on one
asyncio loop, each from its own UDP port, each checked against the bytes expected.

Each received DATA block is acknowledged from the datagram callback (no task switch per packet). A transfer
waits TIMEOUT_SECONDS for each answer, then sends its last packet again, at most RETRIES times.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RRQ, DATA, ACK, ERROR, OACK = 1, 3, 4, 5, 6
TIMEOUT_SECONDS = 1.0
RETRIES = 5
CONTENT_DIFFERS = "content differs from the file expected"


@dataclass
class Storm:
    """What one storm of transfers measured."""

    name: str
    transfers: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of the transfers that succeeded, in seconds
    failures: Counter = field(default_factory=Counter)  # why, counted
    resent: int = 0  # packets sent again after a timeout
    client_cpu: float = 0.0  # CPU seconds of this process during the storm

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Latency in ms at `share` (0.5, 0.99) of the successful transfers, nearest rank."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class _Transfer(asyncio.DatagramProtocol):
    """One read request, from the RRQ to the last block acknowledged."""

    def __init__(self, server: tuple[str, int], name: str, blksize: int | None, done: asyncio.Future, storm: Storm):
        self.server, self.done, self.storm = server, done, storm
        self.blksize = 512
        options = b"" if blksize is None else b"blksize\x00%d\x00" % blksize
        self.last = struct.pack("!H", RRQ) + name.encode() + b"\x00octet\x00" + options
        self.asked_options = blksize is not None
        self.peer: tuple[str, int] | None = None  # the server's transfer port, from its first answer
        self.blocks: list[bytes] = []
        self.tries = 0
        self.transport: asyncio.DatagramTransport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send(self.server)

    def _send(self, to: tuple[str, int]) -> None:
        self.transport.sendto(self.last, to)
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(TIMEOUT_SECONDS, self._timed_out)

    def _timed_out(self) -> None:
        self.tries += 1
        if self.tries > RETRIES:
            self._finish(f"no answer after {RETRIES} resends")
        else:
            self.storm.resent += 1
            self._send(self.peer or self.server)

    def _finish(self, failure: str | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if not self.done.done():
            self.done.set_result((failure, b"".join(self.blocks)))

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.done.done():
            return
        if self.peer is None:
            self.peer = addr
        elif addr != self.peer:
            return  # not our transfer's port: RFC 1350 answers "unknown TID"; nothing to do for a bench
        opcode = data[1] if len(data) >= 4 and data[0] == 0 else 0
        if opcode == DATA:
            block = struct.unpack_from("!H", data, 2)[0]
            if block == len(self.blocks) + 1:
                self.blocks.append(data[4:])
                self.tries = 0
                self.last = struct.pack("!HH", ACK, block)
                if len(data) - 4 < self.blksize:
                    self.transport.sendto(self.last, self.peer)
                    self._finish(None)
                else:
                    self._send(self.peer)
            elif block == len(self.blocks):
                self.transport.sendto(struct.pack("!HH", ACK, block), self.peer)  # our ACK was lost: again
        elif opcode == OACK and self.asked_options and not self.blocks:
            fields = data[2:].split(b"\x00")
            options = dict(zip(fields[0::2], fields[1::2], strict=False))  # a trailing empty field
            self.blksize = int(options.get(b"blksize", 512))
            self.tries = 0
            self.last = struct.pack("!HH", ACK, 0)
            self._send(self.peer)
        elif opcode == ERROR:
            self._finish(f"error {struct.unpack_from('!H', data, 2)[0]}: {data[4:-1].decode(errors='replace')}")
        else:
            self._finish(f"unexpected packet {data[:16]!r}")

    def error_received(self, exc: Exception) -> None:
        self._finish(f"{type(exc).__name__}: {exc}")


async def _one(server: tuple[str, int], name: str, blksize: int | None, storm: Storm) -> tuple[str | None, bytes]:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Transfer(server, name, blksize, done, storm), local_addr=("127.0.0.1", 0), family=socket.AF_INET)
    try:
        return await done
    finally:
        transport.close()


async def _storm(storm: Storm, server: tuple[str, int], names: list[str], expected: Callable[[str], bytes],
                 concurrency: int, blksize: int | None, max_seconds: float) -> None:
    queue = iter(names)
    deadline = time.monotonic() + max_seconds

    async def client() -> None:
        for name in queue:
            if time.monotonic() > deadline:
                storm.failures["not started: time bound reached"] += 1
                continue
            started = time.perf_counter()
            failure, body = await _one(server, name, blksize, storm)
            elapsed = time.perf_counter() - started
            storm.transfers += 1
            if failure is None and body != expected(name):
                failure = CONTENT_DIFFERS
            if failure is None:
                storm.latencies.append(elapsed)
            else:
                storm.failures[failure] += 1

    # A transfer gives up after (RETRIES + 1) timeouts, so this bound only matters if something is badly wrong.
    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(concurrency))),
                           max_seconds + (RETRIES + 2) * TIMEOUT_SECONDS)


def run_storm(name: str, server: tuple[str, int], names: list[str], expected: Callable[[str], bytes],
              concurrency: int, blksize: int | None = None, max_seconds: float = 120.0) -> Storm:
    """Fetch every file of `names` (in that order) from `concurrency` clients at once; each checked by `expected`."""
    storm = Storm(name)
    cpu, started = time.process_time(), time.perf_counter()
    asyncio.run(_storm(storm, server, names, expected, concurrency, blksize, max_seconds))
    storm.seconds = time.perf_counter() - started
    storm.client_cpu = time.process_time() - cpu
    return storm


def picks(macs: list[str], count: int, seed: int, each_once: bool) -> list[str]:
    """`count` file names: every device once in a random order (needs count <= len(macs)), or random picks."""
    chooser = random.Random(seed)
    chosen = chooser.sample(macs, count) if each_once else chooser.choices(macs, k=count)
    return [f"{mac}.cfg" for mac in chosen]
