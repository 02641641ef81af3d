//! What an operator meets: `make run` without Docker, `--help`, and clear start-up errors.

use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use convene_tests::infra::{self, TestDatabase, TestVhost};
use convene_tests::stack::participant;
use convene_tests::Mailbox;

/// `make run` serves the demo exchange's form and, with no SMTP_URL, writes emails as files.
#[tokio::test]
async fn make_run_serves_the_demo_form_and_writes_mail_files() {
    let db = TestDatabase::create().await;
    let vhost = TestVhost::create();
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("mail");
    let port = infra::free_port();
    let log = std::fs::File::create(dir.path().join("make-run.log")).unwrap();
    let mut make = Command::new("make")
        .args(["-s", "run"])
        .current_dir(infra::workspace_root())
        .env("DATABASE_URL", &db.url)
        .env("AMQP_URL", &vhost.url)
        .env("MAIL_DIR", &mail_dir)
        .env_remove("SMTP_URL")
        .env("REGISTRATION_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "NOTIFICATION_HTTP_ADDR",
            format!("127.0.0.1:{}", infra::free_port()),
        )
        .env(
            "SCHEDULING_HTTP_ADDR",
            format!("127.0.0.1:{}", infra::free_port()),
        )
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("make");
    let group = make.id();
    let stop = scopeguard(move || {
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{group}")])
            .status();
    });

    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(300); // may have to build first
    let form = loop {
        if let Ok(r) = http
            .get(format!("{base}/events/demo/register"))
            .send()
            .await
        {
            if r.status() == 200 {
                break r.text().await.unwrap();
            }
        }
        assert!(
            Instant::now() < deadline && make.try_wait().unwrap().is_none(),
            "make run did not serve the demo form:\n{}",
            std::fs::read_to_string(dir.path().join("make-run.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(form.contains("alternatives to immigration detention"));

    let person = participant("Demo Person");
    let response = http
        .post(format!("{base}/api/events/demo/registrations"))
        .json(&person)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let email = person["email"].as_str().unwrap();
    let mails = Mailbox::new(&mail_dir)
        .wait_for(1, Duration::from_secs(30), |m| m.to.contains(email))
        .await;
    assert!(mails[0].manage_link().is_some());

    drop(stop);
    let deadline = Instant::now() + Duration::from_secs(20);
    while make.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "make run did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every binary lists its variables and defaults.
#[test]
fn help_lists_every_variable_with_its_default() {
    for (service, vars) in [
        (
            "registration",
            &[
                "DATABASE_URL",
                "AMQP_URL",
                "HTTP_ADDR",
                "ADMIN_TOKEN",
                "PUBLIC_BASE_URL",
            ][..],
        ),
        (
            "notification",
            &[
                "DATABASE_URL",
                "AMQP_URL",
                "HTTP_ADDR",
                "SMTP_URL",
                "MAIL_DIR",
                "MAIL_FROM",
            ][..],
        ),
        (
            "scheduling",
            &["DATABASE_URL", "AMQP_URL", "HTTP_ADDR", "SCHEDULE"][..],
        ),
    ] {
        let out = Command::new(infra::bin_dir().join(service))
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        for var in vars {
            assert!(help.contains(var), "{service} --help lacks {var}");
        }
        assert!(
            help.contains("default: "),
            "{service} --help shows defaults"
        );
    }
}

/// A bad variable or an unreachable dependency: one line naming it, a non-zero exit, no panic.
#[test]
fn start_up_errors_are_one_clear_line() {
    let closed = infra::free_port();
    // (service, environment, what the error line must name)
    type Case = (&'static str, Vec<(&'static str, String)>, &'static str);
    let cases: [Case; 5] = [
        (
            "registration",
            vec![("DATABASE_URL", "mysql://nope".into())],
            "DATABASE_URL",
        ),
        (
            "registration",
            vec![("ADMIN_TOKEN", String::new())],
            "ADMIN_TOKEN",
        ),
        (
            "notification",
            vec![("SMTP_URL", "http://mail".into())],
            "SMTP_URL",
        ),
        (
            "scheduling",
            vec![("SCHEDULE", "every minute".into())],
            "SCHEDULE",
        ),
        (
            "registration",
            vec![
                (
                    "DATABASE_URL",
                    format!("postgres://postgres@127.0.0.1:{closed}/x"),
                ),
                ("STARTUP_TIMEOUT_SECS", "1".into()),
            ],
            "Postgres unreachable",
        ),
    ];
    for (service, env, expected) in cases {
        let mut command = Command::new(infra::bin_dir().join(service));
        command
            .env("ADMIN_TOKEN", "a-valid-admin-token-123")
            .env("LINK_KEY", convene_tests::stack::LINK_KEY)
            .env("HTTP_ADDR", format!("127.0.0.1:{}", infra::free_port()));
        for (k, v) in &env {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{service} with {env:?} should fail");
        assert!(
            stderr.contains(expected),
            "{service} with {env:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        let error_lines: Vec<_> = stderr.lines().filter(|l| l.contains("error:")).collect();
        assert_eq!(error_lines.len(), 1, "one error line: {stderr}");
    }
}

/// Runs `f` when dropped, so a failing test still stops what it started.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}
