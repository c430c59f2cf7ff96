"""The rules' refusals on the staff pages: every code the rule modules raise has its sentence in French and in
English with the same placeholders, each filled by the params given where it is raised; a refusal is said in the
user's language without a word of English, and one without a code in the rules' own words."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inventory import lifecycle, lifecycle_inputs, ticket_rules
from inventory.appointment_booking import BookingRefused
from inventory.appointment_rules import Visit, WorkingHours, fit_problem, fit_reason
from inventory.appointments import CHECKLIST
from inventory.equipment import Equipment
from inventory.errors import InvalidRecord
from inventory.lifecycle_plans import Item, Refused, Rules
from inventory.refusals import Reason, because, field_problem
from inventory.transitions import TransitionRefused
from provisioner.api.transition_inputs import InputsRefused, parse_inputs
from provisioner.quarantine_claims import ClaimRefused, record_problems
from provisioner.resync_queueing import ResyncRefused
from provisioner.web.messages import CATALOGUE, Translator
from provisioner.web.refusals import RefusalWords

ROOT = Path(__file__).resolve().parents[3]
PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
RULES = Rules(replacement_deadline=lambda moment: moment, return_due=lambda day: day,
              today=lambda moment: moment.date())

#: The modules that raise refusals, by the subject their params speak of (provisioner/web/refusals.py).
RULE_MODULES = {
    "equipment": ("inventory/lifecycle.py", "inventory/lifecycle_effects.py", "inventory/lifecycle_inputs.py",
                  "inventory/transitions.py", "provisioner/lifecycle_rules.py", "inventory/versioned.py",
                  "inventory/equipment.py", "provisioner/api/fields.py"),
    "ticket": ("inventory/ticket_rules.py", "inventory/ticket_moves.py"),
    "resync": ("provisioner/resync_queueing.py",),
    "appointment": ("inventory/appointment_rules.py", "inventory/appointment_booking.py",
                    "inventory/installation_completion.py", "inventory/appointments.py"),
    "quarantine": ("provisioner/quarantine_claims.py",),
}
#: The modules that give only fields' problems: a record's own checks, the reading of a request's values.
PROBLEMS_ONLY = {"inventory/lifecycle_inputs.py", "inventory/versioned.py", "inventory/equipment.py",
                 "inventory/appointments.py", "provisioner/api/fields.py"}
REFUSALS = ("Refused", "TransitionRefused", "TicketRefused", "ResyncRefused", "BookingRefused", "ClaimRefused")
#: Words of English that no French sentence of these pages holds.
ENGLISH = re.compile(r"\b(the|cannot|is|not|allowed|expected|required|needs|no|of|at|most|item|with|was|now|"
                     r"inputs?|records?|later|than|future)\b", re.IGNORECASE)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def calls(path: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse((ROOT / path).read_text())) if isinstance(node, ast.Call)]


def called(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def raised(function: str) -> list[tuple[str, str, str, frozenset[str]]]:
    """Each `because` or `field_problem` call of the rule modules: subject, module, code, the params' names."""
    found = []
    for subject, paths in RULE_MODULES.items():
        for path in paths:
            for call in calls(path):
                if called(call) == function:
                    code = call.args[0].value if isinstance(call.args[0], ast.Constant) else None
                    found.append((subject, path, code, frozenset(k.arg for k in call.keywords)))
    return found


REASONS = raised("because")
PROBLEMS = raised("field_problem")


def test_the_rule_modules_are_read() -> None:
    assert {path for _, path, _, _ in REASONS} >= {path for paths in RULE_MODULES.values() for path in paths} - (
        PROBLEMS_ONLY)
    assert {path for _, path, _, _ in PROBLEMS} >= {"inventory/lifecycle.py", "inventory/ticket_rules.py",
                                                    "inventory/ticket_moves.py", *PROBLEMS_ONLY}


