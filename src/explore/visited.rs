//! The visited set: fingerprints only, never states.
//!
//! Open-addressing tables with linear probing, kept at most 70% full. The top 12 bits of a
//! 128-bit fingerprint pick one of 4096 shards, and the shard stores the low 64 bits, so
//! 76 bits tell states apart in 8 bytes a slot. Two distinct states are taken for one
//! with probability about `n^2 / 2^77` over `n` states (2 * 10^-6 at 500 million states, 7 * 10^-6
//! at a billion); `explore` prints the bound for each search. The full 128 bits
//! of a slot were 16 bytes, between 23 and 46 bytes a state with the table's slack; at
//! 8 bytes, 11 to 23 when shards doubled, and 11 to 17 now that they grow by half (see
//! `Shard::grow`), which leaves room under the target of 32 bytes a state with the
//! parent links. Shards grow one at a time, so growing never holds two copies of the whole
//! table. The shards also split the table between threads: [`FingerprintTable::in_parts`]
//! gives each thread a contiguous range of shards to insert into, with no lock, since a
//! fingerprint's top bits name the one thread that may hold it.
//!
//! The tables are written out rather than taken from `std` because the explorer needs one thing the
//! standard set does not offer: [`FingerprintTable::prefetch`], a hint that brings in the
//! slot a fingerprint hashes to. The explorer computes all successors of a state first,
//! prefetching each one's slot as soon as its fingerprint is known, and only then looks
//! them up, so that the cache misses (the table is far larger than the cache) overlap with
//! work instead of each stalling a lookup. That took about a tenth off the time of a
//! search. Fingerprints are already uniform hashes, so a key's home slot is its high bits
//! scaled to the shard's size, with no hashing again; eight slots share a cache line, so a
//! probe sequence rarely leaves it.

use super::crew::Crew;
use super::fingerprint::Fingerprint;

/// Slots hold the low 64 bits of fingerprints; zero marks an empty slot, so a fingerprint
/// whose low half is zero is stored as one (merging two in 2^-76).
const EMPTY: u64 = 0;

/// Shards: the top bits of a fingerprint pick one, so those bits need not be stored.
const SHARD_BITS: u32 = 12;
const SHARDS: usize = 1 << SHARD_BITS;
/// Slots a shard starts with.
const MIN_SLOTS: usize = 8;

/// Bits of a fingerprint the table tells apart: the shard's and the stored 64.
pub const KEPT_BITS: u32 = SHARD_BITS + 64;

#[derive(Clone, Debug)]
pub struct FingerprintTable {
    /// Read by every thread at every lookup, written only when a shard grows.
    shards: Vec<Shard<u64>>,
    /// Keys per shard, written at every insert: apart from `shards`, whose headers share
    /// their cache lines with no count. Beside them (a shard's count next to its slots'
    /// address), each insert on one core took the line of four shards' headers away from
    /// the other, which read them at its next lookups: on two threads, where the lookups of
    /// a chunk's expansion follow its inserts on the other core, the search ran a tenth
    /// slower.
    counts: Vec<usize>,
    len: usize,
    /// Slots over all shards, kept as they grow: [`FingerprintTable::bytes`] is asked once
    /// per expanded state, and summing 4096 shards each time took a quarter of the search.
    slots: usize,
}

/// One open-addressing table, at most 70% full, of keys that are uniform hashes: a
/// visited-set shard's low 64 bits of fingerprints, or a [`ChunkSet`]'s whole ones. How
/// many keys it holds is kept by its owner (see [`FingerprintTable::counts`]): the header
/// is only the slots' address and number, 16 bytes, four to a cache line.
#[derive(Clone, Debug, Default)]
struct Shard<K> {
    slots: Box<[K]>,
}

/// What a [`Shard`] holds: a key, zero marking an empty slot.
trait Key: Copy + Eq {
    const EMPTY: Self;
    /// 64 uniform bits of the key, which pick its home slot.
    fn high(self) -> u64;
}

