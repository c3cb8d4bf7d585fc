"""Arrow columns built from buffers (no pandas): each staged type reads back as the values."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from ecrcost.arrowcols import arrow_column, arrow_table_of, integers_of, type_of


@pytest.mark.parametrize(
    "values",
    [
        ["a", None, "é" * 3, ""],
        [1, None, -(2**62)],
        [0.1, None, -1e300],
        [True, False, None],
        [date(2026, 2, 28), None],
        [datetime(2026, 11, 30, 23, 59, 59, 999999), None],
        [["a", "b"], None, []],
        # money as the warehouse keeps it: every digit, the most places of the values
        [Decimal("415.652184771500"), None, Decimal("-0.000000000001"), Decimal("7")],
    ],
)
def test_each_type_reads_back_as_its_values(values):
    column = arrow_column(values, type_of(values))
    assert column.to_pylist() == [list(v) if isinstance(v, list) else v for v in values]


def test_decimals_keep_their_places_and_sign():
    values = [Decimal("12.546697038720"), Decimal("-3.5"), Decimal("1E+3")]
    column = arrow_column(values, type_of(values))
    assert column.type == pa.decimal128(38, 12)
    assert [str(v) for v in column.to_pylist()] == [
        "12.546697038720",
        "-3.500000000000",
        "1000.000000000000",
    ]
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        arrow_column([Decimal("0.125")], pa.decimal128(38, 2))


def test_building_a_table_never_imports_pandas():
    code = (
        "import sys; from decimal import Decimal; from ecrcost.arrowcols import arrow_table_of;"
        "arrow_table_of({'m': [Decimal('1.25'), None], 's': ['x', None], 'i': [1, 2]});"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert arrow_table_of({"m": [Decimal("1.25")]}).column("m").to_pylist() == [Decimal("1.25")]


def test_integers_of_views_the_values_without_pandas():

    array = arrow_column([7, 8, 9, 10], pa.int32()).slice(1, 2)
    assert integers_of(array).tolist() == [8, 9]
    assert integers_of(pa.array([2**64 - 1], pa.uint64())).tolist() == [2**64 - 1]
    with pytest.raises(ValueError, match="holds nulls"):
        integers_of(arrow_column([1, None], pa.int64()))
