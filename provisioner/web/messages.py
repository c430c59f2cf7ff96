"""The staff pages' message catalogue: every visible text, in French (the default) and English."""

from __future__ import annotations

from inventory.passwords import MAX_LENGTH, MIN_LENGTH
from provisioner.web import refusal_texts as refusals
from provisioner.web.admin import texts as admin
from provisioner.web.installations import texts as installations
from provisioner.web.support import texts as support
from provisioner.web.warehouse import texts as warehouse

DEFAULT_LANGUAGE = "fr"

FR: dict[str, str] = {
    "app.name": "Provisioning et parc", "skip": "Aller au contenu", "nav.label": "Navigation principale",
    "nav.home": "Accueil", "group.warehouse": "Entrepôt", "group.installations": "Interventions",
    "group.support": "Support", "group.admin": "Administration", "group.account": "Mon compte",
    "ownership.lent": "prêté", "ownership.sold": "vendu", "pager.previous": "Page précédente",
    "pager.next": "Page suivante", "pager.pages": "Pages",
    "nav.warehouse": "Tableau de bord de l'entrepôt", "nav.users": "Utilisateurs",
    "nav.preferences": "Langue", "nav.password": "Mot de passe", "signed_in_as": "Connecté : {name}",
    "sign_out": "Se déconnecter",
    "login.title": "Connexion", "login.username": "Nom d'utilisateur", "login.password": "Mot de passe",
    "login.submit": "Se connecter", "login.wrong": "Nom d'utilisateur ou mot de passe incorrect.",
    "login.missing": "Saisissez votre nom d'utilisateur et votre mot de passe.",
    "logout.done": "Vous êtes déconnecté.",
    "password.title": "Changer de mot de passe",
    "password.one_time": "Votre mot de passe est à usage unique : choisissez-en un nouveau pour continuer.",
    "password.current": "Mot de passe actuel", "password.new": "Nouveau mot de passe",
    "password.confirm": "Confirmez le nouveau mot de passe",
    "password.hint": "Au moins {min} caractères ; pas seulement des chiffres ; pas un mot de passe courant.",
    "password.submit": "Changer le mot de passe", "password.done": "Votre mot de passe a été changé.",
    "password.wrong_current": "Le mot de passe actuel est incorrect.",
    "password.missing": "Saisissez le nouveau mot de passe.",
    "password.same": "Le nouveau mot de passe doit être différent de l'actuel.",
    "password.mismatch": "Les deux saisies du nouveau mot de passe ne sont pas identiques.",
    "password.policy": "Le nouveau mot de passe est refusé : {detail}",
    "preferences.title": "Langue des pages", "preferences.language": "Langue",
    "preferences.submit": "Enregistrer", "preferences.done": "Langue enregistrée.",
    "preferences.invalid": "Choisissez l'une des langues proposées.",
    "language.fr": "Français", "language.en": "English",
    "home.title": "Accueil", "home.intro": "Bonjour {name}. Voici ce que vous pouvez faire :",
    "home.roles": "Vos rôles : {roles}",
    "home.warehouse": "Voir le parc par état, les retours en retard, les remplacements en risque et les assurances manquantes.",
    "home.preferences": "Choisir la langue des pages.", "home.password": "Changer votre mot de passe.",
    "role.admin": "administration", "role.support": "support", "role.warehouse": "entrepôt",
    "role.technician": "technicien",
    "warehouse.title": "Tableau de bord de l'entrepôt", "warehouse.by_state": "Équipements par état",
    "warehouse.chart_desc": "Diagramme en barres du nombre d'équipements dans chaque état ; les mêmes chiffres sont dans le tableau qui suit.",
    "warehouse.state": "État", "warehouse.count": "Nombre", "warehouse.total": "Total",
    "warehouse.overdue": "Retours en retard", "warehouse.replacements": "Remplacements en risque (72 heures)",
    "warehouse.insurance": "Assurance manquante ou à renouveler", "warehouse.none": "Aucun.",
    "warehouse.count_of": "{count} au total",
    "col.serial": "N° de série", "col.customer": "Client", "col.site": "Site", "col.state": "État",
    "col.due_on": "Retour prévu le", "col.days_late": "Jours de retard", "col.status": "Statut",
    "col.due_at": "Remplacement dû le", "col.hours_left": "Heures restantes", "col.lent_items": "Équipements prêtés",
    "col.expires_on": "Expire le",
    "status.at_risk": "en risque", "status.breached": "dépassé", "status.missing": "manquante",
    "status.expired": "expirée", "status.not_started": "pas encore commencée", "status.expiring": "expire bientôt",
    "yes": "oui", "no": "non", "table.scroll": "Tableau défilant horizontalement",
    "error.title": "Erreur {status}", "error.back": "Revenir à l'accueil",
    "error.403": "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : {roles}.",
    "error.xsrf": "Ce formulaire a été refusé : son jeton de sécurité (XSRF) manque ou ne correspond pas. Rechargez la page et recommencez.",
    "error.404": "Cette page n'existe pas.", "error.400": "La requête n'est pas valide.",
    "error.500": "Le serveur n'a pas pu traiter cette page ; l'erreur a été consignée.",
    "date.format": "%d/%m/%Y", "datetime.format": "%d/%m/%Y %H:%M",
    "nav.returns": "Retours : scanner", "home.returns": "Scanner les équipements qui reviennent et les réceptionner, avec leurs frais.",
    "returns.title": "Retours : scanner", "returns.intro": "Scannez chaque équipement qui revient (n° de série, adresse MAC ou étiquette) : le lecteur valide avec Entrée. Cochez ce qui est revenu, choisissez l'état, vérifiez les frais, puis validez le lot.",
    "returns.scan": "Code scanné", "returns.scan_hint": "N° de série, adresse MAC ou étiquette (EQ:…), {max} caractères au plus.",
    "returns.add": "Ajouter au lot", "returns.batch": "Lot en cours : {count} sur {max} au plus",
    "returns.empty": "Le lot est vide : scannez un premier équipement.",
    "returns.review": "Recalculer les frais", "returns.submit": "Valider le lot", "returns.new": "Commencer un nouveau lot",
    "returns.again": "Revoir ce lot",
    "returns.added": "{scan} ajouté au lot.", "returns.duplicate": "{scan} est déjà dans le lot.",
    "returns.too_long": "Ce code est trop long : {max} caractères au plus.",
    "returns.full": "Le lot est complet ({max} équipements) : validez-le avant d'en scanner d'autres.",
    "returns.nothing_to_submit": "Le lot est vide : rien à valider.",
    "returns.unknown": "Aucun équipement n'a ce n° de série, cette adresse MAC ou cette étiquette : {scan}.",
    "returns.wrong_state": "Retour impossible : cet équipement est {state}. Un retour n'est possible que s'il est : {states}.",
    "returns.refused": "Retour refusé : {reason}",
    "returns.result.unknown": "Inconnu", "returns.result.refused": "Refusé", "returns.result.ready": "Accepté",
    "returns.result.already": "Déjà réceptionné par ce lot", "returns.result.done": "Réceptionné",
    "returns.result.repeated": "Déjà réceptionné par ce lot, rien n'a changé",
    "returns.not_sent": "Non envoyé.", "returns.shipped": "Expédié avec : {names}", "returns.nothing_shipped": "Aucun accessoire expédié.",
    "returns.condition_of": "État de {serial}", "returns.returned_of": "Accessoires rendus avec {serial}",
    "returns.no_charge": "Aucun frais.", "returns.total": "Total des frais", "returns.charges_to_come": "Frais prévus",
    "returns.results": "Résultat du lot", "returns.summary": "{done} réceptionné(s) sur {count}.",
    "returns.charges_written": "Frais enregistrés",
    "col.scan": "Code scanné", "col.result": "Résultat", "col.accessories": "Accessoires revenus",
    "col.condition": "État au retour", "col.charges": "Frais",
    "condition.working": "fonctionne", "condition.damaged": "endommagé", "condition.not_working": "ne fonctionne pas",
    "money": "{euros},{cents} €",
    "state.in_stock": "en stock", "state.staged": "préparé", "state.shipped": "expédié", "state.delivered": "livré",
    "state.installed": "installé", "state.in_service": "en service", "state.failed": "en panne",
    "state.returned": "retourné", "state.inspected": "contrôlé", "state.refurbishing": "en reconditionnement",
    "state.scrapped": "mis au rebut", "state.return_due": "retour attendu", "state.overdue": "en retard",
    "state.repossession": "en reprise", "state.lost": "perdu", "state.stolen": "volé",
}

