//! The deployment files agree with the code. No Docker engine is needed: `docker-compose
//! config` validates `deploy/compose.yaml`, and the variable tables the binaries read
//! (`convene_shared::config::COMMON` and each service's `config::VARS`) are compared with
//! what compose sets for each service and what `deploy/.env.example` documents. The
//! secrets: `.env.example` has none, compose refuses to start without them, and `make up`'s
//! `scripts/deploy-env.sh` generates every one. Only registration is published beyond
//! the host.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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

/// What a compose value taken from `.env` falls back to.
#[derive(Debug, PartialEq, Eq)]
enum Fallback<'a> {
    /// `${NAME:-default}`, `${NAME-default}` or `${NAME}` (the empty default).
    Default(&'a str),
    /// `${NAME:?message}`: no default, compose refuses to start without it.
    Required,
}

/// A compose value that comes from `.env`, as (NAME, fallback).
fn interpolated(value: &str) -> Option<(&str, Fallback<'_>)> {
    let inner = value.strip_prefix("${")?.strip_suffix('}')?;
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, rest) = inner.split_at(end);
    let fallback = if rest.starts_with(":?") || rest.starts_with('?') {
        Fallback::Required
    } else {
        Fallback::Default(
            rest.strip_prefix(":-")
                .or_else(|| rest.strip_prefix('-'))
                .unwrap_or(rest),
        )
    };
    (!name.is_empty()).then_some((name, fallback))
}

