//! `insights shell`: an interactive SQL prompt over the latest committed run.
//!
//! On a terminal it reads statements with line editing, history (kept in
//! `~/.insights_history`) and tab completion of table and column names; a
//! statement may span lines and ends with `;`. With piped input it runs every
//! statement it reads, so the same session can be scripted.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Result, bail};
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use dialoguer::theme::Theme;
use dialoguer::{Completion, History, Input};

use crate::output::{self, ResultFormat};

/// Runs the prompt (or the piped statements) until `\q` or end of input.
/// Piped input stops at the first failing statement, with its error.
pub async fn run_shell(ctx: &SessionContext, format: ResultFormat) -> Result<()> {
    let names = table_names(ctx).await?;
    let mut shell = Shell { ctx, format, buffer: String::new() };
    if !std::io::stdin().is_terminal() {
        for line in std::io::stdin().lock().lines() {
            if shell.feed(&line?).await? == Flow::Quit {
                return Ok(());
            }
        }
        return shell.feed(";").await.map(drop);
    }
    eprintln!("Tables: {}", names.tables.join(", "));
    eprintln!("End a statement with `;`. \\d lists tables, \\d NAME its columns, \\q quits.");
    let mut history = FileHistory::open();
    loop {
        let prompt = if shell.buffer.is_empty() { "insights> " } else { "      ..> " };
        let line: String = match Input::with_theme(&PromptTheme)
            .with_prompt(prompt)
            .allow_empty(true)
            .history_with(&mut history)
            .completion_with(&names)
            .interact_text()
        {
            Ok(line) => line,
            // Ctrl-D / Ctrl-C end the session like any SQL shell.
            Err(_) => break,
        };
        match shell.feed(&line).await {
            Ok(Flow::Quit) => break,
            Ok(Flow::More) => {}
            Err(error) => {
                eprintln!("error: {error:#}");
                shell.buffer.clear();
            }
        }
    }
    Ok(())
}

const LIST_TABLES: &str = "SELECT table_name, table_type FROM information_schema.tables \
    WHERE table_schema = 'public' ORDER BY table_name";

#[derive(Debug, PartialEq)]
enum Flow {
    More,
    Quit,
}

/// The statement being typed, and what runs it.
struct Shell<'a> {
    ctx: &'a SessionContext,
    format: ResultFormat,
    buffer: String,
}

impl Shell<'_> {
    /// Takes one input line: a shell command, or part of a statement that
    /// runs once a line ends with `;`.
    async fn feed(&mut self, line: &str) -> Result<Flow> {
        let trimmed = line.trim();
        if self.buffer.trim().is_empty() {
            match trimmed {
                "\\q" | "exit" | "quit" => return Ok(Flow::Quit),
                "\\d" => return self.execute(LIST_TABLES, ResultFormat::Table).await.map(|_| Flow::More),
                _ if trimmed.starts_with("\\d ") => {
                    let table = trimmed[3..].trim().trim_end_matches(';');
                    return self.execute(&format!("DESCRIBE {table}"), ResultFormat::Table).await.map(|_| Flow::More);
                }
                _ if trimmed.starts_with('\\') => bail!("unknown command `{trimmed}` (\\d, \\d NAME, \\q)"),
                _ => {}
            }
        }
        self.buffer.push_str(line);
        self.buffer.push('\n');
        if trimmed.ends_with(';') {
            let script = std::mem::take(&mut self.buffer);
            for statement in split_statements(&script) {
                self.execute(&statement, self.format).await?;
            }
        }
        Ok(Flow::More)
    }

    async fn execute(&self, sql: &str, format: ResultFormat) -> Result<()> {
        let options = if is_catalog_question(sql) { SQLOptions::new() } else { output::read_only() };
        let batches = self.ctx.sql_with_options(sql, options).await?.collect().await?;
        output::print_batches(&batches, format)
    }
}

/// `SHOW TABLES` / `SHOW COLUMNS` are statements to DataFusion but only read
/// the information schema, so the shell allows them.
fn is_catalog_question(sql: &str) -> bool {
    let upper = sql.trim_start().to_ascii_uppercase();
    upper.starts_with("SHOW ") || upper.starts_with("DESCRIBE ")
}

