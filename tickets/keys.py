import hashlib


def hash_key(key: str) -> str:
    """The stored form of an API key. Keys carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()