EN: dict[str, str] = {
    "app.name": "Provisioning and equipment", "skip": "Skip to content", "nav.label": "Main navigation",
    "nav.home": "Home", "group.warehouse": "Warehouse", "group.installations": "Installations",
    "group.support": "Support", "group.admin": "Administration", "group.account": "My account",
    "ownership.lent": "lent", "ownership.sold": "sold", "pager.previous": "Previous page",
    "pager.next": "Next page", "pager.pages": "Pages",
    "nav.warehouse": "Warehouse dashboard", "nav.users": "Users", "nav.preferences": "Language",
    "nav.password": "Password", "signed_in_as": "Signed in: {name}", "sign_out": "Sign out",
    "login.title": "Sign in", "login.username": "User name", "login.password": "Password", "login.submit": "Sign in",
    "login.wrong": "Wrong user name or password.", "login.missing": "Enter your user name and your password.",
    "logout.done": "You are signed out.",
    "password.title": "Change password",
    "password.one_time": "Your password is a one-time password: choose a new one to continue.",
    "password.current": "Current password", "password.new": "New password",
    "password.confirm": "Confirm the new password",
    "password.hint": "At least {min} characters; not only digits; not a common password.",
    "password.submit": "Change the password", "password.done": "Your password has been changed.",
    "password.wrong_current": "The current password is wrong.", "password.missing": "Enter the new password.",
    "password.same": "The new password must differ from the current one.",
    "password.mismatch": "The two entries of the new password differ.",
    "password.policy": "The new password is refused: {detail}",
    "preferences.title": "Language of the pages", "preferences.language": "Language", "preferences.submit": "Save",
    "preferences.done": "Language saved.", "preferences.invalid": "Choose one of the languages offered.",
    "language.fr": "Français", "language.en": "English",
    "home.title": "Home", "home.intro": "Hello {name}. Here is what you can do:", "home.roles": "Your roles: {roles}",
    "home.warehouse": "See the equipment by state, overdue returns, replacements at risk and missing insurance.",
    "home.preferences": "Choose the language of the pages.",
    "home.password": "Change your password.",
    "role.admin": "admin", "role.support": "support", "role.warehouse": "warehouse", "role.technician": "technician",
    "warehouse.title": "Warehouse dashboard", "warehouse.by_state": "Equipment by state",
    "warehouse.chart_desc": "Bar chart of how many items are in each state; the same figures are in the table that follows.",
    "warehouse.state": "State", "warehouse.count": "Count", "warehouse.total": "Total",
    "warehouse.overdue": "Overdue returns", "warehouse.replacements": "Replacements at risk (72 hours)",
    "warehouse.insurance": "Insurance missing or to renew", "warehouse.none": "None.",
    "warehouse.count_of": "{count} in all",
    "col.serial": "Serial", "col.customer": "Customer", "col.site": "Site", "col.state": "State",
    "col.due_on": "Due back on", "col.days_late": "Days late", "col.status": "Status",
    "col.due_at": "Replacement due", "col.hours_left": "Hours left", "col.lent_items": "Lent items",
    "col.expires_on": "Expires on",
    "status.at_risk": "at risk", "status.breached": "breached", "status.missing": "missing",
    "status.expired": "expired", "status.not_started": "not started", "status.expiring": "expiring",
    "yes": "yes", "no": "no", "table.scroll": "Table, scrolls sideways",
    "error.title": "Error {status}", "error.back": "Back to the home page",
    "error.403": "You may not open this page. It is for the roles: {roles}.",
    "error.xsrf": "This form was refused: its security token (XSRF) is missing or does not match. Reload the page and try again.",
    "error.404": "This page does not exist.", "error.400": "The request is not valid.",
    "error.500": "The server failed to handle this page; the error has been logged.",
    "date.format": "%Y-%m-%d", "datetime.format": "%Y-%m-%d %H:%M",
    "nav.returns": "Returns: scan", "home.returns": "Scan the equipment coming back and check it in, with its charges.",
    "returns.title": "Returns: scan", "returns.intro": "Scan each item coming back (serial, MAC address or label): the scanner ends with Enter. Tick what came back, choose the condition, check the charges, then submit the batch.",
    "returns.scan": "Scanned code", "returns.scan_hint": "Serial, MAC address or label (EQ:…), at most {max} characters.",
    "returns.add": "Add to the batch", "returns.batch": "Batch so far: {count} of at most {max}",
    "returns.empty": "The batch is empty: scan a first item.",
    "returns.review": "Work out the charges again", "returns.submit": "Submit the batch", "returns.new": "Start a new batch",
    "returns.again": "Review this batch",
    "returns.added": "{scan} added to the batch.", "returns.duplicate": "{scan} is already in the batch.",
    "returns.too_long": "This code is too long: at most {max} characters.",
    "returns.full": "The batch is full ({max} items): submit it before scanning more.",
    "returns.nothing_to_submit": "The batch is empty: nothing to submit.",
    "returns.unknown": "No equipment has this serial, MAC address or label: {scan}.",
    "returns.wrong_state": "Cannot be returned: this item is {state}. A return is possible only when it is: {states}.",
    "returns.refused": "Return refused: {reason}",
    "returns.result.unknown": "Unknown", "returns.result.refused": "Refused", "returns.result.ready": "Accepted",
    "returns.result.already": "Already checked in by this batch", "returns.result.done": "Checked in",
    "returns.result.repeated": "Already checked in by this batch, nothing changed",
    "returns.not_sent": "Not sent.", "returns.shipped": "Shipped with: {names}", "returns.nothing_shipped": "No accessory shipped.",
    "returns.condition_of": "Condition of {serial}", "returns.returned_of": "Accessories back with {serial}",
    "returns.no_charge": "No charge.", "returns.total": "Total charges", "returns.charges_to_come": "Charges to come",
    "returns.results": "Result of the batch", "returns.summary": "{done} of {count} checked in.",
    "returns.charges_written": "Charges written",
    "col.scan": "Scanned code", "col.result": "Result", "col.accessories": "Accessories back",
    "col.condition": "Condition", "col.charges": "Charges",
    "condition.working": "working", "condition.damaged": "damaged", "condition.not_working": "not working",
    "money": "€{euros}.{cents}",
    "state.in_stock": "in stock", "state.staged": "staged", "state.shipped": "shipped", "state.delivered": "delivered",
    "state.installed": "installed", "state.in_service": "in service", "state.failed": "failed",
    "state.returned": "returned", "state.inspected": "inspected", "state.refurbishing": "refurbishing",
    "state.scrapped": "scrapped", "state.return_due": "return due", "state.overdue": "overdue",
    "state.repossession": "repossession", "state.lost": "lost", "state.stolen": "stolen",
}

