//! Helpers shared by the integration tests (each test binary uses a subset).
#![allow(dead_code)]

use lockgate_sam::{TransformOptions, transform};
use serde_json::{Map, Value};

/// Options of the tests: region `ap-southeast-1`, defaults otherwise.
pub fn opts() -> TransformOptions {
    TransformOptions {
        region: "ap-southeast-1".into(),
        ..TransformOptions::default()
    }
}

/// The message of a template the transform must reject (with [`opts`]).
pub fn err(template: Value) -> String {
    transform(&template, &opts())
        .expect_err("template must be rejected")
        .to_string()
}

/// The `Resources` map of a transformed template.
pub fn resources(out: &Value) -> &Map<String, Value> {
    out["Resources"].as_object().expect("Resources is a map")
}
