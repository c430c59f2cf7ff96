"""`provisioner tickets at-risk [--minutes N] [--csv | --excel]`: the failure tickets at risk of or past their
restoration target, as the API's report /api/v1/reports/tickets-at-risk gives them."""

from __future__ import annotations

import argparse
import datetime as dt

from inventory.ticket_deadlines import AT_RISK
from inventory.ticket_views import at_risk_report
from provisioner.report_output import as_csv, as_table
from provisioner.settings import Settings
from provisioner.ticket_calendar import ticket_calendar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `provisioner tickets at-risk`."""
    parser.add_argument("--minutes", type=int, default=int(AT_RISK.total_seconds() // 60), metavar="N",
                        help="minutes left under which a ticket is at risk (1 to 1440, default 60)")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.add_argument("--excel", action="store_true", help="CSV for a French Excel (';' and a UTF-8 BOM)")


def problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, or None."""
    return None if 1 <= args.minutes <= 1440 else f"--minutes must be from 1 to 1440, not {args.minutes}"


def render(args: argparse.Namespace, settings: Settings, now: dt.datetime) -> str:
    """The report as text (the database is open)."""
    report = at_risk_report(now, ticket_calendar(settings), dt.timedelta(minutes=args.minutes))
    if args.csv or args.excel:
        return as_csv(report, excel=args.excel)
    return as_table(report) + "\n"
