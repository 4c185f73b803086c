//! `shanghui check uscc|division CODE...`: one line per code, machine-readable.

use std::process::ExitCode;

use clap::Subcommand;
use shanghui_core::division::{DivisionCode, DivisionIndex};
use shanghui_core::org::uscc_error_msg;
use shanghui_core::uscc::{self, UsccCheck};
use shanghui_core::{Lang, Msg};

#[derive(Subcommand)]
pub enum What {
    /// Unified social credit codes (GB 32100).
    Uscc { codes: Vec<String> },
    /// Administrative division codes (2023 edition shipped with shanghui).
    Division { codes: Vec<String> },
}

#[derive(PartialEq, Eq)]
enum Verdict {
    Ok,
    Warning,
    Error,
}

fn print(code: &str, v: &Verdict, reason: String) {
    let word = match v {
        Verdict::Ok => "ok",
        Verdict::Warning => "warning",
        Verdict::Error => "error",
    };
    println!("{code}\t{word}\t{reason}");
}

pub fn run(what: What, lang: Lang) -> ExitCode {
    let mut any_error = false;
    match what {
        What::Uscc { codes } => {
            for c in codes {
                let (v, reason) = match uscc::check(&c) {
                    UsccCheck::Ok(_) => (Verdict::Ok, Msg::new("check.uscc_ok").render(lang)),
                    UsccCheck::BadCheckDigit { code, expected } => (
                        Verdict::Warning,
                        Msg::new("problem.uscc_check")
                            .with("value", code)
                            .with("expected", expected)
                            .render(lang),
                    ),
                    UsccCheck::Malformed(e) => {
                        (Verdict::Error, uscc_error_msg(&c, &e).render(lang))
                    }
                };
                any_error |= v == Verdict::Error;
                print(&c, &v, reason);
            }
        }
        What::Division { codes } => {
            let index = DivisionIndex::shipped();
            for c in codes {
                let (v, reason) = match DivisionCode::parse(&c) {
                    Err(_) => (
                        Verdict::Error,
                        Msg::new("problem.unreadable")
                            .with("value", &c)
                            .with_key("expected", "expected.division")
                            .render(lang),
                    ),
                    Ok(code) => match index.get(&code) {
                        None => (
                            Verdict::Error,
                            Msg::new("problem.division_unknown")
                                .with("value", &code)
                                .render(lang),
                        ),
                        Some(d) if d.statistical_only => (
                            Verdict::Warning,
                            Msg::new("check.division_statistical")
                                .with("name", index.full_name(&code))
                                .render(lang),
                        ),
                        Some(_) => (
                            Verdict::Ok,
                            Msg::new("check.division_ok")
                                .with("name", index.full_name(&code))
                                .render(lang),
                        ),
                    },
                };
                any_error |= v == Verdict::Error;
                print(&c, &v, reason);
            }
        }
    }
    if any_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
