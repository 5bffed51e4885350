"""The report's HTML: plain semantic markup, every value escaped, charts drawn by the
inlined Vega-Embed script. A chart that fails to render says so in place of the chart
(and on the console), so a broken report is visible to a reader and to the tests."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from html import escape

NO_DATA = "no data"
GRANGER_ALPHA = 0.05


@dataclass(frozen=True)
class Words:
    """The study's ids (technologies, segments, rules) and the words prose uses instead:
    "papers' code" for research_code, "PyTorch" for pytorch."""

    labels: dict[str, str] = field(default_factory=dict)

    def label(self, id_: str) -> str:
        return self.labels.get(id_, id_)

    def rule(self, rule: str) -> str:
        if rule in self.labels:
            return self.labels[rule]
        if rule.endswith("_apart"):
            return f"{self.label(rule.removesuffix('_apart'))} counted apart"
        return rule

    def prose(self, text: str) -> str:
        """`text` with every id replaced by its label; rivalry names (ids joined by
        hyphens) are left whole."""
        if not self.labels:
            return text
        return _id_pattern(tuple(sorted(self.labels))).sub(lambda m: self.labels[m[0]], text)


@functools.lru_cache(maxsize=8)
def _id_pattern(ids: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 12px; margin: 0; }
.table-wrap { overflow-x: auto; margin: 1em 0; max-width: 100%; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict-supported { color: #1b7837; font-weight: 600; }
.verdict-contradicted { color: #b2182b; font-weight: 600; }
.verdict-inconclusive { color: #666; font-weight: 600; }
.verdict-no-data { color: #999; font-style: italic; }
.reasons { font-size: 13px; }
details { display: inline; } details[open] { display: block; }
summary { cursor: pointer; color: #555; font-size: 12px; }
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
    words: Words | None = None,
) -> str:
    words = words or Words()
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
        _across(across, words) if across else "",
        "<h3>Rivalry by rivalry</h3>" if across else "",
        _answers(answers, words),
        "<h2>Verdicts, every pair of segments</h2>",
        VERDICT_GUIDE if hypotheses else "",
        _verdict_table(hypotheses, words, shown=answers)
        if hypotheses
        else "<p>No verdicts yet.</p>",
    ]
    if robustness:
        parts += [
            "<h2>Under the alternative counting rules</h2>",
            _verdict_table(robustness, words, with_rule=True),
        ]
    parts += ["<h2>Charts</h2>"]
    parts += [_figure(figure) for figure in figures] or ["<p>Nothing to draw yet.</p>"]
    parts += [
        "<h2>Crossovers</h2>",
        _crossover_table(crossovers, words) if crossovers else "<p>No crossovers computed yet.</p>",
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


def _across(across: Across, words: Words) -> str:
    found = across.summary
    survives = found.get("survives_leave_one_out")
    parts = [
        f'<p class="headline"><strong>{escape(words.prose(found["headline"]))}</strong></p>',
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
                [[*list(r.values())[:3], words.prose(r["why"])] for r in across.open_cases],
            )
        )
    if len(across.by_rule) > 1:
        parts.append("<h3>Under each counting rule</h3>")
        parts.append(
            _table(
                [
                    "rule",
                    "supported",
                    "contradicted",
                    "open",
                    "sign test p",
                    "conclusion",
                    "survives leaving one out",
                ],
                [
                    [
                        words.rule(r["rule"]),
                        r["supported"],
                        r["contradicted"],
                        r["open"],
                        _number(r["sign_p"], ".2f"),
                        r["conclusion"],
                        {True: "yes", False: "no"}.get(r["survives_leave_one_out"], ""),
                    ]
                    for r in across.by_rule
                ],
            )
        )
    return "\n".join(parts)


def _answers(answers: list[dict], words: Words) -> str:
    if not answers:
        return "<p>No answer yet: the analysis has no result for research vs industry.</p>"
    items = []
    for h in answers:
        verdict = h["verdict"]
        items.append(
            f"<li><strong>{escape(h['rivalry'])}</strong>: {_verdict_span(verdict)}: "
            f"{_reason(h, words)}{_counted_as(h)}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def _counted_as(h: dict) -> str:
    """Where the answer above counts the rivalry otherwise than its verdict reads."""
    outcome = h.get("counted_as")
    if outcome not in ("supported", "contradicted") or outcome == h["verdict"]:
        return ""
    return (
        f"<div><small>Counted as {_verdict_span(outcome)} in the answer above, which "
        "compares the two point crossovers alone.</small></div>"
    )


def _reason(h: dict, words: Words) -> str:
    """The reason's first clause (what decided the verdict) in the text, the evidence
    after it folded under a disclosure, so a list of twenty rivalries reads at a glance."""
    clauses = words.prose(_without_verdict(h["reason"], h["verdict"])).split("; ")
    decided = escape(clauses[0])
    if len(clauses) == 1:
        return decided
    evidence = "".join(f"<li>{escape(c)}</li>" for c in clauses[1:])
    return f"{decided} <details><summary>evidence</summary><ul>{evidence}</ul></details>"


def _without_verdict(reason: str, verdict: str) -> str:
    """The reason's words after its leading 'verdict:', which the page shows in colour."""
    prefix = f"{verdict}: "
    return reason[len(prefix) :] if reason.startswith(prefix) else reason


VERDICT_GUIDE = (
    "<p>The verdict follows the crossover test alone: did the lagging segment cross to the "
    "leading segment's favourite later (the lag's 95% interval above zero: supported), "
    "earlier (below zero: contradicted), or can it not be told (inconclusive)? The Granger "
    "test (does the leading series' past improve a prediction of the lagging one?), the "
    "out-of-sample forecast and the placebo rate are evidence reported beside it, so a "
    "supported verdict without a Granger link means the crossovers are ordered while the "
    "month-to-month changes do not show the lead. <em>No data</em>: a segment holds no "
    "data for the rivalry, so nothing was tested.</p>"
)


