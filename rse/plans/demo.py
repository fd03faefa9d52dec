"""The demo's action plans: the CPOM's follow-up table, shared by the group, the agency and the
nursing home, and the hygiene team's PAQSS, so that "my actions" spans two spaces.

Each step goes through the plans' service as the demo people would take it through the pages: the
animator creates the plan, its objectives and actions and names their owners; each owner updates
their own action, records their indicator's values and closes it with its result. The history and
the signals (stream lines, notifications) are those of real use. Every date is counted from the
day the demo is loaded, so some actions are always late, some due soon, some not begun. Only the
day an action was closed is set by hand afterwards (the service closes it today); its history keeps
the day the demo was loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from rse import signals
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.documents.models import Document
from rse.i18n import local_today

from . import service
from .models import Action, ActionStatus, Objective

CPOM = "CPOM 2026 – EHPAD Les Tilleuls"
HYGIENE = "Hygiène – protocoles GHT"
CPOM_PLAN = "Plan d'actions CPOM 2026-2030"
HYGIENE_PLAN = "PAQSS 2027 – hygiène"
MINUTES = "Compte rendu – réunion CPOM n° 3"

CLAIRE, NADIA = "claire.martin@ght-exemple.fr", "nadia.lefevre@ght-exemple.fr"
KARIM, SOPHIE = "karim.benali@ght-exemple.fr", "sophie.durand@ght-exemple.fr"
MARC, HELENE = "marc.rousseau@ars-exemple.fr", "helene.garnier@ehpad-tilleuls.fr"

ANAP = "Tableau de bord ANAP"


@dataclass
class Step:
    """One action of the table, as its animator creates it and its owner then follows it.

    start, due and closed are days from the day the demo is loaded. progress > 0 puts it in
    progress; result closes it (done, or abandoned when `abandoned`)."""

    title: str
    owner: str
    start: int
    due: int
    description: str = ""
    co_owners: tuple[str, ...] = ()
    priority: str = "normal"
    progress: int = 0
    result: str = ""
    abandoned: bool = False
    closed: int | None = None
    indicators: list[dict] = field(default_factory=list)


def _quarter_ends(today: date, count: int) -> list[date]:
    """The last days of the `count` quarters before today's, oldest first."""
    end = date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)
    ends = [end]
    for _ in range(count - 1):
        end = date(end.year, (end.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)
        ends.append(end)
    return ends[::-1]


def _cpom_objectives(today: date) -> list[tuple[str, str, list[Step]]]:
    quarters = _quarter_ends(today, 4)
    return [
        ("Améliorer l'accès aux soins des personnes âgées",
         "Fiche objectifs n° 1 : diversifier l'offre de l'EHPAD pour le maintien à domicile et les sorties "
         "d'hospitalisation du territoire de Montbrison.", [
             Step("Ouvrir 6 places d'hébergement temporaire", HELENE, -420, 120, priority="high", progress=65,
                  co_owners=(CLAIRE,),
                  description="Transformation de 6 places d'hébergement permanent en hébergement temporaire, "
                              "dont 2 réservées aux sorties d'hospitalisation (dispositif HT-SH).",
                  indicators=[
                      {"name": "Taux d'occupation de l'hébergement temporaire", "unit": "%",
                       "value_type": "percent", "baseline": 62, "target": 85,
                       "values": [(quarters[0], 64, ANAP), (quarters[1], 69.5, ANAP), (quarters[2], 73, ANAP),
                                  (quarters[3], 78.4, ANAP)]},
                      {"name": "Places ouvertes", "unit": "places", "value_type": "integer", "baseline": 0,
                       "target": 6, "values": [(quarters[2], 2, "Registre des admissions"),
                                               (quarters[3], 4, "Registre des admissions")]},
                  ]),
             Step("Conventionner avec l'équipe mobile de gériatrie du CH de Montbrison", CLAIRE, -300, -60,
                  co_owners=(HELENE,), progress=80, closed=-65,
                  result="Convention signée : deux passages par mois de l'équipe mobile, avis gériatrique "
                         "sous 48 heures sur demande du médecin coordonnateur."),
             Step("Déployer les téléconsultations de gériatrie et de dermatologie", CLAIRE, -200, -20,
                  co_owners=(HELENE,), progress=70, priority="high",
                  description="Chariot de télémédecine financé par le FIR ; créneaux partagés avec le CH de "
                              "Montbrison. Reste : formation des infirmières de nuit."),
             Step("Instruire la demande d'extension de l'accueil de jour (10 places)", MARC, -45, 60, progress=40,
                  co_owners=(HELENE,),
                  description="Instruction par la délégation départementale : avis de la commission et arrêté "
                              "d'autorisation modificatif."),
             Step("Créer un pôle d'activités et de soins adaptés (PASA) de 14 places", HELENE, 30, 400,
                  description="Étude architecturale, recrutement d'un assistant de soins en gérontologie, "
                              "demande de labellisation à l'ARS."),
         ]),
        ("Renforcer la qualité et la sécurité des prises en charge",
         "Fiches objectifs n° 2 et 3 : prévention des chutes, accompagnement de fin de vie, évaluation HAS.", [
             Step("Réaliser l'auto-évaluation selon le référentiel HAS des ESSMS", NADIA, -150, -10,
                  co_owners=(HELENE,), progress=80, priority="high",
                  description="Grille du référentiel national d'évaluation ; restitution au conseil de la vie "
                              "sociale avant la visite de l'organisme évaluateur."),
             Step("Sécuriser le circuit du médicament : audit des armoires et double contrôle", NADIA, -30, -5,
                  priority="high",
                  description="Audit des armoires à pharmacie des trois unités avec la pharmacie à usage "
                              "intérieur du CH ; double contrôle des stupéfiants."),
             Step("Déployer le plan de prévention des chutes", HELENE, -90, 180, progress=35,
                  description="Repérage du risque à l'admission, ateliers équilibre avec le kinésithérapeute, "
                              "analyse de chaque chute avec hospitalisation en réunion pluridisciplinaire.",
                  indicators=[{"name": "Chutes avec hospitalisation pour 1 000 journées", "unit": "‰",
                               "value_type": "decimal", "baseline": 1.4, "target": 0.8,
                               "values": [(quarters[2], 1.3, "Déclarations internes"),
                                          (quarters[3], 1.1, "Déclarations internes")]}]),
             Step("Mettre à jour le plan bleu et la procédure canicule", HELENE, -200, -100, progress=50,
                  closed=-105,
                  result="Plan bleu validé en conseil de la vie sociale ; deux pièces rafraîchies équipées, "
                         "registre des résidents à risque tenu chaque semaine de juin à septembre."),
             Step("Formaliser le projet d'accompagnement de fin de vie avec l'équipe de soins palliatifs",
                  CLAIRE, 30, 270, co_owners=(NADIA,), priority="low",
                  description="Convention avec l'équipe mobile de soins palliatifs, directives anticipées "
                              "recueillies à l'admission, formation de deux référents."),
         ]),
        ("Optimiser l'efficience",
         "Trajectoire financière présentée à effectif constant ; les crédits non reconductibles ne financent "
         "pas de postes pérennes.", [
             Step("Transmettre l'ERRD 2025 et le rapport d'activité à l'ARS", HELENE, -20, 21, progress=50,
                  co_owners=(MARC,), priority="high",
                  description="Pièces demandées pour compléter le diagnostic partagé (compte rendu de la "
                              "réunion n° 3)."),
             Step("Négocier l'avenant au contrat en cours : temps d'infirmière hygiéniste partagé", MARC, -40, 45,
                  co_owners=(CLAIRE,), progress=30, priority="high",
                  description="0,3 ETP d'infirmière hygiéniste partagé entre l'EHPAD et le CH de Montbrison, "
                              "financé dès cette année."),
             Step("Mutualiser les achats de dispositifs médicaux avec le GHT", CLAIRE, -240, -30, progress=60,
                  closed=-35,
                  result="Adhésion aux marchés groupés du GHT (gants nitrile, solutions hydro-alcooliques, "
                         "protections) : économie estimée à 8 % sur ces lots."),
             Step("Réduire le recours à l'intérim infirmier", HELENE, -180, -30, progress=25,
                  description="Pool de remplacement partagé avec le CH de Montbrison, fidélisation des "
                              "vacataires ; cible : moins de 5 % des heures infirmières."),
             Step("Étudier la mutualisation de la blanchisserie avec l'EHPAD voisin", HELENE, -160, -40,
                  progress=20, abandoned=True, closed=-50, priority="low",
                  result="Abandonnée : l'étude de coût montre un surcoût de transport de 12 % et l'EHPAD "
                         "voisin renouvelle son propre marché pour cinq ans."),
         ]),
        ("Développer les partenariats territoriaux",
         "Inscrire l'EHPAD dans le parcours de santé des personnes âgées du territoire.", [
             Step("Signer une convention avec l'HAD du territoire", CLAIRE, -210, -90, co_owners=(HELENE,),
                  progress=90, closed=-95,
                  result="Convention signée avec l'HAD Loire Sud ; 4 résidents pris en charge depuis, sans "
                         "hospitalisation."),
             Step("Organiser le comité de suivi annuel du CPOM", MARC, 60, 90, co_owners=(CLAIRE, HELENE),
                  description="Revue du tableau de suivi et des indicateurs avec la délégation départementale."),
             Step("Rejoindre le dispositif d'appui à la coordination (DAC) de la Loire", HELENE, 14, 200,
                  priority="low"),
         ]),
    ]


def _hygiene_objectives(today: date) -> list[tuple[str, str, list[Step]]]:
    return [
        ("Prévenir les infections associées aux soins",
         "Programme d'amélioration de la qualité et de la sécurité des soins, volet hygiène, voté par le CLIN.", [
             Step("Auditer l'observance de l'hygiène des mains dans les cinq établissements", SOPHIE, -60, 45,
                  co_owners=(NADIA,), progress=50, priority="high",
                  description="Audit d'observation (grille SF2H), 30 opportunités par unité, restitution aux "
                              "cadres."),
             Step("Déployer la procédure précautions complémentaires contact", KARIM, -20, 30, progress=20,
                  description="Sessions de présentation dans chaque site ; affiches en salle de soins."),
             Step("Former les équipes des EHPAD partenaires aux précautions standard", SOPHIE, -120, -14,
                  progress=60,
                  description="Deux demi-journées par EHPAD, EHPAD Les Tilleuls en premier."),
             Step("Remplacer les lave-bassins défectueux du CH de Roanne", SOPHIE, -150, -45, progress=70,
                  closed=-50, co_owners=(KARIM,),
                  result="Trois lave-bassins remplacés ; contrat de maintenance avec intervention sous 48 heures."),
             Step("Mettre à jour la procédure de signalement externe des IAS (e-SIN)", NADIA, 10, 90,
                  co_owners=(MARC,), priority="low"),
         ]),
    ]


def _day(today: date, offset: int) -> date:
    return today + timedelta(days=offset)


def _follow(people: dict, objective: Objective, animator: User, step: Step, today: date) -> Action:
    owner = people[step.owner]
    action = service.create_action(animator, objective, {
        "title": step.title, "description": step.description, "owner_id": owner.id,
        "co_owners": [people[email].id for email in step.co_owners], "start_date": _day(today, step.start),
        "due_date": _day(today, step.due), "priority": step.priority})
    for data in step.indicators:
        indicator = service.add_indicator(owner, action, {key: data[key] for key in
                                                          ("name", "unit", "value_type", "baseline", "target")})
        for measured_on, value, source in data["values"]:
            service.record_value(owner, indicator, {"measured_on": measured_on, "value": value, "source": source})
    if step.progress:
        service.update_action(owner, action, {"status": ActionStatus.IN_PROGRESS, "progress": step.progress},
                              row_version=action.row_version)
    if step.result:
        status = ActionStatus.ABANDONED if step.abandoned else ActionStatus.DONE
        service.close_action(owner, action, status=status, result_note=step.result, row_version=action.row_version)
        if step.closed is not None:
            action.closed_at = datetime.combine(_day(today, step.closed), time(15, 0), tzinfo=UTC)
    return action


def _plan(people: dict, space: Community, animator: User, title: str, description: str,
          objectives: list[tuple[str, str, list[Step]]], today: date) -> dict[str, Action]:
    plan = service.create_plan(animator, space, {"title": title, "description": description})
    actions = {}
    for objective_title, objective_description, steps in objectives:
        objective = service.add_objective(animator, plan, {"title": objective_title,
                                                           "description": objective_description})
        for step in steps:
            actions[step.title] = _follow(people, objective, animator, step, today)
    db.session.flush()
    return actions


def load(*, people: dict, communities: dict) -> None:
    cpom, hygiene = communities.get(CPOM), communities.get(HYGIENE)
    if cpom is None or hygiene is None:
        return
    today = local_today()
    actions = _plan(people, cpom, people[CLAIRE], CPOM_PLAN,
                    "Tableau de suivi des actions du contrat pluriannuel d'objectifs et de moyens signé entre l'ARS "
                    "Auvergne-Rhône-Alpes, le GHT et l'EHPAD Les Tilleuls. Revu à chaque comité de suivi.",
                    _cpom_objectives(today), today)
    minutes = db.session.scalar(select(Document).where(Document.community_id == cpom.id, Document.title == MINUTES))
    if minutes is not None:  # the minutes ask for these papers
        service.link(people[HELENE], actions["Transmettre l'ERRD 2025 et le rapport d'activité à l'ARS"],
                     "document", minutes.id)
    _plan(people, hygiene, people[KARIM], HYGIENE_PLAN,
          "Volet hygiène du programme d'amélioration de la qualité et de la sécurité des soins du GHT.",
          _hygiene_objectives(today), today)


def _on_demo_loaded(_sender, *, people, communities, **_extra) -> None:
    load(people=people, communities=communities)


def init_app(_app) -> None:
    signals.demo_loaded.connect(_on_demo_loaded)
