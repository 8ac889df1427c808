//! Excel workbooks: every sheet (or the one asked for), each with its own
//! header row. Line numbers are the sheet's row numbers as Excel shows them.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::columns::map_columns;
use crate::sink::Sink;
use crate::{IngestError, IngestOptions, InputFile};

pub(crate) fn read(file: &InputFile, options: &IngestOptions, sink: &mut Sink) -> Result<(), IngestError> {
    let path = Path::new(&file.name);
    let corrupt = |message: String| IngestError::Corrupt { path: path.to_path_buf(), format: "Excel", message };
    if std::fs::metadata(&file.path).map_err(|source| IngestError::Read { path: path.to_path_buf(), source })?.len()
        == 0
    {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let mut workbook = open_workbook_auto(&file.path).map_err(|e| corrupt(e.to_string()))?;
    let names = workbook.sheet_names();
    let sheets: Vec<String> = match &options.sheet {
        Some(sheet) if names.contains(sheet) => vec![sheet.clone()],
        Some(sheet) => {
            return Err(IngestError::UnknownSheet {
                path: path.to_path_buf(),
                sheet: sheet.clone(),
                sheets: names.join(", "),
            });
        }
        None => names,
    };
    let mut any_rows = false;
    let mut data_lines = 0u64;
    for sheet in sheets {
        let range = workbook.worksheet_range(&sheet).map_err(|e| corrupt(format!("sheet `{sheet}`: {e}")))?;
        let first_row = range.start().map(|(row, _)| u64::from(row) + 1).unwrap_or(1);
        let mut rows = range.rows();
        let Some(header) = rows.next() else { continue };
        any_rows = true;
        let header: Vec<String> = header.iter().map(cell_text).collect();
        let map = map_columns(path, &header, options)?;
        sink.start_source(format!("{} [{sheet}]", file.name));
        sink.set_absent(map.absent());
        for (offset, row) in rows.enumerate() {
            let fields: Vec<String> = row.iter().map(cell_text).collect();
            if fields.iter().all(String::is_empty) {
                continue;
            }
            data_lines += 1;
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            sink.line(first_row + 1 + offset as u64, &fields, &map, header.len())?;
        }
        sink.end_source()?;
    }
    if !any_rows {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    if data_lines == 0 {
        return Err(IngestError::HeaderOnly { path: path.to_path_buf() });
    }
    Ok(())
}

/// A cell as the text a CSV export would hold; dates in ISO form.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Float(value) => value.to_string(),
        Data::Int(value) => value.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => value
            .as_datetime()
            .map(|ts| ts.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| value.to_string()),
        Data::Error(error) => error.to_string(),
    }
}
