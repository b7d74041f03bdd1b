"""Encryption at rest for sensitive member fields (CCCD).

Values are encrypted with Fernet (AES-128-CBC + HMAC) under a key derived from
settings.FIELD_ENCRYPTION_KEY; a keyed hash allows uniqueness checks and
lookups without decrypting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(("enc:" + key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


@lru_cache(maxsize=4)
def _index_key(key: str) -> bytes:
    return hashlib.sha256(("idx:" + key).encode()).digest()


def blind_index(value: str) -> str:
    if not value:
        return ""
    return hmac.digest(_index_key(settings.FIELD_ENCRYPTION_KEY), value.encode(), "sha256").hex()


def mask(last4: str) -> str:
    return f"********{last4}" if last4 else ""
