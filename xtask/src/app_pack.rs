//! Each page's wasm modules in one file, for the first page of a visit. wasm-split gives a
//! page a module of its own plus the chunks it shares with other pages: dozens, from a few
//! hundred bytes to 30 KB each, and gzipped one by one they lose ~20% against the same bytes
//! gzipped together. A pack is a page's module and all its chunks, as the custom sections of
//! one empty wasm module (so it is served, cached and compressed as any other wasm). The
//! loader takes a page's modules from its pack when none of them has been fetched yet, and
//! fetches them one by one otherwise: no module comes twice.

use crate::result::Result;
use regex::Regex;
use std::collections::BTreeMap;
use std::path::Path;

/// The loader's code that starts a module's fetch, as wasm-split-cli writes it.
const FETCH: &str = r#"fetch\(new URL\("\./(\w+)\.wasm", import\.meta\.url\)\)"#;
/// A page's loader: its own module's fetch, then the chunks it needs.
const PAGE: &str = r#"(?s)export const __wasm_split_load_\w+ = wrapAsyncCb\(makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\./(split_\w+)\.wasm".*?\n, \[([^\]]*)\]\)\)"#;
/// wasm-split's loader fetches a page's chunks before its own module: the other way round,
/// the page's own fetch comes first and decides whether its pack is taken.
const CHUNKS_FIRST: &str =
    "const parallelStuff = deps.map(d => d());\n        const instantiate = fetcher();";
const OWN_FIRST: &str =
    "const instantiate = fetcher();\n        const parallelStuff = deps.map(d => d());";

