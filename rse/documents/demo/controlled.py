"""The demo's controlled documents, in the hygiene space: a protocol in force whose next version is
being written, with its reading campaign half done; a procedure in approval; a form past its review.

Each step goes through the controlled documents' services (identity and roles, submissions,
decisions, reading), as people would take it through the pages, so notifications, streams and the
audit trail hold what they would. Only the dates in the past are set by hand (see _in_force_since).
"""

from __future__ import annotations

from datetime import date

from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.i18n import format_day

from .. import service
from ..controlled import reading
from ..controlled import service as controlled
from ..models import Document
from .files import Section, close_all, make_pdf, make_upload

KARIM, SOPHIE, NADIA = "karim.benali@ght-exemple.fr", "sophie.durand@ght-exemple.fr", "nadia.lefevre@ght-exemple.fr"
CLAIRE, MARC = "claire.martin@ght-exemple.fr", "marc.rousseau@ars-exemple.fr"

ESTABLISHMENTS = ["CHU de Saint-Étienne", "CH de Roanne", "CH du Forez", "CH de Montbrison"]

HAND_HYGIENE = ("HYG-PRO-001", "Protocole – hygiène des mains")
CONTACT = ("HYG-PRC-002", "Procédure – précautions complémentaires contact")
CLEANING = ("HYG-FOR-003", "Formulaire – traçabilité du bionettoyage des chambres")

# How long ago the versions in force came into force, in months.
HAND_HYGIENE_IN_FORCE_FOR = 3
CLEANING_IN_FORCE_FOR = 13  # reviewed every 12 months: a month past its review date

HAND_HYGIENE_CHANGES = {
    2: "Friction de 20 à 30 secondes, alliance retirée pendant les soins, conduite à tenir en cas de "
       "Clostridioides difficile.",
    3: "Ajout du suivi annuel de l'observance (audit d'observation) et de la consommation de produits "
       "hydro-alcooliques par unité.",
}
CONTACT_RETURN = ("Préciser qui informe l'établissement d'aval, EHPAD compris, lors du transfert d'un patient "
                  "porteur de BHRe, et quand les précautions sont levées.")
CONTACT_CHANGE = ("Levée des précautions sur avis de l'EOH ; information de l'établissement d'aval lors d'un "
                  "transfert.")


# --- Content ------------------------------------------------------------------------------------

def _follow_up(code: str, version: int, effective: date, changes: dict[int, str]) -> Section:
    history = [f"- Version 1 : création du document {code}."]
    history += [f"- Version {number} : {text}" for number, text in sorted(changes.items()) if number <= version]
    return ("Suivi du document", [f"{code}, version {version}, rédigée le {format_day(effective)}.", *history])


def _hand_hygiene_pages(version: int, written: date) -> list[list[Section]]:
    code = HAND_HYGIENE[0]
    rubbing = ("Durée de la friction : 30 secondes." if version == 1 else
               "Durée de la friction : 20 à 30 secondes, jusqu'à séchage complet des mains, en insistant sur "
               "le bout des doigts et les pouces.")
    jewellery = ("- alliance lisse tolérée ;" if version == 1 else
                 "- aucun bijou aux mains ni aux poignets, alliance comprise, pendant les soins ;")
    washing = ["Le lavage simple à l'eau et au savon doux est réservé aux mains visiblement souillées ou "
               "mouillées."]
    if version >= 2:
        washing.append("En cas d'infection à Clostridioides difficile ou de gale, le lavage simple est suivi, "
                       "après séchage, d'une friction hydro-alcoolique : l'alcool seul n'élimine pas les spores.")
    pages: list[list[Section]] = [
        [
            ("1. Objet et domaine d'application", [
                f"Le présent protocole ({code}) fixe les règles d'hygiène des mains communes aux établissements "
                "du GHT. Il s'applique à tout professionnel, étudiant, intérimaire ou prestataire en contact "
                "avec un patient, un résident ou son environnement.",
            ]),
            ("2. Prérequis", [
                "- Avant-bras dégagés, manches courtes ou retroussées ;",
                "- ongles courts, sans vernis, sans faux ongles ni résine ;",
                jewellery,
            ]),
            ("3. Friction hydro-alcoolique", [
                "La friction avec un produit hydro-alcoolique est la technique de référence, sur des mains "
                "sèches et non souillées.",
                rubbing,
                "Les cinq indications : avant de toucher le patient ; avant un geste aseptique ; après un risque "
                "d'exposition à un liquide biologique ; après avoir touché le patient ; après avoir touché "
                "l'environnement du patient.",
            ]),
            ("4. Lavage simple", washing),
        ],
        [
            ("5. Gants", [
                "Les gants ne remplacent pas l'hygiène des mains : une friction précède leur enfilage et suit "
                "leur retrait. Ils sont changés entre deux patients et entre deux soins chez un même patient.",
            ]),
        ],
    ]
    if version >= 3:
        pages[1].append(("6. Évaluation", [
            "- Audit d'observation des pratiques une fois par an dans chaque unité, restitué à l'équipe ;",
            "- suivi trimestriel de la consommation de produits hydro-alcooliques par unité, comparée à "
            "l'objectif de l'établissement.",
        ]))
    pages[1].append(_follow_up(code, version, written, HAND_HYGIENE_CHANGES))
    return pages


