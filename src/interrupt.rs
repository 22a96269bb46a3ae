//! Ctrl-C. The first one asks the running campaign or search to stop where it stands and
//! report what it has done (the summary, the first violation shrunk and written); a second
//! one ends the process at once, with the shell's usual status for SIGINT, 130, or 1 when
//! a violation was found by then.
//!
//! Work that starts after a Ctrl-C stopped the campaign, the shrinking of its first
//! violation, asks for one more ([`heed_another`]): the next Ctrl-C stops the shrinking,
//! and the report and the shortest list found by then are still written. With a slow
//! acceptor process that shrinking takes minutes, and a second Ctrl-C is what anyone
//! presses; it must not throw away the violation found.
//!
//! A second SIGINT within [`BURST`] of the first counts as the same one: `timeout -s INT`,
//! the usual way to give a search a time limit from a script, sends the signal to the
//! process and then to its whole process group, so the process gets it twice within
//! microseconds, and would exit without the report the user asked for. No one presses
//! Ctrl-C twice that fast.
//!
//! Only the command line installs the handler ([`install`]); the library merely looks at
//! the flag ([`requested`]) where it already looks at its time limit, so a library caller
//! that never installs it sees no change. The flag decides when to stop handing out work,
//! never what an execution does, so determinism is untouched: an interrupted campaign's
//! executions are a prefix-closed subset of the whole one's, each the same as ever.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Ctrl-Cs so far (a burst counts once).
static COUNT: AtomicU32 = AtomicU32::new(0);
/// How many Ctrl-Cs stop work rather than the process: one, and one more for each piece
/// of work started after one came ([`heed_another`]).
static HEEDED: AtomicU32 = AtomicU32::new(1);
/// A violation was found: exiting at once must not say that nothing was.
static FOUND: AtomicBool = AtomicBool::new(false);
/// When the last counted interrupt came.
static LAST: Mutex<Option<Instant>> = Mutex::new(None);

/// How long after the first interrupt another one counts as the same (see the module docs).
pub const BURST: Duration = Duration::from_millis(100);

/// Exit status after an interruption that found nothing: 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Whether Ctrl-C was pressed (once or more) since the handler was installed.
pub fn requested() -> bool {
    count() > 0
}

/// How many Ctrl-Cs came since the handler was installed.
pub fn count() -> u32 {
    COUNT.load(Ordering::Relaxed)
}

/// Says that work is starting after a Ctrl-C, which the next one stops (it then does not
/// end the process). Does nothing before the first.
pub fn heed_another() {
    let n = count();
    if n > 0 {
        HEEDED.fetch_max(n + 1, Ordering::Relaxed);
    }
}

/// Says that a violation was found: a Ctrl-C that ends the process at once then exits 1,
/// as the command would have, not 130.
pub fn found_violation() {
    FOUND.store(true, Ordering::Relaxed);
}

/// Installs the handler: a Ctrl-C sets the flag, or, once more of them ([`BURST`] or more
/// apart) came than work heeds ([`heed_another`]), exits at once (status 130, or 1 after
/// [`found_violation`]), first clearing the terminal line a progress bar may be drawn on.
///
/// `ctrlc` runs the handler on a thread of its own rather than inside the signal handler,
/// so it may write and exit like any code. An error (a handler already installed) leaves
/// Ctrl-C with its default effect, ending the process, which is what it did before.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        use std::io::{IsTerminal, Write};
        // Only to tell a second Ctrl-C from the echo of the first; it shapes no execution.
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        {
            let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| now - at < BURST) {
                return;
            }
            *last = Some(now);
        }
        let n = COUNT.fetch_add(1, Ordering::Relaxed) + 1;
        let mut err = std::io::stderr();
        // Off the progress bar's line, if one is drawn there.
        if err.is_terminal() {
            let _ = err.write_all(b"\r\x1b[2K");
        }
        if n > HEEDED.load(Ordering::Relaxed) {
            let found = FOUND.load(Ordering::Relaxed);
            let _ = writeln!(
                err,
                "interrupted again: exiting at once{}",
                if found {
                    " (a violation was found: exit 1, but nothing more is written)"
                } else {
                    ""
                }
            );
            // No destructor runs on this exit: the acceptors' data directories go here.
            crate::process::remove_data_dirs();
            std::process::exit(if found {
                1
            } else {
                i32::from(EXIT_INTERRUPTED)
            });
        }
        let _ = writeln!(
            err,
            "interrupted: stopping and reporting what was done (Ctrl-C again exits at once)"
        );
    });
}
