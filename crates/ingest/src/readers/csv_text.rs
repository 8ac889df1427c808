//! Delimited text: plain or gzip, UTF-8 or Windows-1252/Latin-1 (or UTF-16
//! with a BOM), lines ending in LF, CRLF or CR alone.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use encoding_rs::WINDOWS_1252;
use encoding_rs_io::DecodeReaderBytesBuilder;
use flate2::read::MultiGzDecoder;

use crate::columns::{CANONICAL_COLUMNS, map_columns};
use crate::sink::Sink;
use crate::{Encoding, IngestError, IngestOptions, InputFile};

/// How much of the (decompressed) start of a file decides its encoding,
/// delimiter and line endings.
const SNIFF_BYTES: usize = 1 << 20;

pub(crate) fn read(file: &InputFile, options: &IngestOptions, sink: &mut Sink) -> Result<(), IngestError> {
    let path = Path::new(&file.name);
    let read_error = |source| IngestError::Read { path: path.to_path_buf(), source };
    let corrupt = |message: String| IngestError::Corrupt { path: path.to_path_buf(), format: "CSV", message };
    let mut reader = BufReader::new(File::open(&file.path).map_err(read_error)?);
    let mut magic = [0u8; 2];
    let magic_len = read_up_to(&mut reader, &mut magic).map_err(read_error)?;
    if magic_len == 0 {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let raw = Cursor::new(magic[..magic_len].to_vec()).chain(reader);
    let mut decompressed: Box<dyn Read + Send> =
        if magic == [0x1f, 0x8b] { Box::new(MultiGzDecoder::new(raw)) } else { Box::new(raw) };
    let mut head = vec![0u8; SNIFF_BYTES];
    let head_len = read_up_to(&mut decompressed, &mut head).map_err(|e| corrupt(e.to_string()))?;
    head.truncate(head_len);
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let has_bom =
        head.starts_with(&[0xef, 0xbb, 0xbf]) || head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]);
    let single_byte = match options.encoding {
        Encoding::Utf8 => false,
        Encoding::Windows1252 | Encoding::Latin1 => !has_bom,
        Encoding::Auto => !has_bom && !looks_like_utf8(&head),
    };
    let cr_only = !head.contains(&b'\n') && head.contains(&b'\r');
    let delimiter = options.delimiter.unwrap_or_else(|| guess_delimiter(&head));
    let stream = Cursor::new(head).chain(decompressed);
    let decoded = DecodeReaderBytesBuilder::new().encoding(single_byte.then_some(WINDOWS_1252)).build(stream);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(decoded);

    let mut record = csv::ByteRecord::new();
    let mut records_read = 0u64;
    let mut next = |reader: &mut csv::Reader<_>, record: &mut csv::ByteRecord| -> Result<Option<u64>, IngestError> {
        match reader.read_byte_record(record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                records_read += 1;
                let line = match (cr_only, record.position()) {
                    (false, Some(position)) => position.line(),
                    _ => records_read,
                };
                Ok(Some(line))
            }
            Err(e) => Err(corrupt(e.to_string())),
        }
    };
    if next(&mut reader, &mut record)?.is_none() {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let header: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    let positions = map_columns(path, &header, &options.columns)?;
    sink.start_source(file.name.clone());
    let encoding_name = if single_byte { "Windows-1252" } else { "UTF-8" };
    let mut data_lines = 0u64;
    while let Some(line) = next(&mut reader, &mut record)? {
        data_lines += 1;
        match decode_fields(&record, single_byte) {
            Ok(fields) => sink.line(line, &fields, &positions, header.len())?,
            Err((field, byte)) => {
                let lossy: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                let column = positions
                    .iter()
                    .position(|p| *p == field)
                    .map(|slot| format!(" (column `{}`)", CANONICAL_COLUMNS[slot].0))
                    .unwrap_or_default();
                let hint = if single_byte {
                    ""
                } else {
                    "; if the file is Windows-1252 or Latin-1, pass --encoding windows-1252"
                };
                let reason =
                    format!("byte 0x{byte:02X} in field {}{column} is not valid {encoding_name}{hint}", field + 1);
                let fields: Vec<&str> = lossy.iter().map(String::as_str).collect();
                sink.unreadable(line, reason, &fields, Some(positions))?;
            }
        }
    }
    sink.end_source()?;
    if data_lines == 0 {
        return Err(IngestError::HeaderOnly { path: path.to_path_buf() });
    }
    Ok(())
}

/// The fields as text, or the first (field index, byte) that is invalid.
/// Windows-1252 input arrives already transcoded; its five undefined bytes
/// come through as C1 control characters and are rejected here.
fn decode_fields(record: &csv::ByteRecord, single_byte: bool) -> Result<Vec<&str>, (usize, u8)> {
    record
        .iter()
        .enumerate()
        .map(|(index, bytes)| match std::str::from_utf8(bytes) {
            Ok(text) if single_byte => match text.chars().find(|c| ('\u{80}'..='\u{9f}').contains(c)) {
                Some(c) => Err((index, c as u32 as u8)),
                None => Ok(text),
            },
            Ok(text) => Ok(text),
            Err(e) => Err((index, bytes[e.valid_up_to()])),
        })
        .collect()
}

fn looks_like_utf8(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut off by the end of the sample is fine.
        Err(e) => e.error_len().is_none(),
    }
}

fn guess_delimiter(head: &[u8]) -> u8 {
    let first_line = head.split(|b| *b == b'\n' || *b == b'\r').next().unwrap_or_default();
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .filter(|d| first_line.contains(d))
        .unwrap_or(b',')
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
