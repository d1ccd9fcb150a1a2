"""Chinese word segmentation with jieba, in search-engine mode.

jieba's dictionary takes about a second to load, so it is loaded on the first segmentation, once
per process (guarded by a lock for threaded servers), never at import time.
"""

import logging
import threading
import unicodedata

MAX_TOKEN_LENGTH = 64

# Words of government work that jieba's general dictionary cuts apart, or would cut differently
# from how people search for them.
DOMAIN_WORDS = (
    "参保",
    "营业执照",
    "统一社会信用代码",
    "一网通办",
    "最多跑一次",
    "一件事",
    "好差评",
    "公积金",
    "低保",
    "电子证照",
    "双随机",
    "一本账",
)

# Function words that match nearly everything and so rank nothing.
STOP_WORDS = frozenset("的 了 和 与 及 或 等 之 其 在 是 为 对 以 于 由 并 而 也 就 都 个".split())

_tokenizer = None
_lock = threading.Lock()


def tokenizer():
    """The process's one jieba tokenizer, loaded on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                loaded = jieba.Tokenizer()
                loaded.initialize()
                for word in DOMAIN_WORDS:
                    loaded.add_word(word)
                _tokenizer = loaded
    return _tokenizer


def is_loaded() -> bool:
    return _tokenizer is not None


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width (ＧＡ → ga), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _keep(token: str) -> bool:
    return any(ch.isalnum() for ch in token) and token not in STOP_WORDS


def segment(text: str) -> list[str]:
    """The distinct tokens of `text`, in order of first occurrence: words and, for long words,
    the dictionary words inside them (社会保险 → 社会, 保险, 社会保险)."""
    text = normalise(text)
    if not text.strip():
        return []
    seen: dict[str, None] = {}
    for token in tokenizer().cut_for_search(text):
        token = token.strip()[:MAX_TOKEN_LENGTH]
        if token and _keep(token):
            seen.setdefault(token, None)
    return list(seen)


def query_tokens(query: str) -> list[str]:
    """The tokens to look up for a query: its segments, plus the whole query when it is one
    run of characters (so "330106-GA-00001" finds the document tagged with exactly that)."""
    tokens = segment(query)
    whole = normalise(query).strip()
    if whole and " " not in whole and len(whole) <= MAX_TOKEN_LENGTH and _keep(whole) and whole not in tokens:
        tokens.append(whole)
    return tokens


def tag_tokens(tag: str) -> list[str]:
    """A tag counts whole and by its segments."""
    tokens = segment(tag)
    whole = normalise(tag).strip()[:MAX_TOKEN_LENGTH]
    if whole and _keep(whole) and whole not in tokens:
        tokens.insert(0, whole)
    return tokens
