"""Forms of the document pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional


class UploadForm(FlaskForm):
    file = FileField(_l("Fichier"))
    title = StringField(_l("Titre"))
    description = TextAreaField(_l("Description"))
    tags = StringField(_l("Mots-clés (séparés par des virgules)"))
    folder_id = SelectField(_l("Dossier"), choices=[], validate_choice=False)
    review_by = DateField(_l("À réviser avant le (facultatif)"), validators=[Optional()])


class VersionForm(FlaskForm):
    file = FileField(_l("Nouvelle version"))
    note = TextAreaField(_l("Ce qui change (note de version)"))


class DocumentForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"))
    tags = StringField(_l("Mots-clés (séparés par des virgules)"))
    folder_id = SelectField(_l("Dossier"), choices=[], validate_choice=False)
    review_by = DateField(_l("À réviser avant le"), validators=[Optional()])


class FolderForm(FlaskForm):
    name = StringField(_l("Nom du dossier"), validators=[DataRequired()])
    parent_id = StringField()
