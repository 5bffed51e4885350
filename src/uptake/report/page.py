"""The report's HTML: plain semantic markup, every value escaped, charts drawn by the
inlined Vega-Embed script. A chart that fails to render says so in place of the chart
(and on the console), so a broken report is visible to a reader and to the tests."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from html import escape

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict-supported { color: #1b7837; font-weight: 600; }
.verdict-contradicted { color: #b2182b; font-weight: 600; }
.verdict-inconclusive { color: #666; font-weight: 600; }
.reasons { font-size: 13px; }
.headline { font-size: 1.1em; }
.note { background: #fff7e0; border-left: 4px solid #e0a800; padding: .5em 1em; }
.chart-error { color: #b2182b; }
figure { margin: 1.5em 0; } figcaption { color: #555; font-size: 13px; }
"""

EMBED_SCRIPT = """
for (const element of document.querySelectorAll("div.chart")) {
  const spec = JSON.parse(document.getElementById("spec-" + element.dataset.chart).textContent);
  vegaEmbed(element, spec, {renderer: "svg", actions: false})
    .then(() => { element.dataset.rendered = "true"; })
    .catch((error) => {
      element.dataset.error = String(error);
      element.textContent = "This chart failed to render: " + error;
      element.className = "chart chart-error";
      console.error(error);
    });
}
"""


@dataclass(frozen=True)
class Figure:
    slug: str
    caption: str
    spec: dict


@dataclass(frozen=True)
class Across:
    """The answer across rivalries: one row of marts.meta_analysis and what explains it."""

    summary: dict
    open_cases: list[dict]
    by_rule: list[dict]


