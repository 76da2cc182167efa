//! `lockgate params`: the server's parameter store, with SSM's names,
//! types and versions (`put`, `get`, `list`, `delete`).

use std::process::ExitCode;

use serde_json::{Value, json};

use super::{Common, Format, pretty, table, text_field};
use crate::client::Client;

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

impl ParamType {
    fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "String",
            ParamType::StringList => "StringList",
            ParamType::SecureString => "SecureString",
        }
    }
}

/// Arguments of `params put`.
#[derive(Debug, clap::Args)]
pub struct PutArgs {
    /// The name, e.g. `/dev/databasePassword`.
    pub name: String,
    /// The value.
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

/// Runs the verb.
pub fn run(cmd: ParamsCommand) -> ExitCode {
    match cmd {
        ParamsCommand::Put(a) => {
            let output = a.common.output;
            super::run_async(output, async move {
                let client = Client::discover(&a.common.connect)?;
                let mut body =
                    json!({"type": a.kind.as_str(), "value": a.value, "overwrite": a.overwrite});
                if let Some(d) = &a.description {
                    body["description"] = json!(d);
                }
                let res = client.put_param(&a.name, &body).await?;
                match output {
                    Format::Json => println!("{}", pretty(&res)),
                    Format::Text => println!(
                        "{} ({}) is at version {}.",
                        a.name,
                        a.kind.as_str(),
                        text_field(&res, &["version", "Version"])
                    ),
                }
                Ok(())
            })
        }
        ParamsCommand::Get(a) => {
            let output = a.common.output;
            super::run_async(output, async move {
                let client = Client::discover(&a.common.connect)?;
                let res = client.get_param(&a.name, a.decrypt).await?;
                match output {
                    Format::Json => println!("{}", pretty(&res)),
                    Format::Text => println!("{}", text_field(&res, &["value", "Value"])),
                }
                Ok(())
            })
        }
        ParamsCommand::List(a) => {
            let output = a.common.output;
            super::run_async(output, async move {
                let client = Client::discover(&a.common.connect)?;
                let res = client.list_params(a.path.as_deref(), a.recursive).await?;
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
                    Format::Json => println!(
                        "{}",
                        pretty(if res.is_null() { &Value::Null } else { &res })
                    ),
                    Format::Text => println!("Deleted {}.", a.name),
                }
                Ok(())
            })
        }
    }
}

/// The text table of a parameter list.
pub fn render_list(list: &Value) -> String {
    let items = list
        .as_array()
        .or_else(|| list.get("parameters").and_then(Value::as_array))
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if items.is_empty() {
        return "No parameters.\n".into();
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|p| {
            vec![
                text_field(p, &["name", "Name"]),
                text_field(p, &["type", "Type"]),
                text_field(p, &["version", "Version"]),
                text_field(p, &["value", "Value"]),
            ]
        })
        .collect();
    table(&["Name", "Type", "Version", "Value"], &rows)
}
