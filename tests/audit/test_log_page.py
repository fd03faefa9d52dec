"""The audit log as administrators read it: French labels, readable details, targets by title with a
link, filters by action, person and space, and clear messages for bad filter values."""

from __future__ import annotations

import ast
import csv
import html
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from rse.audit import LABELS
from rse.audit.actions import DOMAINS
from rse.database import db
from rse.feeds.publications import service as publications
from rse.feeds.social import answers, comments, suggestions

ROOT = Path(__file__).resolve().parents[2] / "rse"
HEX_HASH = re.compile(r"\b[0-9a-f]{40,64}\b")


def _recorded_actions() -> dict[str, list[str]]:
    """Every action code passed to the audit's record(), with where; a call whose action is not
    written out (a variable) is reported as such, so that no action escapes the check."""
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "audit" in path.relative_to(ROOT).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if not (isinstance(func, ast.Attribute) and func.attr == "record"
                    and isinstance(func.value, ast.Name) and func.value.id == "audit"):
                continue
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            first = node.args[0] if node.args else None
            code = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else f"<not a literal at {where}>"
            found.setdefault(code, []).append(where)
    return found


def test_every_action_the_code_records_has_a_french_label():
    recorded = _recorded_actions()
    assert len(recorded) > 35  # the scan finds the calls (a broken scan would pass with none)
    missing = {code: where for code, where in recorded.items() if code not in LABELS}
    assert missing == {}, "actions recorded without a French label in rse/audit/actions.py"
    assert all(str(label) != code and str(label)[:1].isupper() for code, label in LABELS.items())
    stale = set(LABELS) - set(recorded)
    assert stale == set(), "labels for actions nothing records any more"


def test_every_label_is_in_one_domain_of_the_filter():
    codes = [code for _domain, actions in DOMAINS for code in actions]
    assert len(codes) == len(set(codes)) == len(LABELS)


def _body(response) -> str:
    """The table of entries as text (tags removed, entities decoded)."""
    page = response.get_data(as_text=True)
    match = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[1]))) if match else ""


def _table(response) -> str:
    page = response.get_data(as_text=True)
    match = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    return match[1] if match else ""


@pytest.fixture
def activity(create_user, create_community, create_document, publish, login):
    """A space with members, a question answered, a document read, a suggestion and a pin."""
    admin = create_user("admin", name="Aline Admin")
    animator = create_user("staff", name="Claire Martin")
    member = create_user("staff", name="Sophie Durand")
    partner = create_user("partner", name="Marc Rousseau")
    space = create_community(animator, name="CPOM 2026", visibility="private",
                             members=[(member, "member"), (partner, "reader")])
    other = create_community(create_user("staff", name="Julien Moreau"), name="Achats")
    question = publish(member, space, "question", title="Quel calendrier pour le CPOM ?")
    answer = comments.add_comment(animator, question, "Signature en juin.")
    answers.accept_answer(member, answer)
    document = create_document(space, animator, title="Compte rendu de la réunion")
    from rse.documents import service as documents
    documents.record_download(member, document, documents.current_version(document), inline=True)
    quality = create_community(animator, name="Qualité")
    suggestions.suggest(animator, document, users=[member.id], communities=[quality.id])
    db.session.commit()
    return SimpleNamespace(admin=admin, animator=animator, member=member, partner=partner, space=space,
                           other=other, question=question, document=document, client=login(admin))


