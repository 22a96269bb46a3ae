//! The binary: parse the command line, run one subcommand, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    paxos_safety::cli::run(paxos_safety::cli::Cli::parse())
}
