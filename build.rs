//! The Lua scripts under `src/` as Redis receives them: without comment
//! lines, blank lines or indentation, written to `$OUT_DIR/lua/<path under
//! src>` and included by the crate's `lua!` macro. The sources keep their
//! comments for readers; the wasm and every `EVAL` carry only the code
//! (about 40% of the text, half the gzip bytes). A Redis error names a line
//! of the stripped script; `lua!`'s output is in `target/`.

use std::fs;
use std::path::Path;

fn main() {
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("lua");
    println!("cargo:rerun-if-changed=src");
    strip_tree(Path::new("src"), Path::new(""), &out);
}

/// Writes the stripped copy of every `.lua` file under `dir` (which is
/// `relative` below `src/`) into `out`, keeping the relative path.
fn strip_tree(dir: &Path, relative: &Path, out: &Path) {
    let mut entries: Vec<_> =
        fs::read_dir(dir).expect("src/ is readable").map(|e| e.expect("a readable entry")).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        let name = relative.join(entry.file_name());
        if path.is_dir() {
            strip_tree(&path, &name, out);
        } else if path.extension().is_some_and(|ext| ext == "lua") {
            let source = fs::read_to_string(&path).expect("a Lua script is UTF-8");
            let target = out.join(&name);
            fs::create_dir_all(target.parent().expect("a file has a folder")).expect("OUT_DIR is writable");
            fs::write(&target, strip(&source)).expect("OUT_DIR is writable");
        }
    }
}

/// `source` without lines that hold only a `--` comment or nothing, and
/// without indentation. Block comments (`--[[`) and long strings would need
/// a parser: the scripts have none, and a script that gains one fails the
/// build here rather than being cut wrongly.
fn strip(source: &str) -> String {
    assert!(!source.contains("[["), "a Lua long bracket ([[): strip() in build.rs cannot cut it safely");
    let mut code = String::with_capacity(source.len());
    for line in source.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("--") {
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}
