"""The wiki comparison as the page reads: blocks matched, then words; marked with <ins>/<del>, and
as safe as every rendered body."""

from __future__ import annotations

import re

import pytest

from rse.feeds.rendered_diff import compare

from .test_markdown import PAYLOADS, problems

LABELS = re.compile(r'<span class="visually-hidden">(?:Ajouté|Retiré) : </span>')


@pytest.fixture(autouse=True)
def _french(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        yield


def _plain(html) -> str:
    return LABELS.sub("", str(html))


def test_a_changed_word_is_marked_inside_its_rendered_heading():
    diff = compare("Fiche", "## Hygiène des mains\n\nTexte.", "Fiche", "## Hygiène des pieds\n\nTexte.")
    html = _plain(diff.html)
    assert '<h2 class="diff-block diff-block-changed">Hygiène des <del>mains</del><ins>pieds</ins></h2>' in html
    assert "##" not in html
    assert '<p class="diff-block">Texte.</p>' in html  # unchanged blocks are shown as they are
    assert (diff.changed, diff.added, diff.removed) == (1, 0, 0)


def test_each_mark_says_what_it_is_to_screen_readers():
    html = str(compare("Fiche", "Un mot.", "Fiche", "Un autre mot.").html)
    assert '<ins><span class="visually-hidden">Ajouté : </span>autre</ins>' in html


def test_list_items_are_compared_one_by_one_inside_their_list():
    old = "- Friction\n- Gants\n- Blouse"
    new = "- Friction hydro-alcoolique\n- Blouse\n- Masque"
    diff = compare("Fiche", old, "Fiche", new)
    html = _plain(diff.html)
    assert html.count("<ul>") == 1 and html.count("</ul>") == 1
    assert '<li class="diff-block diff-block-changed">Friction <ins>hydro-alcoolique</ins></li>' in html
    assert '<li class="diff-block diff-block-del"><del>Gants</del></li>' in html
    assert '<li class="diff-block diff-block-add"><ins>Masque</ins></li>' in html
    assert (diff.changed, diff.added, diff.removed) == (1, 1, 1)


def test_nested_lists_stay_nested():
    html = _plain(compare("T", "- a\n  - gants nitrile\n- c", "T", "- a\n  - gants vinyle\n- c").html)
    assert re.sub(r' class="[^"]*"', "", html).endswith(
        "<ul><li>a<ul><li>gants <del>nitrile</del><ins>vinyle</ins></li></ul></li><li>c</li></ul>")


def test_a_rewritten_paragraph_is_one_removed_and_one_added():
    diff = compare("T", "Réunion le lundi.", "T", "Tout autre propos sans rapport aucun.")
    html = _plain(diff.html)
    assert '<p class="diff-block diff-block-del"><del>Réunion le lundi.</del></p>' in html
    assert '<p class="diff-block diff-block-add"><ins>Tout autre propos sans rapport aucun.</ins></p>' in html


def test_formatting_is_kept_and_the_tags_stay_balanced():
    html = _plain(compare("T", "Lavage **avant** le soin, [voir](https://exemple.fr/a).", "T",
                          "Lavage **après** le soin, [voir](https://exemple.fr/b).").html)
    assert "<strong><del>avant</del><ins>après</ins></strong>" in html
    assert '<a href="https://exemple.fr/b" rel="noopener noreferrer">voir</a>' in html
    assert html.count("<strong>") == html.count("</strong>") == 1


def test_a_struck_out_text_is_not_shown_as_a_removal():
    html = _plain(compare("T", "Texte.", "T", "Texte ~~barré~~.").html)
    assert "<s><ins>barré</ins></s>" in html


def test_the_title_is_compared_too():
    html = _plain(compare("Fiche réflexe", "Texte", "Fiche réflexe AES", "Texte").html)
    assert '<p class="diff-block diff-block-changed diff-doc-title">Fiche réflexe <ins>AES</ins></p>' in html


def test_same_text_marks_nothing():
    diff = compare("T", "# A\n\n- b", "T", "# A\n\n- b")
    assert "<ins>" not in diff.html and "<del>" not in diff.html
    assert (diff.changed, diff.added, diff.removed) == (0, 0, 0)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_added_or_removed_stay_inert(payload):
    for old, new in ((f"Texte\n\n{payload}", "Texte"), ("Texte", f"Texte\n\n{payload}"),
                     (f"Avant {payload} après", f"Avant {payload} après ça")):
        html = str(compare("T", old, "T", new).html)
        assert problems(html) == [], (payload, html)
