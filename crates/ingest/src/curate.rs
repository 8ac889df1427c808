//! The ingest driver: read every input into typed staging files (one per
//! month), run the curation SQL over each month, write the curated layer
//! partitioned by month, and swap it into place only when everything
//! succeeded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int32Type, Schema, SchemaRef};
use datafusion::datasource::file_format::options::ArrowReadOptions;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;

use crate::months::{MonthFormat, MonthWriter, create_dir};
use crate::readers::read_files;
use crate::sink::{Sink, SourceCounts, curated_writer_options, progress_bar, raw_lines_schema};
use crate::summary::{FileSummary, IngestSummary};
use crate::{IngestError, IngestOptions, InputFile};

/// Threads that read and type the input lines: one per core.
fn reader_threads() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

/// Sub-directory of the curated layer holding `transactions`, partitioned
/// as `year_month=YYYY-MM/`.
pub const TRANSACTIONS_DIR: &str = "transactions";
/// The column `transactions` is partitioned by, one directory per value
/// (`year_month=YYYY-MM/`).
pub const MONTH_COLUMN: &str = "year_month";
/// Sub-directory holding the quarantined lines.
pub const QUARANTINE_DIR: &str = "quarantine";
/// The row accounting of the ingest.
pub const SUMMARY_FILE: &str = "ingest_summary.json";

/// The curated `transactions` schema as stored (the `year_month` partition
/// column comes from the directory names).
pub fn transactions_schema() -> SchemaRef {
    let raw = raw_lines_schema();
    Arc::new(Schema::new(raw.fields()[..8].to_vec()))
}

/// Ingests `files` into the curated layer at `dest` (which is replaced as a
/// whole, never mixed with an earlier ingest). `curation_sql` reads
/// `raw_lines` and returns the eight canonical columns plus `source_file`,
/// the index of the input file holding each kept line's first occurrence.
pub async fn ingest(
    files: &[InputFile],
    dest: &Path,
    options: &IngestOptions,
    curation_sql: &str,
) -> Result<IngestSummary, IngestError> {
    let work = WorkDir::create(dest)?;
    let summary = build(files, &work.path, options, curation_sql).await?;
    work.commit(dest)?;
    Ok(summary)
}

