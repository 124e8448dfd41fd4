"""`make bench`: every figure in one table. Figures, not tests: nothing passes or fails on speed."""

from __future__ import annotations

import bench_aws
import bench_planner
import bench_runtime


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    planner_rate, load_ms, check_ms = bench_planner.measure()
    rows += [("planner, 100 000 invoices, one core", f"{planner_rate:,.0f} invoices/s", "≥ 100 000"),
             ("load + check the sample rules", f"{load_ms:.0f} ms (with templates: {check_ms:.0f} ms)", "< 200 ms")]
    for name, value, target in bench_aws.measure_rows():
        rows.append((name, value, target))
    seconds, messages, actions = bench_runtime.pipeline(10_000)
    rows.append(("local pipeline end to end, 10 000 invoices, one day",
                 f"{seconds:.1f} s ({actions} actions, {messages} messages; moto's time)", "—"))
    for handler in bench_runtime.HANDLERS:
        module = f"relance.handlers.{handler}"
        target = "≤ 300 ms" if handler in ("evaluator", "webhooks") else "—"
        lazy = "" if handler not in ("letter", "litigation") else (
            ", fpdf2 loaded at import!" if bench_runtime.fpdf_loaded_at_import(module) else ", fpdf2 only on render")
        rows.append((f"cold-start import: {handler}", f"{bench_runtime.import_ms(module):.0f} ms{lazy}", target))
    total, biggest = bench_runtime.package_size()
    rows.append(("function package (one CodeUri, every function)", f"{total:.1f} MB unzipped: "
                 + ", ".join(f"{k} {v:.1f}" for k, v in biggest), "< 250 MB"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'figure':<70} target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<70} {target}")


if __name__ == "__main__":
    main()
