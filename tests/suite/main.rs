//! The integration tests, as one test binary with a module per subject.
//!
//! Why one binary: cargo builds and links every file directly under `tests/` as its own
//! program, each with the whole library in it. Eighteen of them cost a newcomer's first
//! `cargo test` about 70 s of building on 2 cores; as modules of one binary, about 55 s.
//! Run one subject with its module's name: `cargo test --test suite explore::`.
//!
//! What this asks of a test: the binary is one process whose tests run on parallel
//! threads, so a test must not change the process's current directory or environment, and
//! its files need names no other module uses (all modules share one process id). The
//! README snippet's test sets the current directory, as the README does, and so is a
//! program of its own (`tests/readme_snippet.rs`).

mod acceptor_processes;
mod browser;
mod bug_zoo;
mod campaign;
mod checker;
mod cli;
mod default_campaign;
mod determinism;
mod explore;
mod liveness;
mod node;
mod node_props;
mod process_harness;
mod progress;
mod reference_checker;
mod replay;
mod simulator;
mod user_paxos;
