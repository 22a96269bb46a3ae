//! `paxos-safety replay`.

use std::process::ExitCode;

use clap::Args;

#[derive(Args, Debug)]
pub struct ReplayArgs {}

pub fn run(_args: ReplayArgs) -> ExitCode {
    super::usage_error("replay: under construction")
}
