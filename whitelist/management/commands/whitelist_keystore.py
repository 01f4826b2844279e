from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from whitelist.chain import Misconfigured, keystore_encrypt, signer_from_key


class Command(BaseCommand):
    help = (
        "Write an encrypted (scrypt, V3) keystore file for the portal's signer. The key and the password are "
        "asked for on the terminal and never echoed or logged; point WHITELIST_KEYSTORE_PATH at the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.exists():
            raise CommandError(f"{path} exists; refusing to overwrite a keystore.")
        key = getpass.getpass("Private key (hex): ")
        try:
            signer = signer_from_key(key)
        except Misconfigured as exc:
            raise CommandError("The key is not a valid 32-byte hex private key.") from exc
        password = getpass.getpass("Keystore password: ")
        if len(password) < 12 or password != getpass.getpass("Again: "):
            raise CommandError("The passwords differ or are shorter than 12 characters.")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(keystore_encrypt(key, password), fh)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} for {signer.address} (mode 600)."))
