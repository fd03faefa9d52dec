"""The search pages' HTML, through the real app and the embedded index: the page before and after a
search, escaping (only <mark> is markup in titles and snippets), the kind tabs and their counts,
"Voir plus" as an htmx fragment and as a plain link, the autocomplete fragment, the header's box
on every page, the filters and every refusal the page explains."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from rse.database import db
from rse.feeds.publications import service as publications
from rse.search import engine_from_url

HX = {"HX-Request": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Element:
    def __init__(self, tag: str, attrs: dict, parent: _Element | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[_Element] = []
        self.content: list[str | _Element] = []  # text and children, in document order

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return " ".join("".join(self._texts()).split())

    def _texts(self):
        for part in self.content:
            if isinstance(part, str):
                yield part
            else:
                yield from part._texts()

    def descendants(self):
        for child in self.children:
            yield child
            yield from child.descendants()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[_Element]:
        return [e for e in self.descendants()
                if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)
                and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, *args, **kwargs) -> _Element:
        found = self.find_all(*args, **kwargs)
        assert found, f"no {args} {kwargs}"
        return found[0]


class _Tree(HTMLParser):
    """A page as a tree of elements (no library: the standard parser is enough for our own HTML)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = _Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        self.current.content.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.content.append(data)


def _tree(response) -> _Element:
    parser = _Tree()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    return parser.root


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(unescape(href)).query)


@pytest.fixture
def staff(create_user):
    return create_user("staff", name="Claire Martin")


@pytest.fixture
def space(staff, create_community):
    return create_community(staff, name="Hygiène hospitalière", visibility="private",
                            description="Les protocoles de l'équipe d'hygiène.")


@pytest.fixture
def break_engine(app, tmp_path):
    """Make the real engine fail: its index's folder is a file. Restored afterwards."""
    state = app.extensions["rse_search"]
    working = state.engine

    def down():
        (tmp_path / "blocker").write_text("a file where the index's folder should be")
        state.engine, state.ready = engine_from_url(f"sqlite:///{tmp_path / 'blocker' / 'search.db'}"), False

    yield down
    state.engine, state.ready = working, False


# The page before and around a search.

def test_the_page_before_a_search_says_what_is_searched_and_how(login, staff):
    response = login(staff).get("/recherche")
    assert response.status_code == 200
    page = _tree(response)
    form = page.find("form", id="search-form")
    assert (form.attrs["method"], form.attrs["action"], form.attrs["role"]) == ("get", "/recherche", "search")
    field = form.find("input", name="q")
    assert field.attrs["value"] == "" and "autofocus" in field.attrs
    text = page.find("main").text()
    assert "Un début de mot suffit" in text and "Les accents sont facultatifs" in text
    assert not page.find_all("ol", cls="search-results") and not page.find_all("aside", cls="search-side")


def test_the_pages_need_a_signed_in_user(client):
    for path in ("/recherche?q=protocole", "/recherche/suggestions?q=hyg"):
        response = client.get(path)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_the_header_box_is_a_form_that_works_without_javascript_on_every_page(client, login, staff, space):
    for path in ("/", f"/espaces/{space.id}", "/recherche?q=protocole"):
        page = _tree(login(staff).get(path))
        form = page.find("form", cls="header-search")
        assert (form.attrs["method"], form.attrs["action"], form.attrs["role"]) == ("get", "/recherche", "search")
        box = form.find("input", name="q")
        assert box.attrs["role"] == "combobox" and box.attrs["aria-expanded"] == "false"
        assert box.attrs["aria-controls"] == "header-search-list"
        assert box.attrs["hx-get"] == "/recherche/suggestions" and box.attrs["hx-target"] == "#header-search-popup"
        assert form.find(id="header-search-list").attrs["role"] == "listbox"  # there before any suggestion
        assert form.find("label", for_="header-search-q").text()  # a label, even if only for screen readers
    assert not _tree(client.get("/connexion")).find_all("form", cls="header-search")


