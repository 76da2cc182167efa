//! Validated names: apps, stages, stacks, functions, aliases and parameters.
//!
//! Every name is checked once, when it is built, so the rest of the crate and
//! its callers can hold a name without re-validating it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $kind:literal, $expected:expr, $check:path) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $ty(String);

        impl $ty {
            #[doc = concat!("What ", $kind, " name must be, in words (the `expected` of [`StoreError::InvalidName`]).")]
            pub const EXPECTED: &'static str = $expected;

            #[doc = concat!("Validates `value` as ", $kind, " name (see [`Self::EXPECTED`]).")]
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                if $check(&value) {
                    Ok(Self(value))
                } else {
                    Err(StoreError::InvalidName {
                        kind: $kind,
                        value,
                        expected: $expected,
                    })
                }
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $ty {
            type Err = StoreError;
            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = StoreError;
            fn try_from(s: String) -> Result<Self> {
                Self::new(s)
            }
        }

        impl From<$ty> for String {
            fn from(n: $ty) -> String {
                n.0
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn is_stack_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=128).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

fn is_function_name(s: &str) -> bool {
    (1..=140).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn is_alias_name(s: &str) -> bool {
    is_function_name(s) && s.len() <= 128 && !s.bytes().all(|c| c.is_ascii_digit())
}

fn is_export_name(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_' | b'.'))
}

/// Maximum length of a parameter name, as in SSM.
pub const MAX_PARAMETER_NAME_LEN: usize = 1011;
/// Maximum depth of a hierarchical parameter name, as in SSM.
pub const MAX_PARAMETER_DEPTH: usize = 15;

fn is_parameter_name(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_PARAMETER_NAME_LEN {
        return false;
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/'))
    {
        return false;
    }
    let bare = s.trim_start_matches('/');
    let lower = bare.to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        return false;
    }
    if !s.contains('/') {
        return true;
    }
    // Hierarchical: `/a/b/c`, no empty segment, no trailing slash.
    s.starts_with('/')
        && s[1..].split('/').all(|seg| !seg.is_empty())
        && s.matches('/').count() <= MAX_PARAMETER_DEPTH
}

name_type!(
    /// An application name (`shop`, `billing-api`).
    AppName, "app", lockgate_names::APP_OR_STAGE_RULE, lockgate_names::is_app_or_stage_name
);
name_type!(
    /// A stage name (`dev`, `staging`, `prod`, `pr-42`).
    StageName, "stage", lockgate_names::APP_OR_STAGE_RULE, lockgate_names::is_app_or_stage_name
);
name_type!(
    /// A stack name, as CloudFormation allows it.
    StackName, "stack", "1 to 128 ASCII letters, digits or hyphens, starting with a letter", is_stack_name
);
name_type!(
    /// A function's physical name (a Lambda function name).
    FunctionName, "function", "1 to 140 ASCII letters, digits, hyphens or underscores", is_function_name
);
name_type!(
    /// A function alias name (`live`); not all digits, so it cannot be mistaken for a version.
    AliasName, "alias", "1 to 128 ASCII letters, digits, hyphens or underscores, not all digits", is_alias_name
);
name_type!(
    /// A CloudFormation export name.
    ExportName, "export", "1 to 255 ASCII letters, digits, `-`, `:`, `_` or `.`", is_export_name
);
name_type!(
    /// An SSM-style parameter name: `name` or hierarchical `/dev/databasePassword`.
    ParameterName, "parameter", "letters, digits, `_`, `.`, `-` and `/`; hierarchical names start with `/`, have no empty level, at most 15 levels and 1011 characters, and do not begin with `aws` or `ssm`", is_parameter_name
);

/// A stage of an app: the scope of stacks, exports and function versions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StageRef {
    /// The app.
    pub app: AppName,
    /// The stage.
    pub stage: StageName,
}

impl StageRef {
    /// Pairs an app and a stage.
    pub fn new(app: AppName, stage: StageName) -> Self {
        Self { app, stage }
    }

    /// Parses and pairs an app and a stage name.
    pub fn parse(app: &str, stage: &str) -> Result<Self> {
        Ok(Self::new(AppName::new(app)?, StageName::new(stage)?))
    }

    /// A stack of this stage.
    pub fn stack(&self, name: StackName) -> StackRef {
        StackRef {
            app: self.app.clone(),
            stage: self.stage.clone(),
            name,
        }
    }
}

impl fmt::Display for StageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.app, self.stage)
    }
}

/// A stack: one template deployed to one stage of one app.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StackRef {
    /// The app.
    pub app: AppName,
    /// The stage.
    pub stage: StageName,
    /// The stack's name inside the stage.
    pub name: StackName,
}

impl StackRef {
    /// Parses the three parts of a stack reference.
    pub fn parse(app: &str, stage: &str, name: &str) -> Result<Self> {
        Ok(Self {
            app: AppName::new(app)?,
            stage: StageName::new(stage)?,
            name: StackName::new(name)?,
        })
    }

    /// The stage the stack lives in.
    pub fn stage_ref(&self) -> StageRef {
        StageRef::new(self.app.clone(), self.stage.clone())
    }
}

impl fmt::Display for StackRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.app, self.stage, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names() {
        for ok in [
            "dev",
            "pr-42",
            "a",
            "prod",
            "a234567890123456789012345678901b",
        ] {
            assert!(StageName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Dev",
            "42",
            "-dev",
            "dev_1",
            "dev.x",
            "a2345678901234567890123456789012b",
            "dév",
        ] {
            let err = StageName::new(bad).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            assert!(msg.contains("lowercase letters"), "{msg}");
        }
    }

    #[test]
    fn app_name_error_names_kind_and_value() {
        let err = AppName::new("My App").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid app name `My App`: expected 1 to 32 lowercase letters, digits or hyphens, starting with a letter (like `dev` or `pr-42`)"
        );
    }

    #[test]
    fn parameter_names() {
        for ok in [
            "/dev/databasePassword",
            "plain",
            "/a",
            "/a/b.c/d-e_f",
            "MyParam",
        ] {
            assert!(ParameterName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "/", "/dev/", "dev/x", "//x", "/aws/x", "awsThing", "/SSM/x", "/a b", "a$",
        ] {
            assert!(ParameterName::new(bad).is_err(), "{bad}");
        }
        let deep = "/a".repeat(16);
        assert!(ParameterName::new(deep).is_err());
    }

    #[test]
    fn alias_and_function_names() {
        assert!(AliasName::new("live").is_ok());
        assert!(AliasName::new("42").is_err());
        assert!(FunctionName::new("shop-dev-Api_1").is_ok());
        assert!(FunctionName::new("a:b").is_err());
        assert!(StackName::new("Shop-dev").is_ok());
        assert!(StackName::new("1shop").is_err());
    }

    #[test]
    fn serde_validates() {
        let ok: StageName = serde_json::from_str("\"dev\"").unwrap();
        assert_eq!(ok.as_str(), "dev");
        assert!(serde_json::from_str::<StageName>("\"DEV\"").is_err());
        let r = StackRef::parse("shop", "dev", "shop").unwrap();
        assert_eq!(r.to_string(), "shop/dev/shop");
    }
}
