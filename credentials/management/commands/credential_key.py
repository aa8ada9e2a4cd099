import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from jwcrypto.jwk import JWK

from credentials.signing import issuer_keys, public_jwk


class Command(BaseCommand):
    help = ("Print a value for CPE_CREDENTIAL_KEYS: a new Ed25519 key, or with --rotate a new "
            "key followed by the public halves of the keys set now (docs/badges.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rotate", action="store_true",
            help="Put a new key first and keep every current key after it, public half only: "
                 "the new key signs from the next start, and what the old ones signed still "
                 "verifies.")

    def handle(self, *args: object, **options: Any) -> None:
        keys = [JWK.generate(kty="OKP", crv="Ed25519").export_private(as_dict=True)]
        if options["rotate"]:
            keys += [public_jwk(key) for key in issuer_keys().published]
        # One line: the whole value of the environment variable.
        self.stdout.write(json.dumps({"keys": keys}, separators=(",", ":")))
