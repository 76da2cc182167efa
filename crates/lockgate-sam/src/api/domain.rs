//! Custom domains of REST and HTTP APIs: domain names, base path / API
//! mappings and Route 53 record set groups.
//!
//! Entry points:
//! - [`rest_domain`] for `AWS::Serverless::Api` (the translator's
//!   `ApiGenerator._construct_api_domain` / `_construct_api_domain_v2`);
//! - [`http_domain`] for `AWS::Serverless::HttpApi`
//!   (`ApiV2Generator._construct_api_domain`).
//!
//! Record set groups are shared by every API of the template on the same
//! hosted zone: the group lives in `ctx.route53_record_set_groups` and each
//! API that adds records to it returns the group again with all records so
//! far (the last copy written to the output wins, as in the translator).

use serde_json::{Map, Value, json};

use crate::api::http::util::{expect_bool, expect_list_of_str, expect_map, expect_some, get};
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::ids::{logical_id as gen_id, truthy};
use crate::intrinsics::resolve_parameter_refs;
use crate::intrinsics::{get_att, py_list, ref_};

const TLS_FIELDS: [&str; 2] = ["TruststoreUri", "TruststoreVersion"];

/// Builds the custom domain resources of a REST API (`AWS::Serverless::Api`).
///
/// - `api_logical_id`: the SAM API's logical ID (also the `AWS::ApiGateway::RestApi`'s);
/// - `domain`: the API's `Domain` property as written (parameter `Ref`s are
///   resolved here, as `SamApi.to_cloudformation` does); `None`/`null` means no domain;
/// - `passthrough`: the API's pass-through attributes (`Condition`,
///   `DeletionPolicy`, `UpdateReplacePolicy`), see
///   [`crate::api::http::util::passthrough_attributes`].
///
/// Returns, in the translator's order: the `AWS::ApiGateway::DomainName`
/// (or `DomainNameV2` for `EndpointConfiguration: PRIVATE`), the
/// `BasePathMapping`(s) (`BasePathMappingV2`), the Route 53 record set group
/// when `Route53` is set, and the `DomainNameAccessAssociation` of a private
/// domain. The base path mappings' `Stage` is `{"Ref": "<Api>.Stage"}`, which
/// the final reference resolution turns into the stage's logical ID.
pub fn rest_domain(
    ctx: &mut Ctx,
    api_logical_id: &str,
    domain: Option<&Value>,
    passthrough: &Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let Some(domain) = domain.filter(|d| !d.is_null()) else {
        return Ok(Vec::new());
    };
    let domain = resolve_parameter_refs(domain, &ctx.parameter_values)?;
    let is_private = domain.get("EndpointConfiguration").and_then(Value::as_str) == Some("PRIVATE");
    let mut domain = expect_map(&domain, api_logical_id, "Domain")?.clone();
    let api = ApiRef {
        id: api_logical_id,
        passthrough,
    };
    if is_private {
        rest_domain_v2(ctx, &api, &mut domain)
    } else {
        rest_domain_v1(ctx, &api, &mut domain)
    }
}

/// The REST API's `Domain` as the translator leaves it after building the
/// domain resources, for the deployment hash (`json.dumps(domain)` in
/// `ApiGatewayDeployment.make_auto_deployable`). `domain` is the `Domain`
/// with parameter `Ref`s already resolved; the result adds `ApiDomainName`, the default `EndpointConfiguration: REGIONAL` and,
/// for edge domains with Route 53, `Route53.DistributionDomainName`.
/// Private domains are returned unchanged.
pub fn rest_domain_for_deployment_hash(domain: &Value) -> Value {
    let mut d = domain.clone();
    let Value::Object(m) = &mut d else { return d };
    let endpoint = get(m, "EndpointConfiguration").cloned();
    if endpoint.as_ref().and_then(Value::as_str) == Some("PRIVATE") {
        return d;
    }
    let (Some(name), Some(_)) = (get(m, "DomainName").cloned(), get(m, "CertificateArn")) else {
        return d;
    };
    m.insert(
        "ApiDomainName".into(),
        Value::String(format!("ApiGatewayDomainName{}", gen_id("", &name))),
    );
    if endpoint.is_none() {
        m.insert("EndpointConfiguration".into(), json!("REGIONAL"));
    }
    let api_domain_name = format!("ApiGatewayDomainName{}", gen_id("", &name));
    if endpoint.as_ref().and_then(Value::as_str) == Some("EDGE")
        && let Some(Value::Object(r53)) = m.get_mut("Route53")
        && (get(r53, "HostedZoneId").is_some() || get(r53, "HostedZoneName").is_some())
        && get(r53, "DistributionDomainName").is_none()
    {
        r53.insert(
            "DistributionDomainName".into(),
            get_att(&api_domain_name, "DistributionDomainName"),
        );
    }
    d
}

