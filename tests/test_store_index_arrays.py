"""kg.index reads Arrow integer arrays from their buffers (``_ints``), not through pyarrow's
``to_numpy``/``fill_null`` (they import pandas, a third of a reopen's index build): the same
values, nulls as -1, for every width, sliced arrays and chunked ones."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from kg.index import _ints, _positions


@pytest.mark.parametrize("type_", [pa.int8(), pa.int16(), pa.int32(), pa.int64()])
def test_ints_equal_to_numpy_with_nulls_as_minus_one(type_):
    values = [3, None, 0, 7, None, 1, 2, None, 5, 6, 4]
    arr = pa.array(values, type_)
    want = np.array([-1 if v is None else v for v in values], np.int64)
    assert _ints(arr).tolist() == want.tolist()
    assert _ints(arr.slice(3, 6)).tolist() == want[3:9].tolist()
    assert _ints(pa.chunked_array([arr.slice(0, 2), arr.slice(2)])).tolist() == want.tolist()
    assert _ints(pa.array([], type_)).tolist() == []


def test_positions_as_index_in_with_absent_values():
    ids = pa.array(["a", "b", "c"])
    col = pa.chunked_array([pa.array(["c", "x"]), pa.array(["a", None, "b"])])
    want = pc.index_in(col, value_set=ids).to_pylist()
    assert _positions(col, ids).tolist() == [-1 if v is None else v for v in want]
