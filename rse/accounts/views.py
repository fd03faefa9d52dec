"""Account pages: login, passwords, profiles, directory, tokens, user administration."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from rse import permissions
from rse.extensions import limiter
from rse.forms import ActionForm, commit_work, end_of_day, page_number, run_and_flash, run_work, submit
from rse.web import is_htmx, local_path

from . import service
from .forms import (
    ChangePasswordForm,
    ExpiryForm,
    ForgotPasswordForm,
    LoginForm,
    NewAccountForm,
    NewPasswordForm,
    PreferencesForm,
    ProfileForm,
    RoleForm,
    TokenForm,
)
from .web import after_response, sign_in, sign_out

bp = Blueprint("accounts", __name__)


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("communities.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        def work() -> None:
            sign_in(service.authenticate(form.email.data, form.password.data), remember=form.remember.data)

        _done, refused = run_work(work, propagate=())  # a refused login is said on the form
        if refused is None:
            return redirect(local_path(request.args.get("next")) or url_for("communities.home"))
        form.form_errors.append(refused.message)
        status = refused.status
    elif request.method == "POST":
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/deconnexion", methods=["POST"])
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        commit_work(sign_out)
        flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/mot-de-passe/oubli", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = commit_work(lambda: service.request_password_reset(form.email.data))
        if email is not None:
            after_response(service.send_password_reset, email)
        return render_template("accounts/forgot_sent.html")
    return render_template("accounts/forgot.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/mot-de-passe/reinitialiser/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    service.find_password_reset(token)  # a dead link answers at once, before the form
    form = NewPasswordForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors.append(_("Les deux mots de passe diffèrent."))
        else:
            def work():
                sign_in(service.reset_password(token, form.password.data))  # a fresh session: the others ended
                return True

            done, _status = submit(form, work)
            if done:
                flash(_("Votre mot de passe est changé."), "success")
                return redirect(url_for("communities.home"))
    return render_template("accounts/reset.html", form=form), 422 if request.method == "POST" else 200


# --- Profiles and directory -------------------------------------------------------------

# The directory's filters as its address names them (French words in the URL, as elsewhere).
DIRECTORY_ARGS = {"etablissement": "organisation", "site": "site", "fonction": "job_title"}


@bp.route("/annuaire")
def directory():
    query = request.args.get("q", "")[:100]
    contacts = request.args.get("vue") == "contacts"
    filters = {field: request.args.get(arg, "")[:120] for arg, field in DIRECTORY_ARGS.items()}
    page = page_number(request.args.get("page"))
    people, total = service.search_people(current_user, query, filters=filters, contacts=contacts,
                                          limit=40, offset=(page - 1) * 40)
    context = dict(people=people, total=total, query=query, filters=filters, contacts=contacts, page=page,
                   pages=(total + 39) // 40, filtered=any(filters.values()))
    if is_htmx():
        return render_template("accounts/_people.html", **context)
    choices = service.directory_choices(current_user, contacts=contacts)
    return render_template("accounts/directory.html", choices=choices, **context)


@bp.route("/personnes/<int:user_id>")
def profile(user_id: int):
    user = service.get_user(current_user, user_id)
    return render_template("accounts/profile.html", person=user)


@bp.route("/personnes/<int:user_id>/photo")
def photo(user_id: int):
    user = service.get_user(current_user, user_id)
    found = service.get_photo(current_user, user)
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    # The ETag makes it revalidated on each use (see rse/web.py): a new photo shows at once.
    response.set_etag(f"{user.id}-{found.updated_at.timestamp():.0f}")
    return response.make_conditional(request)


@bp.route("/profil", methods=["GET", "POST"])
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        def work():
            profile = {f: getattr(form, f).data for f in service.PROFILE_FIELDS}
            profile["phone_visible"] = form.phone_visible.data
            service.update_profile(current_user, current_user, profile)
            upload = form.photo.data
            if upload and getattr(upload, "filename", ""):
                service.set_photo(current_user, current_user, upload.read(service.PHOTO_MAX_BYTES + 1))
            return True

        done, _status = submit(form, work)
        if done:
            flash(_("Profil enregistré."), "success")
            return redirect(url_for("accounts.profile", user_id=current_user.id))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/edit_profile.html", form=form), status


@bp.route("/profil/preferences", methods=["GET", "POST"])
def preferences():
    form = PreferencesForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or "fr"
    if form.validate_on_submit():
        choices = {"theme": form.theme.data, "background": form.background.data, "locale": form.locale.data}
        commit_work(lambda: service.set_preferences(current_user, **choices))
        flash(_("Préférences enregistrées."), "success")
        return redirect(url_for("accounts.preferences"))
    return render_template("accounts/preferences.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/profil/mot-de-passe", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm.data:
            form.confirm.errors.append(_("Les deux mots de passe diffèrent."))
        else:
            def work():
                service.change_password(current_user, form.current_password.data, form.new_password.data)
                sign_in(current_user._get_current_object())  # this browser only gets a fresh session
                return True

            done, _status = submit(form, work)
            if done:
                flash(_("Mot de passe changé. Vos autres sessions et vos jetons d'accès à l'API sont fermés."),
                      "success")
                return redirect(url_for("accounts.edit_profile"))
    return render_template("accounts/change_password.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/profil/jetons", methods=["GET", "POST"])
def tokens():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        made, _status = submit(form, lambda: service.create_personal_token(current_user, form.name.data,
                                                                           form.days.data))
        if made is not None:
            created = made[0]
            form = TokenForm(formdata=None)
    status = 422 if request.method == "POST" and created is None else 200
    return render_template("accounts/tokens.html", form=form, tokens=service.list_tokens(current_user),
                           created=created, action_form=ActionForm()), status


@bp.route("/profil/jetons/<int:token_id>/revoquer", methods=["POST"])
def revoke_token(token_id: int):
    if ActionForm().validate_on_submit():
        commit_work(lambda: service.revoke_token(current_user, token_id))
        flash(_("Jeton révoqué."), "success")
    return redirect(url_for("accounts.tokens"))


# --- Administration ---------------------------------------------------------------------------

@bp.route("/admin/utilisateurs")
def admin_users():
    query = request.args.get("q", "")[:100]
    status = request.args.get("statut", "")
    page = page_number(request.args.get("page"))
    users, total = service.list_users(current_user, query=query, status=status, limit=50, offset=(page - 1) * 50)
    return render_template("accounts/admin_users.html", users=users, total=total, query=query, status=status,
                           page=page, pages=(total + 49) // 50, action_form=ActionForm())


@bp.route("/admin/utilisateurs/nouveau", methods=["GET", "POST"])
def admin_create_user():
    permissions.require(current_user, "administer")
    form = NewAccountForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in ("email", "name", "role", *service.ACCOUNT_FIELDS)}
        user, status = submit(form, lambda: service.create_account(current_user, data))
        if user is not None:
            flash(_("Compte créé. %(email)s a reçu un lien pour choisir son mot de passe.", email=user.email),
                  "success")
            return _back_to(user)
    return render_template("accounts/admin_new_user.html", form=form), status


@bp.route("/admin/utilisateurs/<int:user_id>")
def admin_user(user_id: int):
    permissions.require(current_user, "administer")
    user = service.get_user(current_user, user_id)
    expiry_form = ExpiryForm(prefix="expiry")
    role_form = RoleForm(prefix="role", obj=user)
    if user.expires_at:
        expiry_form.expires_on.data = user.expires_at.date()
    return render_template("accounts/admin_user.html", person=user, expiry_form=expiry_form,
                           role_form=role_form, action_form=ActionForm())


def _administered(user_id: int):
    """The account an administrator acts on (not their own: they do not lock themselves out)."""
    permissions.require(current_user, "administer")
    return service.get_user(current_user, user_id, "administer")


def _back_to(user) -> WerkzeugResponse:
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.route("/admin/utilisateurs/<int:user_id>/desactiver", methods=["POST"])
def admin_deactivate(user_id: int):
    user = _administered(user_id)
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: service.deactivate_user(current_user, user),
                      success=_("Compte désactivé. Son contenu reste en place."))
    return _back_to(user)


@bp.route("/admin/utilisateurs/<int:user_id>/lien-mot-de-passe", methods=["POST"])
def admin_send_password_reset(user_id: int):
    user = _administered(user_id)
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: service.send_password_reset_by_admin(current_user, user),
                      success=_("Lien de réinitialisation envoyé à %(email)s.", email=user.email))
    return _back_to(user)


@bp.route("/admin/utilisateurs/<int:user_id>/reactiver", methods=["POST"])
def admin_reactivate(user_id: int):
    user = _administered(user_id)
    if ActionForm().validate_on_submit():
        run_and_flash(lambda: service.reactivate_user(current_user, user), success=_("Compte réactivé."))
    return _back_to(user)


@bp.route("/admin/utilisateurs/<int:user_id>/expiration", methods=["POST"])
def admin_set_expiry(user_id: int):
    user = _administered(user_id)
    form = ExpiryForm(prefix="expiry")
    if form.validate_on_submit():
        run_and_flash(lambda: service.set_account_expiry(current_user, user, end_of_day(form.expires_on.data)),
                      success=_("Date d'expiration enregistrée."))
    else:
        flash(_("Date invalide."), "error")
    return _back_to(user)


@bp.route("/admin/utilisateurs/<int:user_id>/role", methods=["POST"])
def admin_set_role(user_id: int):
    user = _administered(user_id)
    form = RoleForm(prefix="role")
    if form.validate_on_submit():
        run_and_flash(lambda: service.set_role(current_user, user, form.role.data), success=_("Rôle modifié."))
    else:
        flash(_("Rôle invalide."), "error")
    return _back_to(user)
