//! `lockgate plan`: the change set a deploy would apply to a stage, as
//! CloudFormation shows one: each resource Add / Modify / Replace / Remove,
//! the properties that differ and whether the change needs replacement.

use std::process::ExitCode;

use lockgate_api::{Action, Change, DeployRequest, Recreation, Replacement};

use super::deploy::{Prepared, prepare};
use super::{Common, Format, StageArgs, pretty, table};
use crate::client::{Client, ClientError};

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

/// Uploads the code the server lacks, asks it for the change set and prints it.
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
    let plan = client.plan(&prepared.app, &prepared.stage, &req).await?;
    match output {
        Format::Json => println!("{}", pretty(&plan)),
        Format::Text => {
            for w in &plan.warnings {
                eprintln!("warning: {w}");
            }
            if plan.changes.is_empty() && plan.settings_change {
                print!("{}", settings_only(&prepared.app, &prepared.stage));
            } else {
                print!("{}", render(&prepared.app, &prepared.stage, &plan.changes));
            }
        }
    }
    Ok(())
}

/// What a plan says when no resource changes but the stack's outputs or
/// parameters do.
fn settings_only(app: &str, stage: &str) -> String {
    format!(
        "No resource changes: {app}/{stage}'s outputs or parameters change (deploy commits them).\n"
    )
}

/// Renders a change set as a table.
pub fn render(app: &str, stage: &str, list: &[Change]) -> String {
    if list.is_empty() {
        return format!("No changes: {app}/{stage} is up to date.\n");
    }
    let mut notes = Vec::new();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let op = c.operation();
            let sign = match op {
                "Add" => "+",
                "Remove" => "-",
                "Replace" => "±",
                _ => "~",
            };
            let replacement = match c.action {
                Action::Modify => c
                    .replacement
                    .unwrap_or(Replacement::False)
                    .as_str()
                    .to_string(),
                Action::Add | Action::Remove => "N/A".to_string(),
            };
            let props: Vec<String> = c
                .details
                .iter()
                .map(|p| {
                    let tag = match p.requires_recreation {
                        Recreation::Always => " (replace)",
                        Recreation::Conditionally => " (maybe replace)",
                        Recreation::Never => "",
                    };
                    format!("{}{tag}", p.name)
                })
                .collect();
            if !c.emulated {
                notes.push(format!(
                    "{}: {} is not emulated locally (recorded only)",
                    c.logical_id, c.resource_type
                ));
            }
            vec![
                format!("{sign} {op}"),
                c.logical_id.clone(),
                c.resource_type.clone(),
                replacement,
                props.join(", "),
            ]
        })
        .collect();
    let count = |op: &str| list.iter().filter(|c| c.operation() == op).count();
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
        let changes: Vec<Change> = serde_json::from_value(json!([
            {"logical_id": "Fn", "resource_type": "AWS::Lambda::Function", "action": "Add", "details": [], "emulated": true},
            {"logical_id": "Role", "resource_type": "AWS::IAM::Role", "action": "Modify", "replacement": "False",
             "details": [{"name": "Policies", "requires_recreation": "Never", "evaluation": "Static"}], "emulated": true},
            {"logical_id": "Ver", "resource_type": "AWS::Lambda::Version", "action": "Modify", "replacement": "True",
             "details": [{"name": "CodeSha256", "requires_recreation": "Always", "evaluation": "Dynamic"}], "emulated": true},
            {"logical_id": "Old", "resource_type": "AWS::SNS::Topic", "action": "Remove", "details": [], "emulated": true}
        ]))
        .unwrap();
        let text = render("todo", "dev", &changes);
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
        assert_eq!(render("a", "b", &[]), "No changes: a/b is up to date.\n");
        assert_eq!(
            settings_only("a", "b"),
            "No resource changes: a/b's outputs or parameters change (deploy commits them).\n"
        );
        let recorded = Change {
            emulated: false,
            ..changes[3].clone()
        };
        assert!(
            render("a", "b", &[recorded])
                .ends_with("note: Old: AWS::SNS::Topic is not emulated locally (recorded only)\n")
        );
    }
}
