"""The webmail's words in French and English, chosen from the browser's Accept-Language.

Owns: the catalogue (one entry per message key, every language filled in, checked by the
tests), ``negotiate`` (RFC 9110 §12.5.4 language ranges with q-values; a range matches a tag
or its prefix, RFC 4647 §3.3.1 basic filtering) and ``Translator``, which templates call as
``t("key", name=value)``.

Must not: read requests or cookies (the app passes the header), or hold state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

CATALOGUE: Mapping[str, Mapping[str, str]] = {
    "app.name": {"en": "courriel webmail", "fr": "webmail courriel"},
    "login.title": {"en": "Log in", "fr": "Connexion"},
    "login.address": {"en": "Email address", "fr": "Adresse électronique"},
    "login.password": {"en": "Password", "fr": "Mot de passe"},
    "login.submit": {"en": "Log in", "fr": "Se connecter"},
    "login.invalid": {
        "en": "Wrong address or password.",
        "fr": "Adresse ou mot de passe incorrect.",
    },
    "login.banned": {
        "en": "Too many failed logins from your address. Try again later.",
        "fr": "Trop d’échecs de connexion depuis votre adresse. Réessayez plus tard.",
    },
    "login.disabled": {"en": "This account is disabled.", "fr": "Ce compte est désactivé."},
    "login.expired": {
        "en": "Your session ended. Please log in again.",
        "fr": "Votre session a pris fin. Veuillez vous reconnecter.",
    },
    "login.form_expired": {
        "en": "The form expired. Please try again.",
        "fr": "Le formulaire a expiré. Veuillez réessayer.",
    },
    "code.title": {"en": "Two-step verification", "fr": "Validation en deux étapes"},
    "code.help": {
        "en": "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
        "fr": "Saisissez le code à 6 chiffres de votre application d’authentification, ou "
        "l’un de vos codes de secours.",
    },
    "code.label": {"en": "Code", "fr": "Code"},
    "code.submit": {"en": "Verify", "fr": "Valider"},
    "code.invalid": {"en": "That code is not valid.", "fr": "Ce code n’est pas valide."},
    "code.too_many": {
        "en": "Too many wrong codes. Please log in again.",
        "fr": "Trop de codes erronés. Veuillez vous reconnecter.",
    },
    "nav.folders": {"en": "Folders", "fr": "Dossiers"},
    "nav.logout": {"en": "Log out", "fr": "Se déconnecter"},
    "nav.account": {"en": "Sessions", "fr": "Sessions"},
    "nav.skip": {"en": "Skip to the messages", "fr": "Aller aux messages"},
    "folder.INBOX": {"en": "Inbox", "fr": "Boîte de réception"},
    "folder.Sent": {"en": "Sent", "fr": "Envoyés"},
    "folder.Drafts": {"en": "Drafts", "fr": "Brouillons"},
    "folder.Trash": {"en": "Trash", "fr": "Corbeille"},
    "folder.Junk": {"en": "Junk", "fr": "Indésirables"},
    "folder.Archive": {"en": "Archive", "fr": "Archives"},
    "folder.unread": {"en": "{count} unread", "fr": "{count} non lu(s)"},
    "list.empty": {"en": "No messages in this folder.", "fr": "Aucun message dans ce dossier."},
    "list.from": {"en": "From", "fr": "De"},
    "list.subject": {"en": "Subject", "fr": "Objet"},
    "list.date": {"en": "Date", "fr": "Date"},
    "list.size": {"en": "Size", "fr": "Taille"},
    "list.attachment": {"en": "Has attachments", "fr": "Contient des pièces jointes"},
    "list.unread": {"en": "Unread", "fr": "Non lu"},
    "list.older": {"en": "Older messages", "fr": "Messages plus anciens"},
    "list.newest": {"en": "Newest messages", "fr": "Messages les plus récents"},
    "list.new_mail": {
        "en": "New mail has arrived. Reload",
        "fr": "Du nouveau courrier est arrivé. Actualiser",
    },
    "list.count": {"en": "{count} message(s)", "fr": "{count} message(s)"},
    "message.no_subject": {"en": "(no subject)", "fr": "(sans objet)"},
    "message.from": {"en": "From", "fr": "De"},
    "message.to": {"en": "To", "fr": "À"},
    "message.cc": {"en": "Cc", "fr": "Cc"},
    "message.date": {"en": "Date", "fr": "Date"},
    "message.attachments": {"en": "Attachments", "fr": "Pièces jointes"},
    "message.download": {"en": "Download", "fr": "Télécharger"},
    "message.images_blocked": {
        "en": "Remote images are blocked to protect your privacy.",
        "fr": "Les images distantes sont bloquées pour protéger votre vie privée.",
    },
    "message.show_images": {"en": "Show images", "fr": "Afficher les images"},
    "message.html_frame": {"en": "Message content", "fr": "Contenu du message"},
    "message.mark_unread": {"en": "Mark as unread", "fr": "Marquer comme non lu"},
    "message.back": {"en": "Back to the list", "fr": "Retour à la liste"},
    "message.empty": {"en": "This message has no text.", "fr": "Ce message n’a pas de texte."},
    "sessions.title": {"en": "Your sessions", "fr": "Vos sessions"},
    "sessions.current": {"en": "this browser", "fr": "ce navigateur"},
    "sessions.started": {"en": "Started", "fr": "Ouverte le"},
    "sessions.last_seen": {"en": "Last used", "fr": "Dernière activité"},
    "sessions.address": {"en": "Address", "fr": "Adresse"},
    "sessions.browser": {"en": "Browser", "fr": "Navigateur"},
    "sessions.logout_others": {
        "en": "Log out my other sessions",
        "fr": "Déconnecter mes autres sessions",
    },
    "sessions.others_ended": {
        "en": "{count} other session(s) ended.",
        "fr": "{count} autre(s) session(s) fermée(s).",
    },
    "error.not_found": {"en": "Not found.", "fr": "Introuvable."},
    "error.forbidden": {
        "en": "This request was refused (the form expired or came from another site). "
        "Go back, reload the page and try again.",
        "fr": "Cette requête a été refusée (le formulaire a expiré ou vient d’un autre site). "
        "Revenez en arrière, rechargez la page et réessayez.",
    },
    "error.server": {
        "en": "Something went wrong on the server.",
        "fr": "Une erreur s’est produite sur le serveur.",
    },
    "error.title": {"en": "Error", "fr": "Erreur"},
}


def negotiate(accept_language: str | None) -> str:
    """The best of ``LANGUAGES`` for an Accept-Language value (RFC 9110 §12.5.4); the
    default when nothing matches or the header is absent or malformed."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_quality = DEFAULT_LANGUAGE, 0.0
    for item in accept_language.split(",")[:32]:
        pieces = item.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if not 0.0 < quality <= 1.0:
            continue
        primary = tag.split("-", 1)[0]
        language = primary if primary in LANGUAGES else None
        if tag == "*":
            language = DEFAULT_LANGUAGE
        # Earlier items win ties: a strictly higher quality is needed to replace.
        if language is not None and quality > best_quality:
            best, best_quality = language, quality
    return best


@dataclass(frozen=True)
class Translator:
    """``t("key", count=3)``: the entry of the catalogue in ``language``, formatted."""

    language: str

    def __call__(self, key: str, **values: object) -> str:
        entry = CATALOGUE.get(key)
        if entry is None:
            return key
        text = entry.get(self.language) or entry[DEFAULT_LANGUAGE]
        return text.format(**values) if values else text

    def folder(self, name: str) -> str:
        """The display name of a mailbox: the default ones translated, others as named."""
        return self(f"folder.{name}") if f"folder.{name}" in CATALOGUE else name
