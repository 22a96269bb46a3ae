//! The frontier on disk: each level's encoded states in a temporary file that no directory
//! names.
//!
//! A level of a large search holds tens of millions of states at about a hundred bytes
//! each, several times what the visited set spends on them; kept in memory, the frontier
//! was most of the explorer's peak. It is only ever written in order (the merge appends
//! each new state) and read in order (the next level is expanded chunk by chunk), so a
//! file serves it well, and the page cache keeps what fits. Words go to the file a
//! buffer (1 MiB) at a time, and a level that never fills the buffer is read back from it
//! without touching the file system; the reader reuses the writer's buffer.
//!
//! **Each state is written as what changed since the one before.** States follow one
//! another in the order they were found, so neighbours are mostly siblings, reached from
//! one parent by events at different nodes, and share most of their words: the same
//! checker history, all acceptors but one, most messages. A state is written as a mask
//! word per 64 of its words, bit `i` set where word `i` differs from the word at the same
//! place in the state before, followed by those words only. That takes the two-ballot
//! proof's frontier on disk to about a third, and the kernel's copies with it.
//!
//! A level's file is used again for the level after the next (two files take turns),
//! written over from its start and cut to what that level wrote: the kernel then copies
//! into pages it already holds instead of finding and filling new ones, which took a
//! fresh file three times as long to write.
//!
//! The file is created in a fresh directory under the system's temporary directory, and
//! both are removed from the file system at once, before anything is written: the data
//! lives only as long as the open file, so nothing is left behind however the process
//! ends, by a normal return, an error, a second Ctrl-C that exits at once, or a kill.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Words of the writer's buffer, which the reader then reuses: 1 MiB.
const BUFFER_WORDS: usize = 1 << 17;

/// Words of a state one mask word covers.
const MASKED: usize = 64;

/// One level's states, being written or read.
pub struct Spill {
    /// Made when the buffer first fills: a level that fits the buffer never reaches the
    /// file system, which spares the kernel's copies (a tenth of a small search's time).
    file: Option<File>,
    buffer: Vec<u64>,
    /// The state written last, which the next is written against.
    last: Vec<u64>,
    /// States written.
    pub states: u64,
    /// Bytes written, as they are on disk (masks and changed words).
    pub bytes: u64,
    /// Bytes written to the file (the rest is in the buffer).
    written: u64,
}

/// Creates an empty file that no path names any more.
fn anonymous_file() -> Result<File, String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "paxos-safety-explore-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let fail = |e: std::io::Error| {
        format!(
            "cannot make a temporary file for the frontier in {}: {e}",
            dir.display()
        )
    };
    std::fs::create_dir(&dir).map_err(fail)?;
    let path = dir.join("frontier");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path);
    // Unlinked before anything is written (see the module docs); on an error, too.
    let removed = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
    let file = file.map_err(fail)?;
    removed.map_err(fail)?;
    Ok(file)
}

/// The words as little-endian bytes, in place (a no-op on little-endian machines).
fn as_le_bytes(words: &mut [u64]) -> &[u8] {
    for w in words.iter_mut() {
        *w = w.to_le();
    }
    // SAFETY: any initialised memory is valid as bytes, u8 needs no alignment, and the
    // byte slice covers exactly the words' memory, borrowed for as long as they are.
    unsafe { std::slice::from_raw_parts(words.as_ptr().cast(), std::mem::size_of_val(words)) }
}

impl Spill {
    pub fn new() -> Result<Spill, String> {
        Ok(Spill {
            file: None,
            buffer: Vec::with_capacity(BUFFER_WORDS),
            last: Vec::new(),
            states: 0,
            bytes: 0,
            written: 0,
        })
    }

    /// An empty level that writes over `file` (an earlier level's, from
    /// [`SpillReader::into_file`]) rather than making a new one.
    pub fn reusing(file: Option<File>) -> Result<Spill, String> {
        let mut spill = Spill::new()?;
        if let Some(mut f) = file {
            f.seek(SeekFrom::Start(0))
                .map_err(|e| format!("cannot write the frontier to disk: {e}"))?;
            spill.file = Some(f);
        }
        Ok(spill)
    }