def render(
    *,
    title: str,
    generated_at: dt.datetime,
    answers: list[dict],
    across: Across | None = None,
    hypotheses: list[dict],
    robustness: list[dict],
    crossovers: list[dict],
    freshness: list[dict],
    caveats: list[str],
    notes: list[str],
    figures: list[Figure],
    vega_script: str,
    corpus_coverage: list[dict] | None = None,
) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        f"<script>{_inline_script(vega_script)}</script>",
        "</head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Does the research favourite become the industry favourite? Generated "
        f"{generated_at:%Y-%m-%d %H:%M} UTC from the warehouse, read-only.</p>",
        *[f'<p class="note">{escape(note)}</p>' for note in notes],
        "<h2>The answer</h2>",
        _across(across) if across else "",
        "<h3>Rivalry by rivalry</h3>" if across else "",
        _answers(answers),
        "<h2>Verdicts, every pair of segments</h2>",
        _verdict_table(hypotheses) if hypotheses else "<p>No verdicts yet.</p>",
    ]
    if robustness:
        parts += [
            "<h2>Under the alternative counting rules</h2>",
            _verdict_table(robustness, with_rule=True),
        ]
    parts += ["<h2>Charts</h2>"]
    parts += [_figure(figure) for figure in figures] or ["<p>Nothing to draw yet.</p>"]
    parts += [
        "<h2>Crossovers</h2>",
        _crossover_table(crossovers) if crossovers else "<p>No crossovers computed yet.</p>",
        "<h2>Mined repositories: coverage</h2>",
        "<p>Every repository uptake tried to mine, by cohort and outcome; those that could "
        "not be mined are counted with why in <code>marts.repos</code> "
        "(<code>mining_reason</code>).</p>"
        + _table(list(corpus_coverage[0]), [list(r.values()) for r in corpus_coverage])
        if corpus_coverage
        else "<p>No repository has been mined.</p>",
        "<h2>Data freshness</h2>",
        _table(list(freshness[0]), [list(r.values()) for r in freshness])
        if freshness
        else "<p>No source has been loaded.</p>",
        "<h2>Caveats</h2>",
        "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in caveats) + "</ul>",
        f"<script>{EMBED_SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _across(across: Across) -> str:
    found = across.summary
    survives = found.get("survives_leave_one_out")
    parts = [
        f'<p class="headline"><strong>{escape(found["headline"])}</strong></p>',
        "<p>The unit is a rivalry. Decided rivalries are those where the industry came to "
        "favour research's favourite after research did (supported) or before it "
        "(contradicted); open ones are still waiting, and count as censored lags in the "
        "Kaplan-Meier estimate, not as failures. Rivalries that share a technology are "
        f"not independent: with one vote per cluster of them, {found['clusters_supported']} "
        f"of {found['clusters_decided']} clusters side with research"
        + (
            f" (sign test p = {found['cluster_sign_p']:.2g})."
            if found["cluster_sign_p"] is not None
            else "."
        )
        + (
            " Leaving each rivalry out in turn "
            + ("does not change the conclusion." if survives else "changes the conclusion.")
            if survives is not None
            else ""
        )
        + "</p>",
    ]
    if across.open_cases:
        parts.append("<h3>Still open</h3>")
        parts.append(
            _table(
                ["rivalry", "research favourite", "months waiting", "why"],
                [list(r.values()) for r in across.open_cases],
            )
        )
    if len(across.by_rule) > 1:
        parts.append("<h3>Under each counting rule</h3>")
        parts.append(_table(list(across.by_rule[0]), [list(r.values()) for r in across.by_rule]))
    return "\n".join(parts)


def _answers(answers: list[dict]) -> str:
    if not answers:
        return "<p>No answer yet: the analysis has no result for research vs industry.</p>"
    items = []
    for h in answers:
        verdict = h["verdict"]
        items.append(
            f"<li><strong>{escape(h['rivalry'])}</strong>: "
            f'<span class="verdict-{escape(verdict)}">{escape(verdict)}</span>: '
            f"{escape(_without_verdict(h['reason'], verdict))}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def _without_verdict(reason: str, verdict: str) -> str:
    """The reason's words after its leading 'verdict:', which the page shows in colour."""
    prefix = f"{verdict}: "
    return reason[len(prefix) :] if reason.startswith(prefix) else reason


def _reasons(rows: list[dict], with_rule: bool) -> str:
    items = []
    for h in rows:
        rule = f" ({escape(h['rule'])})" if with_rule else ""
        items.append(
            f"<li>{escape(h['rivalry'])}, {escape(h['leading_segment'])} &rarr; "
            f"{escape(h['lagging_segment'])}{rule}: "
            f'<span class="verdict-{escape(h["verdict"])}">{escape(h["verdict"])}</span>: '
            f"{escape(_without_verdict(h['reason'], h['verdict']))}</li>"
        )
    return '<ul class="reasons">' + "".join(items) + "</ul>"


def _verdict_table(rows: list[dict], with_rule: bool = False) -> str:
    columns = [
        "rivalry",
        "leading",
        "lagging",
        *(["rule"] if with_rule else []),
        "favourite",
        "lead crossover",
        "lag crossover",
        "lag, months (95% CI)",
        "best-aligning lag (95% CI)",
        "Granger p",
        "months",
        "forecast gain",
        "placebo rate",
        "verdict",
    ]
    body = []
    for h in rows:
        body.append(
            [
                h["rivalry"],
                h["leading_segment"],
                h["lagging_segment"],
                *([h["rule"]] if with_rule else []),
                h["favourite"],
                _month(h["lead_crossover"]),
                _month(h["lag_crossover"]),
                _interval(h["lag_months"], h["lag_low"], h["lag_high"]),
                _interval(
                    h["best_alignment_lag"], h["best_alignment_low"], h["best_alignment_high"]
                ),
                _number(h["granger_p"], ".3f"),
                h["n_months"],
                _number(h["oos_improvement"], ".0%"),
                _number(h["placebo_rate"], ".1%"),
                Verdict(h["verdict"]),
            ]
        )
    return _table(columns, body) + _reasons(rows, with_rule)


def _crossover_table(rows: list[dict]) -> str:
    columns = ["rivalry", "segment", "leader", "status", "crossover (95% CI)", "latest share"]
    body = [
        [
            c["rivalry"],
            c["segment"],
            c["leader_label"],
            c["status"],
            f"{_month(c['crossover_month'])} ({_month(c['crossover_low']) or '?'} to "
            f"{_month(c['crossover_high']) or '?'})"
            if c["crossover_month"]
            else "",
            _number(c["latest_share"], ".1%"),
        ]
        for c in rows
    ]
    return _table(columns, body)


class Verdict(str):
    """A verdict cell, coloured by its value."""


def _table(columns: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, Verdict):
        return f'<td class="verdict-{escape(value)}">{escape(value)}</td>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, dt.datetime):
        return f"<td>{value:%Y-%m-%d %H:%M}</td>"
    return f"<td>{escape(str(value))}</td>"


def _figure(figure: Figure) -> str:
    slug = escape(figure.slug)
    return (
        f'<figure id="figure-{slug}">'
        f'<div class="chart" data-chart="{slug}"></div>'
        f'<script type="application/json" id="spec-{slug}">{_spec_json(figure.spec)}</script>'
        f"<figcaption>{escape(figure.caption)} "
        f'(<a href="charts/{slug}.svg">SVG</a>, <a href="charts/{slug}.png">PNG</a>)'
        f"</figcaption></figure>"
    )


def _spec_json(spec: dict) -> str:
    """JSON safe inside a script element: no '</script>' in the data can close it early."""
    return json.dumps(spec, default=str).replace("<", "\\u003c")


def _inline_script(script: str) -> str:
    return script.replace("</script", "<\\/script")


def _month(day) -> str:
    return "" if day is None else f"{day:%Y-%m}"


def _number(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _interval(point, low, high) -> str:
    if point is None:
        return ""
    low_text = "?" if low is None else f"{low:.0f}"
    high_text = "never" if high is None else f"{high:.0f}"
    return f"{point} ({low_text} to {high_text})"