/// The API a domain is built for.
struct ApiRef<'a> {
    id: &'a str,
    passthrough: &'a Map<String, Value>,
}

impl ApiRef<'_> {
    fn resource(&self, logical_id: impl Into<String>, ty: &str) -> Resource {
        let mut r = Resource::new(logical_id, ty);
        r.attributes = self.passthrough.clone();
        r
    }
}

fn rest_domain_v1(
    ctx: &mut Ctx,
    api: &ApiRef<'_>,
    domain: &mut Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let domain_name = expect_some(domain.get("DomainName"), api.id, "Domain.DomainName")?.clone();
    let certificate_arn = expect_some(
        domain.get("CertificateArn"),
        api.id,
        "Domain.CertificateArn",
    )?
    .clone();
    let api_domain_name = format!("ApiGatewayDomainName{}", gen_id("", &domain_name));

    let mut res = api.resource(&api_domain_name, "AWS::ApiGateway::DomainName");
    res.properties.insert("DomainName".into(), domain_name);
    let endpoint = match get(domain, "EndpointConfiguration") {
        None => {
            domain.insert("EndpointConfiguration".into(), json!("REGIONAL"));
            json!("REGIONAL")
        }
        Some(e) if matches!(e.as_str(), Some("EDGE" | "REGIONAL" | "PRIVATE")) => e.clone(),
        Some(_) => return Err(bad_endpoint(api.id, &["EDGE", "REGIONAL", "PRIVATE"])),
    };
    if endpoint == "REGIONAL" {
        res.properties
            .insert("RegionalCertificateArn".into(), certificate_arn);
    } else {
        res.properties
            .insert("CertificateArn".into(), certificate_arn);
    }
    let mut endpoint_config = Map::new();
    endpoint_config.insert("Types".into(), json!([endpoint]));
    if let Some(ip) = domain.get("IpAddressType").filter(|v| truthy(Some(v))) {
        endpoint_config.insert("IpAddressType".into(), ip.clone());
    }
    res.properties.insert(
        "EndpointConfiguration".into(),
        Value::Object(endpoint_config),
    );

    if let Some(tls) = domain
        .get("MutualTlsAuthentication")
        .filter(|v| truthy(Some(v)))
    {
        let tls = expect_map(tls, api.id, "Domain.MutualTlsAuthentication")?;
        if tls.keys().any(|k| !TLS_FIELDS.contains(&k.as_str())) {
            return Err(ErrorItem::resource(
                api.id,
                format!(
                    "Available Domain.MutualTlsAuthentication fields are {}.",
                    py_list(&TLS_FIELDS)
                ),
            ));
        }
        res.properties
            .insert("MutualTlsAuthentication".into(), tls_config(tls));
    }
    set_optional_domain_properties(&mut res, domain);

    let normalize = domain
        .get("NormalizeBasePath")
        .is_none_or(|v| truthy(Some(v)));
    let mut out = vec![res];
    match basepaths(domain) {
        None => out.push(rest_mapping(api, &api_domain_name, None, None)),
        Some(paths) => {
            let paths = expect_list_of_str(&paths, api.id, "Domain.BasePath")?;
            for bp in paths.iter().filter_map(Value::as_str) {
                let path: String = bp.chars().filter(|c| c.is_alphanumeric()).collect();
                let mapped = if normalize {
                    path.clone()
                } else {
                    bp.to_string()
                };
                let id = format!("{}{path}BasePathMapping", api.id);
                out.push(rest_mapping(api, &api_domain_name, Some(id), Some(mapped)));
            }
        }
    }
    if let Some(group) = route53_group(ctx, api, domain, &api_domain_name, AliasKind::Rest)? {
        out.push(group);
    }
    Ok(out)
}

