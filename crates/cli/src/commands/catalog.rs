//! `list`, `show`, `check`, `lock` and `new`: the SQL catalog, without data.

use anyhow::{Context, Result, bail};

use crate::settings::Settings;

pub fn list(settings: &Settings) -> Result<()> {
    let catalog = settings.catalog()?;
    outln!("catalog: {}", catalog.dir.display());
    for model in catalog.insights() {
        outln!();
        outln!("{} v{}  ({})", model.name(), model.version(), model.path.display());
        outln!("  {}", model.summary());
        for param in &model.params {
            outln!("  param {}: {} = {}  -- {}", param.name, param.ty.name(), param.default, param.description);
        }
        let reads: Vec<&str> = model.dependencies.iter().map(String::as_str).collect();
        outln!("  reads: {}", reads.join(", "));
    }
    let staging: Vec<String> = catalog.staging().map(|m| format!("{} v{}", m.name(), m.version())).collect();
    outln!();
    outln!("staging models: {}", staging.join(", "));
    Ok(())
}

pub async fn show(settings: &Settings, name: &str) -> Result<()> {
    let catalog = settings.catalog()?;
    let model = catalog.get(name)?;
    let params = settings.params(&catalog, &[])?;
    outln!("{}", model.sql.trim_end());
    outln!();
    let planned = insights_engine::plan_catalog(&catalog, &params).await;
    let entry = planned.iter().find(|p| p.model.name() == name).expect("every model is planned");
    match &entry.plan {
        Ok(plan) => outln!("-- plan\n{}", plan.display_indent()),
        Err(message) => bail!("{message}"),
    }
    Ok(())
}

pub async fn check(settings: &Settings) -> Result<()> {
    let catalog = settings.catalog()?;
    let params = settings.params(&catalog, &[])?;
    let mut problems: Vec<String> = Vec::new();
    for planned in insights_engine::plan_catalog(&catalog, &params).await {
        match &planned.plan {
            Ok(_) => outln!("ok     {} v{}", planned.model.name(), planned.model.version()),
            Err(message) => {
                outln!("error  {} v{}", planned.model.name(), planned.model.version());
                problems.push(message.clone());
            }
        }
    }
    problems.extend(catalog.verify_lock()?.iter().map(ToString::to_string));
    if problems.is_empty() {
        outln!("catalog ok: {} files planned, {} in step", catalog.models.len(), insights_catalog::LOCK_FILE);
        return Ok(());
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    bail!("{} problem(s) in the catalog", problems.len())
}

pub fn lock(settings: &Settings) -> Result<()> {
    let catalog = settings.catalog()?;
    catalog.write_lock()?;
    outln!(
        "locked {} files in {}",
        catalog.lock_entries().len(),
        catalog.dir.join(insights_catalog::LOCK_FILE).display()
    );
    Ok(())
}

const STARTER_QUERY: &str = "\
with monthly as (
    select
        year_month,
        sum(revenue) as revenue,
        count(distinct invoice_no) as orders
    from sales
    group by year_month
),

final as (
    select * from monthly
)

select * from final
";

pub fn new_insight(settings: &Settings, name: &str, from: Option<&str>) -> Result<()> {
    let catalog = settings.catalog()?;
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!("`{name}` is not a valid insight name: use lower-case letters, digits and `_`, starting with a letter");
    }
    if let Ok(existing) = catalog.get(name) {
        bail!("`{name}` already exists: {}", existing.path.display());
    }
    let path = catalog.dir.join(format!("{name}.sql"));
    if path.exists() {
        bail!("{} already exists", path.display());
    }
    let text = match from {
        Some(template) => {
            let source = catalog.get(template)?;
            let mut lines = Vec::new();
            for line in source.sql.lines() {
                lines.push(match line.trim_start() {
                    l if l.starts_with("-- name:") => format!("-- name: {name}"),
                    l if l.starts_with("-- version:") => "-- version: 1".to_string(),
                    _ => line.to_string(),
                });
            }
            lines.join("\n") + "\n"
        }
        None => format!(
            "-- name: {name}\n-- version: 1\n-- description: >\n--   TODO: the business question this answers, in a sentence or two.\n-- key: [year_month]\n\n{STARTER_QUERY}"
        ),
    };
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    outln!("created {}", path.display());
    outln!("next: edit it, `insights check`, then `insights run --only {name}`");
    Ok(())
}
