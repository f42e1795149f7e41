"""Registry passwords at rest: MultiFernet with keys from ``MIRROR_SECRET_KEYS``.

Keys are listed newest first, so adding a key in front rotates: new writes use it, old tokens
still decrypt, and ``flask mirror rotate-secrets`` re-encrypts every row under the newest key.
Outside debug and testing the plugin refuses to start without a key; in debug and testing it
derives one from ``SECRET_KEY`` so a laptop works out of the box (and says so in the log).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask

log = logging.getLogger(__name__)


class SecretBox:
    """Encrypts and decrypts registry passwords; never logs or returns them otherwise."""

    def __init__(self, keys: Iterable[str | bytes]) -> None:
        fernets = []
        for key in keys:
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise RuntimeError(
                    "MIRROR_SECRET_KEYS holds a key that is not a Fernet key; make one with "
                    "python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'."
                ) from None
        if not fernets:
            raise RuntimeError("SecretBox needs at least one key.")
        self._fernet = MultiFernet(fernets)

    @classmethod
    def for_app(cls, app: Flask) -> SecretBox:
        keys = app.config.get("MIRROR_SECRET_KEYS") or []
        if isinstance(keys, str):
            keys = [k.strip() for k in keys.split(",") if k.strip()]
        if keys:
            return cls(keys)
        if app.debug or app.testing:
            secret = str(app.config.get("SECRET_KEY") or "")
            if not secret:
                raise RuntimeError("Set MIRROR_SECRET_KEYS (or at least SECRET_KEY in debug).")
            log.warning(
                "MIRROR_SECRET_KEYS is not set: deriving a development key from "
                "SECRET_KEY. Set MIRROR_SECRET_KEYS in production."
            )
            digest = hashlib.sha256(b"mirror_plugin secrets\0" + secret.encode()).digest()
            return cls([base64.urlsafe_b64encode(digest)])
        raise RuntimeError(
            "MIRROR_SECRET_KEYS is not set. Registry passwords are encrypted at rest with it: "
            "generate a key with python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())' and put it in MIRROR_SECRET_KEYS."
        )

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken:
            raise RuntimeError(
                "A stored registry password cannot be decrypted with MIRROR_SECRET_KEYS; was a "
                "key removed before its rows were rotated?"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        return self._fernet.rotate(bytes(token))
