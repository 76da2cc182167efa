//! `lockgate plan`: the change set a deploy would apply to a stage, as
//! CloudFormation shows one: each resource Add / Modify / Replace / Remove,
//! the properties that differ and whether the change needs replacement.

use std::process::ExitCode;

use serde_json::Value;

use super::deploy::{Prepared, prepare};
use super::{Common, Format, StageArgs, field, pretty, table};
use crate::client::{Client, ClientError};
use lockgate_api::DeployRequest;

/// Arguments of `lockgate plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: StageArgs,
    /// Parameter values, as for `deploy`.
    #[arg(long = "parameter-overrides", num_args = 1.., value_name = "OVERRIDES")]
    pub parameter_overrides: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let cwd = super::current_dir()?;
        let prepared = prepare(&args.target, &args.parameter_overrides, &cwd, false)?;
        let client = Client::discover(&args.common.connect)?;
        show_plan(&client, &prepared, output).await
    })
}

/// Asks the server for the change set and prints it.
pub async fn show_plan(
    client: &Client,
    prepared: &Prepared,
    output: Format,
) -> Result<(), ClientError> {
    client.upload(&prepared.code).await?;
    let req = DeployRequest {
        execute: false,
        ..prepared.request.clone()
    };
    let cs = client.plan(&prepared.app, &prepared.stage, &req).await?;
    if output == Format::Text {
        for w in super::deploy::strings(cs.get("warnings")) {
            eprintln!("warning: {w}");
        }
    }
    match output {
        Format::Json => println!("{}", pretty(&cs)),
        Format::Text => print!("{}", render(&prepared.app, &prepared.stage, &cs)),
    }
    Ok(())
}

/// The operation shown for a change: Add, Modify, Replace or Remove.
pub fn operation(change: &Value) -> &'static str {
    let action = field(change, &["action", "Action"]).unwrap_or("");
    let replacement = field(change, &["replacement", "Replacement"]).unwrap_or("");
    match action {
        "Add" => "Add",
        "Remove" | "Delete" => "Remove",
        "Modify" if replacement == "True" => "Replace",
        "Modify" => "Modify",
        _ => "Modify",
    }
}

/// The change list of a change-set document (`{"changes": [...]}` or a bare list).
pub fn changes(cs: &Value) -> &[Value] {
    cs.get("changes")
        .or_else(|| cs.get("Changes"))
        .and_then(Value::as_array)
        .or_else(|| cs.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Renders a change set as a table.
pub fn render(app: &str, stage: &str, cs: &Value) -> String {
    let list = changes(cs);
    if list.is_empty() {
        return format!("No changes: {app}/{stage} is up to date.\n");
    }
    let mut notes = Vec::new();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let op = operation(c);
            let sign = match op {
                "Add" => "+",
                "Remove" => "-",
                "Replace" => "±",
                _ => "~",
            };
            let id = field(c, &["logical_id", "logicalId", "LogicalResourceId"]).unwrap_or("?");
            let rtype = field(c, &["resource_type", "ResourceType"]).unwrap_or("");
            let replacement = match op {
                "Modify" | "Replace" => field(c, &["replacement", "Replacement"])
                    .unwrap_or("False")
                    .to_string(),
                _ => "N/A".to_string(),
            };
            let props: Vec<String> = c
                .get("details")
                .or_else(|| c.get("Details"))
                .and_then(Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(|p| {
                            let name = field(p, &["name", "Name"])?;
                            let tag = match field(p, &["requires_recreation", "RequiresRecreation"])
                            {
                                Some("Always") => " (replace)",
                                Some("Conditionally") => " (maybe replace)",
                                _ => "",
                            };
                            Some(format!("{name}{tag}"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(note) = field(c, &["note", "Note"]) {
                notes.push(format!("{id}: {note}"));
            } else if c.get("emulated").and_then(Value::as_bool) == Some(false) {
                notes.push(format!(
                    "{id}: {rtype} is not emulated locally (recorded only)"
                ));
            }
            vec![
                format!("{sign} {op}"),
                id.to_string(),
                rtype.to_string(),
                replacement,
                props.join(", "),
            ]
        })
        .collect();
    let count = |op: &str| list.iter().filter(|c| operation(c) == op).count();
    let mut out = format!("Change set for {app}/{stage}\n");
    out.push_str(&table(
        &[
            "Operation",
            "LogicalResourceId",
            "ResourceType",
            "Replacement",
            "Properties",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "{} to add, {} to modify, {} to replace, {} to remove.\n",
        count("Add"),
        count("Modify"),
        count("Replace"),
        count("Remove")
    ));
    for n in notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_like_a_change_set() {
        let cs = json!({"changes": [
            {"logical_id": "Fn", "resource_type": "AWS::Lambda::Function", "action": "Add", "details": []},
            {"logical_id": "Role", "resource_type": "AWS::IAM::Role", "action": "Modify", "replacement": "False",
             "details": [{"name": "Policies", "requires_recreation": "Never", "evaluation": "Static"}]},
            {"logical_id": "Ver", "resource_type": "AWS::Lambda::Version", "action": "Modify", "replacement": "True",
             "details": [{"name": "CodeSha256", "requires_recreation": "Always", "evaluation": "Dynamic"}]},
            {"logical_id": "Old", "resource_type": "AWS::SNS::Topic", "action": "Remove", "details": []}
        ]});
        let text = render("todo", "dev", &cs);
        assert_eq!(
            text,
            "Change set for todo/dev\n\
Operation  LogicalResourceId  ResourceType           Replacement  Properties\n\
+ Add      Fn                 AWS::Lambda::Function  N/A\n\
~ Modify   Role               AWS::IAM::Role         False        Policies\n\
± Replace  Ver                AWS::Lambda::Version   True         CodeSha256 (replace)\n\
- Remove   Old                AWS::SNS::Topic        N/A\n\
1 to add, 1 to modify, 1 to replace, 1 to remove.\n"
        );
        assert_eq!(
            render("a", "b", &json!({"changes": []})),
            "No changes: a/b is up to date.\n"
        );
    }
}
