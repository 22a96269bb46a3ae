//! The Mermaid diagrams drawn by Mermaid itself in a real browser (headless Chromium), as a
//! reader on GitHub sees them: every golden diagram (`tests/golden/*.mmd`, which hold every
//! bug of the zoo and every construct the renderer emits) must render, and every note's
//! text must fit inside its box.
//!
//! It needs Debian's `chromium` (`apt-get install chromium`; `.ci/run` installs it) and
//! Mermaid's browser bundle (`npm ci --prefix tests/mermaid`). Without either it says
//! loudly on stderr that it skipped and why: it never passes silently. It leaves the page
//! and a screenshot of it in `target/tmp/browser/` for a person to look at.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Written to the stderr handle, which `cargo test` shows even for a passing test.
fn skipped(why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!! SKIPPED diagrams_render_in_chromium_and_every_note_fits: {why}\n"
    );
}

fn chromium() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&paths).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// A headless Chromium run with the flags that keep it offline and self-contained.
fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--allow-file-access-from-files",
        // Lets Mermaid's asynchronous rendering finish before the DOM is dumped.
        "--virtual-time-budget=30000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The page: each diagram in a `pre.mermaid`, then a script that renders them and writes
/// into `#result` how many SVGs came out and which note texts stick out of their boxes.
fn page(mermaid_js: &Path, diagrams: &[(String, String)]) -> String {
    let mut body = String::new();
    for (name, text) in diagrams {
        body += &format!(
            "<h3>{}</h3>\n<pre class=\"mermaid\">{}</pre>\n",
            escape(name),
            escape(text)
        );
    }
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8">
<script src="file://{js}"></script></head>
<body style="background: white">
{body}<pre id="result">pending</pre>
<script>
mermaid.initialize({{ startOnLoad: false }});
mermaid.run({{ querySelector: '.mermaid' }}).then(() => {{
  const overflow = [];
  document.querySelectorAll('svg').forEach((svg, i) => {{
    svg.querySelectorAll('rect.note').forEach(rect => {{
      const box = rect.getBBox();
      for (let t = rect.nextElementSibling; t && t.tagName === 'text'; t = t.nextElementSibling) {{
        const b = t.getBBox();
        if (b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5) {{
          overflow.push('diagram ' + i + ': "' + t.textContent + '" is ' + b.width.toFixed(0)
            + ' px wide in a box of ' + box.width.toFixed(0));
        }}
      }}
    }});
  }});
  const errors = document.querySelectorAll('.error-text').length;
  document.getElementById('result').textContent = 'rendered ' + document.querySelectorAll('pre.mermaid svg').length
    + ' errors ' + errors + ' overflow ' + JSON.stringify(overflow);
}}).catch(e => {{ document.getElementById('result').textContent = 'failed ' + e; }});
</script></body></html>
"#,
        js = mermaid_js.display()
    )
}

#[test]
fn diagrams_render_in_chromium_and_every_note_fits() {
    let Some(chromium) = chromium() else {
        skipped("no chromium on the PATH (apt-get install chromium; .ci/run installs it)");
        return;
    };
    let mermaid_js = Path::new(ROOT).join("tests/mermaid/node_modules/mermaid/dist/mermaid.min.js");
    if !mermaid_js.is_file() {
        skipped("Mermaid's bundle is not installed (npm ci --prefix tests/mermaid)");
        return;
    }
    let mut diagrams: Vec<(String, String)> =
        std::fs::read_dir(Path::new(ROOT).join("tests/golden"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mmd"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
    diagrams.sort();
    assert!(diagrams.len() >= 12, "the zoo's ten goldens and two more");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("diagrams.html");
    std::fs::write(&html, page(&mermaid_js, &diagrams)).unwrap();
    let url = format!("file://{}", html.display());

    let out = headless(&chromium, &dir.join("profile-dom"))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = dom
        .split_once("<pre id=\"result\">")
        .and_then(|(_, r)| r.split_once("</pre>"))
        .map(|(r, _)| r.replace("&quot;", "\""))
        .unwrap_or_else(|| {
            panic!(
                "chromium gave no result: status {:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let want = format!("rendered {} errors 0 overflow []", diagrams.len());
    // A screenshot of the whole page, for a person to look at.
    let png = dir.join("diagrams.png");
    let shot = headless(&chromium, &dir.join("profile-shot"))
        .arg("--window-size=1100,20000")
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url)
        .output();
    let _ = writeln!(
        std::io::stderr(),
        "notice: {} diagrams drawn by Mermaid in {}: {result}; page {}, screenshot {} ({})",
        diagrams.len(),
        chromium.display(),
        html.display(),
        png.display(),
        if shot.is_ok_and(|o| o.status.success()) {
            "written"
        } else {
            "failed"
        }
    );
    assert_eq!(
        result,
        want,
        "names: {:?}",
        diagrams.iter().map(|d| &d.0).collect::<Vec<_>>()
    );
}