/// Every variable compose.yaml requires (`${NAME:?…}`, comments aside): the secrets.
fn required() -> Vec<String> {
    let text: String = std::fs::read_to_string(workspace_root().join("deploy/compose.yaml"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let mut names: Vec<String> = text
        .match_indices("${")
        .filter_map(|(at, _)| {
            let rest = &text[at..];
            interpolated(&rest[..=rest.find('}')?])
                .filter(|(_, fallback)| *fallback == Fallback::Required)
                .map(|(name, _)| name.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `deploy/.env` as `make up` makes it: `scripts/deploy-env.sh` run on a copy in `dir`.
fn generated_env(dir: &Path) -> (PathBuf, String) {
    let file = dir.join(".env");
    let out = Command::new("sh")
        .arg(workspace_root().join("scripts/deploy-env.sh"))
        .arg(&file)
        .output()
        .expect("running scripts/deploy-env.sh");
    assert!(
        out.status.success(),
        "scripts/deploy-env.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (file, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// NAME's value in an env file (the last line, as compose reads it).
fn value_in(file: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .map(str::to_owned)
}

fn docker_compose_installed() -> bool {
    Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok()
}

/// `docker-compose config` of compose.yaml with `env_file`.
fn compose_config(env_file: &Path, quiet: bool) -> std::process::Output {
    let mut command = Command::new("docker-compose");
    command
        .arg("--env-file")
        .arg(env_file)
        .args(["-f", "deploy/compose.yaml", "config"]);
    if quiet {
        command.arg("-q");
    }
    command
        .current_dir(workspace_root())
        .output()
        .expect("running docker-compose config")
}

/// With the `.env` `make up` makes, compose accepts the file; with `.env.example` as it is
/// (no secrets), it refuses to start.
#[test]
fn docker_compose_accepts_the_compose_file_only_with_the_secrets() {
    if !docker_compose_installed() {
        eprintln!(
            "SKIPPED docker_compose_accepts_the_compose_file_only_with_the_secrets: \
             docker-compose is not installed (apt-get install docker-compose; .ci/run installs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (env, _) = generated_env(dir.path());
    let out = compose_config(&env, true);
    assert!(
        out.status.success(),
        "docker-compose config rejects deploy/compose.yaml:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let out = compose_config(&workspace_root().join("deploy/.env.example"), true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("is not set: run make up"),
        "docker-compose config accepts deploy/compose.yaml without secrets:\n{stderr}"
    );
}

/// Compose publishes registration's port on every interface, and each other port (Postgres,
/// RabbitMQ and its management UI, Mailpit's SMTP and web inbox) on 127.0.0.1, each with an
/// address setting of its own.
#[test]
fn only_registration_is_published_beyond_the_host() {
    let compose = compose();
    let documented = env_example();
    let mut settings = Vec::new();
    for (service, spec) in compose["services"].as_mapping().unwrap() {
        let service = service.as_str().unwrap();
        let ports = spec["ports"].as_sequence().cloned().unwrap_or_default();
        for port in ports {
            let port = port.as_str().expect("ports as strings");
            // "${ADDR:-default}:${PORT:-default}:container port"
            let address = &port[..=port.find('}').expect("the address from .env")];
            let (name, fallback) = interpolated(address).expect("the address from .env");
            let Fallback::Default(default) = fallback else {
                panic!("{service}: {name} needs a default");
            };
            assert_eq!(
                documented.get(name).map(String::as_str),
                Some(default),
                "{name}: deploy/.env.example and compose.yaml's default differ"
            );
            let expected = if service == "registration" {
                "0.0.0.0"
            } else {
                "127.0.0.1"
            };
            assert_eq!(
                default, expected,
                "{service} ({port}) is published on {default}"
            );
            assert!(
                !settings.iter().any(|s| s == name),
                "{name} publishes two ports; each needs its own setting"
            );
            settings.push(name.to_owned());
        }
    }
    assert_eq!(
        settings.len(),
        6,
        "the published ports changed: {settings:?}"
    );
}

/// `make up` fills every secret compose requires with a fresh random value, says which
/// without printing them, keeps them on a second run, replaces the old stock ADMIN_TOKEN,
/// and keeps the file to its owner.
#[test]
fn make_up_generates_every_secret_compose_requires() {
    let required = required();
    assert!(required.contains(&"ADMIN_TOKEN".to_owned()), "{required:?}");
    assert!(required.len() >= 15, "{required:?}");
    let documented = env_example();
    for name in &required {
        assert_eq!(
            documented.get(name).map(String::as_str),
            Some(""),
            "deploy/.env.example must document {name} without a usable value"
        );
    }

    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (file, printed) = generated_env(first.path());
    let (other, _) = generated_env(second.path());
    for name in &required {
        let value = value_in(&file, name).unwrap_or_default();
        assert!(value.len() >= 32, "{name} was not generated: {value:?}");
        assert!(
            printed.contains(name.as_str()),
            "{name} not reported: {printed}"
        );
        assert!(!printed.contains(&value), "{name}'s value was printed");
        assert_ne!(Some(value), value_in(&other, name), "{name} is not random");
    }
    for (service, _) in services() {
        let upper = service.to_uppercase();
        let password = value_in(&file, &format!("{upper}_DATABASE_PASSWORD")).unwrap();
        assert_eq!(
            value_in(&file, &format!("{upper}_DATABASE_URL")).unwrap(),
            format!("postgres://convene_{service}:{password}@postgres:5432/convene")
        );
        let password = value_in(&file, &format!("{upper}_AMQP_PASSWORD")).unwrap();
        assert_eq!(
            value_in(&file, &format!("{upper}_AMQP_URL")).unwrap(),
            format!("amqp://convene_{service}:{password}@rabbitmq:5672/%2f")
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "deploy/.env is readable by others: {mode:o}"
        );
    }

    let before = std::fs::read_to_string(&file).unwrap();
    let (_, printed) = generated_env(first.path());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    assert!(
        printed.trim().is_empty(),
        "a second run generated: {printed}"
    );

    // An .env from before: the stock admin token goes, a chosen one stays.
    let text = before.replace(
        &format!("ADMIN_TOKEN={}", value_in(&file, "ADMIN_TOKEN").unwrap()),
        "ADMIN_TOKEN=change-me-please-0000",
    );
    std::fs::write(
        &file,
        text.replace("POSTGRES_PASSWORD=", "POSTGRES_PASSWORD=kept-"),
    )
    .unwrap();
    let kept = value_in(&file, "POSTGRES_PASSWORD").unwrap();
    generated_env(first.path());
    let token = value_in(&file, "ADMIN_TOKEN").unwrap();
    assert!(token != "change-me-please-0000" && token.len() >= 32);
    assert_eq!(value_in(&file, "POSTGRES_PASSWORD").unwrap(), kept);

    // A chosen password a URL cannot hold as it is: the operator writes that URL.
    let third = tempfile::tempdir().unwrap();
    let file = third.path().join(".env");
    std::fs::write(&file, "SCHEDULING_AMQP_PASSWORD=p@ss:word\n").unwrap();
    let out = Command::new("sh")
        .arg(workspace_root().join("scripts/deploy-env.sh"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SCHEDULING_AMQP_PASSWORD"));
    assert_eq!(value_in(&file, "SCHEDULING_AMQP_URL"), None);
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
            let (source, fallback) = interpolated(value).unwrap_or_else(|| {
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
            match fallback {
                Fallback::Default(default) => assert_eq!(
                    example, default,
                    "{source}: deploy/.env.example and compose.yaml's default differ"
                ),
                // A secret: make up generates it; the example must not offer one.
                Fallback::Required => assert_eq!(
                    example, "",
                    "{source} is required by compose.yaml: deploy/.env.example must leave it \
                     empty for make up to generate"
                ),
            }
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
                || text.contains(&format!("${{{name}:?"))
                || text.contains(&format!("${{{name}}}")),
            "deploy/.env.example documents {name}, which compose.yaml never uses"
        );
    }
}

#[test]
fn interpolations_are_read_with_their_defaults() {
    assert_eq!(
        interpolated("${A_B:-x y}"),
        Some(("A_B", Fallback::Default("x y")))
    );
    assert_eq!(
        interpolated("${SMTP_URL-smtp://m:1}"),
        Some(("SMTP_URL", Fallback::Default("smtp://m:1")))
    );
    assert_eq!(
        interpolated("${ONLY}"),
        Some(("ONLY", Fallback::Default("")))
    );
    assert_eq!(
        interpolated("${TOKEN:?TOKEN is not set: run make up}"),
        Some(("TOKEN", Fallback::Required))
    );
    assert_eq!(interpolated("literal"), None);
}

/// The host file behind `container_path` in `service`, through compose.yaml's bind mounts
/// (`./source:/target[:ro]`); `None` when no mount covers it.
fn host_file(compose: &Value, service: &str, container_path: &str) -> Option<PathBuf> {
    compose["services"][service]["volumes"]
        .as_sequence()?
        .iter()
        .filter_map(|v| v.as_str())
        .filter_map(|v| {
            let mut parts = v.split(':');
            let (source, target) = (parts.next()?, parts.next()?);
            let source = source.strip_prefix("./")?;
            let rest = container_path.strip_prefix(target)?;
            let host = workspace_root().join("deploy").join(source);
            match rest.strip_prefix('/') {
                _ if rest.is_empty() => Some(host),
                Some(inside) => Some(host.join(inside)),
                None => None,
            }
        })
        .next()
}

/// What no `config` can check without a Docker engine: every file the containers are
/// told to run or read is mounted where they look for it.
#[test]
fn the_files_the_containers_run_are_mounted_where_they_look() {
    let compose = compose();
    for (service, spec) in compose["services"].as_mapping().unwrap() {
        for volume in spec["volumes"].as_sequence().cloned().unwrap_or_default() {
            let volume = volume.as_str().unwrap();
            if let Some(source) = volume.strip_prefix("./") {
                let source = source.split(':').next().unwrap();
                assert!(
                    workspace_root().join("deploy").join(source).exists(),
                    "{service:?} mounts deploy/{source}, which does not exist"
                );
            }
        }
    }

    // rabbitmq: the entrypoint, the script it runs, and the file it writes for
    // load_definitions.
    let entrypoint = compose["services"]["rabbitmq"]["entrypoint"][1]
        .as_str()
        .expect("rabbitmq's entrypoint: [/bin/sh, script]");
    let script = host_file(&compose, "rabbitmq", entrypoint)
        .unwrap_or_else(|| panic!("{entrypoint} is not mounted"));
    let text = std::fs::read_to_string(&script).unwrap();
    let runs = text
        .split_whitespace()
        .find(|w| w.starts_with("/etc/convene/") && w.ends_with(".sh"))
        .expect("entrypoint.sh runs a script of /etc/convene");
    assert!(host_file(&compose, "rabbitmq", runs).is_some_and(|f| f.exists()));
    let written = text
        .lines()
        .find_map(|l| l.strip_prefix("definitions="))
        .expect("entrypoint.sh sets definitions=");
    let conf = host_file(&compose, "rabbitmq", "/etc/rabbitmq/conf.d/30-convene.conf")
        .expect("30-convene.conf is mounted in conf.d");
    assert!(
        std::fs::read_to_string(conf)
            .unwrap()
            .lines()
            .any(|l| l == format!("load_definitions = {written}")),
        "30-convene.conf does not load {written}"
    );

    // postgres: the roles script, where the image runs init scripts and make db-roles
    // runs it.
    let roles = host_file(
        &compose,
        "postgres",
        "/docker-entrypoint-initdb.d/10-convene-roles.sh",
    )
    .expect("the roles script is mounted in /docker-entrypoint-initdb.d");
    assert!(roles.exists());
    let makefile = std::fs::read_to_string(workspace_root().join("Makefile")).unwrap();
    assert!(
        makefile.contains("exec -T postgres sh /docker-entrypoint-initdb.d/10-convene-roles.sh")
    );
}
