//! The procedures against PSPP 1.6.2 (to the precision it prints) and scipy/statsmodels (to
//! 1e-9 relative), on generated data. Both tools are mandatory under CI (`CI=true`); elsewhere a
//! missing tool is reported and its comparisons are skipped.

#[path = "stats/descriptive.rs"]
mod descriptive;
#[path = "stats/harness.rs"]
mod harness;
#[path = "stats/inferential.rs"]
mod inferential;
