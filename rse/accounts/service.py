"""Accounts: creation, login, passwords, profiles, API tokens, administration."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import and_, delete, func, or_, select, update

from rse import audit, permissions
from rse.database import db, rowcount
from rse.dbtypes import get_by_id, utcnow
from rse.errors import Conflict, Gone, NotFound, TooManyRequests, Unauthorized, ValidationError
from rse.mail import queue_templated
from rse.security import burn_verification_time, hash_password, needs_rehash, new_token, token_digest, verify_password
from rse.urls import external_url
from rse.validation import check_password, clean_text, normalize_email, one_of

from .access import contacts_of
from .models import BACKGROUNDS, THEMES, ApiToken, PasswordReset, Role, User, UserPhoto, UserSession

PROFILE_FIELDS = {"name": 120, "job_title": 120, "organisation": 120, "site": 120, "phone": 40, "bio": 2000}
# What an administrator fills in for a new account, besides its name, address and role.
ACCOUNT_FIELDS = ("job_title", "organisation", "site", "phone")
# The directory's filters: each names one column, and offers the values found among the people shown.
DIRECTORY_FILTERS = {"organisation": User.organisation, "site": User.site, "job_title": User.job_title}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_SIZE = 256
# A session's last-seen time is written at most this often: the user loader runs on every request.
SESSION_SEEN_INTERVAL = timedelta(minutes=5)


def get_user(actor: User | None, user_id: Any, action: str = "read") -> User:
    """The person with this id, if `actor` may do `action` to them (else 404 or 403)."""
    user = _user(user_id)
    permissions.require(actor, action, user)
    return user


def _user(user_id: Any) -> User:
    user = get_by_id(User, user_id)
    if user is None:
        raise NotFound()
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def role_for_email(email: str) -> Role:
    """Addresses of the group's internal domains are staff; all others partners."""
    domain = email.rsplit("@", 1)[-1].lower()
    internal = current_app.config["INTERNAL_DOMAINS"]
    return Role.STAFF if any(domain == d or domain.endswith("." + d) for d in internal) else Role.PARTNER


def create_user(*, email: str, name: str, password: str | None, role: str, actor: User | None = None,
                expires_at: datetime | None = None, locale: str | None = None) -> User:
    email = normalize_email(email)
    name = clean_text(name, "name", max_length=120, required=True)
    one_of(role, [r.value for r in Role], "role")
    if locale is not None:
        one_of(locale, current_app.config["LANGUAGES"], "locale")
    if password is not None:
        check_password(password, email=email)
    if find_user_by_email(email) is not None:
        message = _("Un compte existe déjà avec cette adresse.")
        raise Conflict(message, code="email_taken", fields={"email": message})
    user = User(email=email, name=name, role=role, expires_at=expires_at, locale=locale,
                password_hash=hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=actor, target=user, details={"role": role})
    return user


# --- Login -----------------------------------------------------------------------------

def _recent_failures(email: str) -> int:
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    last_success = select(func.max(audit.AuditEntry.created_at)).where(
        audit.AuditEntry.action == "login.success", audit.AuditEntry.actor_label == email
    ).scalar_subquery()
    return db.session.scalar(
        select(func.count(audit.AuditEntry.id)).where(
            audit.AuditEntry.action == "login.failure",
            audit.AuditEntry.actor_label == email,
            audit.AuditEntry.created_at > utcnow() - window,
            or_(last_success.is_(None), audit.AuditEntry.created_at > last_success),
        )
    ) or 0


