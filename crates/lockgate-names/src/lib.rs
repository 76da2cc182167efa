//! The app and stage name rule, in one place.
//!
//! Apps and stages are named by users (`--app`, `--stage`, samconfig's
//! `stack_name`, a directory's name) and end up in URLs, SSM parameter paths
//! (`/dev/…`, `/greeter/dev/…`), physical resource names and the state
//! store's keys. The store refuses a bad name when one is built
//! (`lockgate_store::AppName`, `StageName`); the CLI refuses it before it
//! calls a server. Both check [`is_app_or_stage_name`] and say
//! [`APP_OR_STAGE_RULE`], so the two can never disagree.
//!
//! ```
//! use lockgate_names::is_app_or_stage_name;
//!
//! assert!(is_app_or_stage_name("pr-42"));
//! assert!(!is_app_or_stage_name("Prod"));
//! ```

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

/// The longest app or stage name.
pub const MAX_APP_OR_STAGE_LEN: usize = 32;

/// The rule of [`is_app_or_stage_name`] in words, for error messages
/// ("invalid stage name `X`: expected …").
pub const APP_OR_STAGE_RULE: &str =
    "1 to 32 lowercase letters, digits or hyphens, starting with a letter (like `dev` or `pr-42`)";

/// Whether `name` is a valid app or stage name: 1 to
/// [`MAX_APP_OR_STAGE_LEN`] lowercase ASCII letters, digits or hyphens,
/// starting with a letter.
pub fn is_app_or_stage_name(name: &str) -> bool {
    let b = name.as_bytes();
    (1..=MAX_APP_OR_STAGE_LEN).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_and_stage_names() {
        for ok in ["dev", "pr-42", "a", "staging", "x-", &"a".repeat(32)] {
            assert!(is_app_or_stage_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Dev",
            "Dev!",
            "4dev",
            "-dev",
            "dev!",
            "dev_1",
            "dév",
            "dev 1",
            &"a".repeat(33),
        ] {
            assert!(!is_app_or_stage_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_rule_in_words_says_the_length() {
        assert!(APP_OR_STAGE_RULE.starts_with(&format!("1 to {MAX_APP_OR_STAGE_LEN} ")));
    }
}
