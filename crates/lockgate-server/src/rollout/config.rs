//! Deployment configurations: how fast an alias's traffic moves, as
//! CodeDeploy names them (`CodeDeployDefault.LambdaCanary10Percent5Minutes`,
//! …) or as an `AWS::CodeDeploy::DeploymentConfig` resource defines them.

use std::time::Duration;

use serde_json::Value;

/// How traffic moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrafficRouting {
    /// All at once.
    AllAtOnce,
    /// `percent` first, the rest after `interval`.
    Canary {
        /// The first step, in percent.
        percent: f64,
        /// The wait before the rest.
        interval: Duration,
    },
    /// `percent` more every `interval` until all of it.
    Linear {
        /// Each step, in percent.
        percent: f64,
        /// The wait between steps.
        interval: Duration,
    },
}

/// A deployment configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentConfig {
    /// Its name (`CodeDeployDefault.LambdaCanary10Percent5Minutes`, or a custom one).
    pub name: String,
    /// How traffic moves.
    pub routing: TrafficRouting,
}

const MINUTE: Duration = Duration::from_secs(60);

impl DeploymentConfig {
    /// CodeDeploy's all-at-once configuration.
    pub fn all_at_once() -> DeploymentConfig {
        DeploymentConfig {
            name: "CodeDeployDefault.LambdaAllAtOnce".into(),
            routing: TrafficRouting::AllAtOnce,
        }
    }

    /// One of CodeDeploy's predefined Lambda configurations, named with or
    /// without `CodeDeployDefault.` (and, as SAM's `DeploymentPreference`
    /// types write them, without `Lambda`).
    pub fn predefined(name: &str) -> Option<DeploymentConfig> {
        let short = name.strip_prefix("CodeDeployDefault.").unwrap_or(name);
        let short = short.strip_prefix("Lambda").unwrap_or(short);
        let routing = match short {
            "AllAtOnce" => TrafficRouting::AllAtOnce,
            "Canary10Percent5Minutes" => canary(10.0, 5),
            "Canary10Percent10Minutes" => canary(10.0, 10),
            "Canary10Percent15Minutes" => canary(10.0, 15),
            "Canary10Percent30Minutes" => canary(10.0, 30),
            "Linear10PercentEvery1Minute" => linear(10.0, 1),
            "Linear10PercentEvery2Minutes" => linear(10.0, 2),
            "Linear10PercentEvery3Minutes" => linear(10.0, 3),
            "Linear10PercentEvery10Minutes" => linear(10.0, 10),
            _ => return None,
        };
        Some(DeploymentConfig {
            name: format!("CodeDeployDefault.Lambda{short}"),
            routing,
        })
    }

    /// The configuration an `AWS::CodeDeploy::DeploymentConfig` resource
    /// named `name` defines (`TrafficRoutingConfig` of type `AllAtOnce`,
    /// `TimeBasedCanary` or `TimeBasedLinear`; intervals in minutes).
    pub fn from_resource(name: &str, props: &Value) -> Result<DeploymentConfig, String> {
        if let Some(platform) = props.get("ComputePlatform").and_then(Value::as_str)
            && platform != "Lambda"
        {
            return Err(format!(
                "deployment configuration {name}: ComputePlatform is {platform}, expected Lambda"
            ));
        }
        let trc = props.get("TrafficRoutingConfig").ok_or_else(|| {
            format!("deployment configuration {name}: TrafficRoutingConfig is required for Lambda")
        })?;
        let ty = trc.get("Type").and_then(Value::as_str).unwrap_or("");
        let step = |key: &str, pct: &str, int: &str| -> Result<(f64, u64), String> {
            let b = trc.get(key).ok_or_else(|| {
                format!("deployment configuration {name}: TrafficRoutingConfig.{key} is required for {ty}")
            })?;
            let number = |k: &str| {
                b.get(k).and_then(|v| match v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                })
            };
            let p = number(pct).filter(|p| *p > 0.0 && *p <= 100.0).ok_or_else(|| {
                format!("deployment configuration {name}: {key}.{pct} must be a percentage from 1 to 100")
            })?;
            let i = number(int).filter(|i| *i >= 1.0 && i.fract() == 0.0).ok_or_else(|| {
                format!("deployment configuration {name}: {key}.{int} must be a whole number of minutes, at least 1")
            })?;
            Ok((p, i as u64))
        };
        let routing = match ty {
            "AllAtOnce" => TrafficRouting::AllAtOnce,
            "TimeBasedCanary" => {
                let (p, i) = step("TimeBasedCanary", "CanaryPercentage", "CanaryInterval")?;
                canary(p, i)
            }
            "TimeBasedLinear" => {
                let (p, i) = step("TimeBasedLinear", "LinearPercentage", "LinearInterval")?;
                linear(p, i)
            }
            other => {
                return Err(format!(
                    "deployment configuration {name}: TrafficRoutingConfig.Type `{other}` is not \
                     one of AllAtOnce, TimeBasedCanary, TimeBasedLinear"
                ));
            }
        };
        Ok(DeploymentConfig {
            name: name.to_string(),
            routing,
        })
    }
}

