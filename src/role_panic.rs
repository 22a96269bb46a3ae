//! A panic in a user's role, caught as a finding of its execution.
//!
//! Your roles are code under test, and an `unwrap` on a message they did not expect is as
//! much a bug as a vote below a promise. Left alone, the panic would unwind through the
//! campaign's thread and end the whole campaign with no seed, no step and nothing to
//! replay. So the simulator runs each step of your roles under [`catch`], and a panic ends
//! that execution on the `no-panic` finding ([`crate::checker::Invariant::NoPanic`]): it is
//! counted, shrunk and replayed like any other, and its counterexample names the role, the
//! source line and the message.
//!
//! The built-in roles and acceptor processes are not run under it: a panic there is this
//! tool's bug, and must not pass for a finding about yours.
//!
//! **Quiet while caught.** Rust's panic hook prints every panic to stderr, and shrinking
//! replays a panicking execution hundreds of times. A hook installed once in front of the
//! one in place records the location and message instead of printing them, on the thread
//! running a caught step and only there; every other panic goes to the hook that was there
//! before, as it would have.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// `Some` while this thread runs a caught step: where the hook leaves what it saw.
    static CAUGHT: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs `f`, returning its result, or the panic it raised as `"at FILE:LINE:COL: MESSAGE"`
/// (the location when the hook saw it).
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    HOOK.call_once(|| {
        let before = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let quiet = CAUGHT.with(|c| match c.borrow_mut().as_mut() {
                Some(slot) => {
                    let at = info
                        .location()
                        .map(|l| format!("at {}:{}:{}: ", l.file(), l.line(), l.column()))
                        .unwrap_or_default();
                    *slot = Some(format!("{at}{}", message(info.payload())));
                    true
                }
                None => false,
            });
            if !quiet {
                before(info);
            }
        }));
    });
    // A catch inside a caught step keeps its own panic; the outer one gets its slot back.
    let outer = CAUGHT.with(|c| c.replace(Some(None)));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let seen = CAUGHT.with(|c| c.replace(outer)).flatten();
    result.map_err(|payload| seen.unwrap_or_else(|| message(payload.as_ref())))
}

/// A panic's message: what `panic!` and `unwrap` pass are a `&str` or a `String`.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a payload that is not text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_with_its_place_and_message_and_a_return_passes() {
        assert_eq!(catch(|| 7), Ok(7));
        let line = line!() + 1;
        let err = catch(|| -> u8 { panic!("no {} here", "vote") }).unwrap_err();
        assert_eq!(err, format!("at {}:{line}:36: no vote here", file!()));
        let err = catch(|| "v1".parse::<u8>().unwrap()).unwrap_err();
        assert!(
            err.contains("called `Result::unwrap()` on an `Err` value"),
            "{err}"
        );
        // Nested: the inner catch takes its panic; the outer still works after it.
        assert_eq!(catch(|| catch(|| panic!("inner")).is_err()), Ok(true));
        assert!(catch(|| panic!("outer")).unwrap_err().ends_with("outer"));
    }
}