fn rest_domain_v2(
    ctx: &mut Ctx,
    api: &ApiRef<'_>,
    domain: &mut Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let domain_name = expect_some(domain.get("DomainName"), api.id, "Domain.DomainName")?.clone();
    let certificate_arn = expect_some(
        domain.get("CertificateArn"),
        api.id,
        "Domain.CertificateArn",
    )?
    .clone();
    let api_domain_name = format!("ApiGatewayDomainNameV2{}", gen_id("", &domain_name));
    let domain_name_arn = ref_(&api_domain_name);

    let mut res = api.resource(&api_domain_name, "AWS::ApiGateway::DomainNameV2");
    res.properties
        .insert("DomainName".into(), domain_name.clone());
    res.properties
        .insert("CertificateArn".into(), certificate_arn);
    let mut endpoint_config = Map::new();
    endpoint_config.insert("Types".into(), json!(["PRIVATE"]));
    if let Some(ip) = domain.get("IpAddressType").filter(|v| truthy(Some(v))) {
        endpoint_config.insert("IpAddressType".into(), ip.clone());
    }
    res.properties.insert(
        "EndpointConfiguration".into(),
        Value::Object(endpoint_config),
    );
    set_optional_domain_properties(&mut res, domain);

    let normalize = domain
        .get("NormalizeBasePath")
        .is_none_or(|v| truthy(Some(v)));
    let mut out = vec![res];
    let mapping = |id: String, base_path: Option<String>| {
        let mut m = api.resource(id, "AWS::ApiGateway::BasePathMappingV2");
        m.properties
            .insert("DomainNameArn".into(), domain_name_arn.clone());
        m.properties.insert("RestApiId".into(), ref_(api.id));
        m.properties
            .insert("Stage".into(), ref_(&format!("{}.Stage", api.id)));
        if let Some(bp) = base_path {
            m.properties.insert("BasePath".into(), Value::String(bp));
        }
        m
    };
    match basepaths(domain) {
        None => out.push(mapping(format!("{}BasePathMapping", api.id), None)),
        Some(paths) => {
            let paths = expect_list_of_str(&paths, api.id, "Domain.BasePath")?;
            for bp in paths.iter().filter_map(Value::as_str) {
                let path: String = bp.chars().filter(|c| c.is_alphanumeric()).collect();
                let mapped = if normalize {
                    path.clone()
                } else {
                    bp.to_string()
                };
                out.push(mapping(
                    format!("{}{path}BasePathMapping", api.id),
                    Some(mapped),
                ));
            }
        }
    }

    let mut association = None;
    if let Some(assoc) = domain.get("AccessAssociation").filter(|v| !v.is_null()) {
        let assoc = expect_map(assoc, api.id, "Domain.AccessAssociation")?;
        let vpce = assoc.get("VpcEndpointId").cloned().unwrap_or(Value::Null);
        let id = gen_id(
            "DomainNameAccessAssociation",
            &json!([vpce, api_domain_name]),
        );
        let mut r = api.resource(id, "AWS::ApiGateway::DomainNameAccessAssociation");
        r.properties
            .insert("DomainNameArn".into(), domain_name_arn.clone());
        r.properties
            .insert("AccessAssociationSourceType".into(), json!("VPCE"));
        r.properties.insert("AccessAssociationSource".into(), vpce);
        association = Some(r);
    }

    // The translator passes the domain name itself where the V1 code passes
    // the domain's logical ID; private alias targets do not use it.
    let alias_name = domain_name.as_str().unwrap_or_default().to_string();
    if let Some(group) = route53_group(ctx, api, domain, &alias_name, AliasKind::Rest)? {
        out.push(group);
    }
    out.extend(association);
    Ok(out)
}