impl Key for u64 {
    const EMPTY: u64 = EMPTY;
    fn high(self) -> u64 {
        self
    }
}

impl Key for u128 {
    const EMPTY: u128 = 0;
    fn high(self) -> u64 {
        (self >> 64) as u64
    }
}

impl Default for FingerprintTable {
    fn default() -> FingerprintTable {
        FingerprintTable {
            shards: (0..SHARDS).map(|_| Shard::with_slots(MIN_SLOTS)).collect(),
            counts: vec![0; SHARDS],
            len: 0,
            slots: SHARDS * MIN_SLOTS,
        }
    }
}

fn split(fp: Fingerprint) -> (usize, u64) {
    ((fp >> (128 - SHARD_BITS)) as usize, (fp as u64).max(1))
}

impl<K: Key> Shard<K> {
    fn with_slots(slots: usize) -> Shard<K> {
        let shard = Shard {
            slots: vec![K::EMPTY; slots].into_boxed_slice(),
        };
        advise_huge_pages(&shard.slots);
        shard
    }

    /// The slot a key's probe starts at: its high bits scaled to the shard's size (a
    /// multiplication where a power-of-two size would take a mask, see [`Shard::grow`]).
    fn home(&self, key: K) -> usize {
        ((u128::from(key.high()) * self.slots.len() as u128) >> 64) as usize
    }

    /// The slot a probe goes on to from `i`.
    fn after(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() {
            0
        } else {
            i + 1
        }
    }

    /// Whether `key` is there; the shard must have slots (a visited-set shard always has).
    fn contains(&self, key: K) -> bool {
        let mut i = self.home(key);
        loop {
            match self.slots[i] {
                k if k == K::EMPTY => return false,
                k if k == key => return true,
                _ => i = self.after(i),
            }
        }
    }

    /// Adds `key` (not `K::EMPTY`) to the shard holding `len` keys, growing it first if
    /// needed; true, and `len` counts it, when it was not there yet.
    fn insert(&mut self, key: K, len: &mut usize) -> bool {
        if (*len + 1) * 10 > self.slots.len() * 7 {
            self.grow();
        }
        let new = self.place(key);
        *len += usize::from(new);
        new
    }

    /// Writes `key` into its slot unless it is there; true when it was not. The shard must
    /// have an empty slot.
    fn place(&mut self, key: K) -> bool {
        let mut i = self.home(key);
        loop {
            match self.slots[i] {
                k if k == K::EMPTY => {
                    self.slots[i] = key;
                    return true;
                }
                k if k == key => return false,
                _ => i = self.after(i),
            }
        }
    }

    /// Half as large again (an empty shard, [`MIN_SLOTS`]). Doubling left a shard between
    /// 35% and 70% full, so a search that ended just after most shards had doubled kept
    /// 23 bytes a state in the table alone; growing by half keeps it between 47% and 70%,
    /// at most 17 bytes a state.
    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        *self = Shard::with_slots((old.len() + old.len() / 2).max(MIN_SLOTS));
        for &key in old.iter().filter(|&&k| k != K::EMPTY) {
            self.place(key);
        }
    }

    /// Empties the shard holding `len` keys, keeping its size.
    fn clear(&mut self, len: &mut usize) {
        if *len > 0 {
            self.slots.fill(K::EMPTY);
            *len = 0;
        }
    }

    fn bytes(&self) -> u64 {
        std::mem::size_of_val(&*self.slots) as u64
    }
}

impl FingerprintTable {
    /// Bytes the table takes.
    pub fn bytes(&self) -> u64 {
        (self.slots * std::mem::size_of::<u64>()
            + SHARDS * (std::mem::size_of::<Shard<u64>>() + std::mem::size_of::<usize>()))
            as u64
    }

    /// Asks the processor to bring in the slot `fp` hashes to, without waiting for it, so
    /// that a later [`FingerprintTable::insert`] or [`FingerprintTable::contains`] finds
    /// it in the cache.
    pub fn prefetch(&self, fp: Fingerprint) {
        self.lookup().prefetch(fp);
    }

