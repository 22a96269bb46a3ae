//! The explorer's own list of enabled events: [`World::enabled`]'s events in its order,
//! each message event with the index of its message.
//!
//! Event numbers on a stored path index into [`World::enabled`] (the rebuild and the
//! choice-driven schedules use that list), so this must yield exactly the same events in
//! exactly the same order; a debug assertion in the explorer checks that on every state.
//! It is cheaper in two ways that matter on every expanded state and
//! every transition: which messages are first of their kind (one event per distinct
//! message) is worked out once instead of once per event kind, and the index it hands
//! back lets the step go straight to [`World::apply_at`] instead of [`World::apply`]
//! searching the network for the message again. [`World::apply`] takes the first message
//! equal to the event's, which is the first occurrence listed here, so the step is the same.

use crate::event::Event;
use crate::world::{Limits, World};

/// Index of the message an event acts on; `NO_MESSAGE` for timeouts, crashes and restarts.
pub const NO_MESSAGE: u32 = u32::MAX;

/// Fills `out` with the events of `world.enabled(limits, ..)`, in its order, each paired
/// with its message's index. `firsts` is scratch space. The search lists events from the
/// stored words ([`enabled_events_by_words`]); the tests, which hold worlds, use this.
#[cfg(test)]
pub fn enabled_events(
    world: &World,
    limits: &Limits,
    firsts: &mut Vec<u32>,
    out: &mut Vec<(Event, u32)>,
) {
    let net = &world.network;
    firsts.clear();
    for i in 0..net.len() {
        if !net[..i].contains(&net[i]) {
            firsts.push(i as u32);
        }
    }
    enabled_from_firsts(world, limits, firsts, out);
}

/// Fills `out` with the events of `world.enabled(limits, ..)`, in its order, each paired
/// with its message's index, for a world decoded from `words`, its messages' codec words
/// in network order: equal messages have equal words (the codec is exact), and comparing
/// words is several times cheaper than comparing messages. `firsts` is scratch space.
pub fn enabled_events_by_words(
    world: &World,
    limits: &Limits,
    words: &[u64],
    firsts: &mut Vec<u32>,
    out: &mut Vec<(Event, u32)>,
) {
    debug_assert_eq!(words.len(), world.network.len());
    firsts.clear();
    for i in 0..words.len() {
        if !words[..i].contains(&words[i]) {
            firsts.push(i as u32);
        }
    }
    enabled_from_firsts(world, limits, firsts, out);
}

/// The events, given the first occurrence of each distinct message.
fn enabled_from_firsts(
    world: &World,
    limits: &Limits,
    firsts: &[u32],
    out: &mut Vec<(Event, u32)>,
) {
    out.clear();
    let net = &world.network;
    for &i in firsts.iter() {
        if world.deliverable(i as usize) {
            out.push((Event::Deliver(net[i as usize]), i));
        }
    }
    for p in 0..world.proposers.len() as u8 {
        if world.can_time_out(p, limits) {
            out.push((Event::Timeout(p), NO_MESSAGE));
        }
    }
    if world.drops < limits.max_drops {
        for &i in firsts.iter() {
            out.push((Event::Drop(net[i as usize]), i));
        }
    }
    if world.duplicates < limits.max_duplicates && net.len() < limits.max_in_flight as usize {
        for &i in firsts.iter() {
            out.push((Event::Duplicate(net[i as usize]), i));
        }
    }
    if world.crashes < limits.max_crashes {
        for node in world.nodes() {
            if world.is_up(node) {
                out.push((Event::Crash(node), NO_MESSAGE));
            }
        }
    }
    for node in world.nodes() {
        if !world.is_up(node) {
            out.push((Event::Restart(node), NO_MESSAGE));
        }
    }
}
