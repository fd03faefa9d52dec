"""The API keeps the promises of its OpenAPI document: Schemathesis, every check, staff and partner tokens."""

import re
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from rse.accounts.service import issue_token
from rse.database import db
from rse.feeds.publications import service as publications
from rse.feeds.social import comments, follows
from rse.search.text import MAX_QUERY_LENGTH

# Examples per operation and mode (valid, invalid): enough to reach every parameter's edges, few enough
# for the module to stay within about three minutes on two cores. PostgreSQL gets fewer: the
# generated inputs are the same (derandomized), what it adds is the database's own refusals.
MAX_EXAMPLES = {"sqlite": 10, "postgresql": 5}

pytestmark = pytest.mark.schemathesis

load_all_checks()
ALL_CHECKS = CHECKS.get_all()

CONFIG = SchemathesisConfig.from_dict({"generation": {
    # Like most HTTP APIs ours ignores query parameters it does not know (a cache-buster, a tracking
    # tag): an unknown one is not invalid data it must refuse.
    "allow-extra-parameters": False,
    # The bearer token is ours (staff or partner), sent with every case; the 401s have their own tests.
    "with-security-parameters": False,
}})


def _actor(world, create_document, role: str):
    """A small world where ids exist (a publication, a question answered, a document, a follow) and a
    user whose tokens the run uses: the animator (staff) or the partner member of the three spaces."""
    space = world.spaces["private"]
    document = create_document(space, world.animator, title="Protocole hygiène", tags=["hygiène"])
    question = publications.publish(world.member, space, {"kind": "question", "title": "Une question",
                                                              "body": "Qui sait ?", "tags": ["hygiène"]})
    publications.publish(world.animator, world.spaces["public"], {"kind": "post", "body": "Bonjour"})
    comments.add_comment(world.partner, question, "Réponse, @Animatrice")
    follows.follow(world.animator, "document", document.id)
    db.session.commit()
    return world.animator if role == "staff" else world.partner


@pytest.fixture
def staff(world, create_document):
    return _actor(world, create_document, "staff")


@pytest.fixture
def partner(world, create_document):
    return _actor(world, create_document, "partner")


def _fit(case) -> None:
    """Make a valid case satisfy what a portable JSON schema cannot say: the dates of a range in order,
    a search with a letter or digit of any script in it (422 no_search_words otherwise), and a
    pagination cursor that the server signed (a made-up one is rightly a 400 invalid_cursor)."""
    query = case.query or {}
    query.pop("cursor", None)
    if isinstance(query.get("from"), str) and isinstance(query.get("to"), str) and query["to"] < query["from"]:
        query["from"], query["to"] = query["to"], query["from"]
    if case.operation.path == "/search" and isinstance(query.get("q"), str) and not re.search(r"[^\W_]", query["q"]):
        query["q"] = ("protocole " + query["q"])[:MAX_QUERY_LENGTH]


def _call(case, user) -> None:
    if case.operation.path == "/tokens":
        headers = {}  # it takes an email and a password, never a bearer token
    else:
        # A token per case: revoking one (DELETE /tokens/current) must not turn the rest of the run into 401s.
        token, _record = issue_token(user, kind="login", name="schemathesis", ttl=timedelta(hours=1))
        db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
    # Every check Schemathesis has, not only those it runs by default: server errors, status codes,
    # content types, headers and bodies against the document, valid data accepted and invalid data
    # refused, the Allow header, unsupported methods, ignored authentication, use after free...
    case.call_and_validate(headers=headers, checks=ALL_CHECKS)


def _run(app, user, backend: str) -> None:
    """Every operation of the document, with valid and invalid data, every check; all failures listed.

    The loop is ours rather than Schemathesis's pytest plugin, whose subtests do not run on pytest 9."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    failures, operations, cases = [], set(), []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.add(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES[backend], deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                if case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE:
                    _fit(case)
                _call(case, user)
                cases.append(case.operation.label)

            try:
                check()
            except Unsatisfiable:
                continue  # nothing in this operation can be made invalid (no parameter, no body)
            # Schemathesis groups the distinct failures of an operation; every operation is tried.
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001
                failures.append(f"{operation.label} ({mode}): {_describe(failure)}")
    # The figures of the run (shown with -s): what was covered, not only that nothing failed.
    print(f"\nschemathesis {backend} {user.role}: {len(operations)} operations, {len(cases)} cases, "
          f"{len(ALL_CHECKS)} checks each, {len(failures)} failing")
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
    # Schemathesis leaves out the operation that serves the document itself.
    documented = {f"{method.upper()} {path}" for path, method in schema_paths(app)} - {"GET /openapi.json"}
    assert operations == documented, documented ^ operations


def _describe(failure: BaseException) -> str:
    """What failed, the answer and the request to reproduce it, within a screen."""
    return f"{type(failure).__name__}: {str(failure)[:2500]}"


def schema_paths(app) -> list[tuple[str, str]]:
    document = app.test_client().get("/api/v1/openapi.json").json
    return [(path, method) for path, item in document["paths"].items() for method in item]


def test_api_conforms_to_its_openapi_document_for_staff(app, backend, staff):
    _run(app, staff, backend)


def test_api_conforms_to_its_openapi_document_for_a_partner(app, backend, partner):
    _run(app, partner, backend)
