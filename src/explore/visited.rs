//! Fingerprints and the visited set.
//!
//! A state's fingerprint is the 128-bit XXH3 hash of its canonical encoding. The visited set
//! keeps fingerprints only, never states: 16 bytes a state where a full state takes a few
//! hundred. With 128 bits, the chance that two of `n` distinct states share a fingerprint
//! (which would silently merge them and could hide a violation) is about `n^2 / 2^129`:
//! below 10^-20 for a billion states. Sixty-four bits, as Stateright uses, would make that
//! one in a few dozen at a billion states.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A state's fingerprint.
pub type Fingerprint = u128;

#[inline(never)]
pub fn fingerprint(encoded: &[u8]) -> Fingerprint {
    xxhash_rust::xxh3::xxh3_128(encoded)
}

/// The hash set's own hash of a fingerprint: its low half. The fingerprint is already a
/// good hash, so hashing it again would only cost time.
#[derive(Clone, Copy, Debug, Default)]
pub struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if something other than a u128 is hashed; fold it in all the same.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u128(&mut self, fp: u128) {
        self.0 = fp as u64;
    }
}

/// A set of fingerprints.
pub type FingerprintSet = HashSet<Fingerprint, BuildHasherDefault<FingerprintHasher>>;

/// Bytes a set of `capacity` takes: hashbrown keeps a power-of-two table, filled to 7/8 at
/// most, with one control byte per slot.
pub fn set_bytes(capacity: usize) -> u64 {
    let slots = capacity as u64 * 8 / 7;
    slots * (std::mem::size_of::<Fingerprint>() as u64 + 1)
}
