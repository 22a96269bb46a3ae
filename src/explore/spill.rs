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

/// One level's states, being written or read.
pub struct Spill {
    /// Made when the buffer first fills: a level that fits the buffer never reaches the
    /// file system, which spares the kernel's copies (a tenth of a small search's time).
    file: Option<File>,
    buffer: Vec<u64>,
    /// States written.
    pub states: u64,
    /// Bytes written.
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

    /// Appends one encoded state.
    pub fn push(&mut self, words: &[u64]) -> Result<(), String> {
        if self.buffer.len() + words.len() > BUFFER_WORDS {
            self.flush()?;
        }
        self.buffer.extend_from_slice(words);
        self.states += 1;
        self.bytes += 8 * words.len() as u64;
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
        Ok(SpillReader {
            on_disk: self.written / 8,
            end: if on_file { 0 } else { self.buffer.len() },
            file: self.file,
            buffer: self.buffer,
            at: 0,
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

    fn refill(&mut self) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot read the frontier back from disk: {e}");
        let (Some(file), true) = (&mut self.file, self.on_disk > 0) else {
            return Err("cannot read the frontier back from disk: it ends early".into());
        };
        let n = self.on_disk.min(BUFFER_WORDS as u64) as usize;
        // Zeroed once, on the first refill; later ones overwrite.
        if self.buffer.len() < n {
            self.buffer.resize(n, 0);
        }
        self.end = n;
        let words = &mut self.buffer[..n];
        // SAFETY: as in `as_le_bytes`; every byte pattern is a valid u64.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), n * 8) };
        file.read_exact(bytes).map_err(fail)?;
        for w in words.iter_mut() {
            *w = u64::from_le(*w);
        }
        self.on_disk -= n as u64;
        self.at = 0;
        Ok(())
    }

    /// Reads the next state into `out` (appended): its first word, then as many more as
    /// `len` says the first word announces.
    pub fn next(&mut self, out: &mut Vec<u64>, len: impl Fn(u64) -> usize) -> Result<(), String> {
        if self.at == self.end {
            self.refill()?;
        }
        let first = self.buffer[self.at];
        let mut need = len(first);
        while need > 0 {
            if self.at == self.end {
                self.refill()?;
            }
            let take = need.min(self.end - self.at);
            out.extend_from_slice(&self.buffer[self.at..self.at + take]);
            self.at += take;
            need -= take;
        }
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
