"""Forms of the community pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

VISIBILITY_CHOICES = [
    SelectChoice("public", _l("Public : tous les agents lisent et peuvent rejoindre")),
    SelectChoice("private", _l("Privé : visible des agents, sur demande ou invitation")),
    SelectChoice("secret", _l("Secret : invisible hors des membres")),
]
ROLE_CHOICES = [SelectChoice("member", _l("Membre")), SelectChoice("reader", _l("Lecteur")),
                SelectChoice("animator", _l("Animateur"))]
ROLE_LABELS = {choice.value: choice.label for choice in ROLE_CHOICES}


class CommunityForm(FlaskForm):
    name = StringField(_l("Nom de l'espace"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"))
    visibility = SelectField(_l("Visibilité"), choices=VISIBILITY_CHOICES, default="private")
    sensitive = BooleanField(_l("Espace sensible : seuls les titres partent par courriel"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Adresse électronique"), validators=[DataRequired()])
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES, default="member")
    account_expires_on = DateField(_l("Accès jusqu'au (partenaires, facultatif)"), validators=[Optional()])
    # Each language named in itself; the service refuses any other value with a message.
    locale = SelectField(_l("Langue de l'invitation"), validate_choice=False,
                         choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")])


class RoleForm(FlaskForm):
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES)


class JoinRequestForm(FlaskForm):
    message = TextAreaField(_l("Message à l'animateur (facultatif)"))


class LinkForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired()])
    url = StringField(_l("Adresse"), validators=[DataRequired()])


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Nom et prénom"), validators=[DataRequired()])
    password = PasswordField(_l("Mot de passe (12 caractères au moins)"), validators=[DataRequired()])
    confirm = PasswordField(_l("Confirmez le mot de passe"), validators=[DataRequired()])