/// Splits a script at `;` outside quotes and `--` or `/* */` comments;
/// empty statements are skipped.
pub fn split_statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '-') if chars.peek() == Some(&'-') => {
                // A line comment: skip to its end.
                for next in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
                current.push('\n');
                continue;
            }
            (None, '/') if chars.peek() == Some(&'*') => {
                // A block comment: skip to its `*/`.
                chars.next();
                let mut previous = ' ';
                for next in chars.by_ref() {
                    if previous == '*' && next == '/' {
                        break;
                    }
                    previous = next;
                }
                current.push(' ');
                continue;
            }
            (None, ';') => {
                if !current.trim().is_empty() {
                    statements.push(current.trim().to_string());
                }
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        statements.push(current.trim().to_string());
    }
    statements
}

/// What tab completes: the registered tables and their columns.
struct Names {
    tables: Vec<String>,
    words: BTreeSet<String>,
}

async fn table_names(ctx: &SessionContext) -> Result<Names> {
    let mut tables = Vec::new();
    let mut words = BTreeSet::new();
    for name in ctx.catalog_names() {
        let Some(catalog) = ctx.catalog(&name) else { continue };
        for schema_name in catalog.schema_names() {
            if schema_name == "information_schema" {
                continue;
            }
            let Some(schema) = catalog.schema(&schema_name) else { continue };
            for table in schema.table_names() {
                if let Ok(Some(provider)) = schema.table(&table).await {
                    words.extend(provider.schema().fields().iter().map(|f| f.name().clone()));
                }
                words.insert(table.clone());
                tables.push(table);
            }
        }
    }
    tables.sort();
    Ok(Names { tables, words })
}

impl Completion for Names {
    /// Completes the last word of the line to the first table or column name
    /// it starts; tables come first.
    fn get(&self, input: &str) -> Option<String> {
        let start = input.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let (head, word) = input.split_at(start);
        if word.is_empty() {
            return None;
        }
        let lower = word.to_lowercase();
        let found =
            self.tables.iter().chain(self.words.iter()).find(|name| name.starts_with(&lower) && **name != lower)?;
        Some(format!("{head}{found}"))
    }
}

/// History shared between sessions, newest first, in `~/.insights_history`.
struct FileHistory {
    path: Option<PathBuf>,
    entries: Vec<String>,
}

impl FileHistory {
    const LIMIT: usize = 1000;

    fn open() -> Self {
        let path = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".insights_history"));
        let entries = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|text| text.lines().rev().map(str::to_string).collect())
            .unwrap_or_default();
        FileHistory { path, entries }
    }
}

impl<T: ToString> History<T> for FileHistory {
    fn read(&self, pos: usize) -> Option<String> {
        self.entries.get(pos).cloned()
    }

    fn write(&mut self, value: &T) {
        let value = value.to_string();
        if value.trim().is_empty() || self.entries.first() == Some(&value) {
            return;
        }
        self.entries.insert(0, value);
        self.entries.truncate(Self::LIMIT);
        if let Some(path) = &self.path {
            let text: Vec<&str> = self.entries.iter().rev().map(String::as_str).collect();
            // History is a convenience: a read-only home must not stop the shell.
            let _ = std::fs::write(path, text.join("\n") + "\n");
        }
    }
}

/// A plain `insights> ` prompt instead of dialoguer's `prompt: ` style.
struct PromptTheme;

impl Theme for PromptTheme {
    fn format_input_prompt(&self, f: &mut dyn fmt::Write, prompt: &str, _default: Option<&str>) -> fmt::Result {
        write!(f, "{prompt}")
    }

    fn format_input_prompt_selection(&self, f: &mut dyn fmt::Write, prompt: &str, sel: &str) -> fmt::Result {
        write!(f, "{prompt}{sel}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_outside_quotes_and_comments() {
        let script = "select 1; -- a comment; still comment\nselect ';' as s;\n\n select \"a;b\" from t";
        assert_eq!(split_statements(script), vec!["select 1", "select ';' as s", "select \"a;b\" from t"]);
        assert_eq!(split_statements("select /* a; b */ 1;select 2"), vec!["select   1", "select 2"]);
    }

    #[test]
    fn completes_the_last_word() {
        let names = Names {
            tables: vec!["sales".into(), "top_products".into()],
            words: ["revenue".to_string(), "sales".to_string()].into(),
        };
        assert_eq!(names.get("select * from top_").as_deref(), Some("select * from top_products"));
        assert_eq!(names.get("select rev").as_deref(), Some("select revenue"));
        assert_eq!(names.get("select "), None);
    }
}
