"""The demo's documents: real PDF, XLSX and DOCX files that `flask rse demo` generates and uploads.

They go through the same service as a person's upload, so extraction, thumbnails, search
indexing, versions and review dates run exactly as they would for a real file. The content
depends only on today's date, so two demos loaded the same day hold the same bytes. The
controlled documents of the hygiene space are in .controlled, the file makers in .files.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from rse import signals
from rse.i18n import format_day, local_today

from .. import service
from . import controlled
from .files import Section, close_all, make_pdf, make_upload

HYGIENE = "Hygiène – protocoles GHT"
CPOM = "CPOM 2026 – EHPAD Les Tilleuls"
ACHATS = "Achats"
QUALITE = "Qualité et gestion des risques"

KARIM, SOPHIE, NADIA = "karim.benali@ght-exemple.fr", "sophie.durand@ght-exemple.fr", "nadia.lefevre@ght-exemple.fr"
CLAIRE, JULIEN = "claire.martin@ght-exemple.fr", "julien.moreau@ght-exemple.fr"

PROTOCOL_REVIEW_IN_DAYS = 10

def _protocol_pages(version: int, today: date) -> list[list[Section]]:
    excreta = [
        "Les excreta (urines, selles, vomissements) sont une source majeure de transmission croisée, en "
        "particulier des entérobactéries productrices de BLSE et des BHRe.",
        "- Port de gants et d'un tablier à usage unique pour toute manipulation des excreta.",
        "- Élimination immédiate dans le lave-bassin ; le bassin n'est jamais vidé dans le lavabo.",
    ]
    if version == 1:
        excreta += ["- Rinçage du bassin à la douchette autorisé lorsque le lave-bassin est en panne."]
    else:
        excreta += [
            "- La douchette est proscrite : elle disperse des aérosols contaminés dans la pièce.",
            "- En l'absence de lave-bassin fonctionnel, utiliser des sacs protecteurs à usage unique "
            "avec gélifiant, éliminés dans la filière DASRI.",
            "- Signaler toute panne de lave-bassin au service technique le jour même.",
        ]
    return [
        [
            ("1. Objet", [
                "Ce protocole décrit les précautions standard à appliquer par tout professionnel, pour tout "
                "patient ou résident, quel que soit son statut infectieux. Il harmonise les pratiques des cinq "
                "établissements du GHT et remplace les protocoles locaux.",
                "Il a été validé par le comité de lutte contre les infections nosocomiales (CLIN) du GHT.",
            ]),
            ("2. Champ d'application", [
                "- Tous les services de soins, médico-techniques et les EHPAD rattachés ;",
                "- tous les professionnels : médicaux, paramédicaux, étudiants, intérimaires et prestataires ;",
                "- les plateaux techniques (bloc opératoire, imagerie, endoscopie) pour les soins hors acte "
                "invasif, qui relèvent de leurs protocoles propres.",
            ]),
            ("3. Précautions standard", [
                "Les précautions standard constituent le socle de la prévention de la transmission croisée. "
                "Elles associent l'hygiène des mains, le port d'équipements de protection individuelle adaptés, "
                "la gestion des excreta, l'entretien de l'environnement et la prévention des accidents "
                "d'exposition au sang.",
                "- Tenue professionnelle propre, changée chaque jour et dès qu'elle est souillée ;",
                "- avant-bras dégagés, ongles courts sans vernis, aucun bijou ;",
                "- cheveux attachés ;",
                "- hygiène respiratoire : masque chirurgical pour toute personne qui tousse.",
            ]),
        ],
        [
            ("4. Hygiène des mains", [
                "La friction hydro-alcoolique est la technique de référence. Le lavage simple à l'eau et au "
                "savon est réservé aux mains visiblement souillées et aux soins de patients atteints de gale "
                "ou d'infection à Clostridioides difficile.",
                "- Avant tout contact avec le patient ;",
                "- avant un geste aseptique ;",
                "- après un risque d'exposition à un liquide biologique ;",
                "- après tout contact avec le patient ;",
                "- après contact avec l'environnement du patient.",
                "Durée de la friction : 20 à 30 secondes, jusqu'à séchage complet, en insistant sur le bout "
                "des doigts et les pouces.",
            ]),
            ("5. Équipements de protection individuelle (EPI)", [
                "Les gants sont réservés aux situations de contact avec du sang, des liquides biologiques, "
                "une muqueuse ou une peau lésée. Ils sont changés entre deux patients et entre deux soins "
                "chez un même patient ; une friction précède et suit leur port.",
                "- Tablier plastique à usage unique pour les soins mouillants ou souillants ;",
                "- surblouse à manches longues en cas de projection importante ;",
                "- masque chirurgical et lunettes de protection en cas de risque de projection.",
            ]),
        ],
        [
            ("6. Gestion des excreta", excreta),
            ("7. Références", [
                "- SF2H, Actualisation des précautions standard, juin 2017 ;",
                "- SF2H, Prévention de la transmission croisée : précautions complémentaires contact, 2009 ;",
                "- Instruction DGOS/PF2 relative au programme national de prévention des infections "
                "associées aux soins ;",
                "- Protocole GHT « Entretien des locaux », version en vigueur.",
            ]),
            ("Suivi du document", [
                f"Version {version} du {format_day(today)}. Prochaine révision au plus tard le "
                f"{format_day(today + timedelta(days=PROTOCOL_REVIEW_IN_DAYS))}.",
            ]),
        ],
    ]


def _minutes_pages(today: date) -> list[list[Section]]:
    meeting = today - timedelta(days=6)
    steps = [today + timedelta(days=days) for days in (21, 45, 90)]
    return [
        [
            ("Réunion du " + format_day(meeting) + ", EHPAD Les Tilleuls, Montbrison", [
                "Troisième réunion de négociation du contrat pluriannuel d'objectifs et de moyens 2026-2030.",
            ]),
            ("Participants", [
                "- Claire Martin, directrice adjointe, affaires médico-sociales (GHT) ;",
                "- Hélène Garnier, directrice de l'EHPAD Les Tilleuls ;",
                "- Marc Rousseau, chargé de mission médico-social, ARS Auvergne-Rhône-Alpes ;",
                "- Nadia Lefèvre, responsable qualité (GHT).",
                "Excusé : le médecin coordonnateur de l'EHPAD.",
            ]),
            ("Ordre du jour", [
                "- Validation du diagnostic partagé ;",
                "- fiches objectifs : qualité de l'accompagnement, prévention des chutes, hygiène ;",
                "- trajectoire financière et avenant au contrat en cours ;",
                "- calendrier jusqu'à la signature.",
            ]),
        ],
        [
            ("Relevé de décisions", [
                "1. Le diagnostic partagé est validé, sous réserve de l'ajout de l'ERRD 2025 et du dernier "
                "rapport d'activité.",
                "2. Trois fiches objectifs sont retenues : prévention des chutes, qualité de l'accompagnement "
                "de fin de vie, hygiène et prévention des infections (avec l'appui de l'EOH du GHT).",
                "3. Un avenant au contrat en cours sera signé pour financer, dès cette année, le temps "
                "d'infirmière hygiéniste partagé entre l'EHPAD et le CH de Montbrison.",
                "4. Les indicateurs de suivi seront ceux du tableau de bord de la performance du secteur "
                "médico-social, complétés par le taux de chutes avec hospitalisation.",
            ]),
            ("Points de vigilance", [
                "L'ARS rappelle que les crédits non reconductibles ne peuvent pas financer des postes "
                "pérennes. La trajectoire financière devra être présentée à effectif constant.",
            ]),
        ],
        [
            ("Prochaines étapes", [
                f"- {format_day(steps[0])} : envoi par l'EHPAD de l'ERRD 2025 et du rapport d'activité ;",
                f"- {format_day(steps[1])} : projet d'avenant transmis par l'ARS ;",
                f"- {format_day(steps[2])} : réunion de validation des fiches objectifs.",
                "Le présent compte rendu est réputé approuvé sans remarque des participants sous quinze jours.",
            ]),
        ],
    ]


# --- Office files -------------------------------------------------------------------------------

PURCHASES = [
    # lot, supplier, unit, unit price (EUR), yearly quantity, start of the contract (days from today)
    ("Gants d'examen nitrile non poudrés", "MedSupply France", "boîte de 100", 4.35, 48_000, 25),
    ("Solution hydro-alcoolique 500 mL", "Laboratoires Anios", "flacon", 3.90, 21_500, 25),
    ("Tabliers plastique à usage unique", "Hygiène Pro", "rouleau de 100", 6.10, 9_800, 25),
    ("Sacs protecteurs de bassin avec gélifiant", "Carebag Santé", "carton de 200", 58.00, 1_150, 60),
    ("Masques chirurgicaux type IIR", "Protec Médical", "boîte de 50", 2.45, 36_000, -30),
    ("Lingettes désinfectantes surfaces", "Hygiène Pro", "sachet de 100", 5.80, 14_200, -30),
]


def _purchases_xlsx(today: date) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Marchés groupés 2026"
    sheet.append(["Lot", "Fournisseur", "Unité", "Prix unitaire HT (EUR)", "Quantité annuelle",
                  "Montant annuel HT (EUR)", "Début du marché"])
    for cell in sheet[1]:
        cell.font = openpyxl.styles.Font(bold=True)
    for row, (lot, supplier, unit, price, quantity, start) in enumerate(PURCHASES, start=2):
        sheet.append([lot, supplier, unit, price, quantity, f"=D{row}*E{row}", today + timedelta(days=start)])
        sheet.cell(row=row, column=7).number_format = "DD/MM/YYYY"
    sheet.append(["Total", None, None, None, None, f"=SUM(F2:F{len(PURCHASES) + 1})", None])
    for column, width in zip("ABCDEFG", (42, 22, 16, 22, 18, 24, 16), strict=True):
        sheet.column_dimensions[column].width = width
    book.properties.creator = "Julien Moreau"
    book.properties.created = book.properties.modified = datetime.combine(today, time(9, 0))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _framing_docx(today: date) -> bytes:
    from docx import Document as WordDocument

    word = WordDocument()
    word.core_properties.author = "Nadia Lefèvre"
    word.core_properties.created = word.core_properties.modified = datetime.combine(today, time(9, 0))
    word.add_heading("Note de cadrage – visite de certification HAS", level=0)
    word.add_paragraph(f"Cellule qualité du GHT – {format_day(today)}")
    word.add_heading("Contexte", level=1)
    word.add_paragraph(
        "La visite de certification des établissements du GHT par la Haute Autorité de santé est attendue "
        "dans les six prochains mois. Cette note fixe l'organisation de la préparation.")
    word.add_heading("Objectifs", level=1)
    for item in ("Mettre à jour la cartographie des risques de chaque pôle ;",
                 "réaliser un patient traceur par service avant la visite ;",
                 "vérifier la traçabilité de l'hygiène des mains et du bionettoyage."):
        word.add_paragraph(item, style="List Bullet")
    word.add_heading("Pilotage", level=1)
    word.add_paragraph(
        "Un comité de pilotage mensuel réunit la direction qualité, le président de la CME, la direction des "
        "soins et les référents qualité des pôles. Les comptes rendus sont déposés dans cet espace.")
    table = word.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Étape", "Responsable", "Échéance"), strict=True):
        cell.text = text
    for step, owner, days in (("Auto-évaluation des pôles", "Référents qualité", 30),
                              ("Patients traceurs", "Cadres de santé", 75),
                              ("Revue des indicateurs", "Cellule qualité", 120)):
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = step, owner, format_day(today + timedelta(days=days))
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


# --- Loading ------------------------------------------------------------------------------------

def load(*, people: dict, communities: dict) -> None:
    hygiene, cpom, achats, qualite = (communities.get(name) for name in (HYGIENE, CPOM, ACHATS, QUALITE))
    if hygiene is None or cpom is None or achats is None or qualite is None:
        return
    today = local_today()
    uploads: list[service.Upload] = []
    try:
        title = "Protocole – précautions standard et gestion des excreta"
        uploads.append(make_upload(make_pdf(title, "PRO-EOH-012", "Dr Karim Benali, praticien hygiéniste",
                                            _protocol_pages(1, today), today), "protocole-precautions-standard.pdf"))
        protocol = service.create_document(people[KARIM], hygiene, uploads[-1], {
            "title": title, "tags": ["Hygiène", "Protocoles", "Précautions standard"],
            "description": "Protocole commun aux cinq établissements, validé par le CLIN du GHT.",
            "review_by": today + timedelta(days=PROTOCOL_REVIEW_IN_DAYS)})
        uploads.append(make_upload(make_pdf(title, "PRO-EOH-012", "Dr Karim Benali, praticien hygiéniste",
                                            _protocol_pages(2, today), today),
                                   "protocole-precautions-standard-v2.pdf"))
        service.add_version(people[SOPHIE], protocol, uploads[-1],
                            "Gestion des excreta : la douchette est proscrite, sacs protecteurs à usage unique "
                            "si le lave-bassin est en panne.")

        minutes_title = "Compte rendu – réunion CPOM n° 3"
        folder = service.create_folder(people[CLAIRE], cpom, "Comptes rendus")
        uploads.append(make_upload(make_pdf(minutes_title, "CPOM 2026-2030 – EHPAD Les Tilleuls", "Claire Martin",
                                            _minutes_pages(today), today), "compte-rendu-cpom-reunion-3.pdf"))
        service.create_document(people[CLAIRE], cpom, uploads[-1], {
            "title": minutes_title, "folder_id": folder.id, "tags": ["CPOM", "Compte rendu"],
            "description": "Diagnostic partagé validé, trois fiches objectifs, avenant au contrat en cours."})

        uploads.append(make_upload(_purchases_xlsx(today), "marches-groupes-2026.xlsx"))
        service.create_document(people[JULIEN], achats, uploads[-1], {
            "title": "Tableau des marchés groupés 2026", "tags": ["Achats", "Marchés"],
            "description": "Lots, fournisseurs, prix et quantités annuelles des marchés mutualisés du GHT."})

        uploads.append(make_upload(_framing_docx(today), "note-de-cadrage-certification.docx"))
        service.create_document(people[NADIA], qualite, uploads[-1], {
            "title": "Note de cadrage – visite de certification HAS", "tags": ["Qualité", "Certification"]})
    finally:
        close_all(uploads)
    controlled.load(people=people, hygiene=hygiene, today=today)


def _on_demo_loaded(_sender, *, people, communities, **_extra) -> None:
    load(people=people, communities=communities)


def init_app(_app) -> None:
    signals.demo_loaded.connect(_on_demo_loaded)
