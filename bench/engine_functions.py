"""The engine's SQL functions that the catalog calls, for the DuckDB baseline.

`insights run` registers `bgnbd_fit`, `gamma_gamma_fit`, their prediction
functions and `frequent_values` (docs/functions.md); DuckDB has none of
them, so the baseline defines them here with NumPy and SciPy: for the
lifetime-value models the formulas of the
reference implementation (the `lifetimes` package): a maximum-likelihood fit
over the distinct customer patterns, time scaled so the longest `t` is 10,
parameters optimised as logarithms with BFGS from `lifetimes`' start (the
engine uses the Nelder-Mead simplex from three starts, and tries the
no-dropout limit of BG/NBD too). DuckDB's
Python functions are scalar, so an aggregate call `bgnbd_fit(f, r, t)` is
run as `bgnbd_fit(list(f), list(r), list(t))` (see `AGGREGATES`).
"""

import numpy as np
import pyarrow as pa
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

# How the catalog calls the fits, and the same call on lists.
AGGREGATES = [
    ("bgnbd_fit(frequency, recency, t)", "bgnbd_fit(list(frequency), list(recency), list(t))"),
    ("gamma_gamma_fit(frequency, monetary_value)", "gamma_gamma_fit(list(frequency), list(monetary_value))"),
]

BGNBD = pa.struct(
    [("r", pa.float64()), ("alpha", pa.float64()), ("a", pa.float64()), ("b", pa.float64()),
     ("customers", pa.int64()), ("note", pa.string())]
)
GAMMA_GAMMA = pa.struct(
    [("p", pa.float64()), ("q", pa.float64()), ("v", pa.float64()), ("customers", pa.int64()), ("note", pa.string())]
)


def numbers(column):
    """A column of numbers as float64 (nulls as NaN)."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)


def lists(column):
    """Each row's list of numbers, as float64 arrays."""
    return [np.asarray(row, dtype=float) for row in column.to_pylist()]


def patterns(*columns):
    """The distinct rows of `columns` and how many customers share each."""
    distinct, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return [distinct[:, i] for i in range(distinct.shape[1])], counts.astype(float)


# `lifetimes`' start: 0.1 for every log-parameter.
START = 0.1


def fit(negative_log_likelihood, parameters, data):
    """The minimum from `lifetimes`' start, with BFGS as `lifetimes` does
    (its gradient by finite differences here): the parameters (not their
    logarithms)."""
    found = minimize(negative_log_likelihood, np.full(parameters, START), args=data, method="BFGS",
                     options={"gtol": 1e-7})
    return np.exp(found.x)


def bgnbd_negative_log_likelihood(log_params, x, tx, t, weights):
    r, alpha, a, b = np.exp(log_params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    return -(weights * (a1 + a2 + np.logaddexp(a3, a4))).sum() / weights.sum()


def bgnbd_fit(frequency, recency, t):
    fits = []
    for x, tx, big_t in zip(lists(frequency), lists(recency), lists(t)):
        if not (x > 0).any():
            fits.append({"customers": len(x), "note": "BG/NBD: nobody purchased twice"})
            continue
        scale = 10.0 / big_t.max()
        (px, ptx, pt), weights = patterns(x, tx * scale, big_t * scale)
        r, alpha, a, b = fit(bgnbd_negative_log_likelihood, 4, (px, ptx, pt, weights))
        fits.append({"r": r, "alpha": alpha / scale, "a": a, "b": b, "customers": len(x), "note": None})
    return pa.array(fits, type=BGNBD)


def gamma_gamma_negative_log_likelihood(log_params, x, m, weights):
    p, q, v = np.exp(log_params)
    px = p * x
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m) + px * np.log(x)
          - (px + q) * np.log(x * m + v))
    return -(weights * ll).sum() / weights.sum()


def gamma_gamma_fit(frequency, monetary_value):
    fits = []
    for x, m in zip(lists(frequency), lists(monetary_value)):
        spenders = (x > 0) & (m > 0)
        if not spenders.any():
            fits.append({"customers": 0, "note": "Gamma-Gamma: no repeat purchases"})
            continue
        (px, pm), weights = patterns(x[spenders], m[spenders])
        p, q, v = fit(gamma_gamma_negative_log_likelihood, 3, (px, pm, weights))
        customers = int(spenders.sum())
        if not all(1e-8 < value < 1e8 for value in (p, q, v)):
            fits.append({"customers": customers, "note": "Gamma-Gamma: the likelihood has no interior maximum"})
            continue
        note = "Gamma-Gamma: q <= 1, so the mean spend is not finite" if q <= 1 else None
        fits.append({"p": p, "q": q, "v": v, "customers": customers, "note": note})
    return pa.array(fits, type=GAMMA_GAMMA)


def bgnbd_p_alive(r, alpha, a, b, frequency, recency, t):
    r, alpha, a, b, x, tx, big_t = map(numbers, (r, alpha, a, b, frequency, recency, t))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = np.where(x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + tx)) ** (r + x), 0.0)
    return pa.array(1.0 / (1.0 + odds))


