"""Markdown is rendered safely: known XSS payloads leave no executable markup, in bodies and comments."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from rse.database import db
from rse.feeds import markdown
from rse.feeds.publications import service as publications
from rse.feeds.social import comments

# From the OWASP XSS filter evasion cheat sheet and the usual Markdown tricks.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<IMG SRC="javascript:alert(\'XSS\');">',
    "<img src=x onerror=alert(1)>",
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116">',
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">survol</div>',
    '<a href="javascript:alert(1)">clic</a>',
    '<a href=" javascript:alert(1)">clic</a>',
    '<a href="jav&#x09;ascript:alert(1)">clic</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">clic</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background-image: url(javascript:alert(1))">stylé</p>',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>envoyer</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<input onfocus=alert(1) autofocus>',
    '<details open ontoggle=alert(1)>',
    '<video><source onerror="alert(1)"></video>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](javascript&#58;alert(1))",
    "[clic](java\tscript:alert(1))",
    "[clic](&#x6A;avascript:alert(1))",
    "[clic]( javascript:alert(1) )",
    "[clic](vbscript:msgbox(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![image](javascript:alert(1))",
    '![image](x" onerror="alert(1))',
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[clic][ref]\n\n[ref]: javascript:alert(1)",
    '[clic][ref]\n\n[ref]: https://exemple.fr "titre" onclick="alert(1)',
    "<!-- <script>alert(1)</script> -->",
    "<!--><script>alert(1)</script>-->",
    '[a](https://exemple.fr"onmouseover="alert(1))',
    '[<img src=x onerror=alert(1)>](https://exemple.fr)',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<a href='https://exemple.fr' target=_blank>ext</a>",
    '<a href="vbscript:msgbox(1)">clic</a>',
    "https://exemple.fr/?q=<script>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
]

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link",
                  "img", "input", "button", "frame", "frameset", "applet", "video", "audio", "source", "details"}
DANGEROUS_SCHEMES = {"javascript", "data", "vbscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "data", "background", "poster"}


class _Inspector(HTMLParser):
    """Collects every problem of an HTML fragment: dangerous tags, handlers, URLs, unguarded links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"handler {name}")
            if name == "style":
                self.problems.append("style attribute")
            if name in URL_ATTRIBUTES and _scheme(value or "") in DANGEROUS_SCHEMES:
                self.problems.append(f"{name}={value!r}")
        if tag == "a":
            values = dict(attrs)
            href = values.get("href") or ""
            if href and not href.startswith(("/", "#")):
                rel = set((values.get("rel") or "").split())
                if not {"noopener", "noreferrer"} <= rel:
                    self.problems.append(f"external link without rel: {href!r}")

    handle_startendtag = handle_starttag


def _scheme(url: str) -> str:
    """The scheme a browser would see: whitespace and control characters dropped, lower case."""
    cleaned = re.sub(r"[\x00-\x20\x7f]+", "", url).lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", cleaned)
    return match.group(1) if match else ""


