//! Where a long search or campaign is, told on stderr while it runs.
//!
//! A proof of two ballots takes a minute or more, and a command that says nothing for that
//! long looks hung. On a terminal the news is one indicatif line redrawn in place and taken
//! off before the report. Elsewhere (a CI log, a file, a pipe) a redrawn line would be
//! noise, and no line at all leaves a ten-minute proof silent, which some CI services take
//! for a hang and kill: there a plain line goes out every `--log-every` seconds instead.
//!
//! Display only: the clock read here decides when a line is written, never what a search
//! or campaign does.

use std::io::IsTerminal as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `--log-every` when not given, in seconds: a minute, as TLC's progress lines.
pub const DEFAULT_LOG_EVERY: f64 = 60.0;

/// How a command tells where it is, from what stderr is and what the user asked.
#[derive(Clone, Copy, Debug)]
pub enum Shown {
    /// Redrawn in place on a terminal.
    Terminal,
    /// A plain line every so often, where stderr is not a terminal.
    Log(Duration),
    /// Not at all.
    Hidden,
}

impl Shown {
    /// The terminal line unless `quiet_on_terminal` (`--json`, `--quiet`); the log lines
    /// every `log_every` seconds where stderr is not a terminal, none for 0.
    pub fn for_stderr(quiet_on_terminal: bool, log_every: Option<Duration>) -> Shown {
        if std::io::stderr().is_terminal() {
            if quiet_on_terminal {
                Shown::Hidden
            } else {
                Shown::Terminal
            }
        } else {
            log_every.map_or(Shown::Hidden, Shown::Log)
        }
    }
}

/// `--log-every`'s seconds: 0 for never, else positive and at most a day, or the error that
/// says so. `None` (not given) is the default minute.
pub fn log_every(seconds: Option<f64>) -> Result<Option<Duration>, String> {
    match seconds.unwrap_or(DEFAULT_LOG_EVERY) {
        0.0 => Ok(None),
        t if t > 0.0 && t <= 86_400.0 => Ok(Some(Duration::from_secs_f64(t))),
        _ => Err(
            "--log-every must be 0 (never) or a positive number of seconds (at most a day)".into(),
        ),
    }
}

/// Plain lines on stderr, `NAME [hh:mm:ss] TEXT`, at most one every period. Shared by the
/// campaign's worker threads, hence the lock.
pub struct Log {
    name: &'static str,
    every: Duration,
    start: Instant,
    /// When the next line is due, counted from `start`.
    due: Mutex<Duration>,
}

impl Log {
    pub fn new(name: &'static str, every: Duration) -> Log {
        Log {
            name,
            every,
            #[allow(clippy::disallowed_methods)] // decides when a line is written; shapes nothing
            start: Instant::now(),
            due: Mutex::new(every),
        }
    }

    /// Seconds since the log was made (at least a millisecond, for rates).
    pub fn elapsed_secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64().max(1e-3)
    }

    /// Writes the line `text` makes of the seconds elapsed, if one is due. A period the
    /// command spent without calling is skipped, not made up with a burst of lines.
    pub fn tick(&self, text: impl FnOnce(f64) -> String) {
        let elapsed = self.start.elapsed();
        {
            let Ok(mut due) = self.due.lock() else { return };
            if elapsed < *due {
                return;
            }
            *due = elapsed + self.every;
        }
        let line = format!(
            "{} [{}] {}",
            self.name,
            clock(elapsed),
            text(self.elapsed_secs())
        );
        // Not `warn!`'s lock-free path: the line must not interleave with another thread's.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// `hh:mm:ss`, as indicatif's elapsed time on the terminal line.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The status of a search: on a terminal a spinner, the elapsed time and the caller's text
/// (at most 69 columns, so that the line fits 80), taken off the screen before the report;
/// elsewhere the same text as a log line every period.
pub struct StatusLine {
    bar: Option<indicatif::ProgressBar>,
    log: Option<Log>,
}

impl StatusLine {
    pub fn new(name: &'static str, shown: Shown) -> StatusLine {
        match shown {
            Shown::Terminal => {
                let style =
                    indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}");
                let bar = style.ok().map(|style| {
                    let bar = indicatif::ProgressBar::with_draw_target(
                        None,
                        indicatif::ProgressDrawTarget::stderr_with_hz(4),
                    );
                    bar.set_style(style);
                    bar
                });
                StatusLine { bar, log: None }
            }
            Shown::Log(every) => StatusLine {
                bar: None,
                log: Some(Log::new(name, every)),
            },
            Shown::Hidden => StatusLine {
                bar: None,
                log: None,
            },
        }
    }

    /// Shows the text `text` makes of the seconds elapsed (for rates, at least a
    /// millisecond); not computed when nothing is shown.
    pub fn show(&self, text: impl FnOnce(f64) -> String) {
        if let Some(bar) = &self.bar {
            bar.set_message(text(bar.elapsed().as_secs_f64().max(1e-3)));
            bar.tick();
        } else if let Some(log) = &self.log {
            log.tick(text);
        }
    }

    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_every_takes_zero_for_never_and_refuses_the_rest() {
        assert_eq!(log_every(None), Ok(Some(Duration::from_secs(60))));
        assert_eq!(log_every(Some(0.0)), Ok(None));
        assert_eq!(log_every(Some(0.5)), Ok(Some(Duration::from_millis(500))));
        assert_eq!(
            log_every(Some(86_400.0)),
            Ok(Some(Duration::from_secs(86_400)))
        );
        for bad in [-1.0, 86_401.0, f64::NAN, f64::INFINITY] {
            assert!(log_every(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_clock_reads_hours_minutes_seconds() {
        assert_eq!(clock(Duration::from_millis(59_999)), "00:00:59");
        assert_eq!(clock(Duration::from_secs(3_725)), "01:02:05");
    }
}
