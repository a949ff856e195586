//! The app's wasm in modules. trunk compiles the app (keeping relocations: app/build.rs); this
//! splits the wasm at the app's split functions (app/src/split.rs) with wasm-split-cli, runs
//! wasm-bindgen and wasm-opt on each module, puts them in `dist/app-<hash>/` and boots the
//! first in place of trunk's loader.
//! The first module holds the shell and sign-in; each page is fetched when first visited, the
//! first page of a visit as one file (app_pack.rs).

use crate::result::Result;
use crate::tools::{cargo_bin, node_bin, run};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How the app's wasm modules are built.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AppBuild {
    /// wasm-opt -Oz on every module, in dist/: what `build`, `test`, `bench` and deployments
    /// use.
    Shipped,
    /// No wasm-opt, in dist-dev/: `cargo xtask dev` and `serve`, where after a change to a
    /// page nearly every module is new to the opt cache (the data of the modules after it
    /// moved), and optimizing them all took longer than the cargo build. The same code, ~2x
    /// the bytes.
    Dev,
}

impl AppBuild {
    /// The folder it is built into, relative to the repo.
    pub fn dist(self) -> &'static str {
        match self {
            AppBuild::Shipped => "dist",
            AppBuild::Dev => "dist-dev",
        }
    }
}

/// The name wasm-bindgen gives the glue and the first module (`<NAME>.js`, `<NAME>_bg.wasm`).
const NAME: &str = "labrelay-app";

/// wasm-opt's features: those rustc's wasm32 target enables, as trunk was told before. The
/// `producers` and `target_features` sections go: nothing reads them at run time, and in ~80
/// small modules gzipped one by one they were ~200 bytes each (up to 6 KB of a page's visit).
const WASM_OPT: &[&str] = &[
    "-Oz",
    "--strip-producers",
    "--strip-target-features",
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Into `how`'s folder; its modules optimized when it is the shipped build.
pub fn split(root: &Path, how: AppBuild) -> Result {
    let dist = root.join(how.dist());
    let input = root.join(format!("target/wasm32-unknown-unknown/release/{NAME}.wasm"));
    let work = root.join(match how {
        AppBuild::Shipped => "target/app-split",
        AppBuild::Dev => "target/app-split-dev",
    });
    let _ = std::fs::remove_dir_all(&work);
    let (split, pkg) = (work.join("split"), work.join("pkg"));
    println!("xtask: splitting the app's wasm into modules");
    timed("wasm-split", || split_modules(&input, &split))?;
    timed("wasm-bindgen", || {
        run(Command::new(cargo_bin("wasm-bindgen"))
            .args([
                "--target",
                "web",
                "--keep-lld-exports",
                "--no-demangle",
                "--no-typescript",
            ])
            .args(["--out-name", NAME, "--out-dir"])
            .arg(&pkg)
            .arg(split.join(format!("{NAME}.wasm"))))
    })?;

    // Everything the page loads: the glue, the first module, the split loader, the others.
    let mut files: Vec<(String, PathBuf)> = vec![
        (format!("{NAME}.js"), pkg.join(format!("{NAME}.js"))),
        (
            format!("{NAME}_bg.wasm"),
            pkg.join(format!("{NAME}_bg.wasm")),
        ),
        ("__wasm_split.js".into(), split.join("__wasm_split.js")),
    ];
    for entry in read_dir(&split)? {
        let name = file_name(&entry);
        if name.ends_with(".wasm") && name != format!("{NAME}.wasm") {
            files.push((name, entry));
        }
    }
    let modules: Vec<PathBuf> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".wasm"))
        .map(|(_, path)| path.clone())
        .collect();
    match how {
        AppBuild::Shipped => timed("wasm-opt", || optimize_all(root, &modules))?,
        AppBuild::Dev => {
            println!("xtask: app: a dev build, in dist-dev/: its modules are not optimized");
        }
    }
    // Each page's modules in one file too, for a visit's first page (app_pack.rs).
    for name in timed("pack", || crate::app_pack::pack(&split))? {
        files.push((name.clone(), split.join(&name)));
    }
    timed("install", || install(&dist, files))
}

/// Runs one step of the app's build and says how long it took.
pub fn timed<T>(step: &str, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = f();
    eprintln!("xtask: app: {step}: {:.1} s", start.elapsed().as_secs_f64());
    out
}

