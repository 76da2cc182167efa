//! Loads each template given on the command line and prints, per file, the
//! codes of the diagnostics found (one line a file): a census for checking
//! the engine against a corpus.

fn main() {
    let opts = lockgate_template::LoadOptions::default();
    for p in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        match lockgate_template::load(&p, &text, &opts) {
            Ok(_) => println!("{p}\tok"),
            Err(d) => {
                let items: Vec<String> = d
                    .iter()
                    .map(|d| format!("{}: {}", d.code, d.message))
                    .collect();
                println!("{p}\t{}", items.join(" | "));
            }
        }
    }
}
