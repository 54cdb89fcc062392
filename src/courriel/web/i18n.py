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
    # -- area: acting on mail and folders (action_views, folder_views, search_views) --
    "actions.toolbar": {
        "en": "Actions on the selected messages",
        "fr": "Actions sur les messages sélectionnés",
    },
    "actions.select_all": {"en": "Select all", "fr": "Tout sélectionner"},
    "actions.select": {"en": "Select “{subject}”", "fr": "Sélectionner « {subject} »"},
    "actions.read": {"en": "Mark read", "fr": "Marquer comme lu"},
    "actions.unread": {"en": "Mark unread", "fr": "Marquer comme non lu"},
    "actions.flag": {"en": "Flag", "fr": "Suivre"},
    "actions.unflag": {"en": "Unflag", "fr": "Ne plus suivre"},
    "actions.flagged": {"en": "Flagged", "fr": "Suivi"},
    "actions.spam": {"en": "Spam", "fr": "Indésirable"},
    "actions.not_spam": {"en": "Not spam", "fr": "Pas indésirable"},
    "actions.delete": {"en": "Delete", "fr": "Supprimer"},
    "actions.delete_forever": {"en": "Delete for good", "fr": "Supprimer définitivement"},
    "actions.move_to": {"en": "Move to", "fr": "Déplacer vers"},
    "actions.move": {"en": "Move", "fr": "Déplacer"},
    "actions.empty_trash": {"en": "Empty Trash", "fr": "Vider la corbeille"},
    "actions.empty_confirm": {
        "en": "Delete the {count} message(s) in Trash for good? This cannot be undone.",
        "fr": "Supprimer définitivement le(s) {count} message(s) de la corbeille ? "
        "Impossible de revenir en arrière.",
    },
    "actions.confirm_title": {"en": "Please confirm", "fr": "Confirmation"},
    "actions.cancel": {"en": "Cancel", "fr": "Annuler"},
    "actions.back": {"en": "Back", "fr": "Retour"},
    "actions.none_selected": {
        "en": "Select at least one message first.",
        "fr": "Sélectionnez d’abord au moins un message.",
    },
    "actions.bad_selection": {
        "en": "The selection is not valid. Reload the page and try again.",
        "fr": "La sélection n’est pas valide. Rechargez la page et réessayez.",
    },
    "actions.too_many": {
        "en": "Too many messages selected at once.",
        "fr": "Trop de messages sélectionnés à la fois.",
    },
    "actions.unknown": {"en": "Unknown action.", "fr": "Action inconnue."},
    "actions.no_target": {
        "en": "Choose a folder to move to.",
        "fr": "Choisissez un dossier de destination.",
    },
    "actions.same_folder": {
        "en": "The messages are already in that folder.",
        "fr": "Les messages sont déjà dans ce dossier.",
    },
    "actions.not_in_junk": {
        "en": "Only messages in Junk can be marked as not spam.",
        "fr": "Seuls les messages des indésirables peuvent être marqués comme légitimes.",
    },
    "actions.not_trash": {
        "en": "Only Trash can be emptied.",
        "fr": "Seule la corbeille peut être vidée.",
    },
    "actions.no_special_folder": {
        "en": "The folder for this action is missing and its name is taken.",
        "fr": "Le dossier de cette action manque et son nom est déjà pris.",
    },
    "actions.over_quota": {
        "en": "Your mailbox is full: the messages were not moved.",
        "fr": "Votre boîte est pleine : les messages n’ont pas été déplacés.",
    },
    "folders.manage": {"en": "Manage folders", "fr": "Gérer les dossiers"},
    "folders.title": {"en": "Folders", "fr": "Dossiers"},
    "folders.new": {"en": "New folder", "fr": "Nouveau dossier"},
    "folders.create": {"en": "Create", "fr": "Créer"},
    "folders.hint": {
        "en": "Use “{separator}” to make a folder inside another, like Projects{separator}2026.",
        "fr": "Utilisez « {separator} » pour créer un dossier dans un autre, "
        "comme Projets{separator}2026.",
    },
    "folders.name": {"en": "Name", "fr": "Nom"},
    "folders.unread": {"en": "Unread", "fr": "Non lus"},
    "folders.total": {"en": "Messages", "fr": "Messages"},
    "folders.rename": {"en": "Rename", "fr": "Renommer"},
    "folders.new_name": {"en": "New name for {name}", "fr": "Nouveau nom pour {name}"},
    "folders.delete": {"en": "Delete folder", "fr": "Supprimer le dossier"},
    "folders.delete_confirm": {
        "en": "Delete the folder “{name}” and its {count} message(s)? This cannot be undone.",
        "fr": "Supprimer le dossier « {name} » et son/ses {count} message(s) ? "
        "Impossible de revenir en arrière.",
    },
    "folders.name_missing": {"en": "Type a folder name.", "fr": "Saisissez un nom de dossier."},
    "folders.invalid_name": {
        "en": "This folder name is not allowed (no empty level, no * or %, no control "
        "character, at most 1,000 characters).",
        "fr": "Ce nom de dossier n’est pas permis (pas de niveau vide, ni * ni %, ni "
        "caractère de contrôle, 1 000 caractères au plus).",
    },
    "folders.exists": {
        "en": "A folder with this name exists already.",
        "fr": "Un dossier de ce nom existe déjà.",
    },
    "folders.inbox_fixed": {
        "en": "The inbox cannot be renamed or deleted.",
        "fr": "La boîte de réception ne peut être ni renommée ni supprimée.",
    },
    "search.title": {"en": "Search", "fr": "Recherche"},
    "search.label": {"en": "Search mail", "fr": "Rechercher dans le courrier"},
    "search.placeholder": {"en": "Search…", "fr": "Rechercher…"},
    "search.advanced": {"en": "Advanced search", "fr": "Recherche avancée"},
    "search.text": {"en": "Words", "fr": "Mots"},
    "search.since": {"en": "From date", "fr": "Depuis le"},
    "search.until": {"en": "To date", "fr": "Jusqu’au"},
    "search.folder": {"en": "Folder", "fr": "Dossier"},
    "search.submit": {"en": "Search", "fr": "Rechercher"},
    "search.none": {"en": "No message matches.", "fr": "Aucun message ne correspond."},
    "search.count": {"en": "{count} result(s)", "fr": "{count} résultat(s)"},
    "search.too_long": {
        "en": "A search field is too long.",
        "fr": "Un champ de recherche est trop long.",
    },
    "search.bad_date": {
        "en": "Dates are written as YYYY-MM-DD.",
        "fr": "Les dates s’écrivent AAAA-MM-JJ.",
    },
    "search.bad_range": {
        "en": "The end date is before the start date.",
        "fr": "La date de fin précède la date de début.",
    },
    "conversation.title": {"en": "Conversation", "fr": "Conversation"},
    "conversation.link": {"en": "Conversation", "fr": "Conversation"},
    "conversation.missing": {
        "en": "(a message not in this folder)",
        "fr": "(un message absent de ce dossier)",
    },
    "conversation.newer": {"en": "↑ Newer", "fr": "↑ Plus récent"},
    "conversation.older": {"en": "↓ Older", "fr": "↓ Plus ancien"},
    # -- end of area: acting on mail and folders --
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
    # -- area: settings and admin (settings_views, admin_views) --
    "nav.settings": {"en": "Settings", "fr": "Réglages"},
    "settings.title": {"en": "Settings", "fr": "Réglages"},
    "settings.name": {"en": "Your name", "fr": "Votre nom"},
    "settings.display_name": {"en": "Display name", "fr": "Nom affiché"},
    "settings.save": {"en": "Save", "fr": "Enregistrer"},
    "settings.add": {"en": "Add", "fr": "Ajouter"},
    "settings.remove": {"en": "Remove", "fr": "Retirer"},
    "settings.manage": {"en": "Manage", "fr": "Gérer"},
    "settings.never": {"en": "never", "fr": "jamais"},
    "settings.password": {"en": "Password", "fr": "Mot de passe"},
    "settings.password_help": {
        "en": "At least {length} characters. Your other sessions will be logged out.",
        "fr": "Au moins {length} caractères. Vos autres sessions seront déconnectées.",
    },
    "settings.current_password": {"en": "Current password", "fr": "Mot de passe actuel"},
    "settings.new_password": {"en": "New password", "fr": "Nouveau mot de passe"},
    "settings.repeat_password": {
        "en": "New password again",
        "fr": "Nouveau mot de passe (à nouveau)",
    },
    "settings.change_password": {"en": "Change the password", "fr": "Changer le mot de passe"},
    "settings.wrong_password": {
        "en": "The current password is not right.",
        "fr": "Le mot de passe actuel est incorrect.",
    },
    "settings.wrong_proof": {
        "en": "The password or the code is not right.",
        "fr": "Le mot de passe ou le code est incorrect.",
    },
    "settings.passwords_differ": {
        "en": "The two new passwords differ.",
        "fr": "Les deux nouveaux mots de passe diffèrent.",
    },
    "settings.weak_password": {
        "en": "This password is refused:",
        "fr": "Ce mot de passe est refusé :",
    },
    "settings.2fa": {"en": "Two-step verification", "fr": "Validation en deux étapes"},
    "settings.2fa_on": {
        "en": "Two-step verification is on ({count} recovery code(s) left).",
        "fr": "La validation en deux étapes est active ({count} code(s) de secours restant(s)).",
    },
    "settings.2fa_off": {
        "en": "Two-step verification is off.",
        "fr": "La validation en deux étapes est désactivée.",
    },
    "settings.2fa_explain": {
        "en": "With it on, logging in asks for a code from an authenticator app as well as "
        "your password, and mail apps need an app password.",
        "fr": "Une fois activée, la connexion demande un code d’une application "
        "d’authentification en plus du mot de passe, et les logiciels de messagerie "
        "utilisent un mot de passe d’application.",
    },
    "settings.2fa_enable": {"en": "Turn on", "fr": "Activer"},
    "settings.2fa_disable": {"en": "Turn off", "fr": "Désactiver"},
    "settings.2fa_scan": {
        "en": "Scan this QR code with your authenticator app, or type the key in it.",
        "fr": "Scannez ce QR code avec votre application d’authentification, ou saisissez-y "
        "la clé.",
    },
    "settings.2fa_qr": {
        "en": "QR code to scan with an authenticator app",
        "fr": "QR code à scanner avec une application d’authentification",
    },
    "settings.2fa_key": {"en": "Key:", "fr": "Clé :"},
    "settings.2fa_first_code": {
        "en": "Code shown by the app",
        "fr": "Code affiché par l’application",
    },
    "settings.2fa_confirm": {"en": "Confirm", "fr": "Confirmer"},
    "settings.2fa_now_on": {
        "en": "Two-step verification is now on.",
        "fr": "La validation en deux étapes est maintenant active.",
    },
    "settings.recovery_help": {
        "en": "Keep these recovery codes somewhere safe: each one logs you in once if you "
        "lose your phone. They are shown only now.",
        "fr": "Gardez ces codes de secours en lieu sûr : chacun permet une connexion si vous "
        "perdez votre téléphone. Ils ne sont affichés qu’une fois.",
    },
    "settings.apps_next": {
        "en": "Next: app passwords for your mail apps",
        "fr": "Ensuite : des mots de passe d’application pour vos logiciels de messagerie",
    },
    "settings.apps": {"en": "App passwords", "fr": "Mots de passe d’application"},
    "settings.apps_help": {
        "en": "Mail apps (IMAP, POP3, SMTP) use an app password of their own instead of your "
        "password; with two-step verification on, they must.",
        "fr": "Les logiciels de messagerie (IMAP, POP3, SMTP) utilisent leur propre mot de "
        "passe d’application au lieu du vôtre ; c’est obligatoire avec la validation en deux "
        "étapes.",
    },
    "settings.app_name": {"en": "Name", "fr": "Nom"},
    "settings.app_created_on": {"en": "Created", "fr": "Créé le"},
    "settings.app_last_used": {"en": "Last used", "fr": "Dernière utilisation"},
    "settings.app_new": {"en": "New app password", "fr": "Nouveau mot de passe d’application"},
    "settings.app_create": {"en": "Create", "fr": "Créer"},
    "settings.app_created": {
        "en": "App password for “{name}”:",
        "fr": "Mot de passe d’application pour « {name} » :",
    },
    "settings.shown_once": {
        "en": "It is shown only this once: enter it in the app now.",
        "fr": "Il n’est affiché qu’une fois : saisissez-le maintenant dans l’application.",
    },
    "settings.no_apps": {"en": "No app passwords.", "fr": "Aucun mot de passe d’application."},
    "settings.revoke": {"en": "Revoke", "fr": "Révoquer"},
    "settings.app_name_needed": {
        "en": "Give the app password a name.",
        "fr": "Donnez un nom au mot de passe d’application.",
    },
    "settings.app_name_taken": {
        "en": "An app password already has that name.",
        "fr": "Un mot de passe d’application porte déjà ce nom.",
    },
    "settings.spam": {
        "en": "Allowed and blocked senders",
        "fr": "Expéditeurs autorisés et bloqués",
    },
    "settings.spam_help": {
        "en": "Mail from an allowed sender is never junk; mail from a blocked one goes to "
        "Junk. An entry is an address or @domain.",
        "fr": "Le courrier d’un expéditeur autorisé n’est jamais indésirable ; celui d’un "
        "expéditeur bloqué va dans les indésirables. Une entrée est une adresse ou @domaine.",
    },
    "settings.spam_allow": {"en": "Allowed", "fr": "Autorisés"},
    "settings.spam_block": {"en": "Blocked", "fr": "Bloqués"},
    "settings.spam_empty": {"en": "Empty.", "fr": "Vide."},
    "settings.spam_add": {"en": "Add a sender", "fr": "Ajouter un expéditeur"},
    "settings.spam_entry": {"en": "Address or @domain", "fr": "Adresse ou @domaine"},
    "settings.spam_list": {"en": "List", "fr": "Liste"},
    "settings.bad_entry": {
        "en": "That is not an address or @domain.",
        "fr": "Ce n’est ni une adresse ni un @domaine.",
    },
    "settings.done.name": {"en": "Name saved.", "fr": "Nom enregistré."},
    "settings.done.password": {
        "en": "Password changed; your other sessions were logged out.",
        "fr": "Mot de passe changé ; vos autres sessions ont été déconnectées.",
    },
    "settings.done.2fa_off": {
        "en": "Two-step verification is off.",
        "fr": "La validation en deux étapes est désactivée.",
    },
    "settings.done.revoked": {"en": "App password revoked.", "fr": "Mot de passe révoqué."},
    "settings.done.allowed": {"en": "Sender allowed.", "fr": "Expéditeur autorisé."},
    "settings.done.blocked": {"en": "Sender blocked.", "fr": "Expéditeur bloqué."},
    "settings.done.removed": {"en": "Entry removed.", "fr": "Entrée retirée."},
    "admin.title": {"en": "Administration", "fr": "Administration"},
    "admin.overview": {"en": "Server", "fr": "Serveur"},
    "admin.domains": {"en": "Domains", "fr": "Domaines"},
    "admin.domain": {"en": "Domain", "fr": "Domaine"},
    "admin.accounts": {"en": "Accounts", "fr": "Comptes"},
    "admin.account": {"en": "Account", "fr": "Compte"},
    "admin.aliases": {"en": "Aliases", "fr": "Alias"},
    "admin.alias": {"en": "Alias", "fr": "Alias"},
    "admin.queue": {"en": "Outbound queue", "fr": "File d’envoi"},
    "admin.security": {"en": "Security", "fr": "Sécurité"},
    "admin.copy": {"en": "Copy", "fr": "Copier"},
    "admin.refused": {"en": "Refused:", "fr": "Refusé :"},
    "admin.not_yourself": {
        "en": "You cannot disable your own account or take your own admin role away.",
        "fr": "Vous ne pouvez ni désactiver votre propre compte ni retirer votre propre "
        "rôle d’administrateur.",
    },
    "admin.storage": {"en": "Storage", "fr": "Stockage"},
    "admin.mail_stored": {"en": "Mail stored", "fr": "Courrier stocké"},
    "admin.database": {"en": "Database", "fr": "Base de données"},
    "admin.disk_free": {"en": "Disk free", "fr": "Disque libre"},
    "admin.bans": {"en": "Bans", "fr": "Bannissements"},
    "admin.certificate": {"en": "TLS certificate", "fr": "Certificat TLS"},
    "admin.cert_names": {"en": "Names", "fr": "Noms"},
    "admin.cert_issuer": {"en": "Issuer", "fr": "Émetteur"},
    "admin.cert_expires": {"en": "Expires", "fr": "Expire le"},
    "admin.days_left": {"en": "{count} day(s) left", "fr": "encore {count} jour(s)"},
    "admin.no_certificate": {"en": "No certificate.", "fr": "Aucun certificat."},
    "admin.listeners": {"en": "Listeners", "fr": "Écoutes réseau"},
    "admin.listener": {"en": "Service", "fr": "Service"},
    "admin.addresses": {"en": "Addresses", "fr": "Adresses"},
    "admin.port": {"en": "Port", "fr": "Port"},
    "admin.created": {"en": "Created", "fr": "Créé le"},
    "admin.domain_add": {"en": "Add a domain", "fr": "Ajouter un domaine"},
    "admin.dns": {"en": "DNS records", "fr": "Enregistrements DNS"},
    "admin.dns_help": {
        "en": "Publish these records in the domain’s DNS zone (MX, SPF, DKIM, DMARC).",
        "fr": "Publiez ces enregistrements dans la zone DNS du domaine (MX, SPF, DKIM, DMARC).",
    },
    "admin.dns_name": {"en": "Name", "fr": "Nom"},
    "admin.dns_type": {"en": "Type", "fr": "Type"},
    "admin.dns_value": {"en": "Value", "fr": "Valeur"},
    "admin.usage": {"en": "Usage", "fr": "Utilisation"},
    "admin.flags": {"en": "State", "fr": "État"},
    "admin.state": {"en": "State", "fr": "État"},
    "admin.active": {"en": "active", "fr": "actif"},
    "admin.disabled": {"en": "disabled", "fr": "désactivé"},
    "admin.admin": {"en": "admin", "fr": "administrateur"},
    "admin.on": {"en": "on", "fr": "active"},
    "admin.off": {"en": "off", "fr": "désactivée"},
    "admin.enable": {"en": "Enable the account", "fr": "Réactiver le compte"},
    "admin.disable": {"en": "Disable the account", "fr": "Désactiver le compte"},
    "admin.account_add": {"en": "New account", "fr": "Nouveau compte"},
    "admin.account_create": {"en": "Create the account", "fr": "Créer le compte"},
    "admin.make_admin": {"en": "Administrator", "fr": "Administrateur"},
    "admin.quota": {"en": "Quota", "fr": "Quota"},
    "admin.quota_help": {
        "en": "Quota (e.g. 5 GiB; empty or 0: unlimited)",
        "fr": "Quota (par ex. 5 GiB ; vide ou 0 : illimité)",
    },
    "admin.unlimited": {"en": "unlimited", "fr": "illimité"},
    "admin.reset_password": {"en": "Set a new password", "fr": "Définir un nouveau mot de passe"},
    "admin.targets": {"en": "Delivers to", "fr": "Distribue à"},
    "admin.catch_all": {"en": "catch-all", "fr": "fourre-tout"},
    "admin.alias_add": {"en": "New alias", "fr": "Nouvel alias"},
    "admin.alias_help": {
        "en": "An alias delivers to every target (accounts, aliases, outside addresses); "
        "@domain catches every address of the domain without an account.",
        "fr": "Un alias distribue à chaque cible (comptes, alias, adresses extérieures) ; "
        "@domaine reçoit pour toute adresse du domaine sans compte.",
    },
    "admin.queued": {"en": "Queued", "fr": "En file depuis"},
    "admin.attempts": {"en": "{count} attempt(s)", "fr": "{count} tentative(s)"},
    "admin.next": {"en": "next", "fr": "prochaine"},
    "admin.retry": {"en": "Retry now", "fr": "Réessayer"},
    "admin.drop": {"en": "Drop", "fr": "Supprimer"},
    "admin.queue_empty": {"en": "The queue is empty.", "fr": "La file est vide."},
    "admin.until": {"en": "Until", "fr": "Jusqu’au"},
    "admin.reason": {"en": "Reason", "fr": "Motif"},
    "admin.unban": {"en": "Lift", "fr": "Lever"},
    "admin.no_bans": {"en": "No bans.", "fr": "Aucun bannissement."},
    "admin.log": {
        "en": "Security log (latest first)",
        "fr": "Journal de sécurité (récent d’abord)",
    },
    "admin.time": {"en": "Time (UTC)", "fr": "Heure (UTC)"},
    "admin.event": {"en": "Event", "fr": "Événement"},
    "admin.details": {"en": "Details", "fr": "Détails"},
    "admin.done.domain": {"en": "Domain added.", "fr": "Domaine ajouté."},
    "admin.done.account": {"en": "Account created.", "fr": "Compte créé."},
    "admin.done.disabled": {"en": "Account disabled.", "fr": "Compte désactivé."},
    "admin.done.enabled": {"en": "Account enabled.", "fr": "Compte réactivé."},
    "admin.done.password": {
        "en": "Password set; the account’s web sessions were logged out.",
        "fr": "Mot de passe défini ; les sessions web du compte ont été déconnectées.",
    },
    "admin.done.quota": {"en": "Quota saved.", "fr": "Quota enregistré."},
    "admin.done.role": {"en": "Role saved.", "fr": "Rôle enregistré."},
    "admin.role": {"en": "Role", "fr": "Rôle"},
    "admin.make_admin_now": {
        "en": "Give the admin role",
        "fr": "Donner le rôle d’administrateur",
    },
    "admin.revoke_admin": {
        "en": "Take the admin role away",
        "fr": "Retirer le rôle d’administrateur",
    },
    "admin.done.alias": {"en": "Alias saved.", "fr": "Alias enregistré."},
    "admin.done.alias_removed": {"en": "Alias removed.", "fr": "Alias supprimé."},
    "admin.done.retried": {"en": "Delivery will be tried now.", "fr": "L’envoi va être retenté."},
    "admin.done.dropped": {"en": "Message dropped.", "fr": "Message supprimé."},
    "admin.done.unbanned": {"en": "Ban lifted.", "fr": "Bannissement levé."},
    # admin and settings leftovers (issue 8): paging, domain removal, DKIM rotation, codes
    "settings.recovery_new": {"en": "New recovery codes", "fr": "Nouveaux codes de secours"},
    "settings.recovery_new_help": {
        "en": "Lost your recovery codes, or used most of them? Make a new set: the old codes "
        "stop working at once, and the new ones are shown only once.",
        "fr": "Codes de secours perdus ou presque tous utilisés ? Créez-en une nouvelle série : "
        "les anciens codes cessent aussitôt de fonctionner, les nouveaux ne sont affichés "
        "qu’une fois.",
    },
    "settings.recovery_make": {"en": "Make new codes", "fr": "Créer de nouveaux codes"},
    "settings.recovery_replaced": {
        "en": "New recovery codes made; the earlier ones no longer work.",
        "fr": "Nouveaux codes de secours créés ; les précédents ne fonctionnent plus.",
    },
    "admin.pages": {"en": "Pages", "fr": "Pages"},
    "admin.page_position": {
        "en": "{first}–{last} of {total}",
        "fr": "{first} à {last} sur {total}",
    },
    "admin.page_of_log": {"en": "Page {number}", "fr": "Page {number}"},
    "admin.previous": {"en": "← Previous", "fr": "← Précédents"},
    "admin.next_page": {"en": "Next →", "fr": "Suivants →"},
    "admin.filter": {"en": "Addresses starting with", "fr": "Adresses commençant par"},
    "admin.filter_placeholder": {"en": "e.g. ali", "fr": "par ex. ali"},
    "admin.filter_apply": {"en": "Filter", "fr": "Filtrer"},
    "admin.filter_clear": {"en": "Show all", "fr": "Tout afficher"},
    "admin.none_found": {"en": "No account matches.", "fr": "Aucun compte ne correspond."},
    "admin.see_all": {"en": "See all {count}", "fr": "Voir les {count}"},
    "admin.dkim": {"en": "DKIM keys", "fr": "Clés DKIM"},
    "admin.dkim_help": {
        "en": "To change keys without breaking signatures: make a new key, publish its DNS "
        "records above, wait until they are served, then sign with it. The old key is then "
        "retired: leave its records in DNS a few days for mail in transit, then remove it.",
        "fr": "Pour changer de clés sans casser les signatures : créez une nouvelle clé, "
        "publiez ses enregistrements DNS ci-dessus, attendez qu’ils soient servis, puis "
        "signez avec. L’ancienne clé est alors retirée : laissez ses enregistrements "
        "quelques jours dans le DNS pour le courrier en route, puis supprimez-la.",
    },
    "admin.dkim_pair": {"en": "Key", "fr": "Clé"},
    "admin.dkim_selectors": {"en": "Selectors", "fr": "Sélecteurs"},
    "admin.dkim_state.active": {"en": "signing", "fr": "signe"},
    "admin.dkim_state.pending": {"en": "new, not signing yet", "fr": "nouvelle, ne signe pas"},
    "admin.dkim_state.retired": {"en": "retired", "fr": "retirée"},
    "admin.dkim_explain.active": {
        "en": "Signs every message sent from this domain.",
        "fr": "Signe chaque message envoyé depuis ce domaine.",
    },
    "admin.dkim_explain.pending": {
        "en": "Publish its records, then sign with it.",
        "fr": "Publiez ses enregistrements, puis signez avec.",
    },
    "admin.dkim_explain.retired": {
        "en": "No longer signs; keep its records a few days, then remove it.",
        "fr": "Ne signe plus ; gardez ses enregistrements quelques jours, puis supprimez-la.",
    },
    "admin.dkim_published": {
        "en": "Its DNS records are published",
        "fr": "Ses enregistrements DNS sont publiés",
    },
    "admin.dkim_activate": {"en": "Sign with this key", "fr": "Signer avec cette clé"},
    "admin.dkim_rotate": {"en": "Make a new key", "fr": "Créer une nouvelle clé"},
    "admin.dkim_none": {
        "en": "No DKIM key: mail from this domain leaves unsigned.",
        "fr": "Aucune clé DKIM : le courrier de ce domaine part sans signature.",
    },
    "admin.dkim_publish_first": {
        "en": "Publish the new key’s DNS records first, and tick the box saying so.",
        "fr": "Publiez d’abord les enregistrements DNS de la nouvelle clé, et cochez la case.",
    },
    "admin.domain_remove": {"en": "Remove the domain", "fr": "Supprimer le domaine"},
    "admin.domain_remove_link": {"en": "Remove {domain}…", "fr": "Supprimer {domain}…"},
    "admin.domain_in_use": {
        "en": "{domain} cannot be removed: it still has {accounts} account(s) and {aliases} "
        "alias(es). Remove them first.",
        "fr": "{domain} ne peut pas être supprimé : il a encore {accounts} compte(s) et "
        "{aliases} alias. Supprimez-les d’abord.",
    },
    "admin.domain_remove_question": {
        "en": "Remove {domain} and its DKIM keys? Mail for it will be refused from then on.",
        "fr": "Supprimer {domain} et ses clés DKIM ? Le courrier pour ce domaine sera "
        "ensuite refusé.",
    },
    "admin.domain_type_name": {
        "en": "Type {domain} to confirm",
        "fr": "Tapez {domain} pour confirmer",
    },
    "admin.type_the_name": {
        "en": "The name typed is not the domain’s: nothing was removed.",
        "fr": "Le nom tapé n’est pas celui du domaine : rien n’a été supprimé.",
    },
    "admin.done.domain_removed": {"en": "Domain removed.", "fr": "Domaine supprimé."},
    "admin.done.dkim_rotated": {
        "en": "New key made: publish its DNS records, then sign with it.",
        "fr": "Nouvelle clé créée : publiez ses enregistrements DNS, puis signez avec.",
    },
    "admin.done.dkim_activated": {
        "en": "Mail is now signed with the new key; the old one is retired.",
        "fr": "Le courrier est maintenant signé avec la nouvelle clé ; l’ancienne est retirée.",
    },
    "admin.done.dkim_removed": {"en": "Key removed.", "fr": "Clé supprimée."},
    # -- end of issue 8 admin and settings leftovers --
    # -- end of area: settings and admin --
    # -- area: writing mail (compose_views) --
    "nav.compose": {"en": "Write", "fr": "Écrire"},
    "compose.title": {"en": "New message", "fr": "Nouveau message"},
    "compose.from": {"en": "From", "fr": "De"},
    "compose.to": {"en": "To", "fr": "À"},
    "compose.cc": {"en": "Cc", "fr": "Cc"},
    "compose.bcc": {"en": "Bcc", "fr": "Cci"},
    "compose.subject": {"en": "Subject", "fr": "Objet"},
    "compose.body": {"en": "Message", "fr": "Message"},
    "compose.attachments": {"en": "Attachments", "fr": "Pièces jointes"},
    "compose.add_files": {"en": "Add files", "fr": "Ajouter des fichiers"},
    "compose.drop_here": {
        "en": "or drop files here",
        "fr": "ou déposez des fichiers ici",
    },
    "compose.size_limit": {
        "en": "Messages may be up to {size}, attachments included.",
        "fr": "Un message peut faire jusqu’à {size}, pièces jointes comprises.",
    },
    "compose.over_limit": {
        "en": "These attachments are too large to send.",
        "fr": "Ces pièces jointes sont trop volumineuses pour être envoyées.",
    },
    "compose.keep": {"en": "Keep {name}", "fr": "Garder {name}"},
    "compose.remove_file": {"en": "Remove", "fr": "Retirer"},
    "compose.send": {"en": "Send", "fr": "Envoyer"},
    "compose.save": {"en": "Save draft", "fr": "Enregistrer le brouillon"},
    "compose.saved": {"en": "Draft saved.", "fr": "Brouillon enregistré."},
    "compose.autosaved": {"en": "Draft saved at {time}.", "fr": "Brouillon enregistré à {time}."},
    "compose.not_sent": {
        "en": "The message was not sent:",
        "fr": "Le message n’a pas été envoyé :",
    },
    "compose.reply": {"en": "Reply", "fr": "Répondre"},
    "compose.reply_all": {"en": "Reply all", "fr": "Répondre à tous"},
    "compose.forward": {"en": "Forward", "fr": "Transférer"},
    "compose.forward_attached": {
        "en": "Forward as attachment",
        "fr": "Transférer en pièce jointe",
    },
    "compose.edit_draft": {"en": "Edit the draft", "fr": "Modifier le brouillon"},
    "compose.wrote": {"en": "On {date}, {author} wrote:", "fr": "Le {date}, {author} a écrit :"},
    "compose.forwarded": {
        "en": "-------- Forwarded message --------",
        "fr": "-------- Message transféré --------",
    },
    "compose.suggestions": {"en": "Suggested addresses", "fr": "Adresses suggérées"},
    "compose.rich": {"en": "Rich text", "fr": "Texte enrichi"},
    "compose.toolbar": {"en": "Formatting", "fr": "Mise en forme"},
    "compose.bold": {"en": "Bold", "fr": "Gras"},
    "compose.italic": {"en": "Italic", "fr": "Italique"},
    "compose.underline": {"en": "Underline", "fr": "Souligné"},
    "compose.bullets": {"en": "• List", "fr": "• Liste"},
    "compose.numbers": {"en": "1. List", "fr": "1. Liste"},
    "compose.link": {"en": "Link", "fr": "Lien"},
    "compose.link_prompt": {
        "en": "Address of the link (https://…, mailto:…)",
        "fr": "Adresse du lien (https://…, mailto:…)",
    },
    "compose.quote": {"en": "Quote", "fr": "Citation"},
    "compose.no_drafts": {
        "en": "This account has no Drafts folder.",
        "fr": "Ce compte n’a pas de dossier Brouillons.",
    },
    "compose.error.invalid": {
        "en": "“{address}” is not a valid address.",
        "fr": "« {address} » n’est pas une adresse valide.",
    },
    "compose.error.unknown": {
        "en": "There is no mailbox {address} here.",
        "fr": "Il n’existe pas de boîte {address} ici.",
    },
    "compose.error.disabled": {
        "en": "The mailbox {address} is disabled.",
        "fr": "La boîte {address} est désactivée.",
    },
    "compose.error.over_quota": {
        "en": "The mailbox {address} is full.",
        "fr": "La boîte {address} est pleine.",
    },
    "compose.error.refused_recipient": {
        "en": "Mail to {address} is not allowed.",
        "fr": "L’envoi à {address} n’est pas autorisé.",
    },
    "compose.error.temporary": {
        "en": "Mail to {address} failed for now; try again later.",
        "fr": "L’envoi à {address} a échoué pour l’instant ; réessayez plus tard.",
    },
    "compose.error.not_your_address": {
        "en": "You may not send as {address}.",
        "fr": "Vous ne pouvez pas envoyer en tant que {address}.",
    },
    "compose.error.no_recipient": {
        "en": "Add at least one recipient.",
        "fr": "Ajoutez au moins un destinataire.",
    },
    "compose.error.too_many": {
        "en": "At most {count} recipients per message.",
        "fr": "Au plus {count} destinataires par message.",
    },
    "compose.error.too_large": {
        "en": "The message is larger than {size}.",
        "fr": "Le message dépasse {size}.",
    },
    "compose.error.virus": {
        "en": "The message was refused: it contains a virus.",
        "fr": "Le message a été refusé : il contient un virus.",
    },
    "compose.error.try_later": {
        "en": "The message could not be checked now; try again later.",
        "fr": "Le message n’a pas pu être vérifié ; réessayez plus tard.",
    },
    "compose.error.refused": {
        "en": "The message was refused.",
        "fr": "Le message a été refusé.",
    },
    "compose.error.draft_not_saved": {
        "en": "The draft could not be saved (is the mailbox full?).",
        "fr": "Le brouillon n’a pas pu être enregistré (la boîte est-elle pleine ?).",
    },
    # -- end of area: writing mail --
    # -- area: show original (original_views, headers_analysis) --
    "original.link": {"en": "Show original", "fr": "Afficher l’original"},
    "original.title": {"en": "Original message", "fr": "Message d’origine"},
    "original.back": {"en": "Back to the message", "fr": "Retour au message"},
    "original.download": {
        "en": "Download the source (text)",
        "fr": "Télécharger la source (texte)",
    },
    "original.warnings": {
        "en": "Warning: the sender may not be who they seem",
        "fr": "Attention : l’expéditeur n’est peut-être pas celui qu’il prétend être",
    },
    "original.warn_no_from": {
        "en": "The message has no sender address (From).",
        "fr": "Le message n’a pas d’adresse d’expéditeur (From).",
    },
    "original.warn_many_from": {
        "en": "The message names several senders in different domains: {from}.",
        "fr": "Le message indique plusieurs expéditeurs de domaines différents : {from}.",
    },
    "original.warn_envelope": {
        "en": "The visible sender ({from}) is not the real sender of the message "
        "(envelope sender, Return-Path: {envelope}).",
        "fr": "L’expéditeur affiché ({from}) n’est pas l’expéditeur réel du message "
        "(expéditeur d’enveloppe, Return-Path : {envelope}).",
    },
    "original.warn_dmarc": {
        "en": "DMARC did not pass for the sender’s domain {domain} (result: {result}): "
        "nothing proves the message comes from that domain.",
        "fr": "DMARC n’a pas réussi pour le domaine de l’expéditeur {domain} (résultat : "
        "{result}) : rien ne prouve que le message vient de ce domaine.",
    },
    "original.sender": {"en": "Sender", "fr": "Expéditeur"},
    "original.visible_from": {"en": "Shown (From)", "fr": "Affiché (From)"},
    "original.envelope_from": {
        "en": "Real (envelope, Return-Path)",
        "fr": "Réel (enveloppe, Return-Path)",
    },
    "original.unknown": {"en": "not recorded", "fr": "non enregistré"},
    "original.null_sender": {
        "en": "(null sender: a delivery report)",
        "fr": "(expéditeur vide : un avis de distribution)",
    },
    "original.path": {
        "en": "Path of the message (Received), oldest first",
        "fr": "Trajet du message (Received), du plus ancien au plus récent",
    },
    "original.path_note": {
        "en": "Each server adds one line. Only the lines of our server are sure: the ones "
        "before it were written by the sending side and can be forged.",
        "fr": "Chaque serveur ajoute une ligne. Seules celles de notre serveur sont sûres : "
        "les précédentes ont été écrites côté expéditeur et peuvent être falsifiées.",
    },
    "original.hop_from": {"en": "From", "fr": "De"},
    "original.hop_by": {"en": "Received by", "fr": "Reçu par"},
    "original.hop_with": {"en": "Protocol, encryption", "fr": "Protocole, chiffrement"},
    "original.hop_date": {"en": "Date", "fr": "Date"},
    "original.hop_delay": {"en": "Delay", "fr": "Délai"},
    "original.our_server": {"en": "our server", "fr": "notre serveur"},
    "original.no_tls": {"en": "not encrypted", "fr": "non chiffré"},
    "original.no_date": {"en": "no date", "fr": "sans date"},
    "original.no_hops": {
        "en": "No Received line: the message did not come through a mail server.",
        "fr": "Aucune ligne Received : le message n’est pas passé par un serveur de messagerie.",
    },
    "original.auth": {
        "en": "Authentication (SPF, DKIM, DMARC, ARC, iprev)",
        "fr": "Authentification (SPF, DKIM, DMARC, ARC, iprev)",
    },
    "original.method": {"en": "Check", "fr": "Vérification"},
    "original.result": {"en": "Result", "fr": "Résultat"},
    "original.details": {"en": "Details", "fr": "Détails"},
    "original.auth_none": {"en": "No check was made.", "fr": "Aucune vérification faite."},
    "original.auth_missing": {
        "en": "Our server ({host}) recorded no authentication results for this message.",
        "fr": "Notre serveur ({host}) n’a enregistré aucun résultat d’authentification "
        "pour ce message.",
    },
    "original.auth_foreign": {
        "en": "{count} Authentication-Results field(s) written by other servers were ignored: "
        "anyone can write them.",
        "fr": "{count} champ(s) Authentication-Results écrit(s) par d’autres serveurs "
        "ignoré(s) : n’importe qui peut en écrire.",
    },
    "original.spam": {"en": "Spam and viruses", "fr": "Spam et virus"},
    "original.spam_score": {
        "en": "Spam score {score} (junk from {required}).",
        "fr": "Score de spam {score} (indésirable à partir de {required}).",
    },
    "original.spam_yes": {"en": "Classified as spam.", "fr": "Classé comme spam."},
    "original.spam_no": {"en": "Not spam.", "fr": "Pas un spam."},
    "original.spam_none": {
        "en": "The spam filter did not score this message.",
        "fr": "Le filtre anti-spam n’a pas évalué ce message.",
    },
    "original.weight": {"en": "Weight", "fr": "Poids"},
    "original.rule": {"en": "Rule", "fr": "Règle"},
    "original.virus": {"en": "Virus scan:", "fr": "Analyse antivirus :"},
    "original.virus_none": {"en": "not recorded", "fr": "non enregistrée"},
    "original.source": {"en": "Source", "fr": "Source"},
    "original.source_cut": {
        "en": "The message is large: only its first megabyte is shown; download it for the rest.",
        "fr": "Le message est volumineux : seul son premier mégaoctet est affiché ; "
        "téléchargez-le pour le reste.",
    },
    # -- end of area: show original --
    # -- area: reading leftovers (issue 8: search_views, mail_views, image_sender_views) --
    "search.scope": {"en": "Search in", "fr": "Chercher dans"},
    "search.this_folder": {"en": "This folder", "fr": "Ce dossier"},
    "search.all_folders": {"en": "All folders", "fr": "Tous les dossiers"},
    "search.in_folder": {"en": "Folder", "fr": "Dossier"},
    "search.bad_cursor": {
        "en": "This page address is damaged: search again.",
        "fr": "L’adresse de cette page est abîmée : relancez la recherche.",
    },
    "message.always_images": {
        "en": "Always show images from {sender}",
        "fr": "Toujours afficher les images de {sender}",
    },
    "message.images_trusted": {
        "en": "Images are shown: you trust {sender}.",
        "fr": "Les images sont affichées : vous faites confiance à {sender}.",
    },
    "message.images_manage": {"en": "Manage", "fr": "Gérer"},
    "message.too_many_image_senders": {
        "en": "Your list of senders whose images are shown is full: remove some in the "
        "settings first.",
        "fr": "Votre liste d’expéditeurs dont les images sont affichées est pleine : "
        "retirez-en d’abord dans les réglages.",
    },
    "message.preview_open": {"en": "Open", "fr": "Ouvrir"},
    "message.previews": {"en": "Pictures attached", "fr": "Images jointes"},
    "settings.images": {"en": "Images", "fr": "Images"},
    "settings.images_help": {
        "en": "Messages from these senders show their remote images directly, when the "
        "sender is verified (DMARC passed). Add a sender from one of its messages.",
        "fr": "Les messages de ces expéditeurs affichent directement leurs images distantes, "
        "quand l’expéditeur est vérifié (DMARC réussi). Ajoutez un expéditeur depuis l’un "
        "de ses messages.",
    },
    "settings.images_empty": {"en": "No sender.", "fr": "Aucun expéditeur."},
    "settings.images_removed": {"en": "Sender removed.", "fr": "Expéditeur retiré."},
    "settings.images_bad_address": {
        "en": "That is not an address of the list.",
        "fr": "Ce n’est pas une adresse de la liste.",
    },
    # -- end of area: reading leftovers --
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
    # -- signature, vacation, forwarding (issue 8, settings part 2: mail_settings_views) --
    "mailsettings.signature": {"en": "Signature", "fr": "Signature"},
    "mailsettings.signature_help": {
        "en": "Added below new messages and replies you write here.",
        "fr": "Ajoutée sous les nouveaux messages et les réponses que vous écrivez ici.",
    },
    "mailsettings.vacation": {"en": "Vacation reply", "fr": "Réponse d’absence"},
    "mailsettings.vacation_help": {
        "en": "While it is on, people who write to you get this reply, at most once per "
        "sender in the period below. Mailing lists, automatic messages and copies you "
        "were not named in get none.",
        "fr": "Tant qu’elle est active, vos correspondants reçoivent cette réponse, au plus "
        "une fois par expéditeur sur la période ci-dessous. Les listes de diffusion, les "
        "messages automatiques et les copies où vous n’êtes pas nommé n’en reçoivent pas.",
    },
    "mailsettings.vacation_on": {
        "en": "Send the vacation reply",
        "fr": "Envoyer la réponse d’absence",
    },
    "mailsettings.vacation_subject": {
        "en": "Subject (empty: “Auto:” and the subject received)",
        "fr": "Objet (vide : « Auto: » et l’objet reçu)",
    },
    "mailsettings.vacation_body": {"en": "Message", "fr": "Message"},
    "mailsettings.vacation_start": {
        "en": "First day (optional, UTC)",
        "fr": "Premier jour (facultatif, UTC)",
    },
    "mailsettings.vacation_end": {
        "en": "Last day (optional, UTC)",
        "fr": "Dernier jour (facultatif, UTC)",
    },
    "mailsettings.vacation_interval": {
        "en": "Reply to the same sender at most once every (days)",
        "fr": "Répondre au même expéditeur au plus une fois tous les (jours)",
    },
    "mailsettings.forwarding": {"en": "Forwarding", "fr": "Transfert"},
    "mailsettings.forwarding_help": {
        "en": "Every message you receive is also sent to this address (empty: none).",
        "fr": "Chaque message reçu est aussi envoyé à cette adresse (vide : aucun transfert).",
    },
    "mailsettings.forward_to": {"en": "Forward to", "fr": "Transférer à"},
    "mailsettings.keep_copy": {
        "en": "Keep a copy here",
        "fr": "Garder une copie ici",
    },
    "mailsettings.done.saved": {"en": "Saved.", "fr": "Enregistré."},
    "mailsettings.invalid.signature": {
        "en": "The signature is too long.",
        "fr": "La signature est trop longue.",
    },
    "mailsettings.invalid.vacation_subject": {
        "en": "The subject is too long.",
        "fr": "L’objet est trop long.",
    },
    "mailsettings.invalid.vacation_body": {
        "en": "The message is too long.",
        "fr": "Le message est trop long.",
    },
    "mailsettings.invalid.vacation_start": {
        "en": "The first day is not a date.",
        "fr": "Le premier jour n’est pas une date.",
    },
    "mailsettings.invalid.vacation_end": {
        "en": "The last day is not a date, or comes before the first.",
        "fr": "Le dernier jour n’est pas une date, ou précède le premier.",
    },
    "mailsettings.invalid.vacation_interval_days": {
        "en": "The number of days must be between 1 and 365.",
        "fr": "Le nombre de jours doit être entre 1 et 365.",
    },
    "mailsettings.invalid.forward_to": {
        "en": "This address cannot receive your forwarded mail.",
        "fr": "Cette adresse ne peut pas recevoir votre courrier transféré.",
    },
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
