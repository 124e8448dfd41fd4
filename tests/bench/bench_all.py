"""`make bench`: every figure in one table, printed as it is measured. Figures, not tests."""

from __future__ import annotations

import bench_aws
import bench_coldstart
import bench_import
import bench_planner
import bench_portal
import bench_runtime

WIDTH = 62


def show(name: str, value: str, target: str = "—") -> None:
    print(f"{name:<{WIDTH}}  {value:<78} {target}", flush=True)


def spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def main() -> None:
    print(f"{'measure':<{WIDTH}}  {'figure':<78} target", flush=True)
    rate, load_ms, check_ms = bench_planner.measure()
    show("planner, 100 000 invoices, one core", f"{rate:,.0f} invoices/s", "≥ 100 000")
    try:
        versions = bench_planner.measure_versions()
    except RuntimeError as err:  # no git history (an exported tarball): the other figures still come
        show(f"planner vs {bench_planner.BASELINE}", f"not measured: {err}")
        versions = []
    for n, base, now in versions:
        show(f"planner vs {bench_planner.BASELINE}, {spaced(n)} invoices (5/customer), CPU",
             f"{now['rate']:,.0f} invoices/s vs {base['rate']:,.0f}: ×{now['rate'] / base['rate']:.2f} "
             f"({now['max_rss_mb']:,.0f} MB resident vs {base['max_rss_mb']:,.0f}; actions "
             f"{now['actions']:,} vs {base['actions']:,})", "≥ ×1.5")
    if versions:
        (small, base_small, now_small), (big, base_big, now_big) = versions[0], versions[-1]
        show(f"planner's rate at {spaced(big)} / at {spaced(small)} invoices",
             f"{now_big['rate'] / now_small['rate']:.2f} ({base_big['rate'] / base_small['rate']:.2f} for "
             f"{bench_planner.BASELINE})", "linear: near 1")
    plain, policy, planned, deferred = bench_planner.measure_contact()
    show("planner with the contact policy, 100 000 invoices (3/customer)",
         f"{policy:,.0f} invoices/s vs {plain:,.0f} without it: ×{plain / policy:.2f} the time "
         f"({planned:,} actions, {deferred:,} deferred; CPU, medians of 5 taking turns)", "≤ ×1.3")
    show("load + check the sample rules", f"{load_ms:.0f} ms (with every template rendered: {check_ms:.0f} ms)",
         "< 200 ms")
    sample_bytes, big_bytes, big_load_ms, big_check_ms = bench_planner.measure_big_rules()
    show(f"load + check a valid rule file of {big_bytes / 1e6:.2f} MB",
         f"{big_load_ms:,.0f} ms (templates: {big_check_ms:,.0f} ms) for {big_bytes / sample_bytes:,.0f}× the "
         f"sample's {sample_bytes / 1e3:.1f} kB ({load_ms:.0f} ms)", "linear (was 12 s)")
    for handler in bench_runtime.HANDLERS:
        module = f"relance.handlers.{handler}"
        note = ""
        if handler in ("letter", "litigation", "report"):
            note = ", fpdf2 loaded at import!" if bench_runtime.fpdf_loaded_at_import(module) else \
                ", fpdf2 only when it renders"
        show(f"cold-start import: {handler}", f"{bench_runtime.import_ms(module):.0f} ms{note}",
             "≤ 300 ms" if handler in ("evaluator", "webhooks") else "—")
    for row in bench_coldstart.measure():
        name = {"EvaluatorFunction": "evaluator, first shard job", "WebhookFunction": "webhook, first payment"}
        show(f"cold start, floor for the {row.function}: boto3 + its Powertools",
             f"{row.floor_ms:.0f} ms ({row.floor_clients_ms:.0f} ms with its clients "
             f"{', '.join(bench_coldstart.CLIENTS[row.function])} built)")
        show(f"cold start, {name[row.function]}: import + first request",
             f"{row.total_ms:.0f} ms = {row.import_ms:.0f} + {row.first_ms:.0f} ms: {row.ratio:.2f} × the floor "
             f"({row.ratio_with_clients:.2f} × with its clients)", "≤ 1.3 × the floor")
    total, biggest = bench_runtime.package_size()
    show("function package (one CodeUri: every function)",
         f"{total:.1f} MB unzipped; largest: " + ", ".join(f"{k} {v:.1f}" for k, v in biggest), "< 250 MB")
    total, biggest = bench_runtime.pdf_layer_size()
    show("PDF layer (letter and litigation functions only, no Pillow)",
         f"{total:.1f} MB unzipped; largest: " + ", ".join(f"{k} {v:.1f}" for k, v in biggest), "—")
    total, biggest = bench_runtime.render_layer_size()
    show("render layer (message-writing functions: Babel, templates' languages)",
         f"{total:.1f} MB unzipped; largest: " + ", ".join(f"{k} {v:.1f}" for k, v in biggest), "—")
    for row in bench_aws.measure_rows():
        show(*row)
    for row in bench_import.measure_rows():
        show(*row)
    for row in bench_portal.measure_rows():
        show(*row)
    seconds, messages, actions = bench_runtime.pipeline(10_000, due_every=200)
    show("local pipeline end to end, 10 000 invoices, one day",
         f"{seconds:.0f} s for {actions} actions in {messages} messages (moto's speed, not AWS's)")


if __name__ == "__main__":
    main()