def authenticate(email: str, password: str, *, via: str = "web") -> User:
    """The user with these credentials, or Unauthorized / TooManyRequests. A failure is audited, and
    the refusal keeps that entry (`keeps_work`): the unit of work commits it all the same."""
    label = (email or "").strip().lower()[:254]
    if not isinstance(password, str) or not label:
        raise Unauthorized(_("Adresse ou mot de passe incorrect."), code="invalid_credentials")
    if _recent_failures(label) >= current_app.config["LOGIN_MAX_FAILURES"]:
        audit.record("login.failure", actor_label=label, details={"reason": "throttled", "via": via})
        raise TooManyRequests(keeps_work=True)
    user = find_user_by_email(label)
    if user is None:
        burn_verification_time(password)
        audit.record("login.failure", actor_label=label, details={"reason": "unknown", "via": via})
        raise Unauthorized(_("Adresse ou mot de passe incorrect."), code="invalid_credentials", keeps_work=True)
    if not verify_password(user.password_hash, password):
        audit.record("login.failure", actor=user, details={"reason": "password", "via": via})
        raise Unauthorized(_("Adresse ou mot de passe incorrect."), code="invalid_credentials", keeps_work=True)
    if not user.is_active:
        reason = "expired" if user.is_expired else "deactivated"
        audit.record("login.failure", actor=user, details={"reason": reason, "via": via})
        message = (_("Votre accès a expiré. Contactez l'animateur de votre espace.") if user.is_expired
                   else _("Ce compte est désactivé."))
        raise Unauthorized(message, code=f"account_{reason}", keeps_work=True)
    if user.password_hash and needs_rehash(user.password_hash):  # (set: verify_password accepted it)
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record("login.success", actor=user, details={"via": via})
    return user


# --- Web sessions and the end of every credential ---------------------------------------------

def open_session(user: User) -> str:
    """A new web session for `user` (who just proved who they are); the key goes in the cookie."""
    key, digest = new_token("ses")
    db.session.add(UserSession(id=digest, user_id=user.id))
    db.session.flush()
    user.session_key = key
    return key


def user_for_session(key: str) -> User | None:
    """The active user of a live web session, or None (logged out, credentials ended, unknown key)."""
    if not key.startswith("ses_"):  # cookies of the former "id:stamp" format end here
        return None
    row = db.session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                             .where(UserSession.id == token_digest(key))).first()
    if row is None:
        return None
    session_row, user = row
    if not user.is_active:
        return None
    now = utcnow()
    if now - session_row.last_seen_at > SESSION_SEEN_INTERVAL:
        session_row.last_seen_at = now
    user.session_key = key
    return user


def end_session(user: User) -> None:
    """Log out this session only: the user's other browsers stay signed in."""
    if user.session_key is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == token_digest(user.session_key)))
    audit.record("logout", actor=user)


def end_all_credentials(user: User, *, reason: str, actor: User | None = None) -> None:
    """End every web session and API token of `user`: their password was set or their access
    lapsed. Rows are deleted or revoked, not hidden behind a flag, so nothing brings them back."""
    now = utcnow()
    sessions = rowcount(db.session.execute(delete(UserSession).where(UserSession.user_id == user.id)))
    tokens = rowcount(db.session.execute(update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now,
    ).values(revoked_at=now)))
    user.session_key = None
    audit.record("credentials.ended", actor=actor or user, target=user,
                 details={"reason": reason, "sessions": sessions, "tokens": tokens})


# --- Passwords --------------------------------------------------------------------------

def request_password_reset(email: str) -> str | None:
    """Record a reset request and say nothing either way: this part does the same work (one
    lookup, one audit entry) whether or not the address has an account, so that its time tells
    nothing. The address to pass to send_password_reset once the response is gone, or None."""
    try:
        email = normalize_email(email)
    except ValidationError:
        return None
    user = find_user_by_email(email)
    audit.record("password.reset_requested", actor=user, actor_label=email)
    return email


