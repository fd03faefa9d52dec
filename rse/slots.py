"""Slots: places in a lower package's page where a higher package adds its part.

The community page belongs to `communities`, its activity stream to `feeds`, which
communities must not import. So the page says `{{ slot("community.main", community=c) }}`
and feeds registers what renders there. A slot with nothing registered renders its
template's fallback (`{% if not has_slot(...) %}`).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from markupsafe import Markup

Renderer = Callable[..., str]


def register(app: Flask, name: str, renderer: Renderer) -> None:
    app.extensions.setdefault("rse_slots", {}).setdefault(name, []).append(renderer)


def _renderers(app: Flask, name: str) -> list[Renderer]:
    return app.extensions.get("rse_slots", {}).get(name, [])


def init_app(app: Flask) -> None:
    @app.context_processor
    def slot_helpers():
        def slot(name: str, **context) -> Markup:
            return Markup("").join(Markup(renderer(**context)) for renderer in _renderers(app, name))

        def has_slot(name: str) -> bool:
            return bool(_renderers(app, name))

        return {"slot": slot, "has_slot": has_slot}
