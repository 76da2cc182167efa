//! Test reports: JUnit XML files collected and summarised per report group.

use std::path::Path;

/// A failed or erroring test case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TestFailure {
    /// Its suite (or class name).
    pub suite: String,
    /// Its name.
    pub name: String,
    /// `FAILED` or `ERROR`.
    pub status: &'static str,
    /// The failure message (first line).
    pub message: String,
}

/// One report group's results, as CodeBuild's report summary counts them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    /// The report group.
    pub group: String,
    /// The format (`JUNITXML`).
    pub file_format: String,
    /// The files read (relative to the source directory).
    pub files: Vec<String>,
    /// Test cases in all.
    pub total: u64,
    /// Passed.
    pub succeeded: u64,
    /// Failed (an assertion).
    pub failed: u64,
    /// Errored (an unexpected exception).
    pub error: u64,
    /// Skipped.
    pub skipped: u64,
    /// Sum of the cases' times, in seconds.
    pub duration_seconds: f64,
    /// The failed and erroring cases.
    pub failures: Vec<TestFailure>,
    /// Files that could not be read.
    pub problems: Vec<String>,
}

impl ReportSummary {
    /// `SUCCEEDED` when no case failed or errored, else `FAILED`.
    pub fn status(&self) -> &'static str {
        if self.failed + self.error == 0 {
            "SUCCEEDED"
        } else {
            "FAILED"
        }
    }

    /// Adds one JUnit XML document's cases.
    pub fn add_junit(&mut self, rel: &str, xml: &str) {
        let doc = match roxmltree::Document::parse(xml) {
            Ok(d) => d,
            Err(e) => {
                self.problems.push(format!("{rel}: not JUnit XML: {e}"));
                return;
            }
        };
        self.files.push(rel.to_string());
        for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
            self.total += 1;
            self.duration_seconds += case
                .attribute("time")
                .and_then(|t| t.parse::<f64>().ok())
                .unwrap_or(0.0);
            let suite = case
                .attribute("classname")
                .or_else(|| {
                    case.ancestors()
                        .find(|a| a.has_tag_name("testsuite"))
                        .and_then(|s| s.attribute("name"))
                })
                .unwrap_or("")
                .to_string();
            let name = case.attribute("name").unwrap_or("").to_string();
            let child = |tag: &str| case.children().find(|c| c.has_tag_name(tag));
            let message = |n: roxmltree::Node<'_, '_>| {
                n.attribute("message")
                    .map(str::to_string)
                    .or_else(|| n.text().map(|t| t.trim().to_string()))
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            };
            if let Some(f) = child("failure") {
                self.failed += 1;
                self.failures.push(TestFailure {
                    suite,
                    name,
                    status: "FAILED",
                    message: message(f),
                });
            } else if let Some(e) = child("error") {
                self.error += 1;
                self.failures.push(TestFailure {
                    suite,
                    name,
                    status: "ERROR",
                    message: message(e),
                });
            } else if child("skipped").is_some() {
                self.skipped += 1;
            } else {
                self.succeeded += 1;
            }
        }
    }

    /// Reads a report file (JUnit XML is summarised; other formats are listed only).
    pub fn add_file(&mut self, rel: &str, path: &Path) {
        if self.file_format != "JUNITXML" {
            self.files.push(rel.to_string());
            return;
        }
        match std::fs::read_to_string(path) {
            Ok(text) => self.add_junit(rel, &text),
            Err(e) => self.problems.push(format!("{rel}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_junit_cases() {
        let xml = r#"<?xml version="1.0"?>
<testsuites>
  <testsuite name="math" tests="4">
    <testcase classname="math.Add" name="adds" time="0.5"/>
    <testcase classname="math.Add" name="overflows" time="0.25"><failure message="expected 3, got 4">trace</failure></testcase>
    <testcase classname="math.Div" name="by zero"><error type="ZeroDivisionError">division by zero
at line 3</error></testcase>
    <testcase name="later"><skipped/></testcase>
  </testsuite>
</testsuites>"#;
        let mut s = ReportSummary {
            group: "unit".into(),
            file_format: "JUNITXML".into(),
            ..Default::default()
        };
        s.add_junit("reports/a.xml", xml);
        assert_eq!(
            (s.total, s.succeeded, s.failed, s.error, s.skipped),
            (4, 1, 1, 1, 1)
        );
        assert_eq!(s.duration_seconds, 0.75);
        assert_eq!(s.failures[0].message, "expected 3, got 4");
        assert_eq!(s.failures[1].message, "division by zero");
        assert_eq!(s.failures[1].suite, "math.Div");
        assert_eq!(s.status(), "FAILED");
        s.add_junit("bad.xml", "<not closed");
        assert_eq!(s.problems.len(), 1);
    }
}
