"""Partners' API keys: ``api_key create NAME``, ``api_key list``, ``api_key revoke NAME``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api import keys, usage
from api.models import Partner


class Command(BaseCommand):
    help = "Create, list or revoke partners' API keys. A new key is printed once; only its hash is kept."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="Add a partner and print its key (once).")
        create.add_argument("name")
        create.add_argument("--email", default="")
        create.add_argument(
            "--per-minute", type=int, default=None, help="This key's quota (default: the site's)"
        )
        commands.add_parser("list", help="Every partner, its key's prefix, state and requests today.")
        revoke = commands.add_parser("revoke", help="Revoke a partner's key.")
        revoke.add_argument("name")

    def handle(self, *args, command: str, **options):
        if command == "create":
            try:
                partner, key = keys.partner_create(
                    name=options["name"],
                    contact_email=options["email"],
                    requests_per_minute=options["per_minute"],
                )
            except ValidationError as exc:
                raise CommandError(
                    "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                ) from exc
            self.stdout.write(f"Created partner {partner.name}. Its API key (shown once, keep it safe):")
            self.stdout.write(key)
        elif command == "revoke":
            partner = Partner.objects.filter(name=options["name"]).first()
            if partner is None:
                raise CommandError(f"No partner named {options['name']!r}.")
            partner = keys.partner_revoke(partner=partner)
            self.stdout.write(f"Revoked the key of {partner.name} ({partner.revoked_at:%Y-%m-%d %H:%M} UTC).")
        else:
            usage.record_usage()
            today = timezone.now().date()
            partners = list(Partner.objects.all())
            if not partners:
                self.stdout.write("No partners yet: api_key create NAME")
            for partner in partners:
                state = f"revoked {partner.revoked_at:%Y-%m-%d}" if partner.revoked_at else "active"
                count = usage.requests_on(partner_id=partner.pk, day=today)
                self.stdout.write(f"{partner.name}\t{partner.key_prefix}…\t{state}\t{count} requests today")
