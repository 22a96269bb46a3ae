//! `paxos-safety fuzz`.

use std::process::ExitCode;

use clap::Args;

#[derive(Args, Debug)]
pub struct FuzzArgs {}

pub fn run(_args: FuzzArgs) -> ExitCode {
    super::usage_error("fuzz: under construction")
}
