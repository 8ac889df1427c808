//! The repository's own files: every relative link of README.md and docs/
//! resolves, and the deployment files are validated without a Docker
//! engine or a Kubernetes cluster: their YAML is well-formed, the pieces
//! reference each other correctly, and every `insights` command line in
//! them is one the binary accepts (subcommand and flags).

use crate::util::{insights, repo};
use serde_yaml::Value;

/// Checks an `insights` argument list against the binary's own help.
fn assert_valid_command(args: &[String], origin: &str) {
    let subcommand = &args[0];
    let help = insights(&repo(), &[subcommand.as_str(), "--help"]).ok();
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        assert!(help.contains(flag.as_str()), "{origin}: `insights {subcommand}` has no flag {flag}");
    }
}

fn strings(value: &Value) -> Vec<String> {
    value.as_sequence().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn docker_compose_starts_a_tls_cluster_in_order() {
    let text = std::fs::read_to_string(repo().join("docker-compose.yml")).unwrap();
    let compose: Value = serde_yaml::from_str(&text).unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(names, ["s3", "certs", "scheduler", "executor-1", "executor-2", "submit"]);
    assert_eq!(compose["services"]["certs"]["build"]["dockerfile"], "deploy/Dockerfile");
    let certs = compose["services"]["certs"]["entrypoint"][2].as_str().unwrap();
    assert!(certs.contains("insights certs --out /certs --hosts scheduler,executor-1,executor-2"), "{certs}");
    for (name, service) in services {
        let name = name.as_str().unwrap();
        for port in service["ports"].as_sequence().into_iter().flatten() {
            assert!(port.as_str().unwrap().starts_with("127.0.0.1:"), "{name}: publish on loopback only");
        }
        for (dependency, condition) in service["depends_on"].as_mapping().into_iter().flatten() {
            assert!(services.contains_key(dependency), "{name} depends on unknown {dependency:?}");
            // Started is not listening: what waits on a server waits for its healthcheck.
            let server = services[dependency]["healthcheck"].is_mapping();
            let expected = if server { "service_healthy" } else { condition["condition"].as_str().unwrap() };
            assert_eq!(condition["condition"], expected, "{name} on {dependency:?}");
        }
        if !["s3", "certs"].contains(&name) {
            assert_eq!(service["image"], "insights:latest", "{name}");
            let command = strings(&service["command"]);
            assert_valid_command(&command, &format!("docker-compose.yml {name}"));
            assert!(service["environment"]["AWS_ACCESS_KEY_ID"].is_string(), "{name} needs S3 credentials");
            let host = if name == "submit" { "client" } else { name };
            assert!(command.contains(&format!("/certs/{host}.key")), "{name} runs with its TLS certificate");
            assert_eq!(service["restart"], "on-failure", "{name}");
        }
        if ["scheduler", "executor-1", "executor-2"].contains(&name) {
            assert!(service["healthcheck"]["test"].is_sequence(), "{name} has a healthcheck");
        }
    }
    let submit = strings(&compose["services"]["submit"]["command"]);
    assert_eq!(&submit[..3], ["submit", "--scheduler", "df://scheduler:50050"]);
}

#[test]
fn kubernetes_manifests_are_complete_and_consistent() {
    let mut kinds = Vec::new();
    let mut labels_by_deployment = Vec::new();
    let mut selectors = Vec::new();
    for file in ["config.yaml", "scheduler.yaml", "executor.yaml", "submit-job.yaml"] {
        let text = std::fs::read_to_string(repo().join("deploy/k8s").join(file)).unwrap();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let doc = Value::deserialize(document).unwrap();
            let kind = doc["kind"].as_str().unwrap_or_else(|| panic!("{file}: no kind")).to_string();
            assert!(doc["apiVersion"].is_string() && doc["metadata"]["name"].is_string(), "{file}: {kind}");
            let pod = match kind.as_str() {
                "Deployment" => {
                    labels_by_deployment.push(doc["spec"]["template"]["metadata"]["labels"].clone());
                    assert_eq!(
                        doc["spec"]["selector"]["matchLabels"], doc["spec"]["template"]["metadata"]["labels"],
                        "{file}"
                    );
                    Some(doc["spec"]["template"]["spec"].clone())
                }
                "Job" => Some(doc["spec"]["template"]["spec"].clone()),
                "Service" => {
                    selectors.push(doc["spec"]["selector"].clone());
                    None
                }
                _ => None,
            };
            if let Some(pod) = pod {
                let secrets: Vec<&Value> = pod["volumes"].as_sequence().unwrap().iter().map(|v| &v["secret"]).collect();
                assert!(secrets.iter().any(|s| s["secretName"] == "insights-tls"), "{file}: mounts the TLS Secret");
                for container in pod["containers"].as_sequence().unwrap() {
                    assert_eq!(container["image"], "insights:latest", "{file}");
                    let args = strings(&container["args"]);
                    assert_valid_command(&args, &format!("deploy/k8s/{file}"));
                    assert!(args.contains(&"--tls-key".to_string()), "{file}: runs with TLS");
                    if kind == "Deployment" {
                        assert!(container["readinessProbe"].is_mapping() && container["livenessProbe"].is_mapping());
                    }
                }
            }
            kinds.push(kind);
        }
    }
    kinds.sort();
    assert_eq!(kinds, ["ConfigMap", "Deployment", "Deployment", "Job", "Service"]);
    for selector in selectors {
        assert!(labels_by_deployment.contains(&selector), "a Service selects no Deployment: {selector:?}");
    }
}

#[test]
fn the_dockerfile_copies_what_exists_and_runs_insights() {
    let text = std::fs::read_to_string(repo().join("deploy/Dockerfile")).unwrap();
    assert!(text.contains("ENTRYPOINT [\"insights\"]"));
    for line in text.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from")) {
        let source = line.split_whitespace().nth(1).unwrap();
        assert!(source == "." || repo().join(source).exists(), "Dockerfile copies missing {source}");
    }
}

use serde::Deserialize;

#[test]
fn every_relative_link_in_the_documents_resolves() {
    let root = repo();
    let mut documents = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            documents.push(path);
        }
    }
    let mut broken = Vec::new();
    for document in &documents {
        let text = std::fs::read_to_string(document).unwrap();
        // Markdown links and images: `](target)`.
        for (start, _) in text.match_indices("](") {
            let rest = &text[start + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].split('#').next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            if !document.parent().unwrap().join(target).exists() {
                broken.push(format!("{}: {target}", document.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(documents.len() >= 5, "README.md and the docs pages: {documents:?}");
    assert!(broken.is_empty(), "links that resolve to nothing:\n{}", broken.join("\n"));
}
