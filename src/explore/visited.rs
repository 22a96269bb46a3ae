//! The visited set: fingerprints only, never states.
//!
//! An open-addressing table of 128-bit fingerprints with linear probing, kept at most 70%
//! full. Written out rather than taken from `std` because the explorer needs one thing the
//! standard set does not offer: [`FingerprintTable::prefetch`], a hint that brings in the
//! slot a fingerprint hashes to. The explorer computes all successors of a state first,
//! prefetching each one's slot as soon as its fingerprint is known, and only then looks
//! them up, so that the cache misses (the table is far larger than the cache) overlap with
//! work instead of each stalling a lookup. That took about a tenth off the time of a
//! search. Fingerprints are already uniform hashes, so the slot is their low bits, with no
//! hashing again; four slots share a cache line, so a probe sequence rarely leaves it.

use super::fingerprint::Fingerprint;

/// Slots hold fingerprints; zero marks an empty slot, so fingerprint zero is stored as one
/// (merging those two fingerprints, a 2^-127 event).
const EMPTY: u128 = 0;

#[derive(Clone, Debug)]
pub struct FingerprintTable {
    slots: Vec<u128>,
    len: usize,
}

impl Default for FingerprintTable {
    fn default() -> FingerprintTable {
        FingerprintTable::with_slots(1 << 10)
    }
}

fn key(fp: Fingerprint) -> u128 {
    fp.max(1)
}

impl FingerprintTable {
    fn with_slots(slots: usize) -> FingerprintTable {
        debug_assert!(slots.is_power_of_two());
        let table = FingerprintTable {
            slots: vec![EMPTY; slots],
            len: 0,
        };
        advise_huge_pages(&table.slots);
        table
    }

    fn home(&self, key: u128) -> usize {
        (key as usize) & (self.slots.len() - 1)
    }

    /// Bytes the table takes.
    pub fn bytes(&self) -> u64 {
        (self.slots.len() * std::mem::size_of::<u128>()) as u64
    }

    /// Asks the processor to bring in the slot `fp` hashes to, without waiting for it, so
    /// that a later [`FingerprintTable::insert`] or [`FingerprintTable::contains`] finds
    /// it in the cache.
    pub fn prefetch(&self, fp: Fingerprint) {
        #[cfg(target_arch = "x86_64")]
        {
            let slot: *const u128 = &self.slots[self.home(key(fp))];
            // SAFETY: a prefetch is a hint: it never faults, never writes, and hands nothing
            // back to the program, whatever the address (and this one is in bounds).
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(slot.cast())
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }

    pub fn contains(&self, fp: Fingerprint) -> bool {
        let key = key(fp);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.slots[i] {
                EMPTY => return false,
                k if k == key => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Adds `fp`; true when it was not there yet.
    pub fn insert(&mut self, fp: Fingerprint) -> bool {
        if (self.len + 1) * 10 > self.slots.len() * 7 {
            self.grow();
        }
        let key = key(fp);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.slots[i] {
                EMPTY => {
                    self.slots[i] = key;
                    self.len += 1;
                    return true;
                }
                k if k == key => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Empties the table, keeping its size.
    pub fn clear(&mut self) {
        if self.len > 0 {
            self.slots.fill(EMPTY);
            self.len = 0;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        *self = FingerprintTable::with_slots(old.len() * 2);
        for key in old.into_iter().filter(|&k| k != EMPTY) {
            self.insert(key);
        }
    }
}

/// Asks Linux to back a large table with 2 MiB pages. Every lookup lands on a random page
/// of a table tens or hundreds of MiB large, so with 4 KiB pages nearly every one also
/// misses the TLB and walks the page tables (expensive under virtualisation); huge pages
/// took about a tenth off the time of searches of a million states and more. The machine
/// gives huge pages only on request (`transparent_hugepage` set to `madvise`), hence this.
#[cfg(target_os = "linux")]
fn advise_huge_pages(slots: &[u128]) {
    const HUGE: usize = 2 << 20;
    let (start, len) = (slots.as_ptr() as usize, std::mem::size_of_val(slots));
    let (from, to) = (start.next_multiple_of(HUGE), (start + len) / HUGE * HUGE);
    if to > from {
        // SAFETY: the range lies inside the table's own allocation, and MADV_HUGEPAGE only
        // tells the kernel how to back those pages: no contents, mapping or permission the
        // program sees changes. A refusal is harmless, so the result is ignored.
        unsafe {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_slots: &[u128]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_each_fingerprint_once_across_growth() {
        let mut t = FingerprintTable::default();
        // Adjacent low bits collide in the home slot of a small table: probing must cope.
        let fps: Vec<u128> = (1..5000u128)
            .map(|i| i * 1024 + (i % 3) * (1 << 100))
            .collect();
        for &fp in &fps {
            assert!(t.insert(fp));
        }
        assert!(
            t.insert(0) && !t.insert(0) && !t.insert(1),
            "zero is stored as one"
        );
        for &fp in &fps {
            assert!(t.contains(fp) && !t.insert(fp));
        }
        assert!(!t.contains(7));
        assert_eq!(t.len, fps.len() + 1);
        t.clear();
        assert!(t.len == 0 && !t.contains(fps[0]));
    }
}
