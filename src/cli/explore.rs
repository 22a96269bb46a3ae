//! `paxos-safety explore`.

use std::process::ExitCode;

use clap::Args;

#[derive(Args, Debug)]
pub struct ExploreArgs {}

pub fn run(_args: ExploreArgs) -> ExitCode {
    super::usage_error("explore: under construction")
}
