"""The French vocabulary of `flask rse seed`: people, places, communities and publication templates."""

from __future__ import annotations

INTERNAL_DOMAIN = "ght-exemple.fr"

FIRST_NAMES = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Sandrine", "Valérie", "Christine",
    "Céline", "Stéphanie", "Aurélie", "Julie", "Camille", "Léa", "Manon", "Chloé", "Émilie", "Laura", "Sarah",
    "Hélène", "Anne", "Sophie", "Claire", "Nadia", "Fatima", "Karima", "Inès", "Agnès", "Martine", "Élodie",
    "Pauline", "Mathilde", "Océane", "Lucie", "Anne-Sophie", "Marie-Claire", "Josiane", "Yasmina", "Delphine",
    "Virginie", "Amandine", "Charlotte", "Audrey", "Morgane", "Jeanne", "Noémie", "Ophélie", "Coralie", "Annie",
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Christophe", "Laurent", "Stéphane", "Frédéric",
    "Julien", "Sébastien", "David", "Thomas", "Olivier", "Éric", "Mathieu", "Guillaume", "Antoine", "Maxime",
    "Romain", "Karim", "Mehdi", "Yassine", "Hugo", "Lucas", "Louis", "Benoît", "Jérôme", "Franck", "Patrick",
    "Bruno", "Didier", "Vincent", "Arnaud", "Jean-Marc", "Jean-Luc", "Cédric", "Fabien", "Grégory", "Loïc",
    "Damien", "Rémi", "Florian", "Adrien", "Kévin", "Alexandre", "Samir", "Hervé", "Gilles",
)

LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet",
    "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure", "André", "Mercier",
    "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin",
    "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud",
    "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Benali", "Haddad", "Nguyen",
    "Ferreira", "Da Silva", "Lopez", "Roche", "Renaud", "Picard", "Colin", "Vidal", "Caron", "Aubert", "Lemoine",
    "Renard", "Dumas", "Lacroix", "Olivier", "Bourgeois", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq",
    "Lecomte", "Cohen", "Chauvin", "Bailly", "Ménard", "Besson", "Collet", "Perret", "Chabert", "Bouvier",
    "Tissot", "Granger", "Jacquet", "Ollier", "Vial",
)

# Establishments of the group, each with its sites.
ESTABLISHMENTS = (
    ("CHU de Saint-Étienne", ("Hôpital Nord", "Hôpital Bellevue", "Hôpital de la Charité", "IFSI")),
    ("CH de Roanne", ("Site principal", "EHPAD Bonvert", "Centre de soins de suite")),
    ("CH du Forez", ("Site de Montbrison", "Site de Feurs", "EHPAD de Feurs")),
    ("CH de Firminy", ("Site principal", "Centre médico-psychologique")),
    ("CH de Saint-Chamond", ("Site principal", "Maternité")),
)

DEPARTMENTS = (
    "Urgences", "Réanimation", "Bloc opératoire", "Cardiologie", "Pneumologie", "Gériatrie", "Pédiatrie",
    "Maternité", "Psychiatrie", "Oncologie", "Imagerie", "Laboratoire", "Pharmacie", "Hygiène", "Direction",
    "Ressources humaines", "Achats", "Systèmes d'information", "Services techniques", "Restauration",
    "Qualité", "Finances", "Soins de suite", "Consultations externes", "Dialyse",
)

STAFF_JOBS = (
    "Infirmière", "Infirmier", "Aide-soignante", "Aide-soignant", "Cadre de santé", "Praticien hospitalier",
    "Médecin urgentiste", "Pharmacien", "Préparatrice en pharmacie", "Interne", "Sage-femme", "Kinésithérapeute",
    "Ergothérapeute", "Psychologue", "Assistante sociale", "Secrétaire médicale", "Technicien de laboratoire",
    "Manipulatrice en radiologie", "Diététicienne", "Ingénieur biomédical", "Technicien informatique",
    "Acheteur", "Gestionnaire RH", "Contrôleuse de gestion", "Responsable qualité", "Directeur des soins",
    "Directrice adjointe", "Attachée d'administration", "Agent des services hospitaliers", "Brancardier",
    "Cuisinier", "Électricien", "Responsable sécurité incendie", "Chargée de communication", "Formatrice IFSI",
    "Infirmière hygiéniste", "Praticien hygiéniste", "Médecin DIM", "Biologiste", "Cadre supérieur de santé",
)

