"""The `provisioner` command: serve, check-config, demo load, admin set-password, firmware, inventory import, report,
resync, tickets."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Sequence

from provisioner.embedded_db import DatabaseInUse, EmbeddedDatabaseError
from provisioner.keys import KeyFileError, load_secret_box
from provisioner.logs import setup_logging
from provisioner.settings import ConfigError, Settings, describe, load_settings

ENV_CONFIG = "PROVISIONER_CONFIG"
#: Exit status for a configuration or usage error, as argparse uses.
USAGE_ERROR = 2


class CommandError(RuntimeError):
    """A failure the user can act on: printed as one line, exit status in `status`."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "data_dir": getattr(args, "data_dir", None),
        "http.port": getattr(args, "http_port", None),
        "https.port": getattr(args, "https_port", None),
        "tftp.port": getattr(args, "tftp_port", None),
        "sip.udp_port": getattr(args, "sip_port", None),  # --sip-port: the same port over UDP and TCP
        "sip.tcp_port": getattr(args, "sip_port", None),
        "workers": getattr(args, "workers", None),
    }
    path = getattr(args, "config", None) or os.environ.get(ENV_CONFIG) or None
    return load_settings(path, os.environ, overrides)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help=f"configuration file (default: ${ENV_CONFIG}, else built-in defaults)")
    parser.add_argument("--data-dir", metavar="DIR", help="where the database, key file and logs go (default: var)")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="provisioner", description="Centrex device provisioning and equipment lifecycle server")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    _common(serve)
    for name in ("http", "https", "tftp", "sip"):
        serve.add_argument(f"--{name}-port", type=_port, metavar="PORT", help=f"{name.upper()} port (overrides the file)")
    serve.add_argument("--workers", type=int, choices=range(0, 65), metavar="N",
                       help="server processes sharing the ports; 0 = one per core (overrides the file)")
    serve.add_argument("--demo", action="store_true", help="load the demo fleet before serving (skipped if loaded)")

    check = commands.add_parser("check-config", help="validate a configuration file and print the effective settings")
    check.add_argument("file", metavar="FILE")

    demo = commands.add_parser("demo", help="demo data")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    _common(demo_commands.add_parser("load", help="load the demo fleet (three customers, ~50 lines, every vendor)"))

    admin = commands.add_parser("admin", help="staff accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    reset = admin_commands.add_parser("set-password", help="set a user's password (read from the terminal or stdin)")
    _common(reset)
    reset.add_argument("username")

    firmware = commands.add_parser("firmware", help="firmware images served to the phones")
    firmware_commands = firmware.add_subparsers(dest="firmware_command", required=True)
    add = firmware_commands.add_parser("add", help="store an image file and record it, if its SHA-256 is the one given")
    _common(add)
    add.add_argument("file", metavar="FILE")
    add.add_argument("--vendor", required=True)
    add.add_argument("--version", required=True, dest="firmware_version", help="the vendor's version of the firmware")
    add.add_argument("--models", required=True, help="catalogue models it fits, comma-separated")
    add.add_argument("--sha256", required=True, help="its expected SHA-256, from the vendor")
    add.add_argument("--filename", help="the name phones fetch it by (default: the file's own name)")
    add.add_argument("--pinned", action="store_true", help="serve it to those models at once")
    _common(firmware_commands.add_parser("verify", help="hash every stored image again; exit status 1 if any is wrong"))

    inventory = commands.add_parser("inventory", help="equipment stock")
    inventory_commands = inventory.add_subparsers(dest="inventory_command", required=True)
    receive = inventory_commands.add_parser("import", help="receive stock from a CSV file (serial, mac, vendor, model, "
                                                           "ownership): all rows or none; safe to run again")
    _common(receive)
    receive.add_argument("file", metavar="FILE")
    receive.add_argument("--report-only", action="store_true", help="check every row and print the report; write nothing")

    from provisioner.report_command import add_arguments as report_arguments

    report = commands.add_parser("report", help="print a report (overdue returns, insurance, histories...) or CSV")
    _common(report)
    report_arguments(report)

    from provisioner.resync_command import add_arguments as resync_arguments

    resync = commands.add_parser("resync", help="have the server tell a device, a site's devices or every device "
                                                "out of date to fetch its configuration (SIP NOTIFY)")
    _common(resync)
    resync_arguments(resync)

    from provisioner.ticket_command import add_arguments as ticket_arguments

    tickets = commands.add_parser("tickets", help="failure tickets")
    ticket_commands = tickets.add_subparsers(dest="tickets_command", required=True)
    at_risk = ticket_commands.add_parser("at-risk", help="tickets at risk of or past their 4-hour restoration target")
    _common(at_risk)
    ticket_arguments(at_risk)
    return parser


def _metrics_directory(settings: Settings) -> None:
    """With several workers, give prometheus-client a fresh directory to add their figures up in."""
    folder = settings.data_path / "run" / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    setup_logging(settings.logging.level, settings.logging.format, settings.logging.access_log)
    try:
        settings.data_path.mkdir(parents=True, exist_ok=True)
        if settings.worker_count > 1:
            _metrics_directory(settings)
        from provisioner.server import run  # after the metrics directory is chosen

        return run(settings, demo=args.demo)
    except OSError as exc:
        if exc.filename:  # the data directory or a file in it, not a listening socket
            raise CommandError(f"cannot use {exc.filename}: {exc.strerror or exc}") from None
        raise CommandError(f"cannot listen: {exc.strerror or exc} (is another server using the port?)") from None


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.file, os.environ, {})
    width = max(len(name) for name, _, _ in describe(settings))
    for name, value, source in describe(settings):
        print(f"{name:<{width}}  {value!r:<30}  ({source})")
    print(f"{args.file}: configuration is valid")
    return 0


