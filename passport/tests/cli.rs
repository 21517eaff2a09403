//! The CLI as a person uses it: `passport up` as a real process, then `issue`, `verify`
//! and `import` against it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

fn passport() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passport"))
}

/// Distinct free ports: all are held open until every one is chosen.
fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| held[i].local_addr().unwrap().port())
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "port {port} never opened");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn up_issue_verify_and_import_from_the_command_line() {
    let work = tempfile::tempdir().unwrap();
    let sample_data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sample-data");
    let [issuer_port, registry_port, verifier_port] = free_ports();
    let data = work.path().join("data");
    let _platform = Running(
        passport()
            .args(["up", "--data"])
            .arg(&data)
            .arg("--sample-data")
            .arg(&sample_data)
            .args([
                "--issuer-port",
                &issuer_port.to_string(),
                "--verifier-port",
                &verifier_port.to_string(),
                "--registry-port",
                &registry_port.to_string(),
            ])
            .spawn()
            .unwrap(),
    );
    wait_for(issuer_port);
    wait_for(registry_port);
    wait_for(verifier_port);
    let issuer_url = format!("http://127.0.0.1:{issuer_port}");
    let verifier_url = format!("http://127.0.0.1:{verifier_port}");
    let token_file = data.join("dev-token");
    assert!(std::fs::read_to_string(&token_file).unwrap().len() >= 32);

    let out = work.path().join("out");
    let issued = passport()
        .args(["issue", "--person", "P0001", "--out"])
        .arg(&out)
        .args(["--issuer-url", &issuer_url, "--token-file"])
        .arg(&token_file)
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", text(&issued));
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "care-identity.json",
            "employment-checks.json",
            "employment.json",
            "professional-registration.json",
            "role.json"
        ]
    );

    let verify = |file: &Path| {
        passport()
            .arg("verify")
            .arg(file)
            .args(["--verifier-url", &verifier_url])
            .output()
            .unwrap()
    };
    for file in &written {
        let verified = verify(&out.join(file));
        assert!(verified.status.success(), "{file}: {}", text(&verified));
        assert!(text(&verified).starts_with("verified"));
    }

    let tampered_path = work.path().join("tampered.json");
    let original = std::fs::read_to_string(out.join("employment.json")).unwrap();
    std::fs::write(
        &tampered_path,
        original.replace("Consultant Physician", "Chief Executive"),
    )
    .unwrap();
    let refused = verify(&tampered_path);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("NOT verified"));

    let mut extract: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample_data.join("esr-people.json")).unwrap(),
    )
    .unwrap();
    extract["people"][2]["professional_registration"]["number"] = "12A".into();
    let bad_file = work.path().join("bad-extract.json");
    std::fs::write(&bad_file, extract.to_string()).unwrap();
    let imported = passport()
        .arg("import")
        .arg(&bad_file)
        .args(["--issuer-url", &issuer_url, "--token-file"])
        .arg(&token_file)
        .output()
        .unwrap();
    assert_eq!(imported.status.code(), Some(2));
    let message = text(&imported);
    assert!(
        message.contains("P0003")
            && message.contains("professional_registration.number")
            && message.contains("BR-5"),
        "{message}"
    );
}