def test_titles_and_snippets_are_escaped_and_only_the_matched_words_are_marked(login, staff, space, publish):
    publish(staff, space, "announcement", title='Protocole <b>gras</b> & "cité"',
             body="Le protocole <script>alert(1)</script> remplace les protocoles locaux.")
    response = login(staff).get("/recherche?q=protocole")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<b>gras</b>" not in html and "<script>alert" not in html
    page = _tree(response)
    [hit] = [h for h in page.find_all("article", cls="search-hit") if "search-hit-publication" in h.classes]
    title = hit.find("h3", cls="search-hit-title")
    assert title.text() == 'Protocole <b>gras</b> & "cité"'  # the text as typed, shown as text
    assert [e.tag for e in title.find("a").descendants()] == ["mark"]
    assert title.find("mark").text() == "Protocole"
    snippet = hit.find("p", cls="search-hit-snippet")
    assert {e.tag for e in snippet.descendants()} == {"mark"}
    assert [m.text() for m in snippet.find_all("mark")] == ["protocole", "protocoles"]
    assert "<script>alert(1)</script>" in snippet.text()


def test_a_snippet_keeps_the_list_items_of_a_body_apart(login, staff, space, publish):
    publish(staff, space, "announcement", title="Calendrier CPOM",
            body="1. Diagnostic partagé : fin janvier\n2. Fiches objectifs : mars\n3. Signature : juin")
    page = _tree(login(staff).get("/recherche?q=objectifs"))
    [hit] = page.find_all("article", cls="search-hit")
    snippet = hit.find("p", cls="search-hit-snippet").text()
    assert snippet == "Diagnostic partagé : fin janvier · Fiches objectifs : mars · Signature : juin"


def test_results_show_kind_space_author_and_date(login, staff, space, publish):
    publish(staff, space, "announcement", title="Protocole de bionettoyage", body="Tous les sites.")
    page = _tree(login(staff).get("/recherche?q=protocole"))
    hits = {h.find("h3").text(): h for h in page.find_all("article", cls="search-hit")}
    assert set(hits) == {"Protocole de bionettoyage", "Hygiène hospitalière"}
    meta = hits["Protocole de bionettoyage"].find("p", cls="search-hit-meta")
    kind = meta.find("span", cls="search-kind").text()
    assert kind.startswith("Publication") and kind.endswith("Annonce")
    links = {a.text(): a.attrs["href"] for a in meta.find_all("a")}
    assert links == {"Hygiène hospitalière": f"/espaces/{space.id}", "Claire Martin": f"/personnes/{staff.id}"}
    assert meta.find("time").attrs["datetime"]
    space_meta = hits["Hygiène hospitalière"].find("p", cls="search-hit-meta")
    assert "Privé" in space_meta.text() and not space_meta.find_all("time")


def test_kind_tabs_count_every_kind_and_filter_by_one(login, staff, space, create_document, publish):
    publish(staff, space, "announcement", title="Protocole de bionettoyage", body="Tous les sites.")
    create_document(space, staff, title="Protocole des mains", description="Fiche.")
    client = login(staff)
    page = _tree(client.get("/recherche?q=protocole"))
    tabs = page.find("nav", cls="search-kinds")
    links = {a.find("span", cls="search-kind-label").text(): a for a in tabs.find_all("a")}
    assert set(links) == {"Tout", "Publications", "Documents", "Espaces"}
    assert links["Tout"].attrs.get("aria-current") == "page" and "(3)" in links["Tout"].text()
    assert _query(links["Documents"].attrs["href"]) == {"q": ["protocole"], "kind": ["document"]}
    empty = {s.find("span", cls="search-kind-label").text() for s in tabs.find_all("span", cls="is-empty")}
    assert empty == {"Wiki", "Commentaires", "Personnes", "Actions"}  # shown, greyed, not links

    page = _tree(client.get("/recherche?q=protocole&kind=document"))
    assert [h.find("h3").text() for h in page.find_all("article", cls="search-hit")] == ["Protocole des mains"]
    current = page.find("nav", cls="search-kinds").find("a", aria_current="page")
    assert current.find("span", cls="search-kind-label").text() == "Documents"
    assert page.find("form", id="search-form").find("input", name="kind").attrs["value"] == "document"