async fn build(
    files: &[InputFile],
    work: &Path,
    options: &IngestOptions,
    curation_sql: &str,
) -> Result<IngestSummary, IngestError> {
    let staging_dir = work.join(".staging");
    let quarantine_dir = work.join(QUARANTINE_DIR);
    create_dir(&quarantine_dir)?;

    let staging_started = std::time::Instant::now();
    let (sources, staged_months) = {
        let (files, options, staging_dir) = (files.to_vec(), options.clone(), staging_dir.clone());
        tokio::task::spawn_blocking(move || -> Result<_, IngestError> {
            // One sink per core: each reader thread stages its own files
            // and quarantine file, merged by month and source below.
            let progress = progress_bar(&options);
            let mut sinks = (0..reader_threads())
                .map(|thread| {
                    Sink::create(
                        &staging_dir.join(format!("thread-{thread}")),
                        &quarantine_dir.join(format!("part-{thread}.parquet")),
                        &options,
                        progress.clone(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            read_files(&files, &options, &mut sinks)?;
            let mut sources: Vec<SourceCounts> = Vec::new();
            let mut months: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
            for sink in sinks {
                let (counts, staged) = sink.finish()?;
                if sources.is_empty() {
                    sources = counts;
                } else {
                    for (total, counts) in sources.iter_mut().zip(counts) {
                        total.absent = total.absent.take().or(counts.absent);
                        total.raw_lines += counts.raw_lines;
                        total.quarantined += counts.quarantined;
                        total.typed += counts.typed;
                    }
                }
                for file in staged {
                    let month = file.parent().and_then(|dir| dir.file_name()).map(|m| m.to_string_lossy().into_owned());
                    months.entry(month.unwrap_or_default()).or_default().push(file);
                }
            }
            progress.finish_and_clear();
            Ok((sources, months.into_values().collect::<Vec<_>>()))
        })
        .await
        .expect("the reader thread does not panic")?
    };
    log::info!("staged {} months in {:.2} s", staged_months.len(), staging_started.elapsed().as_secs_f64());
    let curation_started = std::time::Instant::now();
    let limit = options.memory_limit.unwrap_or(crate::DEFAULT_MEMORY_LIMIT) as usize;
    let runtime = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(FairSpillPool::new(limit))).build_arc()?;
    let curated_dir = work.join(crate::TRANSACTIONS_DIR);
    create_dir(&curated_dir)?;
    // One month per core: a month's lines are one staging file per reader
    // thread, which its query reads and de-duplicates mostly on one thread.
    // Under a memory limit too: the months share the pool, each spilling
    // when its share runs short (50M lines under 4 GiB, one month at a
    // time: 64 s to curate; side by side: 60 s, at a peak RSS of 1.4 GB).
    let months_at_once = reader_threads();
    let mut months = futures::stream::iter(largest_first(&staged_months).map(|(index, staged)| {
        let ctx = SessionContext::new_with_config_rt(curation_config(), runtime.clone());
        let files = MonthWriter::new(
            curated_dir.clone(),
            format!("part-{index}.parquet"),
            MonthFormat::Parquet(Box::new(curated_writer_options())),
        );
        curate_month(ctx, curation_sql, staged, files, sources.len())
    }))
    .buffer_unordered(months_at_once);
    let mut kept = vec![0u64; sources.len()];
    while let Some(month_kept) = months.next().await {
        for (total, month) in kept.iter_mut().zip(month_kept?) {
            *total += month;
        }
    }
    drop(months);
    log::info!("curated {} months in {:.2} s", staged_months.len(), curation_started.elapsed().as_secs_f64());
    std::fs::remove_dir_all(&staging_dir).map_err(|source| IngestError::Write { path: staging_dir.clone(), source })?;

    // Absent from the run: absent from every file that was read.
    let mut absent: Option<Vec<&str>> = None;
    for read in sources.iter().filter_map(|counts| counts.absent.as_ref()) {
        absent = Some(match absent {
            None => read.clone(),
            Some(so_far) => so_far.into_iter().filter(|column| read.contains(column)).collect(),
        });
    }
    let files = sources
        .into_iter()
        .zip(kept)
        .map(|(counts, kept)| FileSummary {
            file: counts.name,
            encoding: counts.encoding.map(str::to_string),
            raw_lines: counts.raw_lines,
            kept,
            duplicates: counts.typed - kept,
            quarantined: counts.quarantined,
        })
        .collect();
    let mut summary = IngestSummary::from_files(files);
    summary.absent_columns = absent.unwrap_or_default().into_iter().map(String::from).collect();
    let summary_path = work.join(crate::SUMMARY_FILE);
    let json = serde_json::to_vec_pretty(&summary).expect("summary serialises");
    std::fs::write(&summary_path, json).map_err(|source| IngestError::Write { path: summary_path, source })?;
    Ok(summary)
}

/// De-duplication keeps nearly every line, so pre-aggregating each part
/// before the final aggregation is wasted work. DataFusion stops it when
/// the groups are most of the rows it probed, by default after 100,000
/// rows, which a month of a 1M-line input never reaches; one batch tells.
/// Each staging file is read whole, batch by batch: DataFusion reads a
/// byte range of an Arrow IPC file into memory at once, so splitting the
/// files into ranges held whole months (50M lines: peak RSS 1.2 -> 2.0 GB).
fn curation_config() -> SessionConfig {
    let mut config = SessionConfig::new();
    config.options_mut().execution.skip_partial_aggregation_probe_rows_threshold = 8192;
    config.options_mut().optimizer.repartition_file_scans = false;
    config
}

/// The staged months, each with its position in month order, largest
/// first: months run side by side, and the November peak started last
/// would leave the other cores idle while it finishes.
fn largest_first(staged_months: &[Vec<PathBuf>]) -> impl Iterator<Item = (usize, &Vec<PathBuf>)> {
    let bytes =
        |files: &Vec<PathBuf>| files.iter().filter_map(|file| std::fs::metadata(file).ok()).map(|m| m.len()).sum();
    let mut months: Vec<(usize, &Vec<PathBuf>, u64)> =
        staged_months.iter().enumerate().map(|(index, files)| (index, files, bytes(files))).collect();
    months.sort_by_key(|(_, _, bytes)| std::cmp::Reverse(*bytes));
    months.into_iter().map(|(index, files, _)| (index, files))
}

/// Runs the curation SQL over one month's staged lines (exact duplicates
/// share their timestamp, so each month de-duplicates alone, in a fraction
/// of the memory of the whole) and writes what it keeps to `files`. Returns
/// the kept lines per source file.
async fn curate_month(
    ctx: SessionContext,
    curation_sql: &str,
    staged: &[PathBuf],
    files: MonthWriter,
    sources: usize,
) -> Result<Vec<u64>, IngestError> {
    let paths: Vec<&str> = staged.iter().map(|path| path.to_str().expect("utf-8 path")).collect();
    ctx.register_table("raw_lines", ctx.read_arrow(paths, ArrowReadOptions::default()).await?.into_view())?;
    let mut writer = CuratedWriter::start(files);
    let mut kept = vec![0u64; sources];
    let mut stream = ctx.sql(curation_sql).await?.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let source = batch
            .column_by_name("source_file")
            .ok_or_else(|| IngestError::Config("the curation SQL must return `source_file`".into()))?
            .as_primitive::<Int32Type>();
        for index in source.iter().flatten() {
            kept[index as usize] += 1;
        }
        writer.send(as_stored(&batch)?).await?;
    }
    tokio::task::spawn_blocking(move || writer.close()).await.expect("the curated writer does not panic")?;
    Ok(kept)
}

/// Writes a month's curated files on a thread of its own, so that encoding
/// and compressing overlaps the SQL that produces the lines.
struct CuratedWriter {
    sender: tokio::sync::mpsc::Sender<RecordBatch>,
    thread: Option<std::thread::JoinHandle<Result<(), IngestError>>>,
}

impl CuratedWriter {
    fn start(mut months: MonthWriter) -> Self {
        let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
        let thread = std::thread::spawn(move || {
            while let Some(batch) = receiver.blocking_recv() {
                months.write(&batch)?;
            }
            months.close().map(|_| ())
        });
        Self { sender, thread: Some(thread) }
    }

    async fn send(&mut self, batch: RecordBatch) -> Result<(), IngestError> {
        match self.sender.send(batch).await {
            Ok(()) => Ok(()),
            // The thread stopped on an error: that error.
            Err(_) => self.join().and(Err(IngestError::Config("the curated writer stopped".into()))),
        }
    }

    /// Waits for every file to be written; the writer's first error, if any.
    fn close(mut self) -> Result<(), IngestError> {
        self.stop();
        self.join()
    }

    /// Tells the thread that nothing more is coming.
    fn stop(&mut self) {
        let (closed, _) = tokio::sync::mpsc::channel(1);
        drop(std::mem::replace(&mut self.sender, closed));
    }

    fn join(&mut self) -> Result<(), IngestError> {
        match self.thread.take() {
            Some(thread) => thread.join().expect("the curated writer does not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for CuratedWriter {
    /// On an error elsewhere, the thread stops writing before the work
    /// directory is removed.
    fn drop(&mut self) {
        self.stop();
        let _ = self.join();
    }
}

/// The curation's eight columns in the stored types. Strings stay views:
/// Parquet stores them as it stores plain strings, and the files do not
/// say which they were written from (see [`curated_writer_options`]).
fn as_stored(batch: &RecordBatch) -> Result<RecordBatch, IngestError> {
    let stored = transactions_schema();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (index, field) in stored.fields().iter().enumerate() {
        let produced = batch.schema_ref().field(index).clone();
        let column = batch.column(index);
        let same = produced.data_type() == field.data_type()
            || (produced.data_type() == &DataType::Utf8View && field.data_type() == &DataType::Utf8);
        if same {
            fields.push(produced);
            columns.push(column.clone());
        } else {
            fields.push(produced.with_data_type(field.data_type().clone()));
            columns.push(cast(column, field.data_type())?);
        }
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

/// A scratch directory beside the destination; removed on drop unless
/// committed, so a failed ingest leaves nothing behind.
struct WorkDir {
    path: PathBuf,
    committed: bool,
}

impl WorkDir {
    fn create(dest: &Path) -> Result<Self, IngestError> {
        let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        create_dir(parent)?;
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("curated");
        let path = parent.join(format!(".{name}.ingest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        create_dir(&path)?;
        Ok(Self { path, committed: false })
    }

    /// Replaces `dest` with the finished work: the old layer is moved aside
    /// first, so readers see either the old or the new one, never a mix.
    fn commit(mut self, dest: &Path) -> Result<(), IngestError> {
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IngestError::Write { path, source }
        };
        let old = self.path.with_extension("old");
        if dest.exists() {
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(dest, &old).map_err(write_error(dest))?;
        }
        std::fs::rename(&self.path, dest).map_err(write_error(dest))?;
        self.committed = true;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(write_error(&old))?;
        }
        Ok(())
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