/// wasm-split-cli: `input` into modules in `split`.
fn split_modules(input: &Path, split: &Path) -> Result {
    let out = Command::new(cargo_bin("wasm-split-cli"))
        .args(["--target", "web", "--out-name", NAME])
        .arg(input)
        .arg(split)
        .output()
        .map_err(|e| format!("cannot start wasm-split-cli: {e}"))?;
    // Its warnings come on stdout (tracing's default).
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{said}");
    if !out.status.success() {
        return Err(format!("wasm-split-cli failed: {}", out.status));
    }
    // It then keeps a whole data segment, every page's text, in the first module.
    if said.contains("Overlong segment") {
        return Err(
            "wasm-split-cli found a data segment too short to lay out again: \
                    lengthen the slack statics in app/src/split.rs"
                .into(),
        );
    }
    Ok(())
}

/// `files` into `dist/app-<hash of them>/` in place of older builds' (and trunk's own
/// unsplit output), then the boot script that loads them.
fn install(dist: &Path, mut files: Vec<(String, PathBuf)>) -> Result {
    files.sort();
    let mut hash = Sha256::new();
    for (name, path) in &files {
        hash.update(name.as_bytes());
        hash.update(read(path)?);
    }
    let hash = hex8(&hash.finalize());
    for entry in read_dir(dist)? {
        let name = file_name(&entry);
        if name.starts_with("app-") && entry.is_dir() {
            std::fs::remove_dir_all(&entry).map_err(|e| format!("{}: {e}", entry.display()))?;
        } else if name.starts_with(&format!("{NAME}-")) || name.starts_with("boot-") {
            std::fs::remove_file(&entry).map_err(|e| format!("{}: {e}", entry.display()))?;
        }
    }
    let dir = format!("app-{hash}");
    std::fs::create_dir_all(dist.join(&dir)).map_err(|e| e.to_string())?;
    for (name, path) in &files {
        std::fs::copy(path, dist.join(&dir).join(name))
            .map_err(|e| format!("{} -> dist: {e}", path.display()))?;
    }
    boot(dist, &dir)
}

/// wasm-opt on every module, in place, on every core; a module optimized before (the same
/// bytes, the same flags and binaryen) is taken from `target/app-opt-cache/`. The cache keeps
/// this build's modules only. A change that keeps every page's data the same length (most
/// code changes) re-optimizes only the modules that changed; one that lengthens or shortens
/// a text moves the data of every module after its own (wasm-split lays them out one after
/// another), and nearly every module is new.
/// A module's name in the opt cache: the hash of its bytes, wasm-opt's flags and binaryen's
/// version (package-lock.json).
fn cache_key(root: &Path) -> impl Fn(&Path) -> Result<String> {
    let mut salt = Sha256::new();
    salt.update(WASM_OPT.join(" "));
    salt.update(std::fs::read(root.join("package-lock.json")).unwrap_or_default());
    let salt = salt.finalize();
    move |path: &Path| -> Result<String> {
        let mut h = Sha256::new();
        h.update(salt);
        h.update(read(path)?);
        let full: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("{full}.wasm"))
    }
}

/// The modules, the largest last (taken from the end first), so no big module starts last
/// on one core.
fn largest_last(modules: &[PathBuf]) -> Vec<&PathBuf> {
    let mut queue: Vec<(u64, &PathBuf)> = modules
        .iter()
        .map(|m| (std::fs::metadata(m).map_or(0, |md| md.len()), m))
        .collect();
    queue.sort();
    queue.into_iter().map(|(_, m)| m).collect()
}