def check_texts(key: str, path: str, code: str | None, params: set[str]) -> None:
    """The catalogue's FR and EN texts of `key` exist, with the same placeholders, all filled by `params`."""
    assert code is not None, f"{path}: a code must be written out, so that this table sees it"
    assert key in CATALOGUE["fr"] and key in CATALOGUE["en"]
    assert placeholders(CATALOGUE["fr"][key]) == placeholders(CATALOGUE["en"][key])
    assert placeholders(CATALOGUE["fr"][key]) <= params, f"{path} gives {sorted(params)}"


@pytest.mark.parametrize(("subject", "path", "code", "params"), REASONS,
                         ids=[f"{subject}.{code}" for subject, _, code, _ in REASONS])
def test_every_refusal_code_has_its_sentence_in_both_languages(subject, path, code, params) -> None:
    check_texts(f"refusal.{subject}.{code}", path, code, params)


@pytest.mark.parametrize(("subject", "path", "code", "params"), PROBLEMS,
                         ids=[f"{path.split('/')[-1]}:{code}" for _, path, code, _ in PROBLEMS])
def test_every_field_problem_code_has_its_text_in_both_languages(subject, path, code, params) -> None:
    check_texts(f"problem.{code}", path, code, params)


@pytest.mark.parametrize("path", [path for paths in RULE_MODULES.values() for path in paths])
def test_no_refusal_of_the_rules_is_given_as_bare_english(path) -> None:
    """A refusal, or a field's problem, written as plain text would reach the French pages in English."""
    bare = []
    for call in calls(path):
        if called(call) in REFUSALS and len(call.args) > 1:
            if isinstance(call.args[1], (ast.Constant, ast.JoinedStr)):
                bare.append(f"line {call.lineno}: {called(call)}")
            given = [*call.args, *(keyword.value for keyword in call.keywords)]
            for mapping in (value for value in given if isinstance(value, ast.Dict)):  # the fields
                bare += [f"line {call.lineno}: field" for value in mapping.values
                         if isinstance(value, (ast.Constant, ast.JoinedStr))]
    assert bare == []


LABELLED = [*lifecycle_inputs.INPUTS, *ticket_rules.INPUTS, *ticket_rules.OPENING_REQUIRED,
            *ticket_rules.OPENING_OPTIONAL, "idempotency_key"]


@pytest.mark.parametrize("language", sorted(CATALOGUE))
def test_every_input_move_and_inspection_result_has_its_words(language: str) -> None:
    texts = CATALOGUE[language]
    assert [name for name in LABELLED if f"field.{name}" not in texts] == []
    assert [name for name in (*lifecycle.MOVES, *lifecycle.RECORDS) if f"timeline.move.{name}" not in texts] == []
    assert [name for name in lifecycle_inputs.INSPECTION_RESULTS if f"inspection.{name}" not in texts] == []


def refusal_of(item: Item, move: str, given: dict, roles: tuple[str, ...] = ("admin",)) -> Refused:
    with pytest.raises(Refused) as caught:
        lifecycle.plan(item, move, given, roles, NOW, RULES)
    return caught.value


def ticket_refusal(ticket: ticket_rules.Ticket, move: str, given: dict, roles=("support",)) -> ticket_rules.Refused:
    with pytest.raises(ticket_rules.Refused) as caught:
        ticket_rules.plan(ticket, move, given, roles, NOW, ticket_rules.Rules(lambda since: since))
    return caught.value