def _contact_pages(version: int, written: date) -> list[list[Section]]:
    code = CONTACT[0]
    lifting = ["Les précautions sont levées à la sortie du patient."]
    if version >= 2:
        lifting = [
            "Les précautions sont levées sur avis de l'équipe opérationnelle d'hygiène. Pour un patient porteur "
            "de BHRe, elles sont maintenues pendant tout le séjour et le dossier porte une alerte.",
            "Lors d'un transfert, le service qui adresse le patient informe l'établissement d'aval, EHPAD "
            "compris, avant le départ, par téléphone et sur la fiche de liaison.",
        ]
    return [
        [
            ("1. Objet", [
                f"Cette procédure ({code}) décrit les précautions complémentaires contact, qui s'ajoutent aux "
                "précautions standard pour les patients porteurs ou infectés de bactéries multirésistantes "
                "(BMR), de bactéries hautement résistantes émergentes (BHRe), de gale ou de Clostridioides "
                "difficile.",
            ]),
            ("2. Mise en place", [
                "- Sur prescription médicale, dès la suspicion, sans attendre le résultat du prélèvement ;",
                "- chambre individuelle, porte signalée par le pictogramme « Précautions contact » ;",
                "- matériel dédié à la chambre (stéthoscope, thermomètre, brassard) ;",
                "- information du patient et de ses proches.",
            ]),
            ("3. Pendant le séjour", [
                "- Friction hydro-alcoolique en entrant et en sortant de la chambre ;",
                "- tablier à usage unique pour tout soin de contact, surblouse à manches longues si le soin "
                "est mouillant ou souillant ;",
                "- bionettoyage quotidien renforcé des surfaces proches du patient.",
            ]),
        ],
        [
            ("4. Levée des précautions", lifting),
            _follow_up(code, version, written, {2: CONTACT_CHANGE}),
        ],
    ]


def _cleaning_pages(written: date) -> list[list[Section]]:
    code = CLEANING[0]
    return [
        [
            ("Objet", [
                f"Ce formulaire ({code}) trace l'entretien de chaque chambre : un formulaire par chambre et par "
                "semaine, rempli par l'agent qui réalise l'entretien.",
            ]),
            ("À renseigner à chaque passage", [
                "- Date et heure ;",
                "- type d'entretien : quotidien, à la sortie du patient, renforcé (précautions contact) ;",
                "- produit détergent-désinfectant utilisé et numéro de lot ;",
                "- visa de l'agent.",
            ]),
            ("Conservation", [
                "Le formulaire rempli est conservé un an dans l'unité, puis détruit. Il est présenté sur demande "
                "à l'équipe opérationnelle d'hygiène.",
            ]),
            _follow_up(code, 1, written, {}),
        ],
    ]


# --- Loading ------------------------------------------------------------------------------------

def _create(author: User, hygiene: Community, identity: tuple[str, str], pages: list[list[Section]],
            data: dict, control: dict, written: date) -> Document:
    code, title = identity
    upload = make_upload(make_pdf(title, f"{code} – version 1", author.name, pages, written),
                         f"{code.lower()}-v1.pdf")
    try:
        return service.create_document(author, hygiene, upload, {
            "title": title, **data, "control": {"code": code, "applies_to": ESTABLISHMENTS, **control}})
    finally:
        close_all([upload])


def _new_version(author: User, document: Document, number: int, pages: list[list[Section]], note: str,
                 written: date) -> None:
    assert document.control is not None, "a controlled document"
    code = document.control.code
    upload = make_upload(make_pdf(document.title, f"{code} – version {number}", author.name, pages, written),
                         f"{code.lower()}-v{number}.pdf")
    try:
        service.add_version(author, document, upload, note)
    finally:
        close_all([upload])


