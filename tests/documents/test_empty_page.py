"""An empty documents page offers one way to upload (the form's own button), and a folder name field
wide enough for its example."""

from __future__ import annotations

import re


def _buttons_and_links_saying_deposer(page: str) -> list[str]:
    return [tag for tag in re.findall(r"<(?:a|button)\b[^>]*>.*?</(?:a|button)>", page, re.S)
            if "Déposer" in re.sub(r"<[^>]+>", "", tag)]


def test_an_empty_space_shows_one_upload_button(login, create_user, create_community):
    animator = create_user("staff")
    community = create_community(animator)
    page = login(animator).get(f"/espaces/{community.id}/documents").get_data(as_text=True)
    assert "Aucun document pour l'instant" in page.replace("&#39;", "'")
    found = _buttons_and_links_saying_deposer(page)
    assert len(found) == 1 and found[0].startswith("<button") and 'type="submit"' in found[0]


def test_a_space_with_documents_links_to_the_form_from_the_header(login, create_user, create_community,
                                                                  create_document):
    animator = create_user("staff")
    community = create_community(animator)
    create_document(community, animator, title="Protocole des excreta")
    page = login(animator).get(f"/espaces/{community.id}/documents").get_data(as_text=True)
    assert "Protocole des excreta" in page
    assert [tag.startswith("<a") for tag in _buttons_and_links_saying_deposer(page)] == [True, False]


def test_a_reader_of_an_empty_space_is_offered_no_upload(login, create_user, create_community):
    reader = create_user("staff")
    community = create_community(members=[(reader, "reader")])
    page = login(reader).get(f"/espaces/{community.id}/documents").get_data(as_text=True)
    assert "Les documents déposés par les membres de l'espace apparaîtront ici." in page.replace("&#39;", "'")
    assert _buttons_and_links_saying_deposer(page) == []


def test_the_new_folder_field_has_its_own_line(login, create_user, create_community):
    animator = create_user("staff")
    community = create_community(animator)
    page = login(animator).get(f"/espaces/{community.id}/documents").get_data(as_text=True)
    field = re.search(r'<div class="field">\s*<label[^>]*for="new-folder-name".*?</div>', page, re.S).group(0)
    assert 'placeholder="Ex.' in field and "<button" not in field and "input-row" not in field
