//! `lockgate params`: the server's parameter store, with SSM's names,
//! types and versions (`put`, `get`, `list`, `delete`).

use std::process::ExitCode;

use lockgate_api::{
    GetParameterQuery, ListParametersQuery, Parameter, ParameterType, PutParameterRequest,
};

use super::{Common, Format, pretty, table};
use crate::client::{Client, ClientError};

/// The `params` verbs.
#[derive(Debug, clap::Subcommand)]
pub enum ParamsCommand {
    /// Create or update a parameter (a new version each time).
    Put(PutArgs),
    /// Print one parameter's value.
    Get(GetArgs),
    /// List parameters (values of SecureStrings are masked).
    List(ListArgs),
    /// Delete a parameter and all its versions.
    Delete(DeleteArgs),
}

/// The parameter types, as SSM names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ParamType {
    /// A plain string.
    #[value(name = "String")]
    String,
    /// A comma-separated list of strings.
    #[value(name = "StringList")]
    StringList,
    /// A string encrypted at rest, never shown unless asked with --decrypt.
    #[value(name = "SecureString")]
    SecureString,
}

impl From<ParamType> for ParameterType {
    fn from(t: ParamType) -> Self {
        match t {
            ParamType::String => ParameterType::String,
            ParamType::StringList => ParameterType::StringList,
            ParamType::SecureString => ParameterType::SecureString,
        }
    }
}

/// Arguments of `params put`.
#[derive(Debug, clap::Args)]
pub struct PutArgs {
    /// The name, e.g. `/dev/databasePassword`.
    pub name: String,
    /// The value; `-` reads it from standard input (one trailing newline
    /// dropped) and `file://PATH` from a file (as it is, as the AWS CLI
    /// reads `file://`), so a secret stays out of `ps` and shell history.
    pub value: String,
    /// The type.
    #[arg(long = "type", value_enum, default_value_t = ParamType::String)]
    pub kind: ParamType,
    /// Replace the value of an existing parameter (without it, an existing name is refused).
    #[arg(long)]
    pub overwrite: bool,
    /// A description.
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Arguments of `params get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The name.
    pub name: String,
    /// Show a SecureString's value (masked as **** otherwise).
    #[arg(long)]
    pub decrypt: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Arguments of `params list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only parameters under this path, e.g. `/dev`.
    #[arg(long)]
    pub path: Option<String>,
    /// With --path: the whole hierarchy below it, not only its direct children.
    #[arg(long)]
    pub recursive: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Arguments of `params delete`.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// The name.
    pub name: String,
    #[command(flatten)]
    pub common: Common,
}

/// The value `params put` was given: `-` reads standard input (dropping
/// one trailing newline, as `echo` adds one), `file://PATH` a file as it
/// is, anything else is the value itself.
fn value_of(arg: &str) -> Result<String, ClientError> {
    if arg == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
            ClientError::Usage(format!("cannot read the value from standard input: {e}"))
        })?;
        let trimmed = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text);
        return Ok(trimmed.to_string());
    }
    if let Some(path) = arg.strip_prefix("file://") {
        return std::fs::read_to_string(path)
            .map_err(|e| ClientError::Usage(format!("cannot read the value from {path}: {e}")));
    }
    Ok(arg.to_string())
}

/// Runs the verb.
pub fn run(cmd: ParamsCommand) -> ExitCode {
    match cmd {
        ParamsCommand::Put(a) => {
            let output = a.common.output;
            super::run_async(output, async move {
                let value = value_of(&a.value)?;
                let client = Client::discover(&a.common.connect)?;
                let parameter_type = ParameterType::from(a.kind);
                let body = PutParameterRequest {
                    parameter_type,
                    value,
                    overwrite: a.overwrite,
                    description: a.description.clone(),
                };
                let res = client.put_param(&a.name, &body).await?;
                match output {
                    Format::Json => println!("{}", pretty(&res)),
                    Format::Text => println!(
                        "{} ({}) is at version {}.",
                        a.name,
                        parameter_type.as_str(),
                        res.version
                    ),
                }
                Ok(())
            })
        }
        ParamsCommand::Get(a) => {
            let output = a.common.output;
            super::run_async(output, async move {
                let client = Client::discover(&a.common.connect)?;
                let query = GetParameterQuery {
                    decrypt: a.decrypt,
                    version: None,
                };
                let res = client.get_param(&a.name, &query).await?;
                match output {
                    Format::Json => println!("{}", pretty(&res)),
                    Format::Text => println!("{}", res.value),
                }
                Ok(())
            })
        }
        ParamsCommand::List(a) => {
            let output = a.common.output;
            super::run_async(output, async move {
                let client = Client::discover(&a.common.connect)?;
                let query = ListParametersQuery {
                    path: a.path.clone(),
                    recursive: a.recursive,
                };
                let res = client.list_params(&query).await?;
                match output {
                    Format::Json => println!("{}", pretty(&res)),
                    Format::Text => print!("{}", render_list(&res)),
                }
                Ok(())
            })
        }
        ParamsCommand::Delete(a) => {
            let output = a.common.output;
            super::run_async(output, async move {
                let client = Client::discover(&a.common.connect)?;
                let res = client.delete_param(&a.name).await?;
                match output {
                    Format::Json => println!("{}", pretty(&res)),
                    Format::Text => println!("Deleted {}.", a.name),
                }
                Ok(())
            })
        }
    }
}

/// The text table of a parameter list.
pub fn render_list(items: &[Parameter]) -> String {
    if items.is_empty() {
        return "No parameters.\n".into();
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.parameter_type.as_str().to_string(),
                p.version.to_string(),
                p.value.clone(),
            ]
        })
        .collect();
    table(&["Name", "Type", "Version", "Value"], &rows)
}