def test_past_the_ranking_window_counts_show_as_lower_bounds(login, api, staff, space, monkeypatch, publish):
    from rse.search import fts

    monkeypatch.setattr(fts, "RANKING_WINDOW", 3)
    for number in range(1, 6):
        publish(staff, space, "announcement", title=f"Astreinte n°{number}", body="Planning.")
    page = _tree(login(staff).get("/recherche?q=astreinte"))
    assert page.find("h2", id="search-results-title").text() == "Plus de 3 résultats"
    tabs = page.find("nav", cls="search-kinds")
    assert "3+ (plus de 3)" in tabs.find("a", aria_current="page").text()
    linked = {a.find("span", cls="search-kind-label").text() for a in tabs.find_all("a")}
    assert "Documents" in linked  # none among the newest, maybe some further: a link
    notice = page.find("p", cls="search-continued").text()
    assert "les 3 résultats les plus récents sont classés" in notice
    found = api(staff).get("/api/v1/search", query_string={"q": "astreinte"}).get_json()
    assert (found["total"], found["counts_exact"], found["total_exact"]) == (3, False, False)
    monkeypatch.setattr(fts, "RANKING_WINDOW", 100)
    found = api(staff).get("/api/v1/search", query_string={"q": "astreinte"}).get_json()
    assert (found["total"], found["counts_exact"], found["total_exact"]) == (5, True, True)


def test_voir_plus_is_an_htmx_fragment_and_a_plain_link(login, staff, space):
    for number in range(1, 24):
        publications.publish(staff, space, {"kind": "post", "title": f"Note de service n°{number}", "body": "Réunion."})
    db.session.commit()
    client = login(staff)
    first = _tree(client.get("/recherche?q=note&sort=date"))
    titles = [h.find("h3").text() for h in first.find_all("article", cls="search-hit")]
    assert len(titles) == 20 and titles[0] == "Note de service n°23"
    more = first.find("a", data_search_more="")
    href = more.attrs["href"]
    assert more.attrs["hx-get"] == href and more.attrs["hx-target"] == "closest li"
    assert more.attrs["hx-swap"] == "outerHTML"
    assert {k: v for k, v in _query(href).items() if k != "cursor"} == {"q": ["note"], "sort": ["date"]}
    sort = first.find("nav", cls="search-sort").find("a", aria_current="true")
    assert sort.text() == "Date"

    fragment = client.get(unescape(href), headers=HX)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith("<li")
    part = _tree(fragment)
    rest = [h.find("h3").text() for h in part.find_all("article", cls="search-hit")]
    assert rest == ["Note de service n°3", "Note de service n°2", "Note de service n°1"]
    assert not part.find_all("a", data_search_more="")  # the last page
    assert "data-stream-focus" in part.find_all("li")[0].attrs  # the first new result takes the focus

    plain = client.get(unescape(href))  # without JavaScript: the next page, whole
    assert plain.status_code == 200
    page = _tree(plain)
    assert [h.find("h3").text() for h in page.find_all("article", cls="search-hit")] == rest
    assert "data-stream-focus" not in page.find("ol", cls="search-results").find_all("li")[0].attrs
    back = [a for a in page.find_all("a") if a.text() == "Revenir aux premiers résultats"]
    assert back and "cursor" not in _query(back[0].attrs["href"])


