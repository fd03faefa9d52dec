"""Forms of the social pages: comment, follow, suggest an item ("Proposer à…")."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, TextAreaField


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Votre commentaire"))


class FollowForm(FlaskForm):
    target = HiddenField()
    key = HiddenField()
    action = HiddenField()
    next = HiddenField()


class SuggestForm(FlaskForm):
    # People and communities arrive as lists of ids (hidden inputs, checkboxes): the service
    # checks each one, so the form only carries them.
    users = SelectMultipleField(_l("Personnes"), choices=[], validate_choice=False)
    communities = SelectMultipleField(_l("Espaces"), choices=[], validate_choice=False)
    everyone = BooleanField(_l("Tout le monde"))
    message = TextAreaField(_l("Message (facultatif)"))
