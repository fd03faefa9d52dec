"""Search at 200,000 items: full reindex, single writes, queries and autocomplete, per engine.

The items are generated here, deterministic from --seed: French text of a hospital group
(Zipf-like word frequencies over a domain vocabulary, elisions, plurals, phrases); --items
content items (70 % publications, 18 % comments, 5 % wiki pages, 7 % documents, some with
long extracted text) plus --communities communities and --people people, scoped as
`rse.indexing` says. They are streamed in batches of 500 into a fresh index through a builder
(the full-reindex path). Then a reader in 40 communities searches (1, 2, 3 words, a word being
typed, date sort, next page) and completes 2- to 4-letter prefixes of real names, tags and
community names; last, single-item writes (the outbox path). Prints p50 and p95 in ms
(time.perf_counter around each engine call) and whether the targets hold for each engine:
reindex >= 3,000 items/s, query p95 < 50 ms and autocomplete p95 < 15 ms at 200,000 items.

With several engines, the same 50 queries made of the titles' words (and whole titles) go to
each, and their top 10 are compared with the first engine's (FTS5): the overlap of each pair,
and the rank of the item whose title was the query.

OpenSearch: `--opensearch-url`, or none and the script starts a node of its own from the test
launcher (`tests/services.py`), as a server runs it (full JIT, G1, a 1 GB heap by default), and
stops it at the end, Ctrl+C or SIGTERM included. For the Lucene engines it also prints the
node's heap in use, its resident memory (a node it started) and the index's size on disk.

    .venv/bin/python benchmarks/search.py --workdir ~/maillage-bench/search          # build, then measure
    .venv/bin/python benchmarks/search.py --workdir ~/maillage-bench/search --reuse --explain  # where time goes
    .venv/bin/python benchmarks/search.py --items 20000                               # in a temporary folder
    .venv/bin/python benchmarks/search.py --engines fts,opensearch --workdir ~/maillage-bench/search
    .venv/bin/python benchmarks/search.py --engines fts,elastic --elastic-url http://127.0.0.1:9200
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.seeding.data import (  # noqa: E402  (the names and places of `flask rse seed`)
    COMMUNITY_KINDS,
    COMMUNITY_THEMES,
    DEPARTMENTS,
    ESTABLISHMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    STAFF_JOBS,
)
from benchmarks.seeding.data import TAGS as SEED_TAGS  # noqa: E402
from rse.indexing import (  # noqa: E402
    EVERY_STAFF_MEMBER,
    SearchItem,
    content_scope,
    listing_scope,
    people_scope,
    self_scope,
)
from rse.search.engine import DATE, RELEVANCE, Engine, Query, SearchUnavailable  # noqa: E402
from rse.search.text import STOPWORDS, parse_query  # noqa: E402
from rse.search.text import words as text_words  # noqa: E402
from rse.tags import fold  # noqa: E402

QUERY_TARGET_MS = 50.0
COMPLETE_TARGET_MS = 15.0
REINDEX_TARGET = 3_000           # items/s, a full reindex through the builder
RELEVANCE_QUERIES = {1: 10, 2: 10, 3: 10, "title": 20}  # words of a title, or a whole title: how many of each
TITLE_SAMPLE = 400               # content items with a title sampled as candidates for those queries
BATCH = 500                      # items per builder.add, as `flask search reindex --batch`
READER_COMMUNITIES = 40
PUBLIC_SHARE = 0.30              # of the communities: their content is readable by every staff member
SECRET_SHARE = 0.10              # of the communities: not even listed for non-members
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)


# --- Vocabulary ------------------------------------------------------------------------------------
# Entries are written from the most frequent to the rarest: their rank gives their Zipf weight.

FUNCTION_WORDS = (
    "de la le les et des à du en un une pour dans est sur au par avec qui que ne pas plus se ce il nous vous "
    "sont aux ou cette ces son leur tous être a été sera afin de selon lors de entre depuis chaque très aussi "
    "bien mais donc notamment ainsi après avant sans sous vers comme si déjà encore toujours"
).split()

DOMAIN = """
patient|patients|service|équipe|l'équipe|soins|prise en charge|hôpital|l'hôpital|établissement|l'établissement|
réunion|protocole|infirmière|infirmier|médecin|cadre de santé|direction|qualité|sécurité|formation|planning|
unité|l'unité|professionnels|agents|famille|résidents|urgences|consultation|hospitalisation|protocoles|
infirmières|médecins|séjour|sortie|admission|l'accueil|chambre|lits|bloc opératoire|pharmacie|médicaments|
traitement|prescription|dossier patient|hygiène|d'hygiène|astreinte|astreintes|d'astreinte|garde|nuit|week-end|
plan blanc|procédure|procédures|fiche|document|documents|compte rendu|ordre du jour|décision|validation|
mise à jour|version|certification|HAS|critères|indicateurs|évaluation|l'évaluation|audit|l'audit|
événement indésirable|événements indésirables|déclaration|signalement|gestion des risques|risques|
identitovigilance|ARS|l'ARS|CPOM|contrat|objectifs|projet|projet d'établissement|GHT|territoire|partenaires|
EHPAD|l'EHPAD|soins de suite|HAD|médecine|chirurgie|maternité|pédiatrie|gériatrie|psychiatrie|oncologie|
cardiologie|réanimation|dialyse|anesthésie|internes|étudiants|IFSI|aide-soignante|aides-soignants|
brancardier|kinésithérapeute|psychologue|assistante sociale|secrétariat|sage-femme|pharmacien|laboratoire|
prélèvements|résultats|imagerie|radiologie|scanner|IRM|télémédecine|logiciel|informatique|
système d'information|messagerie sécurisée|DPI|dossier patient informatisé|identité|douleur|soins palliatifs|
fin de vie|directives anticipées|personne de confiance|consentement|usagers|représentants des usagers|
réclamation|satisfaction|questionnaire|nutrition|dénutrition|repas|restauration|hydratation|chutes|
prévention des chutes|contention|escarres|plaies|pansement|perfusion|cathéter|glycémie|insuline|diabète|
anticoagulants|antibiotiques|vaccination|grippe|Covid|épidémie|canicule|plan canicule|tensions|
gestion des lits|parcours patient|ambulatoire|chirurgie ambulatoire|programmation|salle de réveil|stérilisation|
bionettoyage|linge|déchets|DASRI|développement durable|travaux|services techniques|maintenance|biomédical|
équipements|matériel|commandes|achats|marchés publics|appel d'offres|fournisseurs|budget|EPRD|finances|
facturation|codage|PMSI|DIM|activité|ressources humaines|RH|recrutement|postes|fiche de poste|mobilité|
remplacements|pool de remplacement|intérim|absentéisme|congés|RTT|heures supplémentaires|cycle de travail|
temps de travail|entretien professionnel|formation continue|DPC|plan de formation|compétences|tutorat|
nouveaux arrivants|livret d'accueil|santé au travail|médecine du travail|risques psychosociaux|
qualité de vie au travail|accident du travail|accident d'exposition au sang|sécurité incendie|évacuation|
exercice incendie|sûreté|CSE|F3SCT|CME|CSIRMT|directoire|conseil de surveillance|instances|commission|comité|
groupe de travail|référents|référente|coordination|coordinatrice|cadre supérieur de santé|directeur des soins|
directrice|chef de pôle|chef de service|pôle|praticien hospitalier|urgence vitale|chariot d'urgence|
défibrillateur|arrêt cardiaque|AFGSU|simulation|retour d'expérience|bonnes pratiques|recommandations|guide|
note de service|note d'information|réglementation|décret|arrêté|instruction|veille réglementaire|actualité|
information|rappel|important|urgent|nouveau|nouvelle|mise en place|déploiement|lancement|calendrier|semaine|
mois|année|lundi|mardi|mercredi|jeudi|vendredi|matin|après-midi|salle de réunion|visioconférence|inscription|
participants|présentation|diaporama|questions|réponse|merci|bonjour|cordialement|n'hésitez pas|besoin|aide|
proposition|amélioration|organisation|l'organisation|fonctionnement|difficultés|problème|solution|retours|
bilan|chiffres|statistiques|tableau de bord|enquête|étude|recherche clinique|essai clinique|congrès|journée|
colloque|séminaire|atelier|webinaire|précautions standard|précautions complémentaires|isolement|BMR|BHRe|
infections nosocomiales|lavage des mains|solution hydroalcoolique|EOH|cellule de crise|exercice|crise|
relevé de décisions|comptes rendus|visite de certification|IQSS|RMM|CREX|analyse des causes|vigilance|
pharmacovigilance|matériovigilance|hémovigilance|transfusion|projet médical partagé|groupement|coopération|
convention|USLD|SSR|hospitalisation à domicile|obstétrique|néonatologie|court séjour gériatrique|CMP|
addictologie|chimiothérapie|radiothérapie|pneumologie|néphrologie|soins intensifs|USC|anesthésiste|IADE|IBODE|
chirurgien|externes|stagiaires|ASH|brancardage|ergothérapeute|diététicienne|secrétaire médicale|sages-femmes|
préparatrices|biologiste|bilan sanguin|échographie|radiographie|téléconsultation|télé-expertise|MSSanté|DMP|
Mon espace santé|INS|bracelet d'identification|évaluation de la douleur|droits des patients|CDU|plainte|
e-Satis|régime|escarre|cicatrisation|voie veineuse|PICC line|sonde urinaire|héparine|morphine|paracétamol|
antibiothérapie|vaccin|gastro-entérite|lits disponibles|bed manager|flux|déprogrammation|SSPI|tri|énergie|
commande|fournisseur|T2A|recettes|dépenses|entretien annuel|AES|alarme|vigipirate|chariot de soins|DSA|
hôpitaux|établissements|unités|services|équipes|familles|cadres|praticiens|soignants|soignante|soignant|
l'infirmière|l'interne|l'usager|l'ensemble|d'urgence|d'information|l'admission|l'unité de soins|
""".replace("\n", "").strip("|").split("|")

# Everyday French around the domain's words: verbs, adjectives, nouns of any text.
GENERAL = """
faire|prévoir|permettre|mettre en place|organiser|rappeler|proposer|demander|trouver|vérifier|signaler|
transmettre|prendre|assurer|concerner|participer|présenter|préparer|informer|remercier|travailler|utiliser|
savoir|pouvoir|devoir|falloir|venir|aller|voir|dire|donner|passer|rester|suivre|recevoir|envoyer|contacter|
répondre|accompagner|améliorer|renforcer|partager|échanger|valider|compléter|respecter|appliquer|rencontrer|
prochain|prochaine|nouveau|nouvelle|possible|nécessaire|disponible|différent|important|général|commun|
premier|dernier|grand|petit|bon|meilleur|simple|rapide|local|régional|national|quotidien|habituel|prévu|
temps|jour|jours|place|cas|personne|personnes|point|points|fois|question|suite|fin|début|moment|heure|heures|
semaine prochaine|lieu|niveau|partie|ensemble|exemple|demande|demandes|travail|situation|besoin|choix|
accès|message|mail|courriel|téléphone|numéro|adresse|site|bureau|salle|porte|étage|bâtiment|
collègues|collègue|tout le monde|chacun|vos|nos|votre|notre|ici|là|bientôt|aujourd'hui|demain|hier|
""".replace("\n", "").strip("|").split("|")

# The rare end: drugs, towns of the territory, numbers and references that few texts mention.
RARE = """
amoxicilline|vancomycine|céfazoline|ceftriaxone|métformine|furosémide|lévothyroxine|oxycodone|kétamine|
propofol|noradrénaline|adrénaline|midazolam|tramadol|ondansétron|oméprazole|énoxaparine|warfarine|
apixaban|rivaroxaban|salbutamol|prednisolone|dexaméthasone|hydroxyzine|halopéridol|lorazépam|
Montbrison|Feurs|Roanne|Firminy|Saint-Chamond|Rive-de-Gier|Andrézieux|Veauche|Boën|Charlieu|Renaison|
Balbigny|Panissières|Chazelles|Saint-Just|Bourg-Argental|Pélussin|Unieux|Sury-le-Comtal|Chambéon|
n° 1|n° 2|n° 3|salle 12|salle 104|bâtiment A|bâtiment B|aile nord|aile sud|niveau 2|niveau 3|poste 4512|
réf. 2024-17|réf. 2025-03|version 2.1|version 3.0|annexe 4|article 12|tableau 3|ligne 15|porte 7|
stérilisateur|autoclave|lave-bassin|pousse-seringue|glucomètre|saturomètre|tensiomètre|aspirateur de mucosités|
matelas à air|lève-malade|verticalisateur|déambulateur|fauteuil roulant|chaise percée|bassin de lit|
orthophoniste|podologue|orthoptiste|psychomotricienne|socio-esthéticienne|aumônier|médiatrice|interprète|
Ségur|Pacte|PRS|SROS|SAMU|SMUR|SDIS|CPTS|DAC|MAIA|PASA|UHR|UCC|EMG|EMSP|ELSA|PASS|CeGIDD|CLAT|CLIN|CLUD|
COMEDIMS|CLAN|CIV|CAQES|CBU|PUI|RESEDA|Hospiday|GHM|GHS|MCO|PSY|DAF|DRH|DSI|DSIRMT|DAM|DG|DGS|
""".replace("\n", "").strip("|").split("|")

# The seed's tags, then more of the group's (about 150 in all).
TAGS = SEED_TAGS + (
    "ARS", "GHT", "Projet médical partagé", "Soins palliatifs", "Douleur", "Nutrition",
    "Dénutrition", "Plaies", "Escarres", "Chutes", "Contention", "Bloc opératoire", "Anesthésie", "Ambulatoire",
    "Réanimation", "Pédiatrie", "Maternité", "Néonatologie", "Psychiatrie", "Addictologie", "Oncologie",
    "Chimiothérapie", "Radiothérapie", "Cardiologie", "Pneumologie", "Dialyse", "Imagerie", "Laboratoire",
    "Transfusion", "Hémovigilance", "Pharmacovigilance", "Matériovigilance", "Stérilisation", "Biomédical",
    "Maintenance", "Sécurité incendie", "Sûreté", "Vigipirate", "Crise", "Exercice", "Santé au travail", "QVT",
    "Risques psychosociaux", "Absentéisme", "Remplacements", "Intérim", "Temps de travail", "Congés",
    "Entretien annuel", "DPC", "Tutorat", "Internes", "Étudiants", "IFSI", "Accueil", "Livret d'accueil",
    "Usagers", "Droits des patients", "Plaintes", "Satisfaction", "e-Satis", "CDU", "Éthique", "Fin de vie",
    "Directives anticipées", "Consentement", "Parcours patient", "Gestion des lits", "Bed management",
    "Programmation", "Facturation", "PMSI", "Codage", "T2A", "EPRD", "Finances", "Contrôle de gestion",
    "Indicateurs", "IQSS", "Tableau de bord", "Audit", "RMM", "CREX", "Gestion des risques", "Veille",
    "Réglementation", "Note de service", "Messagerie sécurisée", "DMP", "Mon espace santé", "INS",
    "Cybersécurité", "Téléconsultation", "Logistique", "Transports", "Brancardage", "Linge", "Déchets", "DASRI",
    "Énergie", "Achats durables", "Communication", "Intranet", "Événement", "Congrès", "Recherche clinique",
    "Innovation", "Simulation", "AFGSU", "Urgence vitale", "Handicap",
)

PLACES = (
    "CH de Montreuil", "CH de Roanne", "CHU de Saint-Étienne", "CH du Forez", "CH de Firminy",
    "CH de Saint-Chamond", "Hôpital Nord", "Hôpital Bellevue", "Hôpital de la Charité", "Site de Montbrison",
    "Site de Feurs", "EHPAD Bonvert", "EHPAD de Feurs", "Maternité de Saint-Chamond", "IFSI de Roanne",
    "Centre médico-psychologique de Firminy", "Salle du conseil, bâtiment A", "Amphithéâtre de l'IFSI",
    "Salle de réunion du pôle médecine", "Self du personnel", "Hall d'accueil", "Visioconférence",
)

LINK_SITES = (
    "https://www.has-sante.fr/jcms/p_{n}/fr/{slug}", "https://www.auvergne-rhone-alpes.ars.sante.fr/{slug}",
    "https://sante.gouv.fr/soins-et-maladies/{slug}", "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT{n}",
    "https://www.santepubliquefrance.fr/{slug}", "https://www.ansm.sante.fr/actualites/{slug}",
    "https://www.anap.fr/s/article/{slug}", "https://intranet.ght-exemple.fr/documents/{n}/{slug}",
)

SUBKINDS = (("post", 45), ("question", 15), ("link", 14), ("announcement", 12))
DOCUMENT_TYPES = ("pdf", "docx", "xlsx", "pptx", "odt")
DOCUMENT_HEADS = ("Procédure", "Protocole", "Compte rendu", "Note de service", "Fiche technique", "Rapport",
                  "Guide", "Charte", "Convention", "Bilan", "Planning", "Formulaire")
WIKI_HEADS = ("Mode opératoire", "Fonctionnement", "Annuaire", "Questions fréquentes", "Organisation",
              "Démarche", "Mémo", "Tout savoir sur")


# --- Text -----------------------------------------------------------------------------------------

def zipf_cumulative(count: int, exponent: float, offset: float = 2.7) -> list[float]:
    """Cumulative Zipf-Mandelbrot weights of ranks 0..count-1: the first few dominate, the tail is long."""
    return list(itertools.accumulate(1.0 / (rank + 1 + offset) ** exponent for rank in range(count)))


class Text:
    """French prose of the domain, cut from a pool of sentences drawn once (slicing it is fast).

    Four layers of words, each Zipf-like: function words (40 % of a French text), everyday words,
    the domain's words and phrases, and a long tail of names, drugs, places, acronyms and numbers
    that few texts share. The most common domain stems ("patient", "équipe", "soin") end up in
    roughly a third to half of the items (all the long documents have them), most in under 5 %."""

    LAYERS = ((0.40, 1.0, 2.7), (0.22, 1.0, 10.0), (0.30, 1.0, 60.0), (0.08, 1.0, 10.0))  # share, exponent, offset

    def __init__(self, rng: random.Random, sentences: int = 60_000):
        self.rng = rng
        names = [f"{title} {name}" for name in LAST_NAMES for title in ("Dr", "Mme", "M.")]
        dates = [f"{day:02d}/{month:02d}" for month in range(1, 13) for day in range(1, 29)]
        self.tail = RARE + names + [str(n) for n in range(1, 3000)] + dates
        self.entries: list[str] = []
        self.cumulative: list[float] = []
        base = 0.0
        for words, (share, exponent, offset) in zip((FUNCTION_WORDS, GENERAL, DOMAIN, self.tail), self.LAYERS,
                                                     strict=True):
            self.entries += words
            self.cumulative += [base + share * c for c in _normalised(zipf_cumulative(len(words), exponent, offset))]
            base += share
        _share, exponent, offset = self.LAYERS[2]
        self.domain_cumulative = _normalised(zipf_cumulative(len(DOMAIN), exponent, offset))
        self.sentences: list[str] = []
        self.lengths: list[int] = []
        for _ in range(sentences):
            entries = rng.choices(self.entries, cum_weights=self.cumulative, k=rng.randint(6, 18))
            sentence = " ".join(entries)
            self.sentences.append(sentence[0].upper() + sentence[1:] + rng.choice((".", ".", ".", " ?", " !", " :")))
            self.lengths.append(sentence.count(" ") + 1)

    def prose(self, words: int) -> str:
        """About `words` words of consecutive sentences from a random place in the pool."""
        start = self.rng.randrange(len(self.sentences))
        parts, count, index = [], 0, start
        while count < words:
            parts.append(self.sentences[index])
            count += self.lengths[index]
            index = (index + 1) % len(self.sentences)
        return " ".join(parts)

    def phrase(self, low: int, high: int) -> str:
        """A title-like run of domain entries: content words, a few function words between them."""
        chosen = self.rng.choices(DOMAIN, cum_weights=self.domain_cumulative, k=self.rng.randint(low, high))
        pieces = []
        for index, entry in enumerate(chosen):
            if index and self.rng.random() < 0.4:
                pieces.append(self.rng.choice(("de", "et", "pour", "du", "des", "avec", "en", "au", "sur")))
            pieces.append(entry)
        text = " ".join(pieces)
        return text[0].upper() + text[1:]


def _normalised(cumulative: list[float]) -> list[float]:
    total = cumulative[-1]
    return [value / total for value in cumulative]


# --- The organisation and its items ------------------------------------------------------------------

@dataclass
class Community:
    """A community as the generator needs it: its audience (visibility) and how much is posted in it."""

    id: int
    title: str
    visibility: str  # public, private or secret
    weight: float    # how busy it is


@dataclass
class World:
    """Communities and people, drawn first: items and the reader's audience follow from them."""

    communities: list[Community]
    people: int
    community_cumulative: list[float] = field(default_factory=list)
    author_cumulative: list[float] = field(default_factory=list)

    def pick_community(self, rng: random.Random) -> Community:
        return self.communities[bisect.bisect(self.community_cumulative, rng.random() * self.community_cumulative[-1])]

    def pick_author(self, rng: random.Random) -> int:
        return 1 + bisect.bisect(self.author_cumulative, rng.random() * self.author_cumulative[-1])


