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
    /// The constant parts of its 2.0 events.
    constants: super::payload::EventConstants,
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
    /// The constant parts of the route's 2.0 events.
    pub constants: &'a super::payload::EventConstants,
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
        let api_ids: Vec<String> = apis.iter().map(super::payload::api_id).collect();
        let mut entries = Vec::new();
        for (a, api) in apis.iter().enumerate() {
            for (r, route) in api.routes.iter().enumerate() {
                let default = api.kind == ApiKind::Http
                    && (route.path == "$default" || route.path == "/$default");
                let segs = if default {
                    Vec::new()
                } else {
                    compile(&route.path)
                };
                let key = super::payload::route_key(route.method.as_deref(), &route.path);
                entries.push(Entry {
                    api: a,
                    route: r,
                    segs,
                    default,
                    constants: super::payload::EventConstants::new(&key, &api_ids[a], &api.stage),
                    key,
                });
            }
        }
        // Most specific first (a stable sort: equals stay in template
        // order), so the first route that matches is the best: one byte a
        // segment (2 literal, 1 parameter, 0 greedy), then a method over
        // ANY. `$default` routes are not ranked: the first one serves.
        entries.sort_by_cached_key(|e| {
            let segs: Vec<u8> = e
                .segs
                .iter()
                .map(|s| match s {
                    Seg::Lit(_) => 2,
                    Seg::Param(_) => 1,
                    Seg::Greedy(_) => 0,
                })
                .collect();
            let method = apis[e.api].routes[e.route].method.is_some() && !e.default;
            std::cmp::Reverse((segs, u8::from(method)))
        });
        RouteTable {
            apis: apis.to_vec(),
            api_ids,
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
        // Segments are decoded once, not once per route compared; a path
        // without escapes is its own decoding, its segments kept on the
        // stack.
        if path.contains('%') {
            let parts: Vec<_> = segments(path).map(decode).collect();
            return self.find_in(method, &parts);
        }
        let mut parts = [""; 16];
        let mut n = 0;
        for s in segments(path) {
            if n == parts.len() {
                let parts: Vec<&str> = segments(path).collect();
                return self.find_in(method, &parts);
            }
            parts[n] = s;
            n += 1;
        }
        self.find_in(method, &parts[..n])
    }

    /// The first route, most specific first, that matches `method` and the
    /// decoded segments `parts`; else the `$default` route.
    fn find_in<P: std::borrow::Borrow<str>>(
        &self,
        method: &str,
        parts: &[P],
    ) -> Option<Matched<'_>> {
        for e in self.entries.iter().filter(|e| !e.default) {
            let route = &self.apis[e.api].routes[e.route];
            if let Some(m) = &route.method
                && !m.eq_ignore_ascii_case(method)
            {
                continue;
            }
            if matches(&e.segs, parts) {
                return Some(self.matched(e, params(&e.segs, parts)));
            }
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
            constants: &e.constants,
        }
    }
}

/// Whether a route's segments match a path's (decoded) segments: a literal
/// the same text, a parameter any one segment, a greedy parameter (last)
/// one segment or more.
fn matches<P: std::borrow::Borrow<str>>(segs: &[Seg], parts: &[P]) -> bool {
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Greedy(_) => return i < parts.len() && i == segs.len() - 1,
            Seg::Lit(l) => {
                if parts.get(i).map(|p| p.borrow()) != Some(l.as_str()) {
                    return false;
                }
            }
            Seg::Param(_) => {
                if i >= parts.len() {
                    return false;
                }
            }
        }
    }
    segs.len() == parts.len()
}

/// The path parameters of a route that [`matches`] the segments.
fn params<P: std::borrow::Borrow<str>>(segs: &[Seg], parts: &[P]) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Greedy(name) => {
                params.insert(name.clone(), parts[i..].join("/"));
            }
            Seg::Param(name) => {
                params.insert(name.clone(), parts[i].borrow().to_string());
            }
            Seg::Lit(_) => {}
        }
    }
    params
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

    /// The route table's first-match search over routes sorted most
    /// specific first finds what comparing every route finds (the search
    /// before it, kept here): over random route sets and paths, escapes,
    /// doubled slashes and long paths included.
    #[test]
    fn first_match_is_the_best_match() {
        // The matching of before, as it was.
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
        // The search of before: every route compared, the best kept.
        fn reference(
            apis: &[ApiConfig],
            method: &str,
            path: &str,
        ) -> Option<(String, BTreeMap<String, String>)> {
            type Best<'a> = (Vec<u8>, u8, &'a Route, BTreeMap<String, String>);
            let mut best: Option<Best<'_>> = None;
            let parts: Vec<_> = segments(path)
                .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy())
                .collect();
            let mut default = None;
            for api in apis {
                for route in &api.routes {
                    if api.kind == ApiKind::Http
                        && (route.path == "$default" || route.path == "/$default")
                    {
                        default = default.or(Some(route));
                        continue;
                    }
                    let method_rank = match &route.method {
                        Some(m) if m.eq_ignore_ascii_case(method) => 1,
                        Some(_) => continue,
                        None => 0,
                    };
                    let Some((rank, params)) = match_segs(&compile(&route.path), &parts) else {
                        continue;
                    };
                    if best
                        .as_ref()
                        .is_none_or(|(br, bm, _, _)| (&rank, method_rank) > (br, *bm))
                    {
                        best = Some((rank, method_rank, route, params));
                    }
                }
            }
            match best {
                Some((_, _, r, p)) => Some((r.function.clone(), p)),
                None => default.map(|r| (r.function.clone(), BTreeMap::new())),
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let segs = ["a", "b", "{id}", "{x}", "{p+}", "a%20b", "é"];
        let methods = [None, Some("GET"), Some("POST"), Some("get")];
        let words = ["a", "b", "c", "a%20b", "a b", "%C3%A9", "é", "", "%zz"];
        for round in 0..400 {
            let mut routes = Vec::new();
            for r in 0..1 + next(8) {
                let path: String = (0..next(4))
                    .map(|_| format!("/{}", segs[next(segs.len())]))
                    .collect();
                let path = if path.is_empty() {
                    "/".to_string()
                } else {
                    path
                };
                let path = if next(10) == 0 {
                    "$default".to_string()
                } else {
                    path
                };
                routes.push((methods[next(methods.len())], path, format!("F{r}")));
            }
            let spec: Vec<(Option<&str>, &str, &str)> = routes
                .iter()
                .map(|(m, p, f)| (*m, p.as_str(), f.as_str()))
                .collect();
            // One API, or the routes split over two (of either kind).
            let kinds = [ApiKind::Http, ApiKind::Rest];
            let apis: Vec<ApiConfig> = if round % 3 == 0 {
                let (a, b) = spec.split_at(spec.len() / 2);
                vec![api(kinds[next(2)], a), api(kinds[next(2)], b)]
            } else {
                vec![api(kinds[round % 2], &spec)]
            };
            let t = RouteTable::new(&apis);
            for _ in 0..40 {
                let n = if next(20) == 0 { 17 + next(4) } else { next(5) };
                let mut path: String = (0..n)
                    .map(|_| format!("/{}", words[next(words.len())]))
                    .collect();
                if next(5) == 0 {
                    path.push('/');
                }
                let method = ["GET", "POST", "DELETE", "get"][next(4)];
                let got = t
                    .find(method, &path)
                    .map(|m| (m.route.function.clone(), m.path_params));
                assert_eq!(
                    got,
                    reference(&apis, method, &path),
                    "{method} {path} in {spec:?}"
                );
            }
        }
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
