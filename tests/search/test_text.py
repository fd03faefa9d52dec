"""Snippets of the embedded engine (and of a passage another engine cut): blocks kept apart with
« · », ends between two words with « … », as rse.excerpts says for every excerpt."""

from __future__ import annotations

from markupsafe import Markup

from rse.search.text import highlight, marked_ends, parse_query

CALENDAR = ("Calendrier CPOM\n\nDiagnostic partagé : fin janvier\n\nFiches objectifs : mars\n\n"
            "Signature : juin\n\nLes établissements transmettent leurs indicateurs avant la réunion.")


def test_a_snippet_keeps_list_items_apart():
    snippet = str(highlight(CALENDAR, parse_query("objectifs")))
    assert "fin janvier · Fiches <mark>objectifs</mark> : mars · Signature : juin · Les" in snippet


def test_a_snippet_cut_on_both_sides_cuts_between_words():
    text = "Préambule administratif du document. " * 10 + "Friction hydro-alcoolique avant chaque soin. " * 10
    snippet = str(highlight(text, parse_query("hydro"), width=60))
    assert snippet.startswith("…") and snippet.endswith("…")
    words = Markup(snippet).striptags().strip("…").split()
    whole = set(text.split())
    assert words[0] in whole and words[-1] in whole  # no piece of a word at either end
    assert "<mark>hydro</mark>" in snippet


def test_a_snippet_without_a_match_is_the_start_cut_at_a_word():
    snippet = str(highlight("Hygiène des mains\n\nFriction hydro-alcoolique avant chaque soin", parse_query("zzz"),
                            width=36))
    assert snippet == "Hygiène des mains · Friction…"


def test_accented_words_are_marked_and_never_split():
    snippet = str(highlight("Équipe soignante\n\nhôpital Édouard-Herriot, réanimation médicale", parse_query("hopital"),
                            width=40))
    assert snippet == "…soignante · <mark>hôpital</mark> Édouard-Herriot,…"


def test_a_snippet_never_starts_on_a_separator():
    # The passage would start two characters before the word: on the « · » before it.
    snippet = str(highlight("Calendrier prévu\n\nSignature : juin", parse_query("signature"), width=10))
    assert snippet == "…<mark>Signature</mark>…"


def test_an_isolated_line_wrap_of_an_extracted_text_is_a_space():
    snippet = str(highlight("Le protocole s'applique\naux services de soins.", parse_query("services")))
    assert snippet == "Le protocole s&#39;applique aux <mark>services</mark> de soins."


def test_another_engines_passage_gets_an_ellipsis_where_it_does_not_reach_the_ends():
    text = "Début du texte. Milieu avec le <mot>. Fin du texte."
    middle = Markup("Milieu avec le <mark>&lt;mot&gt;</mark>.")
    assert str(marked_ends(middle, text, whole=True)) == "…" + middle + "…"
    start = Markup("Début du <mark>texte</mark>.")
    assert str(marked_ends(start, text, whole=True)) == start + "…"
    end = Markup("Fin du <mark>texte</mark>.")
    assert str(marked_ends(end, text, whole=True)) == "…" + end
    # Only the start of a long field is kept: its end cannot be known to be reached.
    assert str(marked_ends(end, text, whole=False)) == "…" + end + "…"
