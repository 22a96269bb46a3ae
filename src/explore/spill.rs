//! The frontier on disk: each level's encoded states in a temporary file that no directory
//! names.
//!
//! A level of a large search holds tens of millions of states at about a hundred bytes
//! each, several times what the visited set spends on them; kept in memory, the frontier
//! was most of the explorer's peak. It is only ever written in order (the merge appends
//! each new state) and read in order (the next level is expanded chunk by chunk), so a
//! file serves it well, and the page cache keeps what fits.
//!
//! The file is created in a fresh directory under the system's temporary directory, and
//! both are removed from the file system at once, before anything is written: the data
//! lives only as long as the open file, so nothing is left behind however the process
//! ends, by a normal return, an error, a second Ctrl-C that exits at once, or a kill.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of the writer's and the reader's buffers.
const BUFFER: usize = 1 << 20;

/// One level's states, being written or read.
pub struct Spill {
    writer: BufWriter<File>,
    /// States written.
    pub states: u64,
    /// Bytes written.
    pub bytes: u64,
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

impl Spill {
    pub fn new() -> Result<Spill, String> {
        Ok(Spill {
            writer: BufWriter::with_capacity(BUFFER, anonymous_file()?),
            states: 0,
            bytes: 0,
        })
    }

    /// Appends one encoded state.
    pub fn push(&mut self, words: &[u64]) -> Result<(), String> {
        for w in words {
            self.writer
                .write_all(&w.to_le_bytes())
                .map_err(|e| format!("cannot write the frontier to disk: {e}"))?;
        }
        self.states += 1;
        self.bytes += 8 * words.len() as u64;
        Ok(())
    }

    /// Ends the writing; the states are then read back in order.
    pub fn into_reader(self) -> Result<SpillReader, String> {
        let fail = |e: std::io::Error| format!("cannot read the frontier back from disk: {e}");
        let mut file = self.writer.into_inner().map_err(|e| fail(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(fail)?;
        Ok(SpillReader {
            reader: BufReader::with_capacity(BUFFER, file),
            left: self.states,
        })
    }
}

/// Reads a level's states back, in the order they were written.
pub struct SpillReader {
    reader: BufReader<File>,
    left: u64,
}

impl SpillReader {
    /// States not read yet.
    pub fn left(&self) -> u64 {
        self.left
    }

    /// Reads the next state into `out` (appended): its first word, then as many more as
    /// `len` says the first word announces.
    pub fn next(&mut self, out: &mut Vec<u64>, len: impl Fn(u64) -> usize) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot read the frontier back from disk: {e}");
        let mut word = [0u8; 8];
        self.reader.read_exact(&mut word).map_err(fail)?;
        let first = u64::from_le_bytes(word);
        out.push(first);
        for _ in 1..len(first) {
            self.reader.read_exact(&mut word).map_err(fail)?;
            out.push(u64::from_le_bytes(word));
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
        let states: Vec<Vec<u64>> = (1..200u64)
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
}