/// Writes `pack_<page>.wasm` for every page in `dir` (the optimized modules and wasm-split's
/// `__wasm_split.js`), and makes the loader use them. Returns the packs' file names.
pub fn pack(dir: &Path) -> Result<Vec<String>> {
    let loader = dir.join("__wasm_split.js");
    let js = read_to_string(&loader)?;
    let pages = pages(&js)?;
    if !js.contains(CHUNKS_FIRST) {
        return Err(not_known("its loader's order of fetches"));
    }
    let fetch = Regex::new(FETCH).map_err(|e| e.to_string())?;
    if fetch.find(&js).is_none() && js.contains("fetch(") {
        return Err(not_known("its module fetches"));
    }
    let mut table = String::new();
    let mut names = Vec::new();
    for (page, chunks) in &pages {
        let mut parts = Vec::new();
        for part in chunks.iter().chain([page]) {
            let body = std::fs::read(dir.join(format!("{part}.wasm")))
                .map_err(|e| format!("{part}.wasm: {e}"))?;
            parts.push((part, body));
        }
        // The small chunks first and the page's own module last: of the orders tried, the
        // one that gzips smallest (by 1-2%).
        let own = parts.pop();
        parts.sort_by(|a, b| (a.1.len(), a.0).cmp(&(b.1.len(), b.0)));
        parts.extend(own);
        let name = format!("pack_{}.wasm", page.trim_start_matches("split_"));
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        let mut index = Vec::new();
        for (part, body) in parts {
            let at = custom_section(&mut bytes, part, &body);
            index.push(format!("{part:?}: [{at}, {}]", body.len()));
        }
        std::fs::write(dir.join(&name), &bytes).map_err(|e| format!("{name}: {e}"))?;
        table.push_str(&format!(
            "    {page:?}: [{name:?}, {{ {} }}],\n",
            index.join(", ")
        ));
        names.push(name);
    }
    let js = fetch
        .replace_all(&js, r#"moduleFetch("$1")"#)
        .replacen(CHUNKS_FIRST, OWN_FIRST, 1);
    let runtime = RUNTIME.replace("/* PACKS */", &table);
    std::fs::write(&loader, format!("{runtime}\n{js}"))
        .map_err(|e| format!("{}: {e}", loader.display()))?;
    Ok(names)
}

/// Each page's own module and the chunks its loader waits for, from wasm-split's loader.
fn pages(js: &str) -> Result<BTreeMap<String, Vec<String>>> {
    let page = Regex::new(PAGE).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for m in page.captures_iter(js) {
        let chunks = m[2]
            .split(',')
            .map(|c| c.trim().trim_start_matches("__").to_string())
            .filter(|c| !c.is_empty())
            .collect();
        out.insert(m[1].to_string(), chunks);
    }
    if out.is_empty() && js.contains("__wasm_split_load_") {
        return Err(not_known("its page loaders"));
    }
    Ok(out)
}

/// Appends a custom section `name` holding `body`; returns where the body starts.
fn custom_section(out: &mut Vec<u8>, name: &str, body: &[u8]) -> usize {
    let mut head = Vec::new();
    leb128(&mut head, name.len());
    head.extend_from_slice(name.as_bytes());
    out.push(0);
    leb128(out, head.len() + body.len());
    out.extend_from_slice(&head);
    let at = out.len();
    out.extend_from_slice(body);
    at
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn not_known(what: &str) -> String {
    format!(
        "__wasm_split.js: {what} are not in the form this build knows (a new wasm-split-cli?): \
         see xtask/src/app_pack.rs"
    )
}

fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Put before wasm-split's loader: `moduleFetch` stands for its `fetch` of a module.
const RUNTIME: &str = r#"// Labrelay: each page's modules in one file, for the first page (xtask/src/app_pack.rs).
// A page's own module -> [its pack, { module: [offset, length] }].
const PACKS = {
/* PACKS */};
const started = new Set();
const fromPack = new Map();
function moduleFetch(name) {
    const pack = PACKS[name];
    if (pack !== undefined && Object.keys(pack[1]).every((m) => !started.has(m))) {
        // After a new build is installed an old pack's URL answers with the app's page: only
        // a wasm file of this build's pack is taken.
        const whole = fetch(new URL("./" + pack[0], import.meta.url)).then(async (r) => {
            const all = await r.arrayBuffer();
            const magic = String.fromCharCode(...new Uint8Array(all.slice(0, 4)));
            if (!r.ok || magic !== "\0asm") {
                throw new Error(pack[0] + ": not this build's pack (HTTP " + r.status + ")");
            }
            return all;
        });
        for (const [m, [at, length]] of Object.entries(pack[1])) {
            fromPack.set(m, handled(whole.then((all) => new Response(all.slice(at, at + length), {
                headers: { "content-type": "application/wasm" },
            }))));
        }
    }
    started.add(name);
    const part = fromPack.get(name);
    if (part !== undefined) {
        fromPack.delete(name);
        return part;
    }
    return handled(fetch(new URL("./" + name + ".wasm", import.meta.url)));
}
// wasm-split's loader starts a module's fetch, then waits for the modules it shares code with
// before it hands the fetch to `instantiateStreaming`: a fetch that fails meanwhile would be an
// unhandled rejection in the console, besides the app's own message. Each gets a handler at
// once (the rejection still reaches `instantiateStreaming`, and the app).
function handled(promise) {
    promise.catch(() => {});
    return promise;
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// A loader in the form wasm-split-cli writes it (two pages sharing one chunk).
    const LOADER: &str = r#"import { initSync } from "./labrelay-app.js";
function makeLoad(fetcher, deps) {
    const loader = async () => {
        const parallelStuff = deps.map(d => d());
        const instantiate = fetcher();
        await Promise.all(parallelStuff);
    };
}
/* page_a, page_b */
const __chunk_1 = makeLoad(() => {
    const src = fetch(new URL("./chunk_1.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
export const __wasm_split_load_page_a = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_page_a.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1]));
export const __wasm_split_load_page_b = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_page_b.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1]));
"#;

    #[test]
    fn packs_each_page_with_its_chunks_and_the_loader_takes_them() {
        let dir = std::env::temp_dir().join(format!("app-pack-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the test's temp dir");
        let modules = [
            ("chunk_1", vec![1u8; 300]),
            ("split_page_a", vec![2u8; 10]),
            ("split_page_b", vec![3u8; 200]),
        ];
        for (name, body) in &modules {
            std::fs::write(dir.join(format!("{name}.wasm")), body).expect("the test's temp dir");
        }
        std::fs::write(dir.join("__wasm_split.js"), LOADER).expect("the test's temp dir");

        let names = pack(&dir).expect("packing");
        assert_eq!(names, ["pack_page_a.wasm", "pack_page_b.wasm"]);
        let js = std::fs::read_to_string(dir.join("__wasm_split.js")).expect("the test's temp dir");
        assert!(!js.contains("fetch(new URL(\"./chunk_1.wasm\""));
        assert!(js.contains(r#"moduleFetch("chunk_1")"#));
        assert!(js.contains(OWN_FIRST));
        // Each pack is a wasm module; the table says where each of its modules is.
        for (page, own) in [("split_page_a", 1), ("split_page_b", 2)] {
            let pack = std::fs::read(dir.join(format!("pack_{}.wasm", &page[6..])))
                .expect("the test's temp dir");
            assert_eq!(&pack[..8], b"\0asm\x01\0\0\0");
            let row = js
                .lines()
                .find(|l| l.contains(&format!("\"{page}\": [")))
                .expect("the page's row in PACKS");
            let row = &row[row.find('{').expect("the row's table")..];
            for (name, body) in [&modules[0], &modules[own]] {
                let at = row
                    .find(&format!("\"{name}\": ["))
                    .expect("the module in the row")
                    + name.len()
                    + 5;
                let span: Vec<usize> = row[at..row[at..].find(']').expect("the span's end") + at]
                    .split(", ")
                    .map(|n| n.parse().expect("a number"))
                    .collect();
                assert_eq!(
                    &pack[span[0]..span[0] + span[1]],
                    &body[..],
                    "{page}: {name}"
                );
            }
        }
        std::fs::remove_dir_all(&dir).expect("the test's temp dir");
    }

    #[test]
    fn a_loader_of_another_form_is_an_error_not_a_silent_miss() {
        let dir = std::env::temp_dir().join(format!("app-pack-form-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the test's temp dir");
        let changed = LOADER.replace(
            "export const __wasm_split_load_page_a = wrapAsyncCb",
            "export const __wasm_split_load_page_a = wrap",
        );
        let changed = changed.replace(
            "export const __wasm_split_load_page_b = wrapAsyncCb",
            "export const __wasm_split_load_page_b = wrap",
        );
        std::fs::write(dir.join("__wasm_split.js"), changed).expect("the test's temp dir");
        assert!(pack(&dir)
            .expect_err("a loader it does not know")
            .contains("not in the form"));
        std::fs::write(
            dir.join("__wasm_split.js"),
            LOADER.replace(
                "const instantiate = fetcher();",
                "const instantiate = fetcher(1);",
            ),
        )
        .expect("the test's temp dir");
        for (name, body) in [
            ("chunk_1", [1u8]),
            ("split_page_a", [2]),
            ("split_page_b", [3]),
        ] {
            std::fs::write(dir.join(format!("{name}.wasm")), body).expect("the test's temp dir");
        }
        assert!(pack(&dir)
            .expect_err("a loader it does not know")
            .contains("order of fetches"));
        std::fs::remove_dir_all(&dir).expect("the test's temp dir");
    }
}