/// Builds the custom domain resources of an HTTP API (`AWS::Serverless::HttpApi`).
///
/// `domain` is the API's `Domain` with parameter `Ref`s already resolved;
/// `tag_domain` adds the `httpapi:createdBy: SAM` tag (HTTP APIs do).
/// Returns the `AWS::ApiGatewayV2::DomainName`, the `ApiMapping`(s) and the
/// Route 53 record set group when `Route53` is set.
pub fn http_domain(
    ctx: &mut Ctx,
    api_logical_id: &str,
    domain: Option<&Value>,
    passthrough: &Map<String, Value>,
    tag_domain: bool,
) -> Result<Vec<Resource>, ErrorItem> {
    let Some(domain) = domain.filter(|d| !d.is_null()) else {
        return Ok(Vec::new());
    };
    let api = ApiRef {
        id: api_logical_id,
        passthrough,
    };
    let mut domain = expect_map(domain, api.id, "Domain")?.clone();
    let domain_name = get(&domain, "DomainName").cloned();
    let certificate_arn = get(&domain, "CertificateArn").cloned();
    let (Some(domain_name), Some(certificate_arn)) = (domain_name, certificate_arn) else {
        return Err(ErrorItem::resource(
            api.id,
            "Custom Domains only works if both DomainName and CertificateArn are provided.",
        ));
    };
    let mut config = Map::new();
    config.insert("CertificateArn".into(), certificate_arn);
    let api_domain_name = format!("ApiGatewayDomainNameV2{}", gen_id("", &domain_name));
    let mut res = api.resource(&api_domain_name, "AWS::ApiGatewayV2::DomainName");
    res.properties.insert("DomainName".into(), domain_name);
    if tag_domain {
        res.properties.insert(
            "Tags".into(),
            json!({ crate::api::http::HTTP_API_TAG_NAME: "SAM" }),
        );
    }
    let endpoint = match get(&domain, "EndpointConfiguration") {
        None => {
            domain.insert("EndpointConfiguration".into(), json!("REGIONAL"));
            json!("REGIONAL")
        }
        Some(e) if e.as_str() == Some("REGIONAL") => e.clone(),
        Some(_) => return Err(bad_endpoint(api.id, &["REGIONAL"])),
    };
    config.insert("EndpointType".into(), endpoint);
    for key in ["OwnershipVerificationCertificateArn", "SecurityPolicy"] {
        if let Some(v) = domain.get(key).filter(|v| truthy(Some(v))) {
            config.insert(key.into(), v.clone());
        }
    }
    res.properties
        .insert("DomainNameConfigurations".into(), json!([config]));

    if let Some(tls) = domain
        .get("MutualTlsAuthentication")
        .filter(|v| truthy(Some(v)))
    {
        let Some(tls) = tls.as_object() else {
            return Err(ErrorItem::resource(
                api.id,
                format!(
                    "MutualTlsAuthentication must be a map with at least one of the following fields {}.",
                    py_list(&TLS_FIELDS)
                ),
            ));
        };
        let mut invalid: Vec<&str> = tls
            .keys()
            .map(String::as_str)
            .filter(|k| !TLS_FIELDS.contains(k))
            .collect();
        if !invalid.is_empty() {
            invalid.sort_unstable();
            return Err(ErrorItem::resource(
                invalid.join(","),
                format!(
                    "Available MutualTlsAuthentication fields are {}.",
                    py_list(&TLS_FIELDS)
                ),
            ));
        }
        res.properties
            .insert("MutualTlsAuthentication".into(), tls_config(tls));
    }

    let mut out = vec![res];
    let mapping = |id: String, key: Option<&str>| {
        let mut m = api.resource(id, "AWS::ApiGatewayV2::ApiMapping");
        m.properties
            .insert("DomainName".into(), ref_(&api_domain_name));
        m.properties.insert("ApiId".into(), ref_(api.id));
        m.properties
            .insert("Stage".into(), ref_(&format!("{}.Stage", api.id)));
        if let Some(k) = key {
            m.properties.insert("ApiMappingKey".into(), json!(k));
        }
        m
    };
    match basepaths(&domain) {
        None => out.push(mapping(format!("{}ApiMapping", api.id), None)),
        Some(paths) => {
            for path in paths.as_array().into_iter().flatten() {
                let Some(path) = path.as_str() else {
                    return Err(ErrorItem::resource(api.id, "Basepath must be a string."));
                };
                if path
                    .chars()
                    .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_')))
                {
                    return Err(ErrorItem::resource(
                        api.id,
                        "Invalid Basepath name provided.",
                    ));
                }
                let cleaned: String = path
                    .chars()
                    .filter(|c| !matches!(c, '-' | '_' | '/'))
                    .collect();
                out.push(mapping(
                    format!("{}{cleaned}ApiMapping", api.id),
                    Some(path.trim_matches('/')),
                ));
            }
        }
    }
    if let Some(group) = route53_group(ctx, &api, &mut domain, &api_domain_name, AliasKind::Http)? {
        out.push(group);
    }
    Ok(out)
}

