"""What a spreadsheet would take for a formula, the one rule of the CSV and XLSX exports."""

import pytest

from rse.spreadsheets import starts_like_formula


@pytest.mark.parametrize("text", ["=1+1", "+33 4 77 00 00 00", "-2", "@SUM(A1)", "\tcmd", "\r=1"])
def test_texts_a_spreadsheet_would_evaluate_are_caught(text):
    assert starts_like_formula(text)


@pytest.mark.parametrize("text", ["", "Protocole = hygiène", "HYG-PRO-012", " =1", "'=1", "« Lavage » des mains"])
def test_ordinary_texts_pass(text):
    assert not starts_like_formula(text)