def _with_storage(args: argparse.Namespace, work) -> int:  # type: ignore[no-untyped-def]
    from provisioner.storage import Storage

    settings = _settings(args)
    setup_logging("WARNING")
    box = load_secret_box(settings.secret_key_path)
    storage = Storage(settings, reuse_running=True)
    storage.open()
    try:
        return work(box)
    finally:
        storage.close()


def cmd_demo_load(args: argparse.Namespace) -> int:
    from provisioner.demo import load_demo

    def work(box) -> int:  # type: ignore[no-untyped-def]
        print(load_demo(box))
        return 0

    return _with_storage(args, work)


def cmd_admin_set_password(args: argparse.Namespace) -> int:
    from inventory.events import Actor
    from inventory.passwords import check_password_policy, hash_password
    from inventory.staff import User

    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            raise CommandError("the two passwords differ; nothing changed")
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        check_password_policy(password)
    except ValueError as exc:
        raise CommandError(f"password refused: {exc}", USAGE_ERROR) from None

    def work(box) -> int:  # type: ignore[no-untyped-def]
        user = User.objects(username=args.username.lower()).first()
        if user is None:
            raise CommandError(f"no user named {args.username!r}")
        user.update(Actor.system("cli"), {"password_hash": hash_password(password), "must_change_password": False,
                                          "session_epoch": user.session_epoch + 1})
        print(f"password of {user.username} changed; their sessions have ended")
        return 0

    return _with_storage(args, work)


def cmd_firmware(args: argparse.Namespace) -> int:
    from inventory.errors import DuplicateValue, InvalidRecord
    from inventory.events import Actor
    from provisioner.firmware_images import add_file, new_image, store_for, verify_images
    from provisioner.firmware_store import FirmwareStoreError

    settings = _settings(args)

    def add(box) -> int:  # type: ignore[no-untyped-def]
        path = Path(args.file)
        if not path.is_file():
            raise CommandError(f"no file {args.file}")
        try:
            image = new_image(args.vendor, args.firmware_version, args.filename or path.name, args.models.split(","),
                              args.sha256, size=path.stat().st_size, pinned=args.pinned)
            image = add_file(store_for(settings), path, image, Actor.system("cli"))
        except (InvalidRecord, DuplicateValue, FirmwareStoreError) as exc:
            raise CommandError(f"firmware refused: {exc}") from None
        pinned = f", pinned for {', '.join(image.models)}" if image.pinned else ""
        print(f"stored {image.filename}: {image.vendor} {image.firmware_version} for {', '.join(image.models)}, "
              f"{image.size} bytes, SHA-256 {image.sha256}{pinned}")
        return 0

    def verify(box) -> int:  # type: ignore[no-untyped-def]
        checked, problems = verify_images(store_for(settings))
        for problem in problems:
            print(problem)
        print(f"{checked} image(s) checked, {len(problems)} wrong")
        return 1 if problems else 0

    return _with_storage(args, add if args.firmware_command == "add" else verify)


def cmd_report(args: argparse.Namespace) -> int:
    from provisioner.report_command import problem, render

    why = problem(args)
    if why:
        raise CommandError(why, USAGE_ERROR)
    settings = _settings(args)

    def work(box) -> int:  # type: ignore[no-untyped-def]
        sys.stdout.write(render(args, settings) + ("" if args.csv or args.excel else "\n"))
        return 0

    return _with_storage(args, work)


def cmd_resync(args: argparse.Namespace) -> int:
    from provisioner.resync_command import ResyncCommandError, run
    from provisioner.storage import Storage

    settings = _settings(args)
    setup_logging("WARNING")
    storage = Storage(settings, reuse_running=True)
    storage.open()
    try:
        if storage.embedded is not None:  # started for this command: no server runs to send the NOTIFYs
            raise CommandError(f"no server is running on {settings.data_path}: start `provisioner serve` first; "
                               "nothing queued")
        return run(args, settings, sys.stdout)
    except ResyncCommandError as exc:
        raise CommandError(str(exc), exc.status) from None
    finally:
        storage.close()


def cmd_tickets(args: argparse.Namespace) -> int:
    import datetime as dt

    from provisioner.ticket_command import problem, render

    why = problem(args)
    if why:
        raise CommandError(why, USAGE_ERROR)
    settings = _settings(args)

    def work(box) -> int:  # type: ignore[no-untyped-def]
        sys.stdout.write(render(args, settings, dt.datetime.now(dt.UTC)))
        return 0

    return _with_storage(args, work)


def cmd_inventory_import(args: argparse.Namespace) -> int:
    from provisioner.inventory_command import run_import

    return _with_storage(args, lambda box: run_import(Path(args.file), box, args.report_only))


COMMANDS = {
    "serve": cmd_serve,
    "check-config": cmd_check_config,
    "demo": cmd_demo_load,
    "admin": cmd_admin_set_password,
    "firmware": cmd_firmware,
    "inventory": cmd_inventory_import,
    "report": cmd_report,
    "resync": cmd_resync,
    "tickets": cmd_tickets,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `provisioner` command."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"provisioner: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except (DatabaseInUse, KeyFileError) as exc:
        print(f"provisioner: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except (CommandError, EmbeddedDatabaseError) as exc:
        print(f"provisioner: {exc}", file=sys.stderr)
        return getattr(exc, "status", 1)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
