"""`zhengtong crypto_keys …`: list and rotate the keys of kernel.crypto.

    zhengtong crypto_keys list ledger            public keys of a signing unit (PEM, for auditors)
    zhengtong crypto_keys rotate-signing ledger  a new active signing key; old signatures still verify
    zhengtong crypto_keys rotate-field           a new active data key; old field values still decrypt

Rotation writes under settings.KEYS_DIR; keys given in the environment are rotated there instead.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from zhengtong.kernel.crypto.public import active_profile, field_keys_rotate, public_keys, signing_key_rotate


class Command(BaseCommand):
    help = "List public keys of a signing unit, or rotate a signing key or the field-encryption data key."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="public keys of a signing unit, oldest first")
        listing.add_argument("unit")
        listing.add_argument("--pem", action="store_true", help="print each public key in PEM")
        rotate = actions.add_parser("rotate-signing", help="make a new active signing key for a unit")
        rotate.add_argument("unit")
        actions.add_parser("rotate-field", help="add a new active data key for encrypted fields")

    def handle(self, *args, action: str, **options):
        try:
            if action == "list":
                self._list(options["unit"], options["pem"])
            elif action == "rotate-signing":
                key_id = signing_key_rotate(options["unit"])
                self.stdout.write(f"New active signing key {key_id} ({active_profile()} profile).")
            else:
                key_id = field_keys_rotate()
                self.stdout.write(f"New active data key {key_id}; values under older keys stay readable.")
        except (ImproperlyConfigured, ValueError) as error:
            raise CommandError(str(error)) from error

    def _list(self, unit: str, pem: bool) -> None:
        listed = public_keys(unit)
        if not listed:
            self.stdout.write(f"Unit {unit} has no signing key yet.")
        for key in listed:
            created = key.created_at.isoformat() if key.created_at else "from the environment"
            self.stdout.write(f"{'*' if key.active else ' '} {key.key_id}  {key.algorithm}  {created}")
            if pem:
                self.stdout.write(key.public_key_pem)
