"""How an untitled post is named wherever a title is expected: the first words of its text."""

from __future__ import annotations

from rse.feeds.titles import first_words, publication_title


def test_first_words_are_plain_text_cut_between_two_words():
    text = "Fin janvier, **fiches objectifs** : mars. Signature : juin, puis bilan en décembre"
    assert first_words(text) == "Fin janvier, fiches objectifs : mars. Signature…"
    assert first_words("Bonjour à tous, la réunion CPOM du 12 décembre est déplacée au 19") == \
        "Bonjour à tous, la réunion CPOM du 12…"


def test_a_short_text_is_kept_whole_without_ellipsis():
    assert first_words("Menu de la semaine") == "Menu de la semaine"
    assert first_words("[Le lien](https://exemple.fr/long/chemin) est à jour") == "Le lien est à jour"


def test_the_limit_in_characters_cuts_before_the_word_that_overflows():
    named = first_words("Anticoagulants " * 3 + "recommandations actualisées de la société savante")
    assert named == "Anticoagulants Anticoagulants Anticoagulants…" and len(named) <= 60


def test_one_word_longer_than_the_limit_is_cut_inside():
    assert first_words("x" * 100) == "x" * 59 + "…"


def test_a_long_text_is_named_by_its_start_only():
    assert first_words("Début du texte. " + "mot " * 5_000) == "Début du texte. mot mot mot mot mot…"


def test_empty_or_markup_only_text_gives_nothing():
    assert first_words("") == "" and first_words(None) == "" and first_words("   \n\n ") == ""


def test_publication_title_prefers_the_title_then_the_text_then_the_space(app):
    with app.test_request_context():
        assert publication_title("Protocole", "Texte") == "Protocole"
        assert publication_title("", "Menu de la semaine") == "Menu de la semaine"
        assert publication_title("", "Menu de la semaine", text_shown=False, community="Achats") == \
            "Message dans l'espace Achats"
        assert publication_title("", "") == "Message sans texte"
