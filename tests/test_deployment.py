"""The production stack's files agree with the code: compose.yaml, .env.example, the entry point, the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from rse.config import load_config
from rse.uploads import FORM_ALLOWANCE

ROOT = Path(__file__).resolve().parent.parent
IMAGE_SERVICES = ("app", "search-worker", "scheduler")  # the services that run the Maillage image

# Settings whose compose value is not the same-named variable of .env, and why.
FIXED_IN_COMPOSE = {
    "RSE_DATABASE_URL": "built from POSTGRES_PASSWORD, for the stack's postgres service",
    "RSE_STORAGE_URL": "built from the MAILLAGE_S3_* keys, for the stack's minio service",
    "RSE_PROCESS_INLINE": "0: the scheduler extracts text and makes thumbnails, not the requests",
    "RSE_SEARCH_SYNC_INLINE": "0: the search-worker indexes changes, requests don't wait for the engine",
}
# Settings compose does not pass at all, and why.
NOT_IN_COMPOSE = {
    "RSE_INSTANCE_PATH": "the image sets it (Dockerfile ENV): the one folder its user may write, where the "
                         "scheduler's volume is mounted",
}


class _Recording(dict):
    """An environment that notes every name asked of it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def _settings_read() -> set[str]:
    """Every RSE_* name the app's configuration reads, and those the scheduler reads itself."""
    env = _Recording(RSE_SECRET_KEY="x")
    load_config(env)
    scheduler = (ROOT / "docker" / "scheduler.py").read_text()
    names = {name for name in env.asked if name.startswith("RSE_")}
    return names | set(re.findall(r"environ\.get\(\"(RSE_[A-Z_]+)\"", scheduler))


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _image_instance_path() -> str:
    match = re.search(r"RSE_INSTANCE_PATH=(\S+)", (ROOT / "Dockerfile").read_text())
    assert match, "the Dockerfile sets RSE_INSTANCE_PATH"
    return match.group(1)


def _seconds(duration: str) -> float:
    """A Compose duration (`70s`, `1m30s`) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


def _entrypoint_option(name: str) -> int:
    """The value given to gunicorn's `name` option in docker/entrypoint.sh (its default if from a variable)."""
    match = re.search(rf"{name} \"?(?:\$\{{\w+:-)?(\d+)", (ROOT / "docker" / "entrypoint.sh").read_text())
    assert match, f"docker/entrypoint.sh gives gunicorn {name}"
    return int(match.group(1))


def _readme_nginx(directive: str) -> str:
    match = re.search(rf"\b{directive} (\S+?);", (ROOT / "README.md").read_text())
    assert match, f"the README's nginx advice sets {directive}"
    return match.group(1)


def test_the_settings_read_are_found():
    names = _settings_read()
    assert {"RSE_DATABASE_URL", "RSE_DIGEST_HOUR", "RSE_UPLOAD_TMP", "RSE_INSTANCE_PATH"} <= names
    assert set(FIXED_IN_COMPOSE) | set(NOT_IN_COMPOSE) <= names  # no reason kept for a setting gone


@pytest.mark.parametrize("service", IMAGE_SERVICES)
def test_every_setting_reaches_each_service_that_runs_the_app(service):
    environment = _compose()["services"][service]["environment"]
    missing = sorted(_settings_read() - set(NOT_IN_COMPOSE) - set(environment))
    assert missing == [], f"compose.yaml does not pass {missing} to {service}: setting them in .env does nothing"
    assert not set(NOT_IN_COMPOSE) & set(environment)


def test_every_setting_but_the_fixed_ones_comes_from_env_file():
    environment = _compose()["x-maillage"]["environment"]
    for name in sorted(_settings_read() - set(NOT_IN_COMPOSE)):
        value = str(environment[name])
        if name in FIXED_IN_COMPOSE:
            assert f"${{{name}" not in value, f"{name} is fixed in compose.yaml: {FIXED_IN_COMPOSE[name]}"
        else:
            assert value.startswith(f"${{{name}:"), f"compose.yaml gives {name} {value!r}, not .env's {name}"


def _compose_defaults() -> dict[str, str]:
    """What each setting is in the stack when .env leaves it out: compose's `${NAME:-default}`."""
    defaults = {}
    for name, value in _compose()["x-maillage"]["environment"].items():
        match = re.fullmatch(rf"\$\{{{name}:-(.*)\}}", str(value))
        if match:
            defaults[name] = match.group(1)
    return defaults


def _env_example_defaults() -> dict[str, str]:
    """The `#RSE_NAME=value` lines of .env.example's section of defaults."""
    text = (ROOT / ".env.example").read_text()
    section = text.split("# --- Optional (defaults shown)", 1)[1].split("\n# ---", 1)[0]
    return dict(re.findall(r"^#(RSE_[A-Z_]+)=(\S*)", section, re.MULTILINE))


def test_env_example_names_every_setting_env_file_can_change():
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?(RSE_[A-Z_]+)=", text, re.MULTILINE))
    passed = _settings_read() - set(NOT_IN_COMPOSE) - set(FIXED_IN_COMPOSE)
    assert sorted(passed - listed) == []
    assert sorted(listed - passed) == []  # nothing that compose would ignore


def test_env_example_defaults_are_the_stacks_defaults():
    base = {"RSE_SECRET_KEY": "x", "RSE_INSTANCE_PATH": _image_instance_path()}
    compose_defaults = _compose_defaults()
    shown = _env_example_defaults()
    assert len(shown) > 10
    for name, value in shown.items():
        stack_default = {name: compose_defaults[name]} if compose_defaults.get(name) else {}
        assert load_config({**base, name: value}) == load_config({**base, **stack_default}), (
            f".env.example shows {name}={value}, which is not the stack's default")


def test_readme_nginx_accepts_the_largest_upload():
    size = _readme_nginx("client_max_body_size")
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", size).groups()
    accepted = int(number) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit.lower()]
    assert accepted >= load_config({"RSE_SECRET_KEY": "x"})["MAX_UPLOAD_BYTES"] + FORM_ALLOWANCE


def test_readme_nginx_waits_longer_than_gunicorn():
    assert _seconds(_readme_nginx("proxy_read_timeout")) > _entrypoint_option("--timeout")


def test_app_stops_after_gunicorn_has_let_requests_finish():
    app = _compose()["services"]["app"]
    assert _seconds(app["stop_grace_period"]) > _entrypoint_option("--graceful-timeout")


def test_the_image_is_built_once_and_never_pulled():
    services = _compose()["services"]
    images = {services[name]["image"] for name in IMAGE_SERVICES}
    assert len(images) == 1
    builders = [name for name in IMAGE_SERVICES if "build" in services[name]]
    assert builders == ["app"]
    assert services["app"]["pull_policy"] == "build"
    for name in IMAGE_SERVICES[1:]:
        assert services[name]["pull_policy"] == "never"  # no registry has it: a pull could fetch a stranger's
        assert "app" in services[name]["depends_on"]
    also_running_it = {name for name, service in services.items() if service.get("image") in images}
    assert also_running_it == set(IMAGE_SERVICES)  # IMAGE_SERVICES names them all
