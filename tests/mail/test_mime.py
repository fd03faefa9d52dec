"""Bulk messages written straight to bytes (`rse.mail.mime`): what a mail client parses back, over
each backend (an .eml file, a real SMTP server on loopback)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from rse.mail.backends import FileBackend, PermanentMailError, backend_from_url
from rse.mail.mime import RawMessage, address, alternative, header

TEXT = "Bonjour Élodie,\r\nVoici ce qui s'est passé : protocole d'hygiène – v3.\n" + "é" * 300 + "\n"
HTML = "<p>Bonjour <strong>Élodie</strong>,</p>\n<p>" + "Œuvre " * 80 + "</p>\n"


def build(**changes) -> RawMessage:
    values = {
        "headers": [("From", address("Maillage <ne-pas-repondre@ght-exemple.fr>")),
                    ("To", address("Élodie Lefèvre <elodie.lefevre@ght-exemple.fr>")),
                    ("Subject", "Votre résumé Maillage : 3 nouveautés"),
                    ("Message-ID", "<digest.2026-W49.7@maillage.ght-exemple.fr>"),
                    ("List-Unsubscribe", "<https://maillage.ght-exemple.fr/digest/desabonnement/" + "a" * 120 + ">")],
        "text": TEXT, "html": HTML}
    values.update(changes)
    return alternative(values["headers"], values["text"], values["html"],
                       sender="Maillage <ne-pas-repondre@ght-exemple.fr>", recipients=["elodie.lefevre@ght-exemple.fr"])


def parse(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def test_a_mail_client_reads_back_every_header_and_both_parts_exactly():
    raw = build()
    message = parse(raw.data)
    assert message.defects == [] and message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Votre résumé Maillage : 3 nouveautés"
    assert message["To"].addresses[0].display_name == "Élodie Lefèvre"
    assert message["To"].addresses[0].addr_spec == "elodie.lefevre@ght-exemple.fr"
    assert message["From"].addresses[0].addr_spec == "ne-pas-repondre@ght-exemple.fr"
    assert message["List-Unsubscribe"].endswith("a" * 120 + ">")
    assert message["MIME-Version"] == "1.0"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain.get_content() == TEXT and html.get_content() == HTML  # base64 keeps every byte
    assert all(part.defects == [] for part in message.walk())
    assert (raw.sender, raw.recipients) == ("ne-pas-repondre@ght-exemple.fr", ("elodie.lefevre@ght-exemple.fr",))
    assert raw.message_id == "<digest.2026-W49.7@maillage.ght-exemple.fr>"


def test_the_bytes_are_ascii_with_crlf_line_ends_and_short_lines():
    data = build(headers=[("Subject", "Résumé " * 30)]).data
    data.decode("ascii")
    assert b"\n" not in data.replace(b"\r\n", b"")
    body_lines = data.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76
    subject = data.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    assert all(len(line) <= 78 for line in subject)  # the long encoded subject is folded
    assert parse(data)["Subject"] == ("Résumé " * 30).strip()


def test_a_line_break_in_a_value_cannot_add_a_header():
    data = build(headers=[("Subject", "Bonjour\r\nBcc: espion@exemple.com\r\n\r\nfaux corps"),
                          ("To", address("Nom\nBcc: espion@exemple.com <a@ght-exemple.fr>"))]).data
    message = parse(data)
    assert message["Bcc"] is None and message.defects == []
    assert message["Subject"] == "Bonjour Bcc: espion@exemple.com faux corps"
    assert message.get_body(("plain",)).get_content() == TEXT


def test_empty_bodies_still_make_a_well_formed_message():
    message = parse(build(text="", html="").data)
    assert message.defects == []
    assert message.get_body(("plain",)).get_content() == ""


def test_a_header_line_beyond_the_hard_limit_is_refused():
    with pytest.raises(ValueError, match="998"):
        header("List-Unsubscribe", "<https://exemple.fr/" + "a" * 1000 + ">")


@pytest.mark.parametrize("kind", ["file", "smtp"])
def test_each_backend_delivers_the_bytes_as_written(kind, tmp_path, request):
    raw = build()
    if kind == "file":
        backend = FileBackend(tmp_path)
        with backend.connection() as connection:
            connection.send(raw)
        [path] = tmp_path.glob("*.eml")
        assert path.name == "digest.2026-W49.7@maillage.ght-exemple.fr.eml"
        assert path.read_bytes() == raw.data
        received = parse(path.read_bytes())
    else:
        sink = request.getfixturevalue("smtp_server")
        sink.clear()
        with backend_from_url(sink.url).connection() as connection:
            connection.send(raw)
        [received] = sink.wait_for(1)
        assert sink.envelopes[-1] == ("ne-pas-repondre@ght-exemple.fr", ["elodie.lefevre@ght-exemple.fr"])
    assert received["Subject"] == "Votre résumé Maillage : 3 nouveautés"
    assert received.get_body(("plain",)).get_content() == TEXT


def test_a_refused_recipient_of_a_raw_message_is_a_permanent_error(smtp_server):
    smtp_server.clear()
    smtp_server.refuse.add("elodie.lefevre@ght-exemple.fr")
    with backend_from_url(smtp_server.url).connection() as connection, pytest.raises(PermanentMailError, match="550"):
        connection.send(build())


def test_direction_controls_are_taken_out_of_headers():
    line = header("Subject", "Résumé : \u2067Protocole\u2069 \u202eexe.pdf").decode("ascii")
    parsed = message_from_bytes(line.encode("ascii") + b"\r\n", policy=policy.default)
    assert parsed["Subject"] == "Résumé : Protocole exe.pdf"


def test_generated_subjects_read_back_exactly():
    """Encoded words folded anywhere: no space is lost or added between them and plain words."""
    import random

    words = ["é", "Réunion", "«", "»", "CPOM", "l’ARS", "–", "a", "très", "d'été", ":", "Œuvre", "»,", "x" * 30,
             "é" * 70, "日本語", "(c)", '"q"', "=?", "?="]
    rng = random.Random(16)
    for _ in range(500):
        subject = " ".join(rng.choice(words) for _ in range(rng.randint(1, 25)))
        assert parse(header("Subject", subject) + b"\r\nx")["Subject"] == subject