def _reasons(rows: list[dict], words: Words, with_rule: bool, shown: list[dict]) -> str:
    """Each pair's reason once: those already given under "Rivalry by rivalry" are not
    repeated, and pairs without data are listed together."""
    already = {(h["rivalry"], h["leading_segment"], h["lagging_segment"], h["rule"]) for h in shown}
    items, missing = [], {}
    for h in rows:
        if (h["rivalry"], h["leading_segment"], h["lagging_segment"], h["rule"]) in already:
            continue
        pair = (
            f"{escape(words.label(h['leading_segment']))} &rarr; "
            f"{escape(words.label(h['lagging_segment']))}"
        )
        rule = f" ({escape(words.rule(h['rule']))})" if with_rule else ""
        if h["verdict"] == NO_DATA:
            missing.setdefault(pair + rule, []).append(h["rivalry"])
            continue
        items.append(
            f"<li>{escape(h['rivalry'])}, {pair}{rule}: {_verdict_span(h['verdict'])}: "
            f"{_reason(h, words)}</li>"
        )
    items += [
        f"<li>{pair}: {_verdict_span(NO_DATA)} for {len(rivalries)} "
        f"{'rivalry' if len(rivalries) == 1 else 'rivalries'} ({escape(', '.join(rivalries))})</li>"
        for pair, rivalries in missing.items()
    ]
    return '<ul class="reasons">' + "".join(items) + "</ul>"


def _verdict_table(
    rows: list[dict], words: Words, with_rule: bool = False, shown: list[dict] = ()
) -> str:
    columns = [
        "rivalry",
        "leading → lagging",
        *(["rule"] if with_rule else []),
        "favourite",
        "crossovers",
        "lag, months (95% CI)",
        "crossover test",
        "best-aligning lag (95% CI)",
        "Granger test",
        "forecast",
        "placebo rate",
        "verdict",
    ]
    body = []
    for h in rows:
        body.append(
            [
                h["rivalry"],
                f"{words.label(h['leading_segment'])} → {words.label(h['lagging_segment'])}",
                *([words.rule(h["rule"])] if with_rule else []),
                h["favourite"],
                _crossovers(h),
                _interval(h["lag_months"], h["lag_low"], h["lag_high"]),
                _crossover_test(h),
                _interval(
                    h["best_alignment_lag"], h["best_alignment_low"], h["best_alignment_high"]
                ),
                _granger_test(h),
                _forecast(h),
                _number(h["placebo_rate"], ".1%"),
                Verdict(h["verdict"]),
            ]
        )
    return _table(columns, body) + _reasons(rows, words, with_rule, list(shown))


def _crossovers(h: dict) -> str:
    if h["lead_crossover"] is None:
        return ""
    return f"{_month(h['lead_crossover'])} → {_month(h['lag_crossover']) or 'not yet'}"


def _crossover_test(h: dict) -> str:
    """The crossover test's outcome in a few words; the verdict follows from it."""
    verdict, low, high = h["verdict"], h["lag_low"], h["lag_high"]
    if verdict == NO_DATA:
        return "no data"
    if verdict == "contradicted" and h["lag_crossover"] is None:
        return "another technology leads"
    if verdict == "supported":
        return "later (CI above 0)" if low is not None and low > 0 else "later"
    if verdict == "contradicted":
        return "earlier (CI below 0)" if high is not None and high < 0 else "earlier"
    if h["lag_months"] is not None and (low is None or low <= 0) and (high is None or high >= 0):
        return "CI includes 0"
    return "undecided (see why)"


def _granger_test(h: dict) -> str:
    if h["granger_p"] is None:
        return "not run"
    word = "link" if h["granger_p"] < GRANGER_ALPHA else "no link"
    return f"{word} (p = {h['granger_p']:.2f}, {h['n_months']} months)"


def _forecast(h: dict) -> str:
    if h["oos_improvement"] is None:
        return "not run"
    word = "helps" if h["oos_improvement"] > 0 else "no gain"
    return f"{word} ({h['oos_improvement']:+.0%})"


def _crossover_table(rows: list[dict], words: Words) -> str:
    columns = ["rivalry", "segment", "leader", "crossover (95% CI)", "latest share"]
    body = [
        [
            c["rivalry"],
            words.label(c["segment"]),
            c["leader_label"],
            _crossover_text(c),
            _number(c["latest_share"], ".1%"),
        ]
        for c in rows
    ]
    return _table(columns, body)


def _crossover_text(c: dict) -> str:
    if c["crossover_month"] is None:
        return c["status"]
    if c["status"] == "led throughout":
        return f"led throughout its data, from {_month(c['crossover_month'])}"
    low = _month(c["crossover_low"]) or _month(c["crossover_month"])
    high = _month(c["crossover_high"]) or "no upper bound (some resamples never crossed)"
    return f"{_month(c['crossover_month'])} ({low} to {high})"


def _verdict_span(verdict: str) -> str:
    return f'<span class="verdict-{_css(verdict)}">{escape(verdict)}</span>'


def _css(word: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-")


class Verdict(str):
    """A verdict cell, coloured by its value."""


def _table(columns: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _cell(value) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, Verdict):
        return f'<td class="verdict-{_css(value)}">{escape(value)}</td>'
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
    low_text = "no lower bound" if low is None else f"{low:.0f}"
    high_text = "no upper bound" if high is None else f"{high:.0f}"
    return f"{point} ({low_text} to {high_text})"