def test_the_log_speaks_french_and_names_people_spaces_and_items(activity):
    a = activity
    response = a.client.get("/admin/journal")
    assert response.status_code == 200
    text = _body(response)
    for label in ("Espace créé", "Membre ajouté", "Publication créée", "Commentaire ajouté", "Réponse acceptée",
                  "Document déposé", "Document téléchargé ou consulté", "Contenu suggéré"):
        assert label in text
    # No codes, no program output: lists, booleans, whole hashes.
    assert "publication.create" not in text and "question.accept" not in text
    assert "[" not in text and "True" not in text and "False" not in text and "None" not in text
    assert not HEX_HASH.search(text)
    # Details in words, with names.
    assert "Personne : Sophie Durand" in text
    assert "Rôle : lecteur" in text  # the partner joined as a reader
    assert "Ouverture : dans le navigateur" in text
    assert "Suggéré à : Sophie Durand" in text and "Espaces : Qualité" in text
    assert "Type : question" in text
    assert re.search(r"Empreinte : [0-9a-f]{10}…", text)
    assert re.search(r"Taille : [\d,]+ (ko|octets|Mo)", text)


def test_the_target_is_its_title_with_a_link(activity):
    a = activity
    table = _table(a.client.get("/admin/journal"))
    assert f'<a href="/publications/{a.question.id}">Quel calendrier pour le CPOM ?</a>' in table
    assert f'<a href="/documents/{a.document.id}">Compte rendu de la réunion</a>' in table
    assert f'<a href="/espaces/{a.space.id}">CPOM 2026</a>' in table
    assert f'<a href="/admin/utilisateurs/{a.member.id}">Sophie Durand</a> <span class="audit-sub">{a.member.email}</span>' in table
    assert "Commentaire sur « Quel calendrier pour le CPOM ? »" in html.unescape(table)
    assert "(publication #" not in table and "#" + str(a.question.id) + " (" not in table


def test_a_deleted_item_shows_as_deleted_without_its_title(activity):
    a = activity
    publications.delete_publication(a.member, a.question)
    db.session.commit()
    text = _body(a.client.get("/admin/journal"))
    assert "Publication supprimée" in text
    assert "Quel calendrier pour le CPOM" not in text  # neither as a target nor in a comment's title


def test_filter_by_action(activity):
    a = activity
    text = _body(a.client.get("/admin/journal?action=question.accept"))
    assert "Réponse acceptée" in text
    assert "Membre ajouté" not in text and "Publication créée" not in text
    # The start of a family of codes still works (older links): every change of members.
    text = _body(a.client.get("/admin/journal?action=membership"))
    assert "Membre ajouté" in text and "Publication créée" not in text


def test_the_action_filter_is_a_list_of_french_labels_by_domain(activity):
    page = activity.client.get("/admin/journal").get_data(as_text=True)
    select = re.search(r'<select id="f-action" name="action">(.*?)</select>', page, re.S)[1]
    assert '<optgroup label="Espaces et membres">' in select
    assert '<option value="question.accept">Réponse acceptée</option>' in select
    assert '<input type="text" id="f-action"' not in page


def test_filter_by_person_shows_what_they_did_and_what_concerns_them(activity):
    a = activity
    text = _body(a.client.get(f"/admin/journal?personne={a.partner.id}"))
    assert "Membre ajouté" in text and "Marc Rousseau" in text  # added by the animator: it concerns them
    assert "Publication créée" not in text and "Document déposé" not in text
    text = _body(a.client.get(f"/admin/journal?personne={a.member.id}"))
    assert "Publication créée" in text and "Réponse acceptée" in text and "Document téléchargé ou consulté" in text
    assert "Document déposé" not in text
    page = a.client.get("/admin/journal").get_data(as_text=True)
    assert f'<option value="{a.partner.id}">Marc Rousseau ({a.partner.email})</option>' in page


def test_filter_by_space(activity):
    a = activity
    text = _body(a.client.get(f"/admin/journal?espace={a.other.id}"))
    assert "Espace créé" in text and "Achats" in text
    assert "CPOM 2026" not in text and "Publication créée" not in text
    text = _body(a.client.get(f"/admin/journal?espace={a.space.id}"))
    for label in ("Espace créé", "Membre ajouté", "Publication créée", "Commentaire ajouté", "Document déposé",
                  "Document téléchargé ou consulté"):
        assert label in text
    assert "Achats" not in text and "Qualité" in text  # named by the suggestion made in this space
    assert "Connexion" not in text


