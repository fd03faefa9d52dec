"""`flask rse demo`: a French demo group of hospitals, its communities and partners."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from rse import signals
from rse.accounts import service as accounts
from rse.accounts.models import Role, User
from rse.database import db

from . import service
from .models import Community, MemberRole

PEOPLE = [
    # email, name, role, job title, organisation, site
    ("claire.martin@ght-exemple.fr", "Claire Martin", Role.STAFF, "Directrice adjointe, affaires médico-sociales",
     "CH de Montbrison", "Direction"),
    ("karim.benali@ght-exemple.fr", "Karim Benali", Role.STAFF, "Praticien hygiéniste", "CHU de Saint-Étienne",
     "Hôpital Nord – EOH"),
    ("sophie.durand@ght-exemple.fr", "Sophie Durand", Role.STAFF, "Infirmière hygiéniste", "CH de Roanne",
     "Équipe opérationnelle d'hygiène"),
    ("julien.moreau@ght-exemple.fr", "Julien Moreau", Role.STAFF, "Acheteur", "CHU de Saint-Étienne",
     "Direction des achats"),
    ("nadia.lefevre@ght-exemple.fr", "Nadia Lefèvre", Role.STAFF, "Responsable qualité", "CH du Forez",
     "Cellule qualité"),
    ("marc.rousseau@ars-exemple.fr", "Marc Rousseau", Role.PARTNER, "Chargé de mission médico-social",
     "ARS Auvergne-Rhône-Alpes", "Délégation départementale de la Loire"),
    ("helene.garnier@ehpad-tilleuls.fr", "Hélène Garnier", Role.PARTNER, "Directrice", "EHPAD Les Tilleuls",
     "Montbrison"),
]

# Professional numbers, and whether their owner shows them to colleagues.
PHONES = {
    "claire.martin@ght-exemple.fr": ("04 77 96 78 01", True),
    "karim.benali@ght-exemple.fr": ("04 77 12 34 56", True),
    "sophie.durand@ght-exemple.fr": ("04 77 44 30 12", True),
    "julien.moreau@ght-exemple.fr": ("04 77 12 71 40", True),
    "nadia.lefevre@ght-exemple.fr": ("04 77 27 55 09", False),
    "marc.rousseau@ars-exemple.fr": ("04 81 15 22 60", True),
    "helene.garnier@ehpad-tilleuls.fr": ("04 77 58 90 14", True),
}

COMMUNITIES = [
    ("CPOM 2026 – EHPAD Les Tilleuls", "private",
     "Négociation du contrat pluriannuel d'objectifs et de moyens 2026-2030 avec l'ARS et l'EHPAD : "
     "diagnostic partagé, comptes rendus, tableau de suivi des actions, arrêtés de financement.",
     [("claire.martin@ght-exemple.fr", MemberRole.ANIMATOR), ("marc.rousseau@ars-exemple.fr", MemberRole.MEMBER),
      ("helene.garnier@ehpad-tilleuls.fr", MemberRole.MEMBER), ("nadia.lefevre@ght-exemple.fr", MemberRole.READER)],
     [("Calendrier de négociation", "https://www.ars.sante.fr/")]),
    ("Hygiène – protocoles GHT", "public",
     "Les équipes d'hygiène des cinq établissements rédigent ensemble les protocoles communs : "
     "précautions standard, BMR/BHRe, entretien des locaux, gestion des excreta.",
     [("karim.benali@ght-exemple.fr", MemberRole.ANIMATOR), ("sophie.durand@ght-exemple.fr", MemberRole.MEMBER),
      ("nadia.lefevre@ght-exemple.fr", MemberRole.MEMBER), ("marc.rousseau@ars-exemple.fr", MemberRole.READER)],
     [("Recommandations SF2H", "https://www.sf2h.net/")]),
    ("Achats", "public",
     "Fonction achats mutualisée du GHT : plan d'action achats, marchés en cours, veille fournisseurs.",
     [("julien.moreau@ght-exemple.fr", MemberRole.ANIMATOR), ("claire.martin@ght-exemple.fr", MemberRole.MEMBER)],
     []),
    ("Qualité et gestion des risques", "private",
     "Préparation de la certification HAS, revues de morbi-mortalité, cartographie des risques.",
     [("nadia.lefevre@ght-exemple.fr", MemberRole.ANIMATOR), ("karim.benali@ght-exemple.fr", MemberRole.MEMBER)],
     []),
    ("Comité de direction – préparation", "secret",
     "Espace réservé aux membres du comité de direction du GHT.",
     [("claire.martin@ght-exemple.fr", MemberRole.ANIMATOR)],
     []),
]


def credentials_file() -> Path:
    return Path(current_app.instance_path) / "demo-credentials.txt"


@click.command("demo", help="Load the French demo (a hospital group, its communities and partners).")
@click.option("--password", default=None, help="Password of every demo account (random if not given).")
@with_appcontext
def demo_command(password: str | None) -> None:
    admin_email = current_app.config["DEMO_ADMIN_EMAIL"]
    if db.session.scalar(select(User.id).where(User.email == admin_email)) is not None:
        click.echo("demo already loaded")
        _print_credentials()
        return
    password = password or "-".join(secrets.token_urlsafe(4) for _ in range(4))
    admin = accounts.create_user(email=admin_email, name="Administrateur Maillage", password=password,
                                 role=Role.ADMIN)
    people = {admin.email: admin}
    spaces = {}
    for email, name, role, job, organisation, site in PEOPLE:
        user = accounts.create_user(email=email, name=name, password=password, role=role, actor=admin)
        user.job_title, user.organisation, user.site = job, organisation, site
        user.phone, user.phone_visible = PHONES.get(email, ("", True))
        people[email] = user
    for name, visibility, description, members, links in COMMUNITIES:
        animator = people[members[0][0]]
        community = service.create_community(animator, {"name": name, "description": description,
                                                        "visibility": visibility})
        spaces[name] = community
        for email, member_role in members[1:]:
            service.add_member(animator, community, people[email], member_role)
        for title, url in links:
            service.add_link(animator, title, url, community=community)
    service.add_link(admin, "Intranet du GHT", "https://www.ght-exemple.fr/")
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy typed as Flask
    signals.demo_loaded.send(app, people=people, communities=spaces)
    db.session.commit()
    text = f"{admin_email}\n{password}\n"
    path = credentials_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    click.echo(f"demo loaded: {len(people)} people, {db.session.query(Community).count()} communities")
    _print_credentials()


def _print_credentials() -> None:
    path = credentials_file()
    if path.exists():
        email, password = path.read_text().split("\n")[:2]
        click.echo(f"administrator: {email}  password: {password}")
        click.echo("every demo account (e.g. marc.rousseau@ars-exemple.fr, a partner) uses the same password")
