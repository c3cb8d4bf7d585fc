"""Arrow columns from Python lists without importing pandas.

`pyarrow.array` asks pandas whether its argument is a pandas object, importing pandas whenever it
is installed (pyarrow's `_is_array_like` / `pandas_api.is_categorical` probe, 0.4 s on first use).
ecrcost never needs pandas, so the tables it stages are built from buffers instead
(`pyarrow.Array.from_buffers`, numpy doing the per-value work in C). The types ecrcost stages:
string, int64, int32, float64, decimal128 (exact money), bool, date, naive timestamp
(microseconds) and list of strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

_MAX_INT32_OFFSET = 2**31 - 1
_EPOCH, _MICROSECOND = datetime(1970, 1, 1), timedelta(microseconds=1)  # naive: UTC wall time


def arrow_table(columns: Mapping[str, Sequence[Any]], schema: pa.Schema) -> pa.Table:
    """A table of `schema` from one Python sequence per field (None is null)."""
    import pyarrow as pa

    arrays = [arrow_column(columns[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(arrays, names=schema.names)  # a string over 2 GiB: large_string


def arrow_table_of(columns: Mapping[str, Any]) -> pa.Table:
    """A table from one Python sequence per column, each typed by its first non-null value
    (an Arrow array is taken as it is)."""
    import pyarrow as pa

    arrays = [
        v if isinstance(v, pa.Array) else arrow_column(v, type_of(v)) for v in columns.values()
    ]
    return pa.Table.from_arrays(arrays, names=list(columns))


def type_of(values: Sequence[Any]) -> pa.DataType:
    """The Arrow type of a column's values (the first non-null one decides; all null: null)."""
    import pyarrow as pa

    first = next((v for v in values if v is not None), None)
    if first is None:
        return pa.null()
    if isinstance(first, Decimal):  # as many places as the values have: the insert casts
        places = max(-v.as_tuple().exponent for v in values if v is not None)
        return pa.decimal128(38, min(max(places, 0), 38))
    for python_type, arrow_type in (
        (bool, pa.bool_()),  # before int: a bool is an int
        (int, pa.int64()),
        (float, pa.float64()),
        (str, pa.string()),
        (datetime, pa.timestamp("us")),  # before date: a datetime is a date
        (date, pa.date32()),
        ((list, tuple), pa.list_(pa.string())),
    ):
        if isinstance(first, python_type):
            return arrow_type
    raise TypeError(f"arrow columns: no Arrow type for {type(first).__name__} values")


def arrow_column(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """`values` (None is null) as an Arrow array of `type_`."""
    import numpy as np
    import pyarrow as pa

    n = len(values)
    if pa.types.is_null(type_):
        return pa.nulls(n)
    if n and all(v is None for v in values):
        return pa.nulls(n, type_)
    if pa.types.is_string(type_):
        return _strings(values)
    if pa.types.is_list(type_) and pa.types.is_string(type_.value_type):
        lengths = np.fromiter((0 if v is None else len(v) for v in values), np.int64, n)
        offsets = np.zeros(n + 1, np.int32)
        np.cumsum(lengths, out=offsets[1:])
        child = _strings([s for v in values if v is not None for s in v])
        return pa.Array.from_buffers(
            type_, n, [_validity(values), pa.py_buffer(offsets)], children=[child]
        )
    if pa.types.is_timestamp(type_) and type_.tz is None and type_.unit == "us":
        # timedelta arithmetic: exact, and 5x faster than numpy's datetime parsing
        data = np.fromiter((0 if v is None else (v - _EPOCH) // _MICROSECOND for v in values),
                           np.int64, n)  # fmt: skip
        return pa.Array.from_buffers(type_, n, [_validity(values), pa.py_buffer(data)])
    if pa.types.is_date32(type_):
        days = np.array(values, dtype="datetime64[D]")
        valid = ~np.isnat(days)
        data = np.where(valid, days.view(np.int64), 0).astype(np.int32)
        return pa.Array.from_buffers(type_, n, [_bitmap(valid), pa.py_buffer(data)])
    if pa.types.is_decimal128(type_):
        # 16-byte little-endian two's complement of the value scaled to the type's scale;
        # a value with more places than the scale is refused, never rounded silently
        scaled = []
        for v in values:
            unscaled = Decimal(0) if v is None else Decimal(v).scaleb(type_.scale)
            if unscaled != unscaled.to_integral_value():
                raise ValueError(f"arrow_column: {v} has more than {type_.scale} decimal places")
            scaled.append(int(unscaled).to_bytes(16, "little", signed=True))
        data = pa.py_buffer(b"".join(scaled))
        return pa.Array.from_buffers(type_, n, [_validity(values), data])
    if pa.types.is_boolean(type_):
        bits = np.fromiter((bool(v) for v in values), np.bool_, n)
        return pa.Array.from_buffers(type_, n, [_validity(values), _bitmap(bits, keep_all=True)])
    numpy_type = {pa.int64(): np.int64, pa.int32(): np.int32, pa.float64(): np.float64}.get(type_)
    if numpy_type is None:
        raise TypeError(f"arrow_column: unsupported type {type_}")
    data = np.fromiter((0 if v is None else v for v in values), numpy_type, n)
    return pa.Array.from_buffers(type_, n, [_validity(values), pa.py_buffer(data)])


def arrow_scalar(value: Any, type_: pa.DataType) -> pa.Scalar:
    """`value` as an Arrow scalar of `type_` (pyarrow.compute turns a Python value into one
    through the same pandas probe)."""
    return arrow_column([value], type_)[0]


def integers_of(array: pa.Array) -> Any:
    """A numpy view of an integer Arrow array without nulls (`Array.to_numpy` imports pandas)."""
    import numpy as np
    import pyarrow as pa

    if array.null_count:
        raise ValueError("integers_of: the array holds nulls")
    sign = "u" if pa.types.is_unsigned_integer(array.type) else ""
    dtype = np.dtype(f"{sign}int{array.type.bit_width}")
    return np.frombuffer(array.buffers()[1], dtype, len(array), array.offset * dtype.itemsize)


def _strings(values: Sequence[str | None]) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    encoded = [b"" if v is None else v.encode() for v in values]
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    total = int(lengths.sum())
    wide = total > _MAX_INT32_OFFSET  # over 2 GiB of text in one column: 64-bit offsets
    offsets = np.zeros(len(encoded) + 1, np.int64 if wide else np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(
        pa.large_string() if wide else pa.string(),
        len(encoded),
        [_validity(values), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
    )


def _validity(values: Sequence[Any]) -> pa.Buffer | None:
    import numpy as np

    valid = np.fromiter((v is not None for v in values), np.bool_, len(values))
    return _bitmap(valid)


def _bitmap(bits: Any, *, keep_all: bool = False) -> pa.Buffer | None:
    """Arrow's LSB-first bitmap of a numpy bool array; None (no nulls) when all are set."""
    import numpy as np
    import pyarrow as pa

    if not keep_all and bits.all():
        return None
    return pa.py_buffer(np.packbits(bits, bitorder="little"))