    /// Appends one encoded state: for each 64 of its words, a mask of those that differ
    /// from the last state's, then those words (see the module docs).
    pub fn push(&mut self, words: &[u64]) -> Result<(), String> {
        let most = words.len() + words.len().div_ceil(MASKED);
        if self.buffer.len() + most > BUFFER_WORDS {
            self.flush()?;
        }
        let before = self.buffer.len();
        // Written through a slice as long as the most it can take, then cut: a push per
        // word, each checking the room, was most of the cost.
        self.buffer.resize(before + most, 0);
        let out = &mut self.buffer[before..];
        let mut j = 0;
        for (g, group) in words.chunks(MASKED).enumerate() {
            let last = self.last.get(g * MASKED..).unwrap_or_default();
            let same = group.len().min(last.len());
            // Words past the end of the state before are all written out.
            let mut mask = if group.len() == MASKED && same == 0 {
                u64::MAX
            } else {
                ((1u64 << (group.len() - same)) - 1).wrapping_shl(same as u32)
            };
            for (i, (w, l)) in group[..same].iter().zip(&last[..same]).enumerate() {
                mask |= u64::from(w != l) << i;
            }
            out[j] = mask;
            j += 1;
            let mut rest = mask;
            while rest != 0 {
                out[j] = group[rest.trailing_zeros() as usize];
                j += 1;
                rest &= rest - 1;
            }
        }
        self.buffer.truncate(before + j);
        self.last.clear();
        self.last.extend_from_slice(words);
        self.states += 1;
        self.bytes += 8 * (self.buffer.len() - before) as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(anonymous_file()?),
        };
        file.write_all(as_le_bytes(&mut self.buffer))
            .map_err(|e| format!("cannot write the frontier to disk: {e}"))?;
        self.written += 8 * self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Ends the writing; the states are then read back in order.
    pub fn into_reader(mut self) -> Result<SpillReader, String> {
        let fail = |e: std::io::Error| format!("cannot read the frontier back from disk: {e}");
        // A level that never filled the buffer stays in it, even with a file at hand.
        let on_file = self.written > 0;
        if on_file {
            self.flush()?;
        }
        if let Some(f) = &mut self.file {
            // What an earlier, larger level left beyond this one's end is given back, so
            // that the disk holds this level's states and no more.
            let cut = |e: std::io::Error| format!("cannot write the frontier to disk: {e}");
            if f.metadata().map_err(cut)?.len() > self.written {
                f.set_len(self.written).map_err(cut)?;
            }
            f.seek(SeekFrom::Start(0)).map_err(fail)?;
        }
        self.last.clear();
        Ok(SpillReader {
            on_disk: self.written / 8,
            end: if on_file { 0 } else { self.buffer.len() },
            file: self.file,
            buffer: self.buffer,
            at: 0,
            last: self.last,
            left: self.states,
        })
    }
}

/// Reads a level's states back, in the order they were written.
pub struct SpillReader {
    file: Option<File>,
    /// Words still in the file.
    on_disk: u64,
    /// Words read from the file (or never written to it), from `at` on not handed out yet.
    buffer: Vec<u64>,
    at: usize,
    /// End of the words in `buffer`.
    end: usize,
    /// The state read last, which the next was written against.
    last: Vec<u64>,
    left: u64,
}

impl SpillReader {
    /// The file, for a later level to write over (see [`Spill::reusing`]).
    pub fn into_file(self) -> Option<File> {
        self.file
    }

    /// States not read yet.
    pub fn left(&self) -> u64 {
        self.left
    }

    /// Makes sure the buffer holds at least `count` words from `at` on.
    #[inline]
    fn ensure(&mut self, count: usize) -> Result<(), String> {
        if self.end - self.at >= count {
            return Ok(());
        }
        self.refill(count)
    }

