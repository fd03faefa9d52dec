"""Direction controls (U+202E and friends) are refused in display text, on pages and in the API."""

import pytest

from rse.errors import ValidationError
from rse.validation import BIDI_CONTROLS, BIDI_MARKS, clean_text

MESSAGE = "changent le sens"  # of « Contient des caractères invisibles qui changent le sens d'écriture du texte. »
RLO = "\u202e"


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS | BIDI_MARKS))
def test_single_line_text_refuses_every_direction_control(char):
    with pytest.raises(ValidationError) as refused:
        clean_text(f"Protocole{char}fdp.exe", "title", max_length=200)
    assert refused.value.code == "bidi_control"
    assert MESSAGE in refused.value.fields["title"]


def test_bodies_refuse_overrides_but_keep_direction_marks():
    with pytest.raises(ValidationError):
        clean_text(f"Ligne\n{RLO}inversée", "body", max_length=200, multiline=True)
    mixed = "Nom en arabe : \u200fمحمد\u200f, service X"
    assert clean_text(mixed, "body", max_length=200, multiline=True) == mixed


def test_joiners_of_emoji_and_scripts_are_kept():
    title = "Équipe 👩\u200d⚕️ soignante"
    assert clean_text(title, "title", max_length=200) == title


def _refused(response, field):
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    error = response.json["error"]
    assert error["code"] == "bidi_control"
    assert MESSAGE in error["fields"][field]


def test_api_refuses_direction_controls_in_every_display_field(world, api, create_document):
    client = api(world.animator)
    space = world.spaces["public"]
    document = create_document(space, world.animator, title="Protocole")
    publication = client.post(f"/api/v1/communities/{space.id}/publications",
                              json={"kind": "post", "title": "Note", "body": "Texte"}).json
    _refused(client.post("/api/v1/communities", json={"name": f"Comité{RLO}", "visibility": "public"}), "name")
    _refused(client.patch(f"/api/v1/communities/{space.id}", json={"name": "Espace\u2067x"}), "name")
    _refused(client.patch(f"/api/v1/communities/{space.id}", json={"description": f"Ligne\n{RLO}"}), "description")
    for field, value in (("title", f"Titre{RLO}"), ("place", "Salle\u200f 3"), ("tags", [f"mot{RLO}clé"])):
        body = {"kind": "post", "title": "T", "body": "Texte", field: value}
        _refused(client.post(f"/api/v1/communities/{space.id}/publications", json=body), field)
    _refused(client.post(f"/api/v1/communities/{space.id}/publications",
                         json={"kind": "link", "url": f"https://exemple.fr/{RLO}fdp.exe"}), "url")
    _refused(client.patch(f"/api/v1/publications/{publication['id']}", json={"body": f"Corps{RLO}"}), "body")
    _refused(client.patch(f"/api/v1/documents/{document.id}", json={"title": "Protocole\u200e"}), "title")
    _refused(client.patch(f"/api/v1/documents/{document.id}", json={"tags": ["a\u2066b"]}), "tags")
    _refused(client.post(f"/api/v1/publications/{publication['id']}/comments", json={"body": f"Vu {RLO}"}), "body")
    # Nothing was written.
    assert client.get(f"/api/v1/documents/{document.id}").json["title"] == "Protocole"
    assert client.get(f"/api/v1/communities/{space.id}").json["name"] == "Espace public"
    assert client.get(f"/api/v1/publications/{publication['id']}/comments").json["items"] == []
    assert all(RLO not in c["name"] for c in client.get("/api/v1/communities").json["items"])
    # A body may carry the direction marks of mixed-direction prose.
    response = client.post(f"/api/v1/publications/{publication['id']}/comments", json={"body": "Vu \u200fمحمد"})
    assert response.status_code == 201


def test_pages_refuse_direction_controls_with_a_french_message(world, login, create_document):
    client = login(world.animator)
    space = world.spaces["public"]
    response = client.post("/espaces/nouveau", data={"name": f"Comité{RLO}", "visibility": "public"})
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)
    response = client.post("/profil", data={"name": "Animatrice", "job_title": f"Cadre{RLO}"})
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)
    response = client.post(f"/espaces/{space.id}/dossiers", data={"name": f"Dossier{RLO}"}, follow_redirects=True)
    assert MESSAGE in response.get_data(as_text=True)
    response = client.post(f"/espaces/{space.id}/liens", data={"title": f"Lien{RLO}", "url": "https://exemple.fr"},
                           follow_redirects=True)
    assert MESSAGE in response.get_data(as_text=True)
    page = client.get(f"/espaces/{space.id}").get_data(as_text=True)
    assert RLO not in page and RLO not in client.get(f"/espaces/{space.id}/documents").get_data(as_text=True)
    assert RLO not in client.get(f"/personnes/{world.animator.id}").get_data(as_text=True)
