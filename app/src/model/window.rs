//! Which rows of a long table to put in the DOM: the ones on screen plus a margin. A page of
//! 1,000 jobs renders ~60 rows, and more as you scroll; spacers keep the scrollbar true.

/// Pages up to this many rows render whole (nothing is ever hidden from find-in-page or a
/// screen reader's table navigation in the usual 25/50/100-row views).
pub const WINDOW_FROM: usize = 200;
/// Rows rendered above and below the visible ones, so fast scrolling shows no gap.
pub const OVERSCAN: usize = 20;

/// `[start, end)` of the rows to render. `scrolled`: how far the first row's top is above
/// the viewport's top (negative while the table starts lower); `row_h` and `view_h` in the
/// same unit (CSS pixels).
pub fn visible(n: usize, row_h: f64, scrolled: f64, view_h: f64) -> (usize, usize) {
    if n <= WINDOW_FROM || row_h.is_nan() || row_h <= 0.0 {
        return (0, n);
    }
    let first = (scrolled.max(0.0) / row_h).floor() as usize;
    let shown = (view_h.max(0.0) / row_h).ceil() as usize + 1;
    let start = first.saturating_sub(OVERSCAN).min(n);
    let end = first.saturating_add(shown + OVERSCAN).min(n);
    (start, end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_pages_render_whole() {
        assert_eq!(visible(25, 40.0, 5000.0, 800.0), (0, 25));
        assert_eq!(visible(WINDOW_FROM, 40.0, 0.0, 800.0), (0, WINDOW_FROM));
    }

    #[test]
    fn long_pages_render_what_is_on_screen() {
        // Table below the fold, then at the top: the first screenful and the margin.
        assert_eq!(visible(1000, 40.0, -300.0, 800.0), (0, 21 + OVERSCAN));
        assert_eq!(visible(1000, 40.0, 0.0, 800.0), (0, 21 + OVERSCAN));
        // Scrolled to row 500: 21 rows fit in 800 px, plus the margin on both sides.
        assert_eq!(visible(1000, 40.0, 20_000.0, 800.0), (480, 541));
        // Past the end, and a bogus row height.
        assert_eq!(visible(1000, 40.0, 1e9, 800.0), (1000, 1000));
        assert_eq!(visible(1000, 0.0, 0.0, 800.0), (0, 1000));
        assert_eq!(visible(1000, f64::NAN, 0.0, 800.0), (0, 1000));
    }
}
