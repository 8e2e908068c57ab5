//! The `incontext` command line: train | eval | predict | bench | serve.

fn main() {
    eprintln!("incontext: no subcommands yet");
    std::process::exit(2);
}
