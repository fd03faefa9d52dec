"""Hidden drafts in search, on every engine: the canaries of tests/documents/test_controlled_hidden.py
(a controlled document never in force, a draft version 2 of one in force) are found by no one
outside the circuit, through search or autocomplete, while a checker in the circuit finds them."""

from __future__ import annotations

import json

import pytest

from tests.documents.test_controlled_hidden import CANARIES, HIDDEN_TAG, OUTSIDE, drafts  # noqa: F401 (fixture)


@pytest.mark.parametrize("name", OUTSIDE)
def test_no_one_outside_the_circuit_finds_a_draft(name, drafts, api, app_engine):  # noqa: F811
    _never, in_force, _space, people = drafts
    client = api(people[name])
    for word in (*CANARIES, HIDDEN_TAG):
        response = client.get("/api/v1/search", query_string={"q": word})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["items"] == [], (app_engine, name, word)
        found = client.get("/api/v1/autocomplete", query_string={"q": word[:5]}).get_json()
        assert [c for c in CANARIES if c in json.dumps(found).lower()] == [], (app_engine, name, word)
        assert HIDDEN_TAG not in {t["tag"] for t in found["tags"]}, (app_engine, name, word)
    # What is in force is found: the searches above reach an index that holds the space's documents.
    found = client.get("/api/v1/search", query_string={"q": "vigueur"}).get_json()["items"]
    assert [(i["kind"], i["id"]) for i in found] == [("document", in_force.id)]


def test_the_checker_in_the_circuit_finds_the_draft(drafts, api, app_engine):  # noqa: F811
    never, _in_force, _space, people = drafts
    client = api(people["checker"])
    for word in ("zinzolin", "ZNZ-PRO-771", "ocarina", HIDDEN_TAG):
        items = client.get("/api/v1/search", query_string={"q": word}).get_json()["items"]
        assert [(i["kind"], i["id"]) for i in items] == [("document", never.id)], (app_engine, word)