def test_suggestions_are_options_of_a_listbox(login, staff, space, create_user, publish):
    create_user("staff", name="Paul Hygonnet")
    publish(staff, space, "announcement", title="Lavage des mains", body="Affiche.", tags="hygiène")
    client = login(staff)
    response = client.get("/recherche/suggestions?q=hyg")
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    part = _tree(response)
    listbox = part.find(id="header-search-list")
    assert listbox.attrs["role"] == "listbox"
    options = listbox.find_all(role="option")
    labels = [o.find("span", cls="suggest-label").text() for o in options]
    # Places first, then tags, then the contents that match.
    assert labels == ["Hygiène hospitalière", "Paul Hygonnet", "hygiène", "Lavage des mains"]
    assert len({o.attrs["id"] for o in options}) == 4
    assert all(o.tag == "a" and o.attrs["tabindex"] == "-1" and o.attrs["aria-selected"] == "false" for o in options)
    assert options[0].attrs["href"] == f"/espaces/{space.id}"
    assert options[1].attrs["href"].startswith("/personnes/")
    assert _query(options[2].attrs["href"]) == {"q": ["hygiène"], "tag": ["hygiene"]}
    assert "1 élément" in options[2].text()
    content = options[3]
    assert content.attrs["href"].startswith("/publications/")
    meta = content.find("span", cls="suggest-meta").text()
    assert meta.startswith("Annonce") and meta.endswith("Hygiène hospitalière")  # its kind and its space
    assert listbox.find(id="suggest-contenus").text() == "Contenus"
    for group in listbox.find_all(role="group"):
        label = group.find(role="presentation")
        assert group.attrs["aria-labelledby"] == label.attrs["id"]
    search_all = part.find("a", cls="suggest-all")
    assert _query(search_all.attrs["href"]) == {"q": ["hyg"]}
    assert part.find(data_suggest_count="").text() == "4 suggestions"

    short = _tree(client.get("/recherche/suggestions?q=h"))
    assert short.find(id="header-search-list").attrs["role"] == "listbox"
    assert not short.find_all(role="option") and not short.find_all("a", cls="suggest-all")


def test_a_partner_is_suggested_nothing_of_a_space_they_are_not_in(login, staff, space, create_user,
                                                                   create_community, publish):
    partner = create_user("partner", name="Marc Rousseau")
    create_community(staff, name="CPOM 2026", members=[(partner, "member")])
    publish(staff, space, "announcement", title="Lavage des mains", body="Affiche.", tags="hygiène")
    part = _tree(login(partner).get("/recherche/suggestions?q=hyg"))
    assert not part.find_all(role="option")
    assert "Aucun espace, aucune personne, aucun mot-clé ni aucun contenu pour « hyg »." in part.text()
    assert "Hygiène" not in part.text() and "Lavage" not in part.text()


# Filters.

def test_filters_belong_to_the_query_form_and_show_as_removable_chips(login, staff, space, create_community, publish):
    other = create_community(staff, name="Achats")
    publish(staff, space, "announcement", title="Protocole de bionettoyage", body="Tous les sites.")
    response = login(staff).get(f"/recherche?q=protocole&community={space.id}&tag=hygiène&author={staff.id}"
                                "&from=2020-01-01&to=2030-12-31")
    assert response.status_code == 200
    page = _tree(response)
    for name in ("community", "tag", "author", "from", "to"):
        [field] = [e for e in page.find("aside", cls="search-side").descendants() if e.attrs.get("name") == name]
        assert field.attrs["form"] == "search-form"
    select = page.find("select", name="community")
    assert [o.text() for o in select.find_all("option")] == ["Tous les espaces", "Achats", "Hygiène hospitalière"]
    assert select.find("option", value=str(space.id)).attrs.get("selected") == ""
    assert other.id != space.id
    chips = {c.find("span").text(): c.find("a").attrs["href"] for c in page.find_all("li", cls="search-chip")}
    assert set(chips) == {"Espace : Hygiène hospitalière", "Mot-clé : hygiène", "Auteur : Claire Martin",
                          "Depuis le 1 janv. 2020", "Jusqu'au 31 déc. 2030"}
    without_author = _query(chips["Auteur : Claire Martin"])
    assert "author" not in without_author and without_author["q"] == ["protocole"]
    assert without_author["community"] == [str(space.id)]
    author = page.find("p", cls="search-author")
    assert "Claire Martin" in author.text() and "Retirer le filtre par auteur" in author.find("a").text()
    assert "author" not in _query(author.find("a").attrs["href"])