    /// Whether `fp` is there (the search asks through [`Lookup`]).
    #[cfg(test)]
    pub fn contains(&self, fp: Fingerprint) -> bool {
        self.lookup().contains(fp)
    }

    /// The shards' addresses, for a thread to keep on its own stack while the table is only
    /// read: looked up through the table, they sat beside the parent links, which the
    /// calling thread extends at every state it merges meanwhile, and each of its writes
    /// took the line from the thread looking up at every step.
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup {
            shards: &self.shards,
        }
    }

    /// Adds `fp`; true when it was not there yet.
    pub fn insert(&mut self, fp: Fingerprint) -> bool {
        let (i, key) = split(fp);
        let shard = &mut self.shards[i];
        let before = shard.slots.len();
        let new = shard.insert(key, &mut self.counts[i]);
        self.slots += shard.slots.len() - before;
        self.len += usize::from(new);
        new
    }
}

/// The table as the threads expanding a chunk read it (see [`FingerprintTable::lookup`]).
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    shards: &'a [Shard<u64>],
}

impl Lookup<'_> {
    /// As [`FingerprintTable::prefetch`].
    pub fn prefetch(&self, fp: Fingerprint) {
        let (shard, key) = split(fp);
        prefetch_slot(&self.shards[shard], key);
    }

    /// As [`FingerprintTable::contains`].
    pub fn contains(&self, fp: Fingerprint) -> bool {
        let (shard, key) = split(fp);
        self.shards[shard].contains(key)
    }
}

/// A share of the table's shards, which one thread inserts into while other threads insert
/// into theirs (see [`FingerprintTable::in_parts`]).
pub struct Part<'a> {
    shards: &'a mut [Shard<u64>],
    counts: &'a mut [usize],
    /// Number of the first shard.
    first: usize,
    added: usize,
    grown: usize,
}

impl Part<'_> {
    /// Whether `fp` belongs to this part's shards.
    pub fn owns(&self, fp: Fingerprint) -> bool {
        split(fp).0.wrapping_sub(self.first) < self.shards.len()
    }

    /// As [`FingerprintTable::prefetch`]; `fp` must be owned.
    pub fn prefetch(&self, fp: Fingerprint) {
        let (shard, key) = split(fp);
        prefetch_slot(&self.shards[shard - self.first], key);
    }

    /// As [`FingerprintTable::insert`]; `fp` must be owned.
    pub fn insert(&mut self, fp: Fingerprint) -> bool {
        let (i, key) = split(fp);
        let i = i - self.first;
        let shard = &mut self.shards[i];
        let before = shard.slots.len();
        let new = shard.insert(key, &mut self.counts[i]);
        self.grown += shard.slots.len() - before;
        self.added += usize::from(new);
        new
    }
}

