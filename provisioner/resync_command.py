"""`provisioner resync --device MAC | --site ID | --out-of-date [--wait SECONDS]`: queue a re-sync request.

The running server's SIP core takes it (provisioner/resync_poller.py); with --wait the command follows it until
done and prints what every device answered. Exit status 0 when queued (without --wait) or when at least one
NOTIFY was answered, 1 when nothing could be sent or the wait ran out, 2 for a target that is not valid.
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import TextIO

from inventory.events import Actor
from inventory.mac import normalize_mac
from inventory.resync_requests import ResyncRequest, find, queue, summary
from provisioner.resync_targets import Target, missing
from provisioner.settings import Settings

#: Seconds between two looks at the request while waiting.
LOOK_SECONDS = 0.5


class ResyncCommandError(RuntimeError):
    """A refusal to print in one line, with the exit status to give."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `provisioner resync`."""
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--device", metavar="MAC", help="one device, by MAC (any notation)")
    target.add_argument("--site", metavar="ID", help="the installed and in-service devices of a site, by id")
    target.add_argument("--out-of-date", action="store_true",
                        help="every device whose configuration changed since it last fetched it")
    parser.add_argument("--wait", type=float, metavar="SECONDS",
                        help="wait up to SECONDS for the server to send the NOTIFYs, then print what each answered")


def target_of(args: argparse.Namespace) -> Target:
    """The target the options name; ResyncCommandError (status 2) for a MAC that is not one."""
    if args.out_of_date:
        return Target("out_of_date")
    if args.site is not None:
        return Target("site", args.site.strip())
    try:
        return Target("device", normalize_mac(args.device))
    except ValueError as exc:
        raise ResyncCommandError(str(exc), 2) from None


def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Queue the request (the database is open), then, with --wait, follow it and print its results."""
    if args.wait is not None and args.wait <= 0:
        raise ResyncCommandError("--wait needs a number of seconds above 0", 2)
    target = target_of(args)
    why = missing(target)
    if why:
        raise ResyncCommandError(f"{why}; nothing queued")
    if not settings.sip.enabled:
        raise ResyncCommandError("the SIP core is disabled in the configuration (sip.enabled: false): no NOTIFY can "
                                 "be sent, so nothing was queued")
    request = queue(target.kind, target.value, Actor.system("cli").username, f"cli-{uuid.uuid4().hex[:16]}")
    print(f"re-sync request {request.pk} queued: {target.describe()}", file=out, flush=True)
    if args.wait is None:
        return 0
    deadline = time.monotonic() + args.wait
    current = request
    while current.state != "done" and time.monotonic() < deadline:
        time.sleep(LOOK_SECONDS)
        current = find(str(request.pk)) or current
    return report(current, out)


def report(request: ResyncRequest, out: TextIO) -> int:
    """Print a request's results, one line each, and a summary; the exit status they come to."""
    results = request.results
    for result in results:
        told = f" at {result.contact}" if result.contact else ""
        detail = f"{result.status} {result.reason}".strip() if result.status else result.reason
        print(f"{result.mac}  {result.line or '-'}{told}: {result.outcome.replace('_', ' ')}"
              + (f" ({detail})" if detail else ""), file=out)
    counts = summary(results)
    print(f"{request.devices} device(s); " + ", ".join(f"{count} {outcome.replace('_', ' ')}"
                                                      for outcome, count in counts.items()), file=out)
    if request.error:
        print(f"request failed: {request.error}", file=out)
    if request.state != "done":
        print(f"not done yet (state: {request.state}); follow it with GET /api/v1/resync/{request.pk}", file=out)
        return 1
    return 0 if counts["answered"] else 1
