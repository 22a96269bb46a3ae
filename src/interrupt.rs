//! Ctrl-C. The first one asks the running campaign or search to stop where it stands and
//! report what it has done (the summary, the first violation shrunk and written); a second
//! one ends the process at once, with the shell's usual status for SIGINT, 130.
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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// When the first interrupt came.
static FIRST: OnceLock<Instant> = OnceLock::new();

/// How long after the first interrupt another one counts as the same (see the module docs).
pub const BURST: Duration = Duration::from_millis(100);

/// Exit status after an interruption that found nothing: 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Whether Ctrl-C was pressed (once or more) since the handler was installed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Installs the handler: the first Ctrl-C sets the flag, the second ([`BURST`] or more
/// later) exits with status 130 at once, first clearing the terminal line a progress bar
/// may be drawn on.
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
        let again = REQUESTED.swap(true, Ordering::Relaxed);
        if again && FIRST.get().is_some_and(|first| now - *first < BURST) {
            return;
        }
        let _ = FIRST.set(now);
        let mut err = std::io::stderr();
        // Off the progress bar's line, if one is drawn there.
        if err.is_terminal() {
            let _ = err.write_all(b"\r\x1b[2K");
        }
        if again {
            let _ = writeln!(err, "interrupted twice: exiting at once");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        let _ = writeln!(
            err,
            "interrupted: stopping and reporting what was done (Ctrl-C again exits at once)"
        );
    });
}
