//! The `ffgpu` binary: train, eval, info, bench.

mod cli;

use clap::Parser;

use cli::args::{Cli, Command};

fn main() {
    let args = Cli::parse();
    let result = match args.command {
        Command::Train(a) => cli::train::run(*a),
        Command::Eval(a) => cli::eval::run(a),
        Command::Info => {
            cli::info::run();
            Ok(())
        }
        Command::Bench(a) => cli::bench::run(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
