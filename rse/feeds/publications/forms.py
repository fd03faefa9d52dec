"""Forms of the publication pages: publish and edit, pin."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

KIND_CHOICES = [
    SelectChoice("post", _l("Message")),
    SelectChoice("announcement", _l("Annonce")),
    SelectChoice("question", _l("Question")),
    SelectChoice("link", _l("Lien")),
    SelectChoice("wiki", _l("Page wiki")),
]
KIND_LABELS = {choice.value: choice.label for choice in KIND_CHOICES}


class PublicationForm(FlaskForm):
    # The service checks every value (kind included): the form only carries them.
    kind = RadioField(_l("Type de publication"), choices=KIND_CHOICES, default="post", validate_choice=False)
    title = StringField(_l("Titre"))
    url = StringField(_l("Adresse du lien"))
    body = TextAreaField(_l("Texte"))
    place = StringField(_l("Lieu (facultatif)"))
    tags = StringField(_l("Mots-clés (séparés par des virgules)"))
    attachments = SelectMultipleField(_l("Documents joints (facultatif)"), choices=[], validate_choice=False)
    note = StringField(_l("Note de version (facultatif)"))


class PinForm(FlaskForm):
    until = DateField(_l("Jusqu'au (facultatif)"), validators=[Optional()])