# Partner organisations and their own mail domains.
PARTNERS = (
    ("ARS Auvergne-Rhône-Alpes", "ars-exemple.fr", ("Chargé de mission", "Inspectrice", "Médecin de santé publique")),
    ("EHPAD Les Tilleuls", "ehpad-tilleuls.fr", ("Directrice", "Médecin coordonnateur", "Infirmière coordinatrice")),
    ("Clinique du Parc", "clinique-parc.fr", ("Directeur médical", "Cadre de bloc", "Pharmacienne")),
    ("URPS Infirmiers libéraux", "urps-exemple.fr", ("Infirmière libérale", "Présidente")),
    ("CPAM de la Loire", "cpam-exemple.fr", ("Conseillère", "Médecin conseil")),
    ("Université Jean Monnet", "univ-exemple.fr", ("Enseignant-chercheur", "Doctorante")),
    ("SDIS de la Loire", "sdis-exemple.fr", ("Médecin sapeur-pompier", "Officier")),
    ("Biomédical Services SAS", "biomed-exemple.com", ("Ingénieur commercial", "Technicienne de maintenance")),
    ("HAD Loire", "had-exemple.fr", ("Coordinatrice", "Infirmier")),
    ("Conseil départemental", "departement-exemple.fr", ("Chargée de l'autonomie", "Directeur adjoint")),
)

COMMUNITY_THEMES = (
    "Hygiène", "Urgences", "Pharmacie", "Qualité et gestion des risques", "Achats", "Biomédical", "Bloc opératoire",
    "Soins palliatifs", "Gériatrie", "Pédiatrie", "Maternité", "Psychiatrie", "Imagerie", "Laboratoire",
    "Restauration", "Logistique", "Ressources humaines", "Formation continue", "Systèmes d'information",
    "Dossier patient informatisé", "Sécurité incendie", "Développement durable", "Éthique", "Douleur", "Nutrition",
    "Plaies et cicatrisation", "Diabétologie", "Oncologie", "Cardiologie", "Réanimation", "Dialyse",
    "Cadres de santé", "Internes", "Accueil et admissions", "Facturation", "Contrôle de gestion", "Communication",
    "Travaux", "Transports sanitaires", "Prévention des chutes", "Certification HAS", "Identitovigilance",
    "Télémédecine", "Consultations externes", "Santé au travail", "Handicap", "Addictologie", "Bionettoyage",
    "Stérilisation", "Gestion des lits",
)

COMMUNITY_KINDS = (
    "Groupe de travail", "Réseau", "Projet", "Club", "Comité", "Référents", "Veille", "Coordination",
)

COMMUNITY_DESCRIPTIONS = (
    "Échanges de pratiques entre les équipes des établissements du GHT : protocoles, retours d'expérience, "
    "questions du quotidien.",
    "Suivi du projet commun : calendrier, comptes rendus, décisions et documents de référence.",
    "Les référents se retrouvent ici pour préparer les réunions et partager la veille réglementaire.",
    "Espace de coordination avec nos partenaires : ordres du jour, relevés de décisions, indicateurs.",
)

TAGS = (
    "Hygiène", "Protocoles", "BMR", "Certification", "HAS", "Formation", "Planning", "Astreintes", "Sécurité",
    "Qualité", "Médicaments", "Circuit du médicament", "DPI", "Informatique", "Achats", "Marchés", "RH",
    "Recrutement", "Événement indésirable", "Réunion", "Compte rendu", "Urgences", "Lits", "Gériatrie", "EHPAD",
    "Précautions standard", "Bionettoyage", "Traçabilité", "Télémédecine", "Développement durable",
    "Restauration", "Travaux", "Budget", "CPOM", "Vaccination", "Grippe", "Covid", "Canicule", "Plan blanc",
    "Identitovigilance",
)

SITES = tuple(f"{name} – {site}" for name, sites in ESTABLISHMENTS for site in sites)

