"""The same-run baseline of `insights-bench`: the catalog's SQL on DuckDB.

`insights-bench` writes a plan (JSON) after its standalone run: the
generated input, the catalog's curation query, where that run's category
rules are, and every staging view and insight in dependency order,
parameters already bound as literals. This script runs the whole job on
DuckDB, an embedded single-node SQL engine, with the same threads and
memory limit: the curation query over the generated Parquet into a curated
layer partitioned by month (as `insights run` ingests it), then each
insight over that layer, written to Parquet. It writes seconds and row
counts, as JSON, to the plan's `result` file. The engine's SQL functions
that the catalog's insights call are defined in `engine_functions.py`,
beside this script.

    python bench/duckdb_baseline.py PLAN.json
"""

import json
import sys
import time

import duckdb

import engine_functions


# Where DataFusion's SQL and DuckDB's differ, the DuckDB spelling of the same
# thing. DuckDB: date + interval is a timestamp, and the difference of two
# of those an interval, which does not cast to a number of days; a date does
# not cast to its number of days since 1970 either.
DIALECT = [
    (
        "cast(reference_day.as_of - totals.last_purchase as bigint)",
        "date_diff('day', totals.last_purchase, reference_day.as_of)",
    ),
    ("cast(max(invoice_date) as int)", "date_diff('day', date '1970-01-01', max(invoice_date))"),
    ("cast(purchase_day as int)", "date_diff('day', date '1970-01-01', purchase_day)"),
]


def in_duckdb_dialect(sql):
    for datafusion, duckdb_spelling in DIALECT:
        sql = sql.replace(datafusion, duckdb_spelling)
    return engine_functions.in_list_form(sql)


def quoted(text):
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def curate(con, plan):
    """The ingest's counterpart: the curation query over the raw lines, typed
    as the ingest types them, written partitioned by month. The raw columns
    are those `insights generate` writes (UCI names; prices and customer ids
    as floats). Returns the number of curated lines."""
    con.execute(
        "create view raw_lines as select"
        " cast(InvoiceNo as varchar) as invoice_no, cast(StockCode as varchar) as stock_code,"
        " cast(Description as varchar) as description, cast(Quantity as bigint) as quantity,"
        " cast(InvoiceDate as timestamp) as invoice_ts, cast(UnitPrice as decimal(18, 4)) as unit_price,"
        " cast(CustomerID as varchar) as customer_id, cast(Country as varchar) as country,"
        f" cast(0 as integer) as source_file from read_parquet({quoted(plan['input'])})"
    )
    try:
        con.execute(
            f"copy (select * exclude (source_file), strftime(invoice_ts, '%Y-%m') as year_month"
            f" from ({in_duckdb_dialect(plan['curation'])})) to {quoted(plan['curated'])}"
            " (format parquet, partition_by (year_month))"
        )
    except duckdb.Error as error:
        sys.exit(f"DuckDB failed on the curation query: {error}")
    files = quoted(plan["curated"] + "/*/*.parquet")
    lines = con.execute(f"select count(*) from read_parquet({files})").fetchone()[0]
    return lines


def main(plan_path):
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    con = duckdb.connect()
    engine_functions.register(con)
    con.execute(f"set threads = {int(plan['threads'])}")
    con.execute("set preserve_insertion_order = false")
    con.execute(f"set temp_directory = {quoted(plan['scratch'])}")
    if plan.get("memory_limit"):
        con.execute(f"set memory_limit = {quoted(plan['memory_limit'])}")
    started = time.perf_counter()
    curated_lines = curate(con, plan)
    curation_seconds = time.perf_counter() - started
    started = time.perf_counter()
    con.execute(
        f"create view transactions as select * from read_parquet({quoted(plan['curated'] + '/*/*.parquet')},"
        " hive_partitioning = true, hive_types = {'year_month': 'varchar'})"
    )
    con.execute(f"create view category_rules as select * from read_parquet({quoted(plan['category_rules'])})")
    insights = []
    for model in plan["models"]:
        name = model["name"]
        if model["kind"] == "staging":
            # A materialized staging model is computed once, as `insights run`
            # does: here a DuckDB table (in memory, spilled under a limit).
            kind = "table" if model.get("materialized") else "view"
            con.execute(f'create {kind} "{name}" as {in_duckdb_dialect(model["sql"])}')
            continue
        insight_started = time.perf_counter()
        try:
            con.execute(f'create table "{name}" as {in_duckdb_dialect(model["sql"])}')
            con.execute(f'copy "{name}" to {quoted(plan["output"] + "/" + name + ".parquet")} (format parquet)')
        except duckdb.Error as error:
            sys.exit(f"DuckDB failed on {name} ({model['path']}): {error}")
        rows = con.execute(f'select count(*) from "{name}"').fetchone()[0]
        insights.append({"name": name, "seconds": time.perf_counter() - insight_started, "rows": rows})
    result = {
        "engine": f"DuckDB {duckdb.__version__}",
        "curation_seconds": curation_seconds,
        "curated_lines": curated_lines,
        "seconds": time.perf_counter() - started,
        "insights": insights,
    }
    with open(plan["result"], "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