#: French for the password policy's refusals (inventory/passwords.py says them in English).
POLICY_FR: dict[str, str] = {
    f"Password is too short: expected at least {MIN_LENGTH} characters": f"il est trop court, il faut au moins {MIN_LENGTH} caractères",
    f"Password is too long: expected at most {MAX_LENGTH} characters": f"il est trop long, au plus {MAX_LENGTH} caractères",
    "Password is made only of digits: expected letters or symbols as well": "il n'a que des chiffres, ajoutez des lettres ou des symboles",
    "Password repeats a single character: expected a mix of characters": "il répète un seul caractère, mélangez les caractères",
    "Password is one of the most common passwords: expected one that is hard to guess": "c'est l'un des mots de passe les plus courants, choisissez-en un difficile à deviner",
}

#: French for the reasons of the lifecycle's charges (inventory/lifecycle_effects.py, `check_in_charges`, says
#: them in English): the start of the reason, and what it becomes; the rest (an accessory's name) is kept.
CHARGE_REASONS_FR: dict[str, str] = {
    "missing accessory: ": "accessoire manquant : ", "returned damaged": "rendu endommagé",
    "returned not working, no failure reported": "rendu hors d'usage sans panne signalée",
}

#: The areas' own texts, and the rules' refusals (refusal_texts.py), joined to the shared ones above.
AREAS = (warehouse, installations, support, admin, refusals)


