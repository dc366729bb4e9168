"""Splitting text for a character model: no file on two sides, cuts at line ends,
the same split every time."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnn.app.corpus import (
    SIDES,
    Document,
    Split,
    split_by_document,
    split_document,
    stdlib_documents,
)

line = st.text(alphabet=string.ascii_letters + " =()", min_size=0, max_size=30).map(
    lambda s: s + "\n"
)
document_text = st.lists(line, min_size=1, max_size=20).map("".join)
documents = st.lists(document_text, min_size=3, max_size=15).map(
    lambda texts: [Document(f"f{i}.py", t) for i, t in enumerate(texts)]
)


def names(split: Split, side: str) -> set[str]:
    return {d.name for d in getattr(split, side)}


@given(docs=documents, fraction=st.floats(0.05, 0.4))
def test_no_document_is_on_two_sides_and_each_piece_is_a_head_cut_at_a_line_end(docs, fraction):
    total = sum(len(d.text) for d in docs)
    try:
        split = split_by_document(docs, total, fraction)
    except ValueError as e:  # too little text for three sides
        assert "empty" in str(e) or "none was left for training" in str(e)
        return
    train, tune, val = (names(split, s) for s in SIDES)
    assert not (train & tune or train & val or tune & val)
    source = {d.name: d.text for d in docs}
    for side in SIDES:
        for d in getattr(split, side):
            full = source[d.name]
            assert full.startswith(d.text)
            assert d.text == full or d.text.endswith("\n") or "\n" not in full[: len(d.text)]


@given(docs=documents)
def test_the_split_does_not_depend_on_the_order_documents_come_in(docs):
    total = sum(len(d.text) for d in docs)
    try:
        a = split_by_document(docs, total, 0.2)
    except ValueError:
        return
    b = split_by_document(list(reversed(docs)), total, 0.2)
    assert a == b and a.digest() == b.digest()


def test_budgets_are_filled_in_order_validation_tuning_training():
    docs = [Document(f"m{i}.py", "abcdefghi\n" * 10) for i in range(20)]  # 100 each
    split = split_by_document(docs, 1000, 0.2)
    assert [len(split.text(s)) for s in ("val", "tune", "train")] == [200, 100, 700]
    assert len(split.val) == 2 and len(split.tune) == 1 and len(split.train) == 7


def test_a_document_cut_at_a_budget_leaves_its_remainder_unused():
    docs = [Document(f"m{i}.py", "abcd\n" * 30) for i in range(6)]  # 150 each
    split = split_by_document(docs, 500, 0.2)  # validation: 100 of one document
    assert len(split.val) == 1 and split.val[0].text == "abcd\n" * 20
    used = [d.name for side in SIDES for d in getattr(split, side)]
    assert len(used) == len(set(used))


def test_a_cut_closes_its_side_so_a_few_files_still_make_three_sides():
    sizes = [2337, 2513, 2505, 1922, 1373]
    docs = [
        Document(f"p{i}.md", "x" * 30 + "\n" + "abcdefghi\n" * (n // 10))
        for i, n in enumerate(sizes)
    ]
    split = split_by_document(docs, sum(len(d.text) for d in docs), 0.1)
    assert (len(split.val), len(split.tune), len(split.train)) == (1, 1, 3)


def test_split_refuses_a_document_on_two_sides():
    a = Document("a", "x\n")
    with pytest.raises(ValueError, match="two sides"):
        Split((a,), (Document("b", "y\n"),), (a,), "")
    with pytest.raises(ValueError, match="tuning text is empty"):
        Split((a,), (), (Document("b", "y\n"),), "")


def test_one_file_is_cut_at_line_starts_into_train_tuning_validation():
    text = "".join(f"line {i}\n" for i in range(100))
    split = split_document("t.txt", text, 0.1)
    assert split.text("train") + split.text("tune") + split.text("val") == text
    for side in ("tune", "val"):
        assert getattr(split, side)[0].text.startswith("line ")  # a whole line
    assert abs(len(split.text("val")) - 0.1 * len(text)) < 10  # within a line
    assert abs(len(split.text("tune")) - 0.05 * len(text)) < 10
    assert split.val[0].name.startswith("t.txt lines 91-100 [710:790]")
    assert "same file" in split.how


def test_one_line_cannot_make_three_pieces_but_a_long_line_is_cut_anywhere():
    with pytest.raises(ValueError, match="too short to split"):
        split_document("t", "ab", 0.1)
    split = split_document("t", "abcab" * 100, 0.1)
    assert [len(split.text(s)) for s in SIDES] == [425, 25, 50]


def test_the_digest_sees_text_and_sides_not_names():
    a = split_document("here.txt", "".join(f"{i}\n" for i in range(50)), 0.1)
    b = split_document("moved.txt", "".join(f"{i}\n" for i in range(50)), 0.1)
    c = split_document("here.txt", "".join(f"{i}\n" for i in range(50)), 0.2)
    assert a.digest() == b.digest() != c.digest()


def test_the_standard_library_documents_are_printable_ascii():
    docs = stdlib_documents()
    assert len(docs) > 20
    assert [d.name for d in docs] == sorted(d.name for d in docs)
    allowed = set(map(chr, range(32, 127))) | {"\n", "\t"}
    assert all(set(d.text) <= allowed for d in docs[:20])


def test_describe_names_the_held_out_files_and_counts_characters():
    docs = [Document(f"m{i}.py", "abcdefghi\n" * 10) for i in range(20)]
    split = split_by_document(docs, 1000, 0.2, "test modules")
    lines = split.describe(listed=3)
    assert "test modules" in lines[0]
    val_line = next(x for x in lines if x.startswith("  validation"))
    assert "2 documents, 200 characters" in val_line
    assert all(d.name in val_line for d in split.val)
    train_line = next(x for x in lines if x.startswith("  training"))
    assert "(4 more)" in train_line


def test_two_files_cannot_be_held_out_by_file_and_say_why() -> None:
    docs = [Document("a.txt", "line\n" * 400), Document("b.txt", "other\n" * 100)]
    with pytest.raises(ValueError, match="none was left for training: each file is on one side"):
        split_by_document(docs, sum(len(d.text) for d in docs), 0.1)


def test_three_files_whose_first_fill_validation_and_tuning_say_so() -> None:
    docs = [Document("big.txt", "line\n" * 4000)] + [
        Document(f"s{i}.txt", "x\n" * 10) for i in range(2)
    ]
    with pytest.raises(ValueError, match="none was left for training: each file is on one side"):
        split_by_document(docs, sum(len(d.text) for d in docs), 0.1)