EQUIPMENT_CASES = [
    (Item("in_stock", "lent"), "ship", {}, (),
     "étape « Expédition » impossible : l'équipement est en stock ; étapes possibles maintenant : Préparation",
     {}),
    (Item("staged", "lent"), "ship", {"carrier": "x" * 81, "tracking_number": "1Z", "accessories": [3]}, (),
     "étape « Expédition » : des champs manquent ou ne conviennent pas (Transporteur, Accessoires)",
     {"carrier": "80 caractères au plus", "accessories": "une liste de noms est attendue"}),
    (Item("staged", "lent"), "ship", {"carrier": "DHL", "weight": 3}, (),
     "étape « Expédition » : des champs manquent ou ne conviennent pas (N° de suivi, weight)",
     {"tracking_number": "obligatoire", "weight": "ce n'est pas une donnée de « Expédition »"}),
    (Item("shipped", "sold"), "deliver", {"proof": "signed", "delivered_at": NOW + dt.timedelta(hours=1)}, (),
     "« Livré le » ne peut pas être dans le futur", {"delivered_at": "ne peut pas être dans le futur"}),
    (Item("return_due", "lent", return_due_on=dt.date(2026, 6, 8)), "mark_overdue", {}, (),
     "pas encore en retard (retour prévu : 08/06/2026)", {}),
    (Item("inspected", "lent", inspection_result="repair"), "restock", {}, (),
     "étape « Remise en stock » impossible : le contrôle l'a jugé à réparer ; reconditionnez-le ou mettez-le au "
     "rebut d'abord", {}),
    (Item("in_service", "lent"), "pay_setup_fees", {}, (),
     "l'étape « Frais de mise en service payés » ne concerne qu'un équipement vendu ; celui-ci est prêté", {}),
    (Item("returned", "lent"), "check_in", {"condition": "broken"}, ("technician",),
     "l'étape « Retour réceptionné » est réservée aux rôles : administration, entrepôt", {}),
    (Item("failed", "lent"), "check_in", {"condition": "broken"}, (),
     "étape « Retour réceptionné » : des champs manquent ou ne conviennent pas (État au retour)",
     {"condition": "une valeur parmi les suivantes est attendue : fonctionne, endommagé, ne fonctionne pas"}),
]


@pytest.mark.parametrize(("item", "move", "given", "roles", "said", "fields"), EQUIPMENT_CASES,
                         ids=[f"{case[1]}-{n}" for n, case in enumerate(EQUIPMENT_CASES)])
def test_a_lifecycle_refusal_is_said_in_french_without_english(item, move, given, roles, said, fields) -> None:
    refused = refusal_of(item, move, given, roles or ("admin",))
    words = RefusalWords(Translator("fr"), "equipment", PARIS)
    assert refused.code is not None
    assert words.refusal(refused) == said and ENGLISH.findall(said) == []
    assert words.problems(refused.problems) == fields
    assert all(ENGLISH.findall(text) == [] for text in fields.values())
    english = RefusalWords(Translator("en"), "equipment", PARIS).refusal(refused)
    assert english and english != said


def test_a_ticket_refusal_is_said_in_french_without_english() -> None:
    words = RefusalWords(Translator("fr"), "ticket", PARIS)
    restored = ticket_rules.Ticket("restored", NOW - dt.timedelta(hours=2), NOW)
    wrong = ticket_refusal(restored, "ask_customer", {"question": "Allumé ?"})
    assert (wrong.code, wrong.params["state"]) == ("wrong_state", "restored")
    assert words.refusal(wrong) == "action « Questionner le client » impossible sur un ticket rétabli"
    waiting = ticket_rules.Ticket("waiting_customer", NOW, NOW, auto_close_at=NOW + dt.timedelta(hours=3))
    early = ticket_refusal(waiting, "auto_close", {}, roles=(ticket_rules.SYSTEM,))
    assert words.refusal(early) == ("action « Clore sans réponse » impossible : le client peut encore répondre, "
                                    "jusqu'au 03/03/2026 13:00")
    opened = ticket_rules.Ticket("open", NOW - dt.timedelta(hours=2), NOW)
    future = ticket_refusal(opened, "restore", {"confirmation": "ok", "restored_at": NOW + dt.timedelta(hours=1)})
    assert words.refusal(future) == "« Rétabli le » ne peut pas être dans le futur"
    assert words.problems(future.problems) == {"restored_at": "ne peut pas être dans le futur"}
    for refused in (wrong, early, future):
        assert ENGLISH.findall(words.refusal(refused)) == []
    problems = ticket_rules.opening_problems({"service": "fax", "channel": "phone", "color": "red"}, NOW)
    assert words.problems(problems) == {
        "customer": "obligatoire", "site": "obligatoire", "notified_at": "obligatoire", "description": "obligatoire",
        "color": "champ inconnu ; champs attendus : Client, Site, Service en panne, Canal, Notification reçue le, "
                 "Description, Équipement",
        "service": "une valeur parmi les suivantes est attendue : téléphonie, internet, équipement"}


