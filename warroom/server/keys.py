"""The server's Ed25519 signing key, kept in its data directory readable by it alone.

Losing the key does not lose data, but checkpoints signed with a new key no longer match
the key clients pinned at login, and they will say so; keep it with the database.
"""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from warroom.core.errors import WarroomError

KEY_FILE = "server-ed25519.key"


class ServerKey:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key = base64.b64encode(raw).decode("ascii")

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._private.sign(message)).decode("ascii")

    @classmethod
    def load_or_create(cls, data_dir: Path) -> "ServerKey":
        path = data_dir / KEY_FILE
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return cls._load(path)
        private = Ed25519PrivateKey.generate()
        with os.fdopen(fd, "wb") as handle:
            handle.write(
                private.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            handle.flush()
            os.fsync(handle.fileno())
        return cls(private)

    @classmethod
    def _load(cls, path: Path) -> "ServerKey":
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, OSError) as exc:
            raise WarroomError(f"cannot read the server key {path}: {exc}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise WarroomError(f"{path} is not an Ed25519 private key")
        return cls(private)
