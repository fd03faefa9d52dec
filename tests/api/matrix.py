"""What the API's permission matrices share. A matrix is a list of rows (method, path, body, the
status each actor gets); paths and bodies name the fixture's ids as placeholders ("{plan}"). Every row
is called as one actor, in order, and what all the answers said is returned for the leak checks; and
each endpoint of a module must have its row."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

Row = tuple[str, str, Any, dict[str, int]]


def fill(template: Any, values: dict) -> Any:
    """`template` with its placeholders filled: a lone placeholder keeps the value's type (an id stays an int)."""
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, str):
        alone = re.fullmatch(r"\{(\w+)\}", template)
        if alone:
            return values[alone.group(1)]
        return template.format(**values)
    return template


def call_rows(client, rows: Iterable[Row], actor_name: str, ids: dict, *,
              not_found_codes: tuple[str, ...] = ("not_found",)) -> str:
    """Call each row as `actor_name` and check its status; every refusal has a code and a message, and
    a 404 names nothing (no fields). Returns all the answers, JSON decoded (its escapes hide accents)."""
    wrong, bodies = [], []
    for method, path, body, statuses in rows:
        response = client.open("/api/v1" + path.format(**ids), method=method, json=fill(body, ids))
        text = response.get_data().decode("utf-8", errors="replace")
        bodies.append(json.dumps(response.json, ensure_ascii=False) if response.is_json else text)
        if response.status_code != statuses[actor_name]:
            wrong.append(f"{method} {path}: {response.status_code}, expected {statuses[actor_name]} {text[:200]}")
        if response.status_code >= 400:
            error = response.json["error"]
            assert error["code"] and error["message"], path
        if response.status_code == 404:
            assert response.json["error"]["code"] in not_found_codes, path
            assert not response.json["error"].get("fields"), path
    assert wrong == []
    return "\n".join(bodies)


def uncovered_routes(app, module, rows: Iterable[Row]) -> list[str]:
    """The routes of the API module `module` no row calls (ids and query strings aside)."""
    covered = {(method, re.sub(r"\?.*", "", re.sub(r"{[^}]+}|\d+", "X", path))) for method, path, _b, _s in rows}
    missing = []
    for rule in app.url_map.iter_rules():
        if getattr(app.view_functions[rule.endpoint], "__module__", "") != module.__name__:
            continue
        path = re.sub(r"<[^>]+>", "X", rule.rule.removeprefix("/api/v1"))
        missing += [f"{m} {rule.rule}" for m in rule.methods - {"HEAD", "OPTIONS"} if (m, path) not in covered]
    return missing
