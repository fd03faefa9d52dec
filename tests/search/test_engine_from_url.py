"""RSE_SEARCH_URL picks the engine."""

import pytest

from rse.search import engine_from_url
from rse.search.elastic import ElasticEngine, OpenSearchEngine
from rse.search.fts import FtsEngine


def test_sqlite_urls_give_the_embedded_engine(tmp_path):
    engine = engine_from_url(f"sqlite:///{tmp_path / 'search.db'}")
    assert isinstance(engine, FtsEngine) and engine.path == tmp_path / "search.db"
    assert engine_from_url("sqlite:///instance/search.db").path.as_posix() == "instance/search.db"


@pytest.mark.parametrize("url, expected", [
    ("http://elasticsearch:9200", "http://elasticsearch:9200"),
    ("http://elasticsearch", "http://elasticsearch:9200"),
    ("https://search.ght-exemple.fr", "https://search.ght-exemple.fr:443"),
])
def test_http_urls_give_elasticsearch_with_a_port(url, expected):
    engine = engine_from_url(url, index="maillage-test")
    assert type(engine) is ElasticEngine and engine.url == expected and engine.index == "maillage-test"
    assert engine.name == "elasticsearch"


@pytest.mark.parametrize("url, expected", [
    ("opensearch://opensearch:9200", "http://opensearch:9200"),
    ("opensearch://opensearch", "http://opensearch:9200"),
    ("opensearch+https://admin:s3cret@search.ght-exemple.fr", "https://admin:s3cret@search.ght-exemple.fr:443"),
    ("opensearch+https://search.ght-exemple.fr:9243", "https://search.ght-exemple.fr:9243"),
])
def test_opensearch_urls_give_opensearch_over_http_or_https(url, expected):
    engine = engine_from_url(url, index="maillage-test")
    assert isinstance(engine, OpenSearchEngine) and engine.url == expected and engine.index == "maillage-test"
    assert engine.name == "opensearch"


@pytest.mark.parametrize("url", ["sqlite://", "ftp://host/x", "elasticsearch:9200", "opensearch://", "http://:9200",
                                 "opensearchs://host:9200", "opensearch://admin:s3cret@host:92OO",
                                 "https://admin:s3cret@host:99999", "opensearch+https://admin:s3cret@"])
def test_other_urls_are_refused_at_start(url):
    with pytest.raises(ValueError, match="RSE_SEARCH_URL") as refused:
        engine_from_url(url)
    assert "s3cret" not in str(refused.value)