def joined(language: str, shared: dict[str, str]) -> dict[str, str]:
    """The shared texts and every area's texts in `language`; a key defined twice is a mistake, refused at import."""
    texts = dict(shared)
    for area in AREAS:
        own = getattr(area, language.upper())
        twice = texts.keys() & own.keys()
        if twice:
            raise ValueError(f"staff page texts defined twice in {area.__name__}: {sorted(twice)}")
        texts.update(own)
    return texts


CATALOGUE = {"fr": joined("fr", FR), "en": joined("en", EN)}


def language_of(choice: str | None) -> str:
    """A supported language code: `choice` when it is one, else French."""
    return choice if choice in CATALOGUE else DEFAULT_LANGUAGE


class Translator:
    """The texts of one language: `t("key", name=...)` formats the entry; a missing key raises KeyError."""

    def __init__(self, language: str):
        self.language = language_of(language)
        self._texts = CATALOGUE[self.language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts[key]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether the catalogue has `key` (for values that may or may not have a text, such as a field's name)."""
        return key in self._texts

    def policy(self, detail: str) -> str:
        """The password policy's refusal `detail` in this language."""
        return POLICY_FR.get(detail, detail) if self.language == "fr" else detail

    def charge(self, reason: str) -> str:
        """The reason of a charge line in this language."""
        if self.language == "fr":
            for start, french in CHARGE_REASONS_FR.items():
                if reason.startswith(start):
                    return french + reason[len(start):]
        return reason