    /// [`SpillReader::ensure`] when the buffer is short: moves what is left of it to its
    /// start and reads the file after them.
    #[cold]
    fn refill(&mut self, count: usize) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot read the frontier back from disk: {e}");
        let kept = self.end - self.at;
        let Some(file) = &mut self.file else {
            return Err("cannot read the frontier back from disk: it ends early".into());
        };
        if (count - kept) as u64 > self.on_disk {
            return Err("cannot read the frontier back from disk: it ends early".into());
        }
        self.buffer.copy_within(self.at..self.end, 0);
        let n = (self.on_disk.min(BUFFER_WORDS.max(count) as u64) as usize).max(count - kept);
        // Zeroed once, on the first refill; later ones overwrite.
        if self.buffer.len() < kept + n {
            self.buffer.resize(kept + n, 0);
        }
        let words = &mut self.buffer[kept..kept + n];
        // SAFETY: as in `as_le_bytes`; every byte pattern is a valid u64.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), n * 8) };
        file.read_exact(bytes).map_err(fail)?;
        for w in words.iter_mut() {
            *w = u64::from_le(*w);
        }
        self.on_disk -= n as u64;
        self.at = 0;
        self.end = kept + n;
        Ok(())
    }

    /// Reads the next state into `out` (appended): its first word, then as many more as
    /// `len` says the first word announces, each one either written out or, where its
    /// mask bit is clear, the word at the same place in the state before.
    pub fn next(&mut self, out: &mut Vec<u64>, len: impl Fn(u64) -> usize) -> Result<(), String> {
        let corrupt = || "cannot read the frontier back from disk: a state is garbled".to_string();
        let start = out.len();
        let mut n = usize::MAX;
        let mut k = 0;
        while k < n {
            self.ensure(1)?;
            let mask = self.buffer[self.at];
            self.at += 1;
            if k == 0 {
                // The first word says how long the state is.
                let first = if mask & 1 == 1 {
                    self.ensure(1)?;
                    self.buffer[self.at]
                } else {
                    *self.last.first().ok_or_else(corrupt)?
                };
                n = len(first).max(1);
            }
            let group = (n - k).min(MASKED);
            if group < MASKED && mask >> group != 0 {
                return Err(corrupt());
            }
            let changed = mask.count_ones() as usize;
            self.ensure(changed)?;
            let words = &self.buffer[self.at..self.at + changed];
            let at = out.len();
            match self.last.get(k..k + group) {
                // Mostly: the state before is as long, so its words are copied and the
                // changed ones written over them.
                Some(before) => {
                    out.extend_from_slice(before);
                    let mut rest = mask;
                    for &w in words {
                        out[at + rest.trailing_zeros() as usize] = w;
                        rest &= rest - 1;
                    }
                }
                None => {
                    let mut j = 0;
                    for i in 0..group {
                        if (mask >> i) & 1 == 1 {
                            out.push(words[j]);
                            j += 1;
                        } else {
                            out.push(*self.last.get(k + i).ok_or_else(corrupt)?);
                        }
                    }
                }
            }
            self.at += changed;
            k += MASKED;
        }
        self.last.clear();
        self.last.extend_from_slice(&out[start..]);
        self.left -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_come_back_in_order_and_nothing_is_left_on_disk() {
        let before: Vec<_> = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("paxos-safety-explore-{}-", std::process::id()))
            })
            .collect();
        assert!(before.is_empty());
        let mut spill = Spill::new().unwrap();
        // The first word says how many words the state has.
        // More words than the buffer holds, so that most go through the file.
        let states: Vec<Vec<u64>> = (1..60_000u64)
            .map(|n| {
                (0..n % 7 + 1)
                    .map(|i| if i == 0 { n % 7 + 1 } else { n * i })
                    .collect()
            })
            .collect();
        for s in &states {
            spill.push(s).unwrap();
        }
        let left_over = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("paxos-safety-explore-{}-", std::process::id()))
            });
        assert!(!left_over, "the file is unlinked while in use");
        let mut reader = spill.into_reader().unwrap();
        for s in &states {
            let mut out = Vec::new();
            reader.next(&mut out, |w| w as usize).unwrap();
            assert_eq!(&out, s);
        }
        assert_eq!(reader.left(), 0);
    }

    /// Each state is written as what changed since the one before: neighbours that share
    /// most words take a fraction of their size, states of more than one mask's words and
    /// of changing lengths come back whole, and a mask that announces words past a state's
    /// end is refused rather than read as another state.
    #[test]
    fn states_are_written_as_their_changes_and_come_back_whole() {
        // The first word is the length; the rest mostly repeat the state before.
        let state = |i: u64, len: u64| -> Vec<u64> {
            (0..len)
                .map(|j| match j {
                    0 => len,
                    _ if j % 7 == i % 7 => i * 1000 + j,
                    _ => j,
                })
                .collect()
        };
        let states: Vec<Vec<u64>> = (0..50_000u64)
            .map(|i| state(i, [15, 15, 16, 70, 130, 1, 64, 65][(i / 100 % 8) as usize]))
            .collect();
        let raw: u64 = states.iter().map(|s| 8 * s.len() as u64).sum();
        let mut spill = Spill::new().unwrap();
        for s in &states {
            spill.push(s).unwrap();
        }
        assert!(
            spill.bytes > 8 * BUFFER_WORDS as u64,
            "part of it goes to the file"
        );
        assert!(
            spill.bytes * 2 < raw,
            "{} bytes written for {raw} bytes of states",
            spill.bytes
        );
        let mut reader = spill.into_reader().unwrap();
        for s in &states {
            let mut out = vec![7];
            reader.next(&mut out, |w| w as usize).unwrap();
            assert_eq!(&out[1..], s.as_slice(), "appended after what `out` held");
        }
        // A state of three words whose mask announces a fourth.
        let mut spill = Spill::new().unwrap();
        spill.push(&[3, 1, 2]).unwrap();
        spill.buffer[0] |= 1 << 3;
        let mut reader = spill.into_reader().unwrap();
        let err = reader.next(&mut Vec::new(), |w| w as usize).unwrap_err();
        assert!(err.contains("garbled"), "{err}");
        // A first state whose mask leaves a word to a state before that does not exist.
        let mut spill = Spill::new().unwrap();
        spill.push(&[2, 5]).unwrap();
        spill.buffer[0] = 0b01;
        spill.buffer.truncate(2);
        let mut reader = spill.into_reader().unwrap();
        assert!(reader.next(&mut Vec::new(), |w| w as usize).is_err());
    }

    /// A refill keeps the words not handed out yet, may take exactly the rest of the file,
    /// and refuses to take more than is there.
    #[test]
    fn a_refill_takes_up_to_the_rest_of_the_file_and_no_more() {
        let mut spill = Spill::new().unwrap();
        // States of two words whose second changes: a mask and that word each.
        for i in 0..BUFFER_WORDS as u64 / 2 + 1_000 {
            spill.push(&[2, i]).unwrap();
        }
        let mut reader = spill.into_reader().unwrap();
        let total = reader.on_disk as usize;
        assert!(total > BUFFER_WORDS, "{total} words, more than a buffer");
        let file: Vec<u64> = {
            let mut r = reader.file.as_ref().unwrap();
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes).unwrap();
            reader
                .file
                .as_mut()
                .unwrap()
                .seek(SeekFrom::Start(0))
                .unwrap();
            bytes
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
                .collect()
        };
        reader.ensure(1).unwrap();
        assert_eq!(reader.end, BUFFER_WORDS, "a refill reads a buffer's worth");
        // Three words not handed out yet, then exactly what is left on disk.
        reader.at = reader.end - 3;
        let rest = reader.on_disk as usize;
        assert_eq!(rest, total - BUFFER_WORDS);
        let more = reader.ensure(3 + rest + 1).unwrap_err();
        assert!(more.contains("ends early"), "{more}");
        reader.ensure(3 + rest).unwrap();
        assert_eq!((reader.at, reader.end, reader.on_disk), (0, 3 + rest, 0));
        assert_eq!(reader.buffer[..3 + rest], file[BUFFER_WORDS - 3..]);
    }

    /// Levels written over one file, larger, smaller and small enough for the buffer,
    /// each come back whole, and the file holds no more than the last level put there.
    #[test]
    fn a_reused_file_gives_back_each_level_and_no_more() {
        let level = |n: u64, width: u64| -> Vec<Vec<u64>> {
            (0..n)
                .map(|i| {
                    (0..width)
                        .map(|j| if j == 0 { width } else { i ^ j })
                        .collect()
                })
                .collect()
        };
        let mut file = None;
        for (n, width) in [
            (50_000, 6),
            (70_000, 5),
            (30_000, 4),
            (1_000, 3),
            (40_000, 7),
        ] {
            let states = level(n, width);
            let mut spill = Spill::reusing(file.take()).unwrap();
            for s in &states {
                spill.push(s).unwrap();
            }
            let bytes = spill.bytes;
            let mut reader = spill.into_reader().unwrap();
            let on_file = reader
                .file
                .as_ref()
                .map_or(0, |f| f.metadata().unwrap().len());
            if bytes > 8 * BUFFER_WORDS as u64 {
                assert_eq!(on_file, bytes, "{n} states of {width} words");
            } else {
                assert_eq!(
                    reader.on_disk, 0,
                    "a level that fits the buffer stays there"
                );
                assert_eq!(on_file, 0, "the larger level before is given back");
            }
            for s in &states {
                let mut out = Vec::new();
                reader.next(&mut out, |w| w as usize).unwrap();
                assert_eq!(&out, s);
            }
            assert_eq!(reader.left(), 0);
            file = reader.into_file();
        }
        assert!(file.is_some(), "the file made for the first level is kept");
    }
}