def test_a_nested_refusal_is_said_in_its_own_subject() -> None:
    inner = refusal_of(Item("in_stock", "lent"), "note_failure", {"description": "dead"})
    outer = ticket_rules.Refused(409, because("failure_not_noted", "could not be noted", serial="WH-1", cause=inner))
    assert RefusalWords(Translator("fr"), "ticket", PARIS).refusal(outer) == (
        "la panne de l'équipement WH-1 n'a pas pu être notée : étape « Panne signalée » impossible : "
        "l'équipement est en stock ; étapes possibles maintenant : Préparation")


def test_a_refusal_without_a_code_is_said_in_the_rules_words() -> None:
    refused = Refused(409, "something only the rules can say", fields={"site": "odd", "lines": Reason(
        "required", "required")})
    words = RefusalWords(Translator("fr"), "equipment", PARIS)
    assert (refused.code, refused.params) == (None, {})
    assert words.refusal(refused) == "something only the rules can say"
    assert words.problems(refused.problems) == {"site": "odd", "lines": "obligatoire"}
    assert refused.fields == {"site": "odd", "lines": "required"}  # what the API answers


def test_the_english_message_and_fields_are_those_of_the_api() -> None:
    refused = refusal_of(Item("shipped", "sold"), "deliver", {"proof": "x", "delivered_at": NOW + dt.timedelta(1)})
    assert (refused.message, refused.fields) == ("delivered_at cannot be in the future",
                                                 {"delivered_at": "later than now"})
    resync = ResyncRefused(503, because("sip_off", "the SIP core is disabled"))
    assert (resync.status, resync.message, resync.code) == (503, "the SIP core is disabled", "sip_off")


def test_an_appointment_refusal_is_said_in_french_without_english() -> None:
    words = RefusalWords(Translator("fr"), "appointment", PARIS)
    hours = WorkingHours.parse({"mon": "08:00-18:00"})
    sunday = Visit(dt.datetime(2026, 3, 8, 10, 0, tzinfo=PARIS), dt.timedelta(hours=1))
    late = Visit(dt.datetime(2026, 3, 9, 17, 30, tzinfo=PARIS), dt.timedelta(hours=1), dt.timedelta(minutes=30))
    refused = BookingRefused(422, because("does_not_fit", "cannot book Tina then", technician="Tina",
                                          why=fit_reason(late, hours, "57")))
    assert str(fit_reason(sunday, hours, "57")) == fit_problem(sunday, hours, "57")
    assert words.reason(fit_reason(sunday, hours, "57")) == "le technicien ne travaille pas le dimanche 08/03/2026"
    assert words.refusal(refused) == ("impossible de réserver Tina à ce moment : de 17:00 à 19:00 avec les trajets, "
                                      "hors des horaires du technicien (08:00-18:00) le 09/03/2026")
    stuck = [because("item_is", "KIM-1 is in_stock", serial="KIM-1", item_state="in_stock")]
    closed = BookingRefused(409, because("not_ready", "cannot be completed", stuck=stuck),
                            {"items": field_problem("checklist_items", "expected", items=CHECKLIST)})
    assert words.refusal(closed) == ("l'installation ne peut pas être terminée : KIM-1 est en stock (livré, installé "
                                     "ou en service attendu)")
    assert words.problems(closed.problems) == {
        "items": "des étapes parmi les suivantes sont attendues : Configuration, Raccordement, Tests, Réception par "
                 "le client"}
    for said in (words.refusal(refused), words.refusal(closed)):
        assert ENGLISH.findall(said) == []
    assert (closed.message, closed.fields) == ("cannot be completed", {"items": "expected"})  # what the API answers