def send_password_reset(email: str) -> None:
    """Make a single-use link and email it if the address has an active account (run after the
    response: the link, its row and the email are work an unknown address would not cost)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    _mail_password_reset(user)


def _mail_password_reset(user: User) -> None:
    ttl = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    link = _password_link(user, timedelta(minutes=ttl))
    with force_locale(user.locale or "fr"):
        queue_templated("password_reset", user.email, _("Réinitialiser votre mot de passe Maillage"),
                        "password_reset", user=user, minutes=ttl, link=link)


def _password_link(user: User, ttl: timedelta) -> str:
    """A single-use link to the page where `user` chooses a password (a reset, or their first)."""
    token, digest = new_token("pwd")
    db.session.add(PasswordReset(user_id=user.id, token_hash=digest, expires_at=utcnow() + ttl))
    return external_url("accounts.reset_password", token=token)


def find_password_reset(token: str) -> PasswordReset:
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_digest(token or "")))
    if reset is None:
        raise NotFound(_("Ce lien de réinitialisation n'existe pas."))
    if reset.used_at is not None:
        raise Gone(_("Ce lien a déjà servi. Demandez-en un nouveau."), code="link_used")
    if reset.expires_at <= utcnow():
        raise Gone(_("Ce lien a expiré. Demandez-en un nouveau."), code="link_expired")
    return reset


def reset_password(token: str, password: str) -> User:
    reset = find_password_reset(token)
    user = _user(reset.user_id)
    if not user.is_active:
        raise Gone(_("Ce compte est désactivé."), code="account_deactivated")
    check_password(password, email=user.email)
    now = utcnow()
    # Every outstanding link of this user dies with this one.
    for other in db.session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))):
        other.used_at = now
    _set_password(user, password, reason="password_reset")
    audit.record("password.reset", actor=user, target=user)
    return user


def change_password(actor: User, current: str, new: str) -> None:
    if not verify_password(actor.password_hash, current or ""):
        raise ValidationError(fields={"current_password": _("Mot de passe actuel incorrect.")})
    check_password(new, email=actor.email, field="new_password")
    _set_password(actor, new, reason="password_changed")
    audit.record("password.reset", actor=actor, target=actor, details={"via": "profile"})


def make_administrator(email: str, password: str) -> User:
    """Promote an existing account to administrator with a new password (`flask rse create-admin`):
    it is active again, and whatever held its former credentials holds nothing now."""
    user = find_user_by_email(email)
    if user is None:
        raise NotFound()
    check_password(password, email=user.email)
    if user.role != Role.ADMIN:
        audit.record("user.role_changed", target=user, details={"from": user.role, "to": Role.ADMIN.value})
    user.role, user.deactivated_at = Role.ADMIN, None
    _set_password(user, password, reason="password_set_by_operator")
    return user


def _set_password(user: User, password: str, *, reason: str) -> None:
    user.password_hash = hash_password(password)
    end_all_credentials(user, reason=reason)  # sessions and tokens opened with the old password end


# --- Profile and preferences -------------------------------------------------------------

def update_profile(actor: User, user: User, data: dict) -> User:
    permissions.require(actor, "edit", user)
    cleaned: dict[str, str | bool] = {}
    for field, max_length in PROFILE_FIELDS.items():
        if field in data:
            cleaned[field] = clean_text(data[field], field, max_length=max_length,
                                        required=field == "name", multiline=field == "bio")
    if "phone_visible" in data:
        if not isinstance(data["phone_visible"], bool):
            raise ValidationError(fields={"phone_visible": _("Répondez par oui ou par non.")})
        cleaned["phone_visible"] = data["phone_visible"]
    for field, value in cleaned.items():
        setattr(user, field, value)
    return user


def visible_phone(actor: User | None, person: User) -> str:
    """`person`'s phone as `actor` (who may read their profile) sees it: hidden by its owner's
    choice from everyone but themselves and the administrators, who manage their account."""
    actor = permissions.effective_actor(actor)
    if person.phone_visible or (actor is not None and (actor.is_admin or actor.id == person.id)):
        return person.phone
    return ""


def set_preferences(actor: User, *, theme: str | None = None, background: str | None = None,
                    locale: str | None = None) -> User:
    if theme is not None:
        actor.theme = one_of(theme, THEMES, "theme")
    if background is not None:
        actor.background = one_of(background, BACKGROUNDS, "background")
    if locale is not None:
        actor.locale = one_of(locale, current_app.config["LANGUAGES"], "locale")
    return actor


def set_photo(actor: User, user: User, data: bytes) -> None:
    """Store a square JPEG re-encoded from the upload (which drops anything hidden in it)."""
    permissions.require(actor, "edit", user)
    if not data:
        raise ValidationError(fields={"photo": _("Le fichier est vide.")})
    if len(data) > PHOTO_MAX_BYTES:
        raise ValidationError(fields={"photo": _("La photo dépasse 5 Mo.")})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 40_000_000:
                raise ValidationError(fields={"photo": _("Image trop grande.")})
            rgb = image.convert("RGB")
            side = min(rgb.size)
            left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
            square = rgb.crop((left, top, left + side, top + side)).resize((PHOTO_SIZE, PHOTO_SIZE))
            out = io.BytesIO()
            square.save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        message = _("Ce fichier n'est pas une image reconnue (JPEG, PNG, GIF, WebP).")
        raise ValidationError(fields={"photo": message}) from None
    photo = db.session.get(UserPhoto, user.id) or UserPhoto(user_id=user.id)
    photo.content_type, photo.data, photo.updated_at = "image/jpeg", out.getvalue(), utcnow()
    db.session.add(photo)
    user.has_photo = True


def get_photo(actor: User, user: User) -> UserPhoto:
    permissions.require(actor, "read", user)
    photo = db.session.get(UserPhoto, user.id)
    if photo is None:
        raise NotFound()
    return photo


def _directory(actor: User, contacts: bool):
    """SQL on User: the people the directory shows `actor` (only their contacts, if asked)."""
    permissions.require(actor, "directory.read")
    condition = permissions.visible(actor, User)
    return and_(condition, contacts_of(actor.id)) if contacts else condition


def search_people(actor: User, query: str = "", *, filters: dict[str, str] | None = None, contacts: bool = False,
                  limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """The directory: people the actor may see, matching name, organisation, site or job, and each
    filter exactly (DIRECTORY_FILTERS); `contacts`: only those who share a space with the actor."""
    statement = select(User).where(_directory(actor, contacts))
    query = clean_text(query, "q", max_length=100)
    for field, value in (filters or {}).items():
        column = DIRECTORY_FILTERS.get(field)
        if column is None:
            raise ValidationError(fields={field: _("Ce filtre n'existe pas.")})
        value = clean_text(value, field, max_length=120)
        if value:
            statement = statement.where(column == value)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(or_(*(func.lower(col).like(pattern) for col in
                                          (User.name, User.organisation, User.site, User.job_title))))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    people = list(db.session.scalars(statement.order_by(User.name, User.id).limit(limit).offset(offset)))
    return people, total


def directory_choices(actor: User, *, contacts: bool = False) -> dict[str, list[str]]:
    """The values each directory filter offers, taken only from the people the directory shows the
    actor: a partner learns no establishment, site or job of anyone outside their spaces."""
    shown = _directory(actor, contacts)
    return {field: list(db.session.scalars(select(column).where(shown, column != "").distinct().order_by(column)))
            for field, column in DIRECTORY_FILTERS.items()}


# --- API tokens ---------------------------------------------------------------------------

def issue_token(user: User, *, kind: str, name: str, ttl: timedelta) -> tuple[str, ApiToken]:
    token, digest = new_token("rse")
    record = ApiToken(user_id=user.id, kind=kind, name=name, token_hash=digest, prefix=token[:10],
                      expires_at=utcnow() + ttl)
    db.session.add(record)
    db.session.flush()
    return token, record


def issue_login_token(user: User) -> tuple[str, ApiToken]:
    """A short-lived token (RSE_API_TOKEN_TTL_HOURS) for a user who just proved who they are."""
    ttl = timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    return issue_token(user, kind="login", name="API", ttl=ttl)


def login_token(email: str, password: str) -> tuple[str, ApiToken]:
    return issue_login_token(authenticate(email, password, via="api"))


def revoke_token_value(raw: str) -> None:
    """Revoke the token itself (an API client logging out)."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()


