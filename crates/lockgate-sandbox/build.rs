//! Compiles the gate of sandboxes made ahead of need (`gate.c`) into a
//! static program that `lockgate-sandbox` carries (`GATE_PROGRAM`).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=gate.c");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"))
        .join("lockgate-gate");
    let compiler = cc::Build::new().get_compiler();
    let status = compiler
        .to_command()
        .args(["-static", "-Os", "-s", "-o"])
        .arg(&out)
        .arg("gate.c")
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "lockgate-sandbox: compiling gate.c into a static program with `{}` failed ({other:?}); \
             it needs a C compiler and the C library's static archive (Debian: gcc, libc6-dev)",
            compiler.path().display()
        ),
    }
}
