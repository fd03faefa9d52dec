"""`flask rse …`: administration commands."""

import click
from flask.cli import with_appcontext

from rse.errors import DomainError
from rse.extensions import db
from rse.security import hash_password
from rse.validation import check_password

from . import service
from .models import Role


@click.group("rse", help="Maillage administration.")
def rse_cli() -> None:
    pass


@rse_cli.command("create-admin")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="Administrateur", show_default=True)
@with_appcontext
def create_admin(email: str, password: str, name: str) -> None:
    """Create an administrator account (or promote an existing one and set its password)."""
    try:
        existing = service.find_user_by_email(email)
        if existing is None:
            user = service.create_user(email=email, name=name, password=password, role=Role.ADMIN)
        else:
            check_password(password, email=existing.email)
            existing.role, existing.password_hash, existing.deactivated_at = Role.ADMIN, hash_password(password), None
            existing.rotate_session_stamp()
            user = existing
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    db.session.commit()
    click.echo(f"administrator {user.email} ready (id {user.id})")
