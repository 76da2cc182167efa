//! Route matching as API Gateway does it: literal segments beat `{param}`,
//! which beats greedy `{proxy+}`; an exact method beats ANY; an HTTP API's
//! `$default` route catches what nothing else matched.

use std::collections::BTreeMap;

use crate::config::{ApiConfig, ApiKind, Route};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Param(String),
    Greedy(String),
}

#[derive(Debug)]
struct Entry {
    api: usize,
    route: usize,
    segs: Vec<Seg>,
    default: bool,
    /// The route key of HTTP APIs' events, made once.
    key: String,
}

/// All routes of all APIs, ready to match.
#[derive(Debug)]
pub struct RouteTable {
    apis: Vec<ApiConfig>,
    /// Each API's ID, made once.
    api_ids: Vec<String>,
    entries: Vec<Entry>,
    has_http_api: bool,
}

/// A matched route.
#[derive(Debug)]
pub struct Matched<'a> {
    /// The API.
    pub api: &'a ApiConfig,
    /// The route.
    pub route: &'a Route,
    /// Path parameters, decoded.
    pub path_params: BTreeMap<String, String>,
    /// The route key (`GET /items/{id}`, `$default`).
    pub route_key: &'a str,
    /// The API's ID.
    pub api_id: &'a str,
}

/// A path's segments (empty ones, from doubled or edge slashes, skipped).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn compile(path: &str) -> Vec<Seg> {
    segments(path)
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(g) => Seg::Greedy(g.to_string()),
                    None => Seg::Param(name.to_string()),
                },
                None => Seg::Lit(s.to_string()),
            },
        )
        .collect()
}

fn decode(s: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

impl RouteTable {
    /// Compiles the routes of `apis`.
    pub fn new(apis: &[ApiConfig]) -> RouteTable {
        let mut entries = Vec::new();
        for (a, api) in apis.iter().enumerate() {
            for (r, route) in api.routes.iter().enumerate() {
                let default = api.kind == ApiKind::Http
                    && (route.path == "$default" || route.path == "/$default");
                entries.push(Entry {
                    api: a,
                    route: r,
                    segs: if default {
                        Vec::new()
                    } else {
                        compile(&route.path)
                    },
                    default,
                    key: super::payload::route_key(route.method.as_deref(), &route.path),
                });
            }
        }
        RouteTable {
            apis: apis.to_vec(),
            api_ids: apis.iter().map(super::payload::api_id).collect(),
            entries,
            has_http_api: apis.iter().any(|a| a.kind == ApiKind::Http),
        }
    }

    /// Whether any API is an HTTP API (it decides the no-route answer).
    pub fn has_http_api(&self) -> bool {
        self.has_http_api
    }

    /// Every route as `(METHOD, path, function)`, for printing.
    pub fn list(&self) -> Vec<(String, String, String, ApiKind)> {
        self.entries
            .iter()
            .map(|e| {
                let r = &self.apis[e.api].routes[e.route];
                (
                    r.method.clone().unwrap_or_else(|| "ANY".into()),
                    r.path.clone(),
                    r.function.clone(),
                    self.apis[e.api].kind,
                )
            })
            .collect()
    }

    /// Finds the route for a method and a (still percent-encoded) path.
    pub fn find(&self, method: &str, path: &str) -> Option<Matched<'_>> {
        // Decoded once, not once per route compared.
        let parts: Vec<_> = segments(path).map(decode).collect();
        // (segment rank, method rank, entry, path parameters) of the best match so far.
        type Best<'a> = (Vec<u8>, u8, &'a Entry, BTreeMap<String, String>);
        let mut best: Option<Best<'_>> = None;
        for e in self.entries.iter().filter(|e| !e.default) {
            let route = &self.apis[e.api].routes[e.route];
            let method_rank = match &route.method {
                Some(m) if m.eq_ignore_ascii_case(method) => 1,
                Some(_) => continue,
                None => 0,
            };
            let Some((rank, params)) = match_segs(&e.segs, &parts) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((br, bm, _, _)) => (&rank, method_rank) > (br, *bm),
            };
            if better {
                best = Some((rank, method_rank, e, params));
            }
        }
        if let Some((_, _, e, path_params)) = best {
            return Some(self.matched(e, path_params));
        }
        let e = self.entries.iter().find(|e| e.default)?;
        Some(self.matched(e, BTreeMap::new()))
    }

    fn matched<'a>(&'a self, e: &'a Entry, path_params: BTreeMap<String, String>) -> Matched<'a> {
        Matched {
            api: &self.apis[e.api],
            route: &self.apis[e.api].routes[e.route],
            path_params,
            route_key: &e.key,
            api_id: &self.api_ids[e.api],
        }
    }
}

