-- The 95% Wilson score interval of a proportion `share` observed over `n` independent
-- items, clipped to [0, 1] and widened, where rounding would exclude it, to contain the
-- share itself. Used by every mart that reports a share of counted items, so a month
-- with 4 papers is not read like a month with 400. z = 1.959964, the 95% two-sided
-- normal quantile.
create or replace macro wilson_low(share, n) as
    greatest(0.0, least(
        share,
        (share + 1.959964 ^ 2 / (2 * n)) / (1 + 1.959964 ^ 2 / n)
        - 1.959964 * sqrt(share * (1 - share) / n + 1.959964 ^ 2 / (4 * n ^ 2))
            / (1 + 1.959964 ^ 2 / n)
    ));

create or replace macro wilson_high(share, n) as
    least(1.0, greatest(
        share,
        (share + 1.959964 ^ 2 / (2 * n)) / (1 + 1.959964 ^ 2 / n)
        + 1.959964 * sqrt(share * (1 - share) / n + 1.959964 ^ 2 / (4 * n ^ 2))
            / (1 + 1.959964 ^ 2 / n)
    ));
