"""What each mart written by `uptake analyze` means, column by column.

The SQL models carry this in their header comments; these marts are written from Python,
so their headers live here. Both reach the warehouse's catalog (COMMENT ON) and the
README's mart reference. analysis.tables checks that every column is documented.
"""

from __future__ import annotations

from uptake.warehouse.catalog import TableDoc

RULE = "the analysis rule: 'main', or a study variant such as 'keras_apart'"
PAIR = {
    "leading_segment": "the segment expected to lead (e.g. research_code)",
    "lagging_segment": "the segment expected to follow (e.g. industry_downloads)",
}

TABLE_DOCS: dict[str, TableDoc] = {
    "marts.crossovers": TableDoc(
        "Each rivalry's leader per segment and the month it took over for good: the earliest "
        "month above one half after which no dip lasts more than blip_months and the mean "
        "share stays above one half, with a 95% parametric-bootstrap interval.",
        "one row per rivalry, segment and rule",
        {
            "rivalry": "the rivalry, as named in the study",
            "segment": "the adoption segment",
            "leader": "the technology above one half in the latest month; null when none is",
            "status": "crossed over, led throughout, no majority or no data",
            "crossover_month": "the month the leader took over (its first month when it led throughout)",
            "crossover_low": "lower end of the crossover's 95% interval",
            "crossover_high": "upper end of the crossover's 95% interval; null when some draws never crossed",
            "firm_crossover_month": "first month from which the share's lower bound stays above one half; null when never",
            "n_months": "months with data in the segment",
            "first_month": "first month with data",
            "latest_month": "latest month with data",
            "latest_share": "the leader's share in the latest month",
            "reason": "the finding in words",
            "rule": RULE,
        },
    ),
    "marts.hypothesis_results": TableDoc(
        "The test of 'the leading segment's favourite becomes the lagging segment's', per "
        "rivalry and pair of segments: crossover lag, best-aligning lag, a Granger-type "
        "test with its placebo rate, an out-of-sample forecast check, and the verdict.",
        "one row per rivalry, pair of segments and rule",
        {
            "rivalry": "the rivalry, as named in the study",
            **PAIR,
            "technology": "the leading segment's favourite (its leader); null when it has none",
            "lead_crossover": "the favourite's crossover month in the leading segment",
            "lag_crossover": "the favourite's crossover month in the lagging segment; null when it has not crossed there",
            "lag_months": "lag_crossover minus lead_crossover, in months",
            "lag_low": "lower end of the crossover lag's 95% bootstrap interval",
            "lag_high": "upper end of the crossover lag's 95% interval; null when unbounded",
            "best_alignment_lag": "the lag in months at which changes in the two segments' log-odds correlate most strongly",
            "best_alignment_low": "lower end of the best-aligning lag's 95% block-bootstrap interval",
            "best_alignment_high": "upper end of the best-aligning lag's 95% block-bootstrap interval",
            "granger_f": "F statistic of the leading segment's past in the Granger-type test",
            "granger_p": "its p-value, Bonferroni-adjusted for the shifts searched",
            "granger_lags": "own lags of the lagging series, chosen by BIC",
            "granger_shift": "the shift in months at which the leading series entered",
            "n_months": "months used by the Granger-type test",
            "oos_rmse_own": "one-step-ahead RMSE of the lagging share from its own past, in share points",
            "oos_rmse_with_lead": "the same with the leading segment's past added",
            "oos_improvement": "1 - oos_rmse_with_lead / oos_rmse_own; above 0 when the lead helps",
            "placebo_rate": "share of placebo runs in which the test found a link (calibration; about alpha is right)",
            "verdict": "supported, contradicted, inconclusive (tests that cannot decide) or no data (a segment without data)",
            "reason": "the verdict's reasons in words",
            "rule": RULE,
        },
    ),
    "marts.placebo_results": TableDoc(
        "The Granger-type test run on leading series that carry no link to the lagging one: "
        "block-shuffled in time, or another rivalry's series.",
        "one row per rivalry, pair of segments, placebo kind and rule",
        {
            "rivalry": "the rivalry, as named in the study",
            **PAIR,
            "kind": "time_shuffled or swapped_rivalry",
            "runs": "placebo runs",
            "detections": "runs in which the test found a link (adjusted p below alpha)",
            "rate": "detections / runs",
            "alpha": "the significance level of the test",
            "rule": RULE,
        },
    ),
    "marts.analysis_settings": TableDoc(
        "The settings each rule's analysis ran with, so every figure can be reproduced.",
        "one row per rule",
        {
            "rule": RULE,
            "seed": "the random seed of every bootstrap and placebo",
            "resamples": "bootstrap draws per interval",
            "placebo_runs": "placebo runs per pair and kind",
            "alpha": "the significance level",
            "blip_months": "the longest dip below one half that does not undo a crossover",
            "max_lag_months": "the longest lead or lag searched, in months",
            "min_granger_months": "fewest usable months for the Granger-type test",
            "block_months": "months per block in the block bootstrap and the shuffled placebo",
        },
    ),
    "marts.meta_analysis": TableDoc(
        "The answer across rivalries for each pair of segments: how many rivalries support "
        "or contradict 'the favourite of one becomes the favourite of the other', a sign "
        "test with its Clopper-Pearson interval, the same by cluster of related rivalries, "
        "the Kaplan-Meier median time to follow, and leave-one-out.",
        "one row per pair of segments and rule",
        {
            **PAIR,
            "rule": RULE,
            "rivalries": "rivalries in the study",
            "supported": "rivalries where the leading favourite later led the lagging segment too",
            "contradicted": "rivalries where the lagging segment favoured it first: adoption went the other way",
            "open": "rivalries where the lagging segment does not (yet) favour it: a right-censored lag",
            "order_unknown": "rivalries where both favour it but a series starts too late to say which moved first",
            "no_data": "rivalries with no data in a segment, or no majority in the leading one",
            "share_supported": "supported / (supported + contradicted)",
            "share_low": "lower end of the share's 95% Clopper-Pearson interval",
            "share_high": "upper end of the share's 95% Clopper-Pearson interval",
            "sign_p": "two-sided sign test p-value of supported against contradicted",
            "clusters_decided": "clusters of rivalries sharing a technology with a majority outcome",
            "clusters_supported": "of those, clusters whose majority is supported",
            "cluster_sign_p": "sign test p-value with one vote per cluster",
            "median_lag_months": "Kaplan-Meier median months for the lagging segment to follow; null when not reached",
            "median_lag_low": "lower end of the median's 95% interval",
            "median_lag_high": "upper end of the median's 95% interval; null when unbounded",
            "leave_one_out_p_min": "smallest sign test p-value with one rivalry left out",
            "leave_one_out_p_max": "largest sign test p-value with one rivalry left out",
            "survives_leave_one_out": "the conclusion holds whichever rivalry is left out",
            "conclusion": "the conclusion in a few words",
            "headline": "the answer in one sentence",
            "is_headline": "the pair the report and the CLI lead with",
        },
    ),
    "marts.meta_rivalries": TableDoc(
        "Each rivalry's outcome in the answer across rivalries.",
        "one row per pair of segments, rule and rivalry",
        {
            **PAIR,
            "rule": RULE,
            "rivalry": "the rivalry, as named in the study",
            "cluster": "the cluster of rivalries connected through shared technologies",
            "favourite": "the leading segment's favourite",
            "outcome": "supported, contradicted, open, order unknown or no data",
            "lag_months": "months from the leading to the lagging crossover; when open, to the lagging segment's latest month",
            "censored": "the lag is right-censored: the lagging segment has not followed yet",
            "lead_crossover": "the favourite's crossover month in the leading segment",
            "lag_crossover": "the crossover month in the lagging segment, when decided",
            "why": "the outcome's reason in words",
        },
    ),
    "marts.meta_survival": TableDoc(
        "The Kaplan-Meier curve of the time for the lagging segment to follow, with "
        "Greenwood log-log 95% bands; it starts at 1 at lag 0.",
        "one row per pair of segments, rule and lag at which the curve steps",
        {
            **PAIR,
            "lag_months": "months since the leading crossover",
            "at_risk": "rivalries not yet followed nor censored just before this lag",
            "events": "rivalries followed at this lag",
            "survival": "estimated share of rivalries not yet followed",
            "survival_low": "lower end of the 95% band",
            "survival_high": "upper end of the 95% band",
            "rule": RULE,
        },
    ),
}
