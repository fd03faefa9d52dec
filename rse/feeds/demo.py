"""The demo's conversations: what `flask rse demo` shows in the streams from the first login."""

from __future__ import annotations

from rse import signals
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import answers, comments, follows, reactions, suggestions

HYGIENE = "Hygiène – protocoles GHT"
CPOM = "CPOM 2026 – EHPAD Les Tilleuls"
ACHATS = "Achats"

KARIM, SOPHIE, NADIA = "karim.benali@ght-exemple.fr", "sophie.durand@ght-exemple.fr", "nadia.lefevre@ght-exemple.fr"
CLAIRE, JULIEN = "claire.martin@ght-exemple.fr", "julien.moreau@ght-exemple.fr"
MARC, HELENE = "marc.rousseau@ars-exemple.fr", "helene.garnier@ehpad-tilleuls.fr"

WIKI_V1 = """Fiche réflexe à afficher en salle de soins.

## Hygiène des mains
- Friction hydro-alcoolique **avant et après** tout contact patient.
- Pas de bijou, ongles courts, avant-bras dégagés.

## Équipements de protection
- Gants uniquement en cas de risque de contact avec du sang ou des liquides biologiques.
- Tablier à usage unique pour les soins mouillants ou souillants.
"""

WIKI_V2 = WIKI_V1 + """
## Gestion des excreta
- Lave-bassin ou sacs protecteurs à usage unique ; **jamais** de douchette.
"""


def load(app, *, people: dict, communities: dict) -> None:
    hygiene, cpom, achats = communities.get(HYGIENE), communities.get(CPOM), communities.get(ACHATS)
    if hygiene is None or cpom is None or achats is None:
        return
    admin = next(user for user in people.values() if user.is_admin)

    announcement = publications.publish(people[KARIM], hygiene, {
        "kind": "announcement", "title": "Nouveau protocole : précautions complémentaires contact",
        "body": "La version commune aux cinq établissements est validée par le CLIN du GHT.\n\n"
                "- entre en vigueur le **1er décembre** ;\n- remplace les protocoles locaux ;\n"
                "- une session de présentation est prévue dans chaque site.",
        "tags": ["Hygiène", "BMR", "Protocoles"], "place": "Tous les sites"})
    pins.pin(people[KARIM], announcement)
    pins.pin(admin, announcement, home=True)

    wiki = publications.publish(people[KARIM], hygiene, {
        "kind": "wiki", "title": "Précautions standard – fiche réflexe", "body": WIKI_V1,
        "tags": ["Hygiène", "Précautions standard"]})
    publications.update_publication(people[SOPHIE], wiki, {"body": WIKI_V2, "note": "Ajout de la gestion des excreta"})

    question = publications.publish(people[SOPHIE], hygiene, {
        "kind": "question", "title": "Combien de temps garder les feuilles de traçabilité du bionettoyage ?",
        "body": "Les équipes de Roanne les archivent un an, celles du Forez trois mois. Y a-t-il une règle ?",
        "tags": ["Bionettoyage", "Traçabilité"]})
    reactions.press_same_question(people[NADIA], question)
    answer = comments.add_comment(people[KARIM], question,
                                 "Pas de texte réglementaire : le GHT retient **un an**, comme pour les autres "
                                 "traçabilités de l'EOH. Je l'ajoute au protocole entretien des locaux.")
    answers.accept_answer(people[SOPHIE], answer)

    publications.publish(people[NADIA], hygiene, {
        "kind": "post", "body": "Merci @sophie.durand pour la relecture de la fiche réflexe ! "
                                "Elle sera affichée dans les unités la semaine prochaine.",
        "tags": ["Hygiène"]})
    publications.publish(people[SOPHIE], hygiene, {
        "kind": "link", "url": "https://www.sf2h.net/", "title": "Recommandations de la SF2H",
        "body": "Les recommandations nationales sur lesquelles s'appuient nos protocoles.", "tags": ["Hygiène"]})
    follows.follow(people[SOPHIE], "tag", "Hygiène")

    publications.publish(people[CLAIRE], cpom, {
        "kind": "announcement", "title": "Calendrier de négociation du CPOM 2026-2030",
        "body": "1. Diagnostic partagé : fin janvier\n2. Fiches objectifs : mars\n3. Signature : juin\n\n"
                "Les comptes rendus de chaque réunion seront déposés dans les documents de l'espace.",
        "tags": ["CPOM"], "place": "EHPAD Les Tilleuls, Montbrison"})
    cpom_question = publications.publish(people[HELENE], cpom, {
        "kind": "question", "title": "Faut-il joindre l'ERRD 2025 au diagnostic partagé ?", "body": "",
        "tags": ["CPOM", "ERRD"]})
    comments.add_comment(people[MARC], cpom_question,
                        "Oui, l'ERRD 2025 et le dernier rapport d'activité suffisent pour le diagnostic.")

    deal = publications.publish(people[JULIEN], achats, {
        "kind": "post", "body": "Le marché groupé des gants nitrile est attribué : bascule des commandes "
                                "au 1er janvier pour les cinq établissements.", "tags": ["Achats", "Gants"]})
    suggestions.suggest(people[JULIEN], deal, users=[people[KARIM].id],
                    message="Pour information, cela concerne les protocoles d'hygiène.")
    suggestions.suggest(people[KARIM], wiki, users=[people[CLAIRE].id],
                    message="La fiche réflexe que nous diffuserons aux EHPAD partenaires.")


def _on_demo_loaded(sender, *, people, communities, **_extra) -> None:
    load(sender, people=people, communities=communities)


def init_app(app) -> None:
    signals.demo_loaded.connect(_on_demo_loaded)
