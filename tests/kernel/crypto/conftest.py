"""Every crypto test gets its own empty KEYS_DIR and no key in the environment."""

import os

import pytest

from zhengtong.kernel.crypto import keys


@pytest.fixture(autouse=True)
def isolated_keys(settings, tmp_path, monkeypatch):
    settings.KEYS_DIR = tmp_path / "keys"
    settings.CRYPTO_PROFILE = "guomi"
    for name in list(os.environ):
        if name.startswith(keys.SIGNING_KEY_ENV_PREFIX) or name in (keys.FIELD_KEYS_ENV, keys.INDEX_KEY_ENV):
            monkeypatch.delenv(name)
    keys.clear_caches()
    yield settings.KEYS_DIR
    keys.clear_caches()
