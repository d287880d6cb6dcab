"""The textbook's NSMC Word2Vec recipe as one script, for benchmarking against embedcli.

Steps as in the textbook chapter: read ratings.txt, drop rows with an empty document, keep
Hangul and spaces, tokenize with Okt().morphs(stem=True) in a single-process loop, drop the
stopwords, train gensim Word2Vec(vector_size=100, window=5, min_count=5, workers=4, sg=0).
(The textbook uses pandas only to read the file; plain Python reads the same rows here.)
Prints one JSON line with the timings, vocabulary size and most_similar("최민식").
"""

from __future__ import annotations

import json
import re
import sys
import time


def main(path: str, tokens_out: str | None = None) -> None:
    from gensim.models import Word2Vec
    from konlpy.tag import Okt

    started = time.perf_counter()
    with open(path, encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle][1:]
    docs = [r[1] for r in rows if len(r) > 1 and r[1].strip()]
    docs = [re.sub("[^ㄱ-ㅎㅏ-ㅣ가-힣 ]", "", d) for d in docs]
    stopwords = ["의", "가", "이", "은", "들", "는", "좀", "잘", "걍", "과", "도", "를", "으로",
                 "자", "에", "와", "한", "하다"]  # fmt: skip

    okt = Okt()
    tokenize_started = time.perf_counter()
    tokenized = []
    for sentence in docs:
        tokens = okt.morphs(sentence, stem=True)
        tokenized.append([w for w in tokens if w not in stopwords])
    tokenize_seconds = time.perf_counter() - tokenize_started

    if tokens_out:  # outside the timings: for checking embedcli's tokens against these
        with open(tokens_out, "w", encoding="utf-8") as handle:
            handle.writelines(" ".join(tokens) + "\n" for tokens in tokenized)

    train_started = time.perf_counter()
    model = Word2Vec(sentences=tokenized, vector_size=100, window=5, min_count=5, workers=4, sg=0)
    train_seconds = time.perf_counter() - train_started
    try:
        similar = model.wv.most_similar("최민식")
    except KeyError:
        similar = []
    print(
        json.dumps(
            {
                "documents": len(docs),
                "tokenize_seconds": round(tokenize_seconds, 2),
                "docs_per_second": round(len(docs) / tokenize_seconds, 1),
                "train_seconds": round(train_seconds, 2),
                "total_seconds": round(time.perf_counter() - started, 2),
                "vocab_size": len(model.wv),
                "similar": [[w, round(s, 4)] for w, s in similar],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