def _decide(document: Document, deciders: list[User], comment: str = "") -> None:
    circuit = controlled.open_circuit(document)
    assert circuit is not None, "a version in the circuit"
    sha256 = circuit.sha256
    for person in deciders:
        controlled.decide(person, document, verdict="approve", sha256=sha256, comment=comment)


def _in_force_since(document: Document, effective: date) -> None:
    # The service brings a version into force today or later, never in the past; the demo shows
    # documents that came into force months ago, so it moves the date afterwards, in the demo only.
    # The audit trail keeps the day the demo was loaded.
    control = document.control
    assert control is not None, "a controlled document"
    control.effective_date = effective
    document.review_by = controlled.add_months(effective, control.review_months)
    db.session.flush()


def load(*, people: dict, hygiene: Community, today: date) -> None:
    karim, sophie, nadia, claire, marc = (people[email] for email in (KARIM, SOPHIE, NADIA, CLAIRE, MARC))

    # A protocol in force in its version 2 (version 1 archived), version 3 being written.
    hand_since = controlled.add_months(today, -HAND_HYGIENE_IN_FORCE_FOR)
    first_written = controlled.add_months(hand_since, -24)
    hand = _create(sophie, hygiene, HAND_HYGIENE, _hand_hygiene_pages(1, first_written), {
        "tags": ["Hygiène", "Protocoles", "Hygiène des mains"],
        "description": "Friction hydro-alcoolique, lavage simple et gants : les règles communes du GHT."}, {
        "doc_type": "protocol", "writers": [sophie.id], "checkers": [nadia.id], "approvers": [karim.id],
        "review_months": 24}, first_written)
    controlled.submit(sophie, hand)
    _decide(hand, [nadia])
    _decide(hand, [karim])
    _new_version(sophie, hand, 2, _hand_hygiene_pages(2, hand_since), HAND_HYGIENE_CHANGES[2], hand_since)
    controlled.submit(sophie, hand, note="Mise à jour selon les recommandations SF2H.")
    _decide(hand, [nadia], "Relu : conforme aux recommandations de la SF2H.")
    _decide(hand, [karim])
    _in_force_since(hand, hand_since)
    _new_version(sophie, hand, 3, _hand_hygiene_pages(3, today), HAND_HYGIENE_CHANGES[3], today)
    controlled.lock(sophie, hand, max(controlled.LOCK_HOURS))

    # Its reading campaign, half done: the hygiene space and two establishments, read unevenly.
    reading.require_reading(karim, hand, {"communities": [hygiene.id],
                                          "establishments": ["CHU de Saint-Étienne", "CH de Montbrison"]})
    for person in (karim, sophie, marc):
        reading.confirm(person, hand)

    # A procedure sent back once by the agency's checker, then checked by both and approved by one
    # of its two approvers.
    contact = _create(sophie, hygiene, CONTACT, _contact_pages(1, today), {
        "tags": ["Hygiène", "Procédures", "BMR", "BHRe"],
        "description": "Chambre, équipements, bionettoyage et levée des précautions pour les BMR et BHRe."}, {
        "doc_type": "procedure", "writers": [sophie.id], "checkers": [nadia.id, marc.id],
        "approvers": [karim.id, claire.id], "approval_rule": "all", "review_months": 36}, today)
    circuit = controlled.submit(sophie, contact)
    _decide(contact, [nadia])
    controlled.decide(marc, contact, verdict="return", sha256=circuit.sha256, comment=CONTACT_RETURN)
    _new_version(sophie, contact, 2, _contact_pages(2, today), CONTACT_CHANGE, today)
    controlled.submit(sophie, contact, note="Version reprise après la relecture de l'ARS.")
    _decide(contact, [nadia, marc])
    _decide(contact, [karim], "Approuvé pour le CLIN.")

    # A form in force for thirteen months, reviewed every twelve: its review date has passed.
    cleaning_since = controlled.add_months(today, -CLEANING_IN_FORCE_FOR)
    cleaning = _create(karim, hygiene, CLEANING, _cleaning_pages(cleaning_since), {
        "tags": ["Hygiène", "Bionettoyage", "Traçabilité"],
        "description": "Un formulaire par chambre et par semaine, conservé un an dans l'unité."}, {
        "doc_type": "form", "writers": [karim.id], "checkers": [sophie.id], "approvers": [nadia.id],
        "review_months": 12}, cleaning_since)
    controlled.submit(karim, cleaning)
    _decide(cleaning, [sophie])
    _decide(cleaning, [nadia])
    _in_force_since(cleaning, cleaning_since)