impl FingerprintTable {
    /// Runs `work` on every thread of `crew` at once, each with its own part of the
    /// shards: a contiguous range of them, so thread `k` owns the fingerprints whose top
    /// bits fall in its range. Each fingerprint has one owner, so the threads insert
    /// without locks, and what each finds new depends only on the order it is handed its
    /// own fingerprints in. The results come back in part order.
    pub fn in_parts<R: Send>(
        &mut self,
        crew: &Crew,
        work: impl Fn(&mut Part<'_>) -> R + Sync,
    ) -> Vec<R> {
        let per = SHARDS.div_ceil(crew.threads().clamp(1, SHARDS));
        let work = &work;
        let run = move |i: usize, (shards, counts): (&mut [Shard<u64>], &mut [usize])| {
            let mut part = Part {
                shards,
                counts,
                first: i * per,
                added: 0,
                grown: 0,
            };
            let r = work(&mut part);
            (r, part.added, part.grown)
        };
        let run = &run;
        let mut parts = self
            .shards
            .chunks_mut(per)
            .zip(self.counts.chunks_mut(per))
            .enumerate();
        let (_, first) = parts.next().expect("a table has shards");
        let theirs: Vec<_> = parts.map(|(i, shards)| move || run(i, shards)).collect();
        // The first part on the calling thread, which would only wait otherwise.
        let (mine, theirs) = crew.run(theirs, || run(0, first));
        let done = std::iter::once(mine).chain(theirs);
        done.map(|(r, added, grown)| {
            self.len += added;
            self.slots += grown;
            r
        })
        .collect()
    }
}

/// The states one thread met in its blocks of a chunk (see the explorer's `Visited::Check`):
/// one small [`Shard`] of whole fingerprints. It holds the new states of one thread's
/// share of one chunk, a few thousand at the smaller chunks, so it stays in the cache; a
/// [`FingerprintTable`] there took 384 KiB a thread before its first insert (4096 shards
/// of 8 slots and their headers), which at the default bounds was a tenth of the
/// two-thread peak and took it over 32 bytes a state. Keeping all 128 bits keeps it from
/// ever merging two states the visited set tells apart.
#[derive(Clone, Debug, Default)]
pub struct ChunkSet {
    shard: Shard<u128>,
    len: usize,
}

impl ChunkSet {
    /// Adds `fp`; true when it was not there yet. Zero marks an empty slot, so a zero
    /// fingerprint is stored as one (merging two in 2^-128).
    pub fn insert(&mut self, fp: Fingerprint) -> bool {
        self.shard.insert(fp.max(1), &mut self.len)
    }

    /// Empties the set, keeping its size: the next chunk's share is about as large.
    pub fn clear(&mut self) {
        self.shard.clear(&mut self.len);
    }