def problems(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_the_inspector_catches_what_it_looks_for():
    assert problems('<script>x</script>') == ["tag <script>"]
    assert problems('<p onclick="x">a</p>') == ["handler onclick"]
    assert problems('<a href=" JaVa\tScript:x" rel="noopener noreferrer">a</a>') == [
        "href=' JaVa\\tScript:x'"]
    assert problems('<a href="&#106;avascript:x" rel="noopener noreferrer">a</a>') == ["href='javascript:x'"]
    assert problems('<a href="https://exemple.fr">a</a>') == ["external link without rel: 'https://exemple.fr'"]
    assert problems('<a href="/personnes/3">a</a><a href="https://e.fr" rel="noopener noreferrer">b</a>') == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_render_leaves_no_executable_markup(payload):
    assert problems(markdown.render(payload)) == []


@pytest.mark.parametrize("payload", PAYLOADS[::3])
def test_bodies_and_comments_are_stored_safe(world, payload):
    post = publications.publish(world.member, world.spaces["public"], {"kind": "announcement", "title": payload,
                                                                  "body": payload, "tags": ["<b>onclick</b>"]})
    comment = comments.add_comment(world.member, post, payload)
    db.session.commit()
    assert problems(post.body_html) == []
    assert problems(comment.body_html) == []
    comments.edit_comment(world.member, comment, payload + "\n\n" + payload)
    publications.update_publication(world.member, post, {"body": "Avant\n\n" + payload})
    db.session.commit()
    assert problems(comment.body_html) == [] and problems(post.body_html) == []


def test_a_mention_with_a_hostile_name_stays_safe(world, create_user):
    from rse.communities import service as communities

    user = create_user("staff", email="hostile@ght-exemple.fr",
                       name='<img src=x onerror=alert(1)>](javascript:alert(1)) "')
    communities.add_member(world.animator, world.spaces["public"], user, "member")
    db.session.commit()
    post = publications.publish(world.member, world.spaces["public"], {"kind": "post", "body": "Merci @hostile"})
    db.session.commit()
    assert post.mentions == {"hostile": user.id}
    assert problems(post.body_html) == []
    assert f'href="/personnes/{user.id}"' in post.body_html


def test_external_links_get_rel_and_internal_links_stay(world):
    html = markdown.render("[site](https://exemple.fr) et https://www.ght-exemple.fr/menu et [ici](/espaces/1)")
    assert html.count('rel="noopener noreferrer"') >= 2
    assert 'href="https://exemple.fr"' in html and 'href="/espaces/1"' in html
    assert problems(html) == []


def test_mailto_links_are_kept():
    assert 'href="mailto:accueil@ght-exemple.fr"' in markdown.render("<mailto:accueil@ght-exemple.fr>")


def test_headings_lists_code_and_tables_still_render():
    html = markdown.render(
        "# Titre\n\n## Sous-titre\n\n- un\n- deux\n\n1. premier\n2. second\n\n"
        "Du `code` et **gras**, *italique*, ~~barré~~.\n\n```\nbloc <b>\n```\n\n> citation\n\n"
        "| Site | Lits |\n|------|-----:|\n| Nord | 120 |\n")
    for fragment in ("<h1>Titre</h1>", "<h2>Sous-titre</h2>", "<ul>", "<li>un</li>", "<ol>", "<code>code</code>",
                     "<strong>gras</strong>", "<em>italique</em>", "<s>barré</s>", "<pre><code>bloc &lt;b&gt;",
                     "<blockquote>", "<table>", "<th>Site</th>", "<td>120</td>"):
        assert fragment in html, fragment


def test_raw_html_is_shown_as_text_not_dropped():
    html = markdown.render("Écrire <b>gras</b> en HTML")
    assert "&lt;b&gt;gras&lt;/b&gt;" in html


def test_plain_excerpt_is_text_without_markup():
    excerpt = markdown.plain_excerpt("# Titre\n\n**Gras** et [lien](https://exemple.fr) " + "mot " * 100, 60)
    assert excerpt.startswith("Titre · Gras et lien mot") and excerpt.endswith(" mot…") and len(excerpt) <= 60
    assert "<" not in excerpt and "*" not in excerpt and "https" not in excerpt


def test_plain_excerpt_keeps_blocks_apart():
    excerpt = markdown.plain_excerpt("Fiche.\n\n## Hygiène des mains\n- Friction\n- Pas de bijou")
    assert excerpt == "Fiche. · Hygiène des mains · Friction · Pas de bijou"


def test_plain_excerpt_separates_list_items_headings_quotes_and_seen_line_breaks():
    text = ("# Calendrier CPOM\n\n1. Diagnostic partagé : fin janvier\n2. Fiches objectifs : mars\n"
            "3. Signature : juin\n\n> Relu par l'équipe\n\nPremière ligne\nseconde ligne")
    assert markdown.plain_excerpt(text) == (
        "Calendrier CPOM · Diagnostic partagé : fin janvier · Fiches objectifs : mars · Signature : juin"
        " · Relu par l'équipe · Première ligne · seconde ligne")


def test_plain_excerpt_cuts_between_two_words():
    text = "Protocole d'hygiène des mains : friction hydro-alcoolique avant et après chaque soin"
    assert markdown.plain_excerpt(text, 41) == "Protocole d'hygiène des mains : friction…"
    # One character less: "friction" goes whole, and so does the colon left dangling.
    assert markdown.plain_excerpt(text, 40) == "Protocole d'hygiène des mains…"
    # The cut falls inside "hydro-alcoolique": the whole word goes, never a piece of it.
    assert markdown.plain_excerpt(text, 50) == "Protocole d'hygiène des mains : friction…"
    assert len(markdown.plain_excerpt(text, 50)) <= 50


def test_plain_excerpt_cut_after_a_block_leaves_no_dangling_separator():
    excerpt = markdown.plain_excerpt("- Diagnostic\n- Fiches objectifs du pôle de gériatrie", 22)
    assert excerpt == "Diagnostic · Fiches…"


def test_plain_excerpt_of_one_long_word_is_cut_inside_it():
    excerpt = markdown.plain_excerpt("Électroencéphalographiquement " * 3, 12)
    assert excerpt == "Électroencé…" and len(excerpt) == 12


def test_plain_excerpt_fits_exactly_without_ellipsis():
    assert markdown.plain_excerpt("Réunion à l'hôpital", 19) == "Réunion à l'hôpital"


def test_html_text_ends_each_block_on_a_blank_line():
    html = markdown.render("## Étapes\n\n- Lavage\n- Friction\n\nFin &amp; suite")
    assert markdown.html_text(html) == "Étapes\n\nLavage\n\nFriction\n\nFin & suite"
