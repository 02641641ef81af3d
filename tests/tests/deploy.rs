//! The deployment files agree with the code. No Docker engine is needed: `docker-compose
//! config` validates `deploy/compose.yaml`, and the variable tables the binaries read
//! (`convene_shared::config::COMMON` and each service's `config::VARS`) are compared with
//! what compose sets for each service and what `deploy/.env.example` documents.

use std::collections::BTreeMap;
use std::process::Command;

use convene_shared::config::{Var, COMMON};
use convene_tests::infra::workspace_root;
use serde_yaml::Value;

/// Each service as compose names it, with the variables its binary reads besides COMMON.
fn services() -> [(&'static str, &'static [Var]); 3] {
    [
        ("registration", registration::config::VARS),
        ("notification", notification::config::VARS),
        ("scheduling", scheduling::config::VARS),
    ]
}

/// `deploy/compose.yaml`, with its `<<: *anchor` merges applied.
fn compose() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("deploy/compose.yaml"))
        .expect("reading deploy/compose.yaml");
    let mut value: Value = serde_yaml::from_str(&text).expect("compose.yaml is YAML");
    value.apply_merge().expect("compose.yaml's merge keys");
    value
}

/// Every `NAME=value` line of `deploy/.env.example`.
fn env_example() -> BTreeMap<String, String> {
    std::fs::read_to_string(workspace_root().join("deploy/.env.example"))
        .expect("reading deploy/.env.example")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l
                .split_once('=')
                .unwrap_or_else(|| panic!(".env.example: {l:?} is not NAME=value"));
            (name.trim().to_owned(), value.to_owned())
        })
        .collect()
}

/// A compose value that comes from `.env`: `${NAME:-default}`, `${NAME-default}` or
/// `${NAME}`, as (NAME, default).
fn interpolated(value: &str) -> Option<(&str, &str)> {
    let inner = value.strip_prefix("${")?.strip_suffix('}')?;
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, rest) = inner.split_at(end);
    let default = rest
        .strip_prefix(":-")
        .or_else(|| rest.strip_prefix('-'))
        .unwrap_or(rest);
    (!name.is_empty()).then_some((name, default))
}

#[test]
fn docker_compose_accepts_the_compose_file() {
    let version = Command::new("docker-compose").arg("version").output();
    if version.is_err() {
        eprintln!(
            "SKIPPED docker_compose_accepts_the_compose_file: docker-compose is not installed \
             (apt-get install docker-compose; .ci/run installs it)"
        );
        return;
    }
    let out = Command::new("docker-compose")
        .args(["-f", "deploy/compose.yaml", "config", "-q"])
        .current_dir(workspace_root())
        .output()
        .expect("running docker-compose config");
    assert!(
        out.status.success(),
        "docker-compose config rejects deploy/compose.yaml:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every variable a service reads is set for it in compose.yaml, from a `.env` variable
/// that `.env.example` documents with the same default; compose sets nothing a service
/// does not read.
#[test]
fn every_variable_a_service_reads_is_set_in_compose_and_documented() {
    let compose = compose();
    let documented = env_example();
    for (service, vars) in services() {
        let environment = compose["services"][service]["environment"]
            .as_mapping()
            .unwrap_or_else(|| panic!("compose.yaml: service {service} has no environment map"));
        let set: BTreeMap<&str, &str> = environment
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().expect("variable names are strings"),
                    v.as_str()
                        .unwrap_or_else(|| panic!("{service}: quote the value of {k:?}")),
                )
            })
            .collect();
        let read: Vec<&str> = COMMON.iter().chain(vars).map(|v| v.name).collect();

        for name in &read {
            let value = set.get(name).unwrap_or_else(|| {
                panic!("compose.yaml does not set {name} for {service}, which reads it")
            });
            let (source, default) = interpolated(value).unwrap_or_else(|| {
                panic!(
                    "compose.yaml hard-codes {name} for {service} ({value:?}); take it from .env \
                     as ${{NAME:-default}}"
                )
            });
            let example = documented.get(source).unwrap_or_else(|| {
                panic!(
                    "{source} (the {name} of {service}) is not documented in deploy/.env.example"
                )
            });
            assert_eq!(
                example, default,
                "{source}: deploy/.env.example and compose.yaml's default differ"
            );
        }
        for name in set.keys() {
            assert!(
                read.contains(name),
                "compose.yaml sets {name} for {service}, which does not read it (renamed?)"
            );
        }
    }
}

/// `.env.example` documents nothing that compose.yaml does not use.
#[test]
fn every_documented_variable_is_used_by_compose() {
    let text = std::fs::read_to_string(workspace_root().join("deploy/compose.yaml")).unwrap();
    for name in env_example().keys() {
        assert!(
            text.contains(&format!("${{{name}:-"))
                || text.contains(&format!("${{{name}-"))
                || text.contains(&format!("${{{name}}}")),
            "deploy/.env.example documents {name}, which compose.yaml never uses"
        );
    }
}

#[test]
fn interpolations_are_read_with_their_defaults() {
    assert_eq!(interpolated("${A_B:-x y}"), Some(("A_B", "x y")));
    assert_eq!(
        interpolated("${SMTP_URL-smtp://m:1}"),
        Some(("SMTP_URL", "smtp://m:1"))
    );
    assert_eq!(interpolated("${ONLY}"), Some(("ONLY", "")));
    assert_eq!(interpolated("literal"), None);
}
