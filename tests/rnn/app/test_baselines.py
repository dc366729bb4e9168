"""The baselines beside a character model's figure: compressors and the n-gram."""

from __future__ import annotations

import math
import re

import pytest

from rnn.app.baselines import COMPRESSORS, Figure, compressed_bits, format_table, measure
from rnn.app.corpus import Document, split_by_document
from rnn.app.ngram import KneserNey


def test_compressed_bits_by_hand():
    def stored(data: bytes) -> bytes:  # a "compressor" that stores the bytes as they are
        return data

    assert compressed_bits(stored, "abcd") == 8.0
    assert compressed_bits(stored, "ab", prior="xyz") == 8.0  # (5 - 3) bytes * 8 / 2
    assert compressed_bits(stored, "é") == 16.0  # two UTF-8 bytes for one character
    assert compressed_bits(lambda d: d[:3], "abcdefgh") == 3.0  # 8 * 3 / 8
    with pytest.raises(ValueError, match="empty"):
        compressed_bits(stored, "")


@pytest.mark.parametrize("name, header", [("gzip -9", 20), ("bz2 -9", 14), ("lzma -9 (xz)", 32)])
def test_the_containers_cost_what_the_docs_say(name, header):
    compress = COMPRESSORS[name]
    assert len(compress(b"")) == header
    text = "def f(x):\n    return x\n" * 50
    assert compressed_bits(compress, text) == 8 * len(compress(text.encode())) / len(text)


def test_a_compressor_that_read_the_training_text_pays_less_for_a_repeat():
    text = "".join(f"value_{i} = compute({i}, {i * i})\n" for i in range(300))
    compress = COMPRESSORS["lzma -9 (xz)"]
    assert compressed_bits(compress, text, prior=text) < 0.2 * compressed_bits(compress, text)


def small_split():
    docs = [
        Document(f"m{i}.py", "".join(f"def f{i}_{j}(x):\n    return x + {j}\n" for j in range(30)))
        for i in range(12)
    ]
    return split_by_document(docs, sum(len(d.text) for d in docs), 0.2, "test modules")


def test_measure_gives_every_baseline_on_the_validation_text():
    split = small_split()
    alphabet = "".join(sorted(set(split.all_text)))
    b = measure(split, alphabet, max_order=4)
    names = [f.name for f in b.figures]
    assert names == [f"Kneser-Ney {b.order}-gram", *COMPRESSORS, "uniform"]
    assert set(b.tuning) == {1, 2, 3, 4} and b.tuning[b.order] == min(b.tuning.values())
    val = split.text("val")
    assert b.characters == len(val) and b.documents == len(split.val)
    ngram = KneserNey.fit(split.text("train"), b.order, alphabet)
    assert b.figures[0].bpc == pytest.approx(ngram.bpc(val))
    assert b.figures[-1].bpc == pytest.approx(math.log2(len(alphabet)))
    for f in b.figures[1:-1]:
        assert f.bpc == pytest.approx(compressed_bits(COMPRESSORS[f.name], val))
        assert f.after_training is not None and 0 < f.after_training < f.bpc


def test_the_table_has_a_row_per_figure_the_model_first():
    split = small_split()
    b = measure(split, "".join(sorted(set(split.all_text))), max_order=3)
    table = format_table(b, Figure("LSTM 8x1, step 2", 4.5678, note="learnt"))
    lines = table.splitlines()
    assert re.search(r"\d held-out documents, [\d,]+ characters", lines[0])
    assert re.match(r"\s+LSTM 8x1, step 2\s+4\.568\s+learnt", lines[1])
    for f in b.figures:
        assert re.search(rf"{re.escape(f.name)}\s+{f.bpc:.3f}", table)
    assert table.count("after reading the training text") == len(COMPRESSORS)
