//! What `sam package` does before the transform: local code paths become
//! S3 locations, so the SAM translator (which rejects local `CodeUri`s)
//! accepts the template. [`crate::load`] runs it with
//! [`crate::LoadOptions::code_locations`] (a deploy's artifact digests),
//! falling back to [`local_location`] placeholders as `sam validate` does.

use serde_json::{Map, Value, json};

/// The bucket name that marks "local code" in S3 locations.
pub const LOCAL_BUCKET: &str = "lockgate-local";

fn is_local(s: &str) -> bool {
    !s.starts_with("s3://") && !s.starts_with("https://") && !s.starts_with("http://")
}

/// Splits `s3://bucket/key` into its parts.
fn split_s3(s: &str) -> Option<(&str, &str)> {
    s.strip_prefix("s3://")?.split_once('/')
}

/// Rewrites every local code path of a SAM / CloudFormation template
/// through `rewrite`, which returns an `s3://bucket/key` location:
///
/// - `CodeUri` of `AWS::Serverless::Function` and of `Globals.Function`
///   (a function with neither `CodeUri`, `InlineCode` nor `ImageUri` gets
///   the template directory, `.`, as SAM CLI does);
/// - `ContentUri` of `AWS::Serverless::LayerVersion`;
/// - a string `Code` of `AWS::Lambda::Function` and a string `Content` of
///   `AWS::Lambda::LayerVersion` (these become `{S3Bucket, S3Key}`).
///
/// Values that already are S3 locations or objects are left alone.
pub fn package_local_paths(template: &mut Value, mut rewrite: impl FnMut(&str) -> String) {
    let globals_code = template
        .pointer("/Globals/Function")
        .map(|g| g.get("CodeUri").is_some() || g.get("InlineCode").is_some())
        .unwrap_or(false);
    if let Some(Value::String(uri)) = template.pointer_mut("/Globals/Function/CodeUri")
        && is_local(uri)
    {
        *uri = rewrite(uri);
    }
    let Some(Value::Object(resources)) = template.get_mut("Resources") else {
        return;
    };
    for r in resources.values_mut() {
        let ty = r
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(Value::Object(props)) = ensure_props(r) else {
            continue;
        };
        match ty.as_str() {
            "AWS::Serverless::Function" => {
                let image = props.get("PackageType").and_then(Value::as_str) == Some("Image")
                    || props.contains_key("ImageUri");
                let inline = props.contains_key("InlineCode");
                match props.get_mut("CodeUri") {
                    Some(Value::String(uri)) if is_local(uri) => *uri = rewrite(uri),
                    None if !image && !globals_code && !inline => {
                        props.insert("CodeUri".into(), Value::String(rewrite(".")));
                    }
                    _ => {}
                }
            }
            "AWS::Serverless::LayerVersion" => {
                if let Some(Value::String(uri)) = props.get_mut("ContentUri")
                    && is_local(uri)
                {
                    *uri = rewrite(uri);
                }
            }
            "AWS::Lambda::Function" => to_s3_object(props, "Code", &mut rewrite),
            "AWS::Lambda::LayerVersion" => to_s3_object(props, "Content", &mut rewrite),
            _ => {}
        }
    }
}

fn ensure_props(r: &mut Value) -> Option<&mut Value> {
    let obj = r.as_object_mut()?;
    Some(
        obj.entry("Properties")
            .or_insert_with(|| Value::Object(Map::new())),
    )
}

/// Rewrites a local path in `props[key]` to `{S3Bucket, S3Key}`.
fn to_s3_object(
    props: &mut Map<String, Value>,
    key: &str,
    rewrite: &mut impl FnMut(&str) -> String,
) {
    if let Some(Value::String(path)) = props.get(key)
        && is_local(path)
    {
        let location = rewrite(path);
        if let Some((bucket, k)) = split_s3(&location) {
            props.insert(key.into(), json!({ "S3Bucket": bucket, "S3Key": k }));
        }
    }
}

/// The placeholder location of a local path: `s3://lockgate-local/<path as written>`.
pub fn local_location(path: &str) -> String {
    let trimmed = path.strip_prefix("./").unwrap_or(path);
    format!(
        "s3://{LOCAL_BUCKET}/{}",
        if trimmed.is_empty() { "." } else { trimmed }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_every_local_code_path() {
        let mut t = json!({
            "Globals": {"Function": {"CodeUri": "src/"}},
            "Resources": {
                "A": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "hello_world/"}},
                "B": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://bucket/key.zip"}},
                "L": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "./layer"}},
                "C": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "fn/"}},
                "D": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}}},
                "Q": {"Type": "AWS::SQS::Queue"}
            }
        });
        let mut seen = Vec::new();
        package_local_paths(&mut t, |p| {
            seen.push(p.to_string());
            local_location(p)
        });
        assert_eq!(seen, vec!["src/", "hello_world/", "./layer", "fn/"]);
        assert_eq!(
            t["Globals"]["Function"]["CodeUri"],
            "s3://lockgate-local/src/"
        );
        assert_eq!(
            t["Resources"]["A"]["Properties"]["CodeUri"],
            "s3://lockgate-local/hello_world/"
        );
        assert_eq!(
            t["Resources"]["B"]["Properties"]["CodeUri"],
            "s3://bucket/key.zip"
        );
        assert_eq!(
            t["Resources"]["L"]["Properties"]["ContentUri"],
            "s3://lockgate-local/layer"
        );
        assert_eq!(
            t["Resources"]["C"]["Properties"]["Code"],
            json!({"S3Bucket": "lockgate-local", "S3Key": "fn/"})
        );
        assert_eq!(
            t["Resources"]["D"]["Properties"]["Code"],
            json!({"ZipFile": "x"})
        );
    }

    #[test]
    fn a_function_without_code_uri_gets_the_template_dir() {
        let mut t = json!({"Resources": {
            "A": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.h"}},
            "I": {"Type": "AWS::Serverless::Function", "Properties": {"InlineCode": "x"}},
            "M": {"Type": "AWS::Serverless::Function", "Properties": {"PackageType": "Image"}}
        }});
        package_local_paths(&mut t, local_location);
        assert_eq!(
            t["Resources"]["A"]["Properties"]["CodeUri"],
            "s3://lockgate-local/."
        );
        assert!(t["Resources"]["I"]["Properties"].get("CodeUri").is_none());
        assert!(t["Resources"]["M"]["Properties"].get("CodeUri").is_none());
    }
}
