//! A participant's journey in a real browser: Debian's headless Chromium, driven by
//! `tests/browser/flow.mjs` (playwright-core), against the real services and SMTP server.
//! With `CONVENE_SCREENSHOTS=<dir>` it also saves the screenshots shown in the README
//! (`make screenshots`).

use std::process::Command;

use convene_tests::{infra, Stack};
use serde_json::json;

#[tokio::test]
async fn a_participant_registers_and_cancels_in_a_real_browser() {
    let stack = Stack::start().await;
    let slug = stack
        .given_event(json!({
            "title": "Global peer learning exchange on alternatives to immigration detention",
            "description": "Officials from governments and UN entities compare what works: public perceptions, whole-of-government approaches, ethical use of technology and case management.",
            "topics": ["Public perceptions", "Whole-of-government approach", "Ethical use of technology", "Case management"],
            "capacity": 120,
        }))
        .await;
    let browser_dir = infra::workspace_root().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run `make test-deps` (make test does)"
    );
    let mut command = Command::new("node");
    command
        .arg(browser_dir.join("flow.mjs"))
        .arg(&stack.base_url)
        .arg(&slug)
        .arg(&stack.mailbox.dir);
    if let Ok(dir) = std::env::var("CONVENE_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        command.arg(dir);
    }
    let out = command.output().expect("running node");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the browser flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
