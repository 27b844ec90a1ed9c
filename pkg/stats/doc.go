// Package stats computes how one yes/no outcome changed between two
// interviews of the same people, with the uncertainty of that change.
//
// It is written for the Personal Outcome Measures (POM) interviews of
// It's My Life: each participant is interviewed at the start, at month 6
// and at month 12, and each interview records, for about twelve
// indicators, whether the outcome is present. This package compares two of
// those interviews (for example the first and the closing one) for one
// indicator at a time. It uses only the Go standard library.
//
// # Who is counted
//
// Only participants who answered the indicator at both interviews are
// counted. Someone who was not asked, or declined, at either interview is
// left out of that indicator's figures (see [Paired.AddAnswers]). Each
// counted participant falls in one of four groups, the fields of
// [Paired]:
//
//   - Both: the outcome was present at both interviews;
//   - Gained: absent at the first interview, present at the later one;
//   - Lost: present at the first interview, absent at the later one;
//   - Neither: absent at both.
//
// # The figures
//
//   - N ([Paired.N]): how many participants are counted.
//   - Share before and after ([Paired.Before], [Paired.After]): the
//     proportion of those N with the outcome present at the first and at
//     the later interview.
//   - Change ([Paired.Difference]): the share after minus the share before,
//     which is also (Gained − Lost) / N. A change of 0.15 means fifteen
//     percentage points more of these participants had the outcome at the
//     later interview.
//   - Confidence interval of the change ([Paired.DifferenceCI]): the range
//     of true changes that fit these answers, at the chosen confidence level
//     (95% unless a report says otherwise). If the whole range is above
//     zero, the data show an improvement beyond what chance alone would
//     easily produce; a range that includes zero means the data cannot tell
//     an improvement from no change or a decline. The method is Newcombe's
//     method 10 for paired proportions (Newcombe 1998, Statistics in
//     Medicine 17:2635–2650): a Wilson score interval for each of the two
//     shares, combined with an allowance for the fact that the same people
//     answered twice (the correlation between their two answers, with
//     Newcombe's adjustment). It stays between −1 and 1 and behaves well
//     for small groups and for shares near 0% or 100%.
//   - Confidence interval of a share ([Wilson]): the same idea for a single
//     share, by the Wilson score method (Wilson 1927, Journal of the
//     American Statistical Association 22:209–212; method 3 of Newcombe
//     1998, Statistics in Medicine 17:857–872).
//   - p-value ([Paired.McNemarP]): the exact McNemar test. Only people who
//     changed (Gained and Lost) carry information about change. If the
//     program made no difference, a change would be as likely to be a gain
//     as a loss, like a coin toss; the p-value is the chance of a split
//     between gains and losses at least as lopsided as the one seen (either
//     way). A small p-value (conventionally below 0.05) says such a split
//     would be surprising if nothing had changed. It is computed exactly
//     from the binomial distribution, not approximated.
//
// [Paired.Summarize] returns all of these together.
//
// # What the figures do not say
//
// A change between two interviews of the same people is not proof that the
// program caused it: there is no comparison group, and people may change
// for other reasons. The figures also say nothing about participants left
// out (those not interviewed at both times, or not answering). Each
// indicator has up to a one-in-twenty chance of p below 0.05 when nothing
// changed, so among twelve indicators one such result is not unusual.
//
// The package applies no small-cell suppression. Figures derived from
// counts can reveal the counts (with N known, the change and its p-value
// often pin down how many gained and lost), so publish them only where the
// counts themselves would be shown.
//
// # Undefined figures and bad input
//
// With no counted participants (N = 0) there is no share, change or
// interval: the functions return [ErrEmpty], never NaN, and a report should
// show the figure as not available. The p-value is 1 whenever no one
// changed, including when N = 0. Negative counts are rejected with
// [ErrNegative]; counts whose total does not fit in an int with
// [ErrTooLarge]. The confidence level must lie strictly between 0 and 1
// ([ErrLevel]); 0.95 uses z = 1.959963984540054 exactly, other levels the
// matching two-sided normal quantile.
package stats
