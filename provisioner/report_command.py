"""`provisioner report NAME`: the API's reports printed as a table or CSV (see provisioner/api/reports.py)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

from inventory import report_queries, reports
from inventory.appointment_reports import appointments_report, late_cancellations_report, parse_period
from inventory.credit_report import credits_due
from inventory.reports import Report
from provisioner.call_reports import fair_use_report
from provisioner.report_output import as_csv, as_table
from provisioner.settings import Settings
from provisioner.ticket_calendar import calendar_today, ticket_calendar
from sip_core.fair_use import month_bounds
from sip_core.fraud import FAIR_USE_LIMIT, month_key

#: Report name: (what it builds from the arguments, the settings and now, whether it needs a SUBJECT).
REPORTS: dict[str, tuple[Callable[[argparse.Namespace, Settings, dt.datetime], Report], bool]] = {
    "overdue-returns": (lambda a, s, now: report_queries.overdue_returns(calendar_today(s, now)), False),
    "replacements": (lambda a, s, now: report_queries.replacements(now, a.at_risk_hours), False),
    "warranties": (lambda a, s, now: report_queries.warranties(now, a.within_days), False),
    "states": (lambda a, s, now: report_queries.states(a.by), False),
    "insurance": (lambda a, s, now: report_queries.insurance(calendar_today(s, now), a.within_days), False),
    "equipment-history": (lambda a, s, now: report_queries.equipment_history(a.subject, a.page, a.per_page), True),
    "customer-history": (lambda a, s, now: report_queries.customer_history(a.subject, a.page, a.per_page), True),
    "user-history": (lambda a, s, now: report_queries.user_history(a.subject, a.page, a.per_page), True),
    "fair-use": (lambda a, s, now: fair_use_report(a.month or month_key(now), a.threshold), False),
    "appointments": (lambda a, s, now: appointments_report(
        *parse_period(a.day or (None if a.week else calendar_today(s, now).isoformat()), a.week), a.technician), False),
    "late-cancellations": (lambda a, s, now: late_cancellations_report(
        *_cancellation_days(a.since, a.until, calendar_today(s, now))), False),
    "credits-due": (lambda a, s, now: credits_due(*month_bounds(a.month or month_key(now)), ticket_calendar(s),
                                                  a.per), False),
}


def _cancellation_days(since: str | None, until: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days of the late-cancellations report: --since (the 1st of this month) to --until (today)."""
    return (dt.date.fromisoformat(since) if since else today.replace(day=1),
            dt.date.fromisoformat(until) if until else today)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `report` sub-command's arguments (besides --config and --data-dir)."""
    parser.add_argument("name", choices=list(REPORTS), metavar="NAME", help=f"one of: {', '.join(REPORTS)}")
    parser.add_argument("subject", nargs="?", metavar="SUBJECT",
                        help="for the histories: the equipment or customer id, or the staff member's user name")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.add_argument("--excel", action="store_true", help="CSV for a French Excel (';' and a UTF-8 BOM)")
    parser.add_argument("--by", choices=reports.GROUPINGS, default="site", help="states: per site or per customer")
    parser.add_argument("--within-days", type=int, default=reports.WITHIN_DAYS, metavar="N",
                        help="warranties and insurance: days ahead (default 30)")
    parser.add_argument("--at-risk-hours", type=int, default=reports.AT_RISK_HOURS, metavar="N",
                        help="replacements: hours left under which one is at risk (default 12)")
    parser.add_argument("--month", metavar="YYYY-MM",
                        help="fair-use and credits-due: the Paris calendar month (default: this one)")
    parser.add_argument("--per", choices=("customer", "ticket"), default="customer",
                        help="credits-due: one row per customer (default) or per ticket")
    parser.add_argument("--threshold", type=int, default=FAIR_USE_LIMIT, metavar="N",
                        help="fair-use: lines past this many distinct numbers (default 150, clause 7.2c)")
    parser.add_argument("--day", metavar="YYYY-MM-DD", help="appointments: one day (default: today)")
    parser.add_argument("--week", metavar="YYYY-Www", help="appointments: an ISO week, such as 2026-W48")
    parser.add_argument("--technician", metavar="ID", help="appointments: one technician's (default: everyone's)")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="late-cancellations: first day (default: the 1st)")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="late-cancellations: last day (default: today)")
    parser.add_argument("--page", type=int, default=1, metavar="N", help="histories: page (default 1)")
    parser.add_argument("--per-page", type=int, default=500, metavar="N", help="histories: events a page (default 500)")


def problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, or None."""
    needs_subject = REPORTS[args.name][1]
    if needs_subject and not args.subject:
        return f"the report {args.name} needs a SUBJECT (an id, or a user name)"
    if not needs_subject and args.subject:
        return f"the report {args.name} takes no SUBJECT"
    if args.page < 1 or not 1 <= args.per_page <= 100_000:
        return "--page must be at least 1 and --per-page from 1 to 100000"
    if not 1 <= args.within_days <= 366 or not 1 <= args.at_risk_hours <= 72:
        return "--within-days must be from 1 to 366 and --at-risk-hours from 1 to 72"
    if not 0 <= args.threshold <= 10_000:
        return "--threshold must be from 0 to 10000"
    if args.day is not None or args.week is not None:
        try:
            parse_period(args.day, args.week)
        except ValueError as exc:
            return f"--day/--week: {exc}"
    for name in ("since", "until"):
        try:
            dt.date.fromisoformat(getattr(args, name) or "2000-01-01")
        except ValueError:
            return f"--{name} must be a date as YYYY-MM-DD"
    if args.month is not None:
        try:
            month_bounds(args.month)
        except ValueError as exc:
            return f"--month: {exc}"
    return None


def render(args: argparse.Namespace, settings: Settings, now: dt.datetime | None = None) -> str:
    """The report named by `args`, as the text to print."""
    report = REPORTS[args.name][0](args, settings, now or dt.datetime.now(dt.UTC))
    if args.csv or args.excel:
        return as_csv(report, excel=args.excel)
    return as_table(report)