fn bad_endpoint(logical_id: &str, allowed: &[&str]) -> ErrorItem {
    ErrorItem::resource(
        logical_id,
        format!(
            "EndpointConfiguration for Custom Domains must be one of {}.",
            py_list(allowed)
        ),
    )
}

fn tls_config(tls: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for key in TLS_FIELDS {
        if let Some(v) = tls.get(key).filter(|v| truthy(Some(v))) {
            out.insert(key.into(), v.clone());
        }
    }
    Value::Object(out)
}

/// `_set_optional_domain_properties` of the REST domain.
fn set_optional_domain_properties(res: &mut Resource, domain: &Map<String, Value>) {
    for key in [
        "SecurityPolicy",
        "EndpointAccessMode",
        "Policy",
        "OwnershipVerificationCertificateArn",
    ] {
        if let Some(v) = domain.get(key).filter(|v| truthy(Some(v))) {
            res.properties.insert(key.into(), v.clone());
        }
    }
}

/// `BasePath` as a list (a single string becomes a one-item list); `None`
/// when absent or falsy. A non-list, non-string value is returned as is for
/// the caller's type check.
fn basepaths(domain: &Map<String, Value>) -> Option<Value> {
    let bp = domain.get("BasePath").filter(|v| truthy(Some(v)))?;
    match bp {
        Value::String(_) => Some(json!([bp])),
        Value::Array(_) => Some(bp.clone()),
        _ => None,
    }
}

fn rest_mapping(
    api: &ApiRef<'_>,
    domain_id: &str,
    id: Option<String>,
    base_path: Option<String>,
) -> Resource {
    let id = id.unwrap_or_else(|| format!("{}BasePathMapping", api.id));
    let mut m = api.resource(id, "AWS::ApiGateway::BasePathMapping");
    m.properties.insert("DomainName".into(), ref_(domain_id));
    m.properties.insert("RestApiId".into(), ref_(api.id));
    m.properties
        .insert("Stage".into(), ref_(&format!("{}.Stage", api.id)));
    if let Some(bp) = base_path {
        m.properties.insert("BasePath".into(), Value::String(bp));
    }
    m
}

#[derive(Clone, Copy, PartialEq)]
enum AliasKind {
    Rest,
    Http,
}