def test_a_refused_claim_keeps_the_records_english_and_is_said_in_french() -> None:
    problems = record_problems({"serial": "expected 3 to 64 letters", "model": "String value is too long",
                                "vendor": "unknown vendor"}, {"serial": "!x", "model": "m" * 41, "vendor": "?"})
    refused = ClaimRefused(problems)
    assert (str(refused), refused.status) == ("some fields are not valid", 422)
    assert refused.fields == {"serial": "expected 3 to 64 letters", "model": "String value is too long",
                              "vendor": "unknown vendor"}
    said = RefusalWords(Translator("fr"), "quarantine", PARIS).problems(refused.problems)
    assert said["model"] == "40 caractères au plus" and said["serial"].startswith("de 3 à 64 lettres")
    assert said["vendor"] == "unknown vendor"  # no code: the record's own words


def test_a_records_own_problems_keep_their_english_and_are_said_in_french() -> None:
    item = Equipment(serial="SN-1", mac="00:15:65", vendor="yealink", model="T99", ownership="rented")
    with pytest.raises(InvalidRecord) as caught:
        item.check()
    invalid = caught.value
    assert invalid.fields["model"].startswith("unknown yealink model 'T99'")  # what the API answers, unchanged
    assert all(isinstance(text, str) for text in invalid.fields.values())
    said = RefusalWords(Translator("fr"), "equipment", PARIS).problems(invalid.problems)
    assert said == {
        "mac": "une adresse MAC de téléphone est attendue : 12 chiffres hexadécimaux, non tous nuls",
        "model": "modèle inconnu chez yealink ; modèles possibles : T43U, T46U, T48U, T53W, T54W, T57W",
        "ownership": "une valeur parmi les suivantes est attendue : prêté, vendu",
        "admin_password_enc": "obligatoire"}
    assert all(ENGLISH.findall(text) == [] for text in said.values())
    refused = TransitionRefused(422, because("invalid_record", "stage would leave the item invalid", move="stage"),
                                "in_stock", fields=InvalidRecord({"lines": field_problem(
                                    "lines_of_other_customer", "every line must belong to ...")}).problems)
    words = RefusalWords(Translator("fr"), "equipment", PARIS)
    assert words.refusal(refused) == "l'étape « Préparation » rendrait la fiche de l'équipement incohérente"
    assert words.problems(refused.problems) == {
        "lines": "chaque ligne doit appartenir au client du site de l'équipement"}


def test_unreadable_inputs_keep_the_apis_english_and_are_said_in_french() -> None:
    kinds = {"delivered_at": "datetime", "contract_end": "date", "costs_cents": "integer", "replaces": "ref"}
    with pytest.raises(InputsRefused) as caught:
        parse_inputs({"delivered_at": "2026-03-03T10:00", "contract_end": "soon", "costs_cents": "12",
                      "replaces": "abc"}, kinds)
    refused = caught.value
    assert (refused.status_code, refused.message) == (422, "some inputs are not valid")
    assert refused.fields == {  # what the API answers, unchanged
        "delivered_at": "the date and time needs its time zone, such as Z or +01:00",
        "contract_end": "expected a date as YYYY-MM-DD", "costs_cents": "expected an integer, got str",
        "replaces": "expected a record id of 24 hexadecimal digits"}
    said = RefusalWords(Translator("fr"), "equipment", PARIS).problems(refused.problems)
    assert said == {
        "delivered_at": "la date et l'heure doivent avoir leur fuseau horaire (Z ou +01:00 par exemple)",
        "contract_end": "une date est attendue", "costs_cents": "un nombre entier est attendu",
        "replaces": "un identifiant d'enregistrement de 24 chiffres hexadécimaux est attendu"}
    assert all(ENGLISH.findall(text) == [] for text in said.values())
