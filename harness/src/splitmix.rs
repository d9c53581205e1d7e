//! SplitMix64: the one small seeded generator of hapair's own draws (the switch's calls, a
//! sweep's fault schedules). Not the simulator's RNG (turmoil seeds its own): these draws are
//! made from a run's seed alone, so the same seed always draws the same.

/// SplitMix64: a small, well-mixed generator, enough to vary draws between seeds.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    /// The generator of stream `ordinal` of a run seeded `seed` (a switch step, a sweep's
    /// scenario): different streams of one seed draw independently.
    pub fn new(seed: u64, ordinal: u64) -> Self {
        let mut g = Self(seed ^ ordinal.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let state = g.next();
        Self(state)
    }

    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        // The top 53 bits: exactly representable.
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Whether an event of probability `p` happens.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A number in `[lo, hi]` (`lo` when `hi < lo`).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        let span = hi.saturating_sub(lo).saturating_add(1);
        lo.saturating_add(self.next().checked_rem(span).unwrap_or(0))
    }

    /// One of `items`, or `None` when there is none.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let len = u64::try_from(items.len()).unwrap_or(u64::MAX);
        let i = self.next().checked_rem(len)?;
        items.get(usize::try_from(i).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_and_streams_differ() {
        let draw = |seed, ordinal| {
            let mut g = SplitMix::new(seed, ordinal);
            (0..8).map(|_| g.next()).collect::<Vec<u64>>()
        };
        assert_eq!(draw(7, 0), draw(7, 0));
        assert_ne!(draw(7, 0), draw(7, 1));
        assert_ne!(draw(7, 0), draw(8, 0));
        let mut g = SplitMix::new(1, 0);
        for _ in 0..1000 {
            let u = g.unit();
            assert!((0.0..1.0).contains(&u));
            assert!((3..=5).contains(&g.between(3, 5)));
        }
        assert_eq!(g.pick::<u8>(&[]), None);
        assert_eq!(g.pick(&[4]), Some(&4));
    }
}
