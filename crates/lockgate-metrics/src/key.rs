//! Metric identity: namespace, name and a sorted set of dimensions.

use std::fmt;

/// One dimension of a metric: a name=value pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimension {
    /// The dimension's name (`FunctionName`).
    pub name: String,
    /// Its value (`my-function`).
    pub value: String,
}

/// A metric's identity, as CloudWatch defines it: the same namespace, name
/// and dimensions (in any order) are the same metric; a metric with one
/// more or one fewer dimension is another metric.
///
/// Dimensions are kept sorted by name, so two keys built in different
/// orders compare and hash equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    namespace: String,
    name: String,
    dimensions: Vec<Dimension>,
}

impl MetricKey {
    /// A metric with no dimensions.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        MetricKey {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: Vec::new(),
        }
    }

    /// This key with one more dimension; a dimension of the same name is
    /// replaced (CloudWatch does not allow a name twice).
    pub fn with_dimension(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_dimension(name.into(), value.into());
        self
    }

    /// Adds or replaces a dimension.
    pub fn set_dimension(&mut self, name: String, value: String) {
        match self
            .dimensions
            .binary_search_by(|d| d.name.as_str().cmp(name.as_str()))
        {
            Ok(i) => self.dimensions[i].value = value,
            Err(i) => self.dimensions.insert(i, Dimension { name, value }),
        }
    }

    /// The namespace (`AWS/Lambda`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The metric's name (`Errors`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dimensions, sorted by name.
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }

    /// The value of one dimension.
    pub fn dimension(&self, name: &str) -> Option<&str> {
        self.dimensions
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }

    /// Whether this metric passes a `ListMetrics` filter: the namespace and
    /// name when given, and every filter dimension present (with the given
    /// value when one is given).
    pub fn matches(
        &self,
        namespace: Option<&str>,
        name: Option<&str>,
        dimensions: &[(String, Option<String>)],
    ) -> bool {
        namespace.is_none_or(|n| n == self.namespace)
            && name.is_none_or(|n| n == self.name)
            && dimensions.iter().all(|(n, v)| match self.dimension(n) {
                Some(have) => v.as_deref().is_none_or(|want| want == have),
                None => false,
            })
    }
}

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)?;
        if !self.dimensions.is_empty() {
            f.write_str(" {")?;
            for (i, d) in self.dimensions.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}={}", d.name, d.value)?;
            }
            f.write_str("}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_order_does_not_matter() {
        let a = MetricKey::new("AWS/Lambda", "Errors")
            .with_dimension("Resource", "f:live")
            .with_dimension("FunctionName", "f");
        let b = MetricKey::new("AWS/Lambda", "Errors")
            .with_dimension("FunctionName", "f")
            .with_dimension("Resource", "f:live");
        assert_eq!(a, b);
        assert_eq!(
            a.to_string(),
            "AWS/Lambda/Errors {FunctionName=f, Resource=f:live}"
        );
        assert_ne!(
            a,
            MetricKey::new("AWS/Lambda", "Errors").with_dimension("FunctionName", "f")
        );
        assert_eq!(
            a.clone()
                .with_dimension("Resource", "f:x")
                .dimension("Resource"),
            Some("f:x")
        );
    }

    #[test]
    fn list_filters() {
        let k = MetricKey::new("N", "m")
            .with_dimension("a", "1")
            .with_dimension("b", "2");
        assert!(k.matches(Some("N"), None, &[("a".into(), None)]));
        assert!(k.matches(None, Some("m"), &[("b".into(), Some("2".into()))]));
        assert!(!k.matches(None, None, &[("b".into(), Some("3".into()))]));
        assert!(!k.matches(None, None, &[("c".into(), None)]));
        assert!(!k.matches(Some("O"), None, &[]));
    }
}