/// The Route 53 record set group of a domain, shared per hosted zone unless
/// `SeparateRecordSetGroup` is set.
fn route53_group(
    ctx: &mut Ctx,
    api: &ApiRef<'_>,
    domain: &mut Map<String, Value>,
    api_domain_name: &str,
    kind: AliasKind,
) -> Result<Option<Resource>, ErrorItem> {
    let Some(route53) = get(domain, "Route53") else {
        return Ok(None);
    };
    let mut route53 = expect_map(route53, api.id, "Domain.Route53")?.clone();
    let zone_id = get(&route53, "HostedZoneId").cloned();
    let zone_name = get(&route53, "HostedZoneName").cloned();
    if zone_id.is_none() && zone_name.is_none() {
        return Err(ErrorItem::resource(
            api.id,
            "HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains.",
        ));
    }
    let zone = if truthy(zone_id.as_ref()) {
        zone_id.clone()
    } else {
        zone_name.clone()
    };
    let zone = zone.unwrap_or(Value::Null);
    let group_id = format!("RecordSetGroup{}", gen_id("", &zone));

    if kind == AliasKind::Rest && truthy(route53.get("SeparateRecordSetGroup")) {
        let sep = route53
            .get("SeparateRecordSetGroup")
            .cloned()
            .unwrap_or(Value::Null);
        expect_bool(&sep, api.id, "Domain.Route53.SeparateRecordSetGroup")?;
        let name = domain.get("DomainName").cloned().unwrap_or(Value::Null);
        let id = gen_id("RecordSetGroup", &json!([zone, name]));
        let mut group = api.resource(id, "AWS::Route53::RecordSetGroup");
        if let Some(z) = zone_id.as_ref().filter(|v| truthy(Some(v))) {
            group.properties.insert("HostedZoneId".into(), z.clone());
        }
        if let Some(z) = zone_name.as_ref().filter(|v| truthy(Some(v))) {
            group.properties.insert("HostedZoneName".into(), z.clone());
        }
        let records = record_sets(api, domain, &mut route53, api_domain_name, kind)?;
        group
            .properties
            .insert("RecordSets".into(), Value::Array(records));
        return Ok(Some(group));
    }

    let mut group = match ctx.route53_record_set_groups.get(&group_id) {
        Some(stored) => resource_from_value(&group_id, stored),
        None => {
            let mut g = api.resource(&group_id, "AWS::Route53::RecordSetGroup");
            if route53.contains_key("HostedZoneId") {
                g.properties.insert(
                    "HostedZoneId".into(),
                    route53.get("HostedZoneId").cloned().unwrap_or(Value::Null),
                );
            }
            let has_name = route53.contains_key("HostedZoneName");
            if has_name && (kind == AliasKind::Rest || !route53.contains_key("HostedZoneId")) {
                g.properties.insert(
                    "HostedZoneName".into(),
                    route53
                        .get("HostedZoneName")
                        .cloned()
                        .unwrap_or(Value::Null),
                );
            }
            g.properties.insert("RecordSets".into(), json!([]));
            g
        }
    };
    let records = record_sets(api, domain, &mut route53, api_domain_name, kind)?;
    match group.properties.get_mut("RecordSets") {
        Some(Value::Array(existing)) => existing.extend(records),
        _ => {
            group
                .properties
                .insert("RecordSets".into(), Value::Array(records));
        }
    }
    ctx.route53_record_set_groups
        .insert(group_id, group.to_value());
    Ok(Some(group))
}

fn resource_from_value(logical_id: &str, v: &Value) -> Resource {
    let mut r = Resource::new(
        logical_id,
        v.get("Type").and_then(Value::as_str).unwrap_or_default(),
    );
    if let Some(m) = v.as_object() {
        for (k, val) in m {
            match k.as_str() {
                "Type" => {}
                "Properties" => {
                    r.properties = val.as_object().cloned().unwrap_or_default();
                }
                _ => {
                    r.attributes.insert(k.clone(), val.clone());
                }
            }
        }
    }
    r
}

