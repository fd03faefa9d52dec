"""Dates: one way to write a day and one way to write a moment, in every page and email."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale

from rse.i18n import day_formatter, format_day, format_moment

ROOT = Path(__file__).resolve().parents[1]
MOMENT = datetime(2026, 12, 6, 23, 42, tzinfo=UTC)  # 00:42 on 7 December in Paris (RSE_TIMEZONE)
NNBSP = "\u202f"  # CLDR's narrow no-break space before AM/PM


def test_a_moment_reads_as_a_french_sentence_in_the_users_time_zone(app):
    with app.test_request_context():
        assert format_moment(MOMENT) == "7 déc. 2026 à 00:42"
        assert format_moment(datetime(2026, 7, 1, 6, 5, tzinfo=UTC)) == "1 juil. 2026 à 08:05"  # summer time


def test_a_day_is_the_day_where_the_users_are(app):
    with app.test_request_context():
        assert format_day(MOMENT) == "7 déc. 2026"  # not the 6th, as in UTC
        assert format_day(date(2026, 3, 1)) == "1 mars 2026"


def test_english_readers_get_the_english_order_and_clock(app):
    with app.test_request_context(), force_locale("en"):
        assert format_moment(MOMENT) == f"Dec 7, 2026 at 12:42{NNBSP}AM"
        assert format_day(date(2026, 3, 1)) == "Mar 1, 2026"


def test_no_date_is_an_empty_string(app):
    with app.test_request_context():
        assert format_moment(None) == "" and format_day(None) == ""


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_tables_day_formatter_writes_each_day_as_format_day_does(app, locale):
    days = [date(2026, 1, 1) + (date(2026, 1, 2) - date(2026, 1, 1)) * n for n in range(0, 730, 17)]
    with app.test_request_context(), force_locale(locale):
        day = day_formatter()
        assert [day(d) for d in days] == [format_day(d) for d in days]
        assert day(MOMENT) == format_day(MOMENT) == ("7 déc. 2026" if locale == "fr" else "Dec 7, 2026")
        assert day(None) == ""
        rendered = render_template_string('{% set day = day_formatter() %}{{ day(value) }}', value=date(2026, 3, 1))
    assert rendered == ("1 mars 2026" if locale == "fr" else "Mar 1, 2026")


def test_templates_write_moments_through_the_one_filter(app):
    template = ('{% import "macros.html" as m with context %}'
                '{{ value|datetime }}|{{ m.when(value, "datetime") }}|{{ value|date }}|{{ m.when(value) }}')
    with app.test_request_context():
        rendered = render_template_string(template, value=MOMENT)
    assert rendered == ('7 déc. 2026 à 00:42|<time datetime="2026-12-06T23:42:00+00:00">7 déc. 2026 à 00:42</time>|'
                        '7 déc. 2026|<time datetime="2026-12-06T23:42:00+00:00">7 déc. 2026</time>')


def test_the_filters_take_no_format_so_no_page_can_choose_another(app):
    with app.test_request_context(), pytest.raises(TypeError):
        render_template_string('{{ value|datetime("short") }}', value=MOMENT)


# A displayed date written any other way than |date, |datetime or m.when (rse/i18n.py).
TEMPLATE_FORMATS = re.compile(r"strftime|\|\s*date\s*\(|\|\s*datetime\s*\(|%d/%m|format_date|format_datetime"
                              r"|m\.when\([^)]*,\s*(?:fmt\s*=|\"(?:date|datetime)\"\s*,)")
CODE_FORMATS = re.compile(r"strftime\(|flask_babel import[^\n]*\bformat_(?:date|datetime|time)\b|babel\.dates")
NOT_SHOWN = {  # dates written for programs, not people
    "rse/audit/views.py": "the CSV export's file name (20261207-0042)",
}


def test_no_template_writes_a_date_its_own_way():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted((ROOT / "templates").rglob("*")) if path.suffix in {".html", ".txt"}
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if TEMPLATE_FORMATS.search(line)]
    assert found == [], "use |date, |datetime or m.when(value[, \"datetime\"]):\n" + "\n".join(found)


def test_no_module_writes_a_date_its_own_way():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted((ROOT / "rse").rglob("*.py"))
             if path.relative_to(ROOT).as_posix() not in {"rse/i18n.py", *NOT_SHOWN}
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if CODE_FORMATS.search(line)]
    assert found == [], "use rse.i18n.format_day or format_moment:\n" + "\n".join(found)