def make_world(rng: random.Random, communities: int, people: int) -> World:
    names = [f"{kind} {theme}" for theme in COMMUNITY_THEMES for kind in COMMUNITY_KINDS]
    rng.shuffle(names)
    establishments = [name for name, _sites in ESTABLISHMENTS]
    made = []
    for cid in range(1, communities + 1):
        title = names[(cid - 1) % len(names)]
        if cid > len(names) or rng.random() < 0.3:
            title += f" – {rng.choice(establishments)}"
        roll = rng.random()
        visibility = "public" if roll < PUBLIC_SHARE else "secret" if roll > 1 - SECRET_SHARE else "private"
        made.append(Community(cid, title, visibility, 1.0 / (rng.random() * communities + 5) ** 0.8))
    world = World(made, people)
    world.community_cumulative = list(itertools.accumulate(c.weight for c in made))
    world.author_cumulative = zipf_cumulative(people, 0.7, offset=20)
    return world


class Items:
    """Every item of the index, generated in order and streamed: communities, people, then content."""

    def __init__(self, seed: int, items: int, communities: int, people: int):
        self.rng = random.Random(seed)
        self.world = make_world(self.rng, communities, people)
        self.text = Text(self.rng)
        self.items = items
        self.version = 0
        self.recent: deque[tuple[str, int, datetime]] = deque(maxlen=2000)  # publications comments answer
        self.person_names: list[tuple[str, str]] = []
        self.publications: list[int] = []  # numbers of the publications made, for edits
        self.titled: list[SearchItem] = []  # a sample of the items with a title, for the relevance queries

    def __iter__(self) -> Iterator[tuple[SearchItem, int]]:
        yield from self._communities()
        yield from self._people()
        kinds = ("publication", "comment", "wiki", "document")
        cumulative = list(itertools.accumulate((70, 18, 5, 7)))
        makers: dict[str, Callable[[int], SearchItem]] = {
            "publication": self._publication, "comment": self._comment, "wiki": self._wiki,
            "document": self._document}
        for number in range(self.items):
            kind = kinds[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]
            item = makers[kind](number + 1)
            if item.title and number % max(1, self.items // TITLE_SAMPLE) == 0:
                self.titled.append(item)
            yield item, self._next_version()

    def _next_version(self) -> int:
        self.version += 1
        return self.version

    def _date(self, number: int) -> datetime:
        """Content grows over three years, newest last, with some jitter."""
        share = (number + self.rng.random() * 200) / max(self.items, 1)
        return END - SPAN * (1 - min(share, 1.0))

    def _tags(self, most: int = 4) -> tuple[str, ...]:
        counts = _TAG_COUNTS[: most + 1]
        count = bisect.bisect(counts, self.rng.random() * counts[-1])
        return tuple(dict.fromkeys(self.rng.choices(TAGS, cum_weights=_TAG_CUMULATIVE, k=count)))

    def _communities(self) -> Iterator[tuple[SearchItem, int]]:
        rng, text = self.rng, self.text
        for community in self.world.communities:
            description = rng.choice((
                "Échanges de pratiques entre les équipes du GHT : ", "Suivi du projet commun : ",
                "Les référents se retrouvent ici : ", "Espace de coordination avec nos partenaires : ",
            )) + text.prose(rng.randint(15, 40))
            item = SearchItem(
                source="community", id=community.id, kind="community", scopes=(listing_scope(community.id),),
                url=f"/communities/{community.id}", date=END - SPAN * rng.random(), title=community.title,
                tags=self._tags(3), description=description, community_id=community.id,
                names=(community.title,))
            yield item, self._next_version()

    def _people(self) -> Iterator[tuple[SearchItem, int]]:
        rng, world = self.rng, self.world
        sites = [(name, site) for name, sites in ESTABLISHMENTS for site in sites]
        for person in range(1, world.people + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            self.person_names.append((first, last))
            establishment, site = rng.choice(sites)
            memberships = {world.pick_community(rng).id for _ in range(rng.randint(1, 5))}
            item = SearchItem(
                source="person", id=person, kind="person",
                scopes=(EVERY_STAFF_MEMBER, *sorted(people_scope(cid) for cid in memberships)),
                url=f"/people/{person}", date=END - SPAN * rng.random(), title=f"{first} {last}",
                description=f"{rng.choice(STAFF_JOBS)} – {rng.choice(DEPARTMENTS)}", place=f"{establishment} – {site}",
                names=(first, last))
            yield item, self._next_version()

    def _content(self, source: str, kind: str, number: int, **fields) -> SearchItem:
        community = fields.pop("community", None) or self.world.pick_community(self.rng)
        return SearchItem(
            source=source, id=number, kind=kind, scopes=(content_scope(community.id),),
            url=f"/{source}s/{number}", date=fields.pop("date", None) or self._date(number),
            community_id=community.id, author_id=self.world.pick_author(self.rng), **fields)

    def _publication(self, number: int) -> SearchItem:
        rng, text = self.rng, self.text
        subkind = SUBKINDS[bisect.bisect(_SUBKIND_CUMULATIVE, rng.random() * _SUBKIND_CUMULATIVE[-1])][0]
        title = text.phrase(3, 7)
        if subkind == "question":
            title = "Quelqu'un sait-il " + title[0].lower() + title[1:] + " ?"
        body = text.prose(int(30 + rng.paretovariate(1.6) * 25) if rng.random() < 0.7 else rng.randint(30, 200))
        link = ""
        if subkind == "link":
            slug = "-".join(fold(w) for w in text.phrase(2, 5).split() if w.isalpha())
            link = rng.choice(LINK_SITES).format(n=rng.randint(1000, 9_999_999), slug=slug)
        place = rng.choice(PLACES) if rng.random() < 0.15 else ""
        community = self.world.pick_community(rng)
        item = self._content("publication", "publication", number, subkind=subkind, title=title, body=body,
                             tags=self._tags(), link=link, place=place, community=community)
        self.recent.append((title, community.id, item.date))
        self.publications.append(number)
        return item

    def _comment(self, number: int) -> SearchItem:
        rng = self.rng
        if self.recent:
            title, cid, date = rng.choice(self.recent)
            community = self.world.communities[cid - 1]
        else:
            title, community, date = self.text.phrase(3, 6), None, None
        body = rng.choice(("Merci ! ", "Bonjour, ", "Vu en réunion : ", "", "")) + self.text.prose(rng.randint(5, 60))
        when = date + timedelta(hours=rng.random() * 72) if date else None
        return self._content("comment", "comment", number, heading=f"Re: {title}", body=body, community=community,
                             date=min(when, END) if when else None)

    def _wiki(self, number: int) -> SearchItem:
        rng = self.rng
        title = f"{rng.choice(WIKI_HEADS)} : {self.text.phrase(1, 4).lower()}"
        return self._content("wiki", "wiki", number, title=title, body=self.text.prose(rng.randint(200, 1500)),
                             tags=self._tags(2))

    def _document(self, number: int) -> SearchItem:
        rng = self.rng
        extension = rng.choice(DOCUMENT_TYPES)
        title = f"{rng.choice(DOCUMENT_HEADS)} {self.text.phrase(2, 6).lower()}.{extension}"
        description = self.text.prose(rng.randint(10, 30)) if rng.random() < 0.6 else ""
        body = self.text.prose(rng.randint(500, 3000)) if rng.random() < 0.4 else ""
        return self._content("document", "document", number, subkind=extension, title=title,
                             description=description, body=body, tags=self._tags(3))


_TAG_CUMULATIVE = zipf_cumulative(len(TAGS), 1.0, offset=2.0)  # a few tags are on many items
_TAG_COUNTS = list(itertools.accumulate((30, 30, 20, 12, 8)))  # how many tags an item has: 0 to 4
_SUBKIND_CUMULATIVE = list(itertools.accumulate(weight for _, weight in SUBKINDS))


# --- The reader --------------------------------------------------------------------------------------

def reader_audience(world: World, rng: random.Random) -> frozenset[str]:
    """A staff member in 40 communities (busy ones more likely), as `service.audience` would compute it."""
    mine: set[int] = set()
    while len(mine) < min(READER_COMMUNITIES, len(world.communities)):
        mine.add(world.pick_community(rng).id)
    tokens = {EVERY_STAFF_MEMBER, self_scope(1)}
    for community in world.communities:
        member = community.id in mine
        if member or community.visibility == "public":
            tokens.add(content_scope(community.id))
        if member or community.visibility != "secret":
            tokens.add(listing_scope(community.id))
    return frozenset(tokens)


class Queries:
    """What readers type: single words by their frequency in the texts or from anywhere in the vocabulary,
    the domain's phrases, words being typed; and prefixes of names, tags and community names."""

    def __init__(self, rng: random.Random, text: Text, items: Items):
        self.rng = rng
        frequency: dict[str, float] = {}
        previous = 0.0
        for entry, cumulative in zip(DOMAIN, text.domain_cumulative, strict=True):
            weight, previous = cumulative - previous, cumulative
            for word in entry.split():
                if fold(word) not in STOPWORDS and any(ch.isalpha() for ch in word):
                    frequency[word] = frequency.get(word, 0.0) + weight
        for entry in RARE:  # searched for too, though rarely written
            for word in entry.split():
                if any(ch.isalpha() for ch in word):
                    frequency.setdefault(word, 0.0)
        self.words = sorted(frequency)
        self.word_cumulative = list(itertools.accumulate(frequency[w] for w in self.words))
        self.phrases = [entry for entry in DOMAIN if len(parse_query(entry)) > 1]
        self.names = [word for pair in items.person_names[:5000] for word in pair]
        self.tag_words = [word for tag in TAGS for word in tag.split()]
        self.community_words = [word for c in items.world.communities for word in c.title.split() if len(word) > 3]

    def word(self) -> str:
        """Half as often as it appears in the texts (common words), half uniformly (the rare ones)."""
        if self.rng.random() < 0.5:
            return self.words[bisect.bisect(self.word_cumulative, self.rng.random() * self.word_cumulative[-1])]
        return self.rng.choice(self.words)

    def text(self, terms: int) -> str:
        """A query of exactly `terms` search terms: a phrase of the domain (a third of the time) or words."""
        while True:
            if terms > 1 and self.rng.random() < 1 / 3:
                raw = self.rng.choice(self.phrases)
            else:
                raw = " ".join(self.word() for _ in range(terms))
            if len(parse_query(raw)) == terms:
                return raw

    def typed(self) -> str:
        """A word being typed: its first 4 to 6 letters."""
        while True:
            word = self.word()
            if len(word) >= 6:
                return word[: self.rng.randint(4, min(6, len(word) - 1))]

    def prefix(self, length: int) -> str:
        pool = self.rng.choice((self.names, self.tag_words, self.community_words))
        while True:
            word = self.rng.choice(pool)
            if len(word) >= length and word[:length].isalpha():
                return word[:length]


# --- Measures ------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Line:
    """One measured line of the table."""

    engine: str
    measure: str
    timings: list[float] = field(default_factory=list)  # ms
    hits: list[int] = field(default_factory=list)       # total matches of each query
    target: float | None = None
    errors: int = 0                                     # calls that raised SearchUnavailable (timeouts...)

    @property
    def p50(self) -> float:
        return percentile(self.timings, 0.5)

    @property
    def p95(self) -> float:
        return percentile(self.timings, 0.95)


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def attempt(line: Line, call: Callable[[], object], keep: bool) -> object | None:
    """One timed call into `line` (if `keep`); an engine that gives up counts as an error, not a time."""
    try:
        ms, result = timed(call)
    except SearchUnavailable as exc:
        line.errors += 1
        if line.errors == 1:
            print(f"  {line.engine}, {line.measure}: {str(exc)[:200]}", flush=True)
        return None
    if keep:
        line.timings.append(ms)
    return result


def measure_queries(engine: Engine, name: str, audience: frozenset[str], queries: Queries, repeat: int,
                    warmup: int) -> list[Line]:
    """Every kind of query, interleaved round by round so that a noisy moment hits them all alike."""
    target = QUERY_TARGET_MS
    plans = {
        "1 word": lambda: (queries.text(1), RELEVANCE),
        "2 words": lambda: (queries.text(2), RELEVANCE),
        "3 words": lambda: (queries.text(3), RELEVANCE),
        "word being typed": lambda: (queries.typed(), RELEVANCE),
        "1 word, date sort": lambda: (queries.text(1), DATE),
    }
    drawn = {measure: [plan() for _ in range(repeat + warmup)] for measure, plan in plans.items()}
    drawn["1 word, next page"] = [(queries.text(1), RELEVANCE) for _ in range(repeat + warmup)]
    lines = {measure: Line(name, f"query: {measure}", target=target) for measure in drawn}
    first_pages = Line(name, "query: first page before a next page")
    for index in range(repeat + warmup):
        for measure, texts in drawn.items():
            raw, sort = texts[index]
            query = Query(terms=parse_query(raw), audience=audience, sort=sort)
            if measure.endswith("next page"):
                first = attempt(first_pages, lambda q=query: engine.search(q), keep=False)
                if first is None or first.after is None:
                    continue
                query = Query(terms=query.terms, audience=audience, sort=sort, after=first.after)
            results = attempt(lines[measure], lambda q=query: engine.search(q), keep=index >= warmup)
            if results is not None and index >= warmup:
                lines[measure].hits.append(results.total)
    return list(lines.values())


def measure_completion(engine: Engine, name: str, audience: frozenset[str], queries: Queries, repeat: int,
                       warmup: int) -> list[Line]:
    """Prefixes of 2, 3 and 4 letters, interleaved like the queries."""
    target = COMPLETE_TARGET_MS
    lengths = (2, 3, 4)
    drawn = {length: [queries.prefix(length) for _ in range(repeat + warmup)] for length in lengths}
    lines = {length: Line(name, f"complete: {length} characters", target=target) for length in lengths}
    for index in range(repeat + warmup):
        for length in lengths:
            found = attempt(lines[length], lambda p=drawn[length][index]: engine.complete(p, audience),
                            keep=index >= warmup)
            if found is not None and index >= warmup:
                lines[length].hits.append(len(found.tags) + len(found.communities) + len(found.people))
    return list(lines.values())


def warm_up(engine: Engine, audience: frozenset[str], queries: Queries, count: int) -> float:
    """`count` searches of every kind and a third as many completions, none of them measured: a JVM
    compiles its hot code after thousands of calls. Returns the seconds it took."""
    started = time.perf_counter()
    shapes = ((1, RELEVANCE), (2, RELEVANCE), (3, RELEVANCE), (1, DATE))
    for index in range(count):
        terms, sort = shapes[index % len(shapes)]
        raw = queries.typed() if index % 5 == 4 else queries.text(terms)
        with contextlib.suppress(SearchUnavailable):
            engine.search(Query(terms=parse_query(raw), audience=audience, sort=sort))
        if index % 3 == 0:
            with contextlib.suppress(SearchUnavailable):
                engine.complete(queries.prefix(2 + index % 3), audience)
    return time.perf_counter() - started


def measure_writes(engine: Engine, name: str, items: Items, count: int, measure: str = "write: 1 item (outbox)",
                   offset: int = 0) -> Line:
    """Single-item writes, as the outbox sync of one change: half new publications, half edits of old ones.

    Versions come from the clock so that they are newer than those of a previous run on a reused index."""
    line = Line(name, measure)
    fresh = items.items + 1_000_000 + offset
    base = int(time.time() * 1000) * 1000
    for index in range(count):
        number = fresh + index if index % 2 == 0 or not items.publications else items.rng.choice(items.publications)
        item = items._publication(number)
        attempt(line, lambda i=item, v=base + index: engine.write([(i.key, i, v)]), keep=True)
    return line


# --- Engines -------------------------------------------------------------------------------------------

@dataclass
class Built:
    engine: Engine
    name: str
    items: int = 0
    seconds: float = 0.0          # in builder.add and switch
    generation_seconds: float = 0.0
    whole_seconds: float | None = None  # from the builder's creation to the switch, generation included
    size_bytes: int | None = None
    pid: int | None = None        # the server's process, when this script started it
    merge_seconds: float | None = None  # the server's merge after the switch, until it ended
    node: dict[str, float] = field(default_factory=dict)  # the server's heap and memory, once measured


def build(engine: Engine, name: str, items: Items) -> Built:
    """The full-reindex path: a builder filled in batches, then switched in."""
    built = Built(engine, name)
    started = first = time.perf_counter()
    builder = engine.builder()
    built.seconds += time.perf_counter() - started
    stream = iter(items)
    next_report = 50_000
    while True:
        started = time.perf_counter()
        batch = list(itertools.islice(stream, BATCH))
        built.generation_seconds += time.perf_counter() - started
        if not batch:
            break
        started = time.perf_counter()
        builder.add(batch)
        built.seconds += time.perf_counter() - started
        built.items += len(batch)
        if built.items >= next_report:
            print(f"  {name}: {built.items:,} items, {built.items / built.seconds:,.0f} items/s", flush=True)
            next_report += 50_000
    started = time.perf_counter()
    builder.switch()
    built.seconds += time.perf_counter() - started
    built.whole_seconds = time.perf_counter() - first
    return built


def fts_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def open_fts(workdir: Path, args, items: Items) -> Built:
    from rse.search.fts import FtsEngine

    path = workdir / f"search-i{args.items}-c{args.communities}-p{args.people}-s{args.seed}.db"
    done = Path(f"{path}.built.json")
    if args.reuse and done.exists():
        engine = FtsEngine(path)
        facts = json.loads(done.read_text())
        for _ in items:  # the same draws as when it was built, for the reader and the queries
            pass
        print(f"reusing {path.name} ({facts['items']:,} items)", flush=True)
        return Built(engine, "fts5", facts["items"], facts["seconds"], facts["generation_seconds"],
                     facts.get("whole_seconds"), facts["size_bytes"])
    for stale in (*fts_files(path), done):
        stale.unlink(missing_ok=True)
    engine = FtsEngine(path)
    engine.ensure()
    print(f"indexing into {path}", flush=True)
    built = build(engine, "fts5", items)
    with contextlib.closing(sqlite3.connect(path)) as conn:  # the size once the WAL is folded in, as SQLite will
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    built.size_bytes = sum(p.stat().st_size for p in fts_files(path))
    done.write_text(json.dumps({"items": built.items, "seconds": built.seconds, "whole_seconds": built.whole_seconds,
                                "generation_seconds": built.generation_seconds, "size_bytes": built.size_bytes}))
    return built


def open_lucene(args, items: Items, name: str, workdir: Path, stack: contextlib.ExitStack) -> Built | None:
    """Elasticsearch at --elastic-url, or OpenSearch at --opensearch-url or on a node started here
    (stopped when `stack` closes); a fresh index built through the builder."""
    try:
        from rse.search.elastic import ElasticEngine, OpenSearchEngine
    except ImportError:
        print("rse.search.elastic is not there: Elasticsearch and OpenSearch skipped", flush=True)
        return None
    pid = None
    if name == "elastic":
        if not args.elastic_url:
            raise SystemExit("--elastic-url is needed for --engines elastic")
        url, engine_class, label = args.elastic_url, ElasticEngine, "elasticsearch"
    else:
        url, engine_class, label = args.opensearch_url, OpenSearchEngine, "opensearch"
        if not url:
            server = start_node(workdir / "opensearch-node", args.opensearch_heap)
            stack.callback(stop_node, server)
            url, pid = server.url, server.process.pid
    # The timeouts of the engine's own defaults (2 s a search, 30 s a bulk request), as in production.
    engine = engine_class(url, index=f"maillage-bench-{args.seed}")
    engine.ensure()
    print(f"indexing into {label} at {url}", flush=True)
    built = build(engine, label, items)
    built.pid = pid
    built.merge_seconds = wait_for_merges(engine)
    built.size_bytes = index_size(engine)
    return built


def wait_for_merges(engine, timeout: float = 900.0) -> float:
    """The seconds until the server has no force merge running (the engine starts one after a
    switch), so that the searches measured do not share the machine with it."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        status, answer = engine.cluster.request("GET", "/_tasks?actions=indices:admin/forcemerge*")
        if status != 200 or not any(node.get("tasks") for node in answer.get("nodes", {}).values()):
            break
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    print(f"  merges after the switch ended in {seconds:.1f} s", flush=True)
    return seconds


def start_node(root: Path, heap: str):
    """An OpenSearch node of the test launcher, run as a server would run it (see `start_opensearch`)."""
    from tests.services import start_opensearch, stop_on_sigterm

    stop_on_sigterm()  # SIGTERM raises where the run is, so that the node is stopped like on Ctrl+C
    print(f"starting an OpenSearch node (heap {heap}, full JIT) in {root}", flush=True)
    started = time.perf_counter()
    server = start_opensearch(root, 300.0, heap=heap, quick_start=False)
    if isinstance(server, str):
        raise SystemExit(f"OpenSearch could not start: {server}")
    print(f"  node ready at {server.url} in {time.perf_counter() - started:.1f} s (pid {server.process.pid})",
          flush=True)
    return server


def stop_node(server) -> None:
    print(f"stopping the OpenSearch node (pid {server.process.pid})", flush=True)
    server.stop()


def index_size(engine) -> int | None:
    """The live index's size on disk (primaries), from `_stats/store`."""
    status, answer = engine.cluster.request("GET", f"/{engine.index}/_stats/store")
    if status != 200:
        return None
    return int(answer["_all"]["primaries"]["store"]["size_in_bytes"])


def node_facts(engine, pid: int | None) -> dict[str, float]:
    """The node's heap (in use and maximum, `_nodes/stats/jvm`), its resident memory (VmRSS of
    /proc, when its process is known), the index's size on disk and its segments."""
    facts: dict[str, float] = {}
    status, answer = engine.cluster.request("GET", "/_nodes/stats/jvm")
    if status == 200:
        jvm = next(iter(answer["nodes"].values()))["jvm"]["mem"]
        facts["heap_used"], facts["heap_max"] = jvm["heap_used_in_bytes"], jvm["heap_max_in_bytes"]
    status, answer = engine.cluster.request("GET", f"/{engine.index}/_stats/store,segments")
    if status == 200:
        facts["store"] = answer["_all"]["primaries"]["store"]["size_in_bytes"]
        facts["segments"] = answer["_all"]["primaries"]["segments"]["count"]
    if pid is not None:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    facts["rss"] = int(line.split()[1]) * 1024
    return facts


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: the machine is shared."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- Where the time of a query goes (embedded engine) --------------------------------------------------

class RecordingConnection:
    """Stands for the engine's SQLite connection: runs each statement to its last row and notes its time."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.statements: list[tuple[str, object, float]] = []

    def execute(self, sql: str, parameters=()) -> RecordedCursor:
        started = time.perf_counter()
        cursor = self.conn.execute(sql, parameters)
        rows = cursor.fetchall()
        self.statements.append((sql, parameters, (time.perf_counter() - started) * 1000))
        return RecordedCursor(rows, cursor.lastrowid)

    def executemany(self, sql: str, parameters) -> sqlite3.Cursor:
        return self.conn.executemany(sql, parameters)

    def close(self) -> None:
        self.conn.close()


class RecordedCursor:
    def __init__(self, rows: list, lastrowid: int | None):
        self.rows, self.lastrowid = rows, lastrowid

    def fetchall(self) -> list:
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


def _shape(sql: str) -> str:
    """A statement's first words, to group the same statement over several queries."""
    words = " ".join(sql.split())
    return words if len(words) <= 90 else words[:87] + "..."


def explain(built: Built, audience: frozenset[str], queries: Queries, count: int) -> None:
    """The engine's own statements for 1-, 2- and 3-word queries: time of each, what is left to Python
    (hits and snippets), how the cost follows the number of matches, then a breakdown of the
    matching itself (MATCH alone, with bm25, with the items join, with the audience filter) and
    the plans of the engine's statements for the query with the most matches."""
    engine = built.engine
    engine.count()  # opens the connection of this thread
    recorder = RecordingConnection(engine._local.conn)
    engine._local.conn = recorder
    texts = [queries.text(n) for n in (1, 2, 3) for _ in range(count)]
    per_statement: dict[str, list[float]] = {}
    python_ms, whole = [], []
    by_matches: dict[str, list[float]] = {}
    heaviest: tuple[int, str] = (-1, "")
    for raw in texts:
        recorder.statements.clear()
        ms, results = timed(lambda r=raw: engine.search(Query(terms=parse_query(r), audience=audience)))
        sql_ms = 0.0
        for sql, _parameters, statement_ms in recorder.statements:
            if sql.strip().upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
                continue
            per_statement.setdefault(_shape(sql), []).append(statement_ms)
            sql_ms += statement_ms
        python_ms.append(ms - sql_ms)
        whole.append(ms)
        bucket = next(label for limit, label in _MATCH_BUCKETS if results.total < limit)
        by_matches.setdefault(bucket, []).append(ms)
        heaviest = max(heaviest, (results.total, raw))
    engine._local.conn = recorder.conn
    print(f"\n## Where a search's time goes ({len(texts)} queries of 1, 2 and 3 words, audience of "
          f"{len(audience)} scopes)\n")
    print("| part | calls | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for shape, values in per_statement.items():
        print(f"| SQL: `{shape}` | {len(values)} | {percentile(values, 0.5):.2f} | {percentile(values, 0.95):.2f} |")
    print(f"| Python: hits and snippets | {len(python_ms)} | {percentile(python_ms, 0.5):.2f} | "
          f"{percentile(python_ms, 0.95):.2f} |")
    print(f"| whole search() | {len(whole)} | {percentile(whole, 0.5):.2f} | {percentile(whole, 0.95):.2f} |")
    print("\n| matches the reader may see | queries | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for _limit, label in _MATCH_BUCKETS:
        if label in by_matches:
            values = by_matches[label]
            print(f"| {label} | {len(values)} | {percentile(values, 0.5):.2f} | {percentile(values, 0.95):.2f} |")
    matching_parts(engine, audience, heaviest[1])
    print(f"\nplans of the engine's statements for {heaviest[1]!r} ({heaviest[0]:,} matches):")
    recorder.statements.clear()
    engine._local.conn = recorder
    engine.search(Query(terms=parse_query(heaviest[1]), audience=audience))
    engine._local.conn = recorder.conn
    for sql, parameters, _ms in recorder.statements:
        if sql.strip().upper().startswith("SELECT") or sql.strip().upper().startswith("WITH"):
            print(f"\n-- {_shape(sql)}")
            for row in recorder.conn.execute("EXPLAIN QUERY PLAN " + sql, parameters):
                print("   ", row[-1])


_MATCH_BUCKETS = ((1_000, "under 1,000"), (10_000, "1,000 to 10,000"), (50_000, "10,000 to 50,000"),
                  (10**12, "50,000 and more"))


def matching_parts(engine: Engine, audience: frozenset[str], raw: str) -> None:
    """The matching of one query taken apart: what each step costs per match, inside SQLite.

    Written against the tables of `rse.search.fts` (fts, items, scopes of the live generation)."""
    from rse.search import fts

    conn = engine._local.conn
    g = conn.execute("SELECT generation FROM meta").fetchone()[0]
    bm25 = f"bm25(fts_{g}, {', '.join(str(weight) for _, weight in fts.FIELDS)})"
    engine_test = getattr(fts, "_audience_test", None)  # the engine's own test of an item's scopes, if it has one
    audience_test = engine_test(g, "audience") if engine_test else (
        f"EXISTS (SELECT 1 FROM scopes_{g} AS s WHERE s.item = i.rowid "
        f"AND +s.scope IN (SELECT value FROM json_each(:audience)))")
    joined = f"FROM fts_{g} AS f JOIN items_{g} AS i ON i.rowid = f.rowid WHERE fts_{g} MATCH :match"
    steps = {
        "FTS5: the matches' rowids": f"SELECT f.rowid FROM fts_{g} AS f WHERE fts_{g} MATCH :match",
        "… and bm25 of each": f"SELECT f.rowid, {bm25} FROM fts_{g} AS f WHERE fts_{g} MATCH :match",
        "rowids and each match's items row (kind, date, key)": f"SELECT i.kind, i.date, i.key {joined}",
        "… and the audience test": f"SELECT i.kind, i.date, i.key {joined} AND {audience_test}",
        "… and bm25 of the matches kept":
            f"SELECT i.kind, i.date, i.key, {bm25} {joined} AND {audience_test}",
    }
    window = getattr(fts, "RANKING_WINDOW", None)
    if window:  # the engine ranks the newest matches kept, no more
        steps[f"… of the newest {window:,} kept only (as the engine)"] = (
            f"SELECT i.kind, i.date, i.key, {bm25} {joined} AND {audience_test} ORDER BY f.rowid DESC LIMIT {window}")
    # Each step's rows are gathered in SQLite as the engine's statement does (a materialized CTE),
    # then counted: nothing is fetched into Python.
    steps = {label: f"WITH v AS MATERIALIZED ({sql}) SELECT count(*) FROM v" for label, sql in steps.items()}
    parameters = {"match": fts.match_expression(parse_query(raw)), "audience": json.dumps(sorted(audience))}
    print(f"\nthe matching of {raw!r} ({parameters['match']}), step by step, median of 5 runs:\n")
    print("| step | rows kept | ms | µs per match |")
    print("|---|---|---|---|")
    matches = None
    for label, sql in steps.items():
        try:
            runs = [timed(lambda s=sql: conn.execute(s, parameters).fetchone()) for _ in range(5)]
        except sqlite3.Error as exc:  # the engine's tables changed shape
            print(f"| {label} | – | {exc} | – |")
            continue
        ms = statistics.median(run[0] for run in runs)
        kept = runs[0][1][0]
        matches = matches or kept
        print(f"| {label} | {kept:,} | {ms:.1f} | {1000 * ms / max(matches, 1):.2f} |")


# --- Relevance: the engines' top 10 side by side ------------------------------------------------------

@dataclass
class RelevanceQuery:
    kind: int | str           # 1, 2 or 3 words of a title, or "title": a whole title
    text: str
    key: str | None = None    # the item whose title it is ("title" queries)


def relevance_queries(items: Items, audience: frozenset[str], seed: int) -> list[RelevanceQuery]:
    """Queries made of the corpus: 1 to 3 consecutive words of a title the reader may see, and whole
    titles, each title used once."""
    rng = random.Random(seed + 3)
    visible = [item for item in items.titled if audience & set(item.scopes)]
    rng.shuffle(visible)
    pool = iter(visible)
    made: list[RelevanceQuery] = []
    for kind, count in RELEVANCE_QUERIES.items():
        while sum(1 for q in made if q.kind == kind) < count:
            item = next(pool, None)
            if item is None:
                raise SystemExit("too few titled items for the relevance queries: more --items")
            if kind == "title":
                made.append(RelevanceQuery(kind, item.title, item.key))
                continue
            meaningful = [word for word in text_words(item.title) if parse_query(word) and fold(word) not in STOPWORDS]
            if len(meaningful) < kind:
                continue
            start = rng.randrange(len(meaningful) - kind + 1)
            raw = " ".join(meaningful[start:start + kind])
            if len(parse_query(raw)) == kind:
                made.append(RelevanceQuery(kind, raw))
    return made


@dataclass
class Ranked:
    keys: list[str]     # the top 10, best first
    total: int
    exact: bool         # False: the engine stopped counting (FTS5's ranking window was full)


def rank_all(engine: Engine, audience: frozenset[str], made: list[RelevanceQuery]) -> list[Ranked | None]:
    found: list[Ranked | None] = []
    for query in made:
        try:
            results = engine.search(Query(terms=parse_query(query.text), audience=audience, limit=10))
        except SearchUnavailable as exc:
            print(f"  relevance, {query.text!r}: {exc}", flush=True)
            found.append(None)
            continue
        found.append(Ranked([hit.key for hit in results.hits], results.total, results.exact and results.total_exact))
    return found


def report_relevance(made: list[RelevanceQuery], ranked: dict[str, list[Ranked | None]]) -> None:
    names = list(ranked)
    base = names[0]
    print(f"\n## Relevance: {len(made)} queries made of titles' words, top 10 of each engine\n")
    for other in names[1:]:
        pairs = [(q, a, b) for q, a, b in zip(made, ranked[base], ranked[other], strict=True) if a and b]
        print(f"overlap of the top 10, {base} and {other}: |A∩B| / 10; and |A∩B| / the longer list when a "
              "list has fewer than 10 hits\n")
        print("| queries | count | mean | min | median | mean, of the longer list | matches (median, first engine) |")
        print("|---|---|---|---|---|---|---|")
        groups: list[tuple[str, list]] = [
            (f"{kind} word{'s' if kind != 1 else ''} of a title" if kind != "title" else "a whole title",
             [pair for pair in pairs if pair[0].kind == kind]) for kind in RELEVANCE_QUERIES]
        groups.append((f"first engine counted every match ({base})", [pair for pair in pairs if pair[1].exact]))
        groups.append((f"first engine's window full ({base})", [pair for pair in pairs if not pair[1].exact]))
        groups.append(("all", pairs))
        for label, group in groups:
            if not group:
                continue
            overlaps = [len(set(a.keys) & set(b.keys)) / 10 for _q, a, b in group]
            of_longer = [len(set(a.keys) & set(b.keys)) / max(1, len(a.keys), len(b.keys)) for _q, a, b in group]
            totals = [a.total for _q, a, _b in group]
            print(f"| {label} | {len(group)} | {statistics.mean(overlaps):.2f} | {min(overlaps):.1f} | "
                  f"{statistics.median(overlaps):.2f} | {statistics.mean(of_longer):.2f} | "
                  f"{statistics.median(totals):,.0f} |")
    titles = [(index, q) for index, q in enumerate(made) if q.kind == "title"]
    print(f"\nrank of the item whose title is the query ({len(titles)} whole titles):\n")
    print("| engine | rank 1 | ≤ 3 | ≤ 10 | not in the top 10 |")
    print("|---|---|---|---|---|")
    for name in names:
        ranks = []
        for index, query in titles:
            one = ranked[name][index]
            ranks.append(one.keys.index(query.key) + 1 if one and query.key in one.keys else None)
        within = [rank for rank in ranks if rank is not None]
        print(f"| {name} | {sum(r == 1 for r in within)} | {sum(r <= 3 for r in within)} | {len(within)} | "
              f"{len(ranks) - len(within)} |")


# --- Report --------------------------------------------------------------------------------------------

def report(built: list[Built], lines: list[Line], writes: list[Line], args, audience: frozenset[str],
           loads: list[tuple[str, str]]) -> None:
    print(f"\nmachine: {os.cpu_count()} CPU, load average now {os.getloadavg()[0]:.2f}; SQLite "
          f"{sqlite3.sqlite_version}; Python {sys.version.split()[0]}; {datetime.now(UTC):%Y-%m-%d}")
    print("load average (1, 5, 15 min): " + "; ".join(f"{when} {load}" for when, load in loads))
    if lines:
        print(f"reader: {READER_COMMUNITIES} communities, audience of {len(audience)} scope tokens; "
              f"{args.repeat} timed calls per line after {args.warmup} warm-up calls, lines interleaved")
    print()
    print(f"| engine | items | index (builder) | generation | whole, generation included | size | "
          f"target (builder ≥ {REINDEX_TARGET:,} items/s) |")
    print("|---|---|---|---|---|---|---|")
    for b in built:
        size = f"{b.size_bytes / 2**20:,.0f} MiB" if b.size_bytes is not None else "–"
        rate = b.items / b.seconds
        whole = f"{b.whole_seconds:,.1f} s, {b.items / b.whole_seconds:,.0f} items/s" if b.whole_seconds else "–"
        holds = "**yes**" if rate >= REINDEX_TARGET else "**NO**"
        print(f"| {b.name} | {b.items:,} | {b.seconds:,.1f} s, {rate:,.0f} items/s | "
              f"{b.generation_seconds:,.1f} s | {whole} | {size} | {holds} |")
    servers = [b for b in built if b.node]
    if servers:
        print("\n| engine (after the measures) | merge after the switch | heap in use / max | "
              "resident memory (VmRSS) | index on disk | segments |")
        print("|---|---|---|---|---|---|")
        for b in servers:
            heap = (f"{b.node['heap_used'] / 2**20:,.0f} / {b.node['heap_max'] / 2**20:,.0f} MiB"
                    if "heap_used" in b.node else "–")
            rss = f"{b.node['rss'] / 2**20:,.0f} MiB" if "rss" in b.node else "– (not started here)"
            size = f"{b.node['store'] / 2**20:,.0f} MiB" if "store" in b.node else "–"
            merge = f"{b.merge_seconds:,.1f} s" if b.merge_seconds is not None else "–"
            print(f"| {b.name} | {merge} | {heap} | {rss} | {size} | {b.node.get('segments', '–')} |")
    if not lines:
        return
    print("\n| engine | measure | p50 ms | p95 ms | median matches | target (p95) | holds |")
    print("|---|---|---|---|---|---|---|")
    for line in [*lines, *writes]:
        measure = line.measure + (f" ({line.errors} errors)" if line.errors else "")
        if not line.timings:
            print(f"| {line.engine} | {measure} | – | – | – | – | – |")
            continue
        hits = f"{percentile(line.hits, 0.5):,}" if line.hits else "–"
        target = f"< {line.target:.0f} ms" if line.target else "–"
        holds = ("**yes**" if line.p95 < line.target and not line.errors else "**NO**") if line.target else "–"
        print(f"| {line.engine} | {measure} | {line.p50:.2f} | {line.p95:.2f} | {hits} | {target} | {holds} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="where the index files are made (default: a temporary folder, removed)")
    parser.add_argument("--items", type=int, default=200_000, help="content items (communities and people aside)")
    parser.add_argument("--communities", type=int, default=1_000)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=200, help="timed queries per line")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--jvm-warmup", type=int, default=2_000,
                        help="Elasticsearch and OpenSearch: searches run before any measure, to compile the hot code")
    parser.add_argument("--incremental", type=int, default=500, help="single-item writes to time (0: none)")
    parser.add_argument("--engines", default="fts", type=lambda v: v.split(","),
                        help="comma-separated: fts, opensearch, elastic (the first is the reference for relevance)")
    parser.add_argument("--elastic-url", help="Elasticsearch, for --engines …,elastic")
    parser.add_argument("--opensearch-url", help="OpenSearch, for --engines …,opensearch (default: a node started "
                                                 "here, stopped at the end)")
    parser.add_argument("--opensearch-heap", default="1g", help="the heap of the node started here (compose's default)")
    parser.add_argument("--reuse", action="store_true", help="keep the FTS5 file of a previous run with the same "
                                                             "parameters instead of building it again")
    parser.add_argument("--index-only", action="store_true", help="build the indexes (or reuse them), then stop")
    parser.add_argument("--explain", action="store_true", help="FTS5: time each statement of a search, show plans")
    args = parser.parse_args()
    if args.communities < READER_COMMUNITIES:
        raise SystemExit(f"--communities must be at least {READER_COMMUNITIES}")
    if args.reuse and not args.workdir:
        raise SystemExit("--reuse needs --workdir")
    unknown = set(args.engines) - {"fts", "elastic", "opensearch"}
    if unknown:
        raise SystemExit(f"unknown engine {', '.join(sorted(unknown))}: fts, opensearch or elastic")

    temporary = None if args.workdir else tempfile.mkdtemp(prefix="maillage-search-bench-")
    workdir = Path(args.workdir or temporary).expanduser().resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.ExitStack() as stack:  # the servers started here, stopped whatever happens
            run(args, workdir, stack)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


def run(args, workdir: Path, stack: contextlib.ExitStack) -> None:
    built: list[Built] = []
    lines: list[Line] = []
    writes: list[Line] = []
    audience: frozenset[str] = frozenset()
    loads = [("at the start", load_average())]
    made: list[RelevanceQuery] = []
    ranked: dict[str, list[Ranked | None]] = {}
    for name in args.engines:
        items = Items(args.seed, args.items, args.communities, args.people)
        started = time.perf_counter()
        one = open_fts(workdir, args, items) if name == "fts" else open_lucene(args, items, name, workdir, stack)
        if one is None:
            continue
        print(f"  {one.name}: ready in {time.perf_counter() - started:.1f} s", flush=True)
        loads.append((f"{one.name} built", load_average()))
        built.append(one)
        if args.index_only:
            continue
        rng = random.Random(args.seed + 1)  # the same reader and queries for every engine
        audience = reader_audience(items.world, rng)
        queries = Queries(rng, items.text, items)
        if args.explain and name == "fts":
            explain(one, audience, queries, max(10, args.repeat // 5))
            continue
        if name != "fts" and args.jvm_warmup:
            seconds = warm_up(one.engine, audience, Queries(random.Random(args.seed + 2), items.text, items),
                              args.jvm_warmup)
            print(f"  {one.name}: {args.jvm_warmup:,} warm-up searches in {seconds:.1f} s", flush=True)
        lines += measure_queries(one.engine, one.name, audience, queries, args.repeat, args.warmup)
        lines += measure_completion(one.engine, one.name, audience, queries, args.repeat, args.warmup)
        loads.append((f"{one.name} measured", load_average()))
        if len(args.engines) > 1:
            made = made or relevance_queries(items, audience, args.seed)
            ranked[one.name] = rank_all(one.engine, audience, made)
        if args.incremental:
            # A Lucene engine's write waits for the next refresh (about a second): fewer of them.
            count = args.incremental if name == "fts" else max(1, args.incremental // 5)
            writes.append(measure_writes(one.engine, one.name, items, count))
            if name != "fts":  # what the server itself takes, without waiting for the next refresh
                refresh, one.engine.refresh = one.engine.refresh, False
                writes.append(measure_writes(one.engine, one.name, items, args.incremental,
                                             "write: 1 item, not waiting for the refresh", offset=args.incremental))
                one.engine.refresh = refresh
            if args.reuse and name == "fts":
                print("  (the single writes changed the reused file: its next run is on a slightly bigger index)")
        if name != "fts":
            one.node = node_facts(one.engine, one.pid)
        one.engine.close()
    loads.append(("at the end", load_average()))
    if lines or args.index_only:
        report(built, lines, writes, args, audience, loads)
    if len(ranked) > 1:
        report_relevance(made, ranked)


if __name__ == "__main__":
    main()