def test_no_results_suggest_removing_the_filters_or_the_kind(login, staff, space, publish):
    publish(staff, space, "announcement", title="Protocole de bionettoyage", body="Tous les sites.")
    client = login(staff)
    page = _tree(client.get("/recherche?q=protocole&tag=inconnu"))
    empty = page.find("div", cls="empty-state")
    assert "Aucun résultat avec ces filtres" in empty.text()
    assert _query(empty.find("a").attrs["href"]) == {"q": ["protocole"]}

    page = _tree(client.get("/recherche?q=protocole&kind=comment"))
    empty = page.find("div", cls="empty-state")
    assert "Aucun résultat de ce type" in empty.text() and "2 résultats d'autres types" in empty.text()
    assert _query(empty.find("a").attrs["href"]) == {"q": ["protocole"]}

    page = _tree(client.get("/recherche?q=zzzyyx"))
    assert "Aucun résultat pour « zzzyyx »" in page.find("div", cls="empty-state").text()


# Refusals.

def test_a_query_too_long_or_without_words_is_explained_at_the_field(login, staff):
    client = login(staff)
    response = client.get("/recherche", query_string={"q": "protocole " * 25})
    assert response.status_code == 422
    page = _tree(response)
    assert page.find(role="alert").find("h2").text() == "Recherche trop longue"
    field = page.find("input", id="search-q")
    assert field.attrs["aria-invalid"] == "true" and field.attrs["aria-describedby"] == "search-q-error"
    assert "200 caractères au plus" in page.find(id="search-q-error").text()

    page = _tree(client.get("/recherche?q=%2B%2B%2B"))
    assert page.find(role="alert").find("h2").text() == "Rien à chercher"
    assert page.find("input", id="search-q").attrs["value"] == "+++"


def test_a_bad_filter_opens_the_filters_at_the_field(login, staff):
    response = login(staff).get("/recherche?q=protocole&from=2025-13-01")
    assert response.status_code == 422
    page = _tree(response)
    assert page.find(role="alert").find("h2").text() == "Vérifiez les filtres"
    assert "is-open" in page.find(id="search-filters-body").classes
    assert page.find("button", data_search_filters_toggle="").attrs["aria-expanded"] == "true"
    field = page.find("input", id="search-from")
    assert field.attrs["aria-invalid"] == "true"
    assert page.find(id=field.attrs["aria-describedby"]).text() == "Date attendue au format AAAA-MM-JJ."
    assert [li.text() for li in page.find(role="alert").find_all("li")] == ["Date attendue au format AAAA-MM-JJ."]


def test_a_filter_with_no_field_of_its_own_is_named_in_the_notice(login, staff):
    response = login(staff).get("/recherche?q=protocole&kind=inconnu")
    assert response.status_code == 422
    alert = _tree(response).find(role="alert")
    assert [li.text() for li in alert.find_all("li")] == ["Type inconnu."]
    way_out = [a for a in alert.find_all("a") if a.text() == "Chercher sans aucun filtre"]
    assert way_out and _query(way_out[0].attrs["href"]) == {"q": ["protocole"]}


def test_a_tampered_cursor_leads_back_to_the_first_page(login, staff, space):
    response = login(staff).get("/recherche?q=protocole&cursor=abc")
    assert response.status_code == 400
    page = _tree(response)
    alert = page.find(role="alert")
    assert alert.find("h2").text() == "Impossible d'afficher la suite"
    assert _query(alert.find("a").attrs["href"]) == {"q": ["protocole"]}


@pytest.mark.outage
def test_search_down_is_a_notice_and_the_rest_of_the_site_works(login, staff, space, break_engine):
    client = login(staff)
    break_engine()
    response = client.get("/recherche?q=protocole")
    assert response.status_code == 503
    page = _tree(response)
    alert = page.find(role="alert")
    assert alert.find("h2").text() == "La recherche est indisponible pour le moment"
    assert "Le reste du site fonctionne" in alert.text()
    retry = [a for a in alert.find_all("a") if a.text() == "Réessayer"]
    assert retry and _query(retry[0].attrs["href"]) == {"q": ["protocole"]}
    suggestions = client.get("/recherche/suggestions?q=hyg")
    assert suggestions.status_code == 200
    assert "Les suggestions sont indisponibles pour le moment" in _tree(suggestions).text()
    home = client.get("/")
    assert home.status_code == 200 and _tree(home).find_all("form", cls="header-search")
