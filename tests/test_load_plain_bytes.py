"""A UTF-8 file read as columns is read from its bytes (loaders.tabular: not its text encoded
again); the columns are those of its text."""
import pytest

import loaders.tabular as T

ROW = "2019-07-11,启航锐自动化,A轮,1亿元,,红杉中国、IDG资本,深创投,工业软件,浙江,杭州\n"
HEADER = "日期,公司,轮次,金额,币种,投资方,领投方,领域,省份,城市\n"  # (not ASCII: byte and character offsets differ)


@pytest.mark.parametrize("extra", ["", '"', "\x00", "\r\n", "\r", "\x0b", "\x85", "\u2028", "\u2029", "\x1e", "\n\n",
                                   "\n\r\n", "€"])
def test_the_bytes_give_the_columns_the_text_gives(monkeypatch, extra):
    monkeypatch.setattr(T, "_PLAIN_MIN", 100)
    text = HEADER + ROW * 30 + ROW.replace("杭州", "杭州" + extra) + ROW * 3
    data = text.encode("utf-8")
    if T._is_plain(text):
        pos = len(HEADER)
        header = HEADER.strip().split(",")
        a = T._plain_columns(text, pos, 2, ",", header, lambda cells: 1, "f.csv")
        b = T._plain_columns(text, pos, 2, ",", header, lambda cells: 1, "f.csv", data)
        assert (a is None) == (b is None)
        if a is not None:
            assert [c.to_pylist() for c in a.cols] == [c.to_pylist() for c in b.cols]
            assert a.lines.tolist() == b.lines.tolist()


def test_a_large_utf8_file_is_read_as_columns_from_its_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "_PLAIN_MIN", 100)
    seen = []
    plain = T._plain_columns
    monkeypatch.setattr(T, "_plain_columns", lambda *a, **k: seen.append(a[-1]) or plain(*a, **k))
    for name, data in (("a.csv", (HEADER + ROW * 40).encode()), ("b.csv", b"\xef\xbb\xbf" + (HEADER + ROW * 40).encode())):
        (tmp_path / name).write_bytes(data)
        table = T.open_table(tmp_path / name, lambda cells: 1)
        assert table.columns is not None and len(table.columns.lines) == 40
    assert [type(x) for x in seen] == [bytes, bytes]
