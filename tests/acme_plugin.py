"""Registers the fake cloud "acme" when imported: what `--import tests.acme_plugin` names on the CLI."""
from tests import acme_cloud

acme_cloud.register()