# kind: (title, body, tags, url); bodies are Markdown, rendered once per template.
POSTS = (
    ("", "Rappel : la réunion des référents hygiène est déplacée à **jeudi 14 h**, salle du conseil.",
     ("Hygiène", "Réunion")),
    ("", "Merci à toute l'équipe de nuit pour la gestion de l'afflux aux urgences ce week-end. Bravo !",
     ("Urgences",)),
    ("", "Les nouveaux chariots d'urgence sont arrivés. Vérification de la composition lundi avec la pharmacie :\n"
         "- contrôle des dates de péremption ;\n- scellés numérotés ;\n- fiche de traçabilité signée.",
     ("Médicaments", "Traçabilité")),
    ("", "Le planning des astreintes de décembre est déposé dans les documents de l'espace.",
     ("Planning", "Astreintes")),
    ("", "Coupure du réseau informatique prévue **mardi de 6 h à 7 h** pour maintenance. Le DPI restera "
         "accessible en mode dégradé.", ("Informatique", "DPI")),
    ("", "Bienvenue aux internes du semestre d'hiver ! Le livret d'accueil est à jour.", ("Formation",)),
    ("", "Nous cherchons deux volontaires pour l'audit croisé des chambres d'isolement la semaine prochaine.",
     ("Qualité", "BMR")),
    ("", "La campagne de vaccination antigrippale du personnel commence lundi : passage de l'équipe mobile dans "
         "chaque unité.", ("Vaccination", "Grippe")),
)

ANNOUNCEMENTS = (
    ("Nouveau protocole : précautions complémentaires contact",
     "La version commune aux établissements est validée par le CLIN du GHT.\n\n"
     "## Ce qui change\n- entre en vigueur le **1er du mois prochain** ;\n- remplace les protocoles locaux ;\n"
     "- une session de présentation est prévue sur chaque site.\n\n"
     "## Pour qui\nTous les soignants, les équipes de bionettoyage et les brancardiers.\n\n"
     "Les affiches A3 sont disponibles auprès de l'équipe opérationnelle d'hygiène.",
     ("Hygiène", "Protocoles", "BMR")),
    ("Plan canicule : niveau de vigilance orange",
     "Le niveau de vigilance passe à **orange** à partir de demain.\n\n"
     "1. Vérifier les stocks d'eau et de brumisateurs ;\n2. Mettre à jour la liste des patients à risque ;\n"
     "3. Afficher les consignes dans les salles d'attente.\n\nLa cellule de crise se réunit chaque matin à 9 h.",
     ("Canicule", "Sécurité")),
    ("Certification HAS : calendrier de la visite",
     "Les experts-visiteurs seront présents **trois jours** dans nos établissements.\n\n"
     "- Jour 1 : traceurs ciblés (circuit du médicament, identitovigilance) ;\n"
     "- Jour 2 : patients traceurs en médecine et chirurgie ;\n- Jour 3 : restitution.\n\n"
     "Merci de relire les fiches « parcours » déposées dans l'espace Qualité.",
     ("Certification", "HAS", "Qualité")),
    ("Déploiement du nouveau dossier patient informatisé",
     "Le déploiement se fera **service par service** sur huit semaines.\n\n"
     "| Semaine | Services |\n|---|---|\n| 1-2 | Médecine |\n| 3-4 | Chirurgie |\n| 5-8 | Autres services |\n\n"
     "Chaque agent suivra une formation de deux heures avant la bascule de son service.",
     ("DPI", "Informatique", "Formation")),
    ("Résultats de l'enquête de satisfaction des patients",
     "Le taux de satisfaction global atteint **82 %**, en hausse de trois points.\n\n"
     "Points forts : accueil, information sur les soins. Points à travailler : repas, temps d'attente aux "
     "consultations. Un groupe de travail se réunira le mois prochain.",
     ("Qualité", "Restauration")),
)

QUESTIONS = (
    ("Combien de temps garder les feuilles de traçabilité du bionettoyage ?",
     "Certaines équipes les archivent un an, d'autres trois mois. Y a-t-il une règle ?",
     ("Bionettoyage", "Traçabilité")),
    ("Qui contacter pour une panne de pompe à perfusion la nuit ?",
     "Le numéro du biomédical ne répond pas après 18 h. Faut-il passer par l'administrateur de garde ?",
     ("Sécurité",)),
    ("Peut-on utiliser les solutions hydro-alcooliques sur des gants ?", "", ("Hygiène", "Précautions standard")),
    ("Comment déclarer un événement indésirable depuis un poste partagé ?",
     "Le formulaire demande une connexion nominative. Existe-t-il une procédure pour les postes de soins ?",
     ("Événement indésirable", "Informatique")),
    ("Quel délai pour obtenir un lit d'aval depuis les urgences ?",
     "Nous aimerions comparer nos délais avec ceux des autres sites du GHT.", ("Urgences", "Lits")),
    ("Les stagiaires peuvent-ils accéder au DPI en lecture ?", "", ("DPI", "Formation")),
)

