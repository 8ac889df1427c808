"""The same-run baseline of `insights bench`: the catalog's SQL on DuckDB.

`insights bench` writes a plan (JSON) after its standalone run: where that
run's curated transactions and category rules are, and every staging view
and insight in dependency order, parameters already bound as literals. This
script runs them on DuckDB, an embedded single-node SQL engine, over the
same Parquet files with the same threads and memory limit, writes each
insight to Parquet as `insights run` does, and prints seconds per insight
and the row count of each table as JSON to the plan's `result` file.

    python bench/duckdb_baseline.py PLAN.json
"""

import json
import sys
import time

import duckdb


# Where DataFusion's SQL and DuckDB's differ, the DuckDB spelling of the same
# thing. DuckDB: date + interval is a timestamp, and the difference of two
# of those an interval, which does not cast to a number of days; `/` of two
# integers is a double (`//` divides integers).
DIALECT = [
    ("pairs.pair_key / 4294967296", "pairs.pair_key // 4294967296"),
    (
        "cast(reference_day.as_of - totals.last_purchase as bigint)",
        "date_diff('day', totals.last_purchase, reference_day.as_of)",
    ),
]


def in_duckdb_dialect(sql):
    for datafusion, duckdb_spelling in DIALECT:
        sql = sql.replace(datafusion, duckdb_spelling)
    return sql


def quoted(text):
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def main(plan_path):
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    con = duckdb.connect()
    con.execute(f"set threads = {int(plan['threads'])}")
    con.execute("set preserve_insertion_order = false")
    con.execute(f"set temp_directory = {quoted(plan['scratch'])}")
    if plan.get("memory_limit"):
        con.execute(f"set memory_limit = {quoted(plan['memory_limit'])}")
    started = time.perf_counter()
    con.execute(
        f"create view transactions as select * from read_parquet({quoted(plan['transactions'])},"
        " hive_partitioning = true, hive_types = {'year_month': 'varchar'})"
    )
    con.execute(f"create view category_rules as select * from read_parquet({quoted(plan['category_rules'])})")
    insights = []
    for model in plan["models"]:
        name = model["name"]
        if model["kind"] == "staging":
            con.execute(f'create view "{name}" as {in_duckdb_dialect(model["sql"])}')
            continue
        insight_started = time.perf_counter()
        try:
            con.execute(f'create table "{name}" as {in_duckdb_dialect(model["sql"])}')
            con.execute(f'copy "{name}" to {quoted(plan["output"] + "/" + name + ".parquet")} (format parquet)')
        except duckdb.Error as error:
            sys.exit(f"DuckDB failed on {name} ({model['path']}): {error}")
        rows = con.execute(f'select count(*) from "{name}"').fetchone()[0]
        insights.append({"name": name, "seconds": time.perf_counter() - insight_started, "rows": rows})
    result = {"engine": f"DuckDB {duckdb.__version__}", "seconds": time.perf_counter() - started, "insights": insights}
    with open(plan["result"], "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
