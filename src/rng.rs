//! The one random number generator that decides anything in an execution.
//!
//! ChaCha8 from `rand_chacha`, seeded from a `u64`, behind three integer methods. Every
//! decision goes through [`Prng::below`] (Lemire's multiply-shift, written out here rather
//! than borrowed from `rand`'s distributions, so that a `rand` upgrade cannot silently change
//! which execution a seed means) and probabilities are integer ratios per mille, never floats.
//! `tests/suite/determinism.rs` pins the first draws for a fixed seed.

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The simulator's PRNG.
#[derive(Clone, Debug)]
pub struct Prng(ChaCha8Rng);

impl Prng {
    pub fn new(seed: u64) -> Prng {
        Prng(ChaCha8Rng::seed_from_u64(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform integer in `0..n`; `n` must be at least 1.
    pub fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        // Lemire: the high half of a 32x32 product is uniform once the biased low
        // remainders are rejected.
        let n64 = u64::from(n);
        loop {
            let x = u64::from(self.0.next_u32());
            let m = x * n64;
            let low = m as u32;
            if low >= n || low >= n.wrapping_neg() % n {
                return (m >> 32) as u32;
            }
        }
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u16) -> bool {
        per_mille > 0 && self.below(1000) < u32::from(per_mille)
    }

    /// One element of a non-empty menu.
    pub fn pick<T: Copy>(&mut self, menu: &[T]) -> T {
        menu[self.below(menu.len() as u32) as usize]
    }
}

/// Seeds the tool prints or writes are below this: 2^53, the largest range of integers
/// a JSON reader that holds numbers as doubles (jq, JavaScript) reads exactly. A seed
/// above it would come back rounded, and replaying the rounded seed would silently run
/// another execution.
pub const SEED_LIMIT: u64 = 1 << 53;

/// The seed of execution `index` of the campaign with seed `campaign`: two rounds of
/// SplitMix64, so neighbouring indices and neighbouring campaign seeds give unrelated
/// executions, and any execution can be rerun alone from its own seed. The top 11 bits
/// are dropped so that the seed is below [`SEED_LIMIT`] and survives every JSON reader.
pub fn execution_seed(campaign: u64, index: u64) -> u64 {
    splitmix64(splitmix64(campaign) ^ index) >> 11
}

/// `Err` with an explanation when a seed given by the user is not below [`SEED_LIMIT`].
pub fn check_seed(flag: &str, seed: u64) -> Result<u64, String> {
    if seed < SEED_LIMIT {
        Ok(seed)
    } else {
        Err(format!(
            "{flag} must be below 2^53 = {SEED_LIMIT}, got {seed}: JSON readers that hold \
             numbers as doubles (jq, JavaScript) would round a larger seed, and the rounded \
             seed is another execution"
        ))
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
