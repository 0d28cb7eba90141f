//! Charts: every model's report as an SVG picture, and one self-contained HTML report
//! (feature `charts`).
//!
//! Each chart is a function from a report the crate already produces to the text of one
//! `<svg>` element: a title, axes labelled with their units, a legend, a `<title>` and a
//! `<desc>` for screen readers, colours that stay apart in greyscale (distinct lightness,
//! hatching where two fills are close). The same report gives the same bytes: numbers are
//! written with fixed formatting, nothing reads a clock or a random source.
//!
//! Every mark carries machine-findable attributes (`class="bar" data-period=".."
//! data-stage=".." data-value=".."`, `class="cell" ...`), and every axis tick its value
//! (`class="tick" data-axis="y" data-value=".."`), so that a test — or a browser — can check
//! marks against the data and measure the scale.
//!
//! | chart | from |
//! |---|---|
//! | [`rfm_heatmap`] | [`crate::rfm::RfmScores`] |
//! | [`rfm_segments`] | [`crate::rfm::Segmentation`] |
//! | [`lifecycle_bars`] | [`crate::lifecycle::StageReport`] |
//! | [`lifecycle_waterfall`] | [`crate::lifecycle::Decomposition`] |
//! | [`retention_heatmap`] | [`crate::retention::RetentionReport`] |
//! | [`clv_matrix`] | a [`crate::ltv::TransactionModel`] |
//! | [`repeat_purchases`] | [`crate::ltv::BtydReport`] and [`crate::ltv::BgNbdParams`] |
//! | [`calibration_holdout`] | [`crate::ltv::BtydReport`] with a holdout and a model |
//! | [`quadrant_chart`] | [`crate::quadrant::QuadrantReport`] |
//! | [`pareto_curve`] | [`crate::metric::ValueReport`] |
//! | [`health_index`] | [`crate::ops::health::HealthReport`] |
//!
//! [`html::report`] folds an [`crate::engine::EventTable`] through every model and writes
//! one HTML file with all of them, inline SVG and CSS, no script, nothing fetched.

mod clv;
pub mod html;
mod lifecycle;
mod retention;
mod rfm;
pub(crate) mod svg;
mod value;

pub use clv::{MAX_MATRIX_CELLS, MatrixKind, calibration_holdout, clv_matrix, repeat_purchases};
pub use lifecycle::{lifecycle_bars, lifecycle_waterfall};
pub use retention::{MAX_COHORTS, retention_heatmap};
pub use rfm::{rfm_heatmap, rfm_segments};
pub use value::{health_index, pareto_curve, quadrant_chart};