def bgnbd_expected_purchases(r, alpha, a, b, frequency, recency, t, horizon):
    r, alpha, a, b, x, tx, big_t, h = map(numbers, (r, alpha, a, b, frequency, recency, t, horizon))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        hypergeometric = hyp2f1(r + x, b + x, a + b + x - 1, h / (alpha + big_t + h))
        first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + h)) ** (r + x) * hypergeometric)
        alive = 1 + np.where(x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + tx)) ** (r + x), 0.0)
    return pa.array(np.where(h == 0, 0.0, first / alive))


def gamma_gamma_expected_value(p, q, v, frequency, monetary_value):
    """Null where the mean spend is not finite (p x + q <= 1), as in the
    engine, and for null inputs (NaN here)."""
    p, q, v, x, m = map(numbers, (p, q, v, frequency, monetary_value))
    with np.errstate(divide="ignore", invalid="ignore"):
        finite = p * x + q > 1
        value = p * (v + x * m) / (p * x + q - 1)
    return pa.array(np.where(finite, value, 0.0), mask=~finite)


def frequent_values(lists, min_count):
    """Per row, the values in at least `min_count` of its lists, ascending,
    with the number of lists holding each; a value repeated within a list
    counts once, nulls not at all. Row by row, so that a chunk of rows with
    hundreds of millions of values is never in memory at once."""
    if isinstance(lists, pa.ChunkedArray):
        lists = pa.concat_arrays(lists.chunks) if lists.num_chunks else pa.array([], lists.type)
    if isinstance(min_count, pa.ChunkedArray):
        min_count = pa.concat_arrays(min_count.chunks) if min_count.num_chunks else pa.array([], pa.int64())
    outer = np.asarray(lists.offsets)
    inner_lists = lists.values
    inner = np.asarray(inner_lists.offsets)
    items = inner_lists.values
    minimums = np.asarray(min_count.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    null_rows = np.asarray(lists.is_null()) | np.asarray(min_count.is_null())
    found_values, found_counts, lengths = [], [], []
    for row in range(len(lists)):
        first, last = inner[outer[row]], inner[outer[row + 1]]
        row_items = items.slice(first, last - first)
        values = np.asarray(row_items.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        valid = np.asarray(row_items.is_valid())
        list_of_value = np.repeat(np.arange(outer[row + 1] - outer[row]), np.diff(inner[outer[row]:outer[row + 1] + 1]))
        values, list_of_value = values[valid], list_of_value[valid]
        if null_rows[row] or len(values) == 0:
            lengths.append(0)
            continue
        # Each (list, value) once, unless the lists are ascending without
        # repeats already (as product_affinity's tails are).
        same_list = list_of_value[1:] == list_of_value[:-1]
        if not np.all(values[1:][same_list] > values[:-1][same_list]):
            pairs = np.unique(np.stack([list_of_value, values]), axis=1)
            values = pairs[1]
        low = values.min()
        span = int(values.max() - low + 1)
        if span <= max(4 * len(values), 1 << 16):
            counts = np.bincount(values - low, minlength=span)
            distinct = np.flatnonzero(counts)
            counts = counts[distinct]
            distinct = distinct + low
        else:
            distinct, counts = np.unique(values, return_counts=True)
        keep = counts >= max(minimums[row], 1)
        found_values.append(distinct[keep])
        found_counts.append(counts[keep])
        lengths.append(int(keep.sum()))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    values = np.concatenate(found_values) if found_values else np.array([], dtype=np.int64)
    counts = np.concatenate(found_counts) if found_counts else np.array([], dtype=np.int64)
    found = pa.StructArray.from_arrays([pa.array(values, pa.int64()), pa.array(counts, pa.int64())],
                                       names=["value", "count"])
    return pa.ListArray.from_arrays(pa.array(offsets), found, mask=pa.array(null_rows))


def register(con):
    """Defines the functions in the DuckDB connection `con`."""
    double_lists = ["DOUBLE[]"]
    con.create_function("bgnbd_fit", bgnbd_fit, double_lists * 3,
                        "STRUCT(r DOUBLE, alpha DOUBLE, a DOUBLE, b DOUBLE, customers BIGINT, note VARCHAR)",
                        type="arrow")
    con.create_function("gamma_gamma_fit", gamma_gamma_fit, double_lists * 2,
                        "STRUCT(p DOUBLE, q DOUBLE, v DOUBLE, customers BIGINT, note VARCHAR)", type="arrow")
    con.create_function("bgnbd_p_alive", bgnbd_p_alive, ["DOUBLE"] * 7, "DOUBLE", type="arrow")
    con.create_function("bgnbd_expected_purchases", bgnbd_expected_purchases, ["DOUBLE"] * 8, "DOUBLE",
                        type="arrow")
    con.create_function("gamma_gamma_expected_value", gamma_gamma_expected_value, ["DOUBLE"] * 5, "DOUBLE",
                        type="arrow", null_handling="special")
    con.create_function("frequent_values", frequent_values, ["INTEGER[][]", "BIGINT"],
                        "STRUCT(value BIGINT, count BIGINT)[]", type="arrow", null_handling="special")


def in_list_form(sql):
    """`sql` with the catalog's aggregate calls of the fits as calls on lists."""
    for aggregate, on_lists in AGGREGATES:
        sql = sql.replace(aggregate, on_lists)
    return sql