@pytest.mark.parametrize(("query", "message"), [
    ("action=user.exploded", "Cette action n'existe pas"),
    ("personne=abc", "Cette personne n'existe pas"),
    ("personne=99999999", "Cette personne n'existe pas"),
    ("espace=%3Cscript%3E", "Cet espace n'existe pas"),
    ("espace=99999999999999999999999", "Cet espace n'existe pas"),
    ("du=pas-une-date", "Date invalide"),
    ("au=2026-13-45", "Date invalide"),
    ("du=2026-12-07&au=2026-12-01", "La date de fin est avant la date de début."),
    ("ip=999.1.1.1", "Adresse IP invalide"),
])
def test_a_bad_filter_value_gets_a_french_message_and_no_entries(activity, query, message):
    response = activity.client.get(f"/admin/journal?{query}")
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert message in page
    assert "Vérifiez les filtres signalés" in page and 'aria-invalid="true"' in page
    assert "0 entrée" in page and "<tbody>" not in page
    export = activity.client.get(f"/admin/journal/export.csv?{query}")
    assert len(list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))) == 1  # the header


@pytest.mark.parametrize("who", ["staff", "partner", "deactivated"])
def test_only_administrators_read_the_log(create_user, login, client, who):
    user = create_user("partner" if who == "partner" else "staff")
    client.post("/connexion", data={"email": "victime@ght-exemple.fr", "password": "mauvais-mot-de-passe"})
    if who == "deactivated":
        signed_in = login(user)
        user.deactivated_at = user.created_at
        db.session.commit()
    else:
        signed_in = login(user)
    for path in ("/admin/journal", "/admin/journal/export.csv", "/admin/journal?personne=1"):
        response = signed_in.get(path)
        assert response.status_code in ({403} if who != "deactivated" else {302, 401}), path
        page = response.get_data(as_text=True)
        assert "victime@ght-exemple.fr" not in page and 'id="f-action"' not in page
    anonymous = client.get("/admin/journal")
    assert anonymous.status_code in (302, 401)
    assert "Journal d'audit" not in anonymous.get_data(as_text=True)


def test_the_export_follows_the_filters_and_carries_code_and_label(activity):
    a = activity
    response = a.client.get(f"/admin/journal/export.csv?espace={a.space.id}")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    actions = {row["action"] for row in rows}
    assert "document.downloaded" in actions and "login.success" not in actions
    download = next(row for row in rows if row["action"] == "document.downloaded")
    assert download["action_label"] == "Document téléchargé ou consulté"
    assert download["target"] == "Compte rendu de la réunion"
    assert "Ouverture : dans le navigateur" in download["details"] and "True" not in download["details"]
    assert '"inline": true' in download["details_json"]
    upload = next(row for row in rows if row["action"] == "document.uploaded")
    assert not HEX_HASH.search(upload["details"]) and HEX_HASH.search(upload["details_json"])


def test_names_are_looked_up_through_the_permission_layer(create_user, create_community):
    """Only administrators read the log, but the lookup asks the permission layer all the same: a
    reader who may not read a space does not get its name, and a deleted thing is said deleted."""
    from rse.audit.subjects import Names

    animator, outsider, admin = create_user("staff"), create_user("staff"), create_user("admin")
    secret = create_community(animator, visibility="secret", name="Comité de direction")
    wanted = [("community", secret.id), ("community", "999999"), ("user", animator.id)]
    assert Names(admin, wanted).get("community", secret.id).label == "Comité de direction"
    hidden = Names(outsider, wanted).get("community", str(secret.id), "Comité de direction")
    assert (hidden.label, hidden.gone, hidden.url) == ("Espace supprimé", True, None)
    gone = Names(admin, wanted).get("community", "999999", "Ancien espace")
    assert (gone.label, gone.gone, gone.url) == ("Ancien espace (espace supprimé)", True, None)
