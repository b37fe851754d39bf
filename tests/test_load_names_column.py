"""``split_names_column`` (the investor cells of a file read as columns, vectorised) gives each
cell what ``split_names`` gives it: the same names, in the same order, duplicates removed."""
import pyarrow as pa

from loaders.parse import split_names, split_names_column

CELLS = ["红杉中国、IDG资本、红杉中国", "", "、甲,,乙；丙;丁|戊\n己、", "未披露", "甲、未披露、-、n/a、乙",
         " IDG 资本 ，IDG资本", "红杉资本(中国)、红杉资本（中国）", "Sequoia China;sequoia china; IDG  Capital ",
         "甲", "、、、", "NA", "甲、乙、甲、乙"]


def test_each_cell_gets_what_split_names_gives():
    cell, code, names = split_names_column(pa.array(CELLS))
    got = [[] for _ in CELLS]
    for c, k in zip(cell.tolist(), code.tolist()):
        got[c].append(names[k])
    assert got == [split_names(x) for x in CELLS]
    assert any(len(x) > 2 for x in got) and [] in got
