//! Exponential backoff with jitter for transient renewal failures.

use std::time::Duration;

use rand::Rng;

/// Backoff policy: `base · 2^(failures−1)`, capped, with "equal jitter" (a random point in
/// the upper half) so that many connections failing together do not retry in lockstep.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// The first delay.
    pub base: Duration,
    /// The longest delay.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(600),
        }
    }
}

impl Backoff {
    /// The delay after `failures` consecutive failures (1 = the first), with jitter from `rng`.
    pub fn delay(&self, failures: u32, rng: &mut impl Rng) -> Duration {
        let exp = failures.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(rng.random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn delays_grow_exponentially_within_jitter_bounds_and_stop_at_the_cap() {
        let b = Backoff::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for failures in 1..=12 {
            let full = (b.base * (1 << (failures - 1).min(20))).min(b.cap);
            for _ in 0..50 {
                let d = b.delay(failures, &mut rng);
                assert!(
                    d >= full / 2 && d <= full,
                    "failure {failures}: {d:?} not in [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
        assert!(b.delay(1000, &mut rng) <= b.cap);
    }
}
