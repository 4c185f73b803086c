#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    shanghui_cli::main()
}
