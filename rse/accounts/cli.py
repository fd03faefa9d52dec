"""`flask rse …`: administration commands."""

import click
from flask.cli import with_appcontext

from rse.database import db
from rse.errors import DomainError

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
        if service.find_user_by_email(email) is None:
            user = service.create_user(email=email, name=name, password=password, role=Role.ADMIN)
        else:
            user = service.make_administrator(email, password)
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    db.session.commit()
    click.echo(f"administrator {user.email} ready (id {user.id})")
