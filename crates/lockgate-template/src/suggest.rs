//! "Did you mean …?" for near-miss names of parameters, resources,
//! conditions, attributes and properties.

/// The closest of `candidates` to `name`, when close enough to be a typo:
/// the same name in another case, or within an edit distance of about a
/// third of its length (at most 3).
pub fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if let Some(c) = candidates
        .iter()
        .find(|c| c.eq_ignore_ascii_case(name) && **c != name)
    {
        return Some(c);
    }
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .filter(|c| **c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `did you mean `X`?`, when there is a close candidate.
pub fn did_you_mean(name: &str, candidates: &[&str]) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// A help line: `did you mean `X`? (otherwise)` or `otherwise` alone.
pub fn help_for(name: &str, candidates: &[&str], otherwise: &str) -> String {
    match did_you_mean(name, candidates) {
        Some(d) => format!("{d} ({otherwise})"),
        None => otherwise.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        let c = ["StageName", "Stage", "Environment"];
        assert_eq!(closest("StageNmae", &c), Some("StageName"));
        assert_eq!(closest("stagename", &c), Some("StageName"));
        assert_eq!(closest("Enviroment", &c), Some("Environment"));
        assert_eq!(closest("Bucket", &c), None);
        assert_eq!(closest("Stage", &c), None);
    }
}
