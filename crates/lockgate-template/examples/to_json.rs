//! Prints each template given on the command line as one line of JSON
//! (`{"file": …, "ok": value}` or `{"file": …, "error": message}`).
//! Used to compare the parser with the SAM translator's `yaml_parse`.

fn main() {
    for path in std::env::args().skip(1) {
        let line = match std::fs::read_to_string(&path) {
            Err(e) => serde_json::json!({"file": path, "error": e.to_string()}),
            Ok(text) => match lockgate_template::parse(&path, &text) {
                Ok(doc) => serde_json::json!({"file": path, "ok": doc.into_json()}),
                Err(e) => serde_json::json!({"file": path, "error": e.to_string()}),
            },
        };
        println!("{line}");
    }
}