LINKS = (
    ("Recommandations de la SF2H", "https://www.sf2h.net/",
     "Les recommandations nationales sur lesquelles s'appuient nos protocoles.", ("Hygiène", "Protocoles")),
    ("Manuel de certification HAS", "https://www.has-sante.fr/",
     "Le référentiel en vigueur, avec les fiches pédagogiques par critère.", ("Certification", "HAS")),
    ("Calendrier vaccinal", "https://sante.gouv.fr/",
     "Le calendrier des vaccinations et les recommandations vaccinales de l'année.", ("Vaccination",)),
    ("Bonnes pratiques de dispensation", "https://ansm.sante.fr/",
     "Les décisions et recommandations de l'ANSM sur le circuit du médicament.", ("Médicaments",)),
    ("Observatoire des achats hospitaliers", "https://www.resah.fr/",
     "Veille sur les marchés mutualisés et les groupements d'achats.", ("Achats", "Marchés")),
)

WIKIS = (
    ("Précautions standard – fiche réflexe",
     "Fiche réflexe à afficher en salle de soins.\n\n## Hygiène des mains\n"
     "- Friction hydro-alcoolique **avant et après** tout contact patient.\n"
     "- Pas de bijou, ongles courts, avant-bras dégagés.\n\n## Équipements de protection\n"
     "- Gants uniquement en cas de risque de contact avec du sang ou des liquides biologiques.\n"
     "- Tablier à usage unique pour les soins mouillants ou souillants.\n",
     ("Hygiène", "Précautions standard")),
    ("Accueil d'un nouvel agent – check-list",
     "Ce que le cadre prépare avant l'arrivée d'un nouvel agent.\n\n## Avant le premier jour\n"
     "- Compte informatique et badge demandés ;\n- Tenues commandées ;\n- Tuteur désigné.\n\n"
     "## Première semaine\n- Visite du service et des issues de secours ;\n- Formation au DPI ;\n"
     "- Point d'étape avec le tuteur.\n",
     ("RH", "Formation")),
    ("Procédure dégradée en cas de panne du DPI",
     "À appliquer dès que le dossier patient informatisé est indisponible plus de 15 minutes.\n\n"
     "1. Prévenir la hotline (poste 4444) ;\n2. Imprimer les plans de soins depuis le poste de secours ;\n"
     "3. Tracer sur papier, puis ressaisir au retour du système.\n",
     ("DPI", "Informatique", "Sécurité")),
)

WIKI_REVISIONS = (
    "\n## Mise à jour\n- Précisions après la réunion des référents.\n",
    "\n## Mise à jour\n- Précisions après la réunion des référents.\n- Contacts de l'astreinte ajoutés.\n",
    "\n## Mise à jour\n- Précisions après la réunion des référents.\n- Contacts de l'astreinte ajoutés.\n"
    "- Relecture par l'équipe qualité.\n",
)

COMMENTS = (
    "Merci pour l'information !",
    "C'est noté pour notre service.",
    "Est-ce que cela concerne aussi les équipes de nuit ?",
    "Je transmets à mes collègues du site de Feurs.",
    "Très utile, merci. Le document est-il disponible en **PDF** ?",
    "Nous avons eu le même problème la semaine dernière, je vous appelle.",
    "Bonne initiative, on en parle à la prochaine réunion de pôle ?",
    "Attention, la version affichée dans notre unité date de l'an dernier.",
)

ANSWERS = (
    "Pas de texte réglementaire : le GHT retient **un an**, comme pour les autres traçabilités.",
    "La nuit, il faut appeler l'administrateur de garde, qui déclenche l'astreinte biomédicale.",
    "Non : les gants se changent entre deux patients, on ne les frictionne pas.",
    "Oui, avec le compte générique du service ; la déclaration reste anonyme si vous le souhaitez.",
    "La médiane est de 4 h sur le GHT, avec de fortes variations selon les sites.",
    "Oui, en lecture seule, avec un compte nominatif demandé par le cadre.",
)

SUGGESTION_MESSAGES = (
    "Pour information, cela concerne ton service.",
    "À lire avant la réunion de jeudi.",
    "Tu m'avais posé la question la semaine dernière.",
    "",
)
