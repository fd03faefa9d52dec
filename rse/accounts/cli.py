"""`flask rse …`: administration commands."""

import importlib
from typing import ClassVar

import click
from flask.cli import with_appcontext

from rse.database import db
from rse.errors import DomainError

from . import service
from .models import Role


class AdministrationCommands(click.Group):
    """`flask rse …`, plus the development commands that live outside the product.

    `seed` (bulk data for the benchmarks) belongs to benchmarks/seeding, which the product never
    imports and the container image leaves out: it is loaded only when asked for, and only where
    that folder exists (a development checkout).
    """

    DEVELOPMENT: ClassVar[dict[str, str]] = {"seed": "benchmarks.seeding.cli"}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *(n for n in self.DEVELOPMENT if self._development(n))})

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._development(name)

    def _development(self, name):
        if name not in self.DEVELOPMENT:
            return None
        try:
            module = importlib.import_module(self.DEVELOPMENT[name])
        except ModuleNotFoundError:
            return None
        return module.command


@click.group("rse", cls=AdministrationCommands, help="Maillage administration.")
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