def create_personal_token(actor: User, name: str, days: int) -> tuple[str, ApiToken]:
    name = clean_text(name, "name", max_length=80, required=True)
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise ValidationError(fields={"days": _("Entre 1 et 365 jours.")})
    token, record = issue_token(actor, kind="personal", name=name, ttl=timedelta(days=days))
    audit.record("token.created", actor=actor, details={"token_id": record.id, "name": name})
    return token, record


def list_tokens(actor: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == actor.id, ApiToken.kind == "personal", ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > utcnow()).order_by(ApiToken.created_at.desc())))


def revoke_token(actor: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoked", actor=actor, details={"token_id": token.id})


def user_for_token(raw: str) -> User | None:
    """The active user a bearer token stands for, or None."""
    row = db.session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                             .where(ApiToken.token_hash == token_digest(raw))).first()
    if row is None:
        return None
    token, user = row
    if not token.is_valid or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
    return user


# --- Administration -----------------------------------------------------------------------

def create_account(actor: User, data: dict) -> User:
    """An administrator opens an account; its owner gets an email with a link to choose a password."""
    permissions.require(actor, "administer")
    email = normalize_email(data.get("email") or "")
    role = data.get("role") or role_for_email(email)
    user = create_user(email=email, name=data.get("name") or "", password=None, role=role, actor=actor)
    for field in ACCOUNT_FIELDS:
        if data.get(field):
            setattr(user, field, clean_text(data[field], field, max_length=PROFILE_FIELDS[field]))
    days = current_app.config["INVITATION_TTL_DAYS"]
    link = _password_link(user, timedelta(days=days))
    with force_locale(user.locale or "fr"):
        queue_templated("account_created", user.email, _("Votre compte Maillage est ouvert"),
                        "account_created", user=user, creator=actor, days=days, link=link)
    return user


