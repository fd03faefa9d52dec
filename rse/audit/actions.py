"""The action codes the services record, each with its French label, grouped by domain.

One table: the page's list of actions, its labels and the CSV export read it, and a test fails
if the code records an action that is not here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DOMAINS = (
    (_l("Connexions"), {
        "login.success": _l("Connexion"),
        "login.failure": _l("Échec de connexion"),
        "logout": _l("Déconnexion"),
        "credentials.ended": _l("Sessions et jetons fermés"),
        "password.reset_requested": _l("Réinitialisation du mot de passe demandée"),
        "password.reset": _l("Mot de passe changé"),
    }),
    (_l("Comptes"), {
        "user.created": _l("Compte créé"),
        "user.deactivated": _l("Compte désactivé"),
        "user.reactivated": _l("Compte réactivé"),
        "user.expiry_changed": _l("Date de fin d'accès changée"),
        "user.role_changed": _l("Type de compte changé"),
        "token.created": _l("Jeton d'API créé"),
        "token.revoked": _l("Jeton d'API révoqué"),
    }),
    (_l("Espaces et membres"), {
        "community.created": _l("Espace créé"),
        "community.updated": _l("Espace modifié"),
        "membership.added": _l("Membre ajouté"),
        "membership.removed": _l("Membre retiré"),
        "membership.role_changed": _l("Rôle d'un membre changé"),
        "membership.requested": _l("Demande d'adhésion"),
        "membership.request_refused": _l("Demande d'adhésion refusée"),
        "invitation.sent": _l("Invitation envoyée"),
        "invitation.accepted": _l("Invitation acceptée"),
        "invitation.revoked": _l("Invitation annulée"),
    }),
    (_l("Documents"), {
        "document.uploaded": _l("Document déposé"),
        "document.version_added": _l("Nouvelle version d'un document"),
        "document.downloaded": _l("Document téléchargé ou consulté"),
        "document.updated": _l("Document modifié"),
        "document.trashed": _l("Document mis à la corbeille"),
        "document.restored": _l("Document restauré"),
        "document.controlled": _l("Document rendu maîtrisé"),
        "document.control_changed": _l("Code, type ou rôles d'un document maîtrisé modifiés"),
        "document.submitted": _l("Version soumise au circuit de validation"),
        "document.checked": _l("Décision de vérification"),
        "document.approved": _l("Décision d'approbation"),
        "document.in_force": _l("Version mise en vigueur"),
        "document.withdrawn": _l("Document maîtrisé retiré"),
        "document.locked": _l("Document pris en modification"),
        "document.unlocked": _l("Modification libérée"),
        "document.reading_required": _l("Lecture exigée"),
        "document.read_confirmed": _l("Lecture confirmée"),
        "document.reading_reminded": _l("Relance de lecture"),
        "document.review_reminded": _l("Rappel de révision envoyé à la rédaction"),
    }),
    (_l("Publications et échanges"), {
        "publication.create": _l("Publication créée"),
        "publication.edit": _l("Publication modifiée"),
        "publication.delete": _l("Publication supprimée"),
        "publication.pin": _l("Publication épinglée"),
        "publication.unpin": _l("Publication désépinglée"),
        "publication.wiki_restore": _l("Ancienne version d'une page wiki rétablie"),
        "comment.create": _l("Commentaire ajouté"),
        "comment.edit": _l("Commentaire modifié"),
        "comment.delete": _l("Commentaire supprimé"),
        "question.accept": _l("Réponse acceptée"),
        "suggestion.create": _l("Contenu suggéré"),
    }),
    (_l("Résumés par courriel"), {
        "digest.frequency_changed": _l("Fréquence du résumé changée"),
        "digest.unsubscribed": _l("Désabonnement du résumé"),
    }),
)

LABELS = {code: label for _domain, actions in DOMAINS for code, label in actions.items()}
ACTIONS = tuple(LABELS)


def label(code: str) -> str:
    """The French label of an action code; the code itself for one recorded by an older version."""
    found = LABELS.get(code)
    return str(found) if found is not None else code
