"""Tokens: cleaning, the tokenizers (okt, kiwi, mecab, english), the worker pool that runs
them (runner, pool), the token cache (cache) and what can run here (info)."""
