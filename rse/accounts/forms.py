"""Forms of the account pages (CSRF and field parsing; the rules live in the service)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .models import BACKGROUNDS, THEMES


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse électronique"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Rester connecté sur cet appareil"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Adresse électronique"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("Nouveau mot de passe"), validators=[DataRequired()])
    confirm = PasswordField(_l("Confirmez le mot de passe"), validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired()])
    new_password = PasswordField(_l("Nouveau mot de passe"), validators=[DataRequired()])
    confirm = PasswordField(_l("Confirmez le mot de passe"), validators=[DataRequired()])


class ProfileForm(FlaskForm):
    name = StringField(_l("Nom et prénom"), validators=[DataRequired()])
    job_title = StringField(_l("Fonction"))
    organisation = StringField(_l("Établissement ou organisme"))
    site = StringField(_l("Site"))
    phone = StringField(_l("Téléphone"))
    phone_visible = BooleanField(_l("Afficher mon téléphone aux collègues"))
    bio = TextAreaField(_l("Présentation"))
    photo = FileField(_l("Photo (JPEG, PNG, GIF ou WebP, 5 Mo au plus)"))


THEME_LABELS = {"ocean": _l("Océan"), "foret": _l("Forêt"), "prune": _l("Prune"),
                "ardoise": _l("Ardoise (sombre)"), "contraste": _l("Contraste élevé")}
BACKGROUND_LABELS = {"uni": _l("Uni"), "vagues": _l("Vagues"), "points": _l("Points"), "maillage": _l("Maillage")}


class PreferencesForm(FlaskForm):
    theme = SelectField(_l("Couleurs"), choices=[SelectChoice(t, THEME_LABELS[t]) for t in THEMES])
    background = SelectField(_l("Fond de page"), choices=[SelectChoice(b, BACKGROUND_LABELS[b]) for b in BACKGROUNDS])
    locale = SelectField(_l("Langue"), choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")])


class TokenForm(FlaskForm):
    name = StringField(_l("Nom du jeton"), validators=[DataRequired(), Length(max=80)])
    days = IntegerField(_l("Validité (jours)"), default=90, validators=[DataRequired()])


class ExpiryForm(FlaskForm):
    expires_on = DateField(_l("Accès jusqu'au"), validators=[Optional()])


ROLE_CHOICES = [SelectChoice("admin", _l("Administrateur")), SelectChoice("staff", _l("Agent")),
                SelectChoice("partner", _l("Partenaire"))]


class RoleForm(FlaskForm):
    role = SelectField(_l("Rôle"), choices=ROLE_CHOICES)


class NewAccountForm(FlaskForm):
    name = StringField(_l("Nom et prénom"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Adresse électronique"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Type de compte"),
                       choices=[SelectChoice("", _l("Selon l'adresse (agent ou partenaire)")), *ROLE_CHOICES])
    organisation = StringField(_l("Établissement ou organisme"), validators=[Length(max=120)])
    job_title = StringField(_l("Fonction"), validators=[Length(max=120)])
    site = StringField(_l("Site"), validators=[Length(max=120)])
    phone = StringField(_l("Téléphone"), validators=[Length(max=40)])