/// Matches path segments; the rank has one byte a segment (2 literal, 1 param, 0 greedy).
fn match_segs(
    segs: &[Seg],
    parts: &[std::borrow::Cow<'_, str>],
) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let mut rank = Vec::with_capacity(segs.len());
    let mut params = BTreeMap::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Greedy(name) => {
                if i >= parts.len() || i != segs.len() - 1 {
                    return None;
                }
                params.insert(name.clone(), parts[i..].join("/"));
                rank.push(0);
                return Some((rank, params));
            }
            Seg::Lit(l) => {
                if parts.get(i).map(|p| p.as_ref()) != Some(l.as_str()) {
                    return None;
                }
                rank.push(2);
            }
            Seg::Param(name) => {
                let p = parts.get(i)?;
                params.insert(name.clone(), p.to_string());
                rank.push(1);
            }
        }
    }
    (segs.len() == parts.len()).then_some((rank, params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PayloadVersion;

    fn api(kind: ApiKind, routes: &[(Option<&str>, &str, &str)]) -> ApiConfig {
        ApiConfig {
            name: "Api".into(),
            kind,
            stage: "Prod".into(),
            binary_media_types: vec![],
            stage_variables: Default::default(),
            routes: routes
                .iter()
                .map(|(m, p, f)| Route {
                    method: m.map(str::to_string),
                    path: p.to_string(),
                    function: f.to_string(),
                    payload: PayloadVersion::V1,
                })
                .collect(),
        }
    }

    #[test]
    fn specificity() {
        let t = RouteTable::new(&[api(
            ApiKind::Rest,
            &[
                (None, "/{proxy+}", "Greedy"),
                (Some("GET"), "/items/{id}", "Item"),
                (Some("GET"), "/items/new", "New"),
                (None, "/items/{id}", "AnyItem"),
            ],
        )]);
        let f = |m, p| {
            t.find(m, p)
                .map(|x| (x.route.function.clone(), x.path_params))
        };
        assert_eq!(f("GET", "/items/new").map(|x| x.0).as_deref(), Some("New"));
        let (name, params) = f("GET", "/items/a%20b").unwrap_or_default();
        assert_eq!(name, "Item");
        assert_eq!(params.get("id").map(String::as_str), Some("a b"));
        assert_eq!(
            f("DELETE", "/items/7").map(|x| x.0).as_deref(),
            Some("AnyItem")
        );
        let (name, params) = f("POST", "/a/b/c").unwrap_or_default();
        assert_eq!(name, "Greedy");
        assert_eq!(params.get("proxy").map(String::as_str), Some("a/b/c"));
        // `/{proxy+}` needs at least one segment, like API Gateway.
        assert!(f("GET", "/").is_none());
    }

    #[test]
    fn http_default_route() {
        let t = RouteTable::new(&[api(
            ApiKind::Http,
            &[(Some("GET"), "/", "Root"), (None, "$default", "Default")],
        )]);
        assert_eq!(
            t.find("GET", "/")
                .map(|m| m.route.function.clone())
                .as_deref(),
            Some("Root")
        );
        assert_eq!(
            t.find("POST", "/x/y")
                .map(|m| m.route.function.clone())
                .as_deref(),
            Some("Default")
        );
        assert!(t.has_http_api());
    }
}