    /// Bytes the set takes.
    pub fn bytes(&self) -> u64 {
        self.shard.bytes()
    }
}

fn prefetch_slot(shard: &Shard<u64>, key: u64) {
    #[cfg(target_arch = "x86_64")]
    {
        let slot: *const u64 = &shard.slots[shard.home(key)];
        // SAFETY: a prefetch is a hint: it never faults, never writes, and hands nothing
        // back to the program, whatever the address (and this one is in bounds).
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(slot.cast())
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (shard, key);
}

/// Asks Linux to back a large table with 2 MiB pages. Every lookup lands on a random page
/// of a table tens or hundreds of MiB large, so with 4 KiB pages nearly every one also
/// misses the TLB and walks the page tables (expensive under virtualisation); huge pages
/// took about a tenth off the time of searches of a million states and more. The machine
/// gives huge pages only on request (`transparent_hugepage` set to `madvise`), hence this.
#[cfg(target_os = "linux")]
fn advise_huge_pages<K>(slots: &[K]) {
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
fn advise_huge_pages<K>(_slots: &[K]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_set_holds_each_fingerprint_once_across_growth_and_clearing() {
        let mut set = ChunkSet::default();
        assert_eq!(set.bytes(), 0, "nothing before the first insert");
        // Equal low halves must stay apart: the set keeps the whole fingerprint.
        let fps: Vec<u128> = (1..3000u128)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835))
            .flat_map(|fp| [fp, fp ^ (1 << 100)])
            .collect();
        for &fp in &fps {
            assert!(set.insert(fp), "{fp:#x} is new");
        }
        assert!(
            set.insert(0) && !set.insert(0) && !set.insert(1),
            "zero is stored as one"
        );
        for &fp in &fps {
            assert!(!set.insert(fp), "{fp:#x} was met");
        }
        assert_eq!(set.len, fps.len() + 1);
        let grown = set.bytes();
        // Grown by half from 8 slots to the first size that holds 5,999 at most 70% full.
        assert_eq!(set.shard.slots.len(), 11_623);
        assert_eq!(grown, 16 * 11_623);
        set.clear();
        assert_eq!((set.len, set.bytes()), (0, grown), "cleared, not shrunk");
        assert!(fps.iter().all(|&fp| set.insert(fp)), "cleared means empty");
    }

    /// Homes spread keys over the whole shard, whatever its size (not a power of two since
    /// shards grow by half), and a probe that reaches the last slot goes on at the first:
    /// were every key sent to one slot, the set would still be right but each lookup would
    /// walk the whole cluster. Growing faster would be right too, and cost memory.
    #[test]
    fn homes_spread_keys_probes_wrap_and_shards_grow_by_half() {
        for len in [8, 12, 18, 27, 40, 60] {
            let shard = Shard::with_slots(len);
            // The middle of the `i`-th of `len` equal ranges of keys.
            let key = |i: usize| ((((i as u128) << 64) + (1 << 63)) / len as u128) as u64;
            let homes: Vec<usize> = (0..len).map(|i| shard.home(key(i))).collect();
            assert_eq!(homes, (0..len).collect::<Vec<_>>(), "{len} slots");
            assert_eq!(shard.after(len - 1), 0);
            assert_eq!(shard.after(len / 2), len / 2 + 1);
        }
        // Keys homed at the last slot: the second goes round to the first.
        let mut shard = Shard::with_slots(12);
        let last = u64::MAX - 1;
        assert_eq!(shard.home(last), 11);
        let mut len = 0;
        assert!(shard.insert(last, &mut len) && shard.insert(last - 1, &mut len));
        assert_eq!((shard.slots[11], shard.slots[0]), (last, last - 1));
        assert!(shard.contains(last - 1) && !shard.insert(last - 1, &mut len));
        assert_eq!(len, 2);
        assert!(!shard.contains(last - 2));
        // A shard grows by half, when an insert would take it past 70% full.
        let mut shard = Shard::with_slots(MIN_SLOTS);
        let mut sizes = vec![shard.slots.len()];
        let mut len = 0;
        for i in 1..=30u64 {
            assert!(shard.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), &mut len));
            assert!(len * 10 <= shard.slots.len() * 7);
            if sizes.last() != Some(&shard.slots.len()) {
                sizes.push(shard.slots.len());
            }
        }
        assert_eq!(sizes, [8, 12, 18, 27, 40, 60]);
    }

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
        // The top bits pick the shard: equal low halves in different shards are distinct.
        assert!(t.insert(1u128 << 120) && t.insert((1u128 << 127) | 5));
        for &fp in &fps {
            assert!(t.contains(fp) && !t.insert(fp));
        }
        assert!(!t.contains(7));
        assert_eq!(t.len, fps.len() + 3);
        // The kept slot count is the shards' (the size of the table, used for --max-memory).
        let slots = |t: &FingerprintTable| t.shards.iter().map(|s| s.slots.len()).sum::<usize>();
        assert!(slots(&t) > SHARDS * MIN_SLOTS, "some shard grew");
        assert_eq!(t.slots, slots(&t));
        // Parts insert what the whole table would, and keep its counts.
        let mut whole = FingerprintTable::default();
        let mut parted = FingerprintTable::default();
        let more: Vec<u128> = (0..20_000u128)
            .map(|i| (i % 15_000).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835))
            .collect();
        let new_whole: Vec<bool> = more.iter().map(|&fp| whole.insert(fp)).collect();
        let found = parted.in_parts(&Crew::new(3).unwrap(), |part| {
            let mut found = Vec::new();
            for (i, &fp) in more.iter().enumerate() {
                if part.owns(fp) {
                    found.push((i, part.insert(fp)));
                }
            }
            found
        });
        let mut new_parted = vec![None; more.len()];
        for (i, new) in found.into_iter().flatten() {
            assert!(
                new_parted[i].replace(new).is_none(),
                "one owner per fingerprint"
            );
        }
        assert_eq!(
            new_parted,
            new_whole.iter().map(|&n| Some(n)).collect::<Vec<_>>()
        );
        assert_eq!((parted.len, parted.slots), (whole.len, whole.slots));
        assert_eq!(parted.slots, slots(&parted));
        // Each shard's count is its own keys: the parts kept them, not only the total.
        for t in [&t, &whole, &parted] {
            let held = |s: &Shard<u64>| s.slots.iter().filter(|&&k| k != EMPTY).count();
            let counts: Vec<usize> = t.shards.iter().map(held).collect();
            assert_eq!(t.counts, counts);
        }
    }
}