def send_password_reset_by_admin(actor: User, user: User) -> None:
    """An administrator sends `user` the forgot-password email (the same link, the same message)."""
    permissions.require(actor, "administer", user)
    if not user.is_active:
        raise Conflict(_("Ce compte est désactivé ou expiré : réactivez-le avant d'envoyer un lien."),
                       code="account_inactive")
    audit.record("password.reset_requested", actor=actor, target=user, details={"by": "administrator"})
    _mail_password_reset(user)


def deactivate_user(actor: User, user: User) -> None:
    permissions.require(actor, "administer", user)
    if user.deactivated_at is None:
        user.deactivated_at = utcnow()
        audit.record("user.deactivated", actor=actor, target=user)
        # Deleted, not merely refused while deactivated: a reactivation starts from a fresh login.
        end_all_credentials(user, reason="deactivated", actor=actor)


def reactivate_user(actor: User, user: User) -> None:
    permissions.require(actor, "administer", user)
    if user.deactivated_at is not None:
        user.deactivated_at = None
        audit.record("user.reactivated", actor=actor, target=user)


def set_account_expiry(actor: User, user: User, expires_at: datetime | None) -> None:
    permissions.require(actor, "administer", user)
    if user.expires_at != expires_at:
        if user.is_expired:
            # A lapsed access renewed starts from a fresh login, as a reactivation does.
            end_all_credentials(user, reason="expired", actor=actor)
        user.expires_at = expires_at
        audit.record("user.expiry_changed", actor=actor, target=user,
                     details={"expires_at": expires_at.isoformat() if expires_at else None})


def set_role(actor: User, user: User, role: str) -> None:
    permissions.require(actor, "administer", user)
    one_of(role, [r.value for r in Role], "role")
    # Sessions and tokens stay: they carry no role of their own, every request reads the role
    # again from this row, so the change applies to them at their next request.
    if user.role != role:
        audit.record("user.role_changed", actor=actor, target=user, details={"from": user.role, "to": role})
        user.role = role


def list_users(actor: User, *, query: str = "", status: str = "", limit: int = 50,
               offset: int = 0) -> tuple[list[User], int]:
    permissions.require(actor, "administer")
    query = clean_text(query, "q", max_length=100)
    statement = select(User)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(or_(func.lower(User.name).like(pattern), User.email.like(pattern)))
    if status == "active":
        statement = statement.where(User.deactivated_at.is_(None))
    elif status == "deactivated":
        statement = statement.where(User.deactivated_at.is_not(None))
    elif status in {r.value for r in Role}:
        statement = statement.where(User.role == status)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    users = list(db.session.scalars(statement.order_by(User.name, User.id).limit(limit).offset(offset)))
    return users, total