fn record_sets(
    api: &ApiRef<'_>,
    domain: &Map<String, Value>,
    route53: &mut Map<String, Value>,
    api_domain_name: &str,
    kind: AliasKind,
) -> Result<Vec<Value>, ErrorItem> {
    let alias = alias_target(api, domain, route53, api_domain_name, kind)?;
    let name = domain.get("DomainName").cloned().unwrap_or(Value::Null);
    let record = |ty: &str| {
        let mut r = Map::new();
        r.insert("Name".into(), name.clone());
        r.insert("Type".into(), json!(ty));
        r.insert("AliasTarget".into(), alias.clone());
        for key in ["Region", "SetIdentifier"] {
            if let Some(v) = get(route53, key) {
                r.insert(key.into(), v.clone());
            }
        }
        Value::Object(r)
    };
    let mut out = vec![record("A")];
    if route53.get("IpV6") == Some(&Value::Bool(true)) {
        out.push(record("AAAA"));
    }
    Ok(out)
}

fn alias_target(
    api: &ApiRef<'_>,
    domain: &Map<String, Value>,
    route53: &mut Map<String, Value>,
    api_domain_name: &str,
    kind: AliasKind,
) -> Result<Value, ErrorItem> {
    let mut alias = Map::new();
    if let Some(h) = get(route53, "EvaluateTargetHealth") {
        alias.insert("EvaluateTargetHealth".into(), h.clone());
    }
    let endpoint = domain.get("EndpointConfiguration").and_then(Value::as_str);
    match (endpoint, kind) {
        (Some("REGIONAL"), _) => {
            alias.insert(
                "HostedZoneId".into(),
                get_att(api_domain_name, "RegionalHostedZoneId"),
            );
            alias.insert(
                "DNSName".into(),
                get_att(api_domain_name, "RegionalDomainName"),
            );
        }
        (_, AliasKind::Http) => {
            return Err(ErrorItem::resource(
                api.id,
                "Only REGIONAL endpoint is supported on HTTP APIs.",
            ));
        }
        (Some("EDGE"), AliasKind::Rest) => {
            if get(route53, "DistributionDomainName").is_none() {
                route53.insert(
                    "DistributionDomainName".into(),
                    get_att(api_domain_name, "DistributionDomainName"),
                );
            }
            alias.insert("HostedZoneId".into(), json!("Z2FDTNDATAQYW2"));
            alias.insert(
                "DNSName".into(),
                route53
                    .get("DistributionDomainName")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
        }
        (_, AliasKind::Rest) => {
            alias.insert(
                "HostedZoneId".into(),
                route53
                    .get("VpcEndpointHostedZoneId")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
            alias.insert(
                "DNSName".into(),
                route53
                    .get("VpcEndpointDomainName")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
        }
    }
    Ok(Value::Object(alias))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_hash_domain_gets_translator_mutations() {
        let d = json!({
            "DomainName": "e.example.com", "CertificateArn": "c", "EndpointConfiguration": "EDGE",
            "Route53": { "HostedZoneId": "Z1" }
        });
        let out = rest_domain_for_deployment_hash(&d);
        let id = format!(
            "ApiGatewayDomainName{}",
            gen_id("", &json!("e.example.com"))
        );
        assert_eq!(out["ApiDomainName"], json!(id));
        assert_eq!(
            out["Route53"]["DistributionDomainName"],
            json!({ "Fn::GetAtt": [id, "DistributionDomainName"] })
        );
        let regional =
            rest_domain_for_deployment_hash(&json!({ "DomainName": "r", "CertificateArn": "c" }));
        assert_eq!(regional["EndpointConfiguration"], "REGIONAL");
        let private =
            json!({ "DomainName": "p", "CertificateArn": "c", "EndpointConfiguration": "PRIVATE" });
        assert_eq!(rest_domain_for_deployment_hash(&private), private);
    }

    #[test]
    fn basepaths_accept_a_string_or_a_list() {
        let m = json!({ "BasePath": "/v1" });
        assert_eq!(basepaths(m.as_object().unwrap()), Some(json!(["/v1"])));
        let m = json!({ "BasePath": "" });
        assert_eq!(basepaths(m.as_object().unwrap()), None);
    }
}