fn optimize_all(root: &Path, modules: &[PathBuf]) -> Result {
    let wasm_opt = node_bin(root, "wasm-opt");
    let cache = root.join("target/app-opt-cache");
    std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    let key = cache_key(root);
    let queue = std::sync::Mutex::new(largest_last(modules));
    let kept = std::sync::Mutex::new(std::collections::HashSet::new());
    let hits = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let one = |path: &Path| -> Result {
        let name = key(path)?;
        let cached = cache.join(&name);
        if cached.exists() {
            std::fs::copy(&cached, path).map_err(|e| format!("{}: {e}", path.display()))?;
            hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        } else {
            optimize(&wasm_opt, path)?;
            std::fs::copy(path, &cached).map_err(|e| format!("{}: {e}", cached.display()))?;
        }
        kept.lock().map_err(|e| e.to_string())?.insert(name);
        Ok(())
    };
    std::thread::scope(|scope| -> Result {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result {
                    loop {
                        let next = queue.lock().map_err(|e| e.to_string())?.pop();
                        match next {
                            Some(path) => one(path)?,
                            None => return Ok(()),
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| "a wasm-opt thread panicked".to_string())??;
        }
        Ok(())
    })?;
    eprintln!(
        "xtask: app: {} of {} modules from the opt cache",
        hits.into_inner(),
        modules.len()
    );
    let kept = kept.into_inner().map_err(|e| e.to_string())?;
    for entry in read_dir(&cache)? {
        if !kept.contains(&file_name(&entry)) {
            let _ = std::fs::remove_file(&entry);
        }
    }
    Ok(())
}

/// wasm-opt on one module, in place. Its warnings about the name section wasm-split-cli
/// writes (a subsection binaryen does not know) say nothing; any other output is shown.
///
/// npm's wasm-opt is binaryen compiled to a 10 MB wasm run by node, and node's optimizing
/// tier (TurboFan) compiling it again in each process cost more than the optimizing itself:
/// with `--liftoff-only` (node's baseline compiler only) a small module takes ~0.5 s instead
/// of ~3 s and the first module ~5 s instead of ~8, on 2 cores. Its output is the same bytes.
fn optimize(wasm_opt: &Path, path: &Path) -> Result {
    let out = Command::new("node")
        .arg("--liftoff-only")
        .arg(wasm_opt)
        .args(WASM_OPT)
        .arg(path)
        .arg("-o")
        .arg(path)
        .output()
        .map_err(|e| format!("cannot start {}: {e}", wasm_opt.display()))?;
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        if !line.contains("unknown name subsection") {
            eprintln!("{line}");
        }
    }
    if !out.status.success() {
        return Err(format!("wasm-opt {}: {}", path.display(), out.status));
    }
    Ok(())
}

/// Replaces trunk's inline loader and preload links with a boot script of our own (the app's
/// Content-Security-Policy allows no inline script: app/_headers).
fn boot(dist: &Path, dir: &str) -> Result {
    let index = dist.join("index.html");
    let mut html =
        std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    html = cut(&html, "<script type=\"module\">", "</script>")?;
    let trunks = format!("href=\"/{NAME}-");
    while let Some(at) = html.find(&trunks) {
        let start = html[..at]
            .rfind("<link")
            .ok_or("dist/index.html: a preload without <link")?;
        let end = at
            + html[at..]
                .find('>')
                .ok_or("dist/index.html: unterminated <link")?
            + 1;
        html.replace_range(start..end, "");
    }
    let script = format!(
        "import init from '/{dir}/{NAME}.js';\nawait init({{ module_or_path: '/{dir}/{NAME}_bg.wasm' }});\n"
    );
    let boot = format!("boot-{}.js", hex8(&Sha256::digest(script.as_bytes())));
    std::fs::write(dist.join(&boot), script).map_err(|e| e.to_string())?;
    let head = format!(
        "<script type=\"module\" src=\"/{boot}\"></script>\n    \
         <link rel=\"modulepreload\" href=\"/{dir}/{NAME}.js\">\n    \
         <link rel=\"preload\" href=\"/{dir}/{NAME}_bg.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n  </head>"
    );
    html = html.replacen("</head>", &head, 1);
    if html.contains("<script>") || html.contains("<script type=\"module\">") {
        return Err("dist/index.html: an inline script is left".into());
    }
    std::fs::write(&index, html).map_err(|e| e.to_string())
}

/// `html` without the first `open ... close` span.
fn cut(html: &str, open: &str, close: &str) -> Result<String> {
    let start = html
        .find(open)
        .ok_or_else(|| format!("dist/index.html: no {open}"))?;
    let end = start
        + html[start..]
            .find(close)
            .ok_or_else(|| format!("dist/index.html: no {close}"))?
        + close.len();
    Ok(format!("{}{}", &html[..start], &html[end..]))
}

/// A file name's hash: the first 8 bytes of a digest, in hex.
fn hex8(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
