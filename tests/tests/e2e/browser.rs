//! The onboarding console in real headless Chromium (tests/js/console-browser.mjs): the QR
//! code on the screen is read from a screenshot and answered by the wallet, the page
//! updates by itself, HR bypasses the checklist; sign-in, roles, a refused form and basic
//! accessibility along the way. Needs Debian's `chromium` (`.ci/run` installs it).

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use service_kit::console::NewAccount;
use tests::Platform;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::oid4vci::decode_qr;
use crate::onboarding::new_starter_answers;

const PASSWORD: &str = "a long console password";

#[tokio::test]
async fn an_onboarding_from_the_qr_code_on_screen_to_the_grants_in_chromium() {
    let platform = Platform::start().await.unwrap();
    let console = platform.verifier.console().unwrap();
    for (username, uuid, role) in [
        ("olu.officer", "555000000011", "officer"),
        ("hana.hr", "555000000022", "hr"),
    ] {
        console
            .create(
                NewAccount {
                    username,
                    display_name: username,
                    care_identity_uuid: uuid,
                    roles: &[role],
                    password: PASSWORD,
                },
                chrono::Utc::now(),
            )
            .unwrap();
    }
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js");
    assert!(
        js.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/js` (bash .ci/run does)"
    );
    let shots = tempfile::tempdir().unwrap();
    let screenshot = shots.path().join("qr.png");
    let mut child = tokio::process::Command::new("node")
        .arg(js.join("console-browser.mjs"))
        .args([&platform.verifier_url, "olu.officer", "hana.hr", PASSWORD])
        .arg(&screenshot)
        .current_dir(&js)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();

    let first: Value = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert!(
        first.get("qr").is_some(),
        "the browser did not reach the QR code: {first}"
    );
    let link = decode_qr(&std::fs::read(&screenshot).unwrap());
    assert!(link.starts_with("openid4vp://"), "{link}");
    new_starter_answers(&platform, "P0001", &link).await;
    stdin.write_all(b"answered\n").await.unwrap();

    let last: Value = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(last["ok"], true, "{last:#}");
    assert_eq!(last["checklist"], "Checklist: incomplete");
    let training = last["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "training")
        .unwrap();
    assert_eq!(training["state"], "Not met");
    assert!(last["grants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g == "Electronic patient record (EPR): Doctor (for job role R8000)"));
    assert!(last["decision"]
        .as_str()
        .unwrap()
        .starts_with("Checklist bypassed by 555000000022"));
    assert_eq!(last["h1"], 1);
    assert_eq!(last["unlabelled"], 0);
    assert_eq!(last["firstFocus"], "Skip to main content");
    assert_eq!(
        last["errors"],
        serde_json::json!([]),
        "no script errors on the pages"
    );
    assert!(child.wait().await.unwrap().success());
}