fn canary(percent: f64, minutes: u64) -> TrafficRouting {
    TrafficRouting::Canary {
        percent,
        interval: MINUTE * minutes as u32,
    }
}

fn linear(percent: f64, minutes: u64) -> TrafficRouting {
    TrafficRouting::Linear {
        percent,
        interval: MINUTE * minutes as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_predefined_lambda_configuration_with_or_without_prefix() {
        for (name, routing) in [
            (
                "CodeDeployDefault.LambdaAllAtOnce",
                TrafficRouting::AllAtOnce,
            ),
            ("AllAtOnce", TrafficRouting::AllAtOnce),
            ("Canary10Percent5Minutes", canary(10.0, 5)),
            (
                "CodeDeployDefault.LambdaCanary10Percent10Minutes",
                canary(10.0, 10),
            ),
            ("LambdaCanary10Percent15Minutes", canary(10.0, 15)),
            ("Canary10Percent30Minutes", canary(10.0, 30)),
            ("Linear10PercentEvery1Minute", linear(10.0, 1)),
            (
                "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
                linear(10.0, 2),
            ),
            ("Linear10PercentEvery3Minutes", linear(10.0, 3)),
            ("Linear10PercentEvery10Minutes", linear(10.0, 10)),
        ] {
            let c = DeploymentConfig::predefined(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(c.routing, routing, "{name}");
            assert!(c.name.starts_with("CodeDeployDefault.Lambda"), "{}", c.name);
        }
        assert!(DeploymentConfig::predefined("Canary50Percent1Minute").is_none());
    }

    #[test]
    fn custom_configurations_from_their_resource() {
        let c = DeploymentConfig::from_resource(
            "Fast",
            &json!({"ComputePlatform": "Lambda", "TrafficRoutingConfig": {
                "Type": "TimeBasedCanary",
                "TimeBasedCanary": {"CanaryPercentage": 25, "CanaryInterval": 2}}}),
        )
        .unwrap();
        assert_eq!(c.routing, canary(25.0, 2));
        let c = DeploymentConfig::from_resource(
            "Steps",
            &json!({"TrafficRoutingConfig": {"Type": "TimeBasedLinear",
                "TimeBasedLinear": {"LinearPercentage": "20", "LinearInterval": "1"}}}),
        )
        .unwrap();
        assert_eq!(c.routing, linear(20.0, 1));
        let e = DeploymentConfig::from_resource(
            "Bad",
            &json!({"TrafficRoutingConfig": {"Type": "TimeBasedCanary",
                "TimeBasedCanary": {"CanaryPercentage": 0, "CanaryInterval": 2}}}),
        )
        .unwrap_err();
        assert!(e.contains("CanaryPercentage must be a percentage"), "{e}");
        let e = DeploymentConfig::from_resource("Ec2", &json!({"ComputePlatform": "Server"}))
            .unwrap_err();
        assert!(e.contains("expected Lambda"), "{e}");
    }
}
