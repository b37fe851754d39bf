"""``kg demo`` (synthetic deals calibrated to the report) and ``kg report`` (the report's figures
regenerated from the loaded graph, beside the published numbers)."""
from __future__ import annotations

import click

from kg.cli import echo_json, open_configured_store, pass_config
from kg.config import Config
from kg.errors import InputError

__all__ = ["register", "demo", "report"]


def _yi(v: float) -> str:
    return f"{v / 1e8:,.1f}亿元"


@click.command()
@click.option("--deals", type=int, default=None, metavar="N",
              help="How many deals (default 752, the report's 2019 count; shares hold at any size).")
@click.option("--seed", type=int, default=None, metavar="S", help="Random seed (default 2019): same seed, same data.")
@click.option("--years", default=None, metavar="Y1-Y2",
              help="Years to generate (default 2016-2019; 2019 is always included and calibrated).")
@pass_config
def demo(config: Config, deals, seed, years):
    """Synthetic 2019 deals calibrated to the report's figures, marked synthetic.

    With --years (default 2016-2019) the years before 2019 too, sized by the report's core-industry
    value added (2018 vs 2019; before 2018 the same growth continued), with 2019's shape."""
    from kg.demo import DEFAULT_DEALS, DEFAULT_SEED, DEMO_YEARS, MAX_DEALS, run_demo

    deals = DEFAULT_DEALS if deals is None else deals
    seed = DEFAULT_SEED if seed is None else seed
    if not 1 <= deals <= MAX_DEALS:
        raise InputError(f"--deals must be between 1 and {MAX_DEALS:,} (got {deals:,})")
    if seed < 0:
        raise InputError(f"--seed must be 0 or more (got {seed})")
    span = _years(years) if years else DEMO_YEARS
    store = open_configured_store(config)
    bars = []

    def progress(total: int):
        from tqdm import tqdm

        bars.append(tqdm(total=total, desc="writing", unit="item", disable=None, leave=False))
        return bars[-1].update

    try:
        s = run_demo(store, deals, seed, progress=progress if deals > 20000 else None, years=span)
    finally:
        for bar in bars:
            bar.close()
    from kg.loading import prepare_reads

    prepare_reads(store)
    c = s["changes"]
    click.echo(f"demo (seed {seed}): {s['events']:,} events for {s['companies']:,} companies, "
               f"{s['companies_multi_round']:,} with two or more rounds; {s['disclosed_events']:,} disclosed, "
               f"{_yi(s['disclosed_amount_cny'])} in all")
    others = {y: v for y, v in s["years"].items() if y != 2019}
    if others:
        click.echo("other years (sized by the report's core-industry value added, 2019's shape): " + "; ".join(
            f"{y}: {v['events']:,} events, {_yi(v['disclosed_amount_cny'])}" for y, v in sorted(others.items())))
    click.echo(f"investors: the {s['investors_table5']} of Table 5 and {s['investors_synthetic']:,} synthetic ones "
               f"in {s['syndicates']:,} syndicates; {s['participations']:,} participations, {s['leads']:,} leads")
    if c["nodes_created"] or c["rels_created"] or c["nodes_updated"] or c["rels_updated"]:
        click.echo(f"written: {c['nodes_created']:,} nodes and {c['rels_created']:,} relationships created, "
                   f"{c['nodes_updated']:,} nodes and {c['rels_updated']:,} relationships updated "
                   f"(generated in {s['seconds']['generate']:.1f} s, written in {s['seconds']['write']:.1f} s)")
    else:
        click.echo("already loaded: nothing changed")
    click.echo(f"everything new is marked synthetic, source '{s['source']}'; compare with the report: kg report")


def _years(text: str) -> tuple[int, ...]:
    """``2016-2019``, ``2018,2019`` or ``2019`` as years (between 2000 and 2030)."""
    try:
        if "-" in text:
            a, b = (int(x) for x in text.split("-", 1))
            out = tuple(range(min(a, b), max(a, b) + 1))
        else:
            out = tuple(int(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        raise InputError(f"--years takes a span like 2016-2019 or a list like 2018,2019 (got {text!r})") from None
    if not out or not all(2000 <= y <= 2030 for y in out):
        raise InputError(f"--years must lie between 2000 and 2030 (got {text!r})")
    return out


@click.command()
@click.option("--year", type=int, default=2019, show_default=True, help="The year of the figures.")
@click.option("--json", "as_json", is_flag=True, help="All figures as one JSON object.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Also write a CSV per figure, one XLSX (a sheet per figure) and PNG charts into DIR.")
@pass_config
def report(config: Config, year, as_json, out_dir):
    """The report's figures from the loaded graph, beside the published numbers (2019)."""
    from kg.report import build_report, format_report, write_report

    store = open_configured_store(config)
    rep = build_report(store, year)
    written = write_report(rep, out_dir) if out_dir else None
    if as_json:
        echo_json({**rep, "written": written} if written else rep)
        return
    click.echo(format_report(rep))
    if not rep["events"]:
        click.echo(f"no venture events in {year}: load data first (kg load seed, kg load deals FILE, kg demo)",
                   err=True)
    if written:
        click.echo(f"\nwritten to {out_dir}: {len(written['csv'])} CSV, {written['xlsx']}, "
                   f"{len(written['png'])} PNG charts")
        for note in written["notes"]:
            click.echo(f"note: {note}", err=True)


def register(main: click.Group) -> None:
    main.add_command(demo)
    main.add_command(report)
