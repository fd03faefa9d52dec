"""The two servers the Lucene engine speaks to, each through its official client.

Elasticsearch 8 (`elasticsearch`) and OpenSearch (`opensearch-py`) take the same JSON for what the
engine does, but their clients differ in how a call is written: keyword bodies and per-call
`.options()` on one side, `body=` and `params` on the other; answers wrapped or plain; their own
exception classes. `ElasticEngine` talks to a `Cluster` and never to a client, so those
differences live here, one small class per client, and nowhere else.

Every method raises the client's own errors (`Cluster.errors`); the engine turns them into
`SearchUnavailable`. `timeout` (seconds) bounds one call; None keeps the client's default.
`retries`: how many times the client sends a call again after a timeout, a lost connection or a
502-504 answer (0: never).
"""

from __future__ import annotations

from typing import Any, ClassVar

JSON = dict[str, Any]


class Cluster:
    """What the engine asks of a server; see the two implementations below."""

    product: ClassVar[str]
    errors: tuple[type[BaseException], ...]  # what a call raises when it fails

    def __init__(self, url: str, timeout: float, retries: int = 0):
        raise NotImplementedError

    def concrete_indices(self, alias: str) -> list[str]:
        """The indices `alias` points at; [] when there is no such alias."""
        raise NotImplementedError

    def has_alias(self, alias: str) -> bool:
        raise NotImplementedError

    def indices_matching(self, pattern: str) -> list[str]:
        """The indices whose names match `pattern` ("maillage-*"), closed or open."""
        raise NotImplementedError

    def has_index(self, index: str) -> bool:
        raise NotImplementedError

    def create_index(self, index: str, body: JSON, timeout: float | None = None) -> bool:
        """Create `index`; False when it exists already (another process made it first)."""
        raise NotImplementedError

    def delete_indices(self, names: list[str], timeout: float | None = None) -> None:
        """Delete these indices; one that does not exist is not an error."""
        raise NotImplementedError

    def refresh(self, index: str, timeout: float | None = None) -> None:
        raise NotImplementedError

    def put_settings(self, index: str, settings: JSON, timeout: float | None = None) -> None:
        """Change an index's dynamic settings (a None value: back to the server's default)."""
        raise NotImplementedError

    def start_force_merge(self, index: str, segments: int, timeout: float | None = None) -> None:
        """Start merging `index` down to `segments` segments, in the background (a server task)."""
        raise NotImplementedError

    def update_aliases(self, actions: list[JSON], timeout: float | None = None) -> None:
        raise NotImplementedError

    def bulk(self, lines: list[str], *, refresh: bool | str, require_alias: bool,
             timeout: float | None = None) -> JSON:
        """One bulk request of NDJSON lines, each already JSON text (action, document, action...)."""
        raise NotImplementedError

    def count(self, index: str, query: JSON) -> int:
        raise NotImplementedError

    def search(self, index: str, body: JSON) -> JSON:
        raise NotImplementedError

    def msearch(self, index: str, searches: list[JSON]) -> JSON:
        raise NotImplementedError

    def request(self, method: str, path: str, body: JSON | None = None) -> tuple[int, JSON]:
        """Any REST call, for tools and tests: (HTTP status, answer). An error status is an
        answer here, not an exception; a server that cannot be reached still raises."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class ElasticsearchCluster(Cluster):
    """Elasticsearch 8, through `elasticsearch` (which checks that the server is Elasticsearch)."""

    product = "Elasticsearch"

    def __init__(self, url: str, timeout: float, retries: int = 0):
        from elastic_transport import ApiError, TransportError
        from elasticsearch import Elasticsearch

        self.errors = (ApiError, TransportError)
        self.client = Elasticsearch(url, request_timeout=timeout, max_retries=retries, retry_on_timeout=retries > 0)

    def _with(self, timeout: float | None, **options: Any):
        if timeout is not None:
            options["request_timeout"] = timeout
        return self.client.options(**options) if options else self.client

    def concrete_indices(self, alias: str) -> list[str]:
        answer = self._with(None, ignore_status=404).indices.get_alias(name=alias)
        return sorted(answer.body) if answer.meta.status == 200 else []

    def has_alias(self, alias: str) -> bool:
        return bool(self.client.indices.exists_alias(name=alias))

    def indices_matching(self, pattern: str) -> list[str]:
        answer = self._with(None, ignore_status=404).indices.get(index=pattern, expand_wildcards="all")
        return sorted(answer.body) if answer.meta.status == 200 else []

    def has_index(self, index: str) -> bool:
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index: str, body: JSON, timeout: float | None = None) -> bool:
        from elasticsearch import ApiError

        try:
            self._with(timeout).indices.create(index=index, body=body)
        except ApiError as exc:
            if exc.error == "resource_already_exists_exception":
                return False
            raise
        return True

    def delete_indices(self, names: list[str], timeout: float | None = None) -> None:
        self._with(timeout, ignore_status=404).indices.delete(index=",".join(names))

    def refresh(self, index: str, timeout: float | None = None) -> None:
        self._with(timeout).indices.refresh(index=index)

    def put_settings(self, index: str, settings: JSON, timeout: float | None = None) -> None:
        self._with(timeout).indices.put_settings(index=index, settings=settings)

    def start_force_merge(self, index: str, segments: int, timeout: float | None = None) -> None:
        self._with(timeout).indices.forcemerge(index=index, max_num_segments=segments, wait_for_completion=False)

    def update_aliases(self, actions: list[JSON], timeout: float | None = None) -> None:
        self._with(timeout).indices.update_aliases(actions=actions)

    def bulk(self, lines: list[str], *, refresh: bool | str, require_alias: bool,
             timeout: float | None = None) -> JSON:
        return self._with(timeout).bulk(operations=lines, refresh=refresh, require_alias=require_alias).body

    def count(self, index: str, query: JSON) -> int:
        return int(self.client.count(index=index, query=query)["count"])

    def search(self, index: str, body: JSON) -> JSON:
        return self.client.search(index=index, body=body).body

    def msearch(self, index: str, searches: list[JSON]) -> JSON:
        return self.client.msearch(index=index, searches=searches).body

    def request(self, method: str, path: str, body: JSON | None = None) -> tuple[int, JSON]:
        headers = {"accept": "application/vnd.elasticsearch+json; compatible-with=8"}
        if body is not None:
            headers["content-type"] = headers["accept"]
        answer = self._with(None, ignore_status=tuple(range(400, 600))).perform_request(
            method, path, headers=headers, body=body)
        return answer.meta.status, answer.body if isinstance(answer.body, dict) else {}

    def close(self) -> None:
        self.client.close()


class OpenSearchCluster(Cluster):
    """OpenSearch 2 or 3, through `opensearch-py`."""

    product = "OpenSearch"

    def __init__(self, url: str, timeout: float, retries: int = 0):
        from opensearchpy import OpenSearch
        from opensearchpy.exceptions import ImproperlyConfigured, OpenSearchException

        # TransportError covers the connection errors and every error status; SerializationError
        # (an answer that is not JSON) and ImproperlyConfigured are the other failures of a call.
        self.errors = (OpenSearchException, ImproperlyConfigured)
        self.client = OpenSearch(hosts=[url], timeout=timeout, max_retries=retries, retry_on_timeout=retries > 0)

    @staticmethod
    def _params(timeout: float | None, **params: Any) -> JSON:
        if timeout is not None:
            params["request_timeout"] = timeout
        return params

    def concrete_indices(self, alias: str) -> list[str]:
        from opensearchpy import NotFoundError

        try:
            return sorted(self.client.indices.get_alias(name=alias))
        except NotFoundError:
            return []

    def has_alias(self, alias: str) -> bool:
        return bool(self.client.indices.exists_alias(name=alias))

    def indices_matching(self, pattern: str) -> list[str]:
        return sorted(self.client.indices.get(index=pattern, params={"expand_wildcards": "all", "ignore": 404}))

    def has_index(self, index: str) -> bool:
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index: str, body: JSON, timeout: float | None = None) -> bool:
        from opensearchpy import RequestError

        try:
            self.client.indices.create(index=index, body=body, params=self._params(timeout))
        except RequestError as exc:
            if exc.error == "resource_already_exists_exception":
                return False
            raise
        return True

    def delete_indices(self, names: list[str], timeout: float | None = None) -> None:
        self.client.indices.delete(index=",".join(names), params=self._params(timeout, ignore=404))

    def refresh(self, index: str, timeout: float | None = None) -> None:
        self.client.indices.refresh(index=index, params=self._params(timeout))

    def put_settings(self, index: str, settings: JSON, timeout: float | None = None) -> None:
        self.client.indices.put_settings(index=index, body=settings, params=self._params(timeout))

    def start_force_merge(self, index: str, segments: int, timeout: float | None = None) -> None:
        params = self._params(timeout, max_num_segments=segments, wait_for_completion="false")
        self.client.indices.forcemerge(index=index, params=params)

    def update_aliases(self, actions: list[JSON], timeout: float | None = None) -> None:
        self.client.indices.update_aliases(body={"actions": actions}, params=self._params(timeout))

    def bulk(self, lines: list[str], *, refresh: bool | str, require_alias: bool,
             timeout: float | None = None) -> JSON:
        params = self._params(timeout, refresh=_flag(refresh), require_alias=_flag(require_alias))
        return self.client.bulk(body="\n".join(lines) + "\n", params=params)

    def count(self, index: str, query: JSON) -> int:
        return int(self.client.count(index=index, body={"query": query})["count"])

    def search(self, index: str, body: JSON) -> JSON:
        return self.client.search(index=index, body=body)

    def msearch(self, index: str, searches: list[JSON]) -> JSON:
        return self.client.msearch(index=index, body=searches)

    def request(self, method: str, path: str, body: JSON | None = None) -> tuple[int, JSON]:
        from opensearchpy import TransportError

        try:
            answer = self.client.transport.perform_request(method, path, body=body)
        except TransportError as exc:
            if not isinstance(exc.status_code, int):  # N/A: the server did not answer
                raise
            return exc.status_code, exc.info if isinstance(exc.info, dict) else {}
        # This client hands back the answer of a success without its status: 200 stands for any
        # 2xx (a 201 "created" included).
        return 200, answer if isinstance(answer, dict) else {}

    def close(self) -> None:
        self.client.close()


def _flag(value: bool | str) -> str:
    """A query-string flag as the server reads it ("true", "false", "wait_for")."""
    return str(value).lower() if isinstance(value, bool) else value
